#include "bench_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <unistd.h>

#include "bench_entities.hpp"
#include "bench_groups.hpp"
#include "bench_phases.hpp"
#include "bench_presence.hpp"
#include "proc_stats.hpp"

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string fresh_prefix() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string tag;
  for (auto v = static_cast<uint64_t>(secs) % (36ull * 36 * 36 * 36 * 36);
       tag.size() < 5; v /= 36)
    tag.insert(tag.begin(), digits[v % 36]);
  return "b" + tag + "_";
}

void report_idle(const bench_options& o, worker_pool& pool,
                 const login_figures& f, std::optional<uint64_t> rss_start,
                 const rss_probe& rss) {
  sleep_s(o.hold_s / 2);
  pool.each([](bench_worker& w) { w.ping_all(); });
  sleep_s(o.hold_s / 2);
  auto rss_held = rss();
  std::printf("\nIDLE: %llu users online for %.1f s\n",
              static_cast<unsigned long long>(f.logged_in), o.hold_s);
  std::printf("  server RSS: start %s, before connecting %s, connected %s, "
              "logged in %s, after hold %s\n",
              kib_text(rss_start).c_str(), kib_text(f.rss_before).c_str(),
              kib_text(f.rss_connected).c_str(), kib_text(f.rss_online).c_str(),
              kib_text(rss_held).c_str());
  if (f.rss_before && f.rss_connected && rss_held && f.logged_in > 0) {
    auto per = [&](uint64_t after) {
      return (static_cast<double>(after) - static_cast<double>(*f.rss_before))
             / static_cast<double>(f.logged_in);
    };
    std::printf("  server RSS per connection (hello only): %.1f KiB\n",
                per(*f.rss_connected));
    std::printf("  server RSS per idle logged-in user:     %.1f KiB\n",
                per(*rss_held));
  }
}

void report_pairs(const bench_options& o, worker_pool& pool,
                  const login_figures& f, std::optional<uint64_t> rss_start,
                  traffic_figures& t) {
  auto load = o.rate > 0 ? "paced at " + std::to_string(int(o.rate)) + " msgs/s"
                         : "flat out, " + std::to_string(o.window)
                             + " sends in flight per user";
  std::printf("\nTRAFFIC: %u users, %s, %.0f-byte bodies, window %.2f s "
              "(after %.1f s warm-up)\n",
              o.users, load.c_str(), double(o.body_size), t.window_s,
              o.warmup_s);
  std::printf("  delivered: %llu msgs = %.0f msgs/s   (send ok: %.0f/s, "
              "acks sent: %.0f/s, receipts: %.0f/s)\n",
              static_cast<unsigned long long>(t.delivered),
              static_cast<double>(t.delivered) / t.window_s,
              static_cast<double>(t.sends_ok) / t.window_s,
              static_cast<double>(t.acks) / t.window_s,
              static_cast<double>(t.receipts) / t.window_s);
  print_totals(pool, t.drained);
  print_latency("send -> delivered:", t.samples.delivery_us);
  print_latency("send -> ok (durable):", t.samples.reply_us);
  print_cpu(t, t.delivered, "delivered msg");
  std::printf("  server RSS: start %s, logged in %s, after traffic %s\n",
              kib_text(rss_start).c_str(), kib_text(f.rss_online).c_str(),
              kib_text(t.rss_after).c_str());
}

} // namespace

int run_bench(const bench_options& opts) {
  auto o = opts;
  bool groups = o.scenario == scenario_kind::groups;
  if (groups)
    o.users = o.groups * o.members;
  int status = 0;
  bool entities = o.scenario == scenario_kind::entities;
  auto at_once = entities ? std::min(o.batch, o.users) : o.users;
  auto fd_limit = raise_fd_limit();
  if (at_once + 64 > fd_limit) {
    std::fprintf(stderr,
                 "parley-bench: %u users need more than the %llu "
                 "open files this process may have\n",
                 at_once, static_cast<unsigned long long>(fd_limit));
    return 2;
  }
  tcp::endpoint server(asio::ip::make_address(o.host), o.port);
  if (!server.address().is_loopback()) {
    std::fprintf(stderr, "parley-bench: refusing %s: only loopback targets\n",
                 o.host.c_str());
    return 2;
  }
  bench_settings settings;
  settings.password = o.password;
  settings.body_size = o.body_size;
  settings.window = o.window;
  settings.ack = o.ack;
  settings.ack_delay = std::chrono::milliseconds{o.ack_delay_ms};
  settings.epoch = std::chrono::steady_clock::now();
  auto prefix = o.prefix.empty() ? fresh_prefix() : o.prefix;
  settings.run_tag = fresh_prefix() + std::to_string(::getpid());

  std::vector<std::string> users;
  for (uint32_t i = 0; i < o.users; ++i)
    users.push_back(prefix + std::to_string(i));
  std::string what = o.idle ? "idle" : (o.rate > 0 ? "paced" : "flat out");
  if (groups)
    what = std::to_string(o.groups) + " groups of " + std::to_string(o.members)
           + ", " + what;
  else if (entities)
    what = "entities, " + std::to_string(o.batch) + " online at a time";
  else if (o.scenario == scenario_kind::presence)
    what = std::string{"presence, watched devices "}
           + (o.disappear == disappearance::close ? "close" : "vanish");
  std::printf("parley-bench: %u users (%s0..%u) -> %s:%u, %u thread(s), "
              "%s\n",
              o.users, prefix.c_str(), o.users - 1, o.host.c_str(), o.port,
              o.threads, what.c_str());
  rss_probe rss = [&]() -> std::optional<uint64_t> {
    if (o.server_pid == 0)
      return std::nullopt;
    return rss_kib(o.server_pid);
  };
  auto rss_start = rss();

  if (register_users(o, settings, server, users) < users.size())
    status = 1;
  if (entities)
    return std::max(status, run_entities(o, settings, server, users, rss));
  if (o.scenario == scenario_kind::presence)
    return std::max(status, run_presence(o, settings, server, users, rss));

  worker_pool pool(settings, o.threads);
  if (groups) {
    add_group_clients(o, pool, users);
  } else {
    for (uint32_t i = 0; i < o.users; ++i)
      pool.workers[i % o.threads]->add_client(users[i], users[i ^ 1u]);
  }
  pool.start();
  auto online = connect_and_login(o, pool, server, rss);
  if (online.logged_in < o.users)
    status = 1;

  std::map<std::string, uint64_t> errors;
  if (o.idle) {
    report_idle(o, pool, online, rss_start, rss);
  } else if (groups && !create_groups(o, pool, users)) {
    std::fflush(stdout);
    std::fprintf(stderr, "parley-bench: not every group was created; no "
                         "traffic\n");
    status = 1;
  } else {
    auto t = run_traffic(o, pool, rss);
    if (!groups)
      report_pairs(o, pool, online, rss_start, t);
    else if (auto s = report_groups(o, pool, t); s != 0)
      status = s;
    errors = std::move(t.samples.errors);
  }
  pool.each([](bench_worker& w) { w.close_all(); });
  for (auto& [code, n] : pool.take_samples().errors)
    errors[code] += n;
  print_errors(errors, pool.sum(&worker_counters::closed));
  for (auto& w : pool.workers)
    w->stop();
  return status;
}

} // namespace parley::bench

#include "bench_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>

#include "bench_worker.hpp"
#include "proc_stats.hpp"

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using counter_field = std::atomic<uint64_t> worker_counters::*;

namespace {

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

/// The workers of one phase; the main thread's view of them.
struct worker_pool {
  std::vector<std::unique_ptr<bench_worker>> workers;

  worker_pool(const bench_settings& settings, uint32_t threads) {
    for (uint32_t i = 0; i < threads; ++i)
      workers.push_back(std::make_unique<bench_worker>(settings));
  }

  void start() {
    for (auto& w : workers)
      w->start();
  }

  uint64_t sum(counter_field field) const {
    uint64_t total = 0;
    for (auto& w : workers)
      total += ((w->counters).*field).load(std::memory_order_relaxed);
    return total;
  }

  /// Runs `f(worker)` on every worker thread, one after the other.
  void each(const std::function<void(bench_worker&)>& f) {
    for (auto& w : workers)
      w->run_on([&f, &w] { f(*w); });
  }
};

/// Waits until `done()` or `timeout_s`; true if done.
bool wait_until(const std::function<bool()>& done, double timeout_s) {
  auto start = clock_type::now();
  while (!done()) {
    if (seconds_since(start) > timeout_s)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

std::vector<asio::ip::address> source_addresses(uint32_t n) {
  std::vector<asio::ip::address> out;
  for (uint32_t i = 1; i <= n && i < 255; ++i)
    out.push_back(asio::ip::make_address_v4("127.0.0." + std::to_string(i)));
  return out;
}

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

std::string kib_text(std::optional<uint64_t> kib) {
  if (!kib)
    return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB",
                static_cast<double>(*kib) / 1024);
  return text;
}

void print_latency(const char* label, std::vector<uint32_t>& samples) {
  auto s = summarize(samples);
  std::printf("  %-26s n=%zu  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  "
              "p99.9 %.3f ms  max %.3f ms  (mean %.3f ms)\n",
              label, s.count, s.p50 / 1000, s.p90 / 1000, s.p99 / 1000,
              s.p999 / 1000, s.max / 1000, s.mean / 1000);
}

/// Registers every user over a few connections, `window` requests each in
/// flight. Returns the number registered (or already existing).
uint64_t register_users(const bench_options& o, const bench_settings& settings,
                        const tcp::endpoint& server,
                        const std::vector<std::string>& users) {
  auto conns = std::max<uint32_t>(1, std::min<uint32_t>(o.reg_conns, o.users));
  worker_pool pool(settings, 1);
  auto& w = *pool.workers.front();
  for (uint32_t i = 0; i < conns; ++i)
    w.add_client({}, {});
  pool.start();
  auto sources = source_addresses(1);
  w.run_on([&] { w.connect_all(server, sources, conns); });
  wait_until(
    [&] {
      return pool.sum(&worker_counters::connected)
               + pool.sum(&worker_counters::connect_failed)
             >= conns;
    },
    o.phase_timeout_s);
  auto start = clock_type::now();
  w.run_on([&] {
    std::vector<std::vector<std::string>> share(conns);
    for (size_t i = 0; i < users.size(); ++i)
      share[i % conns].push_back(users[i]);
    for (uint32_t i = 0; i < conns; ++i)
      w.clients()[i]->register_batch(std::move(share[i]), 16);
  });
  bool done = wait_until(
    [&] {
      return pool.sum(&worker_counters::registered)
               + pool.sum(&worker_counters::register_failed)
             >= users.size();
    },
    o.phase_timeout_s);
  auto secs = seconds_since(start);
  auto ok = pool.sum(&worker_counters::registered);
  std::printf("register: %llu of %zu users in %.2f s (%.0f registrations/s)"
              "%s\n",
              static_cast<unsigned long long>(ok), users.size(), secs,
              static_cast<double>(ok) / secs, done ? "" : "  TIMEOUT");
  w.run_on([&] { w.close_all(); });
  for (auto& [code, n] : w.run_on([&w] { return w.take_samples(); }).errors)
    std::printf("  register error %s: %llu\n", code.c_str(),
                static_cast<unsigned long long>(n));
  return ok;
}

} // namespace

int run_bench(const bench_options& o) {
  int status = 0;
  auto fd_limit = raise_fd_limit();
  if (o.users + 64 > fd_limit) {
    std::fprintf(stderr,
                 "parley-bench: %u users need more than the %llu "
                 "open files this process may have\n",
                 o.users, static_cast<unsigned long long>(fd_limit));
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
  settings.epoch = clock_type::now();
  auto prefix = o.prefix.empty() ? fresh_prefix() : o.prefix;
  settings.run_tag = fresh_prefix() + std::to_string(::getpid());

  std::vector<std::string> users;
  for (uint32_t i = 0; i < o.users; ++i)
    users.push_back(prefix + std::to_string(i));
  std::printf("parley-bench: %u users (%s0..%u) -> %s:%u, %u thread(s), "
              "%s\n",
              o.users, prefix.c_str(), o.users - 1, o.host.c_str(), o.port,
              o.threads, o.idle ? "idle" : (o.rate > 0 ? "paced" : "flat out"));
  auto server_rss = [&]() -> std::optional<uint64_t> {
    if (o.server_pid == 0)
      return std::nullopt;
    return rss_kib(o.server_pid);
  };
  auto rss_start = server_rss();

  if (register_users(o, settings, server, users) < users.size())
    status = 1;

  // -- connect and login ------------------------------------------------------
  worker_pool pool(settings, o.threads);
  for (uint32_t i = 0; i < o.users; ++i)
    pool.workers[i % o.threads]->add_client(users[i], users[i ^ 1u]);
  pool.start();
  sleep_s(o.settle_s / 2);
  auto rss_before = server_rss();

  auto sources = source_addresses(o.source_ips);
  auto t_connect = clock_type::now();
  pool.each([&](bench_worker& w) {
    w.connect_all(server, sources, o.connect_concurrency / o.threads);
  });
  bool ok = wait_until(
    [&] {
      return pool.sum(&worker_counters::connected)
               + pool.sum(&worker_counters::connect_failed)
             >= o.users;
    },
    o.phase_timeout_s);
  auto connect_s = seconds_since(t_connect);
  auto connected = pool.sum(&worker_counters::connected);
  std::printf(
    "connect+hello: %llu of %u in %.2f s (%.0f/s), %llu failed%s\n",
    static_cast<unsigned long long>(connected), o.users, connect_s,
    static_cast<double>(connected) / connect_s,
    static_cast<unsigned long long>(pool.sum(&worker_counters::connect_failed)),
    ok ? "" : "  TIMEOUT");
  sleep_s(o.settle_s / 2);
  auto rss_connected = server_rss();

  auto t_login = clock_type::now();
  pool.each(
    [&](bench_worker& w) { w.login_all(o.login_concurrency / o.threads); });
  ok = wait_until(
    [&] {
      return pool.sum(&worker_counters::logged_in)
               + pool.sum(&worker_counters::login_failed)
             >= o.users;
    },
    o.phase_timeout_s);
  auto login_s = seconds_since(t_login);
  auto logged_in = pool.sum(&worker_counters::logged_in);
  wait_until([&] { return pool.sum(&worker_counters::synced) >= logged_in; },
             o.phase_timeout_s);
  auto synced_s = seconds_since(t_login);
  std::printf(
    "login: %llu of %u in %.2f s (%.0f logins/s), all synced after "
    "%.2f s, %llu failed%s\n",
    static_cast<unsigned long long>(logged_in), o.users, login_s,
    static_cast<double>(logged_in) / login_s, synced_s,
    static_cast<unsigned long long>(pool.sum(&worker_counters::login_failed)),
    ok ? "" : "  TIMEOUT");
  if (logged_in < o.users)
    status = 1;
  sleep_s(o.settle_s);
  auto rss_online = server_rss();

  std::vector<uint32_t> delivery, reply;
  std::map<std::string, uint64_t> errors;
  if (o.idle) {
    // -- hold the users idle and read the server's memory ---------------------
    sleep_s(o.hold_s / 2);
    pool.each([](bench_worker& w) { w.ping_all(); });
    sleep_s(o.hold_s / 2);
    auto rss_held = server_rss();
    std::printf("\nIDLE: %llu users online for %.1f s\n",
                static_cast<unsigned long long>(logged_in), o.hold_s);
    std::printf("  server RSS: start %s, before connecting %s, connected %s, "
                "logged in %s, after hold %s\n",
                kib_text(rss_start).c_str(), kib_text(rss_before).c_str(),
                kib_text(rss_connected).c_str(), kib_text(rss_online).c_str(),
                kib_text(rss_held).c_str());
    if (rss_before && rss_connected && rss_held && logged_in > 0) {
      auto per = [&](uint64_t after) {
        return (static_cast<double>(after) - static_cast<double>(*rss_before))
               / static_cast<double>(logged_in);
      };
      std::printf("  server RSS per connection (hello only): %.1f KiB\n",
                  per(*rss_connected));
      std::printf("  server RSS per idle logged-in user:     %.1f KiB\n",
                  per(*rss_held));
    }
  } else {
    // -- traffic
    // ----------------------------------------------------------------
    auto per_worker_rate = o.rate / o.threads;
    pool.each([&](bench_worker& w) { w.start_traffic(per_worker_rate); });
    sleep_s(o.warmup_s);
    auto snap = [&](counter_field f) { return pool.sum(f); };
    auto sends0 = snap(&worker_counters::send_ok);
    auto receipts0 = snap(&worker_counters::receipts);
    auto server_cpu0 = o.server_pid ? cpu_seconds(o.server_pid) : std::nullopt;
    auto self_cpu0 = self_cpu_seconds();
    pool.each([](bench_worker& w) { w.set_recording(true); });
    auto t0 = clock_type::now();
    uint64_t last = 0;
    for (int s = 1; s <= static_cast<int>(o.duration_s); ++s) {
      std::this_thread::sleep_until(t0 + std::chrono::seconds{s});
      auto now = snap(&worker_counters::delivered_window);
      uint64_t max_us = 0;
      for (auto& w : pool.workers)
        max_us =
          std::max<uint64_t>(max_us, w->counters.max_delivery_us.exchange(0));
      std::printf("  t=%2ds delivered %llu/s, max latency %.1f ms\n", s,
                  static_cast<unsigned long long>(now - last),
                  static_cast<double>(max_us) / 1000);
      std::fflush(stdout);
      last = now;
    }
    std::this_thread::sleep_until(
      t0
      + std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(o.duration_s)));
    pool.each([](bench_worker& w) { w.set_recording(false); });
    auto window_s = seconds_since(t0);
    auto server_cpu1 = o.server_pid ? cpu_seconds(o.server_pid) : std::nullopt;
    auto self_cpu1 = self_cpu_seconds();
    auto delivered = snap(&worker_counters::delivered_window);
    auto sends = snap(&worker_counters::send_ok) - sends0;
    auto receipts = snap(&worker_counters::receipts) - receipts0;
    pool.each([](bench_worker& w) { w.stop_traffic(); });
    // Drain: what was acknowledged should arrive.
    bool drained = wait_until(
      [&] {
        auto ok = snap(&worker_counters::send_ok);
        return ok + snap(&worker_counters::send_err)
                 >= snap(&worker_counters::sends)
               && snap(&worker_counters::delivered) >= ok;
      },
      5);
    auto rss_after = server_rss();
    for (auto& w : pool.workers) {
      auto s = w->run_on([&w] { return w->take_samples(); });
      delivery.insert(delivery.end(), s.delivery_us.begin(),
                      s.delivery_us.end());
      reply.insert(reply.end(), s.reply_us.begin(), s.reply_us.end());
      for (auto& [code, n] : s.errors)
        errors[code] += n;
    }
    auto rate = static_cast<double>(delivered) / window_s;
    std::printf(
      "\nTRAFFIC: %u users, %s, %.0f-byte bodies, window %.2f s "
      "(after %.1f s warm-up)\n",
      o.users,
      o.rate > 0
        ? ("paced at " + std::to_string(int(o.rate)) + " msgs/s").c_str()
        : ("flat out, " + std::to_string(o.window)
           + " sends in flight per user")
            .c_str(),
      double(o.body_size), window_s, o.warmup_s);
    std::printf("  delivered: %llu msgs = %.0f msgs/s   (send ok: %.0f/s, "
                "receipts: %.0f/s)\n",
                static_cast<unsigned long long>(delivered), rate,
                static_cast<double>(sends) / window_s,
                static_cast<double>(receipts) / window_s);
    std::printf(
      "  totals: sends %llu, ok %llu, err %llu, skipped (window "
      "full) %llu, delivered %llu%s\n",
      static_cast<unsigned long long>(snap(&worker_counters::sends)),
      static_cast<unsigned long long>(snap(&worker_counters::send_ok)),
      static_cast<unsigned long long>(snap(&worker_counters::send_err)),
      static_cast<unsigned long long>(snap(&worker_counters::skipped)),
      static_cast<unsigned long long>(snap(&worker_counters::delivered)),
      drained ? "" : "  (not all acknowledged sends arrived)");
    print_latency("send -> delivered:", delivery);
    print_latency("send -> ok (durable):", reply);
    if (server_cpu0 && server_cpu1 && delivered > 0) {
      auto cpu = *server_cpu1 - *server_cpu0;
      std::printf("  server CPU: %.0f%% of one core, %.1f us per delivered "
                  "msg\n",
                  100 * cpu / window_s,
                  1e6 * cpu / static_cast<double>(delivered));
    }
    std::printf("  bench CPU:  %.0f%% of one core\n",
                100 * (self_cpu1 - self_cpu0) / window_s);
    std::printf("  server RSS: start %s, logged in %s, after traffic %s\n",
                kib_text(rss_start).c_str(), kib_text(rss_online).c_str(),
                kib_text(rss_after).c_str());
  }
  pool.each([](bench_worker& w) { w.close_all(); });
  for (auto& w : pool.workers)
    for (auto& [code, n] : w->run_on([&w] { return w->take_samples(); }).errors)
      errors[code] += n;
  auto lost = pool.sum(&worker_counters::closed);
  if (!errors.empty() || lost > 0) {
    std::printf("  errors:");
    for (auto& [code, n] : errors)
      std::printf(" %s=%llu", code.c_str(), static_cast<unsigned long long>(n));
    std::printf(" connections lost=%llu\n",
                static_cast<unsigned long long>(lost));
  }
  for (auto& w : pool.workers)
    w->stop();
  return status;
}

} // namespace parley::bench

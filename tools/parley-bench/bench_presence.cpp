#include "bench_presence.hpp"

#include <cstdio>

namespace parley::bench {

using clock_type = std::chrono::steady_clock;

namespace {

/// One side of every pair, per worker: the clients and their pair index.
using side = std::vector<std::vector<std::pair<bench_client*, size_t>>>;

/// Runs `f(client, pair)` for every client of `clients`, on its thread.
template <class F>
void on_each(worker_pool& pool, const side& clients, F f) {
  for (size_t w = 0; w < pool.workers.size(); ++w)
    pool.workers[w]->run_on([&f, &mine = clients[w]] {
      for (auto& [c, k] : mine)
        f(*c, k);
    });
}

/// What each pair gave: the watched device's disappearance and the
/// watcher's pushes about it.
struct pair_outcome {
  uint64_t gone_ns = 0;
  bench_client::presence_log seen;
};

/// The verdict over all pairs; every count must be 0.
struct presence_check {
  uint64_t not_gone = 0;       ///< The device did not disappear.
  uint64_t missing = 0;        ///< No offline push.
  uint64_t early = 0;          ///< Offline pushed before it disappeared.
  uint64_t extra_offline = 0;  ///< More than one offline push.
  uint64_t wrong_online = 0;   ///< Online pushes other than the watch's one.

  bool ok() const noexcept {
    return not_gone + missing + early + extra_offline + wrong_online == 0;
  }
};

void print_ms(const char* label, const latency_summary& s, double minus_ms) {
  auto ms = [minus_ms](double us) { return us / 1000 - minus_ms; };
  std::printf("  %-34s min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f ms\n",
              label, ms(s.min), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max));
}

} // namespace

int run_presence(const bench_options& o, const bench_settings& settings,
                 const boost::asio::ip::tcp::endpoint& server,
                 const std::vector<std::string>& users, const rss_probe& rss) {
  auto n = users.size();
  auto pairs = n / 2;
  worker_pool pool(settings, o.threads);
  auto threads = pool.workers.size();
  side watchers(threads), watched(threads);
  for (size_t i = 0; i < n; ++i) {
    auto w = i % threads;
    auto& c = pool.workers[w]->add_client(users[i], users[i ^ 1u]);
    (i % 2 == 0 ? watchers : watched)[w].emplace_back(&c, i / 2);
  }
  pool.start();
  auto online = connect_and_login(o, pool, server, rss);
  int status = online.logged_in == n ? 0 : 1;
  auto sum = [&](counter_field f) { return pool.sum(f); };

  // 1. A shared conversation per pair, then the watch.
  on_each(pool, watchers, [](bench_client& c, size_t) { c.send_message(); });
  wait_until(
    [&] {
      return sum(&worker_counters::send_ok) + sum(&worker_counters::send_err)
             >= sum(&worker_counters::sends);
    },
    o.phase_timeout_s);
  auto t_watch = clock_type::now();
  on_each(pool, watchers, [](bench_client& c, size_t) { c.watch_partner(); });
  wait_until([&] { return sum(&worker_counters::presence_online) >= pairs; },
             o.phase_timeout_s);
  std::printf("watch: %llu of %zu watchers got their partner's presence "
              "(online) in %.2f s\n",
              static_cast<unsigned long long>(
                sum(&worker_counters::presence_online)),
              pairs, seconds_since(t_watch));
  sleep_s(o.settle_s);

  // 2. The watched devices disappear.
  bool clean = o.disappear == disappearance::close;
  auto heartbeat_s = static_cast<double>(o.server.heartbeat_s);
  auto grace_ms = static_cast<double>(o.server.presence_grace_ms);
  auto bound_s =
    o.spread_s + (clean ? 0 : 3 * heartbeat_s) + grace_ms / 1000 + 5;
  cpu_meter cpu(o.server_pid);
  auto t0 = clock_type::now() + std::chrono::milliseconds{100};
  for (size_t w = 0; w < threads; ++w) {
    auto& worker = *pool.workers[w];
    worker.run_on([&, clean, &mine = watched[w]] {
      for (auto& [c, k] : mine) {
        auto offset = std::chrono::duration<double>(
          o.spread_s * static_cast<double>(k) / static_cast<double>(pairs));
        worker.at(t0
                    + std::chrono::duration_cast<clock_type::duration>(offset),
                  [c = c, clean] { c->disappear(clean); });
      }
    });
  }
  bool all = wait_until(
    [&] { return sum(&worker_counters::presence_offline) >= pairs; },
    bound_s + 0.1);
  auto waited_s = seconds_since(t0);
  sleep_s(1); // pushes that should not come would come now
  auto window = cpu.take();

  // 3. The verdict and the figures.
  std::vector<pair_outcome> outcome(pairs);
  on_each(pool, watched,
          [&](bench_client& c, size_t k) { outcome[k].gone_ns = c.gone_ns(); });
  on_each(pool, watchers,
          [&](bench_client& c, size_t k) { outcome[k].seen = c.presence(); });
  presence_check check;
  std::vector<uint32_t> latency_us;
  for (auto& p : outcome) {
    check.wrong_online += p.seen.online == 1 ? 0 : 1;
    check.extra_offline += p.seen.offline > 1 ? 1 : 0;
    if (p.gone_ns == 0) {
      ++check.not_gone;
    } else if (p.seen.offline == 0) {
      ++check.missing;
    } else if (p.seen.first_offline_ns < p.gone_ns) {
      ++check.early;
    } else {
      latency_us.push_back(
        static_cast<uint32_t>((p.seen.first_offline_ns - p.gone_ns) / 1000));
    }
  }
  std::printf("\nPRESENCE: %zu watched devices, one watcher each; they %s, "
              "spread over %.1f s; server heartbeat_s %u, "
              "presence_grace_ms %u\n",
              pairs, clean ? "close their connection" : "vanish (silent, socket left open)",
              o.spread_s, o.server.heartbeat_s, o.server.presence_grace_ms);
  std::printf("  offline pushes: %zu of %zu in %.1f s (bound %.1f s)%s; "
              "missing %llu, early %llu, duplicate %llu, watchers without "
              "exactly one online push %llu, devices not gone %llu\n",
              latency_us.size(), pairs, waited_s, bound_s,
              all ? "" : "  TIMEOUT",
              static_cast<unsigned long long>(check.missing),
              static_cast<unsigned long long>(check.early),
              static_cast<unsigned long long>(check.extra_offline),
              static_cast<unsigned long long>(check.wrong_online),
              static_cast<unsigned long long>(check.not_gone));
  auto s = summarize(latency_us);
  if (s.count > 0) {
    print_ms("disappearance -> offline push:", s, 0);
    print_ms("minus the grace:", s, grace_ms);
    if (!clean)
      print_ms("minus the grace and 2 x heartbeat:", s,
               grace_ms + 2000 * heartbeat_s);
  }
  print_cpu(window, 0, "");
  pool.each([](bench_worker& w) { w.close_all(); });
  print_errors(pool.take_samples().errors, sum(&worker_counters::closed));
  if (check.ok())
    return status;
  std::fflush(stdout);
  std::fprintf(stderr,
               "parley-bench: PRESENCE CHECK FAILED: %llu offline pushes "
               "missing, %llu early, %llu duplicated, %llu watchers without "
               "exactly one online push, %llu devices not gone\n",
               static_cast<unsigned long long>(check.missing),
               static_cast<unsigned long long>(check.early),
               static_cast<unsigned long long>(check.extra_offline),
               static_cast<unsigned long long>(check.wrong_online),
               static_cast<unsigned long long>(check.not_gone));
  return 3;
}

} // namespace parley::bench

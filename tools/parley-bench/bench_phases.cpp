#include "bench_phases.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace parley::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

bool wait_until(const std::function<bool()>& done, double timeout_s) {
  auto start = clock_type::now();
  while (!done()) {
    if (seconds_since(start) > timeout_s)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

namespace {

std::vector<asio::ip::address> source_addresses(uint32_t n) {
  std::vector<asio::ip::address> out;
  for (uint32_t i = 1; i <= n && i < 255; ++i)
    out.push_back(asio::ip::make_address_v4("127.0.0." + std::to_string(i)));
  return out;
}

/// Waits until `done` + `failed` reach `n`; true unless the phase timed out.
bool wait_phase(const bench_options& o, const worker_pool& pool,
                counter_field done, counter_field failed, uint64_t n) {
  return wait_until([&] { return pool.sum(done) + pool.sum(failed) >= n; },
                    o.phase_timeout_s);
}

uint64_t client_count(worker_pool& pool) {
  uint64_t n = 0;
  for (auto& w : pool.workers)
    n += w->run_on([&w] { return w->clients().size(); });
  return n;
}

} // namespace

uint64_t register_users(const bench_options& o, const bench_settings& settings,
                        const tcp::endpoint& server,
                        const std::vector<std::string>& users) {
  auto conns = std::max<uint32_t>(
    1, static_cast<uint32_t>(std::min<size_t>(o.reg_conns, users.size())));
  worker_pool pool(settings, 1);
  auto& w = *pool.workers.front();
  for (uint32_t i = 0; i < conns; ++i)
    w.add_client({}, {});
  pool.start();
  auto sources = source_addresses(1);
  w.run_on([&] { w.connect_all(server, sources, conns); });
  wait_phase(o, pool, &worker_counters::connected,
             &worker_counters::connect_failed, conns);
  auto start = clock_type::now();
  w.run_on([&] {
    std::vector<std::vector<std::string>> share(conns);
    for (size_t i = 0; i < users.size(); ++i)
      share[i % conns].push_back(users[i]);
    for (uint32_t i = 0; i < conns; ++i)
      w.clients()[i]->register_batch(std::move(share[i]), 16);
  });
  bool done = wait_phase(o, pool, &worker_counters::registered,
                         &worker_counters::register_failed, users.size());
  auto secs = seconds_since(start);
  auto ok = pool.sum(&worker_counters::registered);
  std::printf("register: %llu of %zu users in %.2f s (%.0f registrations/s)"
              "%s\n",
              static_cast<unsigned long long>(ok), users.size(), secs,
              static_cast<double>(ok) / secs, done ? "" : "  TIMEOUT");
  w.run_on([&] { w.close_all(); });
  for (auto& [code, n] : pool.take_samples().errors)
    std::printf("  register error %s: %llu\n", code.c_str(),
                static_cast<unsigned long long>(n));
  return ok;
}

phase_outcome connect_clients(const bench_options& o, worker_pool& pool,
                              const tcp::endpoint& server) {
  phase_outcome r;
  auto n = client_count(pool);
  auto threads = static_cast<uint32_t>(pool.workers.size());
  auto sources = source_addresses(o.source_ips);
  auto start = clock_type::now();
  pool.each([&](bench_worker& w) {
    w.connect_all(server, sources, o.connect_concurrency / threads);
  });
  r.in_time = wait_phase(o, pool, &worker_counters::connected,
                         &worker_counters::connect_failed, n);
  r.seconds = seconds_since(start);
  r.done = pool.sum(&worker_counters::connected);
  r.failed = pool.sum(&worker_counters::connect_failed);
  return r;
}

phase_outcome login_clients(const bench_options& o, worker_pool& pool,
                            double* synced_s) {
  phase_outcome r;
  auto n = pool.sum(&worker_counters::connected);
  auto threads = static_cast<uint32_t>(pool.workers.size());
  auto start = clock_type::now();
  pool.each(
    [&](bench_worker& w) { w.login_all(o.login_concurrency / threads); });
  r.in_time = wait_phase(o, pool, &worker_counters::logged_in,
                         &worker_counters::login_failed, n);
  r.seconds = seconds_since(start);
  r.done = pool.sum(&worker_counters::logged_in);
  r.failed = pool.sum(&worker_counters::login_failed);
  r.in_time =
    wait_until([&] { return pool.sum(&worker_counters::synced) >= r.done; },
               o.phase_timeout_s)
    && r.in_time;
  if (synced_s != nullptr)
    *synced_s = seconds_since(start);
  return r;
}

login_figures connect_and_login(const bench_options& o, worker_pool& pool,
                                const tcp::endpoint& server,
                                const rss_probe& rss) {
  login_figures f;
  auto n = static_cast<unsigned long long>(client_count(pool));
  sleep_s(o.settle_s / 2);
  f.rss_before = rss();

  auto c = connect_clients(o, pool, server);
  std::printf("connect+hello: %llu of %llu in %.2f s (%.0f/s), %llu "
              "failed%s\n",
              static_cast<unsigned long long>(c.done), n, c.seconds,
              static_cast<double>(c.done) / c.seconds,
              static_cast<unsigned long long>(c.failed),
              c.in_time ? "" : "  TIMEOUT");
  sleep_s(o.settle_s / 2);
  f.rss_connected = rss();

  double synced_s = 0;
  auto l = login_clients(o, pool, &synced_s);
  f.logged_in = l.done;
  std::printf("login: %llu of %llu in %.2f s (%.0f logins/s), all synced "
              "after %.2f s, %llu failed%s\n",
              static_cast<unsigned long long>(l.done), n, l.seconds,
              static_cast<double>(l.done) / l.seconds, synced_s,
              static_cast<unsigned long long>(l.failed),
              l.in_time ? "" : "  TIMEOUT");
  sleep_s(o.settle_s);
  f.rss_online = rss();
  return f;
}

traffic_figures run_traffic(const bench_options& o, worker_pool& pool,
                            const rss_probe& rss) {
  traffic_figures t;
  std::vector<size_t> senders;
  size_t all_senders = 0;
  for (auto& w : pool.workers) {
    senders.push_back(w->run_on([&w] { return w->sender_count(); }));
    all_senders += senders.back();
  }
  for (size_t i = 0; i < pool.workers.size(); ++i) {
    auto share = all_senders == 0 ? 0.0
                                  : static_cast<double>(senders[i])
                                      / static_cast<double>(all_senders);
    auto& w = *pool.workers[i];
    w.run_on([&w, rate = o.rate * share] { w.start_traffic(rate); });
  }
  sleep_s(o.warmup_s);
  auto snap = [&](counter_field f) { return pool.sum(f); };
  auto sends0 = snap(&worker_counters::send_ok);
  auto receipts0 = snap(&worker_counters::receipts);
  auto acks0 = snap(&worker_counters::acks);
  cpu_meter cpu(o.server_pid);
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
  static_cast<cpu_window&>(t) = cpu.take();
  t.delivered = snap(&worker_counters::delivered_window);
  t.sends_ok = snap(&worker_counters::send_ok) - sends0;
  t.receipts = snap(&worker_counters::receipts) - receipts0;
  t.acks = snap(&worker_counters::acks) - acks0;
  pool.each([](bench_worker& w) { w.stop_traffic(); });
  // Drain: every send answered, and what was acknowledged should arrive.
  t.drained = wait_until(
    [&] {
      return snap(&worker_counters::send_ok) + snap(&worker_counters::send_err)
               >= snap(&worker_counters::sends)
             && snap(&worker_counters::delivered)
                  >= snap(&worker_counters::expected);
    },
    o.drain_s);
  t.rss_after = rss();
  t.samples = pool.take_samples();
  return t;
}

void print_totals(const worker_pool& pool, bool drained) {
  auto n = [&](counter_field f) {
    return static_cast<unsigned long long>(pool.sum(f));
  };
  std::printf("  totals: sends %llu, ok %llu, err %llu, skipped (window "
              "full) %llu, delivered %llu of %llu expected%s\n",
              n(&worker_counters::sends), n(&worker_counters::send_ok),
              n(&worker_counters::send_err), n(&worker_counters::skipped),
              n(&worker_counters::delivered), n(&worker_counters::expected),
              drained ? "" : "  (NOT DRAINED: replies or deliveries missing)");
}

void print_latency(const char* label, std::vector<uint32_t>& samples) {
  auto s = summarize(samples);
  std::printf("  %-26s n=%zu  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  "
              "p99.9 %.3f ms  max %.3f ms  (mean %.3f ms)\n",
              label, s.count, s.p50 / 1000, s.p90 / 1000, s.p99 / 1000,
              s.p999 / 1000, s.max / 1000, s.mean / 1000);
}

void print_cpu(const cpu_window& t, uint64_t units, const char* unit) {
  if (t.server_cpu_s) {
    std::printf("  server CPU: %.0f%% of one core",
                100 * *t.server_cpu_s / t.window_s);
    if (units > 0)
      std::printf(", %.1f us per %s",
                  1e6 * *t.server_cpu_s / static_cast<double>(units), unit);
    std::printf("\n");
  }
  std::printf("  bench CPU:  %.0f%% of one core\n",
              100 * t.bench_cpu_s / t.window_s);
  if (t.machine_busy_s && t.server_cpu_s)
    std::printf(
      "  machine:    %.0f%% busy of %.0f%% (%.0f%% neither server "
      "nor bench)\n",
      100 * *t.machine_busy_s / t.window_s, 100 * t.machine_cores,
      std::max(0.0, 100 * (*t.machine_busy_s - *t.server_cpu_s - t.bench_cpu_s)
                      / t.window_s));
}

std::string cpu_text(const cpu_window& t) {
  auto pct = [&](std::optional<double> s) {
    return s ? std::to_string(static_cast<int>(100 * *s / t.window_s + 0.5))
                 + "%"
             : std::string{"n/a"};
  };
  std::optional<double> rest;
  if (t.machine_busy_s && t.server_cpu_s)
    rest = std::max(0.0, *t.machine_busy_s - *t.server_cpu_s - t.bench_cpu_s);
  return "server " + pct(t.server_cpu_s) + ", bench " + pct(t.bench_cpu_s)
         + ", rest of the machine " + pct(rest) + " (of one core)";
}

std::string kib_text(std::optional<uint64_t> kib) {
  if (!kib)
    return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB",
                static_cast<double>(*kib) / 1024);
  return text;
}

bool print_errors(const std::map<std::string, uint64_t>& errors,
                  uint64_t lost) {
  if (errors.empty() && lost == 0)
    return false;
  std::printf("  errors:");
  for (auto& [code, n] : errors)
    std::printf(" %s=%llu", code.c_str(), static_cast<unsigned long long>(n));
  std::printf(" connections lost=%llu\n",
              static_cast<unsigned long long>(lost));
  return true;
}

} // namespace parley::bench

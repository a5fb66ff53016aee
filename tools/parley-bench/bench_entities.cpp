#include "bench_entities.hpp"

#include <algorithm>
#include <cstdio>

#include "bench_visit.hpp"
#include "user_record.hpp"

namespace parley::bench {

using clock_type = std::chrono::steady_clock;

namespace {

/// The server's memory at one point.
struct memory_sample {
  std::optional<uint64_t> rss_kib;
  std::optional<uint64_t> wal_bytes; ///< Its RocksDB WAL (if known).
};

std::string text(const memory_sample& m) {
  auto out = kib_text(m.rss_kib);
  if (m.wal_bytes)
    out += " (WAL " + kib_text(*m.wal_bytes / 1024) + ")";
  return out;
}

/// `after - before` in KiB, per `units`.
std::optional<double> kib_per(const std::optional<uint64_t>& before,
                              const std::optional<uint64_t>& after,
                              double units) {
  if (!before || !after || units <= 0)
    return std::nullopt;
  return (static_cast<double>(*after) - static_cast<double>(*before)) / units;
}

std::string kib_number(std::optional<double> kib) {
  if (!kib)
    return "n/a";
  char out[32];
  std::snprintf(out, sizeof out, "%.2f KiB", *kib);
  return out;
}

/// Totals of a series of visits.
struct series_totals {
  uint64_t logged_in = 0, login_failed = 0;
  uint64_t sends = 0, send_ok = 0, delivered = 0, expected = 0;
  uint64_t checks_ok = 0, checks_failed = 0, lost = 0;
  bool finished = true;
  std::map<std::string, uint64_t> errors;

  void add(const visit_totals& v) {
    logged_in += v.login.done;
    login_failed += v.login.failed + v.connect.failed;
    sends += v.sends;
    send_ok += v.send_ok;
    delivered += v.delivered;
    expected += v.expected;
    checks_ok += v.checks_ok;
    checks_failed += v.checks_failed;
    lost += v.lost;
    finished = finished && v.finished;
    for (auto& [code, n] : v.errors)
      errors[code] += n;
  }
};

using memory_probe = std::function<memory_sample()>;

/// Runs all users through visits of o.batch, printing a line per batch:
/// `what`, its logins/s, `describe` of its totals, and the server's memory
/// after it.
series_totals
visit_all(const bench_options& o, const bench_settings& settings,
          const boost::asio::ip::tcp::endpoint& server,
          const std::vector<std::string>& users, const visit_plan& plan,
          const char* what,
          const std::function<std::string(const visit_totals&)>& describe,
          const memory_probe& probe) {
  series_totals all;
  for (size_t lo = 0; lo < users.size(); lo += o.batch) {
    auto hi = std::min(users.size(), lo + size_t{o.batch});
    auto v = visit(o, settings, server, users, lo, hi, plan);
    all.add(v);
    std::printf("  %s users %zu..%zu: login %.0f/s, %s%s; RSS %s\n", what, lo,
                hi - 1, static_cast<double>(v.login.done) / v.login.seconds,
                describe(v).c_str(),
                v.finished ? "" : "  (NOT FINISHED within --drain)",
                text(probe()).c_str());
  }
  return all;
}

} // namespace

int run_entities(const bench_options& o, const bench_settings& settings,
                 const boost::asio::ip::tcp::endpoint& server,
                 const std::vector<std::string>& users, const rss_probe& rss) {
  auto n = users.size();
  auto entities = static_cast<double>(n) * 1.5; // users + n/2 conversations
  auto passivate_s = static_cast<double>(o.server.passivate_s);
  auto grace_s = o.server.presence_grace_ms / 1000.0;
  // A WAL that shrinks was flushed (its memtable became an SST file).
  std::optional<uint64_t> last_wal;
  bool wal_flushed = false;
  memory_probe probe = [&] {
    memory_sample m{rss(), o.server_data.empty() ? std::nullopt
                                                 : wal_bytes(o.server_data)};
    if (m.wal_bytes && last_wal && *m.wal_bytes < *last_wal)
      wal_flushed = true;
    last_wal = m.wal_bytes;
    return m;
  };
  std::printf("\nENTITIES: %zu users in pairs, %u online at a time; server "
              "passivate_s %u, presence_grace_ms %u\n",
              n, o.batch, o.server.passivate_s, o.server.presence_grace_ms);
  sleep_s(o.settle_s);
  auto before = probe();
  std::printf("  before activation: RSS %s\n", text(before).c_str());

  // 1. Activation: every user and conversation actor becomes active.
  std::vector<user_record> records(n);
  visit_plan act;
  act.prepare = [&](bench_client& c, size_t i) { c.record_into(records[i]); };
  act.start = [](bench_client& c, size_t) { c.send_message(); };
  act.finished = [](const worker_pool& p) {
    return p.sum(&worker_counters::send_ok)
               + p.sum(&worker_counters::send_err)
             >= p.sum(&worker_counters::sends)
           && p.sum(&worker_counters::delivered)
                >= p.sum(&worker_counters::expected);
  };
  auto t_act = clock_type::now();
  cpu_meter act_cpu(o.server_pid);
  std::optional<clock_type::time_point> first_done;
  memory_sample after_first;
  auto first_batch_probe = [&] {
    auto m = probe();
    if (!first_done) {
      first_done = clock_type::now();
      after_first = m;
    }
    return m;
  };
  auto a = visit_all(
    o, settings, server, users, act, "activate",
    [](const visit_totals& v) {
      return "sends ok " + std::to_string(v.send_ok) + ", delivered "
             + std::to_string(v.delivered);
    },
    first_batch_probe);
  auto last_done = clock_type::now();
  auto activation_s = seconds_since(t_act);
  auto act_window = act_cpu.take();
  sleep_s(o.settle_s);
  auto active = probe();
  // Batch 1's actors may passivate from passivate_s after it ended on.
  auto margin_s = passivate_s - seconds_since(*first_done);
  std::printf("  all active (%.1f s of activation, %.1f s settle): RSS %s; "
              "%.1f s before the first batch may passivate\n",
              activation_s, o.settle_s, text(active).c_str(), margin_s);
  if (margin_s < 0)
    std::printf("  WARNING: the activation took longer than passivate_s: "
                "the first batches' actors may already be passivated, so "
                "the figures per active entity are too low; raise "
                "passivate_s or lower --users\n");

  // 2. Idleness: every actor is passivated 1 to 1.5 x passivate_s after
  // its last message (a user's only after its presence grace). Its memory
  // goes only once its last idle tick, due passivate_s / 2 later, has come:
  // CAF's clock holds the actor until it delivers that message.
  auto margin_idle_s = grace_s + std::max(1.0, passivate_s / 10);
  auto step_s = std::max(1.0, passivate_s / 4);
  cpu_meter idle_cpu(o.server_pid);
  auto idle_until = [&](double idle_s) {
    for (double waited = seconds_since(last_done); waited < idle_s;
         waited = seconds_since(last_done)) {
      sleep_s(std::min(step_s, idle_s - waited));
      std::printf("  idle %5.1f s: RSS %s\n", seconds_since(last_done),
                  text(probe()).c_str());
    }
    return probe();
  };
  auto passive = idle_until(1.5 * passivate_s + margin_idle_s);
  std::printf("  passivated (idle 1.5 x passivate_s + %.1f s): RSS %s\n",
              margin_idle_s, text(passive).c_str());
  auto released = idle_until(2 * passivate_s + margin_idle_s);
  std::printf("  released (idle 2 x passivate_s + %.1f s): RSS %s\n",
              margin_idle_s, text(released).c_str());
  auto idle_window = idle_cpu.take();
  for (int s = 1; s <= static_cast<int>(o.hold_passivated_s); ++s) {
    sleep_s(1);
    std::printf("  held %3d s: RSS %s\n", s, text(probe()).c_str());
  }

  // 3. The check: every user back, its pair's history intact.
  visit_plan chk;
  chk.start = [&](bench_client& c, size_t i) {
    c.check_history(records[i], records[i ^ 1u]);
  };
  chk.finished = [](const worker_pool& p) {
    return p.sum(&worker_counters::checks_ok)
             + p.sum(&worker_counters::checks_failed)
           >= p.sum(&worker_counters::connected)
                + p.sum(&worker_counters::connect_failed);
  };
  cpu_meter check_cpu(o.server_pid);
  auto check_settings = settings;
  check_settings.run_tag += "c"; // new cmids: the sends are not retries
  auto c = visit_all(
    o, check_settings, server, users, chk, "check",
    [](const visit_totals& v) {
      return "checks ok " + std::to_string(v.checks_ok) + ", failed "
             + std::to_string(v.checks_failed);
    },
    probe);
  auto checked = probe();
  auto check_window = check_cpu.take();

  std::printf("\nENTITIES: %zu user actors + %zu conversation actors = %.0f "
              "entities\n",
              n, n / 2, entities);
  std::printf("  activation: %.1f s, %llu logins, %llu of %llu sends ok, "
              "%llu of %llu delivered%s\n",
              activation_s, static_cast<unsigned long long>(a.logged_in),
              static_cast<unsigned long long>(a.send_ok),
              static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(a.delivered),
              static_cast<unsigned long long>(a.expected),
              a.finished ? "" : " (NOT FINISHED)");
  std::printf("  CPU: activation %s; idle wait %s; check %s\n",
              cpu_text(act_window).c_str(), cpu_text(idle_window).c_str(),
              cpu_text(check_window).c_str());
  std::printf("  server RSS: before activation %s, all active %s, "
              "passivated %s, released %s, after the check %s\n",
              text(before).c_str(), text(active).c_str(),
              text(passive).c_str(), text(released).c_str(),
              text(checked).c_str());
  std::printf("  per active entity: %s ((all active - before) / %.0f; %s "
              "per user with its half conversation)\n",
              kib_number(kib_per(before.rss_kib, active.rss_kib, entities))
                .c_str(),
              entities,
              kib_number(kib_per(before.rss_kib, active.rss_kib,
                                 static_cast<double>(n)))
                .c_str());
  auto first_entities = std::min<double>(o.batch, n) * 1.5;
  std::printf("  per active entity from the first batch to the last: %s\n",
              kib_number(kib_per(after_first.rss_kib, active.rss_kib,
                                 entities - first_entities))
                .c_str());
  if (before.wal_bytes && active.wal_bytes)
    std::printf("  of which RocksDB WAL (~ memtable) at the active sample: "
                "%s per entity%s\n",
                kib_number(kib_per(before.wal_bytes, active.wal_bytes,
                                   entities * 1024))
                  .c_str(),
                wal_flushed ? " (the memtable was flushed to an SST file "
                              "during the activation: the rest of what was "
                              "written is no longer in memory)"
                            : "");
  if (auto grown = kib_per(before.rss_kib, active.rss_kib, 1.0),
      after = kib_per(before.rss_kib, released.rss_kib, 1.0);
      grown && after)
    std::printf("  after passivation RSS is %.1f MiB above before "
                "activation (all active: %.1f MiB above); glibc keeps what "
                "was freed unless trimmed (heap_probe.sh)\n",
                *after / 1024, *grown / 1024);
  std::printf("  check after passivation: %llu of %zu users read their "
              "pair's history and sent again: ok %llu, failed %llu%s\n",
              static_cast<unsigned long long>(c.checks_ok + c.checks_failed),
              n, static_cast<unsigned long long>(c.checks_ok),
              static_cast<unsigned long long>(c.checks_failed),
              c.finished ? "" : " (NOT FINISHED within --drain)");
  auto errors = a.errors;
  for (auto& [code, k] : c.errors)
    errors[code] += k;
  print_errors(errors, a.lost + c.lost);

  if (c.checks_ok != n) {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "parley-bench: ENTITIES CHECK FAILED: %llu of %zu users "
                 "found their history as sent after passivation\n",
                 static_cast<unsigned long long>(c.checks_ok), n);
    return 3;
  }
  return a.logged_in == n && a.send_ok == n && a.finished ? 0 : 1;
}

} // namespace parley::bench

#pragma once

// A visit: a set of users comes online, does one thing and leaves. The
// entities scenario runs its users through visits in batches (before and
// after passivation), since they are more than one process may connect.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_phases.hpp"

namespace parley::bench {

/// What a visit does with each client (user i of the scenario's list;
/// its partner is user i ^ 1).
struct visit_plan {
  /// Before connecting (main thread; the pool has not started).
  std::function<void(bench_client&, size_t i)> prepare;
  /// Once every client logged in (on the client's thread).
  std::function<void(bench_client&, size_t i)> start;
  /// Polled on the main thread: true once every client did its part.
  std::function<bool(const worker_pool&)> finished;
};

/// What a visit gave: its phases and its pool's counters at the end.
struct visit_totals {
  phase_outcome connect;
  phase_outcome login;
  bool finished = false; ///< plan.finished held within --drain.
  uint64_t sends = 0, send_ok = 0, send_err = 0;
  uint64_t delivered = 0, expected = 0;
  uint64_t checks_ok = 0, checks_failed = 0;
  uint64_t lost = 0; ///< Connections lost unasked.
  std::map<std::string, uint64_t> errors;
};

/// Users [lo, hi) of `users` visit: a fresh pool of o.threads workers, one
/// client each (partner: user i ^ 1), connect, login, plan.start, wait (at
/// most o.drain_s) for plan.finished, close. Every thread of the visit is
/// joined before it returns, so what the clients wrote (user records) is
/// then safe to read.
visit_totals visit(const bench_options& o, const bench_settings& settings,
                   const boost::asio::ip::tcp::endpoint& server,
                   const std::vector<std::string>& users, size_t lo,
                   size_t hi, const visit_plan& plan);

} // namespace parley::bench

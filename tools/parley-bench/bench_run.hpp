#pragma once

#include <cstdint>
#include <string>

#include <sys/types.h>

#include "server_conf.hpp"

namespace parley::bench {

/// What the traffic phase simulates.
enum class scenario_kind : uint8_t {
  pairs,  ///< User 2k and 2k+1 talk to each other (1:1).
  groups, ///< `groups` groups of `members` users post into their group.
  /// Each user logs in, sends one message to its partner and leaves; RSS
  /// with all those entities active, then passivated (bench_entities.hpp).
  entities,
  /// Watchers watch their partners, whose devices then disappear; the
  /// time to the offline push (bench_presence.hpp).
  presence,
};

/// How the presence scenario's watched devices disappear.
enum class disappearance : uint8_t {
  close,  ///< They close the connection.
  vanish, ///< They go silent, the connection left open.
};

/// Everything the command line sets (see main.cpp for the meanings).
struct bench_options {
  std::string host = "127.0.0.1";
  uint16_t port = 7500;
  scenario_kind scenario = scenario_kind::pairs;
  uint32_t users = 1000; ///< Pairs (and idle); groups: groups * members.
  uint32_t batch = 5000; ///< Entities: users online at once.
  disappearance disappear = disappearance::close;
  double spread_s = 1;         ///< Presence: disappearances over this long.
  double hold_passivated_s = 0; ///< Entities: RSS watched this long more.
  server_conf server;           ///< The measured parleyd's settings.
  std::string server_data;      ///< Its data directory; empty: unknown.
  uint32_t groups = 10;
  uint32_t members = 100;
  uint32_t senders = 0; ///< Members of each group that post; 0: all.
  double rate = 0;      ///< Total sends/s; 0: flat out.
  double duration_s = 10;
  double warmup_s = 1;
  uint32_t threads = 1;
  pid_t server_pid = 0; ///< 0: no server RSS/CPU figures.
  bool idle = false;
  double hold_s = 3;
  uint32_t source_ips = 4; ///< Bind to 127.0.0.1 .. 127.0.0.N.
  uint32_t window = 2;
  uint32_t body_size = 100;
  std::string prefix; ///< User name prefix; empty: a fresh one.
  std::string password = "bench-password-1";
  uint32_t reg_conns = 16;
  uint32_t connect_concurrency = 256;
  uint32_t login_concurrency = 256;
  bool ack = true;
  uint32_t ack_delay_ms = 0; ///< 0: an ack per read; else at most one per.
  double phase_timeout_s = 120;
  double settle_s = 2;
  double drain_s = 10; ///< Bound on the wait for replies after the window.
};

/// Runs the whole benchmark (register, connect, login, for groups create
/// them, then either hold idle or send for the duration; or the entities
/// or presence scenario) and prints the summary on stdout. Returns the
/// process exit status: 0 when every phase completed; 1 when a setup phase
/// fell short; 3 when a check failed (group scenario: a delivery missing,
/// duplicated or out of order; entities: a history not as sent; presence:
/// an offline push missing, or a push that should not have come).
int run_bench(const bench_options& opts);

} // namespace parley::bench

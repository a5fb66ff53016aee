#pragma once

#include <cstdint>
#include <string>

#include <sys/types.h>

namespace parley::bench {

/// Everything the command line sets (see main.cpp for the meanings).
struct bench_options {
  std::string host = "127.0.0.1";
  uint16_t port = 7500;
  uint32_t users = 1000;
  double rate = 0; ///< Total sends/s; 0: flat out.
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
  double phase_timeout_s = 120;
  double settle_s = 2;
};

/// Runs the whole benchmark (register, connect, login, then either hold
/// idle or send for the duration) and prints the summary on stdout.
/// Returns the process exit status: 0 when every phase completed.
int run_bench(const bench_options& opts);

} // namespace parley::bench

// parley-bench: a load generator for one Parley node, over loopback only.
//
//   parley-bench [--host H] [--port P] [--users N] [--rate R] [--duration S]
//                [--threads T] [--server-pid PID] [--idle] ...
//
// Registers N users (in pairs: user 2k talks to 2k+1), connects and logs
// them all in (reporting logins/s), then either sends 100-byte messages to
// the partner for --duration seconds, paced at --rate msgs/s in total or
// flat out (--rate 0), and reports delivered msgs/s and send->receive
// latency percentiles; or, with --idle, holds the users connected and
// reports the server's RSS per idle user (--server-pid). Asio, one
// io_context per --threads thread; frames encoded with msgpack-cxx.

#include <iostream>

#include <CLI/CLI.hpp>

#include "bench_run.hpp"

int main(int argc, char** argv) {
  parley::bench::bench_options o;
  CLI::App app{"parley-bench: load generator for one Parley node (loopback)"};
  app.add_option("--host", o.host, "server address (loopback only)")
    ->capture_default_str();
  app.add_option("--port", o.port, "server gateway port")
    ->capture_default_str();
  app.add_option("--users", o.users, "simulated users (even: pairs)")
    ->check(CLI::Range(2u, 19800u))
    ->capture_default_str();
  app.add_option("--rate", o.rate, "total msgs/s; 0 = flat out")
    ->check(CLI::NonNegativeNumber)
    ->capture_default_str();
  app.add_option("--duration", o.duration_s, "measured seconds of traffic")
    ->check(CLI::Range(0.1, 3600.0))
    ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "seconds of traffic before measuring")
    ->check(CLI::Range(0.0, 600.0))
    ->capture_default_str();
  app.add_option("--threads", o.threads, "Asio threads (one io_context each)")
    ->check(CLI::Range(1u, 64u))
    ->capture_default_str();
  app.add_option("--server-pid", o.server_pid,
                 "parleyd's pid: report its RSS (VmRSS) and CPU");
  app.add_flag("--idle", o.idle,
               "connect and log in, send nothing, report RSS per idle user");
  app.add_option("--hold", o.hold_s, "--idle: seconds to hold the users")
    ->check(CLI::Range(0.0, 50.0))
    ->capture_default_str();
  app
    .add_option("--source-ips", o.source_ips,
                "bind connections to 127.0.0.1..127.0.0.N")
    ->check(CLI::Range(1u, 254u))
    ->capture_default_str();
  app.add_option("--window", o.window, "flat out: sends in flight per user")
    ->check(CLI::Range(1u, 1024u))
    ->capture_default_str();
  app.add_option("--body-size", o.body_size, "message body bytes")
    ->check(CLI::Range(24u, 16384u))
    ->capture_default_str();
  app.add_option("--prefix", o.prefix,
                 "user name prefix (default: fresh per run; reuse to skip "
                 "new accounts)");
  app
    .add_option("--reg-conns", o.reg_conns,
                "connections used to register the users")
    ->check(CLI::Range(1u, 1024u))
    ->capture_default_str();
  app
    .add_option("--connect-concurrency", o.connect_concurrency,
                "connects in flight")
    ->check(CLI::Range(1u, 20000u))
    ->capture_default_str();
  app
    .add_option("--login-concurrency", o.login_concurrency, "logins in flight")
    ->check(CLI::Range(1u, 20000u))
    ->capture_default_str();
  bool no_ack = false;
  app.add_flag("--no-ack", no_ack, "do not ack received messages");
  app
    .add_option("--settle", o.settle_s,
                "seconds to let the server settle before reading its RSS")
    ->check(CLI::Range(0.0, 60.0))
    ->capture_default_str();
  app
    .add_option("--phase-timeout", o.phase_timeout_s,
                "bound on each of register/connect/login")
    ->check(CLI::Range(1.0, 600.0))
    ->capture_default_str();
  try {
    app.parse(argc, argv);
    if (o.users % 2 != 0)
      throw CLI::ValidationError("--users", "must be even (users are pairs)");
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  o.ack = !no_ack;
  try {
    return parley::bench::run_bench(o);
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: " << e.what() << std::endl;
    return 2;
  }
}

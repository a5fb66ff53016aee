// parley-bench: a load generator for one Parley node, over loopback only.
//
//   parley-bench [--host H] [--port P] [--users N] [--rate R] [--duration S]
//                [--threads T] [--server-pid PID] [--idle] ...
//   parley-bench --scenario group [--groups G] [--members M] [--senders K]
//                [--rate R] [--duration S] ...
//
// Registers N users (in pairs: user 2k talks to 2k+1), connects and logs
// them all in (reporting logins/s), then either sends 100-byte messages to
// the partner for --duration seconds, paced at --rate msgs/s in total or
// flat out (--rate 0), and reports delivered msgs/s and send->receive
// latency percentiles; or, with --idle, holds the users connected and
// reports the server's RSS per idle user (--server-pid).
//
// --scenario group: G * M users, one connection each; each group's first
// member creates it with all M, then K members of each group post into it
// (paced at R posts/s in total, or flat out); reports deliveries/s, the
// latency from a post to the last of the other M - 1 members, and checks
// at the end that every member got every other member's post exactly once
// and in seq order (exit status 3 if not).
//
// --scenario entities: N users (up to 1,000,000), --batch of them online at
// a time, each logs in, sends its partner one message and leaves, so every
// user and conversation actor is active; reports the server's RSS per
// active entity and after the server's passivate_s of idleness, then logs
// everyone in again to check its pair's history (exit status 3 if not as
// sent). See bench_entities.hpp.
//
// --scenario presence: user 2k watches user 2k+1, whose device then
// disappears (--disappear close | vanish); reports the time from the
// disappearance to the watcher's offline push, failing (3) on a missing
// push. See bench_presence.hpp.
//
// Asio, one io_context per --threads thread; frames encoded with
// msgpack-cxx.

#include <cstdio>
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
  std::string scenario = "pairs";
  app
    .add_option("--scenario", scenario,
                "pairs: user 2k talks to 2k+1 (1:1); group: --groups groups "
                "of --members members post into their group; entities: "
                "memory per active and passivated user/conversation actor, "
                "history checked after passivation; presence: time from a "
                "watched device's disappearance to the offline push")
    ->check(CLI::IsMember({"pairs", "group", "entities", "presence"}))
    ->capture_default_str();
  app
    .add_option("--users", o.users,
                "pairs, entities, presence: simulated users (even; at most "
                "19800 but for entities, which has --batch online at once)")
    ->check(CLI::Range(2u, 1000000u))
    ->capture_default_str();
  app
    .add_option("--batch", o.batch,
                "entities: users online at a time (even)")
    ->check(CLI::Range(2u, 19800u))
    ->capture_default_str();
  std::string disappear = "close";
  app
    .add_option("--disappear", disappear,
                "presence: how watched devices go: close (the connection) "
                "or vanish (a last ping, then neither read nor write, the "
                "socket left open: the server notices after 2 x heartbeat_s)")
    ->check(CLI::IsMember({"close", "vanish"}))
    ->capture_default_str();
  app
    .add_option("--spread", o.spread_s,
                "presence: seconds over which the disappearances are spread "
                "evenly; 0 = all at once")
    ->check(CLI::Range(0.0, 60.0))
    ->capture_default_str();
  app
    .add_option("--hold-passivated", o.hold_passivated_s,
                "entities: seconds to keep printing the server's RSS (once "
                "a second) after the passivated sample")
    ->check(CLI::Range(0.0, 600.0))
    ->capture_default_str();
  std::string server_conf_path;
  app
    .add_option("--server-conf", server_conf_path,
                "the server's cluster.conf: its passivate_s, heartbeat_s "
                "and presence_grace_ms time the entities and presence "
                "scenarios (default: docs/operations.md's 60, 30, 1000; "
                "bench.sh fills it in)")
    ->check(CLI::ExistingFile);
  app.add_option("--server-data", o.server_data,
                 "the server's data directory: entities reports the size of "
                 "its RocksDB WAL with the RSS (bench.sh fills it in)");
  app.add_option("--groups", o.groups, "group: groups")
    ->check(CLI::Range(1u, 9900u))
    ->capture_default_str();
  app
    .add_option("--members", o.members,
                "group: members per group, one connection each (at most "
                "the server's max_group)")
    ->check(CLI::Range(2u, 10000u))
    ->capture_default_str();
  app
    .add_option("--senders", o.senders,
                "group: members of each group that post; 0 = all")
    ->check(CLI::Range(0u, 10000u))
    ->capture_default_str();
  app
    .add_option("--rate", o.rate,
                "total msgs/s (group: posts/s, each delivered to M - 1 "
                "members); 0 = flat out")
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
  app
    .add_option("--window", o.window,
                "flat out: sends in flight per user (group: per sender)")
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
  app.add_flag("--no-ack", no_ack,
               "do not ack received messages (by default every client "
               "sends one cumulative ack per read, as a real client would, "
               "so receipts flow)");
  app
    .add_option("--ack-delay", o.ack_delay_ms,
                "ms: each client acks at most once per this interval (the "
                "highest seq received); 0 = one ack per read")
    ->check(CLI::Range(0u, 60000u))
    ->capture_default_str();
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
  app
    .add_option("--drain", o.drain_s,
                "bound on the wait for outstanding replies and deliveries "
                "after the window")
    ->check(CLI::Range(0.1, 600.0))
    ->capture_default_str();
  try {
    app.parse(argc, argv);
    using parley::bench::scenario_kind;
    if (scenario == "group") {
      o.scenario = scenario_kind::groups;
      if (uint64_t{o.groups} * o.members > 19800)
        throw CLI::ValidationError("--groups * --members",
                                   "at most 19800 connections");
    } else {
      if (o.users % 2 != 0)
        throw CLI::ValidationError("--users",
                                   "must be even (users are pairs)");
      if (scenario == "entities") {
        o.scenario = scenario_kind::entities;
        if (o.batch % 2 != 0)
          throw CLI::ValidationError("--batch", "must be even (pairs)");
      } else if (o.users > 19800) {
        throw CLI::ValidationError("--users", "at most 19800 connections");
      }
      if (scenario == "presence")
        o.scenario = scenario_kind::presence;
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  o.disappear = disappear == "vanish" ? parley::bench::disappearance::vanish
                                      : parley::bench::disappearance::close;
  o.ack = !no_ack;
  // Lines appear as they are printed, also into a pipe or file (scripts
  // such as heap_probe.sh act on them).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    if (!server_conf_path.empty())
      o.server = parley::bench::load_server_conf(server_conf_path);
    return parley::bench::run_bench(o);
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: " << e.what() << std::endl;
    return 2;
  }
}

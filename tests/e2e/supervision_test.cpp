// End-to-end: supervision under injected faults (docs/operations.md,
// "Supervision and escalation"; docs/protocol.md Part 2, "Fault injection").
// A conversation actor crashed in the middle of a burst loses and
// duplicates nothing; a crashed user actor is invisible to its devices;
// more crashes than the restart intensity stop parleyd with status 1 and
// say why; and without fault_injection the `fault` request does not exist.

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "e2e/e2e_assertions.hpp"
#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {


json fault(const std::string& entity, const std::string& key,
           const std::string& action, uint64_t ms = 0) {
  return {{"t", "fault"},
          {"entity", entity},
          {"key", key},
          {"action", action},
          {"ms", ms}};
}

/// (seq, from, cmid, body): what every device must agree on.
using entry = std::tuple<uint64_t, std::string, std::string, std::string>;

entry entry_of(const json& m) {
  auto body = m.at("body").is_string() ? m.at("body").get<std::string>()
                                       : std::string{"<bin>"};
  return {m.at("seq").get<uint64_t>(), m.at("from").get<std::string>(),
          m.at("cmid").get<std::string>(), body};
}

std::vector<entry> full_history(device& d, const std::string& conv) {
  std::vector<entry> out;
  uint64_t after = 0;
  for (int guard = 0; guard < 100; ++guard) {
    auto r = require_ok(
      d, {{"t", "history"}, {"conv", conv}, {"after", after}, {"limit", 100}});
    for (auto& m : r.at("msgs"))
      out.push_back(entry_of(m));
    if (!r.at("more") || out.empty())
      break;
    after = std::get<0>(out.back());
  }
  return out;
}

/// The messages of `conv` a fresh login replays, up to `synced`.
std::vector<entry> replay(parleyd_fixture& f, const std::string& user,
                          const std::string& dev, const std::string& conv) {
  auto d = f.login(user, dev, false);
  std::vector<entry> out;
  for (;;) {
    auto p = d->next_push(5s);
    REQUIRE(p.has_value());
    if (p->at("t") == "synced")
      return out;
    if (p->at("t") == "msg" && p->at("conv") == conv)
      out.push_back(entry_of(*p));
  }
}

/// One client of the burst: sends `total` messages with at most `window`
/// unanswered, resends (same cmid, new id) a message without an `ok` after
/// a second, and records every reply and push.
struct sender {
  device dev;
  std::string conv;
  int total = 0;
  int window = 20;
  int next = 0;
  struct pending {
    steady_clock::time_point sent;
    int sends = 0;
  };
  std::map<std::string, pending> unacked; // cmid -> last send
  std::map<std::string, uint64_t> acked;  // cmid -> seq
  std::map<uint64_t, std::string> ids;    // request id -> cmid
  std::set<uint64_t> answered;            // request ids with a reply
  std::vector<uint64_t> pushed;           // seqs of msg pushes
  int errors = 0;
  int resends = 0;
  bool inconsistent = false; // two oks for one cmid with different seqs

  std::string cmid(int i) const {
    return dev.user + "-" + std::to_string(i);
  }

  void send(const std::string& c) {
    auto id = dev->send(send_conv(conv, "body of " + c, c));
    ids[id] = c;
    auto& p = unacked[c];
    p.sent = steady_clock::now();
    ++p.sends;
  }

  /// Sends what the window and the retry rule allow.
  void step() {
    auto now = steady_clock::now();
    for (auto& [c, p] : unacked)
      if (now - p.sent >= 1s) {
        ++resends;
        send(c);
      }
    while (next < total && static_cast<int>(unacked.size()) < window)
      send(cmid(next++));
  }

  /// Reads whatever arrived.
  void read(milliseconds wait) {
    while (auto fr = dev->next_frame(wait)) {
      wait = milliseconds(0);
      if (!fr->contains("id")) {
        if (fr->at("t") == "msg" && fr->at("conv") == conv)
          pushed.push_back(fr->at("seq").get<uint64_t>());
        continue;
      }
      auto id = fr->at("id").get<uint64_t>();
      answered.insert(id);
      auto c = ids.at(id);
      if (fr->at("t") != "ok") {
        ++errors; // unavailable during the crash: resent after a second
        continue;
      }
      auto seq = fr->at("seq").get<uint64_t>();
      auto [i, added] = acked.emplace(c, seq);
      if (!added && i->second != seq)
        inconsistent = true;
      unacked.erase(c);
    }
  }

  bool done() const {
    return next == total && unacked.empty();
  }
  size_t unanswered() const {
    return ids.size() - answered.size();
  }
};

} // namespace

TEST_CASE("supervision: a conversation actor crashed in the middle of a "
          "burst loses and duplicates nothing",
          "[e2e][supervision]") {
  server_options opts;
  opts.fault_injection = true;
  parleyd_fixture f{opts};
  for (auto u : {"alice", "bob", "carol"})
    f.register_user(u);
  std::vector<sender> s(3);
  s[0].dev = f.login("alice", "a1");
  s[1].dev = f.login("bob", "b1");
  s[2].dev = f.login("carol", "c1");
  auto conv = require_ok(s[0].dev, {{"t", "group_create"},
                            {"name", "burst"},
                            {"members", {"bob", "carol"}}})
                .at("conv")
                .get<std::string>();
  auto ctl = f.login("alice", "ctl");
  for (auto& x : s) {
    drain(*x.dev.c, 100ms);
    x.conv = conv;
    x.total = 60;
  }
  const size_t all = 3 * 60;
  bool crashed = false;
  auto deadline = steady_clock::now() + 20s;
  auto acked = [&] {
    size_t n = 0;
    for (auto& x : s)
      n += x.acked.size();
    return n;
  };
  while (steady_clock::now() < deadline) {
    bool done = true;
    for (auto& x : s) {
      x.step();
      x.read(milliseconds(2));
      done = done && x.done();
    }
    if (done)
      break;
    if (!crashed && acked() >= 40) {
      // Stall the conversation so that the posts of all three pile up in
      // its mailbox, and queue the crash behind them: once the stall is
      // over it hands them all to the writer and crashes before any write
      // is confirmed, dropping every one of those requests.
      crashed = true;
      require_ok(ctl, fault("conv", conv, "delay", 300));
      auto until = steady_clock::now() + 100ms;
      while (steady_clock::now() < until)
        for (auto& x : s) {
          x.step();
          x.read(milliseconds(2));
        }
      require_ok(ctl, fault("conv", conv, "crash"));
    }
  }
  REQUIRE(crashed);
  // Every request gets its answer, also those the crashed actor held (the
  // session fails them over; nothing waits forever).
  auto quiet = steady_clock::now() + 5s;
  auto unanswered = [&] {
    size_t n = 0;
    for (auto& x : s)
      n += x.unanswered();
    return n;
  };
  while (unanswered() > 0 && steady_clock::now() < quiet)
    for (auto& x : s)
      x.read(milliseconds(10));
  for (auto& x : s) {
    INFO(x.dev.user << ": " << x.acked.size() << " acked, " << x.errors
                    << " errors, " << x.resends << " resends");
    CHECK(x.done());
    CHECK_FALSE(x.inconsistent);
    CHECK(x.unanswered() == 0);
    // Live pushes come in order, each once.
    CHECK(std::is_sorted(x.pushed.begin(), x.pushed.end()));
    CHECK(std::adjacent_find(x.pushed.begin(), x.pushed.end())
          == x.pushed.end());
  }
  REQUIRE(acked() == all);
  // History: the member message, then every acknowledged message exactly
  // once, at the seq its `ok` carried; seqs gapless.
  auto h = full_history(s[0].dev, conv);
  REQUIRE(h.size() == all + 1);
  std::map<std::string, uint64_t> in_history;
  for (size_t i = 0; i < h.size(); ++i) {
    CHECK(std::get<0>(h[i]) == i + 1);
    if (i > 0)
      CHECK(in_history.emplace(std::get<2>(h[i]), std::get<0>(h[i])).second);
  }
  for (auto& x : s)
    for (auto& [c, seq] : x.acked) {
      INFO(c);
      CHECK(in_history[c] == seq);
    }
  // Every device that syncs sees that same order.
  CHECK(replay(f, "alice", "a2", conv) == h);
  CHECK(replay(f, "bob", "b2", conv) == h);
  CHECK(replay(f, "carol", "c2", conv) == h);
}

TEST_CASE("supervision: a user actor crashed while its devices are "
          "connected is invisible to them",
          "[e2e][supervision]") {
  server_options opts;
  opts.fault_injection = true;
  parleyd_fixture f{opts};
  f.register_user("alice");
  f.register_user("bob");
  auto a1 = f.login("alice", "a1");
  auto a2 = f.login("alice", "a2");
  auto b1 = f.login("bob", "b1");
  auto conv =
    require_ok(b1, send_to("alice", "before", "b-0")).at("conv").get<std::string>();
  for (auto* d : {&a1, &a2})
    REQUIRE(next_push_of(*d->c, "msg").has_value());
  require_ok(b1, fault("user", "alice", "crash"));
  // alice's devices keep receiving, in order, nothing lost...
  for (int i = 1; i <= 5; ++i)
    require_ok(b1, send_conv(conv, "m" + std::to_string(i), "b-" + std::to_string(i)));
  for (auto* d : {&a1, &a2})
    for (uint64_t seq = 2; seq <= 6; ++seq) {
      auto p = next_push_of(*d->c, "msg");
      REQUIRE(p.has_value());
      CHECK(p->at("seq") == seq);
    }
  // ... and sending: bob and alice's other device get it.
  require_ok(a1, send_conv(conv, "back", "a-1"));
  auto pb = next_push_of(*b1.c, "msg");
  REQUIRE(pb.has_value());
  CHECK(pb->at("cmid") == "a-1");
  auto pa = next_push_of(*a2.c, "msg");
  REQUIRE(pa.has_value());
  CHECK(pa->at("cmid") == "a-1");
  // alice is online to bob (her devices attached to the new instance).
  bool online = false;
  for (int i = 0; i < 30 && !online; ++i) {
    auto r = require_ok(b1, {{"t", "presence"}, {"users", {"alice"}}});
    online = r.at("users")[0].at("online") == true;
    if (!online)
      std::this_thread::sleep_for(100ms);
  }
  CHECK(online);
  // A device that syncs has all seven, in order.
  auto h = full_history(b1, conv);
  REQUIRE(h.size() == 7);
  CHECK(replay(f, "alice", "a3", conv) == h);
}

TEST_CASE("supervision: more crashes than restart_intensity stop parleyd "
          "with status 1 and say why, and it restarts on consistent stores",
          "[e2e][supervision]") {
  server_options opts;
  opts.fault_injection = true;
  opts.restart_intensity = 3;
  parleyd_fixture f{opts};
  f.register_user("alice");
  f.register_user("bob");
  auto a = f.login("alice", "a1");
  auto conv =
    require_ok(a, send_to("bob", "kept", "k-1")).at("conv").get<std::string>();
  for (int i = 0; i < 3; ++i)
    require_ok(a, fault("conv", conv, "crash"));
  // Three crashes are tolerated: the conversation still serves.
  require_ok(a, send_conv(conv, "still", "k-2"));
  a->send(fault("conv", conv, "crash")); // the fourth within 10 s
  auto status = f.server().wait_exit(10s);
  auto log = f.server().log();
  INFO(log);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(log.find("conv supervisor: 4 crashes within 10 s exceed "
                 "restart_intensity 3")
        != std::string::npos);
  CHECK(log.find("parleyd: stopping after a fatal failure: the directory "
                 "ended")
        != std::string::npos);
  // A service manager starts it again: everything acknowledged is there.
  f.start();
  auto b = f.login("bob", "b1");
  auto h = full_history(b, conv);
  REQUIRE(h.size() == 2);
  CHECK(std::get<2>(h[0]) == "k-1");
  CHECK(std::get<2>(h[1]) == "k-2");
}

TEST_CASE("supervision: without fault_injection `fault` is an unknown type",
          "[e2e][supervision]") {
  parleyd_fixture f;
  f.register_user("alice");
  auto fresh = f.connect_hello();
  auto before = fresh->call(fault("conv", "d.x", "crash"));
  CHECK(before.at("code") == "unknown_type");
  auto a = f.login("alice", "a1");
  auto r = a->call(fault("user", "alice", "crash"));
  auto u = a->call({{"t", "no_such_request"}});
  CHECK(r.at("t") == "err");
  CHECK(r.at("code") == "unknown_type");
  CHECK(u.at("code") == "unknown_type");
  CHECK(r.at("msg") == "unknown request type 'fault'");
  // The node is unharmed.
  require_ok(a, {{"t", "ping"}});
}

TEST_CASE("supervision: with fault_injection, `fault` is checked like any "
          "request",
          "[e2e][supervision]") {
  server_options opts;
  opts.fault_injection = true;
  parleyd_fixture f{opts};
  f.register_user("alice");
  auto fresh = f.connect_hello();
  CHECK(fresh->call(fault("user", "alice", "crash")).at("code")
        == "unauthenticated");
  auto a = f.login("alice", "a1");
  CHECK(a->call(fault("node", "x", "crash")).at("code") == "bad_request");
  CHECK(a->call(fault("user", "", "crash")).at("code") == "bad_request");
  CHECK(a->call(fault("user", "alice", "explode")).at("code") == "bad_request");
  CHECK(a->call(fault("user", "alice", "delay", 60001)).at("code")
        == "bad_request");
  // A delay stalls the entity, not the node.
  require_ok(a, fault("user", "alice", "delay", 300));
  auto t0 = steady_clock::now();
  require_ok(a, {{"t", "convs"}}); // asks alice's user actor
  CHECK(steady_clock::now() - t0 >= 250ms);
}

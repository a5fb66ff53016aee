// End-to-end: presence, watch/unwatch, flapping grace, visibility, last_seen
// across a restart, and a vanished client (protocol.md, "Presence").

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e/e2e_assertions.hpp"
#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {



/// The presence reply's line for `user`.
json line_of(const json& reply, const std::string& user) {
  for (auto& l : reply.at("users"))
    if (l.at("user") == user)
      return l;
  FAIL("no line for " << user << " in " << reply.dump());
  return {};
}

/// alice and bob share a direct conversation; carol shares nothing with
/// either; dave shares a group with bob only.
struct presence_world {
  parleyd_fixture f;

  explicit presence_world(server_options opts = {}) : f(std::move(opts)) {
    for (auto u : {"alice", "bob", "carol", "dave"})
      f.register_user(u);
    auto a = f.login("alice", "setup");
    require_ok(a, send_to("bob", "hi", "c1"));
    auto b = f.login("bob", "setup");
    require_ok(b, {{"t", "group_create"}, {"name", "g"}, {"members", {"dave"}}});
    a.c.reset();
    b.c.reset();
    // Let the setup devices' grace pass: alice and bob are offline.
    std::this_thread::sleep_for(
      std::chrono::milliseconds(f.options().presence_grace_ms + 300));
  }
};

} // namespace

TEST_CASE("presence: who is online, seen only by those who share a "
          "conversation",
          "[e2e][presence]") {
  presence_world w;
  auto alice = w.f.login("alice", "phone");
  auto bob = w.f.login("bob", "phone");
  auto t0 = now_ms();
  auto r = require_ok(bob, {{"t", "presence"},
                    {"users", {"alice", "carol", "dave", "nobody", "bob"}}});
  REQUIRE(r.at("users").size() == 5);
  CHECK(r.at("users")[0].at("user") == "alice"); // in request order
  auto a = line_of(r, "alice");
  CHECK(a.at("online") == true);
  CHECK(a.at("last_seen").get<int64_t>() >= t0 - 1000);
  // dave shares the group with bob; he never logged in.
  auto d = line_of(r, "dave");
  CHECK(d.at("online") == false);
  CHECK(d.at("last_seen").is_null());
  CHECK(line_of(r, "bob").at("online") == true);
  // carol and a user that does not exist look the same: offline, no
  // last_seen.
  auto c = line_of(r, "carol");
  auto n = line_of(r, "nobody");
  CHECK(c == json{{"user", "carol"}, {"online", false}});
  CHECK(n == json{{"user", "nobody"}, {"online", false}});
  // Visibility is mutual and only through shared conversations.
  auto carol = w.f.login("carol", "phone");
  auto rc = require_ok(carol, {{"t", "presence"}, {"users", {"alice", "bob"}}});
  CHECK(line_of(rc, "alice") == json{{"user", "alice"}, {"online", false}});
  CHECK(line_of(rc, "bob") == json{{"user", "bob"}, {"online", false}});
  // Bad input.
  auto bad = bob->call({{"t", "presence"}, {"users", "alice"}});
  CHECK(bad.at("code") == "bad_request");
  json many = json::array();
  for (int i = 0; i < 257; ++i)
    many.push_back("u" + std::to_string(i));
  CHECK(bob->call({{"t", "presence"}, {"users", many}}).at("code")
        == "bad_request");
}

TEST_CASE("presence: watchers get online and offline pushes, with last_seen",
          "[e2e][presence]") {
  server_options opts;
  opts.presence_grace_ms = 300;
  presence_world w{opts};
  auto bob = w.f.login("bob", "phone");
  require_ok(bob, {{"t", "watch"}, {"users", {"alice"}}});
  // The current state comes first: alice is offline.
  auto p = next_push_of(*bob.c, "presence");
  REQUIRE(p);
  CHECK(p->at("user") == "alice");
  CHECK(p->at("online") == false);

  auto alice = w.f.login("alice", "phone");
  p = next_push_of(*bob.c, "presence");
  REQUIRE(p);
  CHECK(p->at("online") == true);
  // A second device changes nothing.
  auto alice2 = w.f.login("alice", "laptop");
  CHECK_FALSE(next_push_of(*bob.c, "presence", std::chrono::milliseconds(600)));
  alice2.c.reset();
  CHECK_FALSE(next_push_of(*bob.c, "presence", std::chrono::milliseconds(600)));

  auto left = now_ms();
  alice.c.reset(); // the last device goes away (clean close)
  p = next_push_of(*bob.c, "presence", std::chrono::milliseconds(3000));
  auto told = now_ms();
  REQUIRE(p);
  CHECK(p->at("online") == false);
  auto seen = p->at("last_seen").get<int64_t>();
  CHECK(seen >= left - 50);
  CHECK(seen <= left + 1000);
  CHECK(told - left >= 250); // not before the grace
  // unwatch: nothing more.
  require_ok(bob, {{"t", "unwatch"}, {"users", {"alice"}}});
  auto again = w.f.login("alice", "phone");
  CHECK_FALSE(next_push_of(*bob.c, "presence", std::chrono::milliseconds(600)));
}

TEST_CASE("presence: a device reconnecting within the grace is not flapping",
          "[e2e][presence]") {
  server_options opts;
  opts.presence_grace_ms = 1500;
  presence_world w{opts};
  auto alice = w.f.login("alice", "phone");
  auto bob = w.f.login("bob", "phone");
  require_ok(bob, {{"t", "watch"}, {"users", {"alice"}}});
  auto p = next_push_of(*bob.c, "presence");
  REQUIRE(p);
  CHECK(p->at("online") == true);
  for (int i = 0; i < 3; ++i) {
    alice.c.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    alice = w.f.login("alice", "phone");
  }
  CHECK_FALSE(next_push_of(*bob.c, "presence", std::chrono::milliseconds(2000)));
}

TEST_CASE("presence: nothing about users one may not see",
          "[e2e][presence]") {
  server_options opts;
  opts.presence_grace_ms = 100;
  presence_world w{opts};
  auto carol = w.f.login("carol", "phone");
  require_ok(carol, {{"t", "watch"}, {"users", {"alice", "nobody"}}});
  auto alice = w.f.login("alice", "phone");
  alice.c.reset();
  CHECK_FALSE(next_push_of(*carol.c, "presence", std::chrono::milliseconds(800)));
  // The limit counts every watched name.
  json many = json::array();
  for (int i = 0; i < 255; ++i)
    many.push_back("u" + std::to_string(i));
  CHECK(carol->call({{"t", "watch"}, {"users", many}}).at("code")
        == "bad_request");
  many.erase(many.begin());
  require_ok(carol, {{"t", "watch"}, {"users", many}}); // 2 + 254 = 256
}

TEST_CASE("presence: last_seen survives a restart", "[e2e][presence]") {
  server_options opts;
  opts.presence_grace_ms = 100;
  presence_world w{opts};
  {
    auto alice = w.f.login("alice", "phone");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto bob = w.f.login("bob", "phone");
  auto before = line_of(require_ok(bob, {{"t", "presence"}, {"users", {"alice"}}}),
                        "alice");
  REQUIRE(before.at("last_seen").is_number());
  bob.c.reset();
  w.f.restart();
  bob = w.f.login("bob", "phone");
  auto after = line_of(require_ok(bob, {{"t", "presence"}, {"users", {"alice"}}}),
                       "alice");
  CHECK(after == before);
}

TEST_CASE("presence: a client that vanishes without closing goes offline "
          "within the heartbeat window",
          "[e2e][presence]") {
  server_options opts;
  opts.heartbeat_s = 1;
  opts.presence_grace_ms = 200;
  presence_world w{opts};
  auto bob = w.f.login("bob", "phone");
  require_ok(bob, {{"t", "watch"}, {"users", {"alice"}}});
  REQUIRE(next_push_of(*bob.c, "presence")); // offline, at first
  auto alice = w.f.login("alice", "phone");
  auto p = next_push_of(*bob.c, "presence");
  REQUIRE(p);
  REQUIRE(p->at("online") == true);
  // alice's client stops reading and writing but keeps its socket open
  // (half-open, as when the peer's machine vanished). bob keeps pinging.
  auto t0 = now_ms();
  std::optional<json> offline;
  while (now_ms() - t0 < 6000 && !offline) {
    REQUIRE(bob->call({{"t", "ping"}}).at("t") == "ok");
    offline = next_push_of(*bob.c, "presence", std::chrono::milliseconds(250));
  }
  REQUIRE(offline);
  CHECK(offline->at("online") == false);
  auto after = now_ms() - t0;
  CHECK(after >= 1900);   // 2 * heartbeat_s without a frame
  CHECK(after <= 4500);   // + one heartbeat check + the grace
}

// End-to-end: a clean restart (SIGTERM, start again on the same data
// directory) keeps every acknowledged message, cursor, dedupe entry and
// token (protocol.md: "an acknowledged message is never lost"; tokens stay
// valid "across reconnects and server restarts").

#include <map>
#include <vector>

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {

std::vector<json> full_history(device& d, const std::string& conv) {
  std::vector<json> out;
  uint64_t after = 0;
  for (int guard = 0; guard < 100; ++guard) {
    auto r = d->call(
      {{"t", "history"}, {"conv", conv}, {"after", after}, {"limit", 100}});
    INFO(r.dump().substr(0, 300));
    REQUIRE(r.at("t") == "ok");
    for (auto& m : r.at("msgs"))
      out.push_back(m);
    if (!r.at("more"))
      break;
    after = out.back().at("seq").get<uint64_t>();
  }
  return out;
}

std::vector<json> replay_of(device& d, const std::string& conv) {
  std::vector<json> out;
  for (;;) {
    auto p = d->next_push();
    REQUIRE(p.has_value());
    if (p->at("t") == "synced")
      return out;
    REQUIRE(p->at("t") == "msg");
    if (p->at("conv") == conv) {
      p->erase("t");
      out.push_back(*p);
    }
  }
}

} // namespace

TEST_CASE("restart keeps acknowledged messages, cursors, dedupe and tokens",
          "[e2e][restart]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto a = f.login("alice", "a1");
  auto b = f.login("bob", "b1");
  auto alice_token = a.token;
  auto bob_token = b.token;

  // 150 acknowledged messages, pipelined (str and bin bodies).
  const uint64_t total = 150;
  auto first = a->call(send_to("bob", "m1", "k1"));
  REQUIRE(first.at("t") == "ok");
  auto conv = first.at("conv").get<std::string>();
  std::vector<uint64_t> ids;
  for (uint64_t i = 2; i <= total; ++i) {
    json body = i % 3 == 0 ? bin({uint8_t(i), uint8_t(i >> 8)})
                           : json("m" + std::to_string(i));
    ids.push_back(a->send(send_conv(conv, body, "k" + std::to_string(i))));
  }
  for (auto id : ids)
    REQUIRE(a->wait_reply(id).at("t") == "ok");
  // bob's device receives everything and acks 40 (barrier: receipts).
  for (uint64_t i = 1; i <= total; ++i) {
    auto p = next_push_of(*b.c, "msg");
    REQUIRE(p.has_value());
    REQUIRE(p->at("seq") == i);
  }
  b->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 40}});
  for (int i = 0; i < 200; ++i) {
    auto r = b->call({{"t", "receipts"}, {"conv", conv}});
    bool done = false;
    for (auto& m : r.at("members"))
      done = done || (m.at("user") == "bob" && m.at("delivered") == 40);
    if (done)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto before = full_history(a, conv);
  REQUIRE(before.size() == total);

  // Stop with SIGTERM: clients are told, the process exits 0.
  auto status = f.stop();
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  auto bye = next_push_of(*b.c, "bye", std::chrono::milliseconds(2000));
  if (bye) // the bye is optional ("may send")
    CHECK(bye->at("code") == "shutdown");
  CHECK(b->wait_closed(std::chrono::milliseconds(2000)));
  a.c->disconnect();
  b.c->disconnect();

  f.start();
  // Tokens still resume; history is intact, byte for byte.
  auto a2 = f.resume("alice", "a1", alice_token);
  auto b2 = f.resume("bob", "b1", bob_token);
  // bob's device resumes from its cursor: 41..150.
  auto replay = replay_of(b2, conv);
  REQUIRE(replay.size() == total - 40);
  for (size_t i = 0; i < replay.size(); ++i)
    REQUIRE(replay[i] == before[40 + i]);
  parleyd_fixture::drain_until_synced(*a2.c);
  auto after = full_history(a2, conv);
  REQUIRE(after.size() == total);
  for (size_t i = 0; i < total; ++i)
    REQUIRE(after[i] == before[i]);
  // A new device of bob's gets all of it.
  auto b3 = f.login("bob", "b3", false);
  CHECK(replay_of(b3, conv).size() == total);

  // The sequence goes on without a gap; dedupe survived.
  auto retry = a2->call(send_conv(conv, "m5", "k5"));
  CHECK(retry.at("seq") == 5);
  CHECK(retry.at("ts") == before[4].at("ts"));
  auto next = a2->call(send_conv(conv, "after restart", "k-new"));
  CHECK(next.at("seq") == total + 1);
  auto live = next_push_of(*b2.c, "msg");
  REQUIRE(live.has_value());
  CHECK(live->at("seq") == total + 1);
  // Positions survived: bob delivered 40 (then nothing acked since).
  auto r = a2->call({{"t", "receipts"}, {"conv", conv}});
  for (auto& m : r.at("members"))
    if (m.at("user") == "bob")
      CHECK(m.at("delivered") == 40);
  // The accounts survived: passwords work, duplicates are still refused.
  CHECK(f.connect_hello()->register_user("alice", "whatever1").at("code")
        == "user_exists");
  CHECK(f.connect_hello()
          ->login("alice", parleyd_fixture::password_of("alice"), "a9")
          .at("t")
        == "ok");
  // A second restart right away (nothing written since the first start but
  // one message) keeps it too.
  a2.c->disconnect();
  b2.c->disconnect();
  b3.c->disconnect();
  f.restart();
  auto a3 = f.resume("alice", "a1", alice_token);
  parleyd_fixture::drain_until_synced(*a3.c);
  auto again = full_history(a3, conv);
  REQUIRE(again.size() == total + 1);
  CHECK(again.back().at("body") == "after restart");
}

TEST_CASE("a crash (SIGKILL) loses no acknowledged message", "[e2e][restart]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto a = f.login("alice", "a1");
  auto b = f.login("bob", "b1");
  const uint64_t total = 80;
  auto first = a->call(send_to("bob", "m1", "k1"));
  REQUIRE(first.at("t") == "ok");
  auto conv = first.at("conv").get<std::string>();
  std::vector<uint64_t> ids;
  for (uint64_t i = 2; i <= total; ++i)
    ids.push_back(a->send(
      send_conv(conv, "m" + std::to_string(i), "k" + std::to_string(i))));
  for (auto id : ids)
    REQUIRE(a->wait_reply(id).at("t") == "ok");
  // Every ok above means "durable": kill at once, no shutdown.
  auto status = f.crash();
  REQUIRE(status.has_value());
  CHECK(WIFSIGNALED(*status));
  CHECK(b->wait_closed(std::chrono::milliseconds(2000)));
  a.c->disconnect();
  b.c->disconnect();

  f.start();
  auto a2 = f.resume("alice", "a1", a.token);
  parleyd_fixture::drain_until_synced(*a2.c);
  auto h = full_history(a2, conv);
  REQUIRE(h.size() == total);
  for (uint64_t i = 0; i < total; ++i) {
    CHECK(h[i].at("seq") == i + 1);
    CHECK(h[i].at("body") == "m" + std::to_string(i + 1));
  }
  // bob's device acked nothing: it gets all of it.
  auto b2 = f.resume("bob", "b1", b.token);
  CHECK(replay_of(b2, conv).size() == total);
  // The sequence and dedupe go on from the store.
  CHECK(a2->call(send_conv(conv, "again", "k7")).at("seq") == 7);
  CHECK(a2->call(send_conv(conv, "new", "k-new")).at("seq") == total + 1);
}

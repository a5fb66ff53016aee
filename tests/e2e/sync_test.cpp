// End-to-end: offline delivery, multi-device sync with per-device cursors,
// and history paging (protocol.md, "Conversations and messages").

#include <chrono>
#include <map>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/e2e_assertions.hpp"
#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {


/// Reads the login replay up to `synced`: conv -> the msg pushes, in order.
std::map<std::string, std::vector<json>> read_replay(device& d) {
  std::map<std::string, std::vector<json>> out;
  for (;;) {
    auto p = d->next_push();
    INFO("replay of " << d.user << "/" << d.name);
    REQUIRE(p.has_value());
    if (p->at("t") == "synced")
      return out;
    REQUIRE(p->at("t") == "msg");
    out[p->at("conv").get<std::string>()].push_back(*p);
  }
}

} // namespace

TEST_CASE("offline delivery: the replay comes on login, then synced",
          "[e2e][sync]") {
  parleyd_fixture f;
  for (auto u : {"alice", "bob", "carol"})
    f.register_user(u);
  auto a = f.login("alice", "a1");
  auto c = f.login("carol", "c1");
  std::string ab, cb;
  std::vector<json> sent_ab;
  for (int i = 1; i <= 7; ++i) {
    auto r = require_ok(a, send_to("bob", "from alice " + std::to_string(i),
                                "a-" + std::to_string(i)));
    ab = r.at("conv").get<std::string>();
    sent_ab.push_back(r);
  }
  for (int i = 1; i <= 3; ++i)
    cb = require_ok(c, send_to("bob", bin({uint8_t(i), 0, uint8_t(i)}),
                            "c-" + std::to_string(i)))
           .at("conv")
           .get<std::string>();

  // bob was never online: his first login replays both conversations.
  auto b = f.login("bob", "phone", false);
  auto replay = read_replay(b);
  REQUIRE(replay.size() == 2);
  REQUIRE(seqs(replay[ab]) == range(1, 7));
  for (size_t i = 0; i < 7; ++i) {
    auto& m = replay[ab][i];
    CHECK(m
          == json{{"t", "msg"},
                  {"conv", ab},
                  {"seq", i + 1},
                  {"from", "alice"},
                  {"ts", sent_ab[i].at("ts")},
                  {"kind", "text"},
                  {"body", "from alice " + std::to_string(i + 1)},
                  {"cmid", "a-" + std::to_string(i + 1)}});
  }
  REQUIRE(seqs(replay[cb]) == range(1, 3));
  CHECK(bytes_of(replay[cb][2].at("body")) == std::vector<uint8_t>{3, 0, 3});
  CHECK(replay[cb][2].at("from") == "carol");
  // Then live traffic, and nothing else.
  CHECK(no_push(*b.c, std::chrono::milliseconds(150)));
  require_ok(a, send_conv(ab, "live", "a-8"));
  auto live = next_push(*b.c);
  REQUIRE(live.has_value());
  CHECK(live->at("seq") == 8);
  CHECK(live->at("body") == "live");

  // A user with nothing waiting gets synced at once.
  auto lonely_user = "dave";
  f.register_user(lonely_user);
  auto d = f.login(lonely_user, "x", false);
  auto p = d->next_push();
  REQUIRE(p.has_value());
  CHECK(*p == json{{"t", "synced"}});
}

TEST_CASE("history pages have no gap and no overlap in both directions",
          "[e2e][history]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  f.register_user("carol");
  auto a = f.login("alice", "a1");
  const uint64_t total = 125;
  // Pipelined sends, then their replies.
  std::vector<uint64_t> ids;
  auto first = require_ok(a, send_to("bob", "msg 1", "h1"));
  auto conv = first.at("conv").get<std::string>();
  for (uint64_t i = 2; i <= total; ++i)
    ids.push_back(a->send(
      send_conv(conv, "msg " + std::to_string(i), "h" + std::to_string(i))));
  for (size_t i = 0; i < ids.size(); ++i) {
    auto r = a->wait_reply(ids[i]);
    REQUIRE(r.at("t") == "ok");
    REQUIRE(r.at("seq") == i + 2); // one connection: seqs in request order
  }
  auto b = f.login("bob", "b1", false);
  auto history = [&](json q) {
    q["t"] = "history";
    q["conv"] = conv;
    auto r = b->call(q);
    INFO(q.dump() << " -> " << r.dump().substr(0, 300));
    REQUIRE(r.at("t") == "ok");
    REQUIRE(r.at("conv") == conv);
    REQUIRE(r.at("msgs").is_array());
    REQUIRE(r.at("more").is_boolean());
    return r;
  };
  auto page_seqs = [](const json& r) {
    std::vector<uint64_t> out;
    for (auto& m : r.at("msgs"))
      out.push_back(m.at("seq").get<uint64_t>());
    return out;
  };

  // Default: the newest 50, ascending, more before them.
  auto newest = history({});
  CHECK(page_seqs(newest) == range(76, 125));
  CHECK(newest.at("more") == true);
  auto& m125 = newest.at("msgs").back();
  CHECK(m125.size() == 7); // conv, seq, from, ts, kind, body, cmid; no t
  CHECK_FALSE(m125.contains("t"));
  CHECK(m125.at("conv") == conv);
  CHECK(m125.at("from") == "alice");
  CHECK(m125.at("body") == "msg 125");
  CHECK(m125.at("cmid") == "h125");
  CHECK(m125.at("kind") == "text");
  CHECK(m125.at("ts").is_number_integer());

  // Backward with default limit: 26..75, then 1..25 and no more.
  auto p2 = history({{"before", 76}});
  CHECK(page_seqs(p2) == range(26, 75));
  CHECK(p2.at("more") == true);
  auto p3 = history({{"before", 26}});
  CHECK(page_seqs(p3) == range(1, 25));
  CHECK(p3.at("more") == false);

  // Backward with an odd limit covers 1..125 exactly once.
  std::vector<uint64_t> all;
  uint64_t before = total + 1;
  for (int guard = 0; guard < 100; ++guard) {
    auto r = history({{"before", before}, {"limit", 7}});
    auto s = page_seqs(r);
    REQUIRE(s.size() <= 7);
    REQUIRE_FALSE(s.empty());
    REQUIRE(s.back() == before - 1);
    all.insert(all.begin(), s.begin(), s.end());
    before = s.front();
    if (!r.at("more"))
      break;
  }
  CHECK(all == range(1, total));

  // Forward: after 0 is the oldest page; walk with limit 13.
  all.clear();
  uint64_t after = 0;
  for (int guard = 0; guard < 100; ++guard) {
    auto r = history({{"after", after}, {"limit", 13}});
    auto s = page_seqs(r);
    REQUIRE_FALSE(s.empty());
    REQUIRE(s.size() <= 13);
    REQUIRE(s.front() == after + 1);
    all.insert(all.end(), s.begin(), s.end());
    after = s.back();
    if (!r.at("more"))
      break;
  }
  CHECK(all == range(1, total));
  auto fwd = history({{"after", 100}, {"limit", 100}});
  CHECK(page_seqs(fwd) == range(101, 125));
  CHECK(fwd.at("more") == false);
  auto exact = history({{"after", 25}, {"limit", 100}});
  CHECK(page_seqs(exact) == range(26, 125));
  CHECK(exact.at("more") == false);
  auto full = history({{"after", 24}, {"limit", 100}});
  CHECK(page_seqs(full) == range(25, 124));
  CHECK(full.at("more") == true);

  // Edges.
  auto end = history({{"after", total}});
  CHECK(end.at("msgs").empty());
  CHECK(end.at("more") == false);
  auto start = history({{"before", 1}});
  CHECK(start.at("msgs").empty());
  CHECK(start.at("more") == false);
  auto one = history({{"limit", 1}});
  CHECK(page_seqs(one) == std::vector<uint64_t>{125});
  CHECK(one.at("more") == true);
  auto beyond = history({{"before", 1000}, {"limit", 3}});
  CHECK(page_seqs(beyond) == range(123, 125));

  // Bad queries are bad_request, and the connection stays up.
  for (auto q : {json{{"limit", 0}}, json{{"limit", 101}}, json{{"limit", "5"}},
                 json{{"before", -3}}, json{{"after", "1"}},
                 json{{"before", 5}, {"after", 1}}}) {
    q["t"] = "history";
    q["conv"] = conv;
    auto r = b->call(q);
    INFO(q.dump() << " -> " << r.dump());
    CHECK(r.at("t") == "err");
    CHECK(r.at("code") == "bad_request");
  }
  auto missing = b->call({{"t", "history"}});
  CHECK(missing.at("code") == "bad_request");
  // Not a member: forbidden.
  auto c = f.login("carol", "c1");
  CHECK(c->call({{"t", "history"}, {"conv", conv}}).at("code") == "forbidden");
  CHECK(b->call({{"t", "ping"}}).at("t") == "ok");
}

TEST_CASE("a login during a burst joins replay and live traffic without a gap",
          "[e2e][sync]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto a = f.login("alice", "a1");
  auto first = require_ok(a, send_to("bob", "m1", "m1"));
  auto conv = first.at("conv").get<std::string>();
  const int before = 120, during = 200, total = before + during;
  std::vector<uint64_t> ids;
  for (int i = 2; i <= before; ++i)
    ids.push_back(a->send(
      send_conv(conv, "m" + std::to_string(i), "m" + std::to_string(i))));
  for (auto id : ids)
    REQUIRE(a->wait_reply(id).at("t") == "ok");
  ids.clear();
  // alice keeps sending while bob's device logs in.
  for (int i = before + 1; i <= before + during / 2; ++i)
    ids.push_back(a->send(
      send_conv(conv, "m" + std::to_string(i), "m" + std::to_string(i))));
  auto b = f.login("bob", "b1", false);
  for (int i = before + during / 2 + 1; i <= total; ++i)
    ids.push_back(a->send(
      send_conv(conv, "m" + std::to_string(i), "m" + std::to_string(i))));
  for (auto id : ids)
    REQUIRE(a->wait_reply(id).at("t") == "ok");
  // bob sees every seq in order: at least once, duplicates only of what
  // he already has (clients drop those), no gap.
  uint64_t last = 0;
  int synced = 0;
  while (last < static_cast<uint64_t>(total)) {
    auto p = b->next_push();
    INFO("after seq " << last);
    REQUIRE(p.has_value());
    if (p->at("t") == "synced") {
      ++synced;
      continue;
    }
    REQUIRE(p->at("t") == "msg");
    auto seq = p->at("seq").get<uint64_t>();
    REQUIRE(seq <= last + 1);
    if (seq == last + 1) {
      CHECK(p->at("body") == "m" + std::to_string(seq));
      last = seq;
    }
  }
  // synced comes exactly once (possibly after the last message).
  if (synced == 0) {
    auto p = next_push_of(*b.c, "synced");
    REQUIRE(p.has_value());
    ++synced;
  }
  CHECK(synced == 1);
  CHECK_FALSE(next_push_of(*b.c, "synced", std::chrono::milliseconds(200)));
}

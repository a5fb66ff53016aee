// End-to-end: send, pushes to every device, dedupe, validation, receipts,
// typing and the convs list (protocol.md, "Conversations and messages").

#include <chrono>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/e2e_assertions.hpp"
#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {



/// The next `msg` push; fails the test if none comes.
json next_msg(device& d) {
  auto p = next_push_of(*d.c, "msg");
  INFO("device " << d.user << "/" << d.name);
  REQUIRE(p.has_value());
  return *p;
}

void require_err(const json& r, const std::string& code) {
  INFO(r.dump());
  REQUIRE(r.at("t") == "err");
  REQUIRE(r.at("code") == code);
  REQUIRE(r.at("msg").is_string());
}

} // namespace

TEST_CASE("send reaches every device of both members, in gapless order",
          "[e2e][messaging]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto a1 = f.login("alice", "a1");
  auto a2 = f.login("alice", "a2");
  auto b1 = f.login("bob", "b1");
  auto b2 = f.login("bob", "b2");

  auto t0 = now_ms();
  auto r = require_ok(a1, send_to("bob", "hi bob", "c1"));
  auto t1 = now_ms();
  REQUIRE(r.at("conv").is_string());
  auto conv = r.at("conv").get<std::string>();
  CHECK_FALSE(conv.empty());
  CHECK(conv.size() <= 64);
  CHECK(r.at("seq") == 1);
  auto ts = r.at("ts").get<int64_t>();
  CHECK(ts >= t0 - 1000);
  CHECK(ts <= t1 + 1000);
  CHECK(r.size() == 5); // t, id, conv, seq, ts

  json expected = {{"t", "msg"},       {"conv", conv}, {"seq", 1},
                   {"from", "alice"},  {"ts", ts},     {"kind", "text"},
                   {"body", "hi bob"}, {"cmid", "c1"}};
  for (auto* d : {&a2, &b1, &b2})
    CHECK(next_msg(*d) == expected);

  // The reply goes the other way, by conv, with a bin body and a kind.
  std::vector<uint8_t> blob = {0, 1, 2, 0xff, 0xfe, 0x80, 0};
  auto r2 = require_ok(b2, {{"t", "send"},
                         {"conv", conv},
                         {"body", bin(blob)},
                         {"cmid", "c1"},
                         {"kind", "e2ee"}});
  CHECK(r2.at("conv") == conv);
  CHECK(r2.at("seq") == 2);
  CHECK(r2.at("ts").get<int64_t>() >= ts);
  for (auto* d : {&a1, &a2, &b1}) {
    auto m = next_msg(*d);
    CHECK(m.at("seq") == 2);
    CHECK(m.at("from") == "bob");
    CHECK(m.at("kind") == "e2ee");
    CHECK(m.at("cmid") == "c1");
    REQUIRE(m.at("body").is_binary());
    CHECK(bytes_of(m.at("body")) == blob);
  }

  // The same conversation whoever opens it: `to` from bob finds it.
  auto r3 = require_ok(b1, send_to("alice", "", "c3")); // an empty body is fine
  CHECK(r3.at("conv") == conv);
  CHECK(r3.at("seq") == 3);

  for (auto* d : {&a2, &b2})
    CHECK(next_msg(*d).at("seq") == 3);

  // A pipelined burst from both sides: every device sees 4..N gapless and
  // in order.
  const int burst = 40;
  for (int i = 0; i < burst; ++i) {
    auto& from = (i % 2 == 0) ? a1 : b1;
    from->send(
      send_conv(conv, "m" + std::to_string(i), "burst-" + std::to_string(i)));
  }
  for (auto* d : {&a2, &b2}) {
    for (int n = 0; n < burst; ++n)
      REQUIRE(next_msg(*d).at("seq") == 4 + n);
  }
  // The senders' own devices get the other side's messages; nothing is
  // pushed twice.
  CHECK(no_push(*a2.c, std::chrono::milliseconds(100)));
  CHECK(no_push(*b2.c, std::chrono::milliseconds(100)));
}

TEST_CASE("send is idempotent on (user, conv, cmid)", "[e2e][messaging]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto a = f.login("alice", "a1");
  auto b = f.login("bob", "b1");

  auto first = require_ok(a, send_to("bob", "once", "dup-1"));
  auto conv = first.at("conv").get<std::string>();
  auto m = next_msg(b);
  CHECK(m.at("seq") == 1);

  // A retry (to or conv, even with another body) returns the original.
  auto again = require_ok(a, send_to("bob", "once", "dup-1"));
  CHECK(again.at("seq") == first.at("seq"));
  CHECK(again.at("ts") == first.at("ts"));
  CHECK(again.at("conv") == conv);
  auto again2 = require_ok(a, send_conv(conv, "different", "dup-1"));
  CHECK(again2.at("seq") == 1);
  CHECK(again2.at("ts") == first.at("ts"));
  // ... and pushes nothing.
  CHECK(no_push(*b.c, std::chrono::milliseconds(300)));

  // Pipelined retries of a new cmid all get the same seq.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(a->send(send_conv(conv, "pipelined", "dup-2")));
  for (auto id : ids) {
    auto r = a->wait_reply(id);
    INFO(r.dump());
    CHECK(r.at("seq") == 2);
  }
  CHECK(next_msg(b).at("seq") == 2);
  CHECK(no_push(*b.c, std::chrono::milliseconds(300)));

  // The cmid belongs to its sender: bob's "dup-1" is a new message.
  auto bobs = require_ok(b, send_conv(conv, "mine", "dup-1"));
  CHECK(bobs.at("seq") == 3);
  // Nothing was created by the retries: history holds exactly 1..3.
  auto h = a->call({{"t", "history"}, {"conv", conv}});
  REQUIRE(h.at("msgs").size() == 3);
  CHECK(h.at("msgs")[0].at("body") == "once");
  CHECK(h.at("msgs")[1].at("body") == "pipelined");
  CHECK(h.at("msgs")[2].at("from") == "bob");
}

TEST_CASE("send validation: max_body, cmid, target, membership",
          "[e2e][messaging]") {
  server_options opts;
  opts.max_body = 1000;
  parleyd_fixture f{opts};
  f.register_user("alice");
  f.register_user("bob");
  f.register_user("carol");
  auto a = f.login("alice", "a1");
  auto c = f.login("carol", "c1");

  // max_body, str and bin: exactly max_body passes, one more byte does not.
  CHECK(require_ok(a, send_to("bob", std::string(1000, 'x'), "b1")).at("seq")
        == 1);
  auto conv =
    require_ok(a, send_to("bob", bin(std::vector<uint8_t>(1000, 7)), "b2"))
      .at("conv")
      .get<std::string>();
  require_err(a->call(send_to("bob", std::string(1001, 'x'), "b3")),
              "bad_request");
  require_err(a->call(send_to("bob", bin(std::vector<uint8_t>(1001, 7)), "b4")),
              "bad_request");

  // cmid: required, a string of at most 64 bytes.
  CHECK(require_ok(a, send_to("bob", "x", std::string(64, 'c'))).at("seq") == 3);
  require_err(a->call(send_to("bob", "x", std::string(65, 'c'))),
              "bad_request");
  require_err(a->call({{"t", "send"}, {"to", "bob"}, {"body", "x"}}),
              "bad_request");
  require_err(
    a->call({{"t", "send"}, {"to", "bob"}, {"body", "x"}, {"cmid", 5}}),
    "bad_request");
  // body: str or bin, required.
  require_err(
    a->call({{"t", "send"}, {"to", "bob"}, {"body", 12}, {"cmid", "k"}}),
    "bad_request");
  require_err(a->call({{"t", "send"}, {"to", "bob"}, {"cmid", "k"}}),
              "bad_request");
  // Exactly one of to / conv.
  require_err(a->call({{"t", "send"},
                       {"to", "bob"},
                       {"conv", conv},
                       {"body", "x"},
                       {"cmid", "k"}}),
              "bad_request");
  require_err(a->call({{"t", "send"}, {"body", "x"}, {"cmid", "k"}}),
              "bad_request");

  // Unknown users and conversations.
  require_err(a->call(send_to("nobody", "x", "k1")), "no_such_user");
  require_err(a->call(send_to("NOT VALID", "x", "k2")), "no_such_user");
  require_err(a->call(send_conv("no-such-conv", "x", "k3")), "forbidden");

  // A non-member learns nothing: every request on the conv is forbidden,
  // exactly like on a conv that does not exist.
  auto forbid_send = c->call(send_conv(conv, "let me in", "k4"));
  auto missing_send = c->call(send_conv("d.00000000", "let me in", "k4"));
  require_err(forbid_send, "forbidden");
  require_err(missing_send, "forbidden");
  CHECK(forbid_send.at("msg") == missing_send.at("msg"));
  require_err(c->call({{"t", "history"}, {"conv", conv}}), "forbidden");
  require_err(c->call({{"t", "receipts"}, {"conv", conv}}), "forbidden");
  // typing and ack carry no id: their err comes without one.
  c->send_no_id({{"t", "typing"}, {"conv", conv}, {"on", true}});
  auto e = c->next_push();
  REQUIRE(e.has_value());
  CHECK_FALSE(e->contains("id"));
  require_err(*e, "forbidden");
  CHECK(c->call({{"t", "convs"}}).at("convs").empty());

  // Nothing above was stored: bob's history holds exactly the 3 accepted.
  auto b = f.login("bob", "b1", false);
  int msgs = 0;
  for (;;) {
    auto p = b->next_push();
    REQUIRE(p.has_value());
    if (p->at("t") == "synced")
      break;
    CHECK(p->at("seq") == ++msgs);
  }
  CHECK(msgs == 3);
  // Every error above left the connections up.
  CHECK(a->call({{"t", "ping"}}).at("t") == "ok");
  CHECK(c->call({{"t", "ping"}}).at("t") == "ok");
}

TEST_CASE("receipts: delivered and read pushes and the receipts query",
          "[e2e][messaging]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto a1 = f.login("alice", "a1");
  auto a2 = f.login("alice", "a2");
  auto b1 = f.login("bob", "b1");
  auto b2 = f.login("bob", "b2");
  std::string conv;
  for (int i = 1; i <= 4; ++i)
    conv = require_ok(a1, send_to("bob", "m" + std::to_string(i),
                               "r" + std::to_string(i)))
             .at("conv")
             .get<std::string>();
  for (int i = 1; i <= 4; ++i)
    CHECK(next_msg(b1).at("seq") == i);

  // bob's device acks 2: alice's devices learn "delivered 2".
  b1->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 2}});
  json delivered = {{"t", "receipt"},
                    {"conv", conv},
                    {"user", "bob"},
                    {"kind", "delivered"},
                    {"seq", 2}};
  for (auto* d : {&a1, &a2}) {
    auto p = next_push_of(*d->c, "receipt");
    REQUIRE(p.has_value());
    CHECK(*p == delivered);
  }
  // An ack that does not move the position pushes nothing.
  b2->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 1}});
  CHECK(no_push(*a1.c, std::chrono::milliseconds(200)));

  // bob reads up to 3.
  b2->send_no_id({{"t", "read"}, {"conv", conv}, {"seq", 3}});
  auto read_receipt = [&](device& d) -> json {
    for (;;) {
      auto p = next_push_of(*d.c, "receipt");
      REQUIRE(p.has_value());
      if (p->at("kind") == "read")
        return *p;
      CHECK(p->at("kind") == "delivered"); // a read may move delivered too
    }
  };
  for (auto* d : {&a1, &a2})
    CHECK(read_receipt(*d)
          == json{{"t", "receipt"},
                  {"conv", conv},
                  {"user", "bob"},
                  {"kind", "read"},
                  {"seq", 3}});
  // Receipts go to the other members only.
  CHECK(no_push(*b1.c, std::chrono::milliseconds(150)));

  auto r = a1->call({{"t", "receipts"}, {"conv", conv}});
  INFO(r.dump());
  REQUIRE(r.at("t") == "ok");
  REQUIRE(r.at("members").size() == 2);
  json by_user;
  for (auto& m : r.at("members"))
    by_user[m.at("user").get<std::string>()] = m;
  // bob: acked 2 then read 3 (reading implies having received).
  CHECK(by_user.at("bob")
        == json{{"user", "bob"}, {"delivered", 3}, {"read", 3}});
  // alice wrote 1..4 herself.
  CHECK(by_user.at("alice")
        == json{{"user", "alice"}, {"delivered", 4}, {"read", 4}});
  // bob sees the same from his side.
  CHECK(b1->call({{"t", "receipts"}, {"conv", conv}}).at("members").size()
        == 2);

  // Positions never move backward; an ack beyond the end is clamped.
  b1->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 1}});
  b1->send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", 1000}});
  auto p = next_push_of(*a1.c, "receipt");
  REQUIRE(p.has_value());
  CHECK(p->at("kind") == "delivered");
  CHECK(p->at("seq") == 4);
}

TEST_CASE("convs lists conversations with unread counts and typing is relayed",
          "[e2e][messaging]") {
  parleyd_fixture f;
  for (auto u : {"alice", "bob", "carol"})
    f.register_user(u);
  auto a = f.login("alice", "a1");
  auto b = f.login("bob", "b1");
  auto b2 = f.login("bob", "b2");
  auto c = f.login("carol", "c1");

  // Empty at first.
  auto empty = b->call({{"t", "convs"}});
  CHECK(empty
        == json{{"t", "ok"}, {"id", empty.at("id")}, {"convs", json::array()}});

  std::string ab, cb;
  for (int i = 1; i <= 5; ++i)
    ab = require_ok(
           a, send_to("bob", "a" + std::to_string(i), "a" + std::to_string(i)))
           .at("conv")
           .get<std::string>();
  for (int i = 1; i <= 2; ++i)
    cb = require_ok(
           c, send_to("bob", "c" + std::to_string(i), "c" + std::to_string(i)))
           .at("conv")
           .get<std::string>();
  CHECK(ab != cb);

  auto convs_of = [](device& d) {
    auto r = d->call({{"t", "convs"}});
    INFO(r.dump());
    REQUIRE(r.at("t") == "ok");
    json by_conv = json::object();
    for (auto& x : r.at("convs"))
      by_conv[x.at("conv").get<std::string>()] = x;
    return by_conv;
  };
  auto bl = convs_of(b);
  REQUIRE(bl.size() == 2);
  auto& x = bl.at(ab);
  CHECK(x.at("kind") == "direct");
  CHECK(x.at("name") == "alice");
  CHECK(x.at("members") == json{"alice", "bob"});
  CHECK(x.at("last_seq") == 5);
  CHECK(x.at("read_seq") == 0);
  CHECK(x.at("unread") == 5);
  CHECK(x.at("last").at("seq") == 5);
  CHECK(x.at("last").at("body") == "a5");
  CHECK(x.at("last").at("from") == "alice");
  CHECK(x.at("last").at("conv") == ab);
  CHECK_FALSE(x.at("last").contains("t"));
  CHECK(bl.at(cb).at("name") == "carol");
  CHECK(bl.at(cb).at("unread") == 2);

  // Reading moves unread (the read has no reply: poll, bounded).
  b->send_no_id({{"t", "read"}, {"conv", ab}, {"seq", 3}});
  json after;
  for (int i = 0; i < 100; ++i) {
    after = convs_of(b).at(ab);
    if (after.at("read_seq") == 3)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(after.at("read_seq") == 3);
  CHECK(after.at("unread") == 2);
  // The sender has nothing unread in her own conversation.
  auto al = convs_of(a);
  REQUIRE(al.size() == 1);
  CHECK(al.at(ab).at("name") == "bob");
  CHECK(al.at(ab).at("unread") == 0);
  CHECK(al.at(ab).at("read_seq") == 5);
  // carol does not see alice and bob's conversation.
  CHECK(convs_of(c).size() == 1);

  // Typing: relayed to the other members' devices, not stored.
  for (auto* d : {&a, &b, &b2})
    drain(*d->c);
  a->send_no_id({{"t", "typing"}, {"conv", ab}, {"on", true}});
  json typing_on = {
    {"t", "typing"}, {"conv", ab}, {"user", "alice"}, {"on", true}};
  for (auto* d : {&b, &b2}) {
    auto p = next_push_of(*d->c, "typing");
    REQUIRE(p.has_value());
    CHECK(*p == typing_on);
  }
  b2->send_no_id({{"t", "typing"}, {"conv", ab}, {"on", false}});
  auto p = next_push_of(*a.c, "typing");
  REQUIRE(p.has_value());
  CHECK(*p
        == json{{"t", "typing"}, {"conv", ab}, {"user", "bob"}, {"on", false}});
  // Not to the typer's own other device, not to outsiders, not stored.
  CHECK(no_push(*c.c, std::chrono::milliseconds(150)));
  CHECK(no_push(*b.c, std::chrono::milliseconds(50)));
  auto h = a->call({{"t", "history"}, {"conv", ab}});
  CHECK(h.at("msgs").size() == 5);
  // `on` must be a boolean.
  a->send_no_id({{"t", "typing"}, {"conv", ab}, {"on", 1}});
  auto e = a->next_push();
  REQUIRE(e.has_value());
  require_err(*e, "bad_request");
}

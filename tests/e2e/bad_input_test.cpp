// End-to-end: bad input is answered exactly as protocol.md says ("Framing",
// "Requests, replies, pushes", "Session"), while another client on the same
// node keeps being served.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {

/// A length prefix alone: `n`, 4 bytes big-endian.
std::string header(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
          static_cast<char>(n >> 8), static_cast<char>(n)};
}

/// One frame: the length prefix, then `payload` as is.
std::string frame(const std::string& payload) {
  return header(static_cast<uint32_t>(payload.size())) + payload;
}

std::string msgpack(const json& j) {
  auto bytes = json::to_msgpack(j);
  return {bytes.begin(), bytes.end()};
}

/// alice and bob, logged in: alice sends, bob must receive. Used to show the
/// node keeps serving while another connection misbehaves.
struct bystanders {
  device alice;
  device bob;
  int sent = 0;

  explicit bystanders(parleyd_fixture& f)
      : alice(f.login("alice", "a1")), bob(f.login("bob", "b1")) {}

  void check_served() {
    ++sent;
    auto r =
      alice->call(send_to("bob", "still here", "s" + std::to_string(sent)),
                  std::chrono::milliseconds(3000));
    INFO(r.dump());
    REQUIRE(r.at("t") == "ok");
    REQUIRE(r.at("seq") == sent);
    auto p = next_push_of(*bob.c, "msg", std::chrono::milliseconds(3000));
    REQUIRE(p.has_value());
    REQUIRE(p->at("seq") == sent);
    REQUIRE(bob->call({{"t", "ping"}}).at("t") == "ok");
  }
};

void register_bystanders(parleyd_fixture& f) {
  f.register_user("alice");
  f.register_user("bob");
}

/// After a framing error: `err` (no id) with `code`, then `bye`, then close.
void require_framing_error(client& c, const std::string& code) {
  auto err = c.next_frame(std::chrono::milliseconds(3000));
  REQUIRE(err.has_value());
  INFO(err->dump());
  CHECK(err->at("t") == "err");
  CHECK(err->at("code") == code);
  CHECK(err->at("msg").is_string());
  CHECK_FALSE(err->contains("id"));
  auto bye = c.next_frame(std::chrono::milliseconds(3000));
  REQUIRE(bye.has_value());
  INFO(bye->dump());
  CHECK(bye->at("t") == "bye");
  CHECK(bye->at("code").is_string());
  CHECK(bye->at("msg").is_string());
  CHECK_FALSE(bye->contains("id"));
  CHECK(c.wait_closed(std::chrono::milliseconds(3000)));
  CHECK_FALSE(c.next_frame(std::chrono::milliseconds(10)).has_value());
}

} // namespace

TEST_CASE("framing errors: err, bye, close, and the node keeps serving",
          "[e2e][bad_input]") {
  parleyd_fixture f;
  register_bystanders(f);
  bystanders others{f};

  struct bad_case {
    const char* name;
    std::string bytes;
    const char* code;
  };
  json ping = {{"t", "ping"}, {"id", 1}};
  std::vector<bad_case> cases = {
    {"zero-length frame", header(0), "bad_frame"},
    {"length above max_frame", header(65537), "too_large"},
    {"huge length", header(0xFFFFFFFFu), "too_large"},
    {"non-msgpack bytes", frame("\xc1\xc1\xc1"), "bad_frame"},
    {"text, not msgpack", frame("hello world"), "bad_frame"},
    {"msgpack array", frame(msgpack(json::array({1, 2, "t"}))), "bad_frame"},
    {"msgpack string", frame(msgpack("t")), "bad_frame"},
    {"msgpack integer", frame(msgpack(7)), "bad_frame"},
    {"map without t", frame(msgpack({{"id", 1}, {"x", "ping"}})), "bad_frame"},
    {"t not a string", frame(msgpack({{"t", 1}, {"id", 1}})), "bad_frame"},
    {"t as bin",
     frame(msgpack({{"t", json::binary({'p', 'i', 'n', 'g'})}, {"id", 1}})),
     "bad_frame"},
    {"truncated map", frame(msgpack(ping).substr(0, 5)), "bad_frame"},
    {"trailing bytes", frame(msgpack(ping) + "\xc0"), "bad_frame"},
    {"two maps in one frame", frame(msgpack(ping) + msgpack(ping)),
     "bad_frame"},
  };
  for (auto& bc : cases) {
    for (bool say_hello : {false, true}) {
      INFO(bc.name << (say_hello ? " after hello" : " as first frame"));
      auto c = f.connect();
      if (say_hello)
        REQUIRE(c->hello().at("t") == "ok");
      c->send_raw(bc.bytes);
      require_framing_error(*c, bc.code);
    }
    others.check_served();
  }

  // Requests ahead of the bad frame in the same write: their replies, if
  // any, come before the err (the connection is closing, so the server may
  // drop replies still in the making); the err, bye and close are certain.
  auto c = f.connect();
  c->send_raw(client::encode({{"t", "hello"}, {"v", 1}, {"id", 1}})
              + client::encode({{"t", "ping"}, {"id", 2}}) + header(0));
  std::vector<json> frames;
  for (;;) {
    auto fr = c->next_frame(std::chrono::milliseconds(3000));
    if (!fr)
      break;
    frames.push_back(*fr);
  }
  CHECK(c->closed());
  REQUIRE(frames.size() >= 2);
  auto& err = frames[frames.size() - 2];
  CHECK(err.at("t") == "err");
  CHECK(err.at("code") == "bad_frame");
  CHECK_FALSE(err.contains("id"));
  CHECK(frames.back().at("t") == "bye");
  for (size_t i = 0; i + 2 < frames.size(); ++i) {
    INFO(frames[i].dump());
    CHECK(frames[i].at("t") == "ok");
    CHECK(frames[i].at("id") == i + 1);
  }
  others.check_served();
}

TEST_CASE("frame size limits: max_frame passes, one byte more is too_large",
          "[e2e][bad_input]") {
  server_options opts;
  opts.max_frame = 8192;
  opts.max_body = 4096;
  parleyd_fixture f{opts};
  register_bystanders(f);
  bystanders others{f};
  // A ping padded with an unknown key to exactly `size` bytes.
  auto padded_ping = [](size_t size) {
    json j = {{"t", "ping"}, {"id", 9}, {"pad", ""}};
    auto base = msgpack(j).size();
    j["pad"] = std::string(size - base - 2, 'p'); // str16 header: +2 bytes
    auto bytes = msgpack(j);
    REQUIRE(bytes.size() == size);
    return frame(bytes);
  };
  auto c = f.connect_hello();
  c->send_raw(padded_ping(8192));
  CHECK(c->wait_reply(9) == json{{"t", "ok"}, {"id", 9}});
  c->send_raw(padded_ping(8193));
  require_framing_error(*c, "too_large");
  others.check_served();
}

TEST_CASE("truncated frames: the rest is awaited, closing mid-frame is clean",
          "[e2e][bad_input]") {
  parleyd_fixture f;
  register_bystanders(f);
  bystanders others{f};

  // A frame split across writes is put back together.
  auto c = f.connect_hello();
  auto whole = client::encode({{"t", "ping"}, {"id", 77}});
  c->send_raw(whole.substr(0, 2));
  CHECK_FALSE(c->next_frame(std::chrono::milliseconds(150)).has_value());
  c->send_raw(whole.substr(2, 5));
  CHECK_FALSE(c->next_frame(std::chrono::milliseconds(150)).has_value());
  CHECK_FALSE(c->closed());
  c->send_raw(whole.substr(7));
  CHECK(c->wait_reply(77) == json{{"t", "ok"}, {"id", 77}});

  // Truncated frames, then the client goes away: nothing breaks.
  for (int i = 0; i < 5; ++i) {
    auto t = f.connect();
    if (i % 2 == 1)
      REQUIRE(t->hello().at("t") == "ok");
    t->send_raw(header(100) + std::string(10 + i, '\x81'));
    CHECK_FALSE(t->next_frame(std::chrono::milliseconds(50)).has_value());
    t->disconnect();
  }
  // A truncated length prefix, then close.
  auto t = f.connect_hello();
  t->send_raw(std::string("\x00\x00", 2));
  t->disconnect();
  others.check_served();
  CHECK(c->call({{"t", "ping"}}).at("t") == "ok");
}

TEST_CASE("non-fatal errors: wrong field types, bad ids, unknown types",
          "[e2e][bad_input]") {
  parleyd_fixture f;
  register_bystanders(f);
  f.register_user("carol");
  bystanders others{f};
  auto c = f.login("carol", "c1");
  auto conv = others.alice->call(send_to("carol", "hi", "x1"))
                .at("conv")
                .get<std::string>();
  drain(*c.c);

  auto expect_err = [&](const json& req, const std::string& code) {
    INFO(req.dump());
    auto r = c->call(req);
    INFO(r.dump());
    CHECK(r.at("t") == "err");
    CHECK(r.at("code") == code);
    CHECK(r.at("msg").is_string());
  };
  // Unknown types: err unknown_type with the id; the connection stays.
  expect_err({{"t", "frobnicate"}}, "unknown_type");
  expect_err({{"t", ""}}, "unknown_type");
  expect_err({{"t", "PING"}}, "unknown_type");
  // Wrong field types: bad_request.
  expect_err({{"t", "hello"}, {"v", "1"}}, "bad_request");
  expect_err({{"t", "send"}, {"to", 5}, {"body", "x"}, {"cmid", "y"}},
             "bad_request");
  expect_err({{"t", "send"}, {"conv", conv}, {"body", {1, 2}}, {"cmid", "y"}},
             "bad_request");
  expect_err({{"t", "send"}, {"conv", conv}, {"body", nullptr}, {"cmid", "y"}},
             "bad_request");
  expect_err(
    {{"t", "send"}, {"conv", json::object()}, {"body", "b"}, {"cmid", "y"}},
    "bad_request");
  expect_err(
    {{"t", "send"}, {"conv", conv}, {"body", "b"}, {"cmid", "y"}, {"kind", 3}},
    "bad_request");
  expect_err({{"t", "history"}, {"conv", 1}}, "bad_request");
  expect_err({{"t", "history"}, {"conv", std::string(65, 'c')}}, "bad_request");
  expect_err({{"t", "history"}, {"conv", conv}, {"before", 1.5}},
             "bad_request");
  expect_err({{"t", "receipts"}, {"conv", true}}, "bad_request");
  expect_err(
    {{"t", "login"}, {"user", "x"}, {"password", "y"}, {"device", "z"}},
    "bad_request"); // already logged in

  // Requests without a reply (no id): their err carries no id.
  auto expect_push_err = [&](const json& req, const std::string& code) {
    INFO(req.dump());
    c->send_no_id(req);
    auto e = c->next_push();
    REQUIRE(e.has_value());
    INFO(e->dump());
    CHECK(e->at("t") == "err");
    CHECK(e->at("code") == code);
    CHECK_FALSE(e->contains("id"));
  };
  expect_push_err({{"t", "ack"}, {"conv", conv}, {"seq", "1"}}, "bad_request");
  expect_push_err({{"t", "ack"}, {"conv", conv}, {"seq", -1}}, "bad_request");
  expect_push_err({{"t", "read"}, {"seq", 1}}, "bad_request");
  expect_push_err({{"t", "typing"}, {"conv", conv}}, "bad_request");
  expect_push_err({{"t", "frobnicate"}}, "unknown_type");
  // A request that needs a reply but has no id cannot be answered by id.
  expect_push_err({{"t", "ping"}}, "bad_request");
  // A malformed id: the frame cannot be matched to a request.
  expect_push_err({{"t", "ping"}, {"id", "7"}}, "bad_request");
  expect_push_err({{"t", "ping"}, {"id", -7}}, "bad_request");
  expect_push_err({{"t", "ping"}, {"id", 1.0}}, "bad_request");

  // Unknown keys are ignored.
  auto id = c->send({{"t", "ping"}, {"zzz", {{"nested", {1, 2, 3}}}}});
  CHECK(c->wait_reply(id) == json{{"t", "ok"}, {"id", id}});
  auto r = c->call({{"t", "send"},
                    {"conv", conv},
                    {"body", "ok"},
                    {"cmid", "x2"},
                    {"future", true}});
  CHECK(r.at("t") == "ok");
  CHECK(r.at("seq") == 2);
  // None of the errors above stored anything or broke anything.
  auto h = c->call({{"t", "history"}, {"conv", conv}});
  CHECK(h.at("msgs").size() == 2);
  CHECK(c->call({{"t", "ping"}}).at("t") == "ok");
  others.check_served();
}

TEST_CASE("requests before hello and before login", "[e2e][bad_input]") {
  parleyd_fixture f;
  register_bystanders(f);
  bystanders others{f};

  // Before hello: anything else is bad_request (not fatal).
  auto c = f.connect();
  for (auto req :
       {json{{"t", "ping"}},
        json{{"t", "register"}, {"user", "dave"}, {"password", "password1"}},
        json{{"t", "login"},
             {"user", "alice"},
             {"password", parleyd_fixture::password_of("alice")},
             {"device", "x"}},
        json{{"t", "send"}, {"to", "bob"}, {"body", "x"}, {"cmid", "y"}},
        json{{"t", "convs"}}, json{{"t", "frobnicate"}}}) {
    INFO(req.dump());
    auto r = c->call(req);
    INFO(r.dump());
    CHECK(r.at("t") == "err");
    CHECK(r.at("code") == "bad_request");
  }
  // The refused register did not happen.
  REQUIRE(c->hello().at("t") == "ok");
  CHECK(c->register_user("dave", "password1").at("t") == "ok");

  // After hello, before login: only hello, register, login, resume, ping.
  auto u = f.connect_hello();
  CHECK(u->call({{"t", "ping"}}).at("t") == "ok");
  std::string conv =
    others.alice->call(send_to("bob", "x", "c1")).at("conv").get<std::string>();
  next_push_of(*others.bob.c, "msg");
  for (auto req :
       {json{{"t", "send"}, {"to", "bob"}, {"body", "x"}, {"cmid", "y"}},
        json{{"t", "send"}, {"conv", conv}, {"body", "x"}, {"cmid", "y"}},
        json{{"t", "history"}, {"conv", conv}}, json{{"t", "convs"}},
        json{{"t", "receipts"}, {"conv", conv}}}) {
    INFO(req.dump());
    auto r = u->call(req);
    INFO(r.dump());
    CHECK(r.at("t") == "err");
    CHECK(r.at("code") == "unauthenticated");
  }
  for (auto req : {json{{"t", "ack"}, {"conv", conv}, {"seq", 1}},
                   json{{"t", "read"}, {"conv", conv}, {"seq", 1}},
                   json{{"t", "typing"}, {"conv", conv}, {"on", true}}}) {
    INFO(req.dump());
    u->send_no_id(req);
    auto e = u->next_push();
    REQUIRE(e.has_value());
    CHECK(e->at("t") == "err");
    CHECK(e->at("code") == "unauthenticated");
    CHECK_FALSE(e->contains("id"));
  }
  // A failed login leaves the connection unauthenticated but open.
  CHECK(u->login("alice", "wrong-password", "x").at("code") == "auth_failed");
  CHECK(u->call({{"t", "convs"}}).at("code") == "unauthenticated");
  // Nothing was sent by the unauthenticated requests.
  CHECK(no_push(*others.bob.c, std::chrono::milliseconds(150)));
  auto ok = u->login("alice", parleyd_fixture::password_of("alice"), "late");
  REQUIRE(ok.at("t") == "ok");
  CHECK(u->call({{"t", "convs"}}).at("t") == "ok");
  others.sent = 1; // the conv above took seq 1
  others.check_served();
}

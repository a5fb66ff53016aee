// End-to-end: the session requests (protocol.md, "Session") against a real
// parleyd.

#include <catch2/catch.hpp>

#include "e2e/parleyd_process.hpp"

using namespace parley::e2e;

namespace {

/// Checks that `r` is an `err` answering `id` with `code` and a text.
void require_err(const json& r, uint64_t id, const std::string& code) {
  INFO(r.dump());
  REQUIRE(r.at("t") == "err");
  REQUIRE(r.at("id") == id);
  REQUIRE(r.at("code") == code);
  REQUIRE(r.at("msg").is_string());
}

json call_register(client& c, json user, json password) {
  return c.call({{"t", "register"}, {"user", user}, {"password", password}});
}

} // namespace

TEST_CASE("hello answers with the protocol's fields", "[e2e][session]") {
  server_options opts;
  opts.heartbeat_s = 7;
  opts.max_frame = 32768;
  parleyd_fixture f{opts};
  auto c = f.connect();
  auto id = c->send({{"t", "hello"}, {"v", 1}, {"client", "e2e/1.0"}});
  auto r = c->wait_reply(id);
  INFO(r.dump());
  CHECK(r.at("t") == "ok");
  CHECK(r.at("id") == id);
  CHECK(r.at("v") == 1);
  REQUIRE(r.at("server").is_string());
  CHECK_FALSE(r.at("server").get<std::string>().empty());
  CHECK(r.at("node") == "n1");
  CHECK(r.at("max_frame") == 32768);
  CHECK(r.at("heartbeat_s") == 7);
  CHECK(r.size() == 7); // t, id, v, server, node, max_frame, heartbeat_s

  // A version the server does not speak is a bad request, not fatal.
  auto c2 = f.connect();
  auto bad = c2->call({{"t", "hello"}, {"v", 2}});
  require_err(bad, 1, "bad_request");
  auto good = c2->hello();
  CHECK(good.at("t") == "ok");
  CHECK(c2->call({{"t", "ping"}}).at("t") == "ok");
}

TEST_CASE("register validates user and password and refuses duplicates",
          "[e2e][session]") {
  parleyd_fixture f;
  auto c = f.connect_hello();

  auto ok = call_register(*c, "alice", "password1");
  INFO(ok.dump());
  REQUIRE(ok.at("t") == "ok");
  CHECK(ok.at("user") == "alice");

  // Boundaries of `user`: 1-32 characters of a-z 0-9 _ . -
  CHECK(call_register(*c, "a", "password1").at("t") == "ok");
  CHECK(call_register(*c, std::string(32, 'x'), "password1").at("t") == "ok");
  CHECK(call_register(*c, "a-b_c.9", "password1").at("t") == "ok");
  for (std::string bad :
       {std::string{}, std::string(33, 'y'), std::string{"Alice"},
        std::string{"a b"}, std::string{"bob!"},
        std::string{"\xc3\xa9t\xc3\xa9"}}) {
    INFO("user '" << bad << "'");
    auto r = call_register(*c, bad, "password1");
    REQUIRE(r.at("t") == "err");
    CHECK(r.at("code") == "bad_request");
  }
  // Boundaries of `password`: 8-256 bytes.
  CHECK(call_register(*c, "p8", std::string(8, 'p')).at("t") == "ok");
  CHECK(call_register(*c, "p256", std::string(256, 'p')).at("t") == "ok");
  auto id = c->send(
    {{"t", "register"}, {"user", "p7"}, {"password", std::string(7, 'p')}});
  require_err(c->wait_reply(id), id, "bad_request");
  id = c->send(
    {{"t", "register"}, {"user", "p257"}, {"password", std::string(257, 'p')}});
  require_err(c->wait_reply(id), id, "bad_request");
  // Wrong types and missing fields.
  id = c->send({{"t", "register"}, {"user", 42}, {"password", "password1"}});
  require_err(c->wait_reply(id), id, "bad_request");
  id = c->send({{"t", "register"}, {"user", "carol"}});
  require_err(c->wait_reply(id), id, "bad_request");

  // Duplicates, also from another connection.
  id =
    c->send({{"t", "register"}, {"user", "alice"}, {"password", "other-pass"}});
  require_err(c->wait_reply(id), id, "user_exists");
  auto c2 = f.connect_hello();
  id =
    c2->send({{"t", "register"}, {"user", "alice"}, {"password", "password1"}});
  require_err(c2->wait_reply(id), id, "user_exists");

  // The refused registrations created nothing: p7 does not exist, alice keeps
  // her first password.
  CHECK(c2->login("p7", "password1", "d").at("code") == "auth_failed");
  CHECK(c2->login("alice", "other-pass", "d").at("code") == "auth_failed");
  CHECK(c2->login("alice", "password1", "d").at("t") == "ok");
}

TEST_CASE("login, resume and auth_failed", "[e2e][session]") {
  parleyd_fixture f;
  f.register_user("alice");
  auto pw = parleyd_fixture::password_of("alice");

  auto c = f.connect_hello();
  auto r = c->login("alice", pw, "phone");
  INFO(r.dump());
  REQUIRE(r.at("t") == "ok");
  CHECK(r.at("user") == "alice");
  CHECK(r.at("device") == "phone");
  REQUIRE(r.at("token").is_string());
  auto token = r.at("token").get<std::string>();
  CHECK(token.size() >= 16); // at least 128 random bits, in some encoding
  CHECK(r.size() == 5);
  parleyd_fixture::drain_until_synced(*c);
  CHECK(c->call({{"t", "ping"}}).at("t") == "ok");

  // A second device gets its own token.
  auto c2 = f.connect_hello();
  auto r2 = c2->login("alice", pw, "laptop");
  REQUIRE(r2.at("t") == "ok");
  CHECK(r2.at("token") != token);

  // Bad password and unknown user are indistinguishable.
  auto bad_pw = f.connect_hello()->login("alice", "wrong-password", "phone");
  auto no_user = f.connect_hello()->login("nobody", "wrong-password", "phone");
  INFO(bad_pw.dump() << " vs " << no_user.dump());
  CHECK(bad_pw.at("t") == "err");
  CHECK(bad_pw.at("code") == "auth_failed");
  CHECK(no_user.at("code") == "auth_failed");
  CHECK(bad_pw.at("msg") == no_user.at("msg"));
  CHECK(bad_pw.size() == no_user.size());

  // Invalid device names.
  CHECK(f.connect_hello()->login("alice", pw, "").at("code") == "bad_request");
  CHECK(f.connect_hello()->login("alice", pw, std::string(65, 'd')).at("code")
        == "bad_request");

  // Resume on a new connection, twice: the token stays valid.
  c->disconnect();
  for (int i = 0; i < 2; ++i) {
    auto rc = f.connect_hello();
    auto rr =
      rc->call({{"t", "resume"}, {"token", token}, {"device", "phone"}});
    INFO(rr.dump());
    REQUIRE(rr.at("t") == "ok");
    CHECK(rr.at("user") == "alice");
    CHECK(rr.at("device") == "phone");
    CHECK(rr.at("token").is_string());
    parleyd_fixture::drain_until_synced(*rc);
    CHECK(rc->call({{"t", "convs"}}).at("t") == "ok");
  }

  // Bad tokens.
  auto resume = [&](json tok, json dev) {
    return f.connect_hello()->call(
      {{"t", "resume"}, {"token", tok}, {"device", dev}});
  };
  CHECK(resume("not-a-token", "phone").at("code") == "auth_failed");
  CHECK(resume("", "phone").at("code") == "auth_failed");
  CHECK(resume(token + "x", "phone").at("code") == "auth_failed");
  CHECK(resume(token, "laptop").at("code") == "auth_failed"); // other device
  CHECK(resume(17, "phone").at("code") == "bad_request");

  // Logging in again on the device ends the old token.
  auto c3 = f.connect_hello();
  REQUIRE(c3->login("alice", pw, "phone").at("t") == "ok");
  CHECK(resume(token, "phone").at("code") == "auth_failed");
}

TEST_CASE("ping before and after login", "[e2e][session]") {
  parleyd_fixture f;
  f.register_user("alice");
  auto c = f.connect_hello();
  auto id = c->send({{"t", "ping"}});
  auto r = c->wait_reply(id);
  CHECK(r == json{{"t", "ok"}, {"id", id}});
  auto d = f.login("alice", "phone");
  id = d->send({{"t", "ping"}});
  CHECK(d->wait_reply(id) == json{{"t", "ok"}, {"id", id}});
  // Replies carry the client's id, even a large one.
  auto big = uint64_t{1} << 60;
  d->send_no_id({{"t", "ping"}, {"id", big}});
  CHECK(d->wait_reply(big) == json{{"t", "ok"}, {"id", big}});
}

TEST_CASE("a second login of the same device replaces the first",
          "[e2e][session]") {
  parleyd_fixture f;
  f.register_user("alice");
  f.register_user("bob");
  auto first = f.login("alice", "phone");
  auto other = f.login("alice", "laptop");
  auto second = f.login("alice", "phone");
  // The first connection of "phone" is told and closed; "laptop" stays.
  auto bye = next_push_of(*first.c, "bye");
  REQUIRE(bye.has_value());
  CHECK(bye->at("code") == "replaced");
  CHECK(bye->at("msg").is_string());
  CHECK(first->wait_closed());
  CHECK(other->call({{"t", "ping"}}).at("t") == "ok");
  // The new connection gets phone's messages.
  auto b = f.login("bob", "b1");
  auto r = b->call(send_to("alice", "hi", "c1"));
  REQUIRE(r.at("t") == "ok");
  for (auto* d : {&second, &other}) {
    auto m = next_push_of(*d->c, "msg");
    REQUIRE(m.has_value());
    CHECK(m->at("seq") == 1);
  }
  // The old token of "phone" is void; the new one resumes.
  CHECK(f.connect_hello()
          ->call({{"t", "resume"}, {"token", first.token}, {"device", "phone"}})
          .at("code")
        == "auth_failed");
  second->disconnect();
  auto again = f.resume("alice", "phone", second.token);
  CHECK(again.user == "alice");
}

// A session whose conversation actor crashes with the session's request in
// flight (session_state.hpp, ask_conv; session_routes.cpp). The session
// asks without a timeout; a crashed actor never answers what it held, so
// the session must notice the crash (it monitors the actor), fail the
// request over to the next instance and answer the client once. Driven by
// CAF's test coordinator over a recording connection (conversation_fixture).

#include "conversation_fixture.hpp"

#include <nlohmann/json.hpp>

#include "actors/conv_routes.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/session_actor.hpp"
#include "runtime/fault.hpp"
#include "transport/client.hpp"

using namespace parley;
using namespace parley::actors;
using parley::test::fixture;
using parley::test::release_atom;
using json = nlohmann::json;

namespace {

/// A connection that records every frame the session writes.
class recording_connection : public transport::connection {
public:
  std::vector<std::string> frames;
  bool closed = false;

  void send(std::string frame) override {
    frames.push_back(std::move(frame));
  }
  void close_with(std::string, std::string_view, std::string_view) override {
    closed = true;
  }
  void close() override {
    closed = true;
  }
  uint64_t id() const noexcept override {
    return 1;
  }
  size_t unsent_bytes() const noexcept override {
    return 0;
  }
};

/// The auth pool's protocol, scheduled: every login succeeds.
caf::behavior fake_auth(caf::event_based_actor* self, int) {
  self->set_default_handler(caf::drop);
  return {
    [](login_atom, const std::string& user, const std::string&,
       const std::string& device) {
      return grant{user, device, "token"};
    },
  };
}

struct session_fixture : fixture {
  std::shared_ptr<recording_connection> conn =
    std::make_shared<recording_connection>();
  std::unique_ptr<transport::connection_handler> handler;

  session_fixture() {
    ctx->auth = sys.spawn(fake_auth, 0);
    spawned.push_back(ctx->auth);
    auto factory = session_handler_factory(sys, ctx);
    handler = factory(conn);
    sched.run();
  }

  ~session_fixture() override {
    handler->on_closed("test over");
    sched.run();
    ctx->auth = nullptr;
  }

  /// Hands a client frame to the session (not run yet).
  void request(const json& frame) {
    auto bytes = transport::client::encode(frame);
    auto req = transport::request::parse(std::string_view{bytes}.substr(4));
    REQUIRE(req);
    handler->on_request(std::move(*req));
  }

  /// The replies the session wrote for request `id`, decoded.
  std::vector<transport::request> replies_to(uint64_t id) {
    std::vector<transport::request> out;
    for (auto& f : conn->frames) {
      auto r = test::decode_frame(f);
      if (r.id() == id)
        out.push_back(std::move(r));
    }
    return out;
  }

  void login(const std::string& user) {
    request({{"t", "hello"}, {"id", 1}, {"v", 1}});
    request({{"t", "login"},
             {"id", 2},
             {"user", user},
             {"password", "password123"},
             {"device", "phone"}});
    sched.run();
    auto r = replies_to(2);
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].type() == "ok");
  }
};

} // namespace

TEST_CASE_METHOD(session_fixture,
                 "session: a send held by a conversation actor that crashes "
                 "is answered once, by its next instance",
                 "[actors][session][supervision]") {
  add_user("alice");
  add_user("bob");
  login("alice");
  request({{"t", "send"},
           {"id", 10},
           {"to", "bob"},
           {"body", "one"},
           {"cmid", "c1"}});
  sched.run();
  auto first = replies_to(10);
  REQUIRE(first.size() == 1);
  REQUIRE(first[0].type() == "ok");
  auto conv = first[0].get_string("conv").value;
  auto before = conv_actor(conv);
  // The second send is sequenced and its write is held at the writer: the
  // conversation actor holds the session's request when it crashes.
  writes->hold = true;
  request({{"t", "send"},
           {"id", 11},
           {"conv", conv},
           {"body", "two"},
           {"cmid", "c2"}});
  sched.run();
  REQUIRE(writes->held == 1);
  caf::anon_send(before, runtime::fault_atom::value,
                 runtime::fault{runtime::fault::kind::crash, {}});
  sched.run();
  CHECK(replies_to(11).empty()); // the write is still out
  // The writer goes on; the session's request reaches the next instance,
  // which loaded the write its predecessor left and dedupes the cmid.
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  auto second = replies_to(11);
  REQUIRE(second.size() == 1);
  CHECK(second[0].type() == "ok");
  CHECK(second[0].get_uint("seq").value == 2);
  CHECK(conv_actor(conv) != before);
  CHECK(history->last_seq(conv) == 2);
  // The session still works on the new instance.
  request({{"t", "send"},
           {"id", 12},
           {"conv", conv},
           {"body", "three"},
           {"cmid", "c3"}});
  sched.run();
  auto third = replies_to(12);
  REQUIRE(third.size() == 1);
  CHECK(third[0].get_uint("seq").value == 3);
}

TEST_CASE_METHOD(session_fixture,
                 "session: requests waiting in a crashed actor's mailbox are "
                 "sent again to the next instance",
                 "[actors][session][supervision]") {
  add_user("alice");
  add_user("bob");
  login("alice");
  request({{"t", "send"},
           {"id", 10},
           {"to", "bob"},
           {"body", "one"},
           {"cmid", "c1"}});
  sched.run();
  auto conv = replies_to(10).at(0).get_string("conv").value;
  auto before = conv_actor(conv);
  // The crash is queued first, then two reads behind it.
  caf::anon_send(before, runtime::fault_atom::value,
                 runtime::fault{runtime::fault::kind::crash, {}});
  request({{"t", "history"}, {"id", 20}, {"conv", conv}});
  request({{"t", "receipts"}, {"id", 21}, {"conv", conv}});
  sched.run();
  auto h = replies_to(20);
  REQUIRE(h.size() == 1);
  CHECK(h[0].type() == "ok");
  auto r = replies_to(21);
  REQUIRE(r.size() == 1);
  CHECK(r[0].type() == "ok");
}

TEST_CASE("conv routes: requests in flight are tracked per actor and failed "
          "over when it goes down, and the cache stays bounded",
          "[actors][session]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", size_t{1});
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto idle = [](caf::event_based_actor*, int) -> caf::behavior {
    return {[](caf::ok_atom) {}};
  };
  std::vector<caf::actor> actors;
  for (int i = 0; i < 6; ++i)
    actors.push_back(sys.spawn(idle, i));
  conv_routes routes{4};
  std::vector<caf::actor_addr> release;
  auto id = [](uint64_t n) { return caf::make_message_id(n).response_id(); };
  // Caching an actor asks for a monitor once.
  CHECK(routes.insert("c0", actors[0], release));
  CHECK_FALSE(routes.insert("c0", actors[0], release));
  CHECK_FALSE(routes.sent(actors[0], id(1)));
  CHECK_FALSE(routes.sent(actors[0], id(2)));
  CHECK(routes.inflight(conv_routes::key_of(actors[0])) == 2);
  // An answered request is forgotten; a late second end is harmless.
  caf::actor_addr gone;
  CHECK_FALSE(routes.done(conv_routes::key_of(actors[0]), id(1), gone));
  CHECK_FALSE(routes.done(conv_routes::key_of(actors[0]), id(1), gone));
  // A full cache drops idle entries, keeps the busy one.
  for (int i = 1; i < 4; ++i)
    CHECK(routes.insert("c" + std::to_string(i), actors[i], release));
  CHECK(routes.insert("c4", actors[4], release));
  CHECK(routes.cached() == 2); // c0 (busy) and c4
  CHECK(release.size() == 3);
  CHECK(routes.find("c1") == nullptr);
  REQUIRE(routes.find("c0") != nullptr);
  // The busy actor goes down: its request is handed back, all forgotten.
  std::vector<caf::message_id> failed;
  CHECK(routes.down(actors[0].address(), failed));
  CHECK(failed == std::vector<caf::message_id>{id(2)});
  CHECK(routes.find("c0") == nullptr);
  CHECK_FALSE(routes.down(actors[0].address(), failed));
  // A request to an actor that is not cached is tracked until it ends.
  CHECK(routes.sent(actors[5], id(3)));
  CHECK(routes.done(conv_routes::key_of(actors[5]), id(3), gone));
  CHECK(gone == actors[5].address());
  // A stale entry is forgotten only if it still names that actor.
  CHECK_FALSE(routes.forget("c4", conv_routes::key_of(actors[1]), gone));
  CHECK(routes.forget("c4", conv_routes::key_of(actors[4]), gone));
  CHECK(routes.tracked() == 0);
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

// Presence in the user actor under CAF's deterministic test coordinator:
// online/offline, the reconnect grace, watcher pushes, last_seen stored,
// visibility through shared conversations (see conversation_fixture.hpp).

#include "conversation_fixture.hpp"

using namespace parley;
using namespace parley::actors;
using parley::test::fixture;

namespace {

using strings = std::vector<std::string>;

/// A session stand-in that records every push, with its handle.
struct fake_session {
  caf::actor handle;
  std::shared_ptr<test::device_log> log;
};

struct presence_fixture : fixture {
  presence_fixture() {
    ctx->settings.presence_grace = std::chrono::milliseconds(1000);
    for (auto u : {"ann", "bob", "cat"})
      add_user(u);
  }

  fake_session session() {
    auto log = std::make_shared<test::device_log>();
    auto h = sys.spawn(
      [](caf::event_based_actor* self, std::shared_ptr<test::device_log> log) {
        self->set_default_handler(caf::drop);
        return caf::behavior{
          [log](const push& p) { log->pushes.push_back(p); },
        };
      },
      log);
    spawned.push_back(h);
    return {h, log};
  }

  fake_session device_of(const std::string& user, const std::string& device) {
    auto s = session();
    auto r = call<attach_info>(user_actor(user), attach_atom::value, device,
                               s.handle);
    REQUIRE(r.ok());
    return s;
  }

  /// The presence pushes a watcher got: (user, online, last_seen).
  std::vector<std::tuple<std::string, bool, int64_t>>
  seen(const fake_session& s) {
    std::vector<std::tuple<std::string, bool, int64_t>> out;
    for (auto& p : s.log->pushes)
      for (auto& f : test::decode_frames(p.frame))
        if (f.type() == "presence") {
          auto ls = f.get_uint("last_seen");
          out.emplace_back(f.get_string("user").value, f.get_bool("online").value,
                           ls.ok() ? static_cast<int64_t>(ls.value) : 0);
        }
    return out;
  }

  void end(const fake_session& s) {
    caf::anon_send_exit(s.handle, caf::exit_reason::kill);
    sched.run();
  }

  /// Lets the grace period end (virtual time).
  void grace_passes() {
    sched.trigger_timeouts();
    sched.run();
  }

  presence_info presence(const std::string& user) {
    auto r = call<presence_info>(user_actor(user), presence_atom::value);
    REQUIRE(r.ok());
    return *r.value;
  }
};

} // namespace

TEST_CASE_METHOD(presence_fixture,
                 "presence: online with the first device, offline after the "
                 "grace once the last is gone",
                 "[actors][presence]") {
  auto watcher = session();
  auto w = call<presence_info>(user_actor("ann"), watch_atom::value,
                               watcher.handle);
  REQUIRE(w.ok());
  CHECK_FALSE(w.value->online);
  CHECK(w.value->last_seen == 0); // never seen

  auto phone = device_of("ann", "phone");
  CHECK(presence("ann").online);
  auto laptop = device_of("ann", "laptop");
  end(phone);
  CHECK(presence("ann").online); // one device left
  end(laptop);
  // Within the grace: still online, nothing pushed yet.
  CHECK(presence("ann").online);
  REQUIRE(seen(watcher).size() == 1);
  grace_passes();
  auto p = presence("ann");
  CHECK_FALSE(p.online);
  CHECK(p.last_seen > 0);
  auto pushes = seen(watcher);
  REQUIRE(pushes.size() == 2);
  CHECK(std::get<1>(pushes[0]));
  CHECK_FALSE(std::get<1>(pushes[1]));
  CHECK(std::get<2>(pushes[1]) == p.last_seen);
  // Stored: a new instance knows it.
  CHECK(history->last_seen("ann").value_or(0) == p.last_seen);
}

TEST_CASE_METHOD(presence_fixture,
                 "presence: a device back within the grace pushes nothing",
                 "[actors][presence]") {
  auto phone = device_of("ann", "phone");
  auto watcher = session();
  REQUIRE(call<presence_info>(user_actor("ann"), watch_atom::value,
                              watcher.handle)
            .ok());
  end(phone);
  auto again = device_of("ann", "phone");
  grace_passes();
  CHECK(seen(watcher).empty());
  CHECK(presence("ann").online);
  // unwatch: the next change is not pushed.
  caf::anon_send(user_actor("ann"), unwatch_atom::value, watcher.handle);
  sched.run();
  end(again);
  grace_passes();
  CHECK(seen(watcher).empty());
  CHECK_FALSE(presence("ann").online);
}

TEST_CASE_METHOD(presence_fixture,
                 "presence: visible through a direct conversation or a "
                 "shared group only",
                 "[actors][presence]") {
  // ann and bob: a direct conversation; cat: nothing with ann.
  auto conv = direct_conv_id("ann", "bob");
  auto post = make_post("ann", "c1", "hi", "bob");
  REQUIRE(call<post_result>(conv_actor(conv), post_atom::value, post).ok());
  auto shares = [&](const std::string& user, strings users) {
    auto r = call<strings>(user_actor(user), shares_atom::value, users);
    REQUIRE(r.ok());
    return *r.value;
  };
  CHECK(shares("ann", {"bob", "cat", "ann", "nobody"}) == strings{"bob", "ann"});
  CHECK(shares("bob", {"ann", "cat"}) == strings{"ann"});
  CHECK(shares("cat", {"ann", "bob"}).empty());
  // A group of cat and bob makes them visible to each other, not to ann.
  const std::string g = "g.00000000000000000000000000000001";
  REQUIRE(call<caf::ok_atom>(conv_actor(g), group_atom::value,
                             group_change{"create", "cat", "g", {"bob"}})
            .ok());
  CHECK(shares("cat", {"ann", "bob"}) == strings{"bob"});
  // Once bob leaves, no more.
  REQUIRE(call<caf::ok_atom>(conv_actor(g), group_atom::value,
                             group_change{"leave", "bob", "", {}})
            .ok());
  CHECK(shares("cat", {"bob"}).empty());
}

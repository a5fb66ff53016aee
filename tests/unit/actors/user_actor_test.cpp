// The user actor under CAF's deterministic test coordinator, with real
// stores (see conversation_fixture.hpp).

#include "conversation_fixture.hpp"

using namespace parley;
using namespace parley::actors;
using parley::test::fixture;
using parley::test::release_atom;

TEST_CASE_METHOD(fixture,
                 "user: a restarted instance sees the index write its "
                 "predecessor left with the writer",
                 "[actors][user]") {
  add_user("carol");
  auto first = user_actor("carol");
  // carol joins a conversation; the index write is still queued at the
  // writer when her actor crashes.
  writes->hold = true;
  ask<caf::ok_atom>(first, joined_atom::value,
                    std::string{"d.test"},
                    static_cast<uint8_t>(
                      persistence::conv_type::direct));
  sched.run();
  REQUIRE(writes->held == 1);
  caf::anon_send_exit(first, caf::exit_reason::kill);
  sched.run();
  auto second = user_actor("carol");
  REQUIRE(second.address() != first.address());
  writes->hold = false;
  caf::anon_send(persist, release_atom::value);
  sched.run();
  // The new instance loaded its index only after that write landed.
  auto convs = call<std::vector<std::string>>(second, convs_atom::value);
  REQUIRE(convs.ok());
  CHECK(*convs.value == std::vector<std::string>{"d.test"});
}

// The parley CLI end to end: a real parleyd on 127.0.0.1 (--port 0, temp
// data dir, pwhash minimal) and parley processes driven through pipes.

#include <catch2/catch.hpp>

#include "cli/cli_process.hpp"
#include "e2e/parleyd_process.hpp"

using parley::cli_test::cli_process;
using parley::e2e::parleyd_fixture;
using namespace std::chrono_literals;

namespace {

/// Registers `user` (password "password-1") through the CLI itself.
void register_with_cli(uint16_t port, const std::string& user) {
  cli_process p(port);
  p.type("/register " + user + " password-1");
  REQUIRE(p.wait_for("registered " + user));
  p.type("/quit");
  CHECK(p.wait_exit(5s) == 0);
}

} // namespace

TEST_CASE("cli: a line typed in one parley shows up live in the other's",
          "[cli]") {
  parleyd_fixture server;
  register_with_cli(server.port(), "alice");
  register_with_cli(server.port(), "bob");

  cli_process alice(server.port());
  alice.type("/login alice password-1 laptop");
  REQUIRE(alice.wait_for("logged in as alice (device laptop)"));
  REQUIRE(alice.wait_for("(synced)"));

  cli_process bob(server.port());
  bob.type("/login bob password-1");
  REQUIRE(bob.wait_for("logged in as bob (device cli)"));
  bob.type("/to alice");
  bob.type("hello from bob, with  two spaces");
  REQUIRE(bob.wait_for("(sent #1)"));

  // Alice sees it without typing anything, and her ack reaches bob.
  CHECK(alice.wait_for("bob: hello from bob, with  two spaces"));
  CHECK(bob.wait_for("(alice delivered #1)"));

  // And back, with /send; /convs counts bob's unread message.
  alice.type("/send bob hi bob");
  CHECK(bob.wait_for("alice: hi bob"));
  bob.type("/convs");
  CHECK(bob.wait_for("alice [d."));
  CHECK(bob.wait_for(": 1 unread, last #2 alice: hi bob"));
  bob.type("/read");
  CHECK(bob.wait_for("(marked alice read up to #2)"));
  CHECK(alice.wait_for("(bob read #2)"));

  bob.type("/quit");
  CHECK(bob.wait_exit(5s) == 0);
}

TEST_CASE("cli: piped input, history, backlog after login and errors",
          "[cli]") {
  parleyd_fixture server;
  register_with_cli(server.port(), "carol");
  register_with_cli(server.port(), "dave");

  // Non-interactive: all of stdin at once, then end of input.
  {
    cli_process carol(server.port());
    carol.type("/login carol password-1");
    carol.type("/to dave");
    carol.type("first");
    carol.type("//slash text");
    carol.type("/send nobody-here hi");
    carol.type("/frobnicate");
    carol.close_stdin();
    REQUIRE(carol.wait_exit(10s) == 0);
    CHECK(carol.output().find("(sent #2)") != std::string::npos);
    CHECK(carol.output().find("error: no_such_user: ") != std::string::npos);
    CHECK(carol.output().find("unknown command /frobnicate")
          != std::string::npos);
  }

  // Dave was offline: the messages come as backlog after his login.
  cli_process dave(server.port(), "--wait", "5");
  dave.type("/login dave wrong-password");
  CHECK(dave.wait_for("error: auth_failed: "));
  dave.type("/login dave password-1");
  CHECK(dave.wait_for("carol: first"));
  CHECK(dave.wait_for("carol: /slash text"));
  CHECK(dave.wait_for("(synced)"));
  dave.type("/history carol 1");
  CHECK(dave.wait_for("history of carol (1 messages, more before):"));
  CHECK(dave.wait_for("#2 ["));
  dave.close_stdin();
}

TEST_CASE("cli: a group is created, talked in, and shown with its members",
          "[cli][groups]") {
  parleyd_fixture server;
  for (auto u : {"alice", "bob", "carol"})
    register_with_cli(server.port(), u);

  cli_process alice(server.port());
  alice.type("/login alice password-1");
  REQUIRE(alice.wait_for("(synced)"));
  cli_process bob(server.port());
  bob.type("/login bob password-1");
  REQUIRE(bob.wait_for("(synced)"));

  alice.type("/group trip bob");
  REQUIRE(alice.wait_for("created group trip [g."));
  CHECK(bob.wait_for("* group trip: alice created the group with alice, bob"));
  alice.type("hello trip");
  REQUIRE(alice.wait_for("(sent #2)"));
  CHECK(bob.wait_for("alice in group trip: hello trip"));

  alice.type("/add trip carol");
  REQUIRE(alice.wait_for("(done)"));
  CHECK(bob.wait_for("* group trip: alice added carol"));
  bob.type("/add trip alice");
  CHECK(bob.wait_for("forbidden"));
  bob.type("/info trip");
  CHECK(bob.wait_for("owner alice; admins: alice; members: alice bob carol"));
  bob.type("/leave trip");
  CHECK(bob.wait_for("(left group trip)"));
  CHECK(alice.wait_for("* group trip: bob left"));

  bob.type("/quit");
  CHECK(bob.wait_exit(5s) == 0);
  alice.type("/quit");
  CHECK(alice.wait_exit(5s) == 0);
}

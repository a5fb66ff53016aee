// Passivation at scale, in process over loopback TCP (actors/node.hpp,
// runtime/entity_supervisor.hpp): thousands of user and conversation
// actors go idle, are passivated (the node's census falls back to zero:
// their actors are gone, not merely quiet), and come back on demand with
// every acknowledged message, including one sent to a passivated user.
// The memory this gives back is measured by parley-bench's entities
// scenario (docs/benchmarks.md); here the census is the check.

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_node.hpp"
#include "transport/client.hpp"

using namespace parley;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr int pairs = 1000; // 2000 user actors + 1000 conversation actors

std::string user_name(int i) {
  return "u" + std::to_string(i);
}

std::string body_of(int pair, int n) {
  return "pair " + std::to_string(pair) + " message " + std::to_string(n);
}

struct passivating_node {
  test::temp_dir dir{"parley-passivation"};
  std::unique_ptr<actors::node> n;

  passivating_node()
      : n{test::start_test_node(dir, "passivate_s = 1\npresence_grace_ms = 0",
                                16)} {}

  std::unique_ptr<transport::client> connect() {
    auto c = std::make_unique<transport::client>(n->host(), n->port());
    REQUIRE(c->hello().at("t") == "ok");
    return c;
  }

  /// Logs `user` in on a new connection and consumes the login replay;
  /// returns the connection and the `msg` pushes of the replay.
  std::unique_ptr<transport::client> login(const std::string& user,
                                           std::vector<json>& replayed) {
    auto c = connect();
    auto r = c->login(user, "password-" + user, "d");
    INFO(user << ": " << r.dump());
    REQUIRE(r.at("t") == "ok");
    for (;;) {
      auto p = c->next_push(5000ms);
      REQUIRE(p);
      if (p->at("t") == "synced")
        return c;
      if (p->at("t") == "msg")
        replayed.push_back(*p);
    }
  }

  uint64_t live(runtime::entity_kind kind) {
    auto count = n->live_entities(kind);
    REQUIRE(count);
    return *count;
  }

  /// Waits (at most `limit`) until no entity actor of either kind is
  /// alive; returns whether that happened.
  bool wait_all_passivated(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (live(runtime::entity_kind::user) == 0
          && live(runtime::entity_kind::conv) == 0)
        return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

} // namespace

TEST_CASE("passivation: thousands of entities passivate and come back "
          "without losing a message",
          "[actors][node][passivation]") {
  passivating_node f;
  for (int first = 0; first < 2 * pairs; first += 200) {
    auto c = f.connect(); // 200 requests stay within one connection's burst
    for (int i = first; i < first + 200; ++i) {
      auto r = c->register_user(user_name(i), "password-" + user_name(i));
      INFO(r.dump());
      REQUIRE(r.at("t") == "ok");
    }
  }

  // Activation: the even user of each pair writes to the odd one, who is
  // offline. Every user and every direct conversation gets an actor.
  std::vector<std::string> convs(pairs);
  for (int p = 0; p < pairs; ++p) {
    std::vector<json> replayed;
    auto c = f.login(user_name(2 * p), replayed);
    auto r = c->call({{"t", "send"},
                      {"to", user_name(2 * p + 1)},
                      {"body", body_of(p, 1)},
                      {"cmid", "m1"}});
    INFO(r.dump());
    REQUIRE(r.at("t") == "ok");
    REQUIRE(r.at("seq") == 1);
    convs[p] = r.at("conv").get<std::string>();
  }
  // The odd users' actors were activated by the sends (offline delivery).
  CHECK(f.live(runtime::entity_kind::user) > 0);
  CHECK(f.live(runtime::entity_kind::conv) > 0);

  // Idle: every actor is passivated (passivate_s = 1, no sessions left).
  REQUIRE(f.wait_all_passivated(30s));

  // Re-activation 1: the sender writes again to its passivated partner.
  for (int p = 0; p < pairs; ++p) {
    std::vector<json> replayed;
    auto c = f.login(user_name(2 * p), replayed);
    auto r = c->call({{"t", "send"},
                      {"conv", convs[p]},
                      {"body", body_of(p, 2)},
                      {"cmid", "m2"}});
    INFO(r.dump());
    REQUIRE(r.at("t") == "ok");
    REQUIRE(r.at("seq") == 2);
  }
  REQUIRE(f.wait_all_passivated(30s));

  // Re-activation 2: the receiver logs in after both passivations: its
  // replay and the history hold exactly the two messages, in order.
  for (int p = 0; p < pairs; ++p) {
    std::vector<json> replayed;
    auto c = f.login(user_name(2 * p + 1), replayed);
    INFO("pair " << p);
    REQUIRE(replayed.size() == 2);
    auto h = c->call({{"t", "history"}, {"conv", convs[p]}});
    REQUIRE(h.at("t") == "ok");
    auto& msgs = h.at("msgs");
    REQUIRE(msgs.size() == 2);
    for (int n = 0; n < 2; ++n) {
      CHECK(replayed[n].at("seq") == n + 1);
      CHECK(msgs[n].at("seq") == n + 1);
      CHECK(msgs[n].at("from") == user_name(2 * p));
      CHECK(msgs[n].at("body") == body_of(p, n + 1));
    }
  }
  REQUIRE(f.wait_all_passivated(30s));
}

// The node's fault-injection API and the escalation chain, in process
// (actors/node.hpp): node::inject_fault reaches an entity only when the
// configuration allows it, and an entity supervisor that exceeds its
// restart intensity ends the directory, which the node's vital watch
// reports through on_fatal (parleyd then exits 1).

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "test_node.hpp"

using namespace parley;
using namespace std::chrono_literals;

namespace {

/// What on_fatal reported, from the actor thread that called it.
struct fatal_report {
  std::mutex mtx;
  std::condition_variable cv;
  std::string what;
  int calls = 0;

  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] { return calls > 0; });
  }
};

struct node_fixture {
  test::temp_dir dir{"parley-node-fault"};
  std::shared_ptr<fatal_report> fatal = std::make_shared<fatal_report>();
  std::unique_ptr<actors::node> n;

  explicit node_fixture(const std::string& server) {
    auto report = fatal;
    n =
      test::start_test_node(dir, server, 4, [report](const std::string& what) {
        std::lock_guard<std::mutex> guard{report->mtx};
        report->what = what;
        ++report->calls;
        report->cv.notify_all();
      });
  }

  bool inject(const std::string& conv, runtime::fault::kind k,
              std::string& error) {
    return n->inject_fault(
      runtime::entity_id{persistence::entity_kind::conv, conv},
      runtime::fault{k, {}}, error);
  }
};

} // namespace

TEST_CASE("node: inject_fault is refused unless fault_injection is on",
          "[actors][node][faults]") {
  node_fixture f{""};
  std::string error;
  CHECK_FALSE(f.inject("g.x", runtime::fault::kind::crash, error));
  CHECK(error.find("fault injection is off") != std::string::npos);
}

TEST_CASE("node: restart intensity exceeded ends the directory and reports "
          "it through on_fatal, once",
          "[actors][node][supervision]") {
  node_fixture f{"fault_injection = true\nrestart_intensity = 2\n"};
  std::string error;
  for (int i = 0; i < 2; ++i) {
    INFO(error);
    REQUIRE(f.inject("g.x", runtime::fault::kind::crash, error));
  }
  CHECK(f.fatal->calls == 0); // two crashes are tolerated
  REQUIRE(f.inject("g.x", runtime::fault::kind::crash, error));
  REQUIRE(f.fatal->wait(5s));
  CHECK(f.fatal->what.find("the directory ended") != std::string::npos);
  CHECK(f.fatal->what.find("conv supervisor: 3 crashes within 10 s exceed "
                           "restart_intensity 2")
        != std::string::npos);
  // The node no longer serves entities; stop() still completes.
  CHECK_FALSE(f.inject("g.y", runtime::fault::kind::delay, error));
  f.n->stop();
  CHECK(f.fatal->calls == 1);
}

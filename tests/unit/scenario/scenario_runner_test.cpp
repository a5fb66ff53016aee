// The runner end to end on small scripts (in-process node): what a failing
// step prints, the checker running after a failure, and the steps that are
// not available (cluster faults, faults with --target) failing clearly.

#include <catch2/catch.hpp>

#include <sstream>

#include "scenario_parser.hpp"
#include "scenario_runner.hpp"

using namespace parley::scenario;

namespace {

struct outcome {
  run_result result;
  std::string text;
};

outcome run(const std::string& script, run_options opts = {}) {
  std::string error;
  auto steps = parse_scenario(script, "t.scn", error);
  INFO(error);
  REQUIRE(steps);
  opts.seed = 42;
  std::ostringstream out;
  auto r = run_scenario(*steps, "t.scn", opts, out);
  return {r, out.str()};
}

bool has(const outcome& o, const std::string& what) {
  INFO(o.text);
  return o.text.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("scenario runner: a passing script prints one summary line",
          "[scenario][runner]") {
  auto o = run("nodes n1\n"
               "user alice bob\n"
               "connect alice/phone to n1\n"
               "connect bob/laptop to n1\n"
               "alice/phone send bob \"hi\" -> ok seq=1\n"
               "bob/laptop expect msg from=alice body=\"hi\" seq=1\n");
  CHECK(o.result.passed);
  CHECK(o.result.acked == 1);
  CHECK(has(o, "PASS t.scn: 6 steps, 1 acknowledged sends and 1 "
               "conversation histories checked, seed 42"));
}

TEST_CASE("scenario runner: a failing expectation names the line, what was expected "
          "and the device's last frames",
          "[scenario][runner]") {
  auto o = run("nodes n1\n"
               "user alice bob\n"
               "connect alice/phone to n1\n"
               "connect bob/laptop to n1\n"
               "alice/phone send bob \"hi\" -> ok seq=1\n"
               "bob/laptop expect msg body=\"bye\" within 200ms\n"
               "alice/phone send bob \"never sent\"\n");
  CHECK_FALSE(o.result.passed);
  CHECK(has(o, "FAIL t.scn:6: bob/laptop expect msg body=\"bye\" within 200ms"));
  CHECK(has(o, "expected: msg body=\"bye\" within 200ms"));
  CHECK(has(o, "closest: body is \"hi\", expected \"bye\""));
  CHECK(has(o, "last frames of bob/laptop (oldest first):"));
  CHECK(has(o, "{\"t\":\"synced\"}"));
  CHECK(has(o, "replay: --seed 42"));
  // The checker still ran (and found nothing wrong).
  CHECK(o.result.acked == 1);
  CHECK(o.result.violations == 0);
}

TEST_CASE("scenario runner: a wrong error code fails the step", "[scenario][runner]") {
  auto o = run("nodes n1\n"
               "user alice\n"
               "connect alice/phone to n1\n"
               "alice/phone send nobody \"x\" -> err forbidden\n");
  CHECK_FALSE(o.result.passed);
  CHECK(has(o, "FAIL t.scn:4:"));
  CHECK(has(o, "expected: -> err forbidden"));
  CHECK(has(o, "got:      err code=no_such_user"));
}

TEST_CASE("scenario runner: cluster faults need issue 6", "[scenario][runner]") {
  auto o = run("nodes n1\ncut link n1 n2\n");
  CHECK_FALSE(o.result.passed);
  CHECK(has(o, "FAIL t.scn:2: cut link n1 n2"));
  CHECK(has(o, "needs a cluster (issue 6)"));
  auto d = run("nodes n1\ndelay node n1 200ms\n");
  CHECK(has(d, "needs a cluster (issue 6)"));
  auto n = run("nodes n1 n2\n");
  CHECK(has(n, "several nodes need a cluster (issue 6)"));
}

TEST_CASE("scenario runner: faults are refused with --target", "[scenario][runner]") {
  run_options opts;
  opts.target_host = "127.0.0.1";
  opts.target_port = 1; // never reached: the fault step fails first
  auto o = run("nodes n1\nkill node n1\n", opts);
  CHECK_FALSE(o.result.passed);
  CHECK(has(o, "kill node is not available with --target"));
  auto a = run("nodes n1\nkill actor user(alice)\n", opts);
  CHECK(has(a, "kill actor is not available with --target"));
}

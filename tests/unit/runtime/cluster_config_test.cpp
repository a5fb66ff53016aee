// cluster.conf's supervision keys (runtime/cluster_config.hpp): defaults,
// values, and the one-line errors for bad ones.

#include <catch2/catch.hpp>

#include <string>

#include "runtime/cluster_config.hpp"

using parley::runtime::parse_cluster_config;

namespace {

const std::string nodes = "[[node]]\nname = \"n1\"\ndata = \"d\"\n";

std::string parse_error(const std::string& server) {
  std::string error;
  auto cfg = parse_cluster_config("[server]\n" + server + "\n" + nodes,
                                  "test.conf", "/tmp", error);
  REQUIRE_FALSE(cfg);
  return error;
}

} // namespace

TEST_CASE("cluster config: supervision defaults", "[runtime][config]") {
  std::string error;
  auto cfg = parse_cluster_config(nodes, "test.conf", "/tmp", error);
  REQUIRE(cfg);
  CHECK(cfg->server.restart_intensity == 100);
  CHECK(cfg->server.restart_period_s == 10);
  CHECK_FALSE(cfg->server.fault_injection);
}

TEST_CASE("cluster config: supervision keys are read", "[runtime][config]") {
  std::string error;
  auto cfg = parse_cluster_config(
    "[server]\nrestart_intensity = 3\nrestart_period_s = 60\n"
    "fault_injection = true\n"
      + nodes,
    "test.conf", "/tmp", error);
  INFO(error);
  REQUIRE(cfg);
  CHECK(cfg->server.restart_intensity == 3);
  CHECK(cfg->server.restart_period_s == 60);
  CHECK(cfg->server.fault_injection);
}

TEST_CASE("cluster config: bad supervision values name the key",
          "[runtime][config]") {
  CHECK(parse_error("restart_intensity = -1")
        == "test.conf [server]: 'restart_intensity' must be an integer in "
           "[0, 100000]");
  CHECK(parse_error("restart_period_s = 0")
        == "test.conf [server]: 'restart_period_s' must be an integer in "
           "[1, 86400]");
  CHECK(parse_error("fault_injection = 1")
        == "test.conf [server]: 'fault_injection' must be true or false");
  CHECK(parse_error("fault_injection = \"yes\"")
        == "test.conf [server]: 'fault_injection' must be true or false");
}

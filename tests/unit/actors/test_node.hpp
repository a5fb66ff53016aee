#pragma once

// Starts one in-process node for a unit test: cluster.conf is built from a
// [server] fragment, the stores live under `dir`, the gateway on any
// loopback port (Catch2 REQUIREs on failure).

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

#include "../persistence/temp_dir.hpp"
#include "actors/node.hpp"
#include "runtime/cluster_config.hpp"

namespace parley::test {

/// `server`: extra `[server]` lines (pwhash is "minimal"); `shards`: the
/// cluster's shard count; `on_fatal`: node_options::on_fatal.
inline std::unique_ptr<actors::node> start_test_node(
  const temp_dir& dir, const std::string& server, unsigned shards = 4,
  std::function<void(const std::string&)> on_fatal = {}) {
  std::string error;
  auto cfg = runtime::parse_cluster_config(
    "[cluster]\nshards = " + std::to_string(shards)
      + "\n[server]\npwhash = \"minimal\"\n" + server
      + "\n[[node]]\nname = \"n1\"\ndata = \"data\"\n",
    "test.conf", dir.path().string(), error);
  INFO(error);
  REQUIRE(cfg);
  actors::node_options opts;
  opts.cluster = std::move(*cfg);
  opts.name = "n1";
  opts.port = 0;
  opts.on_fatal = std::move(on_fatal);
  auto n = actors::node::start(opts, error);
  INFO(error);
  REQUIRE(n);
  return n;
}

} // namespace parley::test

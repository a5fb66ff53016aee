#pragma once

// The few settings of the measured parleyd that the bench's timing depends
// on, read from the cluster.conf the server was started with (bench.sh
// passes it as --server-conf).

#include <cstdint>
#include <string>

namespace parley::bench {

/// Defaults are docs/operations.md's (what a server started without these
/// keys uses).
struct server_conf {
  uint32_t passivate_s = 60;
  uint32_t heartbeat_s = 30;
  uint32_t presence_grace_ms = 1000;
};

/// Reads `[server]` passivate_s, heartbeat_s and presence_grace_ms from the
/// TOML file at `path`; keys it lacks keep their defaults. Throws
/// std::runtime_error naming the file when it cannot be read or parsed.
server_conf load_server_conf(const std::string& path);

} // namespace parley::bench

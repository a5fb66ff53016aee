#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::runtime {

/// One `[[node]]` entry of cluster.conf.
struct node_entry {
  std::string name;
  std::string host = "127.0.0.1";
  uint16_t cluster_port = 0;
  uint16_t gateway_port = 0;
  uint16_t http_port = 0;
  std::string data; ///< Absolute after loading (relative paths are resolved
                    ///< against the config file's folder).
};

/// The `[server]` table: settings every node uses. Defaults are protocol.md's.
struct server_settings {
  std::string durability = "wal";
  uint32_t max_frame = 65536;
  uint32_t max_body = 16384;
  uint64_t max_output = 1 << 20;
  uint32_t heartbeat_s = 30;
  double rate = 200;
  double rate_burst = 400;
  std::string pwhash = "interactive";
  uint32_t passivate_s = 60;
  uint32_t max_group = 100;
  uint32_t receipt_coalesce_ms = 200;
  uint32_t presence_grace_ms = 1000;
  uint32_t max_connections = 19000;
  uint32_t workers = 2;
  uint32_t gateway_threads = 1;
  /// More entity crashes than this within restart_period_s (per kind) stop
  /// the node (docs/operations.md, "Supervision and escalation").
  uint32_t restart_intensity = 100;
  uint32_t restart_period_s = 10;
  /// Tests only: the `fault` request and node::inject_fault.
  bool fault_injection = false;
};

/// The whole of cluster.conf (TOML; reference in docs/operations.md).
struct cluster_config {
  uint32_t shards = 256;
  server_settings server;
  std::vector<node_entry> nodes;

  const node_entry* find_node(const std::string& name) const;
};

/// Parses cluster.conf. On failure returns nothing and sets `error` to one
/// line naming the file and what is wrong (missing file, syntax error with
/// line number, bad value, unknown durability, duplicate node name, ...).
std::optional<cluster_config> load_cluster_config(const std::string& path,
                                                  std::string& error);

/// The same, from text (`origin` names it in errors; relative data paths
/// are resolved against `base_dir`).
std::optional<cluster_config> parse_cluster_config(const std::string& text,
                                                   const std::string& origin,
                                                   const std::string& base_dir,
                                                   std::string& error);

} // namespace parley::runtime

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "persistence/account_store.hpp"
#include "persistence/group_store.hpp"
#include "persistence/history_store.hpp"
#include "runtime/placement.hpp"

namespace parley::actors {

/// Limits and timings the domain actors obey (from cluster.conf [server]).
struct domain_settings {
  uint32_t max_frame = 65536;
  /// Unsent bytes per connection before `bye slow_consumer` (the gateway
  /// enforces it; the login replay paces itself below it).
  uint64_t max_output = 1 << 20;
  uint32_t max_body = 16384;
  uint32_t heartbeat_s = 30;
  double rate = 200;
  double rate_burst = 400;
  std::chrono::milliseconds passivate_after{60000};
  uint32_t max_group = 100;
  /// Receipt moves in a group are pushed at most once per this window.
  std::chrono::milliseconds receipt_coalesce{200};
  /// A user whose last device went away is announced offline after this,
  /// unless a device comes back meanwhile.
  std::chrono::milliseconds presence_grace{1000};
  /// Users a connection may watch at once (protocol.md: at most 256).
  uint32_t max_watch = 256;
  /// Requests a session may have in flight before it answers `overloaded`.
  uint32_t max_inflight_per_session = 256;
  /// Posts a conversation may have waiting for the store before `overloaded`.
  uint32_t max_pending_writes = 4096;
  /// Timeout of a session's requests to entity actors.
  std::chrono::milliseconds request_timeout{10000};
  /// Sessions serve the test-only `fault` request (cluster.conf [server]
  /// fault_injection); otherwise it is an unknown type.
  bool fault_injection = false;
};

/// What every domain actor of a node can reach. Built once by the node
/// bootstrap before any actor starts; immutable afterwards and shared by
/// pointer (the actor handles themselves are thread-safe).
struct node_context {
  std::string node_name;
  std::string server_version = "parley/0.1.0";
  domain_settings settings;
  std::shared_ptr<persistence::history_store> history;
  std::shared_ptr<persistence::account_store> accounts;
  std::shared_ptr<persistence::group_store> groups;
  std::shared_ptr<const runtime::placement> where;
  caf::actor persistence; ///< The group-commit writer of `history`.
  caf::actor directory;   ///< entity -> actor.
  caf::actor auth;        ///< Pool of blocking account workers.
};

using node_context_ptr = std::shared_ptr<const node_context>;

} // namespace parley::actors

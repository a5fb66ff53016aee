#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/cluster_config.hpp"
#include "runtime/entity.hpp"
#include "runtime/fault.hpp"

namespace parley::actors {

/// How to start one node of a cluster.
struct node_options {
  runtime::cluster_config cluster;
  std::string name;                  ///< Which [[node]] entry this is.
  std::optional<uint16_t> port;      ///< Overrides its gateway_port (0: any).
  std::optional<std::string> data;   ///< Overrides its data directory.
  /// Called once, from an actor thread, if a part the node cannot serve
  /// without (the persistence actor, the directory) ends abnormally, with
  /// one line saying which and why (e.g. an entity supervisor exceeded its
  /// restart intensity). The node no longer serves; the owner should stop
  /// it (parleyd exits non-zero so that its service manager restarts it).
  /// Must not call stop() itself. Empty: the failure is only logged.
  std::function<void(const std::string& what)> on_fatal;
};

/// One running Parley node: its actor system, stores, persistence actor,
/// directory with the user and conversation supervisors, auth workers and
/// the TCP gateway. Used by parleyd, the harness and the tests, so a node in
/// a test is the same as in production.
///
/// Thread-safety: start/stop from one thread; stop() is idempotent and the
/// destructor calls it.
class node {
public:
  /// Opens the stores and starts serving. On failure returns null and sets
  /// `error` to one line (bad data directory, port in use, ...).
  static std::unique_ptr<node> start(const node_options& opts,
                                     std::string& error);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The gateway's bound address.
  const std::string& host() const noexcept;
  uint16_t port() const noexcept;

  /// Tests only (cluster.conf [server] `fault_injection = true`): hands
  /// `f` to the live actor of `e` (activating it if needed) through the
  /// directory and the kind's supervisor, and waits (at most the request
  /// timeout, 10 s) until it is in effect (a crash: until the supervisor
  /// has seen the actor end). Returns false and sets `error`
  /// if fault injection is off, the entity lives on another node, or the
  /// node does not answer. Blocks: never call it from an actor.
  bool inject_fault(const runtime::entity_id& e, runtime::fault f,
                    std::string& error);

  /// How many entity actors of `kind` are alive on this node (a
  /// passivating one counts until it has ended). Empty if the node is
  /// stopped or does not answer within the request timeout. Blocks: never
  /// call it from an actor.
  std::optional<uint64_t> live_entities(runtime::entity_kind kind);

  /// Graceful stop: clients get `bye shutdown`, actors end, every write
  /// that was acknowledged is on disk, the stores are closed.
  void stop();

  /// Abrupt stop, for fault tests (the harness's `kill node`): what a
  /// process crash leaves. The gateway closes every connection at once
  /// (no `bye`, nothing queued is written), the entities end as in stop(),
  /// then the persistence actor is
  /// killed without drain: every write queued for it and not yet written
  /// (never acknowledged, since an `ok` follows its write), final cursors
  /// and positions included, is lost. The stores are then closed without
  /// flushing memtables or syncing the WAL, so the next start recovers
  /// from RocksDB's WAL (and SQLite's committed transactions). Returns
  /// once the history store is closed (its file lock released; at most
  /// ~5 s), so a node can be started on the same data directory right
  /// after. The node is then stopped (stop() does nothing). Same thread
  /// rules as stop().
  void kill();

private:
  node();
  /// stop() (abrupt = false) and kill() (abrupt = true).
  void shut_down(bool abrupt);
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace parley::actors

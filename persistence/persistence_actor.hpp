#pragma once

#include <cstddef>
#include <memory>

#include <caf/fwd.hpp>

namespace parley::persistence {

class history_store;

/// Spawns the node's persistence actor: the only writer of `store`.
///
/// Protocol (dynamically typed actor):
/// - `(caf::put_atom, kv_batch)` -> `(caf::ok_atom)` once the batch is
///   written as the store's durability says, or an error
///   (`sec::runtime_error` with the store's one-line reason in its context).
///   Batches that arrive in a burst are committed together: one RocksDB
///   WriteBatch and one WAL write (group commit), at most `max_batch`
///   requests per commit. Replies follow arrival order. An actor that sends
///   several batches may rely on them being applied in its sending order.
///   A batch sent with `send` instead of `request` (an advisory write such
///   as a receipt position) is committed the same way and gets no answer.
/// - Anything else: a request gets `sec::unexpected_message`, a plain
///   message or a stray error is dropped; the writer never quits on them.
/// - `(caf::get_atom)` -> `(uint64_t commits, uint64_t requests)`: how many
///   store writes and how many put requests so far (tests, metrics).
///
/// kv_batch must be registered as a message type (`parley.kv_batch`) for
/// requests from other nodes. The actor runs on its own thread (detached),
/// so a slow disk never stalls the scheduler's workers. On an exit message
/// it first commits what it has accepted, then quits with that reason.
/// `store` must stay open while the actor lives (it shares ownership).
caf::actor spawn_persistence_actor(caf::actor_system& sys,
                                   std::shared_ptr<history_store> store,
                                   size_t max_batch = 1024);

} // namespace parley::persistence

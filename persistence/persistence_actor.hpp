#pragma once

#include <cstddef>
#include <memory>

#include <caf/fwd.hpp>

namespace parley::persistence {

class history_store;

/// Spawns the node's persistence actor: the only writer of `store`.
///
/// Protocol: `(write_atom, kv_batch)` -> `(ok_atom)` once the batch is
/// written durably (as the store's durability says), or an error. Writes
/// that arrive in a burst are committed together: one RocksDB WriteBatch and
/// one WAL write (group commit), at most `max_batch` requests per commit.
/// Replies follow write order. The actor runs on its own thread (detached),
/// so a slow disk never stalls the scheduler's workers.
caf::actor spawn_persistence_actor(caf::actor_system& sys,
                                   std::shared_ptr<history_store> store,
                                   size_t max_batch = 1024);

} // namespace parley::persistence

#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/fwd.hpp>

namespace parley::runtime {

/// Gives the memory of passivated entities back to the kernel.
///
/// glibc's malloc keeps what an actor frees in its arenas: after thousands
/// of entities are passivated the node's heap is mostly free, yet its RSS
/// stays where it was (the freed chunks lie between live ones, so the heap
/// top never shrinks). malloc_trim(0) returns every whole free page inside
/// the arenas with madvise, without moving anything.
///
/// Spawns a detached actor (its own thread: a trim walks the whole heap
/// and must not stall a scheduler worker) that every `period` asks
/// `directory` for its census of user and conversation actors
/// (`census_atom`, directory.hpp) and calls malloc_trim(0) when the total
/// fell since its previous look (entities ended, so memory was freed) or
/// at that look (an ended actor's object lives until its last idle tick,
/// due before the next look), and
/// logs one info line: the census before and after, and the heap in use
/// and held after the trim, followed by `stores()` (what the stores hold
/// in memory, as text; may be empty) (docs/operations.md, what to watch).
/// Without glibc it only watches. It ends when the directory ends. The
/// caller keeps the handle.
caf::actor spawn_memory_release(caf::actor_system& sys,
                                const caf::actor& directory,
                                std::chrono::milliseconds period,
                                std::function<std::string()> stores);

} // namespace parley::runtime

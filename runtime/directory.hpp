#pragma once

#include <memory>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

#include "runtime/entity.hpp"
#include "runtime/entity_supervisor.hpp"
#include "runtime/placement.hpp"

namespace parley::runtime {

/// Spawns the node's directory: entity -> actor, local or remote.
///
/// Protocol:
/// - `(get_atom, entity_id) -> actor`. An entity whose shard this node owns
///   is answered by the kind's local supervisor (activating it on demand);
///   an entity owned by another node is answered `unavailable` until the
///   cluster layer routes it (one node: every shard is local, through the
///   same code path).
/// - `(census_atom, entity_kind) -> uint64_t`: how many entities of the
///   kind are alive on this node (the local supervisor's census).
/// - `(fault_atom, entity_id, fault) -> ok_atom`: the same route to the
///   kind's supervisor, which hands the fault to the entity (fault.hpp;
///   `forbidden` unless `opts.fault_injection`).
///
/// The directory spawns one supervisor per kind from `factories`, with
/// `opts`, and is linked to each: a supervisor that escalates (restart
/// intensity exceeded) ends the directory with its reason, and the
/// directory's end ends the other supervisors.
caf::actor spawn_directory(
  caf::actor_system& sys, std::shared_ptr<const placement> where,
  std::vector<std::pair<entity_kind, entity_factory>> factories,
  supervisor_options opts = {});

} // namespace parley::runtime

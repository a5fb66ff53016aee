#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/spawn_options.hpp>

#include "runtime/entity.hpp"
#include "runtime/entity_actor.hpp"
#include "runtime/idle_clock.hpp"
#include "runtime/restart_intensity.hpp"

namespace parley::runtime {

/// Spawns the actor of one entity, as a monitored child of `supervisor`
/// (use `supervisor->spawn<caf::monitored>(...)`). The entity receives the
/// supervisor's handle so that it can ask to be passivated.
using entity_factory = std::function<caf::actor(
  caf::event_based_actor* supervisor, const std::string& key)>;

/// The factory of an entity kind whose behavior is
/// `behavior(self, key, xs..., supervisor_handle)`: spawns it as an
/// entity_actor (the behavior plus the fault-injection seam), a monitored
/// child of the supervisor. (Include caf/all.hpp where it is instantiated.)
template <class State, class... Args, class... Ts>
entity_factory
monitored_entity_factory(caf::behavior (*behavior)(caf::stateful_actor<State>*,
                                                   Args...),
                         Ts... xs) {
  return [=](caf::event_based_actor* supervisor, const std::string& key) {
    auto sup = caf::actor_cast<caf::actor>(supervisor);
    typename entity_actor<State>::init_function init
      = [=](caf::stateful_actor<State>* self) {
          return behavior(self, key, xs..., sup);
        };
    return supervisor
      ->template spawn<entity_actor<State>, caf::monitored>(std::move(init));
  };
}

/// `(census_atom) -> uint64_t`: how many instances a supervisor holds.
using census_atom = caf::atom_constant<caf::atom("census")>;

/// How the supervisors of a node behave (cluster.conf [server]).
struct supervisor_options {
  /// More crashes than this within its period make the supervisor give up.
  restart_limit restarts;
  /// Accept `fault_atom` messages (tests only; off by default).
  bool fault_injection = false;
};

/// Spawns the supervisor of one entity kind on this node: the only place that
/// starts the kind's actors, and the one that knows which instance is live.
///
/// Protocol:
/// - `(get_atom, key) -> actor`: the live instance of `key`, activated on
///   demand. While an instance is passivating, lookups wait for it to be
///   gone, so there is never more than one instance of an entity.
/// - `(idle_atom)` from an entity that has been idle: the supervisor
///   answers `ok_atom` if the sender is the live instance; the entity must
///   then quit at once (no further work). Otherwise it answers an error and
///   the entity carries on.
/// - `(fault_atom, key, fault) -> ok_atom`: hands the fault to the live
///   instance of `key` (activated if needed). `ok_atom` once it is in
///   effect: for a crash, once the supervisor has seen the instance end (so
///   that the next lookup activates a new one). `forbidden` unless
///   `fault_injection` is on.
/// - `(census_atom) -> uint64_t`: the number of instances alive, counting
///   one that is passivating until it has ended (operators, tests).
/// - A child that ends (crash or passivation) is forgotten; the next lookup
///   activates a new instance, which reloads its state from the stores.
///
/// Restart intensity (as OTP's): a child that ends with a reason other than
/// none/normal/user_shutdown is a crash (passivation is a normal quit). More
/// than `restarts.intensity` crashes within a sliding `restarts.period`
/// escalate: the supervisor logs one error line (kind, count, period), ends
/// its children and quits with an `internal` error, which ends whatever is
/// linked to it (the node's directory, and through the node's vital watch
/// the node itself).
caf::actor spawn_entity_supervisor(caf::actor_system& sys, entity_kind kind,
                                   entity_factory factory,
                                   supervisor_options opts = {});

/// Called by an entity actor whose idle timer fired: asks `supervisor` for
/// permission. Once granted, no new lookup returns this instance and the
/// next instance waits for this one to end, so `on_granted` must make the
/// entity quit as soon as its in-flight work (e.g. pending writes) is done.
template <class Self, class F>
void request_passivation(Self* self, const caf::actor& supervisor,
                         F on_granted);

/// Schedules the entity's next idle tick (`idle_tick_atom`, idle_clock.hpp)
/// in `passivate_after / 2`. Call it once when the entity starts.
template <class Self>
void arm_idle_tick(Self* self, std::chrono::milliseconds passivate_after);

/// The handler of `idle_tick_atom` every entity actor shares: re-arms the
/// tick, and once `clock` says the entity was idle for `passivate_after`
/// and `busy()` is false (devices, watchers, writes pending, a passivation
/// already granted...), asks `supervisor` (request_passivation).
template <class Self, class Busy, class F>
void on_idle_tick(Self* self, idle_clock& clock,
                  std::chrono::milliseconds passivate_after,
                  const caf::actor& supervisor, Busy busy, F on_granted);

} // namespace parley::runtime

#include "runtime/request_passivation.hpp"

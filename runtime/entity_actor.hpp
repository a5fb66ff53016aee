#pragma once

#include <functional>
#include <utility>

#include <caf/behavior.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace parley::runtime {

/// The fault handlers every entity actor runs beside its own behavior
/// (entity_faults.cpp): `(fault_atom, fault) -> ok_atom` answers once the
/// fault is in effect, then crashes, stalls or drops as fault.hpp says.
/// `handler` is the actor's default-handler slot (drop swaps it).
///
/// How: crash quits with `internal` ("injected crash"). Delay is a request
/// to itself with a timeout of `ms` that the actor awaits: CAF keeps every
/// other ordinary message in the mailbox until the awaited answer (the
/// timeout) comes; answers to the actor's earlier requests still run. Drop
/// pushes a behavior that matches nothing, so the next message reaches the
/// default handler, which discards it (a request is left unanswered), pops
/// that behavior and hands every later message to the handler it replaced;
/// messages the actor sent itself (its timers) wait in the mailbox meanwhile.
caf::behavior fault_handlers(caf::event_based_actor* self,
                             caf::scheduled_actor::default_handler& handler);

/// The actor class of every entity (see monitored_entity_factory): a
/// stateful actor whose behavior is the entity's own, set up by `init`, with
/// fault_handlers in front (they match only fault messages). Entities stay
/// written as behavior functions of `caf::stateful_actor<State>*`.
template <class State>
class entity_actor : public caf::stateful_actor<State> {
public:
  using super = caf::stateful_actor<State>;
  using init_function = std::function<caf::behavior(super*)>;

  entity_actor(caf::actor_config& cfg, init_function init)
      : super(cfg), init_(std::move(init)) {
    // nop
  }

  caf::behavior make_behavior() override {
    auto init = std::move(init_);
    auto own = init(this);
    if (!own)
      return own; // ended during its start
    // The faults go first: a combined behavior keeps the timeout of the
    // second one, the entity's.
    auto faults = fault_handlers(this, this->default_handler_);
    return caf::behavior{
      faults.as_behavior_impl()->or_else(own.as_behavior_impl())};
  }

private:
  init_function init_;
};

} // namespace parley::runtime

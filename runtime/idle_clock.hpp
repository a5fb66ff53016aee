#pragma once

#include <caf/atom.hpp>

namespace parley::runtime {

/// The message an entity actor sends itself every half passivation period.
using idle_tick_atom = caf::atom_constant<caf::atom("idle_tick")>;

/// Idle detection for entity actors without a timer per message (CAF's
/// `after` re-arms a timeout, through the actor clock's global lock, on
/// every message, which costs a fifth of the node's CPU under load).
///
/// Contract: the actor calls touch() in every handler that counts as
/// activity, and tick() on each idle_tick_atom, which it schedules every
/// `passivate_after / 2`. tick() returns true once no touch() happened for
/// two ticks in a row: the entity was idle at least `passivate_after`
/// (and at most 1.5 times that). Owned by one actor; not thread-safe.
class idle_clock {
public:
  void touch() noexcept {
    active_ = true;
  }

  bool tick() noexcept {
    idle_ticks_ = active_ ? 0 : idle_ticks_ + 1;
    active_ = false;
    return idle_ticks_ >= 2;
  }

private:
  bool active_ = false;
  unsigned idle_ticks_ = 0;
};

} // namespace parley::runtime

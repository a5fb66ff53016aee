#pragma once

// Implementation of parley::runtime::request_passivation (a template, so it
// works with any stateful entity actor). Include entity_supervisor.hpp.

#include <chrono>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "runtime/idle_clock.hpp"

namespace parley::runtime {

template <class Self, class F>
void request_passivation(Self* self, const caf::actor& supervisor,
                         F on_granted) {
  self->request(supervisor, caf::infinite, caf::idle_atom::value)
    .then([=](caf::ok_atom) mutable { on_granted(); },
          [](const caf::error&) {
            // Not the live instance (or already stopping): carry on.
          });
}

template <class Self>
void arm_idle_tick(Self* self, std::chrono::milliseconds passivate_after) {
  self->delayed_send(self, passivate_after / 2, idle_tick_atom::value);
}

template <class Self, class Busy, class F>
void on_idle_tick(Self* self, idle_clock& clock,
                  std::chrono::milliseconds passivate_after,
                  const caf::actor& supervisor, Busy busy, F on_granted) {
  arm_idle_tick(self, passivate_after);
  if (!clock.tick() || busy())
    return;
  request_passivation(self, supervisor, std::move(on_granted));
}

} // namespace parley::runtime

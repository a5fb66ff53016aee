#pragma once

// Implementation of parley::runtime::request_passivation (a template, so it
// works with any stateful entity actor). Include entity_supervisor.hpp.

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

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

} // namespace parley::runtime

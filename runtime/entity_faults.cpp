// The fault-injection seam of entity actors (entity_actor.hpp, fault.hpp).

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "runtime/entity_actor.hpp"
#include "runtime/errors.hpp"
#include "runtime/fault.hpp"
#include "runtime/log.hpp"

namespace parley::runtime {

namespace {

/// The request a delayed actor sends itself and leaves unread until its
/// timeout ends the stall.
using stall_atom = caf::atom_constant<caf::atom("f_stall")>;

/// Never sent: the behavior of an actor about to drop a message matches it
/// only, so that everything else reaches the default handler.
using dropping_atom = caf::atom_constant<caf::atom("f_dropping")>;

/// One drop fault, installed as the actor's default handler in front of
/// the one it replaced.
struct drop_layer {
  bool armed = true;
  caf::scheduled_actor::default_handler next;
};

std::string who(caf::event_based_actor* self) {
  return std::string{self->name()} + " #" + std::to_string(self->id());
}

void start_drop(caf::event_based_actor* self,
                caf::scheduled_actor::default_handler& handler) {
  auto layer = std::make_shared<drop_layer>();
  layer->next = std::move(handler);
  handler = [self, layer](caf::scheduled_actor* s,
                          caf::message_view& x) -> caf::result<caf::message> {
    if (!layer->armed)
      return layer->next(s, x);
    if (s->current_sender() && s->current_sender().get() == self->ctrl())
      return caf::skip; // its own timers: kept for after the drop
    layer->armed = false;
    self->unbecome();
    log(log_level::warning, who(self) + " dropped (injected fault): "
                              + caf::to_string(x.content()));
    // Delegated: no answer at all, not even an error.
    return caf::delegated<caf::message>{};
  };
  self->become(caf::keep_behavior, caf::behavior{[](dropping_atom) {
                 // nop
               }});
}

} // namespace

caf::behavior fault_handlers(caf::event_based_actor* self,
                             caf::scheduled_actor::default_handler& handler) {
  auto slot = &handler; // a member of *self: lives as long as the handlers
  return {
    [=](fault_atom, const fault& f) -> caf::result<caf::ok_atom> {
      log(log_level::warning, who(self) + " injected fault: " + to_string(f));
      auto rp = self->make_response_promise<caf::ok_atom>();
      rp.deliver(caf::ok_atom::value);
      switch (f.what) {
      case fault::kind::crash:
        self->quit(make_error(errc::internal, "injected crash"));
        break;
      case fault::kind::delay:
        if (f.ms.count() > 0)
          self
            ->request(caf::actor_cast<caf::actor>(self), f.ms,
                      stall_atom::value)
            .await([](caf::ok_atom) {}, [](caf::error&) {});
        break;
      case fault::kind::drop:
        start_drop(self, *slot);
        break;
      }
      return rp;
    },
    [](stall_atom) {
      // Read after the stall ended; nobody waits for the answer any more.
      return caf::ok_atom::value;
    },
  };
}

} // namespace parley::runtime

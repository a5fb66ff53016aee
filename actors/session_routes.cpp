// A session's routes to conversation actors (conv_routes): the bookkeeping
// behind ask_conv, and the fail-over of requests whose conversation actor
// ended while they were in flight.

#include "actors/session_state.hpp"

namespace parley::actors {

namespace {

void release(session_actor* self) {
  auto& st = self->state;
  for (auto& addr : st.released)
    self->demonitor(addr);
  st.released.clear();
}

} // namespace

void cache_conv(session_actor* self, const std::string& conv,
                const caf::actor& target) {
  auto& st = self->state;
  if (st.convs.insert(conv, target, st.released))
    self->monitor(target);
  release(self);
}

void conv_request_sent(session_actor* self, const caf::actor& target,
                       caf::message_id id) {
  if (self->state.convs.sent(target, id))
    self->monitor(target);
}

void conv_request_done(session_actor* self, conv_routes::target_key target,
                       caf::message_id id) {
  caf::actor_addr gone;
  if (self->state.convs.done(target, id, gone))
    self->demonitor(gone);
}

void forget_conv(session_actor* self, const std::string& conv,
                 conv_routes::target_key target) {
  caf::actor_addr gone;
  if (self->state.convs.forget(conv, target, gone))
    self->demonitor(gone);
}

void release_convs(session_actor* self) {
  self->state.convs.clear(self->state.released);
  release(self);
}

bool on_conv_down(session_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (!st.convs.down(dm.source, st.failed_over))
    return false;
  // Answer each request the actor will never answer as CAF answers those
  // left in a dead actor's mailbox: ask_conv's handler then retries it.
  for (auto id : st.failed_over)
    self->eq_impl(id, nullptr, self->context(),
                  caf::make_error(caf::sec::request_receiver_down));
  st.failed_over.clear();
  return true;
}

} // namespace parley::actors

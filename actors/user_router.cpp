#include "actors/user_router.hpp"

#include <caf/all.hpp>

#include "runtime/entity.hpp"

namespace parley::actors {

user_router::user_router(caf::event_based_actor* self, node_context_ptr ctx)
  : self_(self), ctx_(std::move(ctx)) {
  // nop
}

void user_router::send(const std::string& user, const push& p) {
  send(user, caf::make_message(p));
}

void user_router::send(const std::string& user, const caf::message& msg) {
  if (auto i = actors_.find(user); i != actors_.end()) {
    self_->send(i->second, msg);
    return;
  }
  auto& queue = waiting_[user];
  queue.push_back(msg);
  if (queue.size() > 1)
    return; // a resolution is already in flight
  runtime::entity_id e{persistence::entity_kind::user, user};
  self_->request(ctx_->directory, ctx_->settings.request_timeout,
                 caf::get_atom::value, e)
    .then(
      [this, user](caf::actor& handle) {
        auto queued = std::move(waiting_[user]);
        waiting_.erase(user);
        self_->monitor(handle);
        for (auto& q : queued)
          self_->send(handle, std::move(q));
        actors_[user] = std::move(handle);
      },
      [this, user](const caf::error&) {
        // The user's node is unavailable: its devices catch up from the
        // store when they (re)connect.
        waiting_.erase(user);
      });
}

bool user_router::on_down(const caf::actor_addr& who) {
  for (auto i = actors_.begin(); i != actors_.end(); ++i) {
    if (i->second.address() == who) {
      actors_.erase(i);
      return true;
    }
  }
  return false;
}

void user_router::clear() {
  actors_.clear();
}

} // namespace parley::actors

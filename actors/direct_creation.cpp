// The first post of a direct conversation creates it (see
// conversation_actor.hpp): both users record it in their index first.

#include <algorithm>

#include "actors/conversation_state.hpp"
#include "runtime/errors.hpp"

namespace parley::actors {

using persistence::conv_type;

namespace {

/// Ends the creation: on success the waiting posts go through, on failure
/// they all get `err`.
void finish_create(conversation_actor* self, std::vector<std::string> members,
                   std::optional<caf::error> err) {
  auto& st = self->state;
  st.creating = false;
  auto waiting = std::move(st.waiting_for_create);
  st.waiting_for_create.clear();
  if (err) {
    for (auto& w : waiting)
      w.second.deliver(*err);
    return;
  }
  std::sort(members.begin(), members.end());
  st.exists = true;
  st.meta_unwritten = true;
  st.meta.conv = st.conv;
  st.meta.type = conv_type::direct;
  st.meta.members = members;
  st.meta.created = now_ms();
  st.roster = group_roster::direct(st.conv, members);
  for (auto& w : waiting)
    handle_post(self, std::move(w.first), std::move(w.second));
}

/// Asks each user of `order`, one after the other, to add the conversation
/// to its index (durably), then finishes the creation.
void join_in_order(conversation_actor* self,
                   std::shared_ptr<const std::vector<std::string>> order,
                   size_t next) {
  if (next == order->size()) {
    finish_create(self, *order, std::nullopt);
    return;
  }
  auto fail = [=](caf::error& err) { finish_create(self, {}, std::move(err)); };
  auto timeout = self->state.ctx->settings.request_timeout;
  runtime::entity_id e{persistence::entity_kind::user, (*order)[next]};
  self->request(self->state.ctx->directory, timeout, caf::get_atom::value, e)
    .then(
      [=](caf::actor& ua) {
        self
          ->request(ua, timeout, joined_atom::value, self->state.conv,
                    static_cast<uint8_t>(conv_type::direct))
          .then([=](caf::ok_atom) { join_in_order(self, order, next + 1); },
                fail);
      },
      fail);
}

} // namespace

/// The peer joins first, so a peer that does not exist (`no_such_user`)
/// touches no index; both users record the conversation in their index
/// before the conversation itself is written, so a crash in between leaves
/// at worst an index entry without a conversation, which readers skip.
void create_direct(conversation_actor* self, const std::string& from,
                   const std::string& peer) {
  self->state.creating = true;
  auto order = std::make_shared<const std::vector<std::string>>(
    peer == from ? std::vector<std::string>{from}
                 : std::vector<std::string>{peer, from});
  join_in_order(self, std::move(order), 0);
}

} // namespace parley::actors

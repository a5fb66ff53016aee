// Members' delivered/read positions and the receipt pushes they cause (see
// conversation_actor.hpp).

#include <algorithm>

#include "actors/conversation_state.hpp"
#include "actors/wire_frames.hpp"

namespace parley::actors {

using persistence::kv_batch;

void move_position(conversation_actor* self, const std::string& user,
                   uint64_t delivered, uint64_t read) {
  auto& st = self->state;
  auto& pos = st.positions[user];
  pos.user = user;
  bool delivered_moved = delivered > pos.delivered;
  bool read_moved = read > pos.read;
  if (!delivered_moved && !read_moved)
    return;
  pos.delivered = std::max(pos.delivered, delivered);
  pos.read = std::max(pos.read, read);
  if (!is_group(st)) {
    kv_batch b;
    st.ctx->history->encode_position(b, st.conv, pos);
    // Positions are advisory (receipts): no need to wait for the write.
    self->send(st.ctx->persistence, caf::put_atom::value, std::move(b));
    // A direct conversation: one receipt to one peer, at once.
    std::string frames;
    if (delivered_moved)
      frames += wire::receipt_push(st.conv, user, "delivered", pos.delivered);
    if (read_moved)
      frames += wire::receipt_push(st.conv, user, "read", pos.read);
    push_to(self, *st.roster.members(), push{st.conv, 0, {}, {}, frames},
            user);
    return;
  }
  // A group: when everyone reads, pushing each move to every member costs
  // members^2 pushes, and writing each move costs a write per ack. Collect
  // the moves; store and push them once per window.
  auto& pending = st.receipts[user];
  if (delivered_moved)
    pending.first = pos.delivered;
  if (read_moved)
    pending.second = pos.read;
  if (!st.receipt_flush_due) {
    st.receipt_flush_due = true;
    self->delayed_send(self, receipt_window(st), receipt_flush_atom::value);
  }
}

std::chrono::milliseconds receipt_window(const conversation_state& st) {
  // The frames of one window are (members that moved) x (members - 1): the
  // window grows with the group so that their rate stays about the same.
  auto tens = std::max<size_t>(1, (st.roster.size() + 9) / 10);
  return st.ctx->settings.receipt_coalesce * static_cast<int64_t>(tens);
}

void flush_receipts(conversation_actor* self) {
  auto& st = self->state;
  st.receipt_flush_due = false;
  if (st.receipts.empty())
    return;
  // Each member gets one push holding the latest move of every other user
  // (a receipt frame per user and kind): one shared message for the members
  // whose own moves are not in it, a trimmed copy for the others.
  std::unordered_map<std::string, std::string> own;
  std::string all;
  kv_batch positions;
  for (auto& [user, moved] : st.receipts) {
    if (auto i = st.positions.find(user); i != st.positions.end())
      st.ctx->history->encode_position(positions, st.conv, i->second);
    std::string frames;
    if (moved.first != 0)
      frames += wire::receipt_push(st.conv, user, "delivered", moved.first);
    if (moved.second != 0)
      frames += wire::receipt_push(st.conv, user, "read", moved.second);
    all += frames;
    own.emplace(user, std::move(frames));
  }
  st.receipts.clear();
  // Advisory, like every position write: not waited for.
  self->send(st.ctx->persistence, caf::put_atom::value, std::move(positions));
  auto shared = caf::make_message(push{st.conv, 0, {}, {}, all});
  for (auto& m : *st.roster.members()) {
    auto i = own.find(m);
    if (i == own.end()) {
      st.router->send(m, shared);
      continue;
    }
    std::string mine;
    for (auto& [user, frames] : own)
      if (user != m)
        mine += frames;
    if (!mine.empty())
      st.router->send(m, caf::make_message(push{st.conv, 0, {}, {}, mine}));
  }
}

} // namespace parley::actors

// The send path of a conversation actor: membership check, dedupe, seq,
// the write, the reply, the fan-out (see conversation_actor.hpp).

#include <algorithm>

#include "actors/conversation_actor.hpp"
#include "actors/conversation_state.hpp"
#include "actors/wire_frames.hpp"
#include "runtime/errors.hpp"

namespace parley::actors {

using persistence::dedupe_entry;
using persistence::kv_batch;

namespace {

/// A retried post found in the store, not in this instance's memory: an
/// earlier instance wrote it and may have ended (a crash) between the
/// write and its pushes, so nobody may have been told. Pushes it again to
/// the members who may read it; devices that already have it skip it
/// (delivery_tracker), the others get it live instead of with the next
/// message. Rare (a retry after a crash or a passivation), so the read is
/// affordable.
void push_again(conversation_actor* self, uint64_t seq,
                const std::string& device) {
  auto& st = self->state;
  auto rec = st.ctx->history->find_message(st.conv, seq);
  if (!rec)
    return;
  std::vector<std::string> audience;
  for (auto& user : *st.roster.members())
    if (auto range = st.roster.visible(user); range && range->from <= seq)
      audience.push_back(user);
  auto from = rec->from;
  push_to(self, audience,
          push{st.conv, seq, std::move(from), device,
               wire::msg_push(*rec)});
}

} // namespace

void handle_post(conversation_actor* self, post p, caf::response_promise rp) {
  auto& st = self->state;
  if (st.creating) {
    st.waiting_for_create.emplace_back(std::move(p), std::move(rp));
    return;
  }
  if (!st.exists) {
    if (!p.direct_peer.empty()
        && direct_conv_id(p.from, p.direct_peer) == st.conv) {
      st.waiting_for_create.emplace_back(p, std::move(rp));
      create_direct(self, p.from, p.direct_peer);
      return;
    }
    rp.deliver(make_error(errc::forbidden));
    return;
  }
  if (!st.roster.is_member(p.from)) {
    rp.deliver(make_error(errc::forbidden));
    return;
  }
  auto key = dedupe_key(p.from, p.cmid);
  if (auto hit = st.recent.find(key)) {
    rp.deliver(post_result{st.conv, hit->seq, hit->ts});
    return;
  }
  if (auto i = st.inflight.find(key); i != st.inflight.end()) {
    i->second.waiters.push_back(std::move(rp));
    return;
  }
  if (auto stored = st.ctx->history->find_dedupe(st.conv, p.from, p.cmid)) {
    st.recent.add(key, *stored);
    rp.deliver(post_result{st.conv, stored->seq, stored->ts});
    push_again(self, stored->seq, p.device);
    return;
  }
  if (st.pending_writes >= st.ctx->settings.max_pending_writes) {
    rp.deliver(make_error(errc::overloaded));
    return;
  }
  message_record rec;
  sequence(self, rec);
  rec.from = p.from;
  rec.kind = p.kind.empty() ? "text" : std::move(p.kind);
  rec.body = std::move(p.body);
  rec.binary = p.binary;
  rec.cmid = p.cmid;
  kv_batch batch;
  auto& store = *st.ctx->history;
  if (st.meta_unwritten) {
    store.encode_conv_meta(batch, st.meta);
    st.meta_unwritten = false;
  }
  store.encode_message(batch, rec);
  store.encode_dedupe(batch, st.conv, rec.from, rec.cmid,
                      dedupe_entry{rec.seq, rec.ts});
  // Sending implies having read everything before: the sender's positions
  // move with its own message (no receipt is pushed for that).
  auto& pos = st.positions[rec.from];
  pos.user = rec.from;
  pos.delivered = std::max(pos.delivered, rec.seq);
  pos.read = std::max(pos.read, rec.seq);
  store.encode_position(batch, st.conv, pos);
  st.inflight[key].waiters.push_back(std::move(rp));
  ++st.pending_writes;
  // The members at sequencing time receive it, whatever changes before the
  // write completes (a member removed meanwhile may still read this seq).
  auto audience = st.roster.members();
  auto device = p.device;
  self
    ->request(st.ctx->persistence, caf::infinite, caf::put_atom::value,
              std::move(batch))
    .then(
      [=, rec = std::move(rec)](caf::ok_atom) {
        auto& st = self->state;
        --st.pending_writes;
        st.durable_seq = rec.seq;
        st.recent.add(key, dedupe_entry{rec.seq, rec.ts});
        if (auto i = st.inflight.find(key); i != st.inflight.end()) {
          for (auto& w : i->second.waiters)
            w.deliver(post_result{st.conv, rec.seq, rec.ts});
          st.inflight.erase(i);
        }
        push_to(self, *audience,
                push{st.conv, rec.seq, rec.from, device, wire::msg_push(rec)});
        maybe_quit(self);
      },
      [=](caf::error& err) {
        // The store refused the write: this seq may never exist, so the
        // actor's view of the sequence is void. Fail the waiters and end;
        // the next activation reloads the truth from the store.
        auto& st = self->state;
        for (auto& [_, f] : st.inflight)
          for (auto& w : f.waiters)
            w.deliver(make_error(errc::unavailable, error_text(err)));
        st.inflight.clear();
        self->quit(err);
      });
}

} // namespace parley::actors

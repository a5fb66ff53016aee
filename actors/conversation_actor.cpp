#include "actors/conversation_actor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_map>

#include <caf/all.hpp>
#include <sodium.h>

#include "actors/user_router.hpp"
#include "actors/wire_frames.hpp"
#include "runtime/idle_clock.hpp"
#include "runtime/errors.hpp"

namespace parley::actors {

using persistence::conv_meta;
using persistence::conv_type;
using persistence::dedupe_entry;
using persistence::kv_batch;

std::string direct_conv_id(std::string_view a, std::string_view b) {
  if (b < a)
    std::swap(a, b);
  std::string input;
  input.reserve(a.size() + b.size() + 1);
  input.append(a).push_back('\0');
  input.append(b);
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "d.";
  for (auto byte : digest) {
    id.push_back(hex[byte >> 4]);
    id.push_back(hex[byte & 0xF]);
  }
  return id;
}

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// A post waiting for its write, with any retries of the same cmid that
/// arrived meanwhile.
struct inflight_post {
  std::vector<caf::response_promise> waiters;
};

/// Recently acknowledged sends: (user, cmid) -> (seq, ts), newest kept.
class recent_sends {
public:
  explicit recent_sends(size_t capacity) : capacity_(capacity) {}

  const dedupe_entry* find(const std::string& key) const {
    auto i = map_.find(key);
    return i == map_.end() ? nullptr : &i->second;
  }

  void add(std::string key, dedupe_entry e) {
    if (map_.emplace(key, e).second) {
      order_.push_back(std::move(key));
      if (order_.size() > capacity_) {
        map_.erase(order_.front());
        order_.pop_front();
      }
    }
  }

private:
  size_t capacity_;
  std::unordered_map<std::string, dedupe_entry> map_;
  std::deque<std::string> order_;
};

struct conversation_state {
  std::string conv;
  node_context_ptr ctx;
  caf::actor supervisor;
  bool exists = false;
  conv_meta meta;
  uint64_t last_seq = 0;    ///< Highest seq assigned.
  uint64_t durable_seq = 0; ///< Highest seq written (all below are too).
  int64_t last_ts = 0;
  std::unordered_map<std::string, member_position> positions;
  recent_sends recent{1024};
  std::unordered_map<std::string, inflight_post> inflight;
  uint32_t pending_writes = 0;
  bool meta_unwritten = false; ///< Created; meta goes with the first write.
  bool creating = false;
  std::vector<std::pair<post, caf::response_promise>> waiting_for_create;
  bool passivating = false;
  std::unique_ptr<user_router> router;
  runtime::idle_clock idle;
  static inline const char* name = "conversation";
};

using conversation_actor = caf::stateful_actor<conversation_state>;

bool is_member(const conversation_state& st, const std::string& user) {
  return std::find(st.meta.members.begin(), st.meta.members.end(), user)
         != st.meta.members.end();
}

std::string dedupe_key(const std::string& user, const std::string& cmid) {
  std::string key;
  key.reserve(user.size() + cmid.size() + 1);
  key.append(user).push_back('\0');
  key.append(cmid);
  return key;
}

void load(conversation_actor* self) {
  auto& st = self->state;
  auto& store = *st.ctx->history;
  if (auto meta = store.find_conv_meta(st.conv)) {
    st.meta = std::move(*meta);
    st.exists = true;
    st.last_seq = st.durable_seq = store.last_seq(st.conv);
    if (st.last_seq > 0)
      if (auto last = store.find_message(st.conv, st.last_seq))
        st.last_ts = last->ts;
    for (auto& p : store.positions(st.conv))
      st.positions[p.user] = p;
  }
}

void maybe_quit(conversation_actor* self) {
  if (self->state.passivating && self->state.pending_writes == 0)
    self->quit();
}

/// Pushes `frame` to every member but `except` (unsequenced push).
void push_to_others(conversation_actor* self, const std::string& except,
                    std::string frame) {
  auto& st = self->state;
  push p{st.conv, 0, {}, {}, std::move(frame)};
  for (auto& m : st.meta.members)
    if (m != except)
      st.router->send(m, p);
}

/// Writes `user`'s position and tells the other members what moved.
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
  kv_batch b;
  st.ctx->history->encode_position(b, st.conv, pos);
  // Positions are advisory (receipts): no need to wait for the write.
  self->send(st.ctx->persistence, caf::put_atom::value, std::move(b));
  if (delivered_moved)
    push_to_others(self, user,
                   wire::receipt_push(st.conv, user, "delivered",
                                      pos.delivered));
  if (read_moved)
    push_to_others(self, user,
                   wire::receipt_push(st.conv, user, "read", pos.read));
}

void handle_post(conversation_actor* self, post p, caf::response_promise rp);

/// Ends the creation of a direct conversation: on success the waiting posts
/// go through, on failure they all get `err`.
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
  st.meta.members = std::move(members);
  st.meta.created = now_ms();
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

/// First post to a direct conversation that does not exist yet. The peer
/// joins first, so a peer that does not exist (`no_such_user`) touches no
/// index; both users record the conversation in their index before the
/// conversation itself is written, so a crash in between leaves at worst an
/// index entry without a conversation, which readers skip.
void create_direct(conversation_actor* self, const std::string& from,
                   const std::string& peer) {
  self->state.creating = true;
  auto order = std::make_shared<const std::vector<std::string>>(
    peer == from ? std::vector<std::string>{from}
                 : std::vector<std::string>{peer, from});
  join_in_order(self, std::move(order), 0);
}

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
  if (!is_member(st, p.from)) {
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
    return;
  }
  if (st.pending_writes >= st.ctx->settings.max_pending_writes) {
    rp.deliver(make_error(errc::overloaded));
    return;
  }
  message_record rec;
  rec.conv = st.conv;
  rec.seq = ++st.last_seq;
  rec.ts = st.last_ts = std::max(now_ms(), st.last_ts);
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
        push out{st.conv, rec.seq, rec.from, device, wire::msg_push(rec)};
        for (auto& m : st.meta.members)
          st.router->send(m, out);
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

/// The member check every request but `post` starts with.
bool allowed(conversation_actor* self, const std::string& user) {
  auto& st = self->state;
  return st.exists && is_member(st, user);
}

caf::behavior conversation(conversation_actor* self, std::string conv,
                           node_context_ptr ctx, caf::actor supervisor) {
  auto& st = self->state;
  st.conv = std::move(conv);
  st.ctx = std::move(ctx);
  st.supervisor = std::move(supervisor);
  install_standard_handlers(self);
  st.router = std::make_unique<user_router>(self, st.ctx);
  // A previous instance that crashed may have left writes with the
  // persistence actor that are not in the store yet; loading now would miss
  // them and hand out their seqs again. The writer applies batches in
  // arrival order, so once an empty batch sent now is answered, every
  // earlier one is in the store: load only then, and take no request
  // before (await keeps them in the mailbox).
  self
    ->request(st.ctx->persistence, caf::infinite, caf::put_atom::value,
              kv_batch{})
    .await([=](caf::ok_atom) { load(self); },
           [=](caf::error& err) { self->quit(err); });
  self->set_down_handler(
    [=](caf::down_msg& dm) { self->state.router->on_down(dm.source); });
  self->delayed_send(self, st.ctx->settings.passivate_after / 2,
                     runtime::idle_tick_atom::value);
  auto forbidden = [] { return make_error(errc::forbidden); };
  return {
    [=](post_atom, post& p) -> caf::result<post_result> {
      self->state.idle.touch();
      auto rp = self->make_response_promise<post_result>();
      handle_post(self, std::move(p), rp);
      return rp;
    },
    [=](history_atom, const history_query& q) -> caf::result<history_page> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, q.user))
        return forbidden();
      history_page page;
      page.conv = st.conv;
      auto limit = std::clamp<uint32_t>(q.limit, 1, 100);
      if (q.forward)
        page.msgs = st.ctx->history->page_after(st.conv, q.after, limit,
                                                page.more);
      else
        page.msgs = st.ctx->history->page_before(st.conv, q.before, limit,
                                                 page.more);
      return page;
    },
    [=](summary_atom, const std::string& user) -> caf::result<conv_summary> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      conv_summary s;
      s.conv = st.conv;
      s.kind = st.meta.type == conv_type::direct ? "direct" : "group";
      s.members = st.meta.members;
      if (st.meta.type == conv_type::direct) {
        for (auto& m : st.meta.members)
          if (m != user)
            s.name = m;
        if (s.name.empty())
          s.name = user; // a conversation with oneself
      } else {
        s.name = st.meta.name;
      }
      s.last_seq = st.durable_seq;
      auto i = st.positions.find(user);
      s.read_seq = i == st.positions.end() ? 0 : i->second.read;
      s.unread = s.last_seq > s.read_seq ? s.last_seq - s.read_seq : 0;
      if (s.last_seq > 0)
        if (auto last = st.ctx->history->find_message(st.conv, s.last_seq)) {
          s.has_last = true;
          s.last = std::move(*last);
        }
      return s;
    },
    [=](receipts_atom,
        const std::string& user) -> caf::result<std::vector<member_position>> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      std::vector<member_position> out;
      for (auto& m : st.meta.members) {
        auto i = st.positions.find(m);
        out.push_back(i == st.positions.end() ? member_position{m, 0, 0}
                                              : i->second);
      }
      return out;
    },
    [=](ack_atom, const std::string& user, const std::string&,
        uint64_t seq) -> caf::result<uint64_t> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      seq = std::min(seq, st.durable_seq);
      move_position(self, user, seq, 0);
      return seq;
    },
    [=](read_atom, const std::string& user,
        uint64_t seq) -> caf::result<caf::ok_atom> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      seq = std::min(seq, st.durable_seq);
      move_position(self, user, seq, seq);
      return caf::ok_atom::value;
    },
    [=](typing_atom, const std::string& user,
        bool on) -> caf::result<caf::ok_atom> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      push_to_others(self, user, wire::typing_push(st.conv, user, on));
      return caf::ok_atom::value;
    },
    [=](runtime::idle_tick_atom) {
      auto& st = self->state;
      self->delayed_send(self, st.ctx->settings.passivate_after / 2,
                         runtime::idle_tick_atom::value);
      if (!st.idle.tick() || st.pending_writes > 0 || st.creating
          || st.passivating)
        return;
      runtime::request_passivation(self, st.supervisor, [=] {
        self->state.passivating = true;
        maybe_quit(self);
      });
    },
  };
}

} // namespace

runtime::entity_factory conversation_factory(node_context_ptr ctx) {
  return runtime::monitored_entity_factory(conversation, std::move(ctx));
}

} // namespace parley::actors

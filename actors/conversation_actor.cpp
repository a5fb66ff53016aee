#include "actors/conversation_actor.hpp"

#include <algorithm>
#include <chrono>

#include <caf/all.hpp>
#include <sodium.h>

#include "actors/conversation_state.hpp"
#include "actors/wire_frames.hpp"
#include "runtime/errors.hpp"

namespace parley::actors {

using persistence::conv_type;
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

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

bool is_group(const conversation_state& st) {
  return st.meta.type == conv_type::group;
}

void maybe_quit(conversation_actor* self) {
  auto& st = self->state;
  if (st.passivating && st.pending_writes == 0 && !st.changing)
    self->quit();
}

void push_to(conversation_actor* self, const std::vector<std::string>& users,
             push p, const std::string& except) {
  auto& st = self->state;
  auto msg = caf::make_message(std::move(p));
  for (auto& u : users)
    if (u != except)
      st.router->send(u, msg);
}

void sequence(conversation_actor* self, message_record& rec) {
  auto& st = self->state;
  rec.conv = st.conv;
  rec.seq = ++st.last_seq;
  rec.ts = st.last_ts = std::max(now_ms(), st.last_ts);
}

namespace {

/// Loads the conversation from the stores; false if they cannot be read.
bool load(conversation_actor* self) {
  auto& st = self->state;
  auto& store = *st.ctx->history;
  auto meta = store.find_conv_meta(st.conv);
  if (!meta)
    return true; // does not exist (yet)
  st.meta = std::move(*meta);
  st.exists = true;
  st.last_seq = st.durable_seq = store.last_seq(st.conv);
  if (st.last_seq > 0)
    if (auto last = store.find_message(st.conv, st.last_seq))
      st.last_ts = last->ts;
  for (auto& p : store.positions(st.conv))
    st.positions[p.user] = p;
  if (!is_group(st)) {
    st.roster = group_roster::direct(st.conv, st.meta.members);
    return true;
  }
  return load_group(self);
}

/// The range of seqs `user` may read, or nullopt: not (and never) a member,
/// or no such conversation. Everything outside gets `forbidden`.
std::optional<visible_range> readable(conversation_actor* self,
                                      const std::string& user) {
  auto& st = self->state;
  if (!st.exists)
    return std::nullopt;
  return st.roster.visible(user);
}

/// The member check of every request that acts (typing, receipts, ...).
bool allowed(conversation_actor* self, const std::string& user) {
  auto& st = self->state;
  return st.exists && st.roster.is_member(user);
}

history_page read_history(conversation_actor* self, const history_query& q,
                          const visible_range& r) {
  auto& st = self->state;
  history_page page;
  page.conv = st.conv;
  auto limit = std::clamp<uint32_t>(q.limit, 1, 100);
  auto& store = *st.ctx->history;
  auto upto = r.current ? 0 : r.to;
  if (q.forward) {
    auto after = std::max(q.after, r.from - 1);
    page.msgs = store.page_after(st.conv, after, limit, page.more, upto);
    return page;
  }
  auto before = q.before;
  if (!r.current && (before == 0 || before > r.to + 1))
    before = r.to + 1;
  if (before != 0 && before <= r.from)
    return page;
  page.msgs = store.page_before(st.conv, before, limit, page.more);
  auto first_visible = std::find_if(page.msgs.begin(), page.msgs.end(),
                                    [&](const message_record& m) {
                                      return m.seq >= r.from;
                                    });
  if (first_visible != page.msgs.begin()) {
    page.msgs.erase(page.msgs.begin(), first_visible);
    page.more = false;
  } else if (!page.msgs.empty() && page.msgs.front().seq == r.from) {
    page.more = false;
  }
  return page;
}

conv_summary summarize(conversation_actor* self, const std::string& user,
                       const visible_range& r) {
  auto& st = self->state;
  conv_summary s;
  s.conv = st.conv;
  s.kind = is_group(st) ? "group" : "direct";
  if (is_group(st)) {
    s.name = st.roster.record().name;
    if (r.current)
      s.members = *st.roster.members();
    s.left = !r.current;
  } else {
    s.members = st.meta.members;
    for (auto& m : st.meta.members)
      if (m != user)
        s.name = m;
    if (s.name.empty())
      s.name = user; // a conversation with oneself
  }
  s.last_seq = r.current ? st.durable_seq : std::min(st.durable_seq, r.to);
  auto i = st.positions.find(user);
  s.read_seq = i == st.positions.end() ? 0 : i->second.read;
  s.read_seq = std::max(s.read_seq, r.from - 1);
  s.unread = s.last_seq > s.read_seq ? s.last_seq - s.read_seq : 0;
  if (s.last_seq >= r.from)
    if (auto last = st.ctx->history->find_message(st.conv, s.last_seq)) {
      s.has_last = true;
      s.last = std::move(*last);
    }
  return s;
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
    .await(
      [=](caf::ok_atom) {
        if (!load(self))
          self->quit(make_error(errc::unavailable, "group rows unreadable"));
      },
      [=](caf::error& err) { self->quit(err); });
  self->set_down_handler(
    [=](caf::down_msg& dm) { self->state.router->on_down(dm.source); });
  runtime::arm_idle_tick(self, st.ctx->settings.passivate_after);
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
      auto r = readable(self, q.user);
      if (!r)
        return forbidden();
      return read_history(self, q, *r);
    },
    [=](summary_atom, const std::string& user) -> caf::result<conv_summary> {
      self->state.idle.touch();
      auto r = readable(self, user);
      if (!r)
        return forbidden();
      return summarize(self, user, *r);
    },
    [=](receipts_atom,
        const std::string& user) -> caf::result<std::vector<member_position>> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      std::vector<member_position> out;
      for (auto& m : *st.roster.members()) {
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
      auto r = readable(self, user);
      if (!r)
        return forbidden();
      seq = std::min(seq, st.durable_seq);
      if (!r->current) // a former member's device catching up: cursor only
        return std::min(seq, r->to);
      move_position(self, user, seq, 0);
      return seq;
    },
    [=](const device_ack& a) {
      self->state.idle.touch();
      auto& st = self->state;
      auto r = readable(self, a.user);
      if (!r)
        return;
      auto seq = std::min(a.seq, st.durable_seq);
      if (r->current)
        move_position(self, a.user, seq, 0);
      else
        seq = std::min(seq, r->to);
      st.router->send(a.user,
                      caf::make_message(cursor_atom::value, a.device, st.conv,
                                        seq));
    },
    [=](read_atom, const std::string& user,
        uint64_t seq) -> caf::result<caf::ok_atom> {
      self->state.idle.touch();
      auto& st = self->state;
      auto r = readable(self, user);
      if (!r)
        return forbidden();
      if (r->current)
        move_position(self, user, std::min(seq, st.durable_seq),
                      std::min(seq, st.durable_seq));
      return caf::ok_atom::value;
    },
    [=](typing_atom, const std::string& user,
        bool on) -> caf::result<caf::ok_atom> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      push_to(self, *st.roster.members(),
              push{st.conv, 0, {}, {}, wire::typing_push(st.conv, user, on)},
              user);
      return caf::ok_atom::value;
    },
    [=](group_atom, group_change& c) -> caf::result<caf::ok_atom> {
      self->state.idle.touch();
      auto rp = self->make_response_promise<caf::ok_atom>();
      handle_group_change(self, std::move(c), rp);
      return rp;
    },
    [=](ginfo_atom, const std::string& user) -> caf::result<group_info> {
      self->state.idle.touch();
      auto& st = self->state;
      if (!allowed(self, user))
        return forbidden();
      if (!is_group(st))
        return make_error(errc::bad_request, "not a group");
      return make_group_info(st);
    },
    [=](receipt_flush_atom) { flush_receipts(self); },
    [=](runtime::idle_tick_atom) {
      auto& st = self->state;
      runtime::on_idle_tick(
        self, st.idle, st.ctx->settings.passivate_after, st.supervisor,
        [=] {
          auto& st = self->state;
          return st.pending_writes > 0 || st.creating || st.changing
                 || st.passivating;
        },
        [=] {
          self->state.passivating = true;
          flush_receipts(self);
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

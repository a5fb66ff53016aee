// Membership changes of a group (protocol.md, Groups; the rules are
// group_roster's). Changes run one at a time, each a `member` message in the
// group's sequence, written before the SQLite rows (docs/storage.md: the
// rows are repaired from those messages on activation).

#include <unordered_set>

#include "actors/conversation_state.hpp"
#include "actors/wire_frames.hpp"
#include "persistence/group_store.hpp"
#include "runtime/errors.hpp"
#include "runtime/log.hpp"

namespace parley::actors {

using persistence::conv_type;
using persistence::kv_batch;

namespace {

/// Changes waiting behind the running one before `overloaded`.
constexpr size_t max_queued_changes = 256;

void run_next_change(conversation_actor* self);

/// The change could not be made: nothing was written.
void abort_change(conversation_actor* self, bool create, caf::error err,
                  caf::response_promise rp) {
  auto& st = self->state;
  st.changing = false;
  if (create) {
    st.creating = false;
    auto waiting = std::move(st.waiting_for_create);
    st.waiting_for_create.clear();
    for (auto& w : waiting)
      w.second.deliver(make_error(errc::forbidden));
  }
  rp.deliver(std::move(err));
  run_next_change(self);
  maybe_quit(self);
}

/// Writes `e` as the next member message, applies it, answers and pushes.
void commit_change(conversation_actor* self, member_event e,
                   caf::response_promise rp) {
  auto& st = self->state;
  bool create = e.event == "create";
  message_record rec;
  sequence(self, rec);
  rec.from = e.by;
  rec.kind = "member";
  rec.body = encode_member_body(e);
  if (create) {
    persistence::group_record fresh;
    fresh.conv = st.conv;
    st.roster = group_roster{std::move(fresh)};
  }
  auto before = st.roster.members();
  auto changed = st.roster.apply(e, rec.seq, rec.ts);
  kv_batch batch;
  auto& store = *st.ctx->history;
  if (create) {
    st.exists = true;
    st.meta = persistence::conv_meta{st.conv, conv_type::group, e.name, {},
                                     rec.ts};
    store.encode_conv_meta(batch, st.meta);
  }
  store.encode_message(batch, rec);
  store.encode_member_event(batch, st.conv, rec.seq);
  if (e.event == "add") {
    // An added member reads from this message on: it has nothing unread
    // before it.
    for (auto& u : e.users) {
      member_position p{u, rec.seq - 1, rec.seq - 1};
      st.positions[u] = p;
      store.encode_position(batch, st.conv, p);
    }
  }
  // Members before and after hear of it (the removed learn of their removal).
  auto audience = create || e.event == "add" ? st.roster.members() : before;
  ++st.pending_writes;
  self
    ->request(st.ctx->persistence, caf::infinite, caf::put_atom::value,
              std::move(batch))
    .then(
      [=, rec = std::move(rec)](caf::ok_atom) mutable {
        auto& st = self->state;
        --st.pending_writes;
        st.durable_seq = rec.seq;
        std::string error;
        if (!st.ctx->groups->save(st.roster.record(), changed, error))
          log(log_level::warning,
              "conversation " + st.conv + ": group rows not saved (" + error
                + "); the next activation repairs them");
        rp.deliver(caf::ok_atom::value);
        push_to(self, *audience,
                push{st.conv, rec.seq, {}, {}, wire::msg_push(rec)});
        push_to(self, *audience, push{st.conv, 0, {}, {}, wire::group_push(st.conv, e)});
        st.changing = false;
        run_next_change(self);
        maybe_quit(self);
      },
      [=](caf::error& err) mutable {
        // As for a post: the sequence is void; end and reload.
        rp.deliver(make_error(errc::unavailable, error_text(err)));
        self->quit(err);
      });
  if (create) {
    st.creating = false;
    auto waiting = std::move(st.waiting_for_create);
    st.waiting_for_create.clear();
    for (auto& w : waiting)
      handle_post(self, std::move(w.first), std::move(w.second));
  }
}

/// Adds the group to each new member's index (durably, in parallel), then
/// commits the change.
void join_then_commit(conversation_actor* self, member_event e,
                      std::vector<std::string> joining,
                      caf::response_promise rp) {
  struct progress {
    size_t remaining;
    bool failed = false;
  };
  auto prog = std::make_shared<progress>(progress{joining.size()});
  auto create = e.event == "create";
  auto ev = std::make_shared<member_event>(std::move(e));
  auto fail = [=](caf::error& err) {
    if (prog->failed)
      return;
    prog->failed = true;
    abort_change(self, create, std::move(err), rp);
  };
  auto timeout = self->state.ctx->settings.request_timeout;
  for (auto& u : joining) {
    runtime::entity_id id{persistence::entity_kind::user, u};
    self->request(self->state.ctx->directory, timeout, caf::get_atom::value, id)
      .then(
        [=](caf::actor& ua) {
          self
            ->request(ua, timeout, joined_atom::value, self->state.conv,
                      static_cast<uint8_t>(conv_type::group))
            .then(
              [=](caf::ok_atom) {
                if (!prog->failed && --prog->remaining == 0)
                  commit_change(self, std::move(*ev), rp);
              },
              fail);
        },
        fail);
  }
}

void run_change(conversation_actor* self, group_change c,
                caf::response_promise rp) {
  auto& st = self->state;
  auto max_group = st.ctx->settings.max_group;
  bool create = c.op == "create";
  change_plan plan;
  if (create) {
    if (st.exists || st.creating || c.by.empty()) {
      rp.deliver(make_error(errc::forbidden));
      return;
    }
    plan = group_roster::plan_create(c.by, c.name, c.users, max_group);
  } else {
    if (!st.exists || !st.roster.is_member(c.by)) {
      rp.deliver(make_error(errc::forbidden));
      return;
    }
    if (!is_group(st)) {
      rp.deliver(make_error(errc::bad_request, "not a group"));
      return;
    }
    if (c.op == "add")
      plan = st.roster.plan_add(c.by, c.users, max_group);
    else if (c.op == "remove")
      plan = st.roster.plan_remove(c.by, c.users);
    else if (c.op == "leave")
      plan = st.roster.plan_leave(c.by);
    else {
      rp.deliver(make_error(errc::bad_request, "unknown group change"));
      return;
    }
  }
  if (plan.refused) {
    rp.deliver(make_error(*plan.refused, plan.reason));
    return;
  }
  if (!plan.event) {
    rp.deliver(caf::ok_atom::value); // nothing to change
    return;
  }
  std::vector<std::string> joining;
  if (create || c.op == "add") {
    for (auto& u : plan.event->users) {
      if (u != c.by && !st.ctx->accounts->user_exists(u)) {
        rp.deliver(make_error(errc::no_such_user, "no such user: " + u));
        return;
      }
    }
    joining = plan.event->users;
  }
  st.changing = true;
  if (create)
    st.creating = true;
  if (joining.empty())
    commit_change(self, std::move(*plan.event), std::move(rp));
  else
    join_then_commit(self, std::move(*plan.event), std::move(joining),
                     std::move(rp));
}

void run_next_change(conversation_actor* self) {
  auto& st = self->state;
  while (!st.changing && !st.changes.empty()) {
    auto next = std::move(st.changes.front());
    st.changes.pop_front();
    run_change(self, std::move(next.change), std::move(next.rp));
  }
}

} // namespace

void handle_group_change(conversation_actor* self, group_change c,
                         caf::response_promise rp) {
  auto& st = self->state;
  if (st.changing) {
    if (st.changes.size() >= max_queued_changes) {
      rp.deliver(make_error(errc::overloaded, "too many group changes queued"));
      return;
    }
    st.changes.push_back(queued_change{std::move(c), std::move(rp)});
    return;
  }
  run_change(self, std::move(c), std::move(rp));
}

group_info make_group_info(const conversation_state& st) {
  group_info info;
  info.conv = st.conv;
  info.name = st.roster.record().name;
  info.owner = st.roster.record().owner;
  info.admins = st.roster.admins();
  info.members = *st.roster.members();
  return info;
}

bool load_group(conversation_actor* self) {
  auto& st = self->state;
  persistence::group_record rec;
  std::string error;
  switch (st.ctx->groups->load(st.conv, rec, error)) {
    case persistence::group_store::load_result::failed:
      log(log_level::error,
          "conversation " + st.conv + ": group rows unreadable: " + error);
      return false;
    case persistence::group_store::load_result::absent:
      rec = persistence::group_record{};
      rec.conv = st.conv;
      break;
    case persistence::group_store::load_result::found:
      break;
  }
  st.roster = group_roster{std::move(rec)};
  // Member messages the rows do not reflect yet (a crash between the two
  // writes): apply them in order and save.
  std::unordered_set<std::string> changed;
  auto& history = *st.ctx->history;
  for (auto seq : history.member_events_after(st.conv,
                                              st.roster.record().applied_seq)) {
    auto msg = history.find_message(st.conv, seq);
    auto e = msg && msg->kind == "member" ? decode_member_body(msg->body)
                                          : std::nullopt;
    if (!e) {
      log(log_level::error, "conversation " + st.conv + ": member message "
                              + std::to_string(seq) + " unreadable");
      continue;
    }
    for (auto& row : st.roster.apply(*e, seq, msg->ts))
      changed.insert(row.user);
  }
  if (!changed.empty()) {
    std::vector<persistence::group_member> rows;
    for (auto& row : st.roster.record().members)
      if (changed.count(row.user))
        rows.push_back(row);
    if (!st.ctx->groups->save(st.roster.record(), rows, error))
      log(log_level::warning, "conversation " + st.conv
                                + ": group rows not repaired: " + error);
  }
  return true;
}

} // namespace parley::actors

// A user's presence: online while a device is connected, offline after the
// last one went away and a grace period passed without a reconnect; pushes
// to the sessions watching it; who may see it (docs/protocol.md, Presence).

#include <chrono>
#include <memory>
#include <unordered_set>

#include "actors/conversation_actor.hpp"
#include "actors/user_state.hpp"
#include "actors/wire_frames.hpp"
#include "runtime/entity.hpp"

namespace parley::actors {

using persistence::conv_type;
using persistence::kv_batch;

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// Pushes the current presence to every watcher.
void notify_watchers(user_actor* self) {
  auto& st = self->state;
  if (st.watchers.empty())
    return;
  auto msg = caf::make_message(
    push{{}, 0, {}, {}, wire::presence_push(current_presence(st))});
  for (auto& [_, session] : st.watchers)
    self->send(session, msg);
}

} // namespace

presence_info current_presence(const user_state& st) {
  presence_info p;
  p.user = st.user;
  p.online = st.online;
  p.last_seen = st.online ? now_ms() : st.last_seen;
  return p;
}

void presence_device_attached(user_actor* self) {
  auto& st = self->state;
  if (st.grace_pending) {
    // Back within the grace: nobody was told it went away.
    st.grace_pending = false;
    ++st.grace_epoch;
    return;
  }
  if (st.online)
    return;
  st.online = true;
  notify_watchers(self);
}

void presence_device_left(user_actor* self) {
  auto& st = self->state;
  if (!st.sessions.empty() || !st.online)
    return;
  st.last_seen = now_ms();
  kv_batch b;
  st.ctx->history->encode_last_seen(b, st.user, st.last_seen);
  self->send(st.ctx->persistence, caf::put_atom::value, std::move(b));
  st.grace_pending = true;
  self->delayed_send(self, st.ctx->settings.presence_grace, grace_atom::value,
                     ++st.grace_epoch);
}

void presence_grace_over(user_actor* self, uint64_t epoch) {
  auto& st = self->state;
  if (!st.grace_pending || epoch != st.grace_epoch)
    return;
  st.grace_pending = false;
  st.online = false;
  notify_watchers(self);
}

presence_info add_watcher(user_actor* self, const caf::actor& session) {
  auto& st = self->state;
  if (st.watchers.emplace(session.address(), session).second)
    self->monitor(session);
  return current_presence(st);
}

void remove_watcher(user_actor* self, const caf::actor_addr& session) {
  auto& st = self->state;
  if (st.watchers.erase(session) == 0)
    return;
  for (auto& [_, s] : st.sessions)
    if (s.address() == session)
      return; // one of our own devices: stays monitored as such
  self->demonitor(session);
}

void shared_with(user_actor* self, std::vector<std::string> users,
                 caf::response_promise rp) {
  auto& st = self->state;
  struct gather {
    std::unordered_set<std::string> wanted;
    std::vector<std::string> visible;
    size_t remaining = 0;
    caf::response_promise rp;
  };
  auto g = std::make_shared<gather>();
  g->rp = std::move(rp);
  std::unordered_set<std::string> mine;
  for (auto& c : st.convs)
    mine.insert(c.conv);
  for (auto& u : users) {
    if (u == st.user || mine.count(direct_conv_id(st.user, u)))
      g->visible.push_back(u);
    else
      g->wanted.insert(u);
  }
  std::vector<std::string> groups;
  if (!g->wanted.empty())
    for (auto& c : st.convs)
      if (c.type == conv_type::group)
        groups.push_back(c.conv);
  if (groups.empty()) {
    g->rp.deliver(std::move(g->visible));
    return;
  }
  // Ask each group for its members (forbidden once we left it).
  g->remaining = groups.size();
  auto done = [g] {
    if (--g->remaining == 0)
      g->rp.deliver(std::move(g->visible));
  };
  auto timeout = st.ctx->settings.request_timeout;
  for (auto& conv : groups) {
    runtime::entity_id e{persistence::entity_kind::conv, conv};
    self->request(st.ctx->directory, timeout, caf::get_atom::value, e)
      .then(
        [=](caf::actor& hdl) {
          self->request(hdl, timeout, ginfo_atom::value, self->state.user)
            .then(
              [=](group_info& info) {
                for (auto& m : info.members)
                  if (g->wanted.erase(m) > 0)
                    g->visible.push_back(m);
                done();
              },
              [=](caf::error&) { done(); });
        },
        [=](caf::error&) { done(); });
  }
}

} // namespace parley::actors

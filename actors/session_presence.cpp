// The presence requests of a session: presence, watch, unwatch
// (protocol.md, "Presence"). Visibility is the asker's user actor's answer
// (shares_atom); each watched user's actor pushes changes to this session.

#include <unordered_set>

#include "actors/session_state.hpp"
#include "actors/wire_frames.hpp"

namespace parley::actors {

using transport::request;

namespace {

/// Reads `users` (a list of at most max_watch strings) or answers
/// bad_request.
bool need_users(session_actor* self, const request& req, opt_id id,
                std::vector<std::string>& out) {
  auto f = req.get_string_list("users");
  auto max = self->state.ctx->settings.max_watch;
  if (!f.ok() || f.value.size() > max) {
    reply_err(self, id, errc::bad_request,
              "'users' must be a list of at most " + std::to_string(max)
                + " user names");
    return false;
  }
  // Keep the first of duplicates, in order.
  std::unordered_set<std::string> seen;
  for (auto& u : f.value)
    if (seen.insert(u).second)
      out.push_back(std::move(u));
  return true;
}

/// Asks the user's own actor which of `users` it may see (ask_user: a
/// stale handle is re-resolved); calls `then` with them (none if the user
/// actor cannot be asked).
template <class F>
void visible_among(session_actor* self, std::vector<std::string> users,
                   F then) {
  if (users.empty()) {
    then(std::vector<std::string>{});
    return;
  }
  ask_user<std::vector<std::string>>(
    self, [=](std::vector<std::string>& visible) mutable { then(visible); },
    [=](const caf::error&) mutable { then(std::vector<std::string>{}); },
    shares_atom::value, std::move(users));
}

/// Registers this session with `user`'s actor and pushes its presence.
void watch_user(session_actor* self, const std::string& user) {
  auto& st = self->state;
  auto timeout = st.ctx->settings.request_timeout;
  runtime::entity_id e{persistence::entity_kind::user, user};
  auto session = caf::actor_cast<caf::actor>(self);
  self->request(st.ctx->directory, timeout, caf::get_atom::value, e)
    .then(
      [=](caf::actor& hdl) {
        self->request(hdl, timeout, watch_atom::value, session)
          .then(
            [=](presence_info& info) {
              auto& st = self->state;
              auto i = st.watching.find(user);
              if (i == st.watching.end()) {
                // Unwatched meanwhile.
                self->send(hdl, unwatch_atom::value, session);
                return;
              }
              i->second = hdl;
              self->monitor(hdl);
              send_frame(self, wire::presence_push(info));
            },
            [=](caf::error&) {}); // no account or unavailable: nothing
      },
      [=](caf::error&) {});
}

} // namespace

void handle_presence(session_actor* self, const request& req, opt_id id) {
  std::vector<std::string> users;
  if (!need_users(self, req, id, users))
    return;
  begin_request(self);
  visible_among(self, users, [=](const std::vector<std::string>& visible) {
    struct gather {
      std::vector<wire::presence_line> lines;
      size_t remaining = 0;
    };
    auto g = std::make_shared<gather>();
    std::unordered_map<std::string, size_t> index;
    for (auto& u : users) {
      index[u] = g->lines.size();
      g->lines.push_back(wire::presence_line{presence_info{u, false, 0}, false});
    }
    auto finish = [=] {
      end_request(self);
      send_frame(self, wire::presence_ok(*id, g->lines));
    };
    g->remaining = visible.size();
    if (visible.empty()) {
      finish();
      return;
    }
    auto& st = self->state;
    auto timeout = st.ctx->settings.request_timeout;
    for (auto& u : visible) {
      auto at = index.at(u);
      auto done = [=] {
        if (--g->remaining == 0)
          finish();
      };
      runtime::entity_id e{persistence::entity_kind::user, u};
      self->request(st.ctx->directory, timeout, caf::get_atom::value, e)
        .then(
          [=](caf::actor& hdl) {
            self->request(hdl, timeout, presence_atom::value)
              .then(
                [=](presence_info& info) {
                  g->lines[at] = wire::presence_line{std::move(info), true};
                  done();
                },
                [=](caf::error&) { done(); });
          },
          [=](caf::error&) { done(); });
    }
  });
}

void handle_watch(session_actor* self, const request& req, opt_id id) {
  std::vector<std::string> users;
  if (!need_users(self, req, id, users))
    return;
  auto& st = self->state;
  std::vector<std::string> added;
  for (auto& u : users)
    if (!st.watching.count(u))
      added.push_back(u);
  if (st.watching.size() + added.size() > st.ctx->settings.max_watch) {
    reply_err(self, id, errc::bad_request,
              "at most " + std::to_string(st.ctx->settings.max_watch)
                + " watched users per connection");
    return;
  }
  for (auto& u : added)
    st.watching.emplace(u, caf::actor{});
  send_frame(self, transport::make_ok_frame(*id));
  // Users it may not see are kept in the set (they count toward the limit)
  // but never registered: nothing is ever pushed about them.
  visible_among(self, added, [=](const std::vector<std::string>& visible) {
    for (auto& u : visible)
      if (self->state.watching.count(u))
        watch_user(self, u);
  });
}

void handle_unwatch(session_actor* self, const request& req, opt_id id) {
  std::vector<std::string> users;
  if (!need_users(self, req, id, users))
    return;
  auto& st = self->state;
  auto session = caf::actor_cast<caf::actor>(self);
  for (auto& u : users) {
    auto i = st.watching.find(u);
    if (i == st.watching.end())
      continue;
    if (i->second) {
      self->send(i->second, unwatch_atom::value, session);
      self->demonitor(i->second);
    }
    st.watching.erase(i);
  }
  send_frame(self, transport::make_ok_frame(*id));
}

bool on_watched_down(session_actor* self, const caf::actor_addr& who) {
  for (auto& [user, hdl] : self->state.watching) {
    if (hdl && hdl.address() == who) {
      // The watched user's actor crashed or its node went away: register
      // with the next instance (after a pause, so a failing one is not
      // hammered).
      hdl = nullptr;
      self->delayed_send(self, std::chrono::milliseconds(200),
                         rewatch_atom::value, user);
      return true;
    }
  }
  return false;
}

void rewatch(session_actor* self, const std::string& user) {
  auto i = self->state.watching.find(user);
  if (i != self->state.watching.end() && !i->second)
    watch_user(self, user);
}

} // namespace parley::actors

#include "actors/user_actor.hpp"

#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/user_state.hpp"
#include "runtime/errors.hpp"

namespace parley::actors {

using persistence::conv_type;
using persistence::kv_batch;

namespace {

void maybe_quit(user_actor* self) {
  auto& st = self->state;
  if (st.passivating && st.pending_writes == 0)
    self->quit();
}

std::unordered_map<std::string, uint64_t>&
device_cursors(user_actor* self, const std::string& device) {
  auto& st = self->state;
  auto i = st.cursors.find(device);
  if (i != st.cursors.end())
    return i->second;
  auto& map = st.cursors[device];
  for (auto& [conv, seq] : st.ctx->history->cursors(st.user, device))
    map.emplace(conv, seq);
  return map;
}

caf::behavior user(user_actor* self, std::string name, node_context_ptr ctx,
                   caf::actor supervisor) {
  auto& st = self->state;
  st.user = std::move(name);
  st.ctx = std::move(ctx);
  st.supervisor = std::move(supervisor);
  install_standard_handlers(self);
  st.exists = st.ctx->accounts->user_exists(st.user);
  if (!st.exists) {
    // No account: answer `no_such_user` to everything and end after a short
    // idle time, keeping nothing. Should the account appear meanwhile, end at
    // once so that the next activation loads it (the caller may retry).
    self->set_default_handler(
      [=](caf::scheduled_actor*,
          caf::message_view&) -> caf::result<caf::message> {
        if (self->state.ctx->accounts->user_exists(self->state.user)) {
          self->quit();
          return make_error(errc::unavailable, "user actor restarting");
        }
        return make_error(errc::no_such_user);
      });
    return {
      caf::after(std::chrono::seconds(1)) >> [=] { self->quit(); },
    };
  }
  // The activation barrier of the conversation actor (see there): a crashed
  // predecessor may have left index or cursor writes with the persistence
  // actor; load once an empty batch sent now is answered, taking no request
  // before (await keeps them in the mailbox).
  self
    ->request(st.ctx->persistence, caf::infinite, caf::put_atom::value,
              kv_batch{})
    .await(
      [=](caf::ok_atom) {
        auto& st = self->state;
        st.convs = st.ctx->history->user_convs(st.user);
        st.last_seen = st.ctx->history->last_seen(st.user).value_or(0);
      },
      [=](caf::error& err) { self->quit(err); });
  runtime::arm_idle_tick(self, st.ctx->settings.passivate_after);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    st.watchers.erase(dm.source);
    for (auto i = st.sessions.begin(); i != st.sessions.end(); ++i) {
      if (i->second.address() == dm.source) {
        st.sessions.erase(i);
        presence_device_left(self);
        break;
      }
    }
  });
  return {
    [=](attach_atom, const std::string& device,
        caf::actor& session) -> attach_info {
      self->state.idle.touch();
      auto& st = self->state;
      auto& slot = st.sessions[device];
      if (slot && slot != session)
        self->send(slot, replaced_atom::value);
      slot = session;
      self->monitor(session);
      presence_device_attached(self);
      attach_info info;
      auto& cursors = device_cursors(self, device);
      info.cursors.reserve(st.convs.size());
      for (auto& c : st.convs) {
        auto i = cursors.find(c.conv);
        info.cursors.push_back(
          conv_cursor{c.conv, i == cursors.end() ? 0 : i->second});
      }
      return info;
    },
    [=](const push&) {
      self->state.idle.touch();
      auto& st = self->state;
      if (st.sessions.empty())
        return;
      // Forward the message itself: its one copy of the frame (shared by
      // every member's actor already) is shared by all sessions too.
      auto msg = self->current_mailbox_element()->copy_content_to_message();
      for (auto& [_, session] : st.sessions)
        self->send(session, msg);
    },
    [=](cursor_atom, const std::string& device, const std::string& conv,
        uint64_t seq) {
      self->state.idle.touch();
      auto& st = self->state;
      auto& cur = device_cursors(self, device)[conv];
      if (seq <= cur)
        return;
      cur = seq;
      kv_batch b;
      st.ctx->history->encode_cursor(b, st.user, device, conv, seq);
      self->send(st.ctx->persistence, caf::put_atom::value, std::move(b));
    },
    [=](joined_atom, const std::string& conv,
        uint8_t type) -> caf::result<caf::ok_atom> {
      self->state.idle.touch();
      auto& st = self->state;
      for (auto& c : st.convs)
        if (c.conv == conv)
          return caf::ok_atom::value;
      persistence::user_conv entry{conv, static_cast<conv_type>(type)};
      kv_batch b;
      st.ctx->history->encode_user_conv(b, st.user, entry);
      auto rp = self->make_response_promise<caf::ok_atom>();
      ++st.pending_writes;
      self
        ->request(st.ctx->persistence, caf::infinite, caf::put_atom::value,
                  std::move(b))
        .then(
          [=](caf::ok_atom) mutable {
            auto& st = self->state;
            --st.pending_writes;
            bool known = false;
            for (auto& c : st.convs)
              known = known || c.conv == entry.conv;
            if (!known)
              st.convs.push_back(entry);
            rp.deliver(caf::ok_atom::value);
            maybe_quit(self);
          },
          [=](caf::error& err) mutable {
            --self->state.pending_writes;
            rp.deliver(err);
            maybe_quit(self);
          });
      return rp;
    },
    [=](convs_atom) {
      self->state.idle.touch();
      std::vector<std::string> out;
      for (auto& c : self->state.convs)
        out.push_back(c.conv);
      return out;
    },
    [=](presence_atom) {
      return current_presence(self->state);
    },
    [=](watch_atom, const caf::actor& session) {
      return add_watcher(self, session);
    },
    [=](unwatch_atom, const caf::actor& session) {
      remove_watcher(self, session.address());
    },
    [=](shares_atom, std::vector<std::string>& users) {
      self->state.idle.touch();
      auto rp = self->make_response_promise<std::vector<std::string>>();
      shared_with(self, std::move(users), rp);
      return rp;
    },
    [=](grace_atom, uint64_t epoch) { presence_grace_over(self, epoch); },
    [=](runtime::idle_tick_atom) {
      auto& st = self->state;
      runtime::on_idle_tick(
        self, st.idle, st.ctx->settings.passivate_after, st.supervisor,
        [=] {
          // Watchers and a running grace keep the actor: its presence
          // lives here.
          auto& st = self->state;
          return !st.sessions.empty() || st.pending_writes > 0
                 || !st.watchers.empty() || st.grace_pending
                 || st.passivating;
        },
        [=] {
          self->state.passivating = true;
          maybe_quit(self);
        });
    },
  };
}

} // namespace

runtime::entity_factory user_factory(node_context_ptr ctx) {
  return runtime::monitored_entity_factory(user, std::move(ctx));
}

} // namespace parley::actors

#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/message.hpp>

#include "actors/messages.hpp"
#include "actors/node_context.hpp"

namespace parley::actors {

/// Sends pushes to users' actors on behalf of one actor (a conversation):
/// resolves each user through the directory once, caches and monitors the
/// handle, and keeps per-user order while a resolution is in flight.
///
/// Contract: used only from its owner's handlers (not thread-safe); the
/// owner must forward its down messages to `on_down`. Memory: one handle per
/// user it has pushed to (a conversation's members).
class user_router {
public:
  user_router(caf::event_based_actor* self, node_context_ptr ctx);

  /// Sends `p` to `user`'s actor, activating it if needed. Pushes to one user
  /// arrive in call order. A push to a user actor that is just going away may
  /// be lost: devices fill such gaps from the store.
  void send(const std::string& user, const push& p);

  /// Sends `msg` (a push, made once and shared by all its receivers: a post
  /// to a group is one message to each member's actor, not one copy each).
  void send(const std::string& user, const caf::message& msg);

  /// Forgets a user actor that went down. Returns true if it was one of ours.
  bool on_down(const caf::actor_addr& who);

  /// Drops the cache (e.g. on membership change).
  void clear();

private:
  caf::event_based_actor* self_;
  node_context_ptr ctx_;
  std::unordered_map<std::string, caf::actor> actors_;
  std::unordered_map<std::string, std::vector<caf::message>> waiting_;
};

} // namespace parley::actors

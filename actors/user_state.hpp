#pragma once

// The state of one user actor and the functions its translation units share
// (user_actor.cpp: activation, devices, cursors, the index; user_presence.cpp:
// presence, watchers, who may see it). The contract is user_actor.hpp's.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "runtime/idle_clock.hpp"

namespace parley::actors {

/// The end of a presence grace period (epoch: the period it belongs to).
using grace_atom = caf::atom_constant<caf::atom("grace")>;

struct user_state {
  std::string user;
  node_context_ptr ctx;
  caf::actor supervisor;
  bool exists = false;
  /// Online devices: device -> its session.
  std::unordered_map<std::string, caf::actor> sessions;
  /// The user's conversations, in the order they were joined.
  std::vector<persistence::user_conv> convs;
  /// Cursors of devices seen since activation: device -> conv -> acked.
  std::unordered_map<std::string, std::unordered_map<std::string, uint64_t>>
    cursors;
  // -- presence --
  bool online = false;
  /// When the last device went away (stored; 0 = never seen).
  int64_t last_seen = 0;
  /// The last device went away; offline is announced when the grace ends
  /// unless a device comes back first.
  bool grace_pending = false;
  uint64_t grace_epoch = 0;
  /// Sessions watching this user (monitored): address -> handle.
  std::unordered_map<caf::actor_addr, caf::actor> watchers;
  // -- lifecycle --
  bool passivating = false;
  uint32_t pending_writes = 0;
  runtime::idle_clock idle;
  static inline const char* name = "user";
};

using user_actor = caf::stateful_actor<user_state>;

// -- presence (user_presence.cpp) ---------------------------------------------

/// A device of the user came online through a session.
void presence_device_attached(user_actor* self);

/// A session of the user ended (after it was removed from `sessions`).
void presence_device_left(user_actor* self);

/// The grace of `epoch` ended.
void presence_grace_over(user_actor* self, uint64_t epoch);

presence_info current_presence(const user_state& st);

/// Registers `session` as a watcher (monitored); returns the presence now.
presence_info add_watcher(user_actor* self, const caf::actor& session);
void remove_watcher(user_actor* self, const caf::actor_addr& session);

/// Which of `users` may see this user's presence (and it theirs): itself,
/// the peers of its direct conversations, and the current members of groups
/// it is a current member of. Answers through `rp`.
void shared_with(user_actor* self, std::vector<std::string> users,
                 caf::response_promise rp);

} // namespace parley::actors

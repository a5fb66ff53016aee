#pragma once

// The state of one conversation actor and the functions its translation
// units share (conversation_actor.cpp: activation and the requests;
// conversation_posts.cpp: the send path; direct_creation.cpp: the first
// post of a direct conversation; group_changes.cpp: membership changes;
// conversation_receipts.cpp: positions and receipt pushes). The contract is
// conversation_actor.hpp's.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/group_roster.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/recent_sends.hpp"
#include "actors/user_router.hpp"
#include "runtime/idle_clock.hpp"

namespace parley::actors {

using receipt_flush_atom = caf::atom_constant<caf::atom("rcpt_flush")>;

/// A post waiting for its write, with any retries of the same cmid that
/// arrived meanwhile.
struct inflight_post {
  std::vector<caf::response_promise> waiters;
};

/// A membership change waiting for its turn (changes run one at a time).
struct queued_change {
  group_change change;
  caf::response_promise rp;
};

/// Receipt moves of a group not pushed yet: user -> (delivered, read), 0
/// for a kind that did not move.
using pending_receipts
  = std::unordered_map<std::string, std::pair<uint64_t, uint64_t>>;

struct conversation_state {
  std::string conv;
  node_context_ptr ctx;
  caf::actor supervisor;
  bool exists = false;
  persistence::conv_meta meta;
  /// Members, roles, who reads which seqs (groups: from SQLite, repaired
  /// from the member messages; direct: the two users of `meta`).
  group_roster roster;
  uint64_t last_seq = 0;    ///< Highest seq assigned.
  uint64_t durable_seq = 0; ///< Highest seq written (all below are too).
  int64_t last_ts = 0;
  std::unordered_map<std::string, member_position> positions;
  recent_sends recent{1024};
  std::unordered_map<std::string, inflight_post> inflight;
  uint32_t pending_writes = 0;
  bool meta_unwritten = false; ///< Direct: meta goes with the first write.
  /// Creation (direct: first post; group: group_create) is running; posts
  /// wait in `waiting_for_create`.
  bool creating = false;
  std::vector<std::pair<post, caf::response_promise>> waiting_for_create;
  /// A membership change is running; later ones wait in `changes`.
  bool changing = false;
  std::deque<queued_change> changes;
  pending_receipts receipts;
  bool receipt_flush_due = false;
  bool passivating = false;
  std::unique_ptr<user_router> router;
  runtime::idle_clock idle;
  static inline const char* name = "conversation";
};

using conversation_actor = caf::stateful_actor<conversation_state>;

int64_t now_ms();

bool is_group(const conversation_state& st);

/// Ends the actor once it is passivating and nothing is left to write.
void maybe_quit(conversation_actor* self);

/// Sends one shared message to each user of `users`, except `except`.
void push_to(conversation_actor* self, const std::vector<std::string>& users,
             push p, const std::string& except = {});

/// Assigns the next seq to `rec` (seq, ts) and returns it.
void sequence(conversation_actor* self, message_record& rec);

/// The send path (conversation_posts.cpp).
void handle_post(conversation_actor* self, post p, caf::response_promise rp);

/// First post to a direct conversation that does not exist yet
/// (direct_creation.cpp); the post waits in waiting_for_create.
void create_direct(conversation_actor* self, const std::string& from,
                   const std::string& peer);

/// Membership changes (group_changes.cpp).
void handle_group_change(conversation_actor* self, group_change c,
                         caf::response_promise rp);
group_info make_group_info(const conversation_state& st);

/// Loads the group's rows and replays member messages the rows miss
/// (group_changes.cpp). Returns false if the rows cannot be read.
bool load_group(conversation_actor* self);

/// `user`'s positions moved (conversation_receipts.cpp): stored, and the
/// other members told (at once in a direct conversation; coalesced per
/// window in a group).
void move_position(conversation_actor* self, const std::string& user,
                   uint64_t delivered, uint64_t read);
/// Stores the group's collected moves and pushes them (one push per
/// member); due `receipt_window` after the first move of a window.
void flush_receipts(conversation_actor* self);

/// A group's receipt window: receipt_coalesce per started ten members.
std::chrono::milliseconds receipt_window(const conversation_state& st);

} // namespace parley::actors

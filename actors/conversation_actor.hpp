#pragma once

#include <string>
#include <string_view>

#include "actors/node_context.hpp"
#include "runtime/entity_supervisor.hpp"

namespace parley::actors {

/// The id of the one direct conversation between users `a` and `b` (in
/// either order): "d." + 32 hex digits of a keyed hash of the sorted pair.
/// Deterministic, so finding it needs no index.
std::string direct_conv_id(std::string_view a, std::string_view b);

/// The factory the conversation supervisor uses to activate conversations.
///
/// A conversation actor is the single writer of its conversation: it checks
/// membership, deduplicates (user, cmid), assigns the next gapless seq,
/// hands the record to the persistence actor without waiting idle, answers
/// the sender and fans the message out to every member's user actor once
/// the write is durable, and keeps the members' delivered/read positions.
/// An activation loads its state from the stores only once the persistence
/// actor has applied every write handed to it before (an empty batch is the
/// barrier), so an instance restarted after a crash never reuses the seq of
/// a write its predecessor left in flight.
///
/// A group is the same actor with a roster (group_roster: members, roles,
/// the seqs each user may read) loaded from the group store; it is the
/// single writer of membership changes, each a `member` message in the
/// sequence. Fan-out is one shared message per member's user actor per post
/// and no per-member storage work; receipt moves in a group are pushed at
/// most once per `receipt_coalesce` window.
///
/// Protocol (requests; every one from a user who never was a member, or on
/// a conversation that does not exist, is answered `forbidden`; a former
/// member may only read history and ack/read up to its removal):
/// - `(post_atom, post)` -> post_result | error
/// - `(history_atom, history_query)` -> history_page (clamped to the seqs
///   the user may read)
/// - `(summary_atom, user)` -> conv_summary
/// - `(receipts_atom, user)` -> std::vector<member_position> (current members)
/// - `(ack_atom, user, device, seq)` -> uint64_t (the seq, clamped to the last
///   the user may read)
/// - `device_ack` (sent, not requested): as ack_atom, and the device's
///   cursor goes to the user actor from here; nothing is answered.
/// - `(read_atom, user, seq)` -> ok_atom
/// - `(typing_atom, user, on)` -> ok_atom
/// - `(group_atom, group_change)` -> ok_atom | forbidden, no_such_user,
///   group_full, bad_request ("not a group")
/// - `(ginfo_atom, user)` -> group_info
runtime::entity_factory conversation_factory(node_context_ptr ctx);

} // namespace parley::actors

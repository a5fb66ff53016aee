#pragma once

// Every message type exchanged between Parley's actors, in one place.
// Each is a plain value with inspect() and is registered on every node by
// register_message_types() (message_types.cpp); a type missing there arrives
// empty on a remote node (stack.md), and tests/unit/actors checks them all.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>

#include "persistence/records.hpp"

namespace parley::actors {

using persistence::member_position;
using persistence::message_record;

// -- atoms (at most 10 characters) --------------------------------------------

using post_atom = caf::atom_constant<caf::atom("post")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using summary_atom = caf::atom_constant<caf::atom("summary")>;
using receipts_atom = caf::atom_constant<caf::atom("receipts")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using typing_atom = caf::atom_constant<caf::atom("typing")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using cursor_atom = caf::atom_constant<caf::atom("cursor")>;
using joined_atom = caf::atom_constant<caf::atom("joined")>;
using convs_atom = caf::atom_constant<caf::atom("convs")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using replaced_atom = caf::atom_constant<caf::atom("replaced")>;
using group_atom = caf::atom_constant<caf::atom("group")>;
using ginfo_atom = caf::atom_constant<caf::atom("ginfo")>;
using presence_atom = caf::atom_constant<caf::atom("presence")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using shares_atom = caf::atom_constant<caf::atom("shares")>;

// -- session -> conversation --------------------------------------------------

/// A send. `direct_peer` is set when the client named a user (`to`): the
/// conversation is the direct one of (from, direct_peer) and is created on
/// first use. Reply: post_result, or an error (forbidden, no_such_user, ...).
struct post {
  std::string from;
  std::string device;
  std::string cmid;
  std::string kind;
  std::string body;
  bool binary = false;
  std::string direct_peer;
};

struct post_result {
  std::string conv;
  uint64_t seq = 0;
  int64_t ts = 0;
};

/// A history page request on behalf of `user`: `forward` pages up from
/// seq > `after`; otherwise down from seq < `before` (0 = the newest).
/// Reply: history_page, or forbidden.
struct history_query {
  std::string user;
  bool forward = false;
  uint64_t before = 0;
  uint64_t after = 0;
  uint32_t limit = 50;
};

struct history_page {
  std::string conv;
  std::vector<message_record> msgs;
  bool more = false;
};

/// One line of the `convs` reply, as seen by one member.
struct conv_summary {
  std::string conv;
  std::string kind;  ///< "direct" or "group".
  std::string name;
  std::vector<std::string> members;
  uint64_t last_seq = 0;
  uint64_t read_seq = 0;
  uint64_t unread = 0;
  bool has_last = false;
  message_record last;
  /// The user was removed from this group or left it: the line shows the
  /// group as it was then (members empty, last_seq at the removal).
  bool left = false;
};

// -- session -> conversation: groups ------------------------------------------

/// A membership change requested by `by`: `op` is "create" (with `name`),
/// "add", "remove" (with `users`) or "leave". Reply: ok_atom, or an error
/// (forbidden, no_such_user, group_full, bad_request, ...).
struct group_change {
  std::string op;
  std::string by;
  std::string name;
  std::vector<std::string> users;
};

/// Reply to `(ginfo_atom, user)`: the `group_info` fields.
struct group_info {
  std::string conv;
  std::string name;
  std::string owner;
  std::vector<std::string> admins;
  std::vector<std::string> members;
};

/// An `ack` the client sent without an `id` (so no reply, not even an
/// error): sent, not requested. The conversation clamps `seq` to what the
/// user may read, moves the member's position, and sends the device's
/// cursor to the user actor itself (one hop less than the session doing it
/// after a reply). Anything not allowed is dropped silently.
struct device_ack {
  std::string user;
  std::string device;
  uint64_t seq = 0;
};

// -- fan-out: conversation -> user -> session ---------------------------------

/// A frame for every online device of a user. `seq` != 0 marks a message of
/// the conversation's sequence (sessions keep those in order and fill gaps);
/// 0 marks receipts, typing and other unsequenced pushes. The device
/// (`origin_user`, `origin_device`) sent the message itself: its session
/// records the seq but does not write the frame (the client has the `ok`).
struct push {
  std::string conv;
  uint64_t seq = 0;
  std::string origin_user;
  std::string origin_device;
  std::string frame; ///< The whole encoded frame, length prefix included.
};

// -- session <-> user ---------------------------------------------------------

/// A device's delivery cursor in one conversation.
struct conv_cursor {
  std::string conv;
  uint64_t acked = 0;
};

/// Reply to `(attach_atom, device, session)`: the user's conversations with
/// this device's cursors.
struct attach_info {
  std::vector<conv_cursor> cursors;
};

// -- presence -----------------------------------------------------------------

/// A user's presence as its user actor knows it: `online` while a device is
/// connected (or within the reconnect grace); `last_seen` the time the last
/// device went away (ms since the epoch; 0 = never seen), or now when
/// online.
struct presence_info {
  std::string user;
  bool online = false;
  int64_t last_seen = 0;
};

// -- auth workers -------------------------------------------------------------

/// Reply to login/resume.
struct grant {
  std::string user;
  std::string device;
  std::string token;
};

// -- inspect ------------------------------------------------------------------

template <class Inspector>
auto inspect(Inspector& f, post& x) {
  return f(x.from, x.device, x.cmid, x.kind, x.body, x.binary, x.direct_peer);
}

template <class Inspector>
auto inspect(Inspector& f, post_result& x) {
  return f(x.conv, x.seq, x.ts);
}

template <class Inspector>
auto inspect(Inspector& f, history_query& x) {
  return f(x.user, x.forward, x.before, x.after, x.limit);
}

template <class Inspector>
auto inspect(Inspector& f, history_page& x) {
  return f(x.conv, x.msgs, x.more);
}

template <class Inspector>
auto inspect(Inspector& f, conv_summary& x) {
  return f(x.conv, x.kind, x.name, x.members, x.last_seq, x.read_seq,
           x.unread, x.has_last, x.last, x.left);
}

template <class Inspector>
auto inspect(Inspector& f, device_ack& x) {
  return f(x.user, x.device, x.seq);
}

template <class Inspector>
auto inspect(Inspector& f, group_change& x) {
  return f(x.op, x.by, x.name, x.users);
}

template <class Inspector>
auto inspect(Inspector& f, group_info& x) {
  return f(x.conv, x.name, x.owner, x.admins, x.members);
}

template <class Inspector>
auto inspect(Inspector& f, push& x) {
  return f(x.conv, x.seq, x.origin_user, x.origin_device, x.frame);
}

template <class Inspector>
auto inspect(Inspector& f, conv_cursor& x) {
  return f(x.conv, x.acked);
}

template <class Inspector>
auto inspect(Inspector& f, attach_info& x) {
  return f(x.cursors);
}

template <class Inspector>
auto inspect(Inspector& f, presence_info& x) {
  return f(x.user, x.online, x.last_seen);
}

template <class Inspector>
auto inspect(Inspector& f, grant& x) {
  return f(x.user, x.device, x.token);
}

} // namespace parley::actors

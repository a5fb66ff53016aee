#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::actors {

/// A change of a group's membership. It is stored as the body of a `member`
/// message in the group's sequence (protocol.md: every device sees it in
/// order with the messages), and that stored message is the authoritative
/// record the SQLite rows are repaired from (docs/storage.md), so the body
/// must say everything needed to replay it.
struct member_event {
  /// "create", "add", "remove" or "leave".
  std::string event;
  /// The member who made the change.
  std::string by;
  /// The users it concerns: created with, added, removed, or the one leaving.
  std::vector<std::string> users;
  /// The group's name ("create" only).
  std::string name;
  /// The owner after the change when it moved ("leave" of the owner; empty
  /// when nobody is left) or was set ("create": the creator).
  std::string owner;
  /// True when `owner` is meaningful (ownership set or moved by this event).
  bool owner_changed = false;
};

/// The body of the `member` message: a JSON object
/// `{"event","by","users"[,"name"][,"owner"]}` (UTF-8 text, so clients show
/// or parse it). `owner` is present iff owner_changed (null when nobody is
/// left to own the group).
std::string encode_member_body(const member_event& e);

/// Parses a body written by encode_member_body; nullopt for anything else.
std::optional<member_event> decode_member_body(std::string_view body);

} // namespace parley::actors

#pragma once

// The invariant checker: runs after every scenario on what the devices
// observed and what the history holds, whatever the script said.
//
// Invariants (docs/harness.md, "The checker"):
// 1. acknowledged: every `ok` with a seq is in the history of its
//    conversation at that seq, with the same sender, cmid and body, and its
//    (sender, cmid) appears there exactly once;
// 2. same order: every device saw each (conv, seq) with the content the
//    history holds (so all devices agree), and every session that reached
//    `synced` saw each conversation's messages in increasing seq order
//    without a gap (seqs it could not see - not a member, or its own sends
//    still unanswered - excepted);
// 3. members only: no device received a message of a conversation its user
//    was not a member of at that seq;
// 4. delivered: a session still connected and synced at the end saw the
//    last message of every conversation its user may see (unless that
//    device had acked it before), i.e. live delivery has no missing tail.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace parley::scenario {

/// The content of one message as seen by a device or in the history.
struct msg_content {
  std::string from;
  std::string cmid;
  std::string body; ///< bin bodies as "bin:" + hex.
  std::string kind = "text";

  friend bool operator==(const msg_content& a, const msg_content& b) {
    return a.from == b.from && a.cmid == b.cmid && a.body == b.body
           && a.kind == b.kind;
  }
  friend bool operator!=(const msg_content& a, const msg_content& b) {
    return !(a == b);
  }
};

/// A send that got `ok` with a seq.
struct acked_send {
  std::string conv;
  uint64_t seq = 0;
  std::string device; ///< "alice/phone"
  msg_content content;
  std::string where;  ///< script file:line of the step that sent it
};

/// One message a session saw: pushed, or its own send's `ok`.
struct seen_msg {
  std::string conv;
  uint64_t seq = 0;
  msg_content content;
  bool own = false; ///< From the session's own send `ok` (not a push).
};

/// One connection of a device, from login to close.
struct session_record {
  std::string device;       ///< "alice/phone"
  std::string user;
  int number = 1;           ///< 1 for the device's first connection, ...
  bool synced = false;      ///< Reached `synced`.
  std::vector<seen_msg> seen; ///< In arrival order.
  /// cmids of sends this session issued that never got an answer.
  std::set<std::string> unanswered_cmids;
  /// Still connected (and reading) when the scenario ended.
  bool open = false;
  /// The highest seq the device acked per conversation, in any session.
  std::map<std::string, uint64_t> acked_upto;

  std::string label() const {
    return device + (number > 1 ? "#" + std::to_string(number) : "");
  }
};

/// One problem the checker found.
struct violation {
  std::string invariant; ///< "acknowledged", "same order", "members only",
                         ///< "delivered"
  std::string conv;
  uint64_t seq = 0;
  std::vector<std::string> devices;
  std::string text;      ///< One line, naming conv, seq and devices.
};

/// What the checker is given.
struct checker_input {
  std::vector<acked_send> acked;
  std::vector<session_record> sessions;
  /// The history of each conversation the scenario touched (seq -> content),
  /// as read at the end. A conversation absent here is not checked against
  /// history (it could not be read).
  std::map<std::string, std::map<uint64_t, msg_content>> history;
  /// Members of direct conversations (groups: from their member messages).
  std::map<std::string, std::set<std::string>> direct_members;
};

/// Checks every invariant; an empty result means all hold.
std::vector<violation> check_deliveries(const checker_input& in);

/// Who may see `seq` of a group, from its `member` messages: the members
/// after the change at or before `seq`, plus those removed exactly at `seq`.
/// Empty optional when the history has no membership information.
class membership_timeline {
public:
  explicit membership_timeline(const std::map<uint64_t, msg_content>& history);
  bool known() const noexcept { return known_; }
  bool may_see(const std::string& user, uint64_t seq) const;

private:
  bool known_ = false;
  /// seq of each change -> members after it, and those it removed.
  std::map<uint64_t, std::pair<std::set<std::string>, std::set<std::string>>>
    changes_;
};

} // namespace parley::scenario

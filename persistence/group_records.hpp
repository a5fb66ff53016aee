#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::persistence {

/// A member's role in a group. The values are stored (group_members.role):
/// never renumber them.
enum class group_role : uint8_t { member = 0, admin = 1 };

/// One user's membership of a group, current or former. Membership changes
/// are `member` messages of the group's history; the seqs point at them.
struct group_member {
  std::string user;
  group_role role = group_role::member;
  uint64_t joined_seq = 0;  ///< Seq of the member message that added the user.
  uint32_t joined_pos = 0;  ///< Position of the user in that message's list
                            ///< (orders users added together).
  uint64_t removed_seq = 0; ///< Seq of the member message that removed the
                            ///< user (or that it left); 0 = current member.
};

/// A group conversation's membership as stored by group_store: a
/// materialized view of the group's `member` messages up to `applied_seq`.
struct group_record {
  std::string conv;
  std::string name;
  std::string owner;
  int64_t created = 0;      ///< ms since the Unix epoch, UTC.
  uint64_t applied_seq = 0; ///< Highest member-message seq reflected here.
  /// Current and former members, ordered by (joined_seq, joined_pos).
  std::vector<group_member> members;
};

template <class Inspector>
auto inspect(Inspector& f, group_member& x) {
  return f(x.user, x.role, x.joined_seq, x.joined_pos, x.removed_seq);
}

template <class Inspector>
auto inspect(Inspector& f, group_record& x) {
  return f(x.conv, x.name, x.owner, x.created, x.applied_seq, x.members);
}

} // namespace parley::persistence

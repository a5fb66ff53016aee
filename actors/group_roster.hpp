#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/member_event.hpp"
#include "persistence/group_records.hpp"
#include "persistence/records.hpp"
#include "transport/errc.hpp"

namespace parley::actors {

using persistence::group_member;
using persistence::group_record;
using persistence::group_role;

/// The seqs of a conversation one user may read: [from, to] (inclusive).
struct visible_range {
  uint64_t from = 1;
  uint64_t to = std::numeric_limits<uint64_t>::max();
  bool current = true; ///< Still a member (to is unbounded).
};

/// What a requested membership change turns into: an event to write, or
/// nothing to do, or a refusal.
struct change_plan {
  std::optional<member_event> event; ///< Unset: no change (or refused).
  std::optional<errc> refused;
  std::string reason; ///< For the client when refused.
};

/// Who belongs to a conversation, with roles and the range of its sequence
/// each user may read; the rules of protocol.md's Groups section and of
/// docs/protocol.md part 2 (owner succession, visibility). Pure bookkeeping
/// over a group_record (no I/O, no actors): the conversation actor owns one
/// and is the single writer of changes.
///
/// Visibility: a member reads from the seq of the member message that added
/// it (1 for the creators of a group and for both users of a direct
/// conversation); a former member (removed, or left) up to and including the
/// message that removed it. Re-adding a former member starts a new range.
class group_roster {
public:
  group_roster() = default;

  /// A group as stored.
  explicit group_roster(group_record rec);

  /// A direct conversation: `users` (one or two) are members from seq 1,
  /// no roles.
  static group_roster direct(const std::string& conv,
                             const std::vector<std::string>& users);

  const group_record& record() const noexcept { return rec_; }

  bool is_member(const std::string& user) const;
  bool is_admin(const std::string& user) const;

  /// The range `user` may read, or nullopt if it never was a member.
  std::optional<visible_range> visible(const std::string& user) const;

  /// Current members, by membership age (oldest first). Shared and
  /// immutable: a post captures the audience it was sequenced with.
  std::shared_ptr<const std::vector<std::string>> members() const {
    return members_;
  }
  size_t size() const noexcept { return members_->size(); }

  std::vector<std::string> admins() const;

  // -- planning: validate a request against the rules ------------------------

  /// `by` creates the group with `users` (the creator is added first;
  /// duplicates dropped). group_full beyond `max_group`.
  static change_plan plan_create(const std::string& by, const std::string& name,
                                 const std::vector<std::string>& users,
                                 size_t max_group);
  /// Admins add users; current members are skipped (nothing left: no event).
  change_plan plan_add(const std::string& by,
                       const std::vector<std::string>& users,
                       size_t max_group) const;
  /// Admins remove current members (others skipped); never the owner.
  change_plan plan_remove(const std::string& by,
                          const std::vector<std::string>& users) const;
  /// A member leaves. When the owner leaves, the admin who has been a member
  /// longest becomes owner, else the member who has been one longest.
  change_plan plan_leave(const std::string& by) const;

  // -- applying --------------------------------------------------------------

  /// Applies `e`, the member message at `seq` (> every applied one), and
  /// returns the member rows it changed (to save). `created` is the creation
  /// time for a "create" event.
  std::vector<group_member> apply(const member_event& e, uint64_t seq,
                                  int64_t created = 0);

private:
  group_member* find(const std::string& user);
  const group_member* find(const std::string& user) const;
  void reindex();

  group_record rec_;
  std::unordered_map<std::string, size_t> index_; ///< user -> rec_.members
  std::shared_ptr<const std::vector<std::string>> members_
    = std::make_shared<const std::vector<std::string>>();
};

} // namespace parley::actors

#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/group_records.hpp"
#include "persistence/shard.hpp"
#include "persistence/sqlite_database.hpp"

namespace parley::persistence {

/// The SQLite store of group membership and roles: tables `groups` and
/// `group_members` in the node's SQLite file (the account store's file;
/// each store opens its own connection). Every row carries the shard of its
/// conversation. Schema: docs/storage.md.
///
/// A materialized view, not the source of truth: every membership change is
/// first a `member` message in the history store, indexed by
/// history_store::encode_member_event, and the rows say up to which of those
/// messages they reflect (`applied_seq`). After a crash between the two
/// writes the conversation actor replays history_store::member_events_after
/// (applied_seq) and saves again. So commits use synchronous=NORMAL: a
/// power loss may lose the latest saves, never a change.
///
/// Thread-safety: every member may be called from any thread; calls are
/// serialized on one connection by an internal mutex. Calls block on disk:
/// run them where blocking is allowed.
class group_store {
public:
  /// The longest conv, name, owner or user that `save` accepts.
  static constexpr size_t max_field_bytes = 255;

  /// Opens (creating if missing, with its parent directories) the SQLite
  /// file at `path`; it may be opened before or after the account store on
  /// the same file. On failure returns null and sets `error` to a one-line
  /// reason. Records the shard count in the shared `meta` table on creation
  /// and refuses a different one later.
  static std::unique_ptr<group_store> open(const std::string& path,
                                           uint32_t shard_count,
                                           std::string& error);

  enum class load_result { found, absent, failed };

  /// Reads group `conv` with all its members, current and former, ordered
  /// by (joined_seq, joined_pos). `found`: `out` is replaced by the group.
  /// `absent` (also for a conv that save would refuse) and `failed` (SQL
  /// error or a malformed row; `error` says why): `out` is left unchanged.
  load_result load(std::string_view conv, group_record& out,
                   std::string& error) const;

  /// In one transaction: upserts the group row (name, owner, created,
  /// applied_seq of `g`) and upserts each of `changed` (rows of other
  /// members are left as they are; `g.members` is not read). Forward only:
  /// if the stored applied_seq is already >= g.applied_seq nothing is
  /// written (a stale writer) and it returns true.
  ///
  /// Returns false, writing nothing, and sets `error` if the transaction
  /// fails or the input is invalid: an empty conv or user; a conv, name,
  /// owner or user longer than max_field_bytes; a seq above 2^63 - 1
  /// (SQLite integers are signed); an unknown role.
  bool save(const group_record& g, const std::vector<group_member>& changed,
            std::string& error);

private:
  group_store() = default;

  mutable std::mutex mutex_;
  sqlite_handle db_;
  uint32_t shard_count_ = default_shard_count;
};

} // namespace parley::persistence

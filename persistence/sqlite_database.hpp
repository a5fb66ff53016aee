#pragma once

#include <cstdint>
#include <memory>
#include <string>

struct sqlite3;

/// What the SQLite stores (account_store, group_store) share: opening the
/// node's SQLite file with Parley's settings, the `meta` table, and
/// transactions. Internal to those stores. Schema: docs/storage.md.
namespace parley::persistence {

/// Closes a connection with sqlite3_close_v2.
struct sqlite_closer {
  void operator()(sqlite3* db) const noexcept;
};

/// An owned SQLite connection.
using sqlite_handle = std::unique_ptr<sqlite3, sqlite_closer>;

/// How a commit reaches the disk in WAL mode (PRAGMA synchronous): `full`
/// syncs the WAL on every commit (survives power loss); `normal` survives a
/// crash of the process but may lose the latest commits on power loss.
enum class sqlite_sync { normal, full };

/// The schema version recorded in `meta` (one for the whole file: every
/// store's tables are created IF NOT EXISTS, so adding a store's tables does
/// not change it).
constexpr int64_t sqlite_schema_version = 1;

/// Opens (creating it, and its parent directories, if missing) the SQLite
/// file at `path` as one connection with SQLITE_OPEN_FULLMUTEX, a busy
/// timeout of 5 s, journal_mode=WAL, synchronous=`sync` and
/// foreign_keys=ON. Then, in one IMMEDIATE transaction, creates the shared
/// `meta` table, runs `schema_sql` (the caller's CREATE ... IF NOT EXISTS
/// statements) and records `shard_count` and the schema version in `meta`
/// if absent. Several stores may open the same file, in any order: the
/// first records the values, every later open checks them.
///
/// On failure (shard count outside [1, 65536], empty path, unusable file,
/// SQL error, a different recorded shard count or schema version) returns
/// null and sets `error` to a one-line reason (without the path).
sqlite_handle open_sqlite(const std::string& path, uint32_t shard_count,
                          sqlite_sync sync, const char* schema_sql,
                          std::string& error);

/// Runs `sql` (one or more statements without results). On failure returns
/// false and sets `error` to SQLite's message.
bool sqlite_exec(sqlite3* db, const char* sql, std::string& error);

/// A transaction on one connection, rolled back on destruction unless
/// committed. Use it under the connection's lock. Not copyable.
class sqlite_transaction {
public:
  /// `immediate` takes the write lock at once (waiting up to the busy
  /// timeout), so a read-then-write sequence cannot be overtaken by another
  /// connection; `deferred` suits reads that need one snapshot.
  enum class mode { deferred, immediate };

  explicit sqlite_transaction(sqlite3* db) noexcept : db_(db) {
    // nop
  }
  sqlite_transaction(const sqlite_transaction&) = delete;
  sqlite_transaction& operator=(const sqlite_transaction&) = delete;
  ~sqlite_transaction();

  /// Begins. Returns false and sets `error` on failure (nothing to undo).
  bool begin(mode m, std::string& error);

  /// Commits. On failure returns false, sets `error`, and the destructor
  /// rolls back.
  bool commit(std::string& error);

private:
  sqlite3* db_;
  bool open_ = false;
};

} // namespace parley::persistence

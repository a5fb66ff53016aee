#include "persistence/sqlite_database.hpp"

#include <filesystem>
#include <system_error>

#include <sqlite3.h>

#include "persistence/error_text.hpp"
#include "persistence/sqlite_statement.hpp"

namespace parley::persistence {

namespace {

constexpr int busy_timeout_ms = 5000;

constexpr const char* meta_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

/// Reads the stored value of `key` from the meta table, or stores `value`
/// if absent. Returns the value in effect; false on a SQL error.
bool meta_value(sqlite3* db, const char* key, int64_t value, int64_t& stored,
                std::string& error) {
  sqlite_statement insert{
    db, "INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)"};
  if (insert.bind(1, std::string_view{key}).bind(2, value).step()
      != SQLITE_DONE) {
    error = sqlite3_errmsg(db);
    return false;
  }
  sqlite_statement select{db, "SELECT value FROM meta WHERE key = ?"};
  if (select.bind(1, std::string_view{key}).step() != SQLITE_ROW) {
    error = sqlite3_errmsg(db);
    return false;
  }
  stored = select.integer(0);
  return true;
}

} // namespace

void sqlite_closer::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

bool sqlite_exec(sqlite3* db, const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK)
    return true;
  error = msg ? msg : sqlite3_errmsg(db);
  sqlite3_free(msg);
  return false;
}

sqlite_handle open_sqlite(const std::string& path, uint32_t shard_count,
                          sqlite_sync sync, const char* schema_sql,
                          std::string& error) {
  auto fail = [&](const std::string& why) {
    error = one_line(why);
    return sqlite_handle{};
  };
  if (shard_count == 0 || shard_count > 0x10000)
    return fail("shard count " + std::to_string(shard_count)
                + " is outside [1, 65536]");
  if (path.empty())
    return fail("empty path");
  auto parent = std::filesystem::path{path}.parent_path();
  std::error_code ec;
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  if (ec)
    return fail(ec.message());
  auto flags =
    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  sqlite_handle db{raw}; // Closed on every path, also when open failed.
  if (rc != SQLITE_OK)
    return fail(db ? std::string{sqlite3_errmsg(db.get())}
                   : std::string{"out of memory"});
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  std::string why;
  auto sync_sql = sync == sqlite_sync::full ? "PRAGMA synchronous=FULL"
                                            : "PRAGMA synchronous=NORMAL";
  if (!sqlite_exec(db.get(), "PRAGMA journal_mode=WAL", why)
      || !sqlite_exec(db.get(), sync_sql, why)
      || !sqlite_exec(db.get(), "PRAGMA foreign_keys=ON", why))
    return fail(why);
  int64_t stored_shards = 0;
  int64_t stored_version = 0;
  {
    sqlite_transaction tx{db.get()};
    if (!tx.begin(sqlite_transaction::mode::immediate, why)
        || !sqlite_exec(db.get(), meta_schema_sql, why)
        || !sqlite_exec(db.get(), schema_sql, why)
        || !meta_value(db.get(), "shard_count", shard_count, stored_shards, why)
        || !meta_value(db.get(), "schema_version", sqlite_schema_version,
                       stored_version, why)
        || !tx.commit(why))
      return fail(why);
  }
  if (stored_version != sqlite_schema_version)
    return fail("unsupported schema version " + std::to_string(stored_version));
  if (stored_shards != static_cast<int64_t>(shard_count))
    return fail("shard count mismatch: the store was created with "
                + std::to_string(stored_shards) + " shards, configured "
                + std::to_string(shard_count));
  return db;
}

sqlite_transaction::~sqlite_transaction() {
  if (open_) {
    std::string ignored;
    sqlite_exec(db_, "ROLLBACK", ignored);
  }
}

bool sqlite_transaction::begin(mode m, std::string& error) {
  auto sql = m == mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN";
  open_ = sqlite_exec(db_, sql, error);
  return open_;
}

bool sqlite_transaction::commit(std::string& error) {
  if (!sqlite_exec(db_, "COMMIT", error))
    return false;
  open_ = false;
  return true;
}

} // namespace parley::persistence

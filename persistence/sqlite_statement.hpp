#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace parley::persistence {

/// One prepared SQLite statement; finalized on destruction. Internal to the
/// SQLite stores (account_store, group_store). Not thread-safe: use it under
/// the connection's lock. Text and blobs are bound as SQLITE_TRANSIENT
/// (copied), so arguments need not outlive it. A failed prepare or bind is
/// remembered and returned by `step` (sqlite3_errmsg says why).
class sqlite_statement {
public:
  sqlite_statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;
  ~sqlite_statement() {
    sqlite3_finalize(stmt_);
  }

  bool prepared() const noexcept { return rc_ == SQLITE_OK; }

  sqlite_statement& bind(int index, std::string_view text) {
    if (rc_ == SQLITE_OK)
      rc_ = sqlite3_bind_text(stmt_, index, text.data(),
                              static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }

  sqlite_statement& bind_blob(int index, const void* data, size_t size) {
    if (rc_ == SQLITE_OK)
      rc_ = sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size),
                              SQLITE_TRANSIENT);
    return *this;
  }

  sqlite_statement& bind(int index, int64_t value) {
    if (rc_ == SQLITE_OK)
      rc_ = sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }

  /// Makes the statement ready to run again with new bindings (all cleared
  /// to NULL). A failed prepare stays failed.
  void reset() {
    if (!stmt_)
      return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    rc_ = SQLITE_OK;
  }

  /// SQLITE_ROW, SQLITE_DONE or an error code (also a bind's error).
  int step() {
    if (rc_ != SQLITE_OK)
      return rc_;
    return sqlite3_step(stmt_);
  }

  std::string text(int column) const {
    auto p = sqlite3_column_text(stmt_, column);
    auto n = sqlite3_column_bytes(stmt_, column);
    return p ? std::string{reinterpret_cast<const char*>(p),
                           static_cast<size_t>(n)}
             : std::string{};
  }

  int64_t integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
  }

private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

} // namespace parley::persistence

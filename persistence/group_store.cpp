#include "persistence/group_store.hpp"

#include <limits>

#include <sqlite3.h>

#include "persistence/error_text.hpp"
#include "persistence/sqlite_statement.hpp"

namespace parley::persistence {

namespace {

/// The group store's tables (the shared `meta` table is created by
/// open_sqlite). Members reference their group, so a group's rows go
/// together; they do not reference `users`: members may be users homed on
/// other nodes.
constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS groups(
  shard       INTEGER NOT NULL,
  conv        TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  applied_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS groups_by_shard ON groups(shard);
CREATE TABLE IF NOT EXISTS group_members(
  shard       INTEGER NOT NULL,
  conv        TEXT NOT NULL REFERENCES groups(conv) ON DELETE CASCADE,
  user        TEXT NOT NULL,
  role        INTEGER NOT NULL CHECK(role IN (0, 1)),
  joined_seq  INTEGER NOT NULL,
  joined_pos  INTEGER NOT NULL,
  removed_seq INTEGER NOT NULL,
  PRIMARY KEY(conv, user)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_members_by_shard ON group_members(shard);
)sql";

constexpr uint64_t max_stored_seq = std::numeric_limits<int64_t>::max();

bool valid_field(std::string_view x, bool may_be_empty) {
  return x.size() <= group_store::max_field_bytes
         && (may_be_empty || !x.empty());
}

bool valid_role(group_role role) {
  return role == group_role::member || role == group_role::admin;
}

/// Checks `save`'s input; sets `why` for the first problem found.
bool valid_input(const group_record& g,
                 const std::vector<group_member>& changed, std::string& why) {
  if (!valid_field(g.conv, false))
    why = "conv must be 1-255 bytes";
  else if (!valid_field(g.name, true) || !valid_field(g.owner, true))
    why = "name and owner must be at most 255 bytes";
  else if (g.applied_seq > max_stored_seq)
    why = "applied_seq above 2^63 - 1";
  for (auto& m : changed) {
    if (!why.empty())
      break;
    if (!valid_field(m.user, false))
      why = "member name must be 1-255 bytes";
    else if (m.joined_seq > max_stored_seq || m.removed_seq > max_stored_seq)
      why = "member seq above 2^63 - 1";
    else if (!valid_role(m.role))
      why = "unknown role " + std::to_string(static_cast<unsigned>(m.role));
  }
  return why.empty();
}

} // namespace

// -- opening ------------------------------------------------------------------

std::unique_ptr<group_store> group_store::open(const std::string& path,
                                               uint32_t shard_count,
                                               std::string& error) {
  std::unique_ptr<group_store> store{new group_store};
  store->shard_count_ = shard_count;
  std::string why;
  // synchronous=NORMAL: the rows are repaired from the history store.
  store->db_ =
    open_sqlite(path, shard_count, sqlite_sync::normal, schema_sql, why);
  if (!store->db_) {
    error = one_line("cannot open group store at '" + path + "': " + why);
    return nullptr;
  }
  return store;
}

// -- reading ------------------------------------------------------------------

group_store::load_result group_store::load(std::string_view conv,
                                           group_record& out,
                                           std::string& error) const {
  if (!valid_field(conv, false))
    return load_result::absent; // save never stores such a conv.
  auto failed = [&](std::string why) {
    error =
      one_line("group store: cannot load '" + std::string{conv} + "': " + why);
    return load_result::failed;
  };
  std::lock_guard<std::mutex> guard{mutex_};
  auto db = db_.get();
  // One snapshot for both tables.
  sqlite_transaction tx{db};
  std::string why;
  if (!tx.begin(sqlite_transaction::mode::deferred, why))
    return failed(why);
  group_record g;
  sqlite_statement group{
    db, "SELECT name, owner, created_ms, applied_seq FROM groups "
        "WHERE conv = ?"};
  switch (group.bind(1, conv).step()) {
  case SQLITE_ROW:
    break;
  case SQLITE_DONE:
    return load_result::absent;
  default:
    return failed(sqlite3_errmsg(db));
  }
  g.conv = std::string{conv};
  g.name = group.text(0);
  g.owner = group.text(1);
  g.created = group.integer(2);
  g.applied_seq = static_cast<uint64_t>(group.integer(3));
  sqlite_statement members{
    db, "SELECT user, role, joined_seq, joined_pos, removed_seq "
        "FROM group_members WHERE conv = ? "
        "ORDER BY joined_seq, joined_pos, user"};
  members.bind(1, conv);
  int rc;
  while ((rc = members.step()) == SQLITE_ROW) {
    group_member m;
    m.user = members.text(0);
    auto role = members.integer(1);
    auto pos = members.integer(3);
    if (role != 0 && role != 1)
      return failed("member '" + m.user + "' has unknown role "
                    + std::to_string(role));
    if (pos < 0 || pos > std::numeric_limits<uint32_t>::max())
      return failed("member '" + m.user + "' has joined_pos "
                    + std::to_string(pos));
    m.role = static_cast<group_role>(role);
    m.joined_seq = static_cast<uint64_t>(members.integer(2));
    m.joined_pos = static_cast<uint32_t>(pos);
    m.removed_seq = static_cast<uint64_t>(members.integer(4));
    g.members.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE)
    return failed(sqlite3_errmsg(db));
  if (!tx.commit(why))
    return failed(why);
  out = std::move(g);
  return load_result::found;
}

// -- writing ------------------------------------------------------------------

bool group_store::save(const group_record& g,
                       const std::vector<group_member>& changed,
                       std::string& error) {
  auto fail = [&](std::string why) {
    error = one_line("group store: cannot save '" + g.conv.substr(0, 64)
                     + "': " + why);
    return false;
  };
  std::string why;
  if (!valid_input(g, changed, why))
    return fail(why);
  auto shard =
    static_cast<int64_t>(shard_of(entity_kind::conv, g.conv, shard_count_));
  std::lock_guard<std::mutex> guard{mutex_};
  auto db = db_.get();
  // IMMEDIATE: no other connection can write between the check of
  // applied_seq and the upserts.
  sqlite_transaction tx{db};
  if (!tx.begin(sqlite_transaction::mode::immediate, why))
    return fail(why);
  sqlite_statement stored{db, "SELECT applied_seq FROM groups WHERE conv = ?"};
  switch (stored.bind(1, std::string_view{g.conv}).step()) {
  case SQLITE_ROW:
    if (static_cast<uint64_t>(stored.integer(0)) >= g.applied_seq)
      return true; // A stale writer: the rows are as new or newer.
    break;
  case SQLITE_DONE:
    break;
  default:
    return fail(sqlite3_errmsg(db));
  }
  sqlite_statement group{
    db, "INSERT INTO groups(shard, conv, name, owner, created_ms, applied_seq) "
        "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(conv) DO UPDATE SET "
        "name = excluded.name, "
        "owner = excluded.owner, created_ms = excluded.created_ms, "
        "applied_seq = excluded.applied_seq"};
  if (group.bind(1, shard)
        .bind(2, std::string_view{g.conv})
        .bind(3, std::string_view{g.name})
        .bind(4, std::string_view{g.owner})
        .bind(5, g.created)
        .bind(6, static_cast<int64_t>(g.applied_seq))
        .step()
      != SQLITE_DONE)
    return fail(sqlite3_errmsg(db));
  sqlite_statement member{
    db, "INSERT INTO group_members(shard, conv, user, role, joined_seq, "
        "joined_pos, removed_seq) VALUES(?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(conv, user) DO UPDATE SET role = excluded.role, "
        "joined_seq = excluded.joined_seq, joined_pos = excluded.joined_pos, "
        "removed_seq = excluded.removed_seq"};
  for (auto& m : changed) {
    member.reset();
    if (member.bind(1, shard)
          .bind(2, std::string_view{g.conv})
          .bind(3, std::string_view{m.user})
          .bind(4, static_cast<int64_t>(m.role))
          .bind(5, static_cast<int64_t>(m.joined_seq))
          .bind(6, static_cast<int64_t>(m.joined_pos))
          .bind(7, static_cast<int64_t>(m.removed_seq))
          .step()
        != SQLITE_DONE)
      return fail(sqlite3_errmsg(db));
  }
  if (!tx.commit(why))
    return fail(why);
  return true;
}

} // namespace parley::persistence

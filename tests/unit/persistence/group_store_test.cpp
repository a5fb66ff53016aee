#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <limits>
#include <thread>

#include <sqlite3.h>

#include "persistence/account_store.hpp"
#include "persistence/group_store.hpp"
#include "temp_dir.hpp"

using namespace parley;
using namespace parley::persistence;
using parley::test::temp_dir;
// Qualified below: glibc's <unistd.h> declares a global group_member(gid_t),
// which makes the unqualified name ambiguous after `using namespace`.

namespace {

std::unique_ptr<group_store> open_groups(const std::string& path,
                                         uint32_t shards = 256) {
  std::string error;
  auto store = group_store::open(path, shards, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::unique_ptr<account_store> open_accounts(const std::string& path,
                                             uint32_t shards = 256) {
  std::string error;
  auto store = account_store::open(path, shards, pwhash_cost::minimal, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

persistence::group_member member(std::string user, uint64_t joined_seq,
                                 uint32_t joined_pos, uint64_t removed_seq = 0,
                                 group_role role = group_role::member) {
  persistence::group_member m;
  m.user = std::move(user);
  m.role = role;
  m.joined_seq = joined_seq;
  m.joined_pos = joined_pos;
  m.removed_seq = removed_seq;
  return m;
}

group_record make_group(std::string conv, uint64_t applied_seq) {
  group_record g;
  g.conv = std::move(conv);
  g.name = "team";
  g.owner = "alice";
  g.created = 1700000000123;
  g.applied_seq = applied_seq;
  return g;
}

void save_ok(group_store& store, const group_record& g,
             const std::vector<persistence::group_member>& changed) {
  std::string error;
  auto saved = store.save(g, changed, error);
  INFO(error);
  REQUIRE(saved);
}

group_record load_found(const group_store& store, std::string_view conv) {
  group_record out;
  std::string error;
  auto result = store.load(conv, out, error);
  INFO(error);
  REQUIRE(result == group_store::load_result::found);
  return out;
}

std::vector<std::string> users(const group_record& g) {
  std::vector<std::string> out;
  for (auto& m : g.members)
    out.push_back(m.user);
  return out;
}

void check_member(const persistence::group_member& got,
                  const persistence::group_member& want) {
  INFO(want.user);
  CHECK(got.user == want.user);
  CHECK(got.role == want.role);
  CHECK(got.joined_seq == want.joined_seq);
  CHECK(got.joined_pos == want.joined_pos);
  CHECK(got.removed_seq == want.removed_seq);
}

/// Runs a one-integer query on the file through a separate connection.
int64_t query_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr)
          == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  auto value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

} // namespace

TEST_CASE("a group round-trips with current and former members in join "
          "order",
          "[groups]") {
  temp_dir dir;
  auto path = dir / "accounts.db";
  auto g = make_group("g1", 9);
  // Given out of join order, and join order is not name order.
  std::vector<persistence::group_member> ms{
    member("carol", 4, 1),  member("alice", 1, 0, 0, group_role::admin),
    member("bob", 1, 2, 7), member("dave", 4, 0, 9),
    member("zed", 1, 1),
  };
  {
    auto store = open_groups(path);
    save_ok(*store, g, ms);
  }
  auto store = open_groups(path); // Read back after a reopen.
  auto got = load_found(*store, "g1");
  CHECK(got.conv == "g1");
  CHECK(got.name == "team");
  CHECK(got.owner == "alice");
  CHECK(got.created == 1700000000123);
  CHECK(got.applied_seq == 9);
  CHECK(users(got)
        == std::vector<std::string>{"alice", "zed", "bob", "dave", "carol"});
  REQUIRE(got.members.size() == 5);
  check_member(got.members[0], ms[1]);
  check_member(got.members[1], ms[4]);
  check_member(got.members[2], ms[2]);
  check_member(got.members[3], ms[3]);
  check_member(got.members[4], ms[0]);
}

TEST_CASE("an absent group is absent and leaves the output alone", "[groups]") {
  temp_dir dir;
  auto store = open_groups(dir / "accounts.db");
  save_ok(*store, make_group("g1", 1), {member("alice", 1, 0)});
  group_record out;
  out.conv = "untouched";
  std::string error;
  CHECK(store->load("g2", out, error) == group_store::load_result::absent);
  CHECK(store->load("g", out, error) == group_store::load_result::absent);
  CHECK(store->load("", out, error) == group_store::load_result::absent);
  CHECK(store->load(std::string(300, 'g'), out, error)
        == group_store::load_result::absent);
  CHECK(out.conv == "untouched");
  CHECK(error.empty());
}

TEST_CASE("save is forward only: a stale applied_seq writes nothing",
          "[groups]") {
  temp_dir dir;
  auto store = open_groups(dir / "accounts.db");
  save_ok(*store, make_group("g1", 5), {member("alice", 1, 0)});
  for (uint64_t stale : {5u, 4u, 0u}) {
    INFO("stale applied_seq " << stale);
    auto old = make_group("g1", stale);
    old.name = "renamed";
    old.owner = "mallory";
    save_ok(*store, old, {member("alice", 1, 0, 3), member("mallory", 2, 0)});
    auto got = load_found(*store, "g1");
    CHECK(got.applied_seq == 5);
    CHECK(got.name == "team");
    CHECK(got.owner == "alice");
    REQUIRE(got.members.size() == 1);
    CHECK(got.members[0].removed_seq == 0);
  }
  auto newer = make_group("g1", 6);
  newer.name = "renamed";
  save_ok(*store, newer, {member("mallory", 6, 0)});
  auto got = load_found(*store, "g1");
  CHECK(got.applied_seq == 6);
  CHECK(got.name == "renamed");
  CHECK(users(got) == std::vector<std::string>{"alice", "mallory"});
}

TEST_CASE("save upserts only the changed members", "[groups]") {
  temp_dir dir;
  auto store = open_groups(dir / "accounts.db");
  save_ok(*store, make_group("g1", 1),
          {member("alice", 1, 0, 0, group_role::admin), member("bob", 1, 1),
           member("carol", 1, 2)});
  // Seq 2 removes bob and adds dave; seq 3 makes carol an admin. Alice's
  // row is never passed again and must stay as it was.
  save_ok(*store, make_group("g1", 2),
          {member("bob", 1, 1, 2), member("dave", 2, 0)});
  save_ok(*store, make_group("g1", 3),
          {member("carol", 1, 2, 0, group_role::admin)});
  auto got = load_found(*store, "g1");
  CHECK(got.applied_seq == 3);
  REQUIRE(got.members.size() == 4);
  check_member(got.members[0], member("alice", 1, 0, 0, group_role::admin));
  check_member(got.members[1], member("bob", 1, 1, 2));
  check_member(got.members[2], member("carol", 1, 2, 0, group_role::admin));
  check_member(got.members[3], member("dave", 2, 0));
  // A former member who rejoins gets its row replaced.
  save_ok(*store, make_group("g1", 4), {member("bob", 4, 0)});
  got = load_found(*store, "g1");
  CHECK(users(got)
        == std::vector<std::string>{"alice", "carol", "dave", "bob"});
  check_member(got.members[3], member("bob", 4, 0));
  // Members of other groups are apart.
  save_ok(*store, make_group("g10", 1), {member("erin", 1, 0)});
  CHECK(load_found(*store, "g1").members.size() == 4);
  CHECK(users(load_found(*store, "g10")) == std::vector<std::string>{"erin"});
}

TEST_CASE("every group row carries its conversation's shard", "[groups]") {
  temp_dir dir;
  auto path = dir / "accounts.db";
  auto store = open_groups(path);
  save_ok(*store, make_group("conv-1", 1),
          {member("alice", 1, 0), member("bob", 1, 1)});
  auto shard = shard_of(entity_kind::conv, "conv-1", 256);
  REQUIRE(shard == 90); // Pinned in keys_test; not the users' shards.
  CHECK(query_int(path, "SELECT shard FROM groups WHERE conv = 'conv-1'")
        == 90);
  CHECK(query_int(path, "SELECT COUNT(*) FROM group_members WHERE shard = 90")
        == 2);
  CHECK(query_int(path, "SELECT COUNT(*) FROM group_members") == 2);
  // The shard columns are indexed.
  CHECK(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                        "'index' AND name IN ('groups_by_shard', "
                        "'group_members_by_shard')")
        == 2);
}

TEST_CASE("a different shard count is refused, whichever store created the "
          "file",
          "[groups]") {
  temp_dir dir;
  auto by_groups = dir / "g.db";
  auto by_accounts = dir / "a.db";
  open_groups(by_groups, 256);
  open_accounts(by_accounts, 256);
  for (auto path : {by_groups, by_accounts}) {
    INFO(path);
    std::string error;
    CHECK_FALSE(group_store::open(path, 128, error));
    CHECK_THAT(error, Catch::Contains("shard count mismatch"));
    error.clear();
    CHECK_FALSE(account_store::open(path, 128, pwhash_cost::minimal, error));
    CHECK_THAT(error, Catch::Contains("shard count mismatch"));
    // The right count still opens.
    open_groups(path, 256);
  }
  std::string error;
  CHECK_FALSE(group_store::open(dir / "x.db", 0, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("account and group stores share one file in either order",
          "[groups]") {
  for (bool groups_first : {true, false}) {
    INFO("groups first: " << groups_first);
    temp_dir dir;
    auto path = dir / "data/accounts.db"; // The parent is made on open.
    std::unique_ptr<group_store> groups;
    std::unique_ptr<account_store> accounts;
    if (groups_first) {
      groups = open_groups(path);
      accounts = open_accounts(path);
    } else {
      accounts = open_accounts(path);
      groups = open_groups(path);
    }
    // Both connections are open and write to the same file.
    REQUIRE(accounts->create_user("alice", "password1") == std::nullopt);
    save_ok(*groups, make_group("g1", 1), {member("alice", 1, 0)});
    REQUIRE(accounts->create_user("bob", "password1") == std::nullopt);
    save_ok(*groups, make_group("g1", 2), {member("bob", 2, 0)});
    CHECK(accounts->user_exists("bob"));
    CHECK(load_found(*groups, "g1").members.size() == 2);
    groups.reset();
    accounts.reset();
    // Reopened the other way round, both see their data.
    if (groups_first) {
      accounts = open_accounts(path);
      groups = open_groups(path);
    } else {
      groups = open_groups(path);
      accounts = open_accounts(path);
    }
    CHECK(accounts->user_exists("alice"));
    CHECK(accounts->user_exists("bob"));
    CHECK(users(load_found(*groups, "g1"))
          == std::vector<std::string>{"alice", "bob"});
    CHECK(query_int(path, "SELECT COUNT(*) FROM meta") == 2);
  }
}

TEST_CASE("bad input is refused without writing or crashing", "[groups]") {
  temp_dir dir;
  auto store = open_groups(dir / "accounts.db");
  save_ok(*store, make_group("g1", 1), {member("alice", 1, 0)});
  auto too_long = std::string(256, 'x');
  auto big_seq = uint64_t{std::numeric_limits<int64_t>::max()} + 1;
  std::vector<std::pair<group_record, std::vector<persistence::group_member>>>
    bad;
  bad.emplace_back(make_group("", 2), std::vector<persistence::group_member>{});
  bad.emplace_back(make_group(too_long, 2),
                   std::vector<persistence::group_member>{});
  auto g = make_group("g1", 2);
  g.name = too_long;
  bad.emplace_back(g, std::vector<persistence::group_member>{});
  g = make_group("g1", 2);
  g.owner = too_long;
  bad.emplace_back(g, std::vector<persistence::group_member>{});
  bad.emplace_back(make_group("g1", big_seq),
                   std::vector<persistence::group_member>{});
  // A bad member spoils the whole save, also the group row.
  bad.emplace_back(make_group("g1", 2),
                   std::vector<persistence::group_member>{member("bob", 2, 0),
                                                          member("", 2, 1)});
  bad.emplace_back(make_group("g1", 2), std::vector<persistence::group_member>{
                                          member(too_long, 2, 0)});
  bad.emplace_back(make_group("g1", 2), std::vector<persistence::group_member>{
                                          member("bob", big_seq, 0)});
  bad.emplace_back(make_group("g1", 2), std::vector<persistence::group_member>{
                                          member("bob", 2, 0, big_seq)});
  bad.emplace_back(make_group("g1", 2),
                   std::vector<persistence::group_member>{
                     member("bob", 2, 0, 0, static_cast<group_role>(7))});
  for (auto& [group, changed] : bad) {
    std::string error;
    CHECK_FALSE(store->save(group, changed, error));
    CHECK_FALSE(error.empty());
    CHECK(error.find('\n') == std::string::npos);
  }
  auto got = load_found(*store, "g1");
  CHECK(got.applied_seq == 1);
  CHECK(users(got) == std::vector<std::string>{"alice"});
  // The longest accepted names work.
  auto longest = std::string(255, 'y');
  auto ok = make_group(longest, 1);
  ok.name = longest;
  save_ok(*store, ok, {member(longest, 1, 0)});
  CHECK(load_found(*store, longest).members.at(0).user == longest);
}

TEST_CASE("an unusable group store path gives a one-line error", "[groups]") {
  temp_dir dir;
  auto file = dir / "plain-file";
  std::ofstream{file} << std::string(4096, 'x'); // Not a database.
  for (auto path :
       {file + "/accounts.db", dir.path().string(), file, std::string{}}) {
    INFO(path);
    std::string error;
    CHECK_FALSE(group_store::open(path, 256, error));
    CHECK_THAT(error, Catch::Contains("group store"));
    CHECK(error.find('\n') == std::string::npos);
  }
}

TEST_CASE("concurrent saves and loads from many threads", "[groups]") {
  temp_dir dir;
  auto store = open_groups(dir / "accounts.db");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto conv = "g" + std::to_string(t % 2); // Two threads per group.
      for (uint64_t seq = 1; seq <= 25; ++seq) {
        std::string error;
        auto user = "u" + std::to_string(t) + "-" + std::to_string(seq);
        group_record out;
        if (!store->save(make_group(conv, seq * 4 + t), {member(user, seq, 0)},
                         error)
            || store->load(conv, out, error) != group_store::load_result::found)
          ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(failures == 0);
  // Each group's applied_seq is the highest one saved (4 * 25 + 2 or + 3).
  CHECK(load_found(*store, "g0").applied_seq == 102);
  CHECK(load_found(*store, "g1").applied_seq == 103);
}

#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <sqlite3.h>

#include "persistence/account_store.hpp"
#include "temp_dir.hpp"

using namespace parley;
using namespace parley::persistence;
using parley::test::temp_dir;

namespace {

std::unique_ptr<account_store>
open_accounts(const std::string& path, pwhash_cost cost = pwhash_cost::minimal,
              uint32_t shards = 256) {
  std::string error;
  auto store = account_store::open(path, shards, cost, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

} // namespace

TEST_CASE("field validation follows protocol.md", "[accounts]") {
  CHECK(account_store::valid_user("a"));
  CHECK(account_store::valid_user("alice_01.x-y"));
  CHECK(account_store::valid_user(std::string(32, 'a')));
  CHECK_FALSE(account_store::valid_user(""));
  CHECK_FALSE(account_store::valid_user(std::string(33, 'a')));
  CHECK_FALSE(account_store::valid_user("Alice"));
  CHECK_FALSE(account_store::valid_user("al ice"));
  CHECK_FALSE(account_store::valid_user("al/ice"));
  CHECK_FALSE(account_store::valid_user("\xC3\xA9t\xC3\xA9"));
  CHECK(account_store::valid_password("12345678"));
  CHECK(account_store::valid_password(std::string(256, 'p')));
  CHECK_FALSE(account_store::valid_password("1234567"));
  CHECK_FALSE(account_store::valid_password(std::string(257, 'p')));
  CHECK(account_store::valid_device("x"));
  CHECK(account_store::valid_device("Alice's phone (2)"));
  CHECK(account_store::valid_device(std::string(64, 'd')));
  CHECK_FALSE(account_store::valid_device(""));
  CHECK_FALSE(account_store::valid_device(std::string(65, 'd')));
  CHECK_FALSE(account_store::valid_device("tab\there"));
  CHECK_FALSE(account_store::valid_device(std::string("nul\0x", 5)));
  CHECK_FALSE(account_store::valid_device(std::string("del\x7F")));
  CHECK_FALSE(account_store::valid_device("caf\xC3\xA9"));
}

TEST_CASE("register, login and resume", "[accounts]") {
  temp_dir dir;
  auto store = open_accounts(dir / "accounts.db");
  CHECK_FALSE(store->user_exists("alice"));
  CHECK(store->create_user("alice", "correct horse") == std::nullopt);
  CHECK(store->user_exists("alice"));
  CHECK(store->create_user("alice", "another pass") == errc::user_exists);

  session_grant grant;
  REQUIRE(store->login("alice", "correct horse", "phone", grant)
          == std::nullopt);
  CHECK(grant.user == "alice");
  CHECK(grant.device == "phone");
  // At least 128 random bits: 32 bytes as unpadded base64url.
  CHECK(grant.token.size() == 43);
  for (char c : grant.token)
    CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-'
           || c == '_'));

  session_grant resumed;
  REQUIRE(store->resume(grant.token, "phone", resumed) == std::nullopt);
  CHECK(resumed.user == "alice");
  CHECK(resumed.device == "phone");
  CHECK(resumed.token == grant.token);
  // The token stays valid across resumes.
  CHECK(store->resume(grant.token, "phone", resumed) == std::nullopt);
}

TEST_CASE("bad names and passwords are bad requests", "[accounts]") {
  temp_dir dir;
  auto store = open_accounts(dir / "accounts.db");
  CHECK(store->create_user("Alice", "password1") == errc::bad_request);
  CHECK(store->create_user("", "password1") == errc::bad_request);
  CHECK(store->create_user(std::string(33, 'a'), "password1")
        == errc::bad_request);
  CHECK(store->create_user("alice", "short") == errc::bad_request);
  CHECK(store->create_user("alice", std::string(257, 'x'))
        == errc::bad_request);
  CHECK_FALSE(store->user_exists("alice"));
  REQUIRE(store->create_user("alice", "password1") == std::nullopt);
  session_grant grant;
  CHECK(store->login("alice", "password1", "", grant) == errc::bad_request);
  CHECK(store->login("alice", "password1", "bad\ndevice", grant)
        == errc::bad_request);
  CHECK(store->resume("token", "", grant) == errc::bad_request);
}

TEST_CASE("wrong passwords and unknown users fail alike", "[accounts]") {
  temp_dir dir;
  auto store = open_accounts(dir / "accounts.db");
  REQUIRE(store->create_user("alice", "password1") == std::nullopt);
  session_grant grant;
  CHECK(store->login("alice", "password2", "phone", grant)
        == errc::auth_failed);
  CHECK(store->login("nobody", "password1", "phone", grant)
        == errc::auth_failed);
  CHECK(grant.token.empty());
}

TEST_CASE("tokens are bound to their device and replaced by a new login",
          "[accounts]") {
  temp_dir dir;
  auto store = open_accounts(dir / "accounts.db");
  REQUIRE(store->create_user("alice", "password1") == std::nullopt);
  session_grant phone, laptop, resumed;
  REQUIRE(store->login("alice", "password1", "phone", phone) == std::nullopt);
  REQUIRE(store->login("alice", "password1", "laptop", laptop)
          == std::nullopt);
  CHECK(phone.token != laptop.token);
  // A token works only on the device it was issued for.
  CHECK(store->resume(phone.token, "laptop", resumed) == errc::auth_failed);
  CHECK(store->resume(laptop.token, "phone", resumed) == errc::auth_failed);
  CHECK(store->resume("not-a-token", "phone", resumed) == errc::auth_failed);
  CHECK(store->resume("", "phone", resumed) == errc::auth_failed);
  CHECK(store->resume(std::string(1000, 'x'), "phone", resumed)
        == errc::auth_failed);
  // A new login on the phone invalidates the phone's old token only.
  session_grant phone2;
  REQUIRE(store->login("alice", "password1", "phone", phone2) == std::nullopt);
  CHECK(phone2.token != phone.token);
  CHECK(store->resume(phone.token, "phone", resumed) == errc::auth_failed);
  CHECK(store->resume(phone2.token, "phone", resumed) == std::nullopt);
  CHECK(store->resume(laptop.token, "laptop", resumed) == std::nullopt);
}

TEST_CASE("neither tokens nor passwords are stored in clear", "[accounts]") {
  temp_dir dir;
  auto path = dir / "accounts.db";
  session_grant grant;
  {
    auto store = open_accounts(path);
    REQUIRE(store->create_user("alice", "secret-password-42") == std::nullopt);
    REQUIRE(store->login("alice", "secret-password-42", "phone", grant)
            == std::nullopt);
  }
  // The database file and its WAL hold neither secret.
  auto bytes = file_bytes(path) + file_bytes(path + "-wal");
  CHECK(bytes.find("alice") != std::string::npos); // The files are readable.
  CHECK(bytes.find(grant.token) == std::string::npos);
  CHECK(bytes.find("secret-password-42") == std::string::npos);
  // And through SQL: the devices table holds a 32-byte hash.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr)
          == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT token_hash, typeof(token_hash), shard "
                             "FROM devices WHERE user = 'alice'",
                             -1, &stmt, nullptr)
          == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  auto size = sqlite3_column_bytes(stmt, 0);
  std::string stored{static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                     static_cast<size_t>(size)};
  CHECK(size == 32);
  CHECK(stored != grant.token);
  CHECK(std::string{reinterpret_cast<const char*>(
          sqlite3_column_text(stmt, 1))}
        == "blob");
  CHECK(sqlite3_column_int64(stmt, 2)
        == shard_of(entity_kind::user, "alice", 256));
  sqlite3_finalize(stmt);
  REQUIRE(sqlite3_prepare_v2(db, "SELECT pwhash FROM users", -1, &stmt,
                             nullptr)
          == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  std::string pwhash{reinterpret_cast<const char*>(
    sqlite3_column_text(stmt, 0))};
  CHECK(pwhash.rfind("$argon2id$", 0) == 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_CASE("accounts and tokens survive a restart", "[accounts]") {
  temp_dir dir;
  auto path = dir / "accounts.db";
  session_grant grant;
  {
    auto store = open_accounts(path);
    REQUIRE(store->create_user("alice", "password1") == std::nullopt);
    REQUIRE(store->login("alice", "password1", "phone", grant)
            == std::nullopt);
  }
  auto store = open_accounts(path);
  CHECK(store->user_exists("alice"));
  session_grant resumed;
  CHECK(store->resume(grant.token, "phone", resumed) == std::nullopt);
  CHECK(store->create_user("alice", "password1") == errc::user_exists);
  std::string error;
  CHECK_FALSE(account_store::open(path, 128, pwhash_cost::minimal, error));
  CHECK_THAT(error, Catch::Contains("shard count mismatch"));
}

TEST_CASE("an unusable account path gives a one-line error", "[accounts]") {
  temp_dir dir;
  auto file = dir / "plain-file";
  std::ofstream{file} << "x";
  for (auto path : {file + "/accounts.db", dir.path().string(),
                    std::string{"/proc/parley-no/accounts.db"},
                    std::string{}}) {
    INFO(path);
    std::string error;
    CHECK_FALSE(account_store::open(path, 256, pwhash_cost::minimal, error));
    CHECK_FALSE(error.empty());
    CHECK(error.find('\n') == std::string::npos);
  }
  // A file that is not a database.
  std::ofstream{file} << std::string(4096, 'x');
  std::string error;
  CHECK_FALSE(account_store::open(file, 256, pwhash_cost::minimal, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("concurrent logins from many threads", "[accounts]") {
  temp_dir dir;
  auto store = open_accounts(dir / "accounts.db");
  for (int i = 0; i < 4; ++i)
    REQUIRE(store->create_user("user" + std::to_string(i), "password1")
            == std::nullopt);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      auto user = "user" + std::to_string(i);
      for (int j = 0; j < 10; ++j) {
        session_grant g, r;
        if (store->login(user, "password1", "dev", g)
            || store->resume(g.token, "dev", r) || r.user != user)
          ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(failures == 0);
}

TEST_CASE("interactive cost hashes and verifies", "[accounts][slow]") {
  temp_dir dir;
  auto store = open_accounts(dir / "accounts.db", pwhash_cost::interactive);
  auto start = std::chrono::steady_clock::now();
  REQUIRE(store->create_user("alice", "password1") == std::nullopt);
  auto took = std::chrono::steady_clock::now() - start;
  // Argon2id with 64 MiB takes tens of milliseconds at least.
  CHECK(took > std::chrono::milliseconds(10));
  session_grant grant;
  CHECK(store->login("alice", "password1", "phone", grant) == std::nullopt);
  auto timed_login = [&](const char* user) {
    auto t0 = std::chrono::steady_clock::now();
    CHECK(store->login(user, "password2", "phone", grant) == errc::auth_failed);
    return std::chrono::steady_clock::now() - t0;
  };
  auto wrong_password = timed_login("alice");
  auto unknown_user = timed_login("nobody");
  // Both verify an interactive-cost hash; they differ by far less than 4x.
  CHECK(unknown_user * 4 > wrong_password);
  CHECK(wrong_password * 4 > unknown_user);
}

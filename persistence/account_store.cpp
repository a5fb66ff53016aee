#include "persistence/account_store.hpp"

#include <array>
#include <chrono>

#include <sodium.h>
#include <sqlite3.h>

#include "persistence/error_text.hpp"
#include "persistence/sqlite_statement.hpp"

namespace parley::persistence {

namespace {

/// Random bytes in a token (256 bits; protocol.md asks for at least 128).
constexpr size_t token_bytes = 32;

/// A token longer than this cannot be one we issued (43 chars today).
constexpr size_t max_token_chars = 128;

/// The account store's tables (the shared `meta` table is created by
/// open_sqlite).
constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS users(
  shard      INTEGER NOT NULL,
  name       TEXT PRIMARY KEY,
  pwhash     TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_by_shard ON users(shard);
CREATE TABLE IF NOT EXISTS devices(
  shard      INTEGER NOT NULL,
  user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  device     TEXT NOT NULL,
  token_hash BLOB NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(user, device)
);
CREATE INDEX IF NOT EXISTS devices_by_shard ON devices(shard);
)sql";

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

bool hash_password(std::string_view password, pwhash_cost cost,
                   std::string& out) {
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  switch (cost) {
    case pwhash_cost::interactive:
      break;
    case pwhash_cost::moderate:
      ops = crypto_pwhash_OPSLIMIT_MODERATE;
      mem = crypto_pwhash_MEMLIMIT_MODERATE;
      break;
    case pwhash_cost::minimal:
      ops = crypto_pwhash_OPSLIMIT_MIN;
      mem = crypto_pwhash_MEMLIMIT_MIN;
      break;
  }
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  if (crypto_pwhash_str(buf.data(), password.data(), password.size(), ops,
                        mem)
      != 0)
    return false; // Out of memory.
  out = buf.data();
  return true;
}

bool verify_password(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(),
                                  password.size())
         == 0;
}

/// 32 random bytes, base64url without padding (43 characters).
std::string make_token() {
  std::array<unsigned char, token_bytes> raw;
  randombytes_buf(raw.data(), raw.size());
  std::array<char, sodium_base64_ENCODED_LEN(
                     token_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)>
    text;
  sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw.data(), raw.size());
  return std::string{text.data()};
}

/// What the devices table stores instead of the token: BLAKE2b-256 of the
/// token's characters. The token carries 256 random bits, so a fast unkeyed
/// hash suffices: the table alone does not let anyone resume.
std::array<unsigned char, crypto_generichash_BYTES>
hash_token(std::string_view token) {
  std::array<unsigned char, crypto_generichash_BYTES> out;
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return out;
}

} // namespace

// -- opening ------------------------------------------------------------------

std::unique_ptr<account_store> account_store::open(const std::string& path,
                                                   uint32_t shard_count,
                                                   pwhash_cost cost,
                                                   std::string& error) {
  auto fail = [&](const std::string& why) -> std::unique_ptr<account_store> {
    error = one_line("cannot open account store at '" + path + "': " + why);
    return nullptr;
  };
  if (sodium_init() < 0)
    return fail("libsodium failed to initialize");
  std::unique_ptr<account_store> store{new account_store};
  store->shard_count_ = shard_count;
  store->cost_ = cost;
  // synchronous=FULL: a committed registration or login survives power loss
  // (both are rare; their cost is the password hash anyway).
  std::string why;
  store->db_ = open_sqlite(path, shard_count, sqlite_sync::full, schema_sql,
                           why);
  if (!store->db_)
    return fail(why);
  // A hash of a random password: login verifies against it for unknown
  // users so that they take as long as known ones.
  std::array<unsigned char, 16> random_password;
  randombytes_buf(random_password.data(), random_password.size());
  if (!hash_password(std::string_view{reinterpret_cast<const char*>(
                                        random_password.data()),
                                      random_password.size()},
                     cost, store->dummy_hash_))
    return fail("out of memory while hashing");
  return store;
}

// -- validation ---------------------------------------------------------------

bool account_store::valid_user(std::string_view user) noexcept {
  if (user.empty() || user.size() > 32)
    return false;
  for (char c : user) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool account_store::valid_password(std::string_view password) noexcept {
  return password.size() >= 8 && password.size() <= 256;
}

bool account_store::valid_device(std::string_view device) noexcept {
  if (device.empty() || device.size() > 64)
    return false;
  for (char c : device)
    if (c < 0x20 || c > 0x7E)
      return false; // Control characters, DEL and non-ASCII bytes.
  return true;
}

// -- accounts -----------------------------------------------------------------

std::optional<errc> account_store::create_user(std::string_view user,
                                               std::string_view password) {
  if (!valid_user(user) || !valid_password(password))
    return errc::bad_request;
  if (user_exists(user))
    return errc::user_exists; // Spares the hash; the insert checks again.
  std::string hash;
  if (!hash_password(password, cost_, hash))
    return errc::internal;
  std::lock_guard<std::mutex> guard{mutex_};
  sqlite_statement insert{
    db_.get(), "INSERT INTO users(shard, name, pwhash, created_ms) "
               "VALUES(?, ?, ?, ?)"};
  auto shard = shard_of(entity_kind::user, user, shard_count_);
  auto rc = insert.bind(1, static_cast<int64_t>(shard))
              .bind(2, user)
              .bind(3, std::string_view{hash})
              .bind(4, now_ms())
              .step();
  if (rc == SQLITE_DONE)
    return std::nullopt;
  if (rc == SQLITE_CONSTRAINT)
    return errc::user_exists;
  return errc::internal;
}

bool account_store::user_exists(std::string_view user) const {
  std::lock_guard<std::mutex> guard{mutex_};
  sqlite_statement select{db_.get(), "SELECT 1 FROM users WHERE name = ?"};
  return select.bind(1, user).step() == SQLITE_ROW;
}

std::optional<errc> account_store::login(std::string_view user,
                                         std::string_view password,
                                         std::string_view device,
                                         session_grant& out) {
  if (!valid_user(user) || !valid_password(password) || !valid_device(device))
    return errc::bad_request;
  std::string stored;
  bool found = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    sqlite_statement select{db_.get(),
                            "SELECT pwhash FROM users WHERE name = ?"};
    switch (select.bind(1, user).step()) {
      case SQLITE_ROW:
        found = true;
        stored = select.text(0);
        break;
      case SQLITE_DONE:
        break;
      default:
        return errc::internal;
    }
  }
  // Outside the lock: the slow part. Unknown users verify against the dummy
  // hash so that both failures take about as long.
  auto verified = verify_password(found ? stored : dummy_hash_, password);
  if (!found || !verified)
    return errc::auth_failed;
  auto token = make_token();
  auto token_hash = hash_token(token);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    sqlite_statement upsert{
      db_.get(),
      "INSERT INTO devices(shard, user, device, token_hash, created_ms) "
      "VALUES(?, ?, ?, ?, ?) ON CONFLICT(user, device) DO UPDATE SET "
      "token_hash = excluded.token_hash, "
      "created_ms = excluded.created_ms"};
    auto shard = shard_of(entity_kind::user, user, shard_count_);
    auto rc = upsert.bind(1, static_cast<int64_t>(shard))
                .bind(2, user)
                .bind(3, device)
                .bind_blob(4, token_hash.data(), token_hash.size())
                .bind(5, now_ms())
                .step();
    if (rc != SQLITE_DONE)
      return errc::internal;
  }
  out.user = std::string{user};
  out.device = std::string{device};
  out.token = std::move(token);
  return std::nullopt;
}

std::optional<errc> account_store::resume(std::string_view token,
                                          std::string_view device,
                                          session_grant& out) {
  if (!valid_device(device))
    return errc::bad_request;
  if (token.empty() || token.size() > max_token_chars)
    return errc::auth_failed;
  auto token_hash = hash_token(token);
  std::string user;
  std::string issued_device;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    sqlite_statement select{
      db_.get(), "SELECT user, device FROM devices WHERE token_hash = ?"};
    switch (select.bind_blob(1, token_hash.data(), token_hash.size()).step()) {
      case SQLITE_ROW:
        user = select.text(0);
        issued_device = select.text(1);
        break;
      case SQLITE_DONE:
        return errc::auth_failed;
      default:
        return errc::internal;
    }
  }
  if (issued_device != device)
    return errc::auth_failed;
  out.user = std::move(user);
  out.device = std::move(issued_device);
  out.token = std::string{token};
  return std::nullopt;
}

} // namespace parley::persistence

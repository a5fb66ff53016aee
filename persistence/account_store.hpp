#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "persistence/shard.hpp"
#include "persistence/sqlite_database.hpp"
#include "transport/errc.hpp"

namespace parley::persistence {

/// Cost of the password hash (libsodium crypto_pwhash, argon2id).
/// `interactive` is the production default. `minimal` exists for tests and
/// benchmarks that register thousands of users; never use it in production.
enum class pwhash_cost { interactive, moderate, minimal };

/// The outcome of login/resume.
struct session_grant {
  std::string user;
  std::string device;
  std::string token;
};

/// The SQLite store of accounts and devices. Every row carries its shard.
/// It shares its file with group_store (each opens its own connection).
/// Schema: docs/storage.md.
///
/// Thread-safety: every member may be called from any thread; calls are
/// serialized on one connection by an internal mutex, and the slow password
/// hashing runs outside it. Calls block (disk, hashing): never call them on
/// a thread that must stay responsive (the node runs them on detached
/// auth actors).
class account_store {
public:
  /// Opens (creating if missing, with its parent directories) the SQLite
  /// file at `path`. On failure returns null and sets `error` to a one-line
  /// reason. Stores the shard count on creation and refuses a different one
  /// later. `cost` applies to new password hashes (a stored hash records its
  /// own cost, so changing it never locks anyone out).
  static std::unique_ptr<account_store> open(const std::string& path,
                                             uint32_t shard_count,
                                             pwhash_cost cost,
                                             std::string& error);

  /// Validation of protocol.md's field rules. user: 1-32 of [a-z0-9_.-].
  /// password: 8-256 bytes, any. device: 1-64 bytes of printable ASCII
  /// (0x20-0x7E, space included; no control characters, no non-ASCII).
  static bool valid_user(std::string_view user) noexcept;
  static bool valid_password(std::string_view password) noexcept;
  static bool valid_device(std::string_view device) noexcept;

  /// Creates an account. Errors: bad_request (invalid name or password),
  /// user_exists, internal.
  std::optional<errc> create_user(std::string_view user,
                                  std::string_view password);

  bool user_exists(std::string_view user) const;

  /// Checks the password and issues a new token for (user, device),
  /// replacing that device's previous token. An unknown user and a wrong
  /// password both give auth_failed (and take about as long). Malformed
  /// fields give bad_request; a database failure internal. Returns nothing
  /// on success. The token is 32 random bytes, base64url without padding
  /// (43 characters); only its BLAKE2b hash is stored.
  std::optional<errc> login(std::string_view user, std::string_view password,
                            std::string_view device, session_grant& out);

  /// Finds the (user, device) of a token. The token must have been issued
  /// for that same device and not replaced by a later login there. Errors:
  /// auth_failed; bad_request (malformed device); internal. On success
  /// `out.token` is the same token (it stays valid).
  std::optional<errc> resume(std::string_view token, std::string_view device,
                             session_grant& out);

private:
  account_store() = default;

  mutable std::mutex mutex_;
  sqlite_handle db_;
  uint32_t shard_count_ = default_shard_count;
  pwhash_cost cost_ = pwhash_cost::interactive;
  /// Hashed at open; login verifies against it for unknown users.
  std::string dummy_hash_;
};

} // namespace parley::persistence

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "persistence/shard.hpp"

/// The RocksDB key layout of the history store (docs/storage.md is the
/// reference; keep both in step). Every entity key is
///
///     shard (2 bytes, big-endian) | kind ('u' or 'c') | len (1 byte) | key
///     | record tag (1 byte) | rest
///
/// so one shard is one contiguous key range, one entity is one contiguous
/// range inside it, and no two entities interleave (the length byte makes
/// the entity part prefix-free). Strings inside keys are length-prefixed with
/// one byte; integers are big-endian so byte order is numeric order.
///
/// All functions are pure and thread-safe. Builders throw std::length_error
/// for a string part longer than `max_part` bytes (protocol.md caps every
/// such string at 64 bytes, so this only fires on a bug upstream); readers
/// check `fits` first and treat an over-long name as "not stored".
namespace parley::persistence::keys {

/// The longest string a key can hold in one part (1-byte length).
constexpr size_t max_part = 255;

/// The version of the key and value encodings, kept in the store meta key.
constexpr uint32_t format_version = 1;

/// Record tags (the byte after the entity). Part of the on-disk format:
/// never renumber.
namespace tag {
// Conversation records.
constexpr char conv_meta = 'm';
constexpr char message = 'h';
constexpr char position = 'p';
constexpr char dedupe = 'd';
constexpr char member_event = 'e';
// User records.
constexpr char user_conv = 'v';
constexpr char cursor = 'c';
constexpr char last_seen = 'l';
} // namespace tag

inline bool fits(std::string_view part) noexcept {
  return part.size() <= max_part;
}

/// The 2-byte big-endian shard prefix. Precondition: shard < 65536.
std::string shard_prefix(uint32_t shard);

/// shard | kind | len | key, with shard = shard_of(kind, key, shard_count).
std::string entity_prefix(uint32_t shard_count, entity_kind kind,
                          std::string_view key);

// -- conversation records -----------------------------------------------------

std::string conv_meta(uint32_t shard_count, std::string_view conv);
/// entity(conv) | 'h' : the prefix of every message key of `conv`.
std::string message_prefix(uint32_t shard_count, std::string_view conv);
/// entity(conv) | 'h' | seq (8 bytes BE).
std::string message(uint32_t shard_count, std::string_view conv, uint64_t seq);
/// entity(conv) | 'p' : the prefix of every member position of `conv`.
std::string position_prefix(uint32_t shard_count, std::string_view conv);
/// entity(conv) | 'p' | len | user.
std::string position(uint32_t shard_count, std::string_view conv,
                     std::string_view user);
/// entity(conv) | 'd' | len | user | len | cmid.
std::string dedupe(uint32_t shard_count, std::string_view conv,
                   std::string_view user, std::string_view cmid);
/// entity(conv) | 'e' : the prefix of `conv`'s member-event index.
std::string member_event_prefix(uint32_t shard_count, std::string_view conv);
/// entity(conv) | 'e' | seq (8 bytes BE): marks message `seq` of `conv` as
/// a `member` message (the value is empty).
std::string member_event(uint32_t shard_count, std::string_view conv,
                         uint64_t seq);

// -- user records -------------------------------------------------------------

/// entity(user) | 'v' : the prefix of the user's conversation index.
std::string user_conv_prefix(uint32_t shard_count, std::string_view user);
/// entity(user) | 'v' | len | conv.
std::string user_conv(uint32_t shard_count, std::string_view user,
                      std::string_view conv);
/// entity(user) | 'c' | len | device : the prefix of one device's cursors.
std::string cursor_prefix(uint32_t shard_count, std::string_view user,
                          std::string_view device);
/// entity(user) | 'c' | len | device | len | conv.
std::string cursor(uint32_t shard_count, std::string_view user,
                   std::string_view device, std::string_view conv);
/// entity(user) | 'l'.
std::string last_seen(uint32_t shard_count, std::string_view user);

// -- the store's own metadata -------------------------------------------------

/// 0xFF 0xFF 'S' "parley.store": outside every entity range (its third byte
/// is no entity kind), holding the format version and the shard count.
std::string store_meta();

/// Whether `key` is a reserved (non-entity) key such as store_meta().
bool is_reserved(std::string_view key) noexcept;

// -- ranges and parsing -------------------------------------------------------

/// The smallest key greater than every key that starts with `prefix`, or
/// the empty string if there is none (prefix is all 0xFF bytes): use it as
/// an exclusive upper bound, "" meaning unbounded.
std::string prefix_end(std::string_view prefix);

/// Takes a 1-byte length and that many bytes from the front of `in`.
bool take_part(std::string_view& in, std::string_view& part) noexcept;

/// The entity part of a key, as parsed by `parse`.
struct key_info {
  uint32_t shard = 0;
  entity_kind kind = entity_kind::user;
  std::string_view entity; ///< Points into the parsed key.
  char tag = 0;
  std::string_view rest;   ///< After the tag; points into the parsed key.
};

/// Splits an entity key into its parts; nothing for a reserved or malformed
/// key. The views point into `key`.
std::optional<key_info> parse(std::string_view key) noexcept;

} // namespace parley::persistence::keys

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/kv_batch.hpp"
#include "persistence/records.hpp"
#include "persistence/shard.hpp"

namespace rocksdb {
class DB;
class WriteBatch;
} // namespace rocksdb

namespace parley::persistence {

/// How far an acknowledged write survives: `wal` survives a process crash
/// (written to the WAL, no fsync); `fsync` survives power loss.
enum class durability { wal, fsync };

/// The RocksDB store of history, conversation metadata, member positions,
/// per-device cursors, the send-dedupe window, the member-event index of
/// group conversations and the users' conversation index. Key layout:
/// docs/storage.md (every key starts with its shard).
///
/// Thread-safety: all const readers may be called from any thread at any
/// time. `write` may be called from any thread; the persistence actor is the
/// only writer in a running node. Encoders (`encode_*`) are pure; they throw
/// std::length_error for a name longer than 255 bytes (a bug upstream:
/// protocol.md caps names at 64).
class history_store {
public:
  struct options {
    std::string path;
    durability dur = durability::wal;
    uint32_t shard_count = default_shard_count;
    size_t block_cache_bytes = 64u << 20;
  };

  /// Opens (creating if missing). On failure returns null and sets `error`
  /// to a one-line reason. Stores the shard count on creation and refuses a
  /// different one later.
  static std::unique_ptr<history_store> open(const options& opts,
                                             std::string& error);
  ~history_store();

  uint32_t shard_count() const noexcept { return shard_count_; }

  // -- encoders: append to a batch, write nothing -----------------------------

  void encode_message(kv_batch& b, const message_record& m) const;
  void encode_dedupe(kv_batch& b, std::string_view conv, std::string_view user,
                     std::string_view cmid, const dedupe_entry& e) const;
  void encode_conv_meta(kv_batch& b, const conv_meta& meta) const;
  void encode_position(kv_batch& b, std::string_view conv,
                       const member_position& p) const;
  /// Indexes message `seq` of `conv` as a `member` message. Put it in the
  /// same batch as the message itself (docs/storage.md, group repair).
  void encode_member_event(kv_batch& b, std::string_view conv,
                           uint64_t seq) const;
  void encode_cursor(kv_batch& b, std::string_view user,
                     std::string_view device, std::string_view conv,
                     uint64_t seq) const;
  void encode_user_conv(kv_batch& b, std::string_view user,
                        const user_conv& c) const;
  void encode_erase_user_conv(kv_batch& b, std::string_view user,
                              std::string_view conv) const;
  void encode_last_seen(kv_batch& b, std::string_view user, int64_t ts) const;

  // -- writing ----------------------------------------------------------------

  /// Applies `b` atomically (one RocksDB WriteBatch), synced as `durability`
  /// says. Returns false and sets `error` (one line) on failure.
  bool write(const kv_batch& b, std::string& error);

  /// Applies every batch of `batches`, in order, as ONE atomic RocksDB
  /// WriteBatch and one WAL write (group commit): a later batch overrides an
  /// earlier one on the same key. Returns false and sets `error` on failure,
  /// in which case none of them is applied.
  bool write_all(const std::vector<kv_batch>& batches, std::string& error);

  /// Flushes memtables and syncs the WAL (clean shutdown).
  void flush();

  /// What RocksDB holds in memory, in bytes (its own estimates).
  struct memory_usage {
    uint64_t memtables = 0;     ///< Active and immutable memtables.
    uint64_t block_cache = 0;   ///< Blocks in the LRU cache (bounded).
    uint64_t table_readers = 0; ///< Index and filter blocks of open SSTs.
  };
  memory_usage memory() const;

  // -- reading ----------------------------------------------------------------
  //
  // Readers see every completed write. A string argument longer than 255
  // bytes (never valid upstream) reads as "not stored". A read error of the
  // disk reads as "not stored" too (RocksDB checksums every block). Lists
  // keyed by a name (positions, cursors, user_convs) come in key order:
  // shorter names first, then bytewise.

  std::optional<conv_meta> find_conv_meta(std::string_view conv) const;

  /// The highest stored seq of `conv` (0 if none).
  uint64_t last_seq(std::string_view conv) const;

  /// Up to `limit` messages with seq < `before` (before = 0 means "newest"),
  /// returned in ascending seq; `more` says whether older ones exist.
  std::vector<message_record> page_before(std::string_view conv,
                                          uint64_t before, size_t limit,
                                          bool& more) const;

  /// Up to `limit` messages with seq > `after`, ascending; `more` says
  /// whether newer ones exist (with seq <= `upto` when upto != 0).
  std::vector<message_record> page_after(std::string_view conv, uint64_t after,
                                         size_t limit, bool& more,
                                         uint64_t upto = 0) const;

  std::optional<message_record> find_message(std::string_view conv,
                                             uint64_t seq) const;

  std::optional<dedupe_entry> find_dedupe(std::string_view conv,
                                          std::string_view user,
                                          std::string_view cmid) const;

  std::vector<member_position> positions(std::string_view conv) const;

  /// The seqs of `conv`'s indexed member messages (encode_member_event)
  /// greater than `after`, ascending. Reads only that index range.
  std::vector<uint64_t> member_events_after(std::string_view conv,
                                            uint64_t after) const;

  /// The device's acked seq per conversation (absent = 0).
  std::vector<std::pair<std::string, uint64_t>>
  cursors(std::string_view user, std::string_view device) const;

  std::vector<user_conv> user_convs(std::string_view user) const;

  std::optional<int64_t> last_seen(std::string_view user) const;

  /// Every key/value of one shard, in key order (for hand-off and tests).
  std::vector<std::pair<std::string, std::string>>
  scan_shard(uint32_t shard) const;

private:
  history_store() = default;

  bool apply(rocksdb::WriteBatch& wb, std::string& error);

  std::unique_ptr<rocksdb::DB> db_;
  durability dur_ = durability::wal;
  uint32_t shard_count_ = default_shard_count;
};

} // namespace parley::persistence

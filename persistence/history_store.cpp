#include "persistence/history_store.hpp"

#include <filesystem>
#include <system_error>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "persistence/byte_order.hpp"
#include "persistence/error_text.hpp"
#include "persistence/keys.hpp"
#include "persistence/record_codec.hpp"

namespace parley::persistence {

namespace {

rocksdb::Slice as_slice(std::string_view x) {
  return rocksdb::Slice{x.data(), x.size()};
}

/// Checks (or, on an empty store, writes) the store meta key.
bool check_store_meta(rocksdb::DB& db, uint32_t shard_count,
                      std::string& error) {
  std::string value;
  auto st = db.Get(rocksdb::ReadOptions{}, keys::store_meta(), &value);
  if (st.ok()) {
    uint32_t version = 0;
    uint32_t stored_shards = 0;
    if (!codec::decode_store_meta(value, version, stored_shards)) {
      error = "malformed store meta key";
      return false;
    }
    if (version != keys::format_version) {
      error = "unsupported store format version " + std::to_string(version)
              + " (this build reads version "
              + std::to_string(keys::format_version) + ")";
      return false;
    }
    if (stored_shards != shard_count) {
      error = "shard count mismatch: the store was created with "
              + std::to_string(stored_shards) + " shards, configured "
              + std::to_string(shard_count);
      return false;
    }
    return true;
  }
  if (!st.IsNotFound()) {
    error = st.ToString();
    return false;
  }
  std::unique_ptr<rocksdb::Iterator> it{db.NewIterator(rocksdb::ReadOptions{})};
  it->SeekToFirst();
  if (it->Valid()) {
    error = "not a parley history store (data without a store meta key)";
    return false;
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  st = db.Put(wo, keys::store_meta(),
              codec::encode_store_meta(keys::format_version, shard_count));
  if (!st.ok()) {
    error = st.ToString();
    return false;
  }
  return true;
}

} // namespace

// -- opening ------------------------------------------------------------------

std::unique_ptr<history_store> history_store::open(const options& opts,
                                                   std::string& error) {
  auto fail = [&](const std::string& why) -> std::unique_ptr<history_store> {
    error = one_line("cannot open history store at '" + opts.path
                     + "': " + why);
    return nullptr;
  };
  if (opts.shard_count == 0 || opts.shard_count > 0x10000)
    return fail("shard count " + std::to_string(opts.shard_count)
                + " is outside [1, 65536]");
  if (opts.path.empty())
    return fail("empty path");
  std::error_code ec;
  std::filesystem::create_directories(opts.path, ec);
  if (ec)
    return fail(ec.message());
  if (!std::filesystem::is_directory(opts.path, ec))
    return fail("not a directory");
  rocksdb::Options ro;
  ro.create_if_missing = true;
  ro.keep_log_file_num = 4;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(opts.block_cache_bytes);
  // Whole-key bloom filters speed up point lookups (dedupe, meta). No prefix
  // extractor: entity prefixes vary in length and every range scan is
  // bounded by iterate_upper_bound (docs/storage.md).
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(ro, opts.path, &raw);
  if (!st.ok())
    return fail(st.ToString());
  std::unique_ptr<rocksdb::DB> db{raw};
  std::string why;
  if (!check_store_meta(*db, opts.shard_count, why))
    return fail(why);
  std::unique_ptr<history_store> store{new history_store};
  store->db_ = std::move(db);
  store->dur_ = opts.dur;
  store->shard_count_ = opts.shard_count;
  return store;
}

history_store::~history_store() {
  if (db_)
    db_->Close();
}

// -- encoders -----------------------------------------------------------------

void history_store::encode_message(kv_batch& b,
                                   const message_record& m) const {
  b.put(keys::message(shard_count_, m.conv, m.seq), codec::encode_message(m));
}

void history_store::encode_dedupe(kv_batch& b, std::string_view conv,
                                  std::string_view user,
                                  std::string_view cmid,
                                  const dedupe_entry& e) const {
  b.put(keys::dedupe(shard_count_, conv, user, cmid), codec::encode_dedupe(e));
}

void history_store::encode_conv_meta(kv_batch& b, const conv_meta& meta) const {
  b.put(keys::conv_meta(shard_count_, meta.conv),
        codec::encode_conv_meta(meta));
}

void history_store::encode_position(kv_batch& b, std::string_view conv,
                                    const member_position& p) const {
  b.put(keys::position(shard_count_, conv, p.user), codec::encode_position(p));
}

void history_store::encode_member_event(kv_batch& b, std::string_view conv,
                                        uint64_t seq) const {
  b.put(keys::member_event(shard_count_, conv, seq), std::string{});
}

void history_store::encode_cursor(kv_batch& b, std::string_view user,
                                  std::string_view device,
                                  std::string_view conv, uint64_t seq) const {
  b.put(keys::cursor(shard_count_, user, device, conv), codec::encode_u64(seq));
}

void history_store::encode_user_conv(kv_batch& b, std::string_view user,
                                     const user_conv& c) const {
  b.put(keys::user_conv(shard_count_, user, c.conv),
        codec::encode_conv_type(c.type));
}

void history_store::encode_erase_user_conv(kv_batch& b, std::string_view user,
                                           std::string_view conv) const {
  b.erase(keys::user_conv(shard_count_, user, conv));
}

void history_store::encode_last_seen(kv_batch& b, std::string_view user,
                                     int64_t ts) const {
  b.put(keys::last_seen(shard_count_, user), codec::encode_i64(ts));
}

// -- writing ------------------------------------------------------------------

namespace {

void add_to(rocksdb::WriteBatch& wb, const kv_batch& b) {
  // Erases first, then puts: within one kv_batch a put wins (kv_batch.hpp).
  for (auto& key : b.erases)
    wb.Delete(as_slice(key));
  for (auto& [key, value] : b.puts)
    wb.Put(as_slice(key), as_slice(value));
}

} // namespace

bool history_store::write(const kv_batch& b, std::string& error) {
  rocksdb::WriteBatch wb;
  add_to(wb, b);
  return apply(wb, error);
}

bool history_store::write_all(const std::vector<kv_batch>& batches,
                              std::string& error) {
  rocksdb::WriteBatch wb;
  for (auto& b : batches)
    add_to(wb, b);
  return apply(wb, error);
}

bool history_store::apply(rocksdb::WriteBatch& wb, std::string& error) {
  if (wb.Count() == 0)
    return true;
  rocksdb::WriteOptions wo;
  wo.sync = dur_ == durability::fsync;
  auto st = db_->Write(wo, &wb);
  if (!st.ok()) {
    error = one_line("history store write failed: " + st.ToString());
    return false;
  }
  return true;
}

void history_store::flush() {
  db_->Flush(rocksdb::FlushOptions{});
  db_->FlushWAL(true);
}

history_store::memory_usage history_store::memory() const {
  memory_usage m;
  db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables,
                      &m.memtables);
  db_->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage,
                      &m.block_cache);
  db_->GetIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem,
                      &m.table_readers);
  return m;
}

} // namespace parley::persistence

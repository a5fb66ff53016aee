// history_store's readers (history_store.hpp, "reading"): point lookups
// and bounded scans of one conversation's or one user's keys.

#include "persistence/history_store.hpp"

#include <algorithm>
#include <limits>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include "persistence/bounded_iterator.hpp"
#include "persistence/byte_order.hpp"
#include "persistence/keys.hpp"
#include "persistence/record_codec.hpp"

namespace parley::persistence {

namespace {

constexpr uint64_t max_seq = std::numeric_limits<uint64_t>::max();

/// Decodes the message at the iterator; false if the entry is malformed.
bool read_message(bounded_iterator& it, std::string_view conv,
                  message_record& out) {
  auto rest = it.rest();
  uint64_t seq = 0;
  if (rest.size() != 8 || !take_u64(rest, seq))
    return false;
  if (!codec::decode_message(as_view(it->value()), out))
    return false;
  out.conv = std::string{conv};
  out.seq = seq;
  return true;
}

} // namespace

// -- reading ------------------------------------------------------------------

std::optional<conv_meta>
history_store::find_conv_meta(std::string_view conv) const {
  if (!keys::fits(conv))
    return std::nullopt;
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{},
                     keys::conv_meta(shard_count_, conv), &value);
  conv_meta meta;
  if (!st.ok() || !codec::decode_conv_meta(value, meta))
    return std::nullopt;
  meta.conv = std::string{conv};
  return meta;
}

uint64_t history_store::last_seq(std::string_view conv) const {
  if (!keys::fits(conv))
    return 0;
  auto it = bounded_iterator::over_prefix(
    *db_, keys::message_prefix(shard_count_, conv));
  it->SeekForPrev(keys::message(shard_count_, conv, max_seq));
  uint64_t seq = 0;
  if (it->Valid()) {
    auto rest = it.rest();
    take_u64(rest, seq);
  }
  return seq;
}

std::vector<message_record>
history_store::page_before(std::string_view conv, uint64_t before,
                           size_t limit, bool& more) const {
  more = false;
  std::vector<message_record> out;
  if (!keys::fits(conv) || before == 1)
    return out; // Nothing is older than seq 1.
  auto it = bounded_iterator::over_prefix(
    *db_, keys::message_prefix(shard_count_, conv));
  it->SeekForPrev(
    keys::message(shard_count_, conv, before == 0 ? max_seq : before - 1));
  for (; it->Valid() && out.size() < limit; it->Prev()) {
    message_record m;
    if (read_message(it, conv, m))
      out.push_back(std::move(m));
  }
  more = it->Valid();
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<message_record>
history_store::page_after(std::string_view conv, uint64_t after, size_t limit,
                          bool& more, uint64_t upto) const {
  more = false;
  std::vector<message_record> out;
  if (!keys::fits(conv) || after == max_seq || (upto != 0 && upto <= after))
    return out;
  auto prefix = keys::message_prefix(shard_count_, conv);
  auto upper = upto != 0 && upto != max_seq
                 ? keys::message(shard_count_, conv, upto + 1)
                 : keys::prefix_end(prefix);
  bounded_iterator it{*db_, std::move(prefix), std::move(upper)};
  it->Seek(keys::message(shard_count_, conv, after + 1));
  for (; it->Valid() && out.size() < limit; it->Next()) {
    message_record m;
    if (read_message(it, conv, m))
      out.push_back(std::move(m));
  }
  more = it->Valid();
  return out;
}

std::optional<message_record>
history_store::find_message(std::string_view conv, uint64_t seq) const {
  if (!keys::fits(conv))
    return std::nullopt;
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{},
                     keys::message(shard_count_, conv, seq), &value);
  message_record m;
  if (!st.ok() || !codec::decode_message(value, m))
    return std::nullopt;
  m.conv = std::string{conv};
  m.seq = seq;
  return m;
}

std::optional<dedupe_entry>
history_store::find_dedupe(std::string_view conv, std::string_view user,
                           std::string_view cmid) const {
  if (!keys::fits(conv) || !keys::fits(user) || !keys::fits(cmid))
    return std::nullopt;
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{},
                     keys::dedupe(shard_count_, conv, user, cmid), &value);
  dedupe_entry e;
  if (!st.ok() || !codec::decode_dedupe(value, e))
    return std::nullopt;
  return e;
}

std::vector<member_position>
history_store::positions(std::string_view conv) const {
  std::vector<member_position> out;
  if (!keys::fits(conv))
    return out;
  auto it = bounded_iterator::over_prefix(
    *db_, keys::position_prefix(shard_count_, conv));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto rest = it.rest();
    std::string_view user;
    member_position p;
    if (keys::take_part(rest, user) && rest.empty()
        && codec::decode_position(as_view(it->value()), p)) {
      p.user = std::string{user};
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<uint64_t>
history_store::member_events_after(std::string_view conv,
                                   uint64_t after) const {
  std::vector<uint64_t> out;
  if (!keys::fits(conv) || after == max_seq)
    return out;
  auto it = bounded_iterator::over_prefix(
    *db_, keys::member_event_prefix(shard_count_, conv));
  for (it->Seek(keys::member_event(shard_count_, conv, after + 1));
       it->Valid(); it->Next()) {
    auto rest = it.rest();
    uint64_t seq = 0;
    if (rest.size() == 8 && take_u64(rest, seq))
      out.push_back(seq);
  }
  return out;
}

std::vector<std::pair<std::string, uint64_t>>
history_store::cursors(std::string_view user, std::string_view device) const {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!keys::fits(user) || !keys::fits(device))
    return out;
  auto it = bounded_iterator::over_prefix(
    *db_, keys::cursor_prefix(shard_count_, user, device));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto rest = it.rest();
    std::string_view conv;
    uint64_t seq = 0;
    if (keys::take_part(rest, conv) && rest.empty()
        && codec::decode_u64(as_view(it->value()), seq))
      out.emplace_back(std::string{conv}, seq);
  }
  return out;
}

std::vector<user_conv>
history_store::user_convs(std::string_view user) const {
  std::vector<user_conv> out;
  if (!keys::fits(user))
    return out;
  auto it = bounded_iterator::over_prefix(
    *db_, keys::user_conv_prefix(shard_count_, user));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto rest = it.rest();
    std::string_view conv;
    user_conv c;
    if (keys::take_part(rest, conv) && rest.empty()
        && codec::decode_conv_type(as_view(it->value()), c.type)) {
      c.conv = std::string{conv};
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::optional<int64_t> history_store::last_seen(std::string_view user) const {
  if (!keys::fits(user))
    return std::nullopt;
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{},
                     keys::last_seen(shard_count_, user), &value);
  int64_t ts = 0;
  if (!st.ok() || !codec::decode_i64(value, ts))
    return std::nullopt;
  return ts;
}

std::vector<std::pair<std::string, std::string>>
history_store::scan_shard(uint32_t shard) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (shard >= shard_count_)
    return out;
  auto it = bounded_iterator::over_prefix(*db_, keys::shard_prefix(shard));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = as_view(it->key());
    if (!keys::is_reserved(key))
      out.emplace_back(std::string{key}, it->value().ToString());
  }
  return out;
}

} // namespace parley::persistence

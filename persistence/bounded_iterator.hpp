#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include "persistence/keys.hpp"

namespace parley::persistence {

inline std::string_view as_view(const rocksdb::Slice& x) {
  return std::string_view{x.data(), x.size()};
}

/// A RocksDB iterator confined to [lower, upper) (upper empty: unbounded),
/// owning the bound strings that the iterator's ReadOptions point to.
/// Internal to the history store (it includes RocksDB: keep it out of public
/// headers). Not thread-safe: one iterator per reading thread; the DB must
/// outlive it. Never moved (the slices point into its own strings).
class bounded_iterator {
public:
  bounded_iterator(rocksdb::DB& db, std::string lower, std::string upper)
    : lower_(std::move(lower)),
      upper_(std::move(upper)),
      lower_slice_(lower_),
      upper_slice_(upper_) {
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice_;
    if (!upper_.empty())
      ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db.NewIterator(ro));
  }

  /// An iterator over every key that starts with `prefix`.
  static bounded_iterator over_prefix(rocksdb::DB& db, std::string prefix) {
    auto upper = keys::prefix_end(prefix);
    return bounded_iterator{db, std::move(prefix), std::move(upper)};
  }

  bounded_iterator(bounded_iterator&&) = delete;

  rocksdb::Iterator* operator->() { return it_.get(); }

  const std::string& lower() const noexcept { return lower_; }

  /// The current key without the lower bound (the iterated prefix).
  std::string_view rest() const {
    auto key = as_view(it_->key());
    key.remove_prefix(std::min(key.size(), lower_.size()));
    return key;
  }

private:
  std::string lower_;
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

} // namespace parley::persistence

#pragma once

#include <string>
#include <utility>
#include <vector>

namespace parley::persistence {

/// A set of key/value writes to apply atomically, built with the encoders of
/// history_store and applied by the persistence actor. A plain value, so it
/// can travel in an actor message (see `inspect`).
///
/// Order: when applied, all `erases` come first, then all `puts` in order;
/// so within one batch a later put of a key wins over an earlier one, and a
/// put wins over an erase of the same key. Between batches applied together
/// (history_store::write_all), a later batch wins.
struct kv_batch {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> erases;

  bool empty() const noexcept { return puts.empty() && erases.empty(); }
  void put(std::string key, std::string value) {
    puts.emplace_back(std::move(key), std::move(value));
  }
  void erase(std::string key) { erases.emplace_back(std::move(key)); }
};

template <class Inspector>
auto inspect(Inspector& f, kv_batch& x) {
  return f(x.puts, x.erases);
}

} // namespace parley::persistence

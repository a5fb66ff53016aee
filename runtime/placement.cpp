#include "runtime/placement.hpp"

#include <cassert>

namespace parley::runtime {

namespace {

// splitmix64 finalizer over (shard, FNV-1a of the node name): a stable,
// well-mixed score for rendezvous hashing.
uint64_t score(uint32_t shard, const std::string& node) noexcept {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : node) {
    h ^= c;
    h *= 1099511628211ull;
  }
  uint64_t x = h ^ (uint64_t{shard} * 0x9E3779B97F4A7C15ull);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

} // namespace

placement::placement(uint32_t shard_count, std::vector<std::string> node_names,
                     std::string local_node)
  : shard_count_(shard_count),
    nodes_(std::move(node_names)),
    local_(std::move(local_node)),
    owner_(shard_count, 0) {
  assert(shard_count_ > 0 && !nodes_.empty());
  for (uint32_t shard = 0; shard < shard_count_; ++shard) {
    uint64_t best = 0;
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      auto s = score(shard, nodes_[i]);
      if (i == 0 || s > best) {
        best = s;
        owner_[shard] = i;
      }
    }
  }
}

uint32_t placement::shard_of(const entity_id& e) const noexcept {
  return persistence::shard_of(e.kind, e.key, shard_count_);
}

const std::string& placement::node_of_shard(uint32_t shard) const noexcept {
  return nodes_[owner_[shard % shard_count_]];
}

} // namespace parley::runtime

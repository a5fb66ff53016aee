#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/entity.hpp"

namespace parley::runtime {

/// Where entities live: entity -> shard (stable hash modulo the shard count)
/// -> node (rendezvous hashing of the shard over the configured nodes, not
/// the live ones). A single node is a cluster of one, through the same code.
///
/// Immutable after construction; safe to share between threads.
class placement {
public:
  /// Preconditions: shard_count in 1..65536, nodes non-empty, names unique.
  placement(uint32_t shard_count, std::vector<std::string> node_names,
            std::string local_node);

  uint32_t shard_count() const noexcept { return shard_count_; }
  const std::string& local_node() const noexcept { return local_; }
  const std::vector<std::string>& nodes() const noexcept { return nodes_; }

  uint32_t shard_of(const entity_id& e) const noexcept;

  /// The node that owns `shard` (rendezvous: the highest hash of
  /// (shard, node name) wins).
  const std::string& node_of_shard(uint32_t shard) const noexcept;

  const std::string& node_of(const entity_id& e) const noexcept {
    return node_of_shard(shard_of(e));
  }

  bool is_local(const entity_id& e) const noexcept {
    return node_of(e) == local_;
  }

private:
  uint32_t shard_count_;
  std::vector<std::string> nodes_;
  std::string local_;
  std::vector<uint32_t> owner_; // shard -> index into nodes_
};

} // namespace parley::runtime

#pragma once

#include <cstdint>
#include <string_view>

namespace parley::persistence {

/// The kinds of entity. The byte values are part of the storage key layout
/// (docs/storage.md): never renumber them.
enum class entity_kind : uint8_t {
  user = 'u',
  conv = 'c',
};

/// Default number of shards; fixed when a cluster is created.
constexpr uint32_t default_shard_count = 256;

/// A stable 64-bit hash of (kind, key): FNV-1a over the kind byte and the key
/// bytes. Stable across processes, machines and versions (keys depend on it).
uint64_t entity_hash(entity_kind kind, std::string_view key) noexcept;

/// The shard of an entity: entity_hash(kind, key) % shard_count.
/// Precondition: 0 < shard_count <= 65536 (keys hold shards in 2 bytes).
uint32_t shard_of(entity_kind kind, std::string_view key,
                  uint32_t shard_count) noexcept;

} // namespace parley::persistence

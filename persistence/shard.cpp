#include "persistence/shard.hpp"

namespace parley::persistence {

namespace {

constexpr uint64_t fnv_offset_basis = 14695981039346656037ull;
constexpr uint64_t fnv_prime = 1099511628211ull;

constexpr uint64_t fnv1a_step(uint64_t hash, uint8_t byte) noexcept {
  return (hash ^ byte) * fnv_prime;
}

} // namespace

uint64_t entity_hash(entity_kind kind, std::string_view key) noexcept {
  auto hash = fnv1a_step(fnv_offset_basis, static_cast<uint8_t>(kind));
  for (char c : key)
    hash = fnv1a_step(hash, static_cast<uint8_t>(c));
  return hash;
}

uint32_t shard_of(entity_kind kind, std::string_view key,
                  uint32_t shard_count) noexcept {
  // A zero shard count violates the precondition; map it to shard 0 rather
  // than dividing by zero.
  if (shard_count == 0)
    return 0;
  return static_cast<uint32_t>(entity_hash(kind, key) % shard_count);
}

} // namespace parley::persistence

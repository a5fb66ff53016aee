#pragma once

#include <functional>
#include <string>

#include "persistence/shard.hpp"

namespace parley::runtime {

using persistence::entity_kind;

/// The name of a virtual actor: a user (key: username) or a conversation
/// (key: conv id). Nobody holds entity actors directly; they ask the
/// directory for the actor of an entity_id.
struct entity_id {
  entity_kind kind = entity_kind::user;
  std::string key;

  friend bool operator==(const entity_id& a, const entity_id& b) {
    return a.kind == b.kind && a.key == b.key;
  }
  friend bool operator!=(const entity_id& a, const entity_id& b) {
    return !(a == b);
  }
};

template <class Inspector>
auto inspect(Inspector& f, entity_id& x) {
  return f(x.kind, x.key);
}

/// "user:alice", "conv:d.1f..." (logs, errors).
std::string to_string(const entity_id& x);

} // namespace parley::runtime

template <>
struct std::hash<parley::runtime::entity_id> {
  size_t operator()(const parley::runtime::entity_id& x) const noexcept {
    return std::hash<std::string>{}(x.key) ^ static_cast<size_t>(x.kind);
  }
};

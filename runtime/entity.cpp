#include "runtime/entity.hpp"

namespace parley::runtime {

std::string to_string(const entity_id& x) {
  return (x.kind == entity_kind::user ? "user:" : "conv:") + x.key;
}

} // namespace parley::runtime

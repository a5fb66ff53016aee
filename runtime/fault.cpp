#include "runtime/fault.hpp"

namespace parley::runtime {

const char* to_string(fault::kind k) noexcept {
  switch (k) {
  case fault::kind::crash:
    return "crash";
  case fault::kind::delay:
    return "delay";
  case fault::kind::drop:
    return "drop";
  }
  return "?";
}

std::optional<fault::kind> fault_kind_from_string(std::string_view name) {
  for (auto k : {fault::kind::crash, fault::kind::delay, fault::kind::drop})
    if (name == to_string(k))
      return k;
  return std::nullopt;
}

std::string to_string(const fault& f) {
  std::string out = to_string(f.what);
  if (f.what == fault::kind::delay)
    out += " " + std::to_string(f.ms.count()) + "ms";
  return out;
}

} // namespace parley::runtime

#include "transport/errc.hpp"

#include <array>

namespace parley {

namespace {

constexpr std::array<const char*, 16> names = {
  "internal", // 0 is not a valid code; never produced.
  "bad_frame",       "too_large",    "unknown_type",    "bad_request",
  "unauthenticated", "auth_failed",  "user_exists",     "no_such_user",
  "no_such_conv",    "forbidden",    "group_full",      "rate_limited",
  "overloaded",      "unavailable",  "internal",
};

} // namespace

const char* to_string(errc code) noexcept {
  auto index = static_cast<size_t>(code);
  return index < names.size() ? names[index] : "internal";
}

std::optional<errc> errc_from_string(std::string_view name) noexcept {
  for (size_t i = 1; i < names.size(); ++i)
    if (name == names[i])
      return static_cast<errc>(i);
  return std::nullopt;
}

} // namespace parley

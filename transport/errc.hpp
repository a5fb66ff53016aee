#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace parley {

/// The one error vocabulary of Parley, shared by the wire and the code: the
/// names are exactly protocol.md's error codes. `no_such_conv` is for internal
/// use only (clients get `forbidden` for a conversation they cannot see).
enum class errc : uint8_t {
  bad_frame = 1,
  too_large,
  unknown_type,
  bad_request,
  unauthenticated,
  auth_failed,
  user_exists,
  no_such_user,
  no_such_conv,
  forbidden,
  group_full,
  rate_limited,
  overloaded,
  unavailable,
  internal,
};

/// The wire name of `code` ("bad_frame", ...). Never null.
const char* to_string(errc code) noexcept;

/// The code whose wire name is `name`, if any.
std::optional<errc> errc_from_string(std::string_view name) noexcept;

/// Fatal errors end the connection: `err`, then `bye`, then close.
constexpr bool is_fatal(errc code) noexcept {
  return code == errc::bad_frame || code == errc::too_large;
}

} // namespace parley

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::persistence {

/// Big-endian fixed-width integers appended to / read from byte strings: the
/// primitives of the storage key and value encodings (docs/storage.md).
/// Big-endian so that byte order equals numeric order for unsigned values.

inline void append_be(std::string& out, uint64_t x, int width) {
  for (int i = width - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
}

inline void append_u8(std::string& out, uint8_t x) { append_be(out, x, 1); }
inline void append_u16(std::string& out, uint16_t x) { append_be(out, x, 2); }
inline void append_u32(std::string& out, uint32_t x) { append_be(out, x, 4); }
inline void append_u64(std::string& out, uint64_t x) { append_be(out, x, 8); }

/// Two's complement, big-endian (no order guarantee for negative values).
inline void append_i64(std::string& out, int64_t x) {
  append_be(out, static_cast<uint64_t>(x), 8);
}

/// Reads `width` bytes from the front of `in` into `x` and drops them from
/// `in`. Returns false (leaving `in` as it was) if `in` is too short.
inline bool take_be(std::string_view& in, uint64_t& x, int width) noexcept {
  if (in.size() < static_cast<size_t>(width))
    return false;
  uint64_t result = 0;
  for (int i = 0; i < width; ++i)
    result = (result << 8) | static_cast<uint8_t>(in[i]);
  x = result;
  in.remove_prefix(width);
  return true;
}

inline bool take_u8(std::string_view& in, uint8_t& x) noexcept {
  uint64_t tmp = 0;
  if (!take_be(in, tmp, 1))
    return false;
  x = static_cast<uint8_t>(tmp);
  return true;
}

inline bool take_u32(std::string_view& in, uint32_t& x) noexcept {
  uint64_t tmp = 0;
  if (!take_be(in, tmp, 4))
    return false;
  x = static_cast<uint32_t>(tmp);
  return true;
}

inline bool take_u64(std::string_view& in, uint64_t& x) noexcept {
  return take_be(in, x, 8);
}

inline bool take_i64(std::string_view& in, int64_t& x) noexcept {
  uint64_t tmp = 0;
  if (!take_be(in, tmp, 8))
    return false;
  x = static_cast<int64_t>(tmp);
  return true;
}

} // namespace parley::persistence

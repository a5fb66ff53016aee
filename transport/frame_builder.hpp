#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "transport/errc.hpp"

namespace parley::transport {

/// Builds one outgoing frame: the 4-byte length prefix and one MessagePack
/// map. The caller states the number of map entries up front (MessagePack
/// needs it) and then writes exactly that many key/value pairs; values may be
/// nested arrays and maps opened with `array(n)` / `map(n)`.
///
/// Example: frame_builder b(3); b.key("t").str("ok"); b.key("id").uint(7);
///          b.key("seq").uint(1); std::string bytes = b.finish();
/// Not thread-safe. `finish()` may be called once.
class frame_builder {
public:
  explicit frame_builder(uint32_t entries);
  ~frame_builder();
  frame_builder(const frame_builder&) = delete;
  frame_builder& operator=(const frame_builder&) = delete;

  frame_builder& key(std::string_view k) { return str(k); }
  frame_builder& str(std::string_view v);
  frame_builder& bin(std::string_view v);
  /// str or bin, as `binary` says.
  frame_builder& body(std::string_view v, bool binary);
  frame_builder& uint(uint64_t v);
  frame_builder& sint(int64_t v);
  frame_builder& boolean(bool v);
  frame_builder& nil();
  frame_builder& array(uint32_t n);
  frame_builder& map(uint32_t n);

  /// The frame's bytes (length prefix included).
  std::string finish();

private:
  /// The frame so far: 4 bytes reserved for the length, then the map.
  std::string buffer_;
};

/// `{"t":"err","id":id,"code":code,"msg":text}`; `id` omitted when absent.
std::string make_err_frame(const uint64_t* id, errc code, std::string_view text);

/// `{"t":"ok","id":id}` with no further fields.
std::string make_ok_frame(uint64_t id);

/// `{"t":"bye","code":code,"msg":text}`.
std::string make_bye_frame(std::string_view code, std::string_view text);

} // namespace parley::transport

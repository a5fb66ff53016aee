#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/errc.hpp"

namespace parley::transport {

/// Default bound on a frame's payload, announced in the `hello` reply.
constexpr uint32_t default_max_frame = 65536;

/// Appends one frame (4-byte big-endian length, then `payload`) to `out`.
void append_frame(std::string& out, std::string_view payload);

/// Splits a byte stream into frame payloads (protocol.md, "Framing").
///
/// Contract: feed() any number of bytes in any split; next() hands out whole
/// payloads in order. Only the length is checked here: a length of 0 is
/// `bad_frame`, a length above `max_frame` is `too_large`; once an error is
/// reported the decoder stays failed (the connection is to be closed).
/// Memory is bounded by one frame plus one read.
class frame_decoder {
public:
  enum class status { frame, need_more, error };

  explicit frame_decoder(uint32_t max_frame = default_max_frame);

  /// Appends received bytes.
  void feed(const char* data, size_t size);

  /// On `frame`, `payload` holds the next frame's bytes. On `error`,
  /// `error_code()` says which.
  status next(std::string& payload);

  errc error_code() const noexcept { return error_; }

  /// Bytes buffered but not yet handed out.
  size_t buffered() const noexcept { return buffer_.size() - read_pos_; }

private:
  uint32_t max_frame_;
  std::string buffer_;
  size_t read_pos_ = 0;
  bool failed_ = false;
  errc error_ = errc::bad_frame;
};

} // namespace parley::transport

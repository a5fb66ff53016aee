#include "transport/frame_codec.hpp"

namespace parley::transport {

namespace {

/// Size of the big-endian length prefix.
constexpr size_t prefix_size = 4;

/// Once drained, a buffer that grew past this is released, so an idle
/// connection that once received a large frame does not keep its memory.
constexpr size_t idle_capacity = 16 * 1024;

uint32_t load_be32(const char* p) noexcept {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8)
         | uint32_t{b[3]};
}

} // namespace

void append_frame(std::string& out, std::string_view payload) {
  auto n = static_cast<uint32_t>(payload.size());
  const char prefix[prefix_size] = {
    static_cast<char>((n >> 24) & 0xff),
    static_cast<char>((n >> 16) & 0xff),
    static_cast<char>((n >> 8) & 0xff),
    static_cast<char>(n & 0xff),
  };
  out.reserve(out.size() + prefix_size + payload.size());
  out.append(prefix, prefix_size);
  out.append(payload.data(), payload.size());
}

frame_decoder::frame_decoder(uint32_t max_frame) : max_frame_(max_frame) {
  // nop
}

void frame_decoder::feed(const char* data, size_t size) {
  if (failed_ || size == 0)
    return; // The connection is being closed: drop the bytes.
  // Compact once per read rather than once per frame: what remains before
  // the read position is at most one partial frame.
  if (read_pos_ > 0) {
    buffer_.erase(0, read_pos_);
    read_pos_ = 0;
  }
  buffer_.append(data, size);
}

frame_decoder::status frame_decoder::next(std::string& payload) {
  if (failed_)
    return status::error;
  auto available = buffer_.size() - read_pos_;
  if (available < prefix_size)
    return status::need_more;
  auto length = load_be32(buffer_.data() + read_pos_);
  // The length alone decides the error: no need to wait for the payload.
  if (length == 0 || length > max_frame_) {
    failed_ = true;
    error_ = length == 0 ? errc::bad_frame : errc::too_large;
    std::string{}.swap(buffer_);
    read_pos_ = 0;
    return status::error;
  }
  if (available - prefix_size < length)
    return status::need_more;
  payload.assign(buffer_.data() + read_pos_ + prefix_size, length);
  read_pos_ += prefix_size + length;
  if (read_pos_ == buffer_.size()) {
    // Drained: reset without moving bytes, and give back a large buffer.
    read_pos_ = 0;
    if (buffer_.capacity() > idle_capacity)
      std::string{}.swap(buffer_);
    else
      buffer_.clear();
  }
  return status::frame;
}

} // namespace parley::transport

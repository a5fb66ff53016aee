#include "transport/frame_builder.hpp"

#include <msgpack.hpp>

namespace parley::transport {

namespace {

constexpr size_t prefix_size = 4;

/// Room reserved up front: enough for the common small reply or push, so
/// most frames are built in one allocation.
constexpr size_t initial_capacity = 128;

/// The msgpack stream concept over a std::string we append to.
struct string_sink {
  std::string& out;

  void write(const char* data, size_t size) {
    if (size > 0)
      out.append(data, size);
  }
};

using packer = msgpack::packer<string_sink>;

} // namespace

// A packer holds nothing but a reference to its stream, so each call makes
// one on the stack rather than keeping MessagePack types in the header.

frame_builder::frame_builder(uint32_t entries) {
  buffer_.reserve(initial_capacity);
  buffer_.append(prefix_size, '\0');
  string_sink sink{buffer_};
  packer{sink}.pack_map(entries);
}

frame_builder::~frame_builder() = default;

frame_builder& frame_builder::str(std::string_view v) {
  string_sink sink{buffer_};
  auto size = static_cast<uint32_t>(v.size());
  packer{sink}.pack_str(size).pack_str_body(v.data(), size);
  return *this;
}

frame_builder& frame_builder::bin(std::string_view v) {
  string_sink sink{buffer_};
  auto size = static_cast<uint32_t>(v.size());
  packer{sink}.pack_bin(size).pack_bin_body(v.data(), size);
  return *this;
}

frame_builder& frame_builder::body(std::string_view v, bool binary) {
  // Bodies are the one large value: grow once for it and what follows.
  buffer_.reserve(buffer_.size() + v.size() + 64);
  return binary ? bin(v) : str(v);
}

frame_builder& frame_builder::uint(uint64_t v) {
  string_sink sink{buffer_};
  packer{sink}.pack_uint64(v);
  return *this;
}

frame_builder& frame_builder::sint(int64_t v) {
  string_sink sink{buffer_};
  packer{sink}.pack_int64(v);
  return *this;
}

frame_builder& frame_builder::boolean(bool v) {
  string_sink sink{buffer_};
  if (v)
    packer{sink}.pack_true();
  else
    packer{sink}.pack_false();
  return *this;
}

frame_builder& frame_builder::nil() {
  string_sink sink{buffer_};
  packer{sink}.pack_nil();
  return *this;
}

frame_builder& frame_builder::array(uint32_t n) {
  string_sink sink{buffer_};
  packer{sink}.pack_array(n);
  return *this;
}

frame_builder& frame_builder::map(uint32_t n) {
  string_sink sink{buffer_};
  packer{sink}.pack_map(n);
  return *this;
}

std::string frame_builder::finish() {
  if (buffer_.size() < prefix_size)
    return {}; // Called twice: the frame was already handed out.
  auto n = static_cast<uint32_t>(buffer_.size() - prefix_size);
  buffer_[0] = static_cast<char>((n >> 24) & 0xff);
  buffer_[1] = static_cast<char>((n >> 16) & 0xff);
  buffer_[2] = static_cast<char>((n >> 8) & 0xff);
  buffer_[3] = static_cast<char>(n & 0xff);
  return std::move(buffer_);
}

std::string make_err_frame(const uint64_t* id, errc code,
                           std::string_view text) {
  frame_builder b(id != nullptr ? 4 : 3);
  b.key("t").str("err");
  if (id != nullptr)
    b.key("id").uint(*id);
  b.key("code").str(to_string(code));
  b.key("msg").str(text);
  return b.finish();
}

std::string make_ok_frame(uint64_t id) {
  frame_builder b(2);
  b.key("t").str("ok");
  b.key("id").uint(id);
  return b.finish();
}

std::string make_bye_frame(std::string_view code, std::string_view text) {
  frame_builder b(3);
  b.key("t").str("bye");
  b.key("code").str(code);
  b.key("msg").str(text);
  return b.finish();
}

} // namespace parley::transport

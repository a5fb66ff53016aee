#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/errc.hpp"

namespace parley::transport {

/// A field's value as found in a request map: absent, present with the
/// expected type, or present with another type (`bad_request`).
template <class T>
struct field {
  enum class state { absent, ok, wrong_type } st = state::absent;
  T value{};

  bool absent() const noexcept { return st == state::absent; }
  bool ok() const noexcept { return st == state::ok; }
  bool wrong_type() const noexcept { return st == state::wrong_type; }
};

/// A body: MessagePack str or bin, kept apart so it goes back out the same.
struct body_value {
  std::string bytes;
  bool binary = false;
};

/// One decoded client frame: a MessagePack map with a string `t`.
///
/// Owns the unpacked data; accessors copy out what they return. Unknown keys
/// are ignored (forward compatibility). Not thread-safe; movable.
class request {
public:
  request();
  request(request&&) noexcept;
  request& operator=(request&&) noexcept;
  ~request();

  /// Decodes one payload. Returns nothing (a `bad_frame`) unless the bytes
  /// are exactly one complete MessagePack map holding a string `t`, with no
  /// trailing bytes. Never throws; nesting depth and sizes are bounded by the
  /// payload itself.
  static std::optional<request> parse(std::string_view payload);

  /// The request type, `t`.
  const std::string& type() const noexcept { return type_; }

  /// The client's `id` if it is an unsigned integer; `id_field()` tells
  /// whether an `id` was present but malformed.
  std::optional<uint64_t> id() const noexcept { return id_; }
  const field<uint64_t>& id_field() const noexcept { return id_field_; }

  field<std::string> get_string(std::string_view key) const;
  field<uint64_t> get_uint(std::string_view key) const;
  field<bool> get_bool(std::string_view key) const;
  /// str or bin.
  field<body_value> get_body(std::string_view key) const;
  /// An array of strings; any non-string element makes it `wrong_type`.
  field<std::vector<std::string>> get_string_list(std::string_view key) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string type_;
  std::optional<uint64_t> id_;
  field<uint64_t> id_field_;
};

} // namespace parley::transport

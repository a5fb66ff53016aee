#include "transport/request.hpp"

#include <algorithm>
#include <exception>

#include <msgpack.hpp>

namespace parley::transport {

namespace {

/// Deepest nesting of arrays and maps accepted in a request (the top-level
/// map counts as one). Requests need two or three levels.
constexpr uint32_t max_depth = 32;

/// First pass over a payload: checks that it is well-formed MessagePack with
/// bounded nesting, without allocating anything. Only after it passes does
/// the second pass build objects, so every container size that pass
/// allocates for is backed by bytes actually present in the payload (a
/// 5-byte array header claiming 4 billion elements is rejected here).
class shape_checker : public msgpack::null_visitor {
public:
  bool start_array(uint32_t) { return enter(); }
  bool end_array() { return leave(); }
  bool start_map(uint32_t) { return enter(); }
  bool end_map() { return leave(); }

private:
  bool enter() noexcept { return ++depth_ <= max_depth; }
  bool leave() noexcept {
    --depth_;
    return true;
  }

  uint32_t depth_ = 0;
};

/// The first byte of a MessagePack map header: fixmap, map16 or map32.
bool starts_map(unsigned char first) noexcept {
  return (first & 0xf0) == 0x80 || first == 0xde || first == 0xdf;
}

std::string_view as_view(const msgpack::object_str& s) noexcept {
  return {s.ptr, s.size};
}

} // namespace

struct request::impl {
  explicit impl(size_t chunk_size) : zone(chunk_size) {
    // nop
  }

  /// Owns every object and string below `root`.
  msgpack::zone zone;
  msgpack::object root;

  /// The value of the first entry whose key is the string `key`, or null.
  const msgpack::object* find(std::string_view key) const noexcept {
    const auto& m = root.via.map;
    for (uint32_t i = 0; i < m.size; ++i) {
      const auto& kv = m.ptr[i];
      if (kv.key.type == msgpack::type::STR && as_view(kv.key.via.str) == key)
        return &kv.val;
    }
    return nullptr;
  }
};

request::request() = default;
request::request(request&&) noexcept = default;
request& request::operator=(request&&) noexcept = default;
request::~request() = default;

std::optional<request> request::parse(std::string_view payload) {
  if (payload.empty()
      || !starts_map(static_cast<unsigned char>(payload.front())))
    return std::nullopt;
  try {
    // Pass 1: well-formed, bounded depth, exactly one value, no trailing
    // bytes.
    {
      shape_checker checker;
      size_t off = 0;
      if (!msgpack::parse(payload.data(), payload.size(), off, checker)
          || off != payload.size())
        return std::nullopt;
    }
    // Pass 2: build the object tree. The limits repeat what pass 1 proved
    // (every element takes at least one byte, every pair two), as a second
    // line of defence.
    auto n = payload.size();
    msgpack::unpack_limit limit(n, n / 2, n, n, n, max_depth);
    // A zone chunk sized to the payload: one allocation for small requests.
    auto chunk = std::clamp<size_t>(4 * n + 256, 512, 8192);
    request result;
    result.impl_ = std::make_unique<impl>(chunk);
    size_t off = 0;
    result.impl_->root = msgpack::unpack(result.impl_->zone, payload.data(), n,
                                         off, nullptr, nullptr, limit);
    if (off != n || result.impl_->root.type != msgpack::type::MAP)
      return std::nullopt;
    auto t = result.impl_->find("t");
    if (t == nullptr || t->type != msgpack::type::STR)
      return std::nullopt;
    result.type_.assign(t->via.str.ptr, t->via.str.size);
    if (auto id = result.impl_->find("id")) {
      if (id->type == msgpack::type::POSITIVE_INTEGER) {
        result.id_field_.st = field<uint64_t>::state::ok;
        result.id_field_.value = id->via.u64;
        result.id_ = id->via.u64;
      } else {
        result.id_field_.st = field<uint64_t>::state::wrong_type;
      }
    }
    return result;
  } catch (const std::exception&) {
    // msgpack::unpack_error (malformed, truncated, over a limit) or
    // std::bad_alloc: either way this payload is not a request.
    return std::nullopt;
  }
}

namespace {

template <class T>
field<T> wrong_type() {
  field<T> f;
  f.st = field<T>::state::wrong_type;
  return f;
}

template <class T>
field<T> ok(T value) {
  field<T> f;
  f.st = field<T>::state::ok;
  f.value = std::move(value);
  return f;
}

} // namespace

field<std::string> request::get_string(std::string_view key) const {
  auto v = impl_ ? impl_->find(key) : nullptr;
  if (v == nullptr)
    return {};
  if (v->type != msgpack::type::STR)
    return wrong_type<std::string>();
  return ok(std::string{as_view(v->via.str)});
}

field<uint64_t> request::get_uint(std::string_view key) const {
  auto v = impl_ ? impl_->find(key) : nullptr;
  if (v == nullptr)
    return {};
  if (v->type != msgpack::type::POSITIVE_INTEGER)
    return wrong_type<uint64_t>();
  return ok(uint64_t{v->via.u64});
}

field<bool> request::get_bool(std::string_view key) const {
  auto v = impl_ ? impl_->find(key) : nullptr;
  if (v == nullptr)
    return {};
  if (v->type != msgpack::type::BOOLEAN)
    return wrong_type<bool>();
  return ok(bool{v->via.boolean});
}

field<body_value> request::get_body(std::string_view key) const {
  auto v = impl_ ? impl_->find(key) : nullptr;
  if (v == nullptr)
    return {};
  if (v->type == msgpack::type::STR)
    return ok(body_value{std::string{as_view(v->via.str)}, false});
  if (v->type == msgpack::type::BIN)
    return ok(body_value{std::string{v->via.bin.ptr, v->via.bin.size}, true});
  return wrong_type<body_value>();
}

field<std::vector<std::string>>
request::get_string_list(std::string_view key) const {
  using list = std::vector<std::string>;
  auto v = impl_ ? impl_->find(key) : nullptr;
  if (v == nullptr)
    return {};
  if (v->type != msgpack::type::ARRAY)
    return wrong_type<list>();
  const auto& arr = v->via.array;
  list result;
  result.reserve(arr.size);
  for (uint32_t i = 0; i < arr.size; ++i) {
    if (arr.ptr[i].type != msgpack::type::STR)
      return wrong_type<list>();
    result.emplace_back(as_view(arr.ptr[i].via.str));
  }
  return ok(std::move(result));
}

} // namespace parley::transport

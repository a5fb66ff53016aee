#include "wire.hpp"

#include <cstdio>
#include <cstring>

namespace parley::bench {

namespace {

/// A msgpack-cxx stream that appends to a std::string.
struct string_stream {
  std::string* out;
  void write(const char* data, size_t size) {
    out->append(data, size);
  }
};

/// Writes one frame: the length is patched in by the destructor.
class frame {
public:
  frame(std::string& out, uint32_t fields)
      : out_(out), start_(out.size()), stream_{&out}, packer_(stream_) {
    out_.append(4, '\0');
    packer_.pack_map(fields);
  }

  ~frame() {
    auto size = static_cast<uint32_t>(out_.size() - start_ - 4);
    out_[start_] = static_cast<char>(size >> 24);
    out_[start_ + 1] = static_cast<char>(size >> 16);
    out_[start_ + 2] = static_cast<char>(size >> 8);
    out_[start_ + 3] = static_cast<char>(size);
  }

  frame& str(std::string_view s) {
    packer_.pack_str(static_cast<uint32_t>(s.size()));
    packer_.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
    return *this;
  }

  frame& field(std::string_view key, std::string_view value) {
    return str(key).str(value);
  }

  frame& array(uint32_t size) {
    packer_.pack_array(size);
    return *this;
  }

  frame& field(std::string_view key, uint64_t value) {
    str(key);
    packer_.pack_uint64(value);
    return *this;
  }

private:
  std::string& out_;
  size_t start_;
  string_stream stream_;
  msgpack::packer<string_stream> packer_;
};

bool reference_strings(msgpack::type::object_type, std::size_t, void*) {
  return true; // the payload outlives the decoded object
}

std::string_view view(const msgpack::object& o) {
  if (o.type == msgpack::type::STR)
    return {o.via.str.ptr, o.via.str.size};
  if (o.type == msgpack::type::BIN)
    return {o.via.bin.ptr, o.via.bin.size};
  return {};
}

uint64_t uint_of(const msgpack::object& o) {
  return o.type == msgpack::type::POSITIVE_INTEGER ? o.via.u64 : 0;
}

void decode_history(const msgpack::object& list,
                    std::vector<history_entry>& out) {
  if (list.type != msgpack::type::ARRAY)
    return;
  for (uint32_t i = 0; i < list.via.array.size; ++i) {
    const auto& m = list.via.array.ptr[i];
    if (m.type != msgpack::type::MAP)
      continue;
    history_entry e;
    for (uint32_t j = 0; j < m.via.map.size; ++j) {
      const auto& kv = m.via.map.ptr[j];
      auto key = view(kv.key);
      if (key == "seq")
        e.seq = uint_of(kv.val);
      else if (key == "from")
        e.from = view(kv.val);
      else if (key == "body")
        e.sent_ns = body_sent_ns(view(kv.val));
    }
    out.push_back(e);
  }
}

} // namespace

void append_hello(std::string& out, uint64_t id) {
  frame(out, 4)
    .field("t", "hello")
    .field("id", id)
    .field("v", 1)
    .field("client", "parley-bench");
}

void append_register(std::string& out, uint64_t id, std::string_view user,
                     std::string_view password) {
  frame(out, 4)
    .field("t", "register")
    .field("id", id)
    .field("user", user)
    .field("password", password);
}

void append_login(std::string& out, uint64_t id, std::string_view user,
                  std::string_view password, std::string_view device) {
  frame(out, 5)
    .field("t", "login")
    .field("id", id)
    .field("user", user)
    .field("password", password)
    .field("device", device);
}

void append_send(std::string& out, uint64_t id, send_target target,
                 std::string_view to, std::string_view body,
                 std::string_view cmid) {
  frame(out, 5)
    .field("t", "send")
    .field("id", id)
    .field(target == send_target::conv ? "conv" : "to", to)
    .field("body", body)
    .field("cmid", cmid);
}

void append_group_create(std::string& out, uint64_t id, std::string_view name,
                         const std::vector<std::string>& members) {
  frame f(out, 4);
  f.field("t", "group_create").field("id", id).field("name", name);
  f.str("members").array(static_cast<uint32_t>(members.size()));
  for (auto& m : members)
    f.str(m);
}

void append_ack(std::string& out, std::string_view conv, uint64_t seq) {
  frame(out, 3).field("t", "ack").field("conv", conv).field("seq", seq);
}

void append_ping(std::string& out, uint64_t id) {
  frame(out, 2).field("t", "ping").field("id", id);
}

void append_history(std::string& out, uint64_t id, std::string_view conv,
                    uint64_t before, uint32_t limit) {
  frame(out, 5)
    .field("t", "history")
    .field("id", id)
    .field("conv", conv)
    .field("before", before)
    .field("limit", limit);
}

void append_watch(std::string& out, uint64_t id,
                  const std::vector<std::string>& users) {
  frame f(out, 3);
  f.field("t", "watch").field("id", id);
  f.str("users").array(static_cast<uint32_t>(users.size()));
  for (auto& u : users)
    f.str(u);
}

bool decode(const char* data, size_t size, msgpack::zone& zone, incoming& out) {
  out = incoming{};
  zone.clear();
  msgpack::object root;
  try {
    std::size_t offset = 0;
    root = msgpack::unpack(zone, data, size, offset, reference_strings, nullptr,
                           msgpack::unpack_limit());
    if (offset != size)
      return false;
  } catch (const std::exception&) {
    return false;
  }
  if (root.type != msgpack::type::MAP)
    return false;
  for (uint32_t i = 0; i < root.via.map.size; ++i) {
    const auto& kv = root.via.map.ptr[i];
    auto key = view(kv.key);
    const auto& v = kv.val;
    if (key == "t")
      out.t = view(v);
    else if (key == "id" && v.type == msgpack::type::POSITIVE_INTEGER) {
      out.id = v.via.u64;
      out.has_id = true;
    } else if (key == "seq" && v.type == msgpack::type::POSITIVE_INTEGER)
      out.seq = v.via.u64;
    else if (key == "code")
      out.code = view(v);
    else if (key == "msg")
      out.msg = view(v);
    else if (key == "conv")
      out.conv = view(v);
    else if (key == "body")
      out.body = view(v);
    else if (key == "from")
      out.from = view(v);
    else if (key == "kind")
      out.kind = view(v);
    else if (key == "user")
      out.user = view(v);
    else if (key == "online" && v.type == msgpack::type::BOOLEAN)
      out.online = v.via.boolean;
    else if (key == "heartbeat_s")
      out.heartbeat_s = uint_of(v);
    else if (key == "msgs")
      decode_history(v, out.msgs);
  }
  return !out.t.empty();
}

void make_body(std::string& out, uint64_t sent_ns, size_t size) {
  char head[24];
  std::snprintf(head, sizeof head, "T%020llu",
                static_cast<unsigned long long>(sent_ns));
  out.assign(head, 21);
  if (size > out.size())
    out.append(size - out.size(), 'x');
}

uint64_t body_sent_ns(std::string_view body) {
  if (body.size() < 21 || body[0] != 'T')
    return 0;
  uint64_t ns = 0;
  for (size_t i = 1; i < 21; ++i) {
    char c = body[i];
    if (c < '0' || c > '9')
      return 0;
    ns = ns * 10 + static_cast<uint64_t>(c - '0');
  }
  return ns;
}

} // namespace parley::bench

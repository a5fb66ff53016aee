#include "persistence/record_codec.hpp"

#include "persistence/byte_order.hpp"

namespace parley::persistence::codec {

namespace {

void append_str(std::string& out, std::string_view s) {
  // Callers bound every string far below 4 GiB (bodies by max_body).
  append_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

bool take_str(std::string_view& in, std::string& s) {
  auto copy = in;
  uint32_t len = 0;
  if (!take_u32(copy, len) || copy.size() < len)
    return false;
  s.assign(copy.data(), len);
  copy.remove_prefix(len);
  in = copy;
  return true;
}

bool take_version(std::string_view& in) {
  uint8_t version = 0;
  return take_u8(in, version) && version == value_version;
}

bool valid_conv_type(uint8_t x) {
  return x == static_cast<uint8_t>(conv_type::direct)
         || x == static_cast<uint8_t>(conv_type::group);
}

} // namespace

std::string encode_message(const message_record& m) {
  std::string out;
  out.reserve(1 + 4 + m.from.size() + 8 + 4 + m.kind.size() + 1 + 4
              + m.cmid.size() + 4 + m.body.size());
  append_u8(out, value_version);
  append_str(out, m.from);
  append_i64(out, m.ts);
  append_str(out, m.kind);
  append_u8(out, m.binary ? 1 : 0);
  append_str(out, m.cmid);
  append_str(out, m.body);
  return out;
}

bool decode_message(std::string_view in, message_record& m) {
  uint8_t binary = 0;
  if (!take_version(in) || !take_str(in, m.from) || !take_i64(in, m.ts)
      || !take_str(in, m.kind) || !take_u8(in, binary)
      || !take_str(in, m.cmid) || !take_str(in, m.body))
    return false;
  m.binary = binary != 0;
  return in.empty();
}

std::string encode_conv_meta(const conv_meta& meta) {
  std::string out;
  append_u8(out, value_version);
  append_u8(out, static_cast<uint8_t>(meta.type));
  append_i64(out, meta.created);
  append_str(out, meta.name);
  append_u32(out, static_cast<uint32_t>(meta.members.size()));
  for (auto& member : meta.members)
    append_str(out, member);
  return out;
}

bool decode_conv_meta(std::string_view in, conv_meta& meta) {
  uint8_t type = 0;
  uint32_t count = 0;
  if (!take_version(in) || !take_u8(in, type) || !valid_conv_type(type)
      || !take_i64(in, meta.created) || !take_str(in, meta.name)
      || !take_u32(in, count))
    return false;
  meta.type = static_cast<conv_type>(type);
  // Each member takes at least 4 bytes: refuse a count the input cannot hold
  // before reserving memory for it.
  if (count > in.size() / 4)
    return false;
  meta.members.clear();
  meta.members.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string member;
    if (!take_str(in, member))
      return false;
    meta.members.push_back(std::move(member));
  }
  return in.empty();
}

std::string encode_position(const member_position& p) {
  std::string out;
  append_u64(out, p.delivered);
  append_u64(out, p.read);
  return out;
}

bool decode_position(std::string_view in, member_position& p) {
  return take_u64(in, p.delivered) && take_u64(in, p.read) && in.empty();
}

std::string encode_dedupe(const dedupe_entry& e) {
  std::string out;
  append_u64(out, e.seq);
  append_i64(out, e.ts);
  return out;
}

bool decode_dedupe(std::string_view in, dedupe_entry& e) {
  return take_u64(in, e.seq) && take_i64(in, e.ts) && in.empty();
}

std::string encode_conv_type(conv_type type) {
  std::string out;
  append_u8(out, static_cast<uint8_t>(type));
  return out;
}

bool decode_conv_type(std::string_view in, conv_type& type) {
  uint8_t x = 0;
  if (!take_u8(in, x) || !valid_conv_type(x) || !in.empty())
    return false;
  type = static_cast<conv_type>(x);
  return true;
}

std::string encode_u64(uint64_t x) {
  std::string out;
  append_u64(out, x);
  return out;
}

bool decode_u64(std::string_view in, uint64_t& x) {
  return take_u64(in, x) && in.empty();
}

std::string encode_i64(int64_t x) {
  std::string out;
  append_i64(out, x);
  return out;
}

bool decode_i64(std::string_view in, int64_t& x) {
  return take_i64(in, x) && in.empty();
}

std::string encode_store_meta(uint32_t format_version, uint32_t shard_count) {
  std::string out;
  append_u32(out, format_version);
  append_u32(out, shard_count);
  return out;
}

bool decode_store_meta(std::string_view in, uint32_t& format_version,
                       uint32_t& shard_count) {
  return take_u32(in, format_version) && take_u32(in, shard_count)
         && in.empty();
}

} // namespace parley::persistence::codec

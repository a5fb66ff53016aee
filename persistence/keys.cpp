#include "persistence/keys.hpp"

#include <stdexcept>

#include "persistence/byte_order.hpp"

namespace parley::persistence::keys {

namespace {

constexpr std::string_view store_meta_key{"\xFF\xFF" "Sparley.store", 15};

void append_part(std::string& out, std::string_view part) {
  if (!fits(part))
    throw std::length_error("parley key part longer than 255 bytes");
  append_u8(out, static_cast<uint8_t>(part.size()));
  out.append(part);
}

std::string conv_record(uint32_t shard_count, std::string_view conv,
                        char record_tag) {
  auto key = entity_prefix(shard_count, entity_kind::conv, conv);
  key.push_back(record_tag);
  return key;
}

std::string user_record(uint32_t shard_count, std::string_view user,
                        char record_tag) {
  auto key = entity_prefix(shard_count, entity_kind::user, user);
  key.push_back(record_tag);
  return key;
}

} // namespace

std::string shard_prefix(uint32_t shard) {
  if (shard > 0xFFFF)
    throw std::out_of_range("parley shard does not fit in 2 bytes");
  std::string key;
  append_u16(key, static_cast<uint16_t>(shard));
  return key;
}

std::string entity_prefix(uint32_t shard_count, entity_kind kind,
                          std::string_view key) {
  if (shard_count == 0 || shard_count > 0x10000)
    throw std::out_of_range("parley shard count must be in [1, 65536]");
  std::string out;
  out.reserve(4 + key.size() + 1 + 9);
  append_u16(out, static_cast<uint16_t>(shard_of(kind, key, shard_count)));
  out.push_back(static_cast<char>(kind));
  append_part(out, key);
  return out;
}

std::string conv_meta(uint32_t shard_count, std::string_view conv) {
  return conv_record(shard_count, conv, tag::conv_meta);
}

std::string message_prefix(uint32_t shard_count, std::string_view conv) {
  return conv_record(shard_count, conv, tag::message);
}

std::string message(uint32_t shard_count, std::string_view conv,
                    uint64_t seq) {
  auto key = message_prefix(shard_count, conv);
  append_u64(key, seq);
  return key;
}

std::string position_prefix(uint32_t shard_count, std::string_view conv) {
  return conv_record(shard_count, conv, tag::position);
}

std::string position(uint32_t shard_count, std::string_view conv,
                     std::string_view user) {
  auto key = position_prefix(shard_count, conv);
  append_part(key, user);
  return key;
}

std::string dedupe(uint32_t shard_count, std::string_view conv,
                   std::string_view user, std::string_view cmid) {
  auto key = conv_record(shard_count, conv, tag::dedupe);
  append_part(key, user);
  append_part(key, cmid);
  return key;
}

std::string member_event_prefix(uint32_t shard_count,
                                std::string_view conv) {
  return conv_record(shard_count, conv, tag::member_event);
}

std::string member_event(uint32_t shard_count, std::string_view conv,
                         uint64_t seq) {
  auto key = member_event_prefix(shard_count, conv);
  append_u64(key, seq);
  return key;
}

std::string user_conv_prefix(uint32_t shard_count, std::string_view user) {
  return user_record(shard_count, user, tag::user_conv);
}

std::string user_conv(uint32_t shard_count, std::string_view user,
                      std::string_view conv) {
  auto key = user_conv_prefix(shard_count, user);
  append_part(key, conv);
  return key;
}

std::string cursor_prefix(uint32_t shard_count, std::string_view user,
                          std::string_view device) {
  auto key = user_record(shard_count, user, tag::cursor);
  append_part(key, device);
  return key;
}

std::string cursor(uint32_t shard_count, std::string_view user,
                   std::string_view device, std::string_view conv) {
  auto key = cursor_prefix(shard_count, user, device);
  append_part(key, conv);
  return key;
}

std::string last_seen(uint32_t shard_count, std::string_view user) {
  return user_record(shard_count, user, tag::last_seen);
}

std::string store_meta() {
  return std::string{store_meta_key};
}

bool is_reserved(std::string_view key) noexcept {
  if (key.size() < 3)
    return true; // Too short to be an entity key.
  auto kind = key[2];
  return kind != static_cast<char>(entity_kind::user)
         && kind != static_cast<char>(entity_kind::conv);
}

std::string prefix_end(std::string_view prefix) {
  std::string end{prefix};
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xFF) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

bool take_part(std::string_view& in, std::string_view& part) noexcept {
  auto copy = in;
  uint8_t len = 0;
  if (!take_u8(copy, len) || copy.size() < len)
    return false;
  part = copy.substr(0, len);
  copy.remove_prefix(len);
  in = copy;
  return true;
}

std::optional<key_info> parse(std::string_view key) noexcept {
  if (is_reserved(key))
    return std::nullopt;
  key_info info;
  uint64_t shard = 0;
  take_be(key, shard, 2);
  info.shard = static_cast<uint32_t>(shard);
  info.kind = static_cast<entity_kind>(key.front());
  key.remove_prefix(1);
  if (!take_part(key, info.entity) || key.empty())
    return std::nullopt;
  info.tag = key.front();
  key.remove_prefix(1);
  info.rest = key;
  return info;
}

} // namespace parley::persistence::keys

#pragma once

// The few frames parley-bench speaks, encoded and decoded directly with
// msgpack-cxx (protocol.md: 4-byte big-endian length + one MessagePack map).
// No JSON, no copies of incoming strings: decoded fields point into the
// caller's read buffer and are valid until it changes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

namespace parley::bench {

/// Request kinds, kept in the low 4 bits of every request id so a reply
/// tells what it answers without a lookup table. The other bits carry the
/// send time in microseconds (see make_id).
enum class request_kind : uint8_t {
  hello = 1,
  register_user = 2,
  login = 3,
  send = 4,
  ping = 5,
  group_create = 6,
  history = 7,
  watch = 8,
};

/// An id for a request of `kind` sent at `sent_us` (microseconds since the
/// bench's epoch); `serial` keeps ids of one connection distinct.
inline uint64_t make_id(request_kind kind, uint64_t sent_us, uint32_t serial) {
  return (sent_us << 12) | (uint64_t{serial & 0xff} << 4)
         | static_cast<uint64_t>(kind);
}

inline request_kind kind_of(uint64_t id) {
  return static_cast<request_kind>(id & 0xf);
}

inline uint64_t sent_us_of(uint64_t id) {
  return id >> 12;
}

// Each appends one whole frame to `out`.
void append_hello(std::string& out, uint64_t id);
void append_register(std::string& out, uint64_t id, std::string_view user,
                     std::string_view password);
void append_login(std::string& out, uint64_t id, std::string_view user,
                  std::string_view password, std::string_view device);
/// Where a send goes: `to` a user (the direct conversation) or into `conv`.
enum class send_target : uint8_t { user, conv };

void append_send(std::string& out, uint64_t id, send_target target,
                 std::string_view to, std::string_view body,
                 std::string_view cmid);
void append_group_create(std::string& out, uint64_t id, std::string_view name,
                         const std::vector<std::string>& members);
void append_ack(std::string& out, std::string_view conv, uint64_t seq);
void append_ping(std::string& out, uint64_t id);
/// `history` of `conv`: the newest `limit` messages below seq `before`.
void append_history(std::string& out, uint64_t id, std::string_view conv,
                    uint64_t before, uint32_t limit);
void append_watch(std::string& out, uint64_t id,
                  const std::vector<std::string>& users);

/// One message of a `history` reply.
struct history_entry {
  uint64_t seq = 0;
  std::string_view from;
  uint64_t sent_ns = 0; ///< body_sent_ns of its body (0: none).
};

/// The fields of an incoming frame that the bench looks at.
struct incoming {
  std::string_view t;
  std::string_view code;
  std::string_view msg;
  std::string_view conv;
  std::string_view body;
  std::string_view from;
  std::string_view kind;
  std::string_view user; ///< presence push: whose presence.
  uint64_t id = 0;
  uint64_t seq = 0;
  uint64_t heartbeat_s = 0; ///< hello reply.
  bool has_id = false;
  bool online = false;             ///< presence push.
  std::vector<history_entry> msgs; ///< history reply.
};

/// Decodes one frame payload. `zone` is scratch memory, cleared here.
/// Returns false when the payload is not one MessagePack map with a string
/// `t`.
bool decode(const char* data, size_t size, msgpack::zone& zone, incoming& out);

/// A 100-byte (or `size`-byte, at least 24) body that starts with the send
/// time: "T" + 20 decimal digits of nanoseconds + padding.
void make_body(std::string& out, uint64_t sent_ns, size_t size);

/// The send time embedded by make_body, or 0 when the body has none.
uint64_t body_sent_ns(std::string_view body);

} // namespace parley::bench

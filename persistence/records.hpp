#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::persistence {

/// One stored message of a conversation's history. Also the shape of the
/// `msg` push and of `history` entries.
struct message_record {
  std::string conv;
  uint64_t seq = 0;
  std::string from;
  int64_t ts = 0;          ///< ms since the Unix epoch, UTC.
  std::string kind;        ///< "text", "member", or a client-chosen kind.
  std::string body;
  bool binary = false;     ///< body was MessagePack bin (not str).
  std::string cmid;
};

enum class conv_type : uint8_t { direct = 'd', group = 'g' };

/// A conversation's metadata (history and positions are stored apart).
struct conv_meta {
  std::string conv;
  conv_type type = conv_type::direct;
  std::string name;                  ///< Groups only.
  std::vector<std::string> members;  ///< Direct: the two users, sorted.
  int64_t created = 0;
};

/// A member's receipt positions in one conversation.
struct member_position {
  std::string user;
  uint64_t delivered = 0;
  uint64_t read = 0;
};

/// The remembered outcome of a send, for idempotent retries.
struct dedupe_entry {
  uint64_t seq = 0;
  int64_t ts = 0;
};

/// A conversation the user belongs to (the user's index of conversations).
struct user_conv {
  std::string conv;
  conv_type type = conv_type::direct;
};

template <class Inspector>
auto inspect(Inspector& f, message_record& x) {
  return f(x.conv, x.seq, x.from, x.ts, x.kind, x.body, x.binary, x.cmid);
}

template <class Inspector>
auto inspect(Inspector& f, member_position& x) {
  return f(x.user, x.delivered, x.read);
}

template <class Inspector>
auto inspect(Inspector& f, conv_meta& x) {
  return f(x.conv, x.type, x.name, x.members, x.created);
}

template <class Inspector>
auto inspect(Inspector& f, dedupe_entry& x) {
  return f(x.seq, x.ts);
}

template <class Inspector>
auto inspect(Inspector& f, user_conv& x) {
  return f(x.conv, x.type);
}

} // namespace parley::persistence

#pragma once

// Encoders of the frames the server sends (protocol.md), from the domain's
// values. Each returns a whole frame, length prefix included.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/member_event.hpp"
#include "actors/messages.hpp"

namespace parley::actors::wire {

/// `{"t":"msg","conv","seq","from","ts","kind","body","cmid"}`.
std::string msg_push(const message_record& m);

/// `ok` for `send`: conv, seq, ts.
std::string send_ok(uint64_t id, const post_result& r);

/// `ok` for `history`: conv, msgs (without `t`), more.
std::string history_ok(uint64_t id, const history_page& page);

/// `ok` for `convs`.
std::string convs_ok(uint64_t id, const std::vector<conv_summary>& convs);

/// `ok` for `receipts`: members with delivered/read.
std::string receipts_ok(uint64_t id, const std::vector<member_position>& ps);

/// `{"t":"receipt","conv","user","kind","seq"}`.
std::string receipt_push(std::string_view conv, std::string_view user,
                         std::string_view kind, uint64_t seq);

/// `{"t":"typing","conv","user","on"}`.
std::string typing_push(std::string_view conv, std::string_view user, bool on);

/// `ok` for `hello`.
std::string hello_ok(uint64_t id, std::string_view server,
                     std::string_view node, uint32_t max_frame,
                     uint32_t heartbeat_s);

/// `ok` with just `user` (register).
std::string user_ok(uint64_t id, std::string_view user);

/// `ok` for login/resume: user, device, token.
std::string grant_ok(uint64_t id, const grant& g);

/// `ok` with `conv` (group_create).
std::string conv_ok(uint64_t id, std::string_view conv);

/// `ok` for `group_info`: conv, name, owner, admins, members.
std::string group_info_ok(uint64_t id, const group_info& g);

/// `{"t":"group","conv","event","by","users"}`, plus `owner` (a string, or
/// nil when nobody is left) when the change set or moved the ownership.
std::string group_push(std::string_view conv, const member_event& e);

/// `{"t":"presence","user","online","last_seen"}` (last_seen nil when the
/// user was never seen).
std::string presence_push(const presence_info& p);

/// One user of a `presence` reply; a user the asker may not see is shown
/// offline with no last_seen.
struct presence_line {
  presence_info info;
  bool visible = false;
};

/// `ok` for `presence`: users, each `{user, online[, last_seen]}`.
std::string presence_ok(uint64_t id, const std::vector<presence_line>& users);

/// `{"t":"synced"}`.
std::string synced_push();

} // namespace parley::actors::wire

// The group requests of a session: group_create, group_add, group_remove,
// group_leave, group_info (protocol.md, "Groups"). The rules are the
// conversation actor's; the session validates fields and forwards.

#include <sodium.h>

#include "actors/session_state.hpp"
#include "actors/wire_frames.hpp"
#include "persistence/account_store.hpp"

namespace parley::actors {

using transport::request;

namespace {

constexpr size_t max_group_name = 128;

/// A fresh group id: "g." + 32 hex digits of 128 random bits.
std::string new_group_id() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "g.";
  for (auto byte : raw) {
    id.push_back(hex[byte >> 4]);
    id.push_back(hex[byte & 0xF]);
  }
  return id;
}

/// Reads the `members` list (absent: empty when `optional`). A name that
/// cannot be a user answers no_such_user (as `send` `to` does).
bool need_members(session_actor* self, const request& req, opt_id id,
                  bool optional, std::vector<std::string>& out) {
  auto f = req.get_string_list("members");
  if (f.wrong_type() || (!f.ok() && !optional)) {
    reply_err(self, id, errc::bad_request,
              "'members' must be a list of user names");
    return false;
  }
  if (!f.ok())
    return true;
  for (auto& u : f.value)
    if (!persistence::account_store::valid_user(u)) {
      reply_err(self, id, errc::no_such_user, "no such user: " + u);
      return false;
    }
  out = std::move(f.value);
  return true;
}

/// Sends the change to the conversation and answers `reply(conv)` on ok.
template <class Reply>
void change(session_actor* self, opt_id id, const std::string& conv,
            group_change c, Reply reply) {
  begin_request(self);
  ask_conv<caf::ok_atom>(
    self, conv,
    [=](caf::ok_atom) {
      end_request(self);
      send_frame(self, reply(*id, conv));
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, group_atom::value, std::move(c));
}

std::string plain_ok(uint64_t id, const std::string&) {
  return transport::make_ok_frame(id);
}

} // namespace

void handle_group_create(session_actor* self, const request& req, opt_id id) {
  auto name = req.get_string("name");
  if (!name.ok() || name.value.empty() || name.value.size() > max_group_name) {
    reply_err(self, id, errc::bad_request,
              "'name' must be a string of 1-128 bytes");
    return;
  }
  group_change c;
  if (!need_members(self, req, id, true, c.users))
    return;
  c.op = "create";
  c.by = self->state.user;
  c.name = std::move(name.value);
  change(self, id, new_group_id(), std::move(c),
         [](uint64_t id, const std::string& conv) {
           return wire::conv_ok(id, conv);
         });
}

namespace {

/// group_add and group_remove: `conv` and `members`.
void add_or_remove(session_actor* self, const request& req, opt_id id,
                   const char* op) {
  std::string conv;
  if (!need_conv(self, req, id, conv))
    return;
  group_change c;
  if (!need_members(self, req, id, false, c.users))
    return;
  c.op = op;
  c.by = self->state.user;
  change(self, id, conv, std::move(c), plain_ok);
}

} // namespace

void handle_group_add(session_actor* self, const request& req, opt_id id) {
  add_or_remove(self, req, id, "add");
}

void handle_group_remove(session_actor* self, const request& req, opt_id id) {
  add_or_remove(self, req, id, "remove");
}

void handle_group_leave(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  if (!need_conv(self, req, id, conv))
    return;
  group_change c;
  c.op = "leave";
  c.by = self->state.user;
  change(self, id, conv, std::move(c), plain_ok);
}

void handle_group_info(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  if (!need_conv(self, req, id, conv))
    return;
  begin_request(self);
  ask_conv<group_info>(
    self, conv,
    [=](group_info& info) {
      end_request(self);
      send_frame(self, wire::group_info_ok(*id, info));
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, ginfo_atom::value, self->state.user);
}

} // namespace parley::actors

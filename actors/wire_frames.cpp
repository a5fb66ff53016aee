#include "actors/wire_frames.hpp"

#include "transport/frame_builder.hpp"

namespace parley::actors::wire {

using transport::frame_builder;

namespace {

// The 7 message fields shared by `msg` pushes and `history` entries.
void message_fields(frame_builder& b, const message_record& m) {
  b.key("conv").str(m.conv);
  b.key("seq").uint(m.seq);
  b.key("from").str(m.from);
  b.key("ts").sint(m.ts);
  b.key("kind").str(m.kind);
  b.key("body").body(m.body, m.binary);
  b.key("cmid").str(m.cmid);
}

constexpr uint32_t message_field_count = 7;

void ok_head(frame_builder& b, uint64_t id) {
  b.key("t").str("ok");
  b.key("id").uint(id);
}

} // namespace

std::string msg_push(const message_record& m) {
  frame_builder b(1 + message_field_count);
  b.key("t").str("msg");
  message_fields(b, m);
  return b.finish();
}

std::string send_ok(uint64_t id, const post_result& r) {
  frame_builder b(5);
  ok_head(b, id);
  b.key("conv").str(r.conv);
  b.key("seq").uint(r.seq);
  b.key("ts").sint(r.ts);
  return b.finish();
}

std::string history_ok(uint64_t id, const history_page& page) {
  frame_builder b(5);
  ok_head(b, id);
  b.key("conv").str(page.conv);
  b.key("msgs").array(static_cast<uint32_t>(page.msgs.size()));
  for (auto& m : page.msgs) {
    b.map(message_field_count);
    message_fields(b, m);
  }
  b.key("more").boolean(page.more);
  return b.finish();
}

std::string convs_ok(uint64_t id, const std::vector<conv_summary>& convs) {
  frame_builder b(3);
  ok_head(b, id);
  b.key("convs").array(static_cast<uint32_t>(convs.size()));
  for (auto& c : convs) {
    b.map(c.left ? 9 : 8);
    b.key("conv").str(c.conv);
    b.key("kind").str(c.kind);
    b.key("name").str(c.name);
    b.key("members").array(static_cast<uint32_t>(c.members.size()));
    for (auto& m : c.members)
      b.str(m);
    b.key("last_seq").uint(c.last_seq);
    b.key("read_seq").uint(c.read_seq);
    b.key("unread").uint(c.unread);
    b.key("last");
    if (c.has_last) {
      b.map(message_field_count);
      message_fields(b, c.last);
    } else {
      b.nil();
    }
    if (c.left)
      b.key("left").boolean(true);
  }
  return b.finish();
}

namespace {

void string_list(frame_builder& b, const std::vector<std::string>& xs) {
  b.array(static_cast<uint32_t>(xs.size()));
  for (auto& x : xs)
    b.str(x);
}

} // namespace

std::string conv_ok(uint64_t id, std::string_view conv) {
  frame_builder b(3);
  ok_head(b, id);
  b.key("conv").str(conv);
  return b.finish();
}

std::string group_info_ok(uint64_t id, const group_info& g) {
  frame_builder b(7);
  ok_head(b, id);
  b.key("conv").str(g.conv);
  b.key("name").str(g.name);
  b.key("owner").str(g.owner);
  b.key("admins");
  string_list(b, g.admins);
  b.key("members");
  string_list(b, g.members);
  return b.finish();
}

std::string group_push(std::string_view conv, const member_event& e) {
  frame_builder b(e.owner_changed ? 6 : 5);
  b.key("t").str("group");
  b.key("conv").str(conv);
  b.key("event").str(e.event);
  b.key("by").str(e.by);
  b.key("users");
  string_list(b, e.users);
  if (e.owner_changed) {
    b.key("owner");
    if (e.owner.empty())
      b.nil();
    else
      b.str(e.owner);
  }
  return b.finish();
}

namespace {

void presence_fields(frame_builder& b, const presence_info& p) {
  b.key("user").str(p.user);
  b.key("online").boolean(p.online);
  b.key("last_seen");
  if (p.last_seen > 0)
    b.sint(p.last_seen);
  else
    b.nil();
}

} // namespace

std::string presence_push(const presence_info& p) {
  frame_builder b(4);
  b.key("t").str("presence");
  presence_fields(b, p);
  return b.finish();
}

std::string presence_ok(uint64_t id, const std::vector<presence_line>& users) {
  frame_builder b(3);
  ok_head(b, id);
  b.key("users").array(static_cast<uint32_t>(users.size()));
  for (auto& u : users) {
    if (u.visible) {
      b.map(3);
      presence_fields(b, u.info);
    } else {
      b.map(2);
      b.key("user").str(u.info.user);
      b.key("online").boolean(false);
    }
  }
  return b.finish();
}

std::string receipts_ok(uint64_t id, const std::vector<member_position>& ps) {
  frame_builder b(3);
  ok_head(b, id);
  b.key("members").array(static_cast<uint32_t>(ps.size()));
  for (auto& p : ps) {
    b.map(3);
    b.key("user").str(p.user);
    b.key("delivered").uint(p.delivered);
    b.key("read").uint(p.read);
  }
  return b.finish();
}

std::string receipt_push(std::string_view conv, std::string_view user,
                         std::string_view kind, uint64_t seq) {
  frame_builder b(5);
  b.key("t").str("receipt");
  b.key("conv").str(conv);
  b.key("user").str(user);
  b.key("kind").str(kind);
  b.key("seq").uint(seq);
  return b.finish();
}

std::string typing_push(std::string_view conv, std::string_view user,
                        bool on) {
  frame_builder b(4);
  b.key("t").str("typing");
  b.key("conv").str(conv);
  b.key("user").str(user);
  b.key("on").boolean(on);
  return b.finish();
}

std::string hello_ok(uint64_t id, std::string_view server,
                     std::string_view node, uint32_t max_frame,
                     uint32_t heartbeat_s) {
  frame_builder b(7);
  ok_head(b, id);
  b.key("v").uint(1);
  b.key("server").str(server);
  b.key("node").str(node);
  b.key("max_frame").uint(max_frame);
  b.key("heartbeat_s").uint(heartbeat_s);
  return b.finish();
}

std::string user_ok(uint64_t id, std::string_view user) {
  frame_builder b(3);
  ok_head(b, id);
  b.key("user").str(user);
  return b.finish();
}

std::string grant_ok(uint64_t id, const grant& g) {
  frame_builder b(5);
  ok_head(b, id);
  b.key("user").str(g.user);
  b.key("device").str(g.device);
  b.key("token").str(g.token);
  return b.finish();
}

std::string synced_push() {
  frame_builder b(1);
  b.key("t").str("synced");
  return b.finish();
}

} // namespace parley::actors::wire

// The conversation requests of a session: send, ack, read, history, convs,
// receipts, typing (protocol.md, "Conversations and messages").

#include <algorithm>

#include "actors/conversation_actor.hpp"
#include "actors/session_state.hpp"
#include "actors/wire_frames.hpp"
#include "persistence/account_store.hpp"

namespace parley::actors {

using transport::request;

namespace {

constexpr size_t max_cmid = 64;
constexpr size_t max_kind = 32;

bool need_seq(session_actor* self, const request& req, opt_id id,
              uint64_t& seq) {
  auto f = req.get_uint("seq");
  if (!f.ok()) {
    reply_err(self, id, errc::bad_request, "'seq' must be an unsigned integer");
    return false;
  }
  seq = f.value;
  return true;
}

} // namespace

/// Reads the required `conv` field (1-64 bytes) or answers bad_request.
bool need_conv(session_actor* self, const request& req, opt_id id,
               std::string& conv) {
  auto f = req.get_string("conv");
  if (!f.ok() || !valid_conv_id(f.value)) {
    reply_err(self, id, errc::bad_request, "'conv' must be a string of 1-64 bytes");
    return false;
  }
  conv = std::move(f.value);
  return true;
}

void handle_send(session_actor* self, const request& req, opt_id id) {
  auto& st = self->state;
  auto to = req.get_string("to");
  auto conv_field = req.get_string("conv");
  if (to.wrong_type() || conv_field.wrong_type()
      || to.ok() == conv_field.ok()) {
    reply_err(self, id, errc::bad_request,
              "'send' needs exactly one of 'to' (user) or 'conv' (string)");
    return;
  }
  auto body = req.get_body("body");
  if (!body.ok()) {
    reply_err(self, id, errc::bad_request, "'body' must be str or bin");
    return;
  }
  if (body.value.bytes.size() > st.ctx->settings.max_body) {
    reply_err(self, id, errc::bad_request,
              "'body' exceeds max_body ("
                + std::to_string(st.ctx->settings.max_body) + " bytes)");
    return;
  }
  auto cmid = req.get_string("cmid");
  if (!cmid.ok() || cmid.value.empty() || cmid.value.size() > max_cmid) {
    reply_err(self, id, errc::bad_request,
              "'cmid' must be a string of 1-64 bytes");
    return;
  }
  auto kind = req.get_string("kind");
  if (kind.wrong_type()
      || (kind.ok() && (kind.value.empty() || kind.value.size() > max_kind))) {
    reply_err(self, id, errc::bad_request,
              "'kind' must be a string of 1-32 bytes");
    return;
  }
  if (kind.ok() && kind.value == "member") {
    reply_err(self, id, errc::bad_request,
              "kind 'member' is reserved for membership changes");
    return;
  }
  post p;
  p.from = st.user;
  p.device = st.device;
  p.cmid = std::move(cmid.value);
  p.kind = kind.ok() ? std::move(kind.value) : "text";
  p.body = std::move(body.value.bytes);
  p.binary = body.value.binary;
  std::string conv;
  if (to.ok()) {
    if (!persistence::account_store::valid_user(to.value)) {
      reply_err(self, id, errc::no_such_user, "no such user");
      return;
    }
    conv = direct_conv_id(st.user, to.value);
    p.direct_peer = std::move(to.value);
  } else {
    if (!valid_conv_id(conv_field.value)) {
      reply_err(self, id, errc::bad_request,
                "'conv' must be a string of 1-64 bytes");
      return;
    }
    conv = std::move(conv_field.value);
  }
  begin_request(self);
  ask_conv<post_result>(
    self, conv,
    [=](post_result& r) {
      end_request(self);
      send_frame(self, wire::send_ok(*id, r));
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, post_atom::value, std::move(p));
}

void handle_ack(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  uint64_t seq = 0;
  if (!need_conv(self, req, id, conv) || !need_seq(self, req, id, seq))
    return;
  auto& st = self->state;
  if (!id) {
    // Nothing to answer, not even an error: the conversation does the rest
    // (the hot path: a device acks what it reads).
    device_ack a{st.user, st.device, seq};
    if (auto target = st.convs.find(conv)) {
      self->send(*target, std::move(a));
      return;
    }
    runtime::entity_id e{persistence::entity_kind::conv, conv};
    self
      ->request(st.ctx->directory, st.ctx->settings.request_timeout,
                caf::get_atom::value, e)
      .then(
        [=](caf::actor& target) {
          cache_conv(self, conv, target); // as ask_conv does
          self->send(target, a);
        },
            [](caf::error&) {}); // dropped, like a lost ack: the next one
                                 // is cumulative
    return;
  }
  begin_request(self);
  ask_conv<uint64_t>(
    self, conv,
    [=](uint64_t acked) {
      end_request(self);
      auto& st = self->state;
      // The conversation clamped the seq to what exists; the device's cursor
      // follows (the user actor stores it, never moving it backward).
      if (st.user_actor)
        self->send(st.user_actor, cursor_atom::value, st.device, conv, acked);
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, ack_atom::value, st.user, st.device, seq);
}

void handle_read(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  uint64_t seq = 0;
  if (!need_conv(self, req, id, conv) || !need_seq(self, req, id, seq))
    return;
  begin_request(self);
  ask_conv<caf::ok_atom>(
    self, conv, [=](caf::ok_atom) { end_request(self); },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, read_atom::value, self->state.user, seq);
}

void handle_history(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  if (!need_conv(self, req, id, conv))
    return;
  auto before = req.get_uint("before");
  auto after = req.get_uint("after");
  auto limit = req.get_uint("limit");
  if (before.wrong_type() || after.wrong_type()) {
    reply_err(self, id, errc::bad_request,
              "'before' and 'after' must be unsigned integers");
    return;
  }
  if (before.ok() && after.ok()) {
    reply_err(self, id, errc::bad_request,
              "give 'before' or 'after', not both");
    return;
  }
  if (limit.wrong_type()
      || (limit.ok() && (limit.value < 1 || limit.value > 100))) {
    reply_err(self, id, errc::bad_request, "'limit' must be 1-100");
    return;
  }
  history_query q;
  q.user = self->state.user;
  q.forward = after.ok();
  q.after = after.ok() ? after.value : 0;
  q.before = before.ok() ? before.value : 0;
  q.limit = limit.ok() ? static_cast<uint32_t>(limit.value) : 50;
  if (before.ok() && before.value <= 1) {
    // Nothing can come before seq 1 (and `before: 0` must not mean "newest").
    send_frame(self, wire::history_ok(*id, history_page{conv, {}, false}));
    return;
  }
  begin_request(self);
  ask_conv<history_page>(
    self, conv,
    [=](history_page& page) {
      end_request(self);
      send_frame(self, wire::history_ok(*id, page));
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, history_atom::value, q);
}

void handle_convs(session_actor* self, const request&, opt_id id) {
  begin_request(self);
  ask_user<std::vector<std::string>>(
    self,
    [=](std::vector<std::string>& ids) {
      struct gather {
        std::vector<conv_summary> out;
        size_t remaining = 0;
      };
      auto g = std::make_shared<gather>();
      g->remaining = ids.size();
      auto finish = [=] {
        end_request(self);
        // Most recent activity first, as a chat list shows it.
        std::sort(g->out.begin(), g->out.end(),
                  [](const conv_summary& a, const conv_summary& b) {
                    return a.last.ts != b.last.ts ? a.last.ts > b.last.ts
                                                  : a.conv < b.conv;
                  });
        send_frame(self, wire::convs_ok(*id, g->out));
      };
      if (ids.empty()) {
        finish();
        return;
      }
      for (auto& conv : ids)
        ask_conv<conv_summary>(
          self, conv,
          [=](conv_summary& s) {
            g->out.push_back(std::move(s));
            if (--g->remaining == 0)
              finish();
          },
          [=](const caf::error&) {
            // An index entry without a conversation (creation interrupted)
            // or an unavailable node: left out of the list.
            if (--g->remaining == 0)
              finish();
          },
          false, summary_atom::value, self->state.user);
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    convs_atom::value);
}

void handle_receipts(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  if (!need_conv(self, req, id, conv))
    return;
  begin_request(self);
  ask_conv<std::vector<member_position>>(
    self, conv,
    [=](std::vector<member_position>& ps) {
      end_request(self);
      send_frame(self, wire::receipts_ok(*id, ps));
    },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, receipts_atom::value, self->state.user);
}

void handle_typing(session_actor* self, const request& req, opt_id id) {
  std::string conv;
  if (!need_conv(self, req, id, conv))
    return;
  auto on = req.get_bool("on");
  if (!on.ok()) {
    reply_err(self, id, errc::bad_request, "'on' must be a boolean");
    return;
  }
  begin_request(self);
  ask_conv<caf::ok_atom>(
    self, conv, [=](caf::ok_atom) { end_request(self); },
    [=](const caf::error& err) {
      end_request(self);
      reply_error(self, id, err);
    },
    false, typing_atom::value, self->state.user, on.value);
}

} // namespace parley::actors

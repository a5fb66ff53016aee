// The session requests before login: hello, register, login and resume,
// and the attach of an authenticated device to its user actor (then the
// login replay starts: session_actor.cpp's fills).

#include "actors/session_actor.hpp"

#include "actors/session_state.hpp"
#include "actors/wire_frames.hpp"
#include "persistence/account_store.hpp"

namespace parley::actors {

using persistence::account_store;
using transport::request;

namespace {

/// Reads a required string field or answers bad_request.
bool need_string(session_actor* self, const request& req, opt_id id,
                 const char* key, std::string& out) {
  auto f = req.get_string(key);
  if (!f.ok()) {
    reply_err(self, id, errc::bad_request,
              std::string{"'"} + key + "' must be a string");
    return false;
  }
  out = std::move(f.value);
  return true;
}

/// Completes login/resume: attach the device to its user actor, answer, then
/// replay every conversation from the device's cursor and send `synced`.
void attach(session_actor* self, grant g, opt_id id) {
  auto& st = self->state;
  auto timeout = st.ctx->settings.request_timeout;
  runtime::entity_id e{persistence::entity_kind::user, g.user};
  auto fail = [=](caf::error& err) {
    auto& st = self->state;
    --st.inflight;
    st.authenticating = false;
    reply_error(self, id, err);
  };
  self->request(st.ctx->directory, timeout, caf::get_atom::value, e)
    .then(
      [=](caf::actor& ua) {
        auto session = caf::actor_cast<caf::actor>(self);
        self->request(ua, timeout, attach_atom::value, g.device, session)
          .then(
            [=](attach_info& info) {
              auto& st = self->state;
              --st.inflight;
              st.authenticating = false;
              st.authenticated = true;
              st.user = g.user;
              st.device = g.device;
              st.user_actor = ua;
              self->monitor(ua);
              send_frame(self, wire::grant_ok(*id, g));
              for (auto& c : info.cursors) {
                st.tracker.begin_fill(c.conv, c.acked);
                enqueue_fill(self, c.conv);
              }
              st.synced_due = true;
              run_fills(self);
            },
            fail);
      },
      fail);
}

} // namespace

void handle_hello(session_actor* self, const request& req, opt_id id) {
  auto v = req.get_uint("v");
  if (!v.ok() || v.value != 1) {
    reply_err(self, id, errc::bad_request, "'v' must be 1");
    return;
  }
  auto& st = self->state;
  st.hello = true;
  send_frame(self, wire::hello_ok(*id, st.ctx->server_version,
                                  st.ctx->node_name, st.ctx->settings.max_frame,
                                  st.ctx->settings.heartbeat_s));
}

void handle_register(session_actor* self, const request& req, opt_id id) {
  std::string user, password;
  if (!need_string(self, req, id, "user", user)
      || !need_string(self, req, id, "password", password))
    return;
  if (!account_store::valid_user(user)) {
    reply_err(self, id, errc::bad_request,
              "'user' must be 1-32 characters of a-z 0-9 _ . -");
    return;
  }
  if (!account_store::valid_password(password)) {
    reply_err(self, id, errc::bad_request, "'password' must be 8-256 bytes");
    return;
  }
  auto& st = self->state;
  ++st.inflight;
  self
    ->request(st.ctx->auth, caf::infinite, register_atom::value, user, password)
    .then(
      [=](std::string& name) {
        --self->state.inflight;
        send_frame(self, wire::user_ok(*id, name));
      },
      [=](caf::error& err) {
        --self->state.inflight;
        reply_error(self, id, err);
      });
}

void handle_login(session_actor* self, const request& req, opt_id id,
                  bool resume) {
  auto& st = self->state;
  if (st.authenticated || st.authenticating) {
    reply_err(self, id, errc::bad_request, "already logged in");
    return;
  }
  std::string first, password, device;
  if (resume) {
    if (!need_string(self, req, id, "token", first))
      return;
  } else if (!need_string(self, req, id, "user", first)
             || !need_string(self, req, id, "password", password)) {
    return;
  }
  if (!need_string(self, req, id, "device", device))
    return;
  if (!account_store::valid_device(device)) {
    reply_err(self, id, errc::bad_request,
              "'device' must be 1-64 printable characters");
    return;
  }
  st.authenticating = true;
  ++st.inflight;
  auto on_grant = [=](grant& g) { attach(self, std::move(g), id); };
  auto on_fail = [=](caf::error& err) {
    auto& st = self->state;
    --st.inflight;
    st.authenticating = false;
    reply_error(self, id, err);
  };
  if (resume)
    self->request(st.ctx->auth, caf::infinite, resume_atom::value, first, device)
      .then(on_grant, on_fail);
  else
    self
      ->request(st.ctx->auth, caf::infinite, login_atom::value, first, password,
                device)
      .then(on_grant, on_fail);
}

} // namespace parley::actors

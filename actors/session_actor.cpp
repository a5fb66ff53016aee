#include "actors/session_actor.hpp"

#include <algorithm>
#include <chrono>

#include "actors/session_state.hpp"
#include "actors/wire_frames.hpp"

namespace parley::actors {

using transport::request;

// -- helpers -----------------------------------------------------------------

void send_frame(session_actor* self, std::string frame) {
  self->state.conn->send(std::move(frame));
}

void reply_err(session_actor* self, opt_id id, errc code,
               std::string_view text) {
  send_frame(self, transport::make_err_frame(id ? &*id : nullptr, code, text));
}

void reply_error(session_actor* self, opt_id id, const caf::error& err) {
  auto code = errc_of(err);
  auto text = code == errc::internal ? std::string{"internal error"}
                                     : error_text(err);
  reply_err(self, id, code, text);
}

bool valid_conv_id(std::string_view conv) {
  return !conv.empty() && conv.size() <= 64;
}

// -- fills: login replay and gap repair ----------------------------------------

void enqueue_fill(session_actor* self, const std::string& conv) {
  auto& st = self->state;
  if (st.fill_queued.insert(conv).second)
    st.fill_queue.push_back(conv);
}

namespace {

constexpr uint32_t fill_page = 100;

void fill_done(session_actor* self) {
  auto& st = self->state;
  st.fill_queued.erase(st.fill_queue.front());
  st.fill_queue.pop_front();
}

/// How much unsent output the replay lets build up before it waits: well
/// below max_output, so that a device that was offline for long (or whose
/// messages are large) is never closed as a slow consumer by its own replay.
size_t fill_backlog_limit(const session_state& st) {
  auto& s = st.ctx->settings;
  return static_cast<size_t>(
    std::min<uint64_t>(uint64_t{s.max_frame} * 4, s.max_output / 2));
}

} // namespace

void run_fills(session_actor* self) {
  auto& st = self->state;
  if (st.fill_running)
    return;
  if (st.fill_queue.empty()) {
    if (st.synced_due) {
      st.synced_due = false;
      send_frame(self, wire::synced_push());
    }
    return;
  }
  // Pace the replay by the connection's backlog so that a device that was
  // offline for long is not closed as a slow consumer.
  if (st.conn->unsent_bytes() > fill_backlog_limit(st)) {
    st.fill_running = true;
    self->delayed_send(self, std::chrono::milliseconds(5), fill_atom::value);
    return;
  }
  st.fill_running = true;
  auto conv = st.fill_queue.front();
  history_query q;
  q.user = st.user;
  q.forward = true;
  q.after = st.tracker.sent(conv);
  q.limit = fill_page;
  ask_conv<history_page>(
    self, conv,
    [=](history_page& page) {
      auto& st = self->state;
      st.fill_running = false;
      // A page may hold up to 100 bodies of max_body bytes: write only while
      // the backlog allows (always at least one frame); the next round reads
      // on from the last seq written.
      auto limit = fill_backlog_limit(st);
      bool cut = false;
      for (auto& m : page.msgs) {
        auto frame = wire::msg_push(m);
        auto unsent = st.conn->unsent_bytes();
        if (unsent > 0 && unsent + frame.size() > limit) {
          cut = true;
          break;
        }
        if (st.tracker.on_filled(conv, m.seq))
          send_frame(self, std::move(frame));
      }
      if (cut) {
        // Wait for the connection to drain, as above.
        st.fill_running = true;
        self->delayed_send(self, std::chrono::milliseconds(5), fill_atom::value);
        return;
      }
      if (!page.more && !st.tracker.end_fill(conv))
        fill_done(self);
      run_fills(self);
    },
    [=](const caf::error&) {
      // Not (or no longer) a member, or unavailable: give this conversation
      // up for now; the next push or login tries again.
      auto& st = self->state;
      st.fill_running = false;
      st.tracker.abandon_fill(conv);
      fill_done(self);
      run_fills(self);
    },
    false, history_atom::value, q);
}

namespace {

using handler_fn = void (*)(session_actor*, const request&, opt_id);

struct route {
  handler_fn fn;
  bool before_login; ///< Allowed before login/resume.
  bool needs_id;     ///< A reply is expected.
};

const route* find_route(const std::string& type) {
  static const std::unordered_map<std::string, route> routes = {
    {"hello", {handle_hello, true, true}},
    {"register", {handle_register, true, true}},
    {"login",
     {[](session_actor* s, const request& r, opt_id id) {
        handle_login(s, r, id, false);
      },
      true, true}},
    {"resume",
     {[](session_actor* s, const request& r, opt_id id) {
        handle_login(s, r, id, true);
      },
      true, true}},
    {"ping",
     {[](session_actor* s, const request&, opt_id id) {
        send_frame(s, transport::make_ok_frame(*id));
      },
      true, true}},
    {"send", {handle_send, false, true}},
    {"ack", {handle_ack, false, false}},
    {"read", {handle_read, false, false}},
    {"history", {handle_history, false, true}},
    {"convs", {handle_convs, false, true}},
    {"receipts", {handle_receipts, false, true}},
    {"typing", {handle_typing, false, false}},
    {"group_create", {handle_group_create, false, true}},
    {"group_add", {handle_group_add, false, true}},
    {"group_remove", {handle_group_remove, false, true}},
    {"group_leave", {handle_group_leave, false, true}},
    {"group_info", {handle_group_info, false, true}},
    {"presence", {handle_presence, false, true}},
    {"watch", {handle_watch, false, true}},
    {"unwatch", {handle_unwatch, false, true}},
    {"fault", {handle_fault, false, true}}, // only with fault_injection
  };
  auto i = routes.find(type);
  return i == routes.end() ? nullptr : &i->second;
}

void on_request(session_actor* self, const request& req) {
  auto& st = self->state;
  if (req.id_field().wrong_type()) {
    reply_err(self, std::nullopt, errc::bad_request,
              "'id' must be an unsigned integer");
    return;
  }
  auto id = req.id();
  auto now = transport::token_bucket::clock::now();
  if (!st.bucket->try_take(now)) {
    reply_err(self, id, errc::rate_limited, "too many requests");
    return;
  }
  if (!st.hello && req.type() != "hello") {
    reply_err(self, id, errc::bad_request, "'hello' must come first");
    return;
  }
  auto r = find_route(req.type());
  if (r == nullptr
      || (r->fn == handle_fault && !st.ctx->settings.fault_injection)) {
    reply_err(self, id, errc::unknown_type,
              "unknown request type '" + req.type() + "'");
    return;
  }
  if (!r->before_login && !st.authenticated) {
    reply_err(self, id, errc::unauthenticated, "log in first");
    return;
  }
  if (r->needs_id && !id) {
    reply_err(self, std::nullopt, errc::bad_request,
              "'" + req.type() + "' needs an 'id'");
    return;
  }
  if (st.inflight >= st.ctx->settings.max_inflight_per_session) {
    reply_err(self, id, errc::overloaded, "too many requests in flight");
    return;
  }
  r->fn(self, req, id);
}

caf::behavior session(session_actor* self, node_context_ptr ctx,
                      std::shared_ptr<transport::connection> conn) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.conn = std::move(conn);
  install_standard_handlers(self);
  st.bucket.emplace(st.ctx->settings.rate, st.ctx->settings.rate_burst,
                    transport::token_bucket::clock::now());
  // Whatever ends the session (close, crash) closes the connection.
  self->attach_functor([c = st.conn](const caf::error&) { c->close(); });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (on_conv_down(self, dm))
      return;
    if (dm.source != st.user_actor.address()) {
      on_watched_down(self, dm.source);
      return;
    }
    if (st.replaced)
      return;
    // The user actor went away (crash or restart): attach again to a fresh
    // one and repair every conversation from the store.
    st.user_actor = nullptr;
    runtime::entity_id e{persistence::entity_kind::user, st.user};
    auto timeout = st.ctx->settings.request_timeout;
    self->request(st.ctx->directory, timeout, caf::get_atom::value, e)
      .then(
        [=](caf::actor& ua) {
          auto session = caf::actor_cast<caf::actor>(self);
          self
            ->request(ua, timeout, attach_atom::value, self->state.device,
                      session)
            .then(
              [=](attach_info& info) {
                self->state.user_actor = ua;
                self->monitor(ua);
                for (auto& c : info.cursors)
                  enqueue_fill(self, c.conv);
                run_fills(self);
              },
              [=](caf::error&) { self->quit(); });
        },
        [=](caf::error&) { self->quit(); });
  });
  return {
    [=](const request_ptr& req) {
      if (req && !self->state.replaced)
        on_request(self, *req);
    },
    [=](const push& p) {
      // Shared with other sessions (see the user actor): read, never move.
      auto& st = self->state;
      if (p.seq == 0) {
        send_frame(self, p.frame);
        return;
      }
      switch (st.tracker.on_push(p.conv, p.seq)) {
        case delivery_tracker::verdict::write:
          if (p.origin_device != st.device || p.origin_user != st.user)
            send_frame(self, p.frame);
          break;
        case delivery_tracker::verdict::skip:
          break;
        case delivery_tracker::verdict::fill:
          enqueue_fill(self, p.conv);
          run_fills(self);
          break;
      }
    },
    [=](fill_atom) {
      self->state.fill_running = false;
      run_fills(self);
    },
    [=](replaced_atom) {
      // Quitting here would close the connection at once (see the attached
      // functor) and discard the bye: serve nothing more and end when the
      // gateway reports the connection closed (after the bye or its grace).
      self->state.replaced = true;
      self->state.conn->close_with({}, "replaced",
                                   "this device logged in again");
    },
    [=](rewatch_atom, const std::string& user) { rewatch(self, user); },
    [=](closed_atom) {
      release_convs(self);
      self->quit();
    },
  };
}

/// The gateway side of a connection: hands frames to the session actor.
class session_bridge : public transport::connection_handler {
public:
  explicit session_bridge(caf::actor session) : session_(std::move(session)) {}

  void on_request(request req) override {
    caf::anon_send(session_,
                   request_ptr{std::make_shared<const request>(std::move(req))});
  }

  void on_closed(std::string_view) override {
    caf::anon_send(session_, closed_atom::value);
  }

private:
  caf::actor session_;
};

} // namespace

transport::handler_factory session_handler_factory(caf::actor_system& sys,
                                                   node_context_ptr ctx) {
  return [&sys, ctx](std::shared_ptr<transport::connection> conn)
           -> std::unique_ptr<transport::connection_handler> {
    auto s = sys.spawn(session, ctx, std::move(conn));
    return std::make_unique<session_bridge>(std::move(s));
  };
}

} // namespace parley::actors

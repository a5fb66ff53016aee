#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

#include "actors/conv_routes.hpp"
#include "actors/delivery_tracker.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "runtime/entity.hpp"
#include "runtime/errors.hpp"
#include "transport/frame_builder.hpp"
#include "transport/gateway.hpp"
#include "transport/request.hpp"
#include "transport/token_bucket.hpp"

/// Frames travel from the gateway to the session actor of the same node as a
/// shared pointer; never across nodes (sessions live beside their gateway).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const parley::transport::request>)

namespace parley::actors {

using fill_atom = caf::atom_constant<caf::atom("fill")>;
using rewatch_atom = caf::atom_constant<caf::atom("rewatch")>;

/// The state of one session actor (one connection). Shared by the session's
/// translation units; see session_actor.hpp for the contract.
struct session_state {
  node_context_ptr ctx;
  std::shared_ptr<transport::connection> conn;
  std::optional<transport::token_bucket> bucket;
  bool hello = false;
  bool authenticating = false;
  bool authenticated = false;
  std::string user;
  std::string device;
  caf::actor user_actor;
  /// Requests waiting for an actor's answer (bounded: `overloaded` beyond).
  uint32_t inflight = 0;
  /// conv id -> its actor, as last resolved, and the requests in flight
  /// per conversation actor (each tracked actor is monitored).
  conv_routes convs;
  /// Scratch space of the route bookkeeping (kept to reuse its capacity).
  std::vector<caf::message_id> failed_over;
  std::vector<caf::actor_addr> released;
  delivery_tracker tracker;
  /// Conversations waiting for a fill from the store, the front one running.
  std::deque<std::string> fill_queue;
  std::unordered_set<std::string> fill_queued;
  bool fill_running = false;
  /// `synced` is due once the login replay has drained the fill queue.
  bool synced_due = false;
  /// Users this connection watches (at most max_watch): user -> its actor
  /// once registered there (monitored), null while not (yet) registered or
  /// when the user may not be seen.
  std::unordered_map<std::string, caf::actor> watching;
  /// The device logged in on another connection: this one is closing.
  bool replaced = false;
  static inline const char* name = "session";
};

using session_actor = caf::stateful_actor<session_state>;
using request_ptr = std::shared_ptr<const transport::request>;
using opt_id = std::optional<uint64_t>;

// -- helpers shared by the session's translation units -----------------------

void send_frame(session_actor* self, std::string frame);
void reply_err(session_actor* self, opt_id id, errc code,
               std::string_view text);
void reply_error(session_actor* self, opt_id id, const caf::error& err);

/// Starts a fill of `conv` unless one is queued; runs the queue.
void enqueue_fill(session_actor* self, const std::string& conv);
void run_fills(session_actor* self);

/// The bookkeeping of ask_conv (session_routes.cpp): caches `target` as
/// the actor of `conv` (monitoring it); records a request sent to it and
/// its end; forgets a stale cache entry.
void cache_conv(session_actor* self, const std::string& conv,
                const caf::actor& target);
void conv_request_sent(session_actor* self, const caf::actor& target,
                       caf::message_id id);
void conv_request_done(session_actor* self, conv_routes::target_key target,
                       caf::message_id id);
void forget_conv(session_actor* self, const std::string& conv,
                 conv_routes::target_key target);

/// Stops monitoring every conversation actor (the session ends: a monitor
/// would otherwise stay attached to the actor until it ends).
void release_convs(session_actor* self);

/// A monitored actor went down: if it was a conversation actor of this
/// session, its requests in flight are failed over (answered with
/// request_receiver_down, which ask_conv retries once through the
/// directory) and true is returned.
bool on_conv_down(session_actor* self, const caf::down_msg& dm);

/// Sends `xs...` to the actor of conversation `conv` (resolving it through
/// the directory, cached) and calls `ok(Result&)` or `fail(error)`. A stale
/// handle (the conversation was passivated or crashed) is re-resolved once
/// and the request sent again: posts are idempotent by cmid, the other
/// requests are reads or moves that never go backward.
template <class Result, class Ok, class Fail, class... Ts>
void ask_conv(session_actor* self, const std::string& conv, Ok ok, Fail fail,
              bool retried, Ts... xs) {
  auto timeout = self->state.ctx->settings.request_timeout;
  // No timeout on the request itself (the hot path: every send and ack): a
  // finite timeout would cost a timer in the actor clock per request. A
  // conversation actor answers or ends: requests still in its mailbox are
  // answered request_receiver_down by CAF; those it held when it crashed
  // (posts waiting for their write) never are, so the session monitors the
  // conversation actors it talks to and fails those over when the down
  // message comes (on_conv_down). A late answer to a request already
  // failed over finds no handler and is dropped by CAF.
  auto go = [=](const caf::actor& target) {
    auto h = self->request(target, caf::infinite, xs...);
    auto id = h.id();
    auto key = conv_routes::key_of(target);
    conv_request_sent(self, target, id);
    h.then(
      [=](Result& r) mutable {
        conv_request_done(self, key, id);
        ok(r);
      },
      [=](caf::error& err) mutable {
        conv_request_done(self, key, id);
        bool stale = err == caf::sec::request_receiver_down;
        if (stale && !retried) {
          forget_conv(self, conv, key);
          ask_conv<Result>(self, conv, ok, fail, true, xs...);
          return;
        }
        fail(err);
      });
  };
  if (auto target = self->state.convs.find(conv)) {
    go(*target);
    return;
  }
  runtime::entity_id e{persistence::entity_kind::conv, conv};
  self->request(self->state.ctx->directory, timeout, caf::get_atom::value, e)
    .then(
      [=](caf::actor& target) mutable {
        cache_conv(self, conv, target);
        go(target);
      },
      [=](caf::error& err) mutable { fail(err); });
}

/// Sends `xs...` to the user actor of this (authenticated) session and
/// calls `ok(Result&)` or `fail(error)`. The session's handle may be stale
/// for a moment (the user actor crashed or was replaced and the down
/// message has not been handled yet) or null (re-attaching): then the
/// user's actor is looked up through the directory and asked once more.
template <class Result, class Ok, class Fail, class... Ts>
void ask_user(session_actor* self, Ok ok, Fail fail, Ts... xs) {
  auto& st = self->state;
  auto timeout = st.ctx->settings.request_timeout;
  auto via_directory = [=]() mutable {
    runtime::entity_id e{persistence::entity_kind::user, self->state.user};
    self->request(self->state.ctx->directory, timeout, caf::get_atom::value, e)
      .then(
        [=](caf::actor& ua) mutable {
          self->request(ua, timeout, xs...)
            .then([=](Result& r) mutable { ok(r); },
                  [=](caf::error& err) mutable { fail(err); });
        },
        [=](caf::error& err) mutable { fail(err); });
  };
  if (!st.user_actor) {
    via_directory();
    return;
  }
  self->request(st.user_actor, timeout, xs...)
    .then([=](Result& r) mutable { ok(r); },
          [=](caf::error& err) mutable {
            if (err == caf::sec::request_receiver_down)
              via_directory();
            else
              fail(err);
          });
}

/// Protocol validation of a conv id: 1-64 bytes.
bool valid_conv_id(std::string_view conv);

/// Reads the required `conv` field (1-64 bytes) into `conv`, or answers
/// bad_request and returns false.
bool need_conv(session_actor* self, const transport::request& req, opt_id id,
               std::string& conv);

/// The requests before login (session_login.cpp): hello, register, and
/// login (`resume` false) or resume (true), which attach the device to its
/// user actor and start the login replay.
void handle_hello(session_actor* self, const transport::request& req,
                  opt_id id);
void handle_register(session_actor* self, const transport::request& req,
                     opt_id id);
void handle_login(session_actor* self, const transport::request& req, opt_id id,
                  bool resume);

/// The conversation requests (session_requests.cpp). Each gets the request
/// after the session's checks (hello, authentication, rate limit).
void handle_send(session_actor* self, const transport::request& req, opt_id id);
void handle_ack(session_actor* self, const transport::request& req, opt_id id);
void handle_read(session_actor* self, const transport::request& req, opt_id id);
void handle_history(session_actor* self, const transport::request& req,
                    opt_id id);
void handle_convs(session_actor* self, const transport::request& req,
                  opt_id id);
void handle_receipts(session_actor* self, const transport::request& req,
                     opt_id id);
void handle_typing(session_actor* self, const transport::request& req,
                   opt_id id);

/// The group requests (session_groups.cpp).
void handle_group_create(session_actor* self, const transport::request& req,
                         opt_id id);
void handle_group_add(session_actor* self, const transport::request& req,
                      opt_id id);
void handle_group_remove(session_actor* self, const transport::request& req,
                         opt_id id);
void handle_group_leave(session_actor* self, const transport::request& req,
                        opt_id id);
void handle_group_info(session_actor* self, const transport::request& req,
                       opt_id id);

/// The presence requests (session_presence.cpp).
void handle_presence(session_actor* self, const transport::request& req,
                     opt_id id);
void handle_watch(session_actor* self, const transport::request& req,
                  opt_id id);
void handle_unwatch(session_actor* self, const transport::request& req,
                    opt_id id);
/// The test-only `fault` request (session_faults.cpp): served only with
/// cluster.conf's `fault_injection`; otherwise `unknown_type`, as for any
/// unknown request type (session_actor.cpp checks).
void handle_fault(session_actor* self, const transport::request& req,
                  opt_id id);

/// A monitored actor went down: true if it was a watched user's (which is
/// then registered with again).
bool on_watched_down(session_actor* self, const caf::actor_addr& who);
void rewatch(session_actor* self, const std::string& user);

/// Counts a request in flight (answered `overloaded` beyond the bound) until
/// end_request.
inline void begin_request(session_actor* self) {
  ++self->state.inflight;
}
inline void end_request(session_actor* self) {
  --self->state.inflight;
}

} // namespace parley::actors

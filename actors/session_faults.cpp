// The test-only `fault` request (protocol.md Part 2, "Fault injection"):
// hands a fault to an entity actor through the directory. Reached only when
// cluster.conf's [server] fault_injection is true (session_actor.cpp answers
// unknown_type otherwise).

#include "actors/session_state.hpp"
#include "runtime/fault.hpp"

namespace parley::actors {

using transport::request;

namespace {

/// The longest `delay` a client may ask for.
constexpr uint64_t max_delay_ms = 60000;

} // namespace

void handle_fault(session_actor* self, const request& req, opt_id id) {
  auto entity = req.get_string("entity");
  auto key = req.get_string("key");
  auto action = req.get_string("action");
  auto ms = req.get_uint("ms");
  if (!entity.ok() || (entity.value != "conv" && entity.value != "user")) {
    reply_err(self, id, errc::bad_request, "'entity' must be conv or user");
    return;
  }
  if (!key.ok() || key.value.empty() || key.value.size() > 64) {
    reply_err(self, id, errc::bad_request,
              "'key' must be a string of 1-64 bytes");
    return;
  }
  auto what =
    action.ok() ? runtime::fault_kind_from_string(action.value) : std::nullopt;
  if (!what) {
    reply_err(self, id, errc::bad_request,
              "'action' must be crash, delay or drop");
    return;
  }
  if (ms.wrong_type() || (ms.ok() && ms.value > max_delay_ms)) {
    reply_err(self, id, errc::bad_request,
              "'ms' must be an unsigned integer up to 60000");
    return;
  }
  runtime::fault f;
  f.what = *what;
  f.ms = std::chrono::milliseconds(ms.ok() ? ms.value : 0);
  runtime::entity_id e{entity.value == "conv" ? persistence::entity_kind::conv
                                              : persistence::entity_kind::user,
                       std::move(key.value)};
  auto& st = self->state;
  begin_request(self);
  self
    ->request(st.ctx->directory, st.ctx->settings.request_timeout,
              runtime::fault_atom::value, std::move(e), f)
    .then(
      [=](caf::ok_atom) {
        end_request(self);
        send_frame(self, transport::make_ok_frame(*id));
      },
      [=](caf::error& err) {
        end_request(self);
        reply_error(self, id, err);
      });
}

} // namespace parley::actors

#include "runtime/errors.hpp"

#include <caf/all.hpp>

#include "runtime/log.hpp"

namespace parley {

caf::error make_error(errc code, std::string text) {
  if (text.empty())
    return caf::error{static_cast<uint8_t>(code), errc_category};
  return caf::error{static_cast<uint8_t>(code), errc_category,
                    caf::make_message(std::move(text))};
}

errc errc_of(const caf::error& err) noexcept {
  if (err.category() == errc_category) {
    auto code = err.code();
    if (code >= static_cast<uint8_t>(errc::bad_frame)
        && code <= static_cast<uint8_t>(errc::internal))
      return static_cast<errc>(code);
    return errc::internal;
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_receiver_down:
      case caf::sec::request_timeout:
      case caf::sec::no_route_to_receiving_node:
      case caf::sec::remote_linking_failed:
      case caf::sec::cannot_connect_to_node:
        return errc::unavailable;
      default:
        break;
    }
  }
  return errc::internal;
}

std::string error_text(const caf::error& err) {
  if (err.category() == errc_category) {
    auto& ctx = err.context();
    if (ctx.match_elements<std::string>())
      return ctx.get_as<std::string>(0);
    return to_string(errc_of(err));
  }
  return caf::to_string(err);
}

caf::error log_exception(caf::scheduled_actor* self, std::exception_ptr& x) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(x);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    // keep "unknown exception"
  }
  log(log_level::error, std::string{self->name()} + " #"
                          + std::to_string(self->id()) + " threw: " + what);
  return make_error(errc::internal, what);
}

void install_standard_handlers(caf::scheduled_actor* self) {
  self->set_exception_handler(log_exception);
  self->set_default_handler(
    [](caf::scheduled_actor* self,
       caf::message_view& x) -> caf::result<caf::message> {
      log(log_level::warning,
          std::string{self->name()} + " #" + std::to_string(self->id())
            + " dropped an unexpected message: "
            + caf::to_string(x.content()));
      // A request gets an error; an asynchronous message gets nothing (CAF
      // suppresses the empty reply), so two actors never bounce errors.
      if (self->current_message_id().is_request())
        return caf::make_error(caf::sec::unexpected_message);
      return caf::message{};
    });
  self->set_error_handler([self](caf::error& err) {
    log(log_level::warning, std::string{self->name()} + " #"
                              + std::to_string(self->id())
                              + " ignored a stray error: "
                              + caf::to_string(err));
  });
}

} // namespace parley

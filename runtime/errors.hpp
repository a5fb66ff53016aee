#pragma once

#include <exception>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "transport/errc.hpp"

namespace parley {

/// The CAF error category of Parley's errc (travels across nodes as-is).
constexpr caf::atom_value errc_category = caf::atom("parley");

/// An actor-level error carrying a protocol error code and optional text.
caf::error make_error(errc code, std::string text = {});

/// The protocol code of an error an actor request failed with. Parley's own
/// codes map to themselves; a request to an actor that is gone, or a
/// timeout, is `unavailable` (the client may retry); anything else is
/// `internal`.
errc errc_of(const caf::error& err) noexcept;

/// The text attached by make_error, or a rendering of a foreign error.
std::string error_text(const caf::error& err);

/// An actor's exception handler: logs the exception's text and ends the
/// actor with an `internal` error carrying it (CAF would drop the text).
caf::error log_exception(caf::scheduled_actor* self, std::exception_ptr& x);

/// Installs the handlers every long-lived Parley actor runs with:
/// log_exception; a default handler that logs and drops an unexpected
/// message (CAF's print_and_drop writes to stdout and answers the sender
/// with an error, which kills a sender without an error handler); and an
/// error handler that logs a stray asynchronous error instead of quitting.
void install_standard_handlers(caf::scheduled_actor* self);

} // namespace parley

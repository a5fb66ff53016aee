#pragma once

#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

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

} // namespace parley

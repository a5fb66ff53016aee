#pragma once

#include <string_view>

namespace parley {

enum class log_level { info, warning, error };

/// Writes one line "<ISO time> <level> <text>" to stderr. Thread-safe (lines
/// never interleave); cheap enough for rare events, not for per-message use.
void log(log_level level, std::string_view text);

} // namespace parley

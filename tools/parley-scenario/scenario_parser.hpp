#pragma once

// Parses a scenario script into steps, checking each step's shape (verb,
// arguments, options) so that a bad script fails before anything runs.

#include <optional>
#include <string>
#include <vector>

#include "scenario_steps.hpp"

namespace parley::scenario {

/// Parses `text` (the script's contents; `file` names it in errors). On
/// error returns nothing and sets `error` to "file:line: message".
std::optional<std::vector<step>> parse_scenario(const std::string& text,
                                                const std::string& file,
                                                std::string& error);

/// Reads and parses the file at `path`.
std::optional<std::vector<step>> load_scenario(const std::string& path,
                                               std::string& error);

} // namespace parley::scenario

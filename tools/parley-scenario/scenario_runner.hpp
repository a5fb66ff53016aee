#pragma once

// Runs a parsed scenario: its steps in order, then the checker.

#include <ostream>
#include <string>
#include <vector>

#include "scenario_steps.hpp"
#include "scenario_world.hpp"

namespace parley::scenario {

struct run_result {
  bool passed = false;
  int steps = 0;          ///< Steps run (repeats counted).
  size_t acked = 0;       ///< Acknowledged sends the checker verified.
  size_t convs = 0;       ///< Conversations whose history it read.
  size_t violations = 0;
};

/// Runs `steps` (from `file`) on fresh nodes in a temporary folder (or
/// against opts.target_*), prints progress, the failure report or the
/// one-line summary to `out`.
run_result run_scenario(const std::vector<step>& steps, const std::string& file,
                        const run_options& opts, std::ostream& out);

} // namespace parley::scenario

#pragma once

// What a failed run prints: enough for a developer to act on.

#include <cstdint>
#include <string>
#include <vector>

#include "delivery_checker.hpp"
#include "scenario_steps.hpp"

namespace parley::scenario {

/// A failed step:
///
///     FAIL tests/scenarios/x.scn:12: bob/laptop expect msg seq=1
///       expected: msg seq=1 within 2000ms
///       got:      no msg push (0 other push(es) waiting)
///       last frames of bob/laptop (oldest first):
///         +12ms {"t":"synced"}
std::string format_step_failure(const step& s, const std::string& expected,
                                const std::string& got,
                                const std::string& device,
                                const std::vector<std::string>& frames);

/// The checker's findings, one line each, grouped by invariant.
std::string format_violations(const std::vector<violation>& found,
                              const std::vector<std::string>& problems);

} // namespace parley::scenario

#pragma once

// Reads, at the end of a run, the history of every conversation each
// scenario user belongs to, through a fresh device per user, for the
// checker.

#include <map>
#include <string>
#include <vector>

#include "delivery_checker.hpp"
#include "scenario_world.hpp"

namespace parley::scenario {

/// conv -> seq -> content, merged over every user's view. Stopped nodes are
/// started again first (the history must survive them). Conflicting views
/// and unreadable users are appended to `problems` (one line each).
std::map<std::string, std::map<uint64_t, msg_content>>
read_histories(scenario_world& w, std::vector<std::string>& problems);

} // namespace parley::scenario

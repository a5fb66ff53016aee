#pragma once

// The runner's step handlers, one family per file (private to the runner).
// Each throws step_failure when its step fails.

#include "scenario_steps.hpp"
#include "scenario_world.hpp"

namespace parley::scenario {

/// nodes, config, user, sleep (scenario_runner.cpp).
void run_setup_step(scenario_world& w, const step& s);
/// connect, resume, disconnect, vanish and every request (runner_requests.cpp).
void run_device_step(scenario_world& w, const step& s);
/// expect ... (runner_expect.cpp).
void run_expect_step(scenario_world& w, const step& s);
/// kill/delay/drop actor, restart/stop/start/kill node, cut/heal link,
/// delay node (runner_faults.cpp).
void run_fault_step(scenario_world& w, const step& s);
/// random sends (seeded_load.cpp).
void run_random_sends(scenario_world& w, const step& s);

/// Injects a fault into an entity (`conversation(a,b)`, `conv(NAME)`,
/// `user(NAME)`) on the node hosting it (runner_faults.cpp).
void inject_entity_fault(scenario_world& w, const std::string& entity,
                         const std::string& action,
                         std::chrono::milliseconds ms);

/// Checks a reply against the step's `-> ok|err ...` (default: `ok`) and
/// binds `as NAME` (runner_requests.cpp).
void check_reply(scenario_world& w, device& d, const step& s,
                 const json& reply);

/// The password the harness gives `user`.
std::string password_of(const std::string& user);

} // namespace parley::scenario

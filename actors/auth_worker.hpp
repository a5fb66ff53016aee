#pragma once

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"

namespace parley::actors {

/// Spawns a pool of `workers` detached actors that run the account store's
/// blocking calls (SQLite, argon2id hashing) off the scheduler's threads.
///
/// Protocol (round robin over the workers):
/// - `(register_atom, user, password)` -> std::string (the user) | error
/// - `(login_atom, user, password, device)` -> grant | error
/// - `(resume_atom, token, device)` -> grant | error
/// Errors carry protocol codes (bad_request, user_exists, auth_failed, ...).
caf::actor spawn_auth_pool(caf::actor_system& sys,
                           std::shared_ptr<persistence::account_store> accounts,
                           size_t workers);

} // namespace parley::actors

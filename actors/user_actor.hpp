#pragma once

#include "actors/node_context.hpp"
#include "runtime/entity_supervisor.hpp"

namespace parley::actors {

/// The factory the user supervisor uses to activate users.
///
/// A user actor owns one user's devices: their online sessions (monitored;
/// a session that ends takes its device offline), their delivery cursors,
/// and the user's index of conversations. It fans pushes out to the online
/// sessions. A user that has no account answers `no_such_user` to
/// everything and ends at once.
///
/// Protocol:
/// - `(attach_atom, device, session)` -> attach_info: the device is online
///   through `session` (a previous session of the same device is sent
///   `replaced_atom`); the reply lists every conversation with the device's
///   cursor.
/// - `push` (from conversations): forwarded to every online session.
/// - `(cursor_atom, device, conv, seq)`: moves the device's cursor forward
///   (stored; never backward).
/// - `(joined_atom, conv, type)` -> ok_atom once the index entry is durable.
/// - `(convs_atom)` -> std::vector<std::string>: the user's conversations.
runtime::entity_factory user_factory(node_context_ptr ctx);

} // namespace parley::actors

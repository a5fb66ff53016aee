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
/// - `(presence_atom)` -> presence_info.
/// - `(watch_atom, session)` -> presence_info: `session` is told of every
///   change of presence from now on (until unwatch or its end).
/// - `(unwatch_atom, session)`.
/// - `(shares_atom, users)` -> std::vector<std::string>: those of `users`
///   who share a conversation with this user (presence visibility).
///
/// Presence: online from the first attached device; when the last session
/// ends, last_seen is stored and offline is announced to watchers after
/// `presence_grace` unless a device attaches again meanwhile (flapping
/// costs nothing). An actor with watchers, sessions or a running grace is
/// not passivated.
runtime::entity_factory user_factory(node_context_ptr ctx);

} // namespace parley::actors

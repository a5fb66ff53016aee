#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/node_context.hpp"
#include "transport/gateway.hpp"

namespace parley::actors {

/// The gateway's handler factory: every accepted connection gets a session
/// actor (one per connected device) and a thin handler that hands its frames
/// to that actor with a non-blocking send. Sessions are not entities: they
/// live on the node whose gateway holds the connection.
///
/// A session answers every request of protocol.md's Session and
/// Conversations sections: it validates fields, enforces hello-first,
/// authentication, the rate limit and its in-flight bound, asks the
/// conversation and user actors (through the directory, with handles cached),
/// and after login/resume replays each conversation from the device's cursor,
/// then sends `synced`, keeping every conversation gapless and in order for
/// the device (delivery_tracker).
transport::handler_factory session_handler_factory(caf::actor_system& sys,
                                                   node_context_ptr ctx);

} // namespace parley::actors

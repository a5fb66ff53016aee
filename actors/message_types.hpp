#pragma once

#include <caf/fwd.hpp>

namespace parley::actors {

/// Registers every type that travels between Parley's actors (actors/
/// messages.hpp, runtime's entity_id and fault, persistence's records and
/// kv_batch) with `cfg`. Every node and every test that runs actors calls
/// it: CAF delivers an unregistered type to a remote node as an empty
/// message.
void register_message_types(caf::actor_system_config& cfg);

} // namespace parley::actors

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/atom.hpp>

namespace parley::runtime {

/// `(fault_atom, ...)`: hands a fault to an entity (see entity_actor.hpp).
using fault_atom = caf::atom_constant<caf::atom("fault")>;

/// A fault to inject into one entity actor: the test seam of supervision
/// (cluster.conf [server] `fault_injection`, off by default).
///
/// - `crash`: the actor ends at once with an error, as a real crash would:
///   requests it holds (e.g. posts waiting for their write) are never
///   answered, requests still in its mailbox are answered
///   `request_receiver_down`, and its supervisor counts a crash.
/// - `delay`: the actor handles no new message for `ms` (answers to its own
///   earlier requests, such as write confirmations, still come in).
/// - `drop`: the next message another actor sends it is discarded unread (a
///   request among them is never answered; a fault among them too).
struct fault {
  enum class kind : uint8_t { crash, delay, drop };
  kind what = kind::crash;
  std::chrono::milliseconds ms{0}; ///< For `delay`.
};

template <class Inspector>
auto inspect(Inspector& f, fault& x) {
  return f(x.what, x.ms);
}

/// "crash", "delay", "drop".
const char* to_string(fault::kind k) noexcept;

/// The kind named `name` ("crash", "delay", "drop"), if any.
std::optional<fault::kind> fault_kind_from_string(std::string_view name);

/// "crash", "delay 200ms", "drop" (logs).
std::string to_string(const fault& f);

} // namespace parley::runtime

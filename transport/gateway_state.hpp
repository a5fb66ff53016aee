#pragma once

// Private to the gateway's sources: includes Asio. Not part of the public API.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/io_context.hpp>

#include "transport/gateway.hpp"

namespace parley::transport {

class tcp_connection;

/// What the gateway and all of its connections share. Owned jointly (by
/// `shared_ptr`) by the gateway and every `tcp_connection`, so a connection
/// object (and the io_context its socket, timers and strand belong to) stays
/// valid for as long as anybody, e.g. a CAF actor, holds a pointer to it.
///
/// Thread-safety: `config` and `factory` are immutable after construction;
/// counters are atomics; the registry and `stopping` are guarded by `mutex`.
struct gateway_state {
  gateway_state(gateway_config cfg, handler_factory fac)
    : ioc(cfg.threads > 1 ? static_cast<int>(cfg.threads) : 1),
      config(std::move(cfg)),
      factory(std::move(fac)) {
    // nop
  }

  // Declared first: destroyed last, after everything bound to it.
  boost::asio::io_context ioc;

  const gateway_config config;
  const handler_factory factory;

  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> frames_in{0};
  std::atomic<uint64_t> frames_out{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> bytes_out{0};

  /// Connections with a handler whose `on_closed` has not run yet.
  std::atomic<size_t> open_count{0};

  std::mutex mutex;
  /// Set once by `gateway::stop`; new connections are then dropped at once.
  bool stopping = false;
  /// Every connection whose socket is still open (closing ones included).
  std::unordered_map<uint64_t, std::shared_ptr<tcp_connection>> registry;

  /// Removes `id` from the registry. Any thread.
  void unregister(uint64_t id) {
    std::shared_ptr<tcp_connection> victim; // destroyed outside the lock
    std::lock_guard<std::mutex> guard{mutex};
    auto i = registry.find(id);
    if (i != registry.end()) {
      victim = std::move(i->second);
      registry.erase(i);
    }
  }
};

} // namespace parley::transport

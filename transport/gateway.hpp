#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "transport/frame_codec.hpp"
#include "transport/request.hpp"

namespace parley::transport {

/// Settings of the TCP framing gateway (all from cluster.conf / flags).
struct gateway_config {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                 ///< 0 picks a free port.
  uint32_t max_frame = default_max_frame;
  size_t max_output = 1 << 20;       ///< Unsent bytes before `slow_consumer`.
  std::chrono::milliseconds heartbeat{30000}; ///< heartbeat_s; idle after 2x.
  unsigned threads = 1;              ///< Asio threads.
  size_t max_connections = 19000;    ///< Beyond: accept, `bye` overloaded, close.
  /// How long a closing connection waits for its last frames (and `bye`) to
  /// be written before the socket is closed anyway.
  std::chrono::milliseconds close_grace{2000};
};

/// Counters of one gateway since construction (monotonic, approximate while
/// traffic flows). `writes` counts socket write operations: with write
/// coalescing it grows much slower than `frames_out` under load.
struct gateway_stats {
  uint64_t accepted = 0;   ///< Connections handed to a handler.
  uint64_t rejected = 0;   ///< Connections refused with `bye overloaded`.
  uint64_t frames_in = 0;  ///< Frames delivered to `on_request`.
  uint64_t frames_out = 0; ///< Frames queued by `send` (bye/err included).
  uint64_t writes = 0;     ///< Async writes started.
  uint64_t bytes_out = 0;  ///< Bytes written to sockets.
};

/// One client connection, as the domain sees it.
///
/// Thread-safety: every member may be called from any thread (CAF workers
/// included) and never blocks on the socket. Frames passed to `send` are
/// written in call order and coalesced into few writes.
class connection {
public:
  virtual ~connection();

  /// Queues one whole frame (length prefix included). If the unsent output
  /// would exceed `max_output`, the frame is dropped and the connection is
  /// closed with `bye slow_consumer` instead.
  virtual void send(std::string frame) = 0;

  /// Queues `last_frames` (may be empty), then `bye` with `code`/`text`, then
  /// closes once they are written (or after a short grace time). Idempotent.
  virtual void close_with(std::string last_frames, std::string_view code,
                          std::string_view text) = 0;

  /// Closes at once, discarding unsent output. Idempotent.
  virtual void close() = 0;

  /// A process-unique number for logs and maps.
  virtual uint64_t id() const noexcept = 0;

  /// Bytes queued but not yet written (approximate, for metrics).
  virtual size_t unsent_bytes() const noexcept = 0;
};

/// What the domain hangs on a connection: one per connection, made by the
/// gateway's `handler_factory` when the connection is accepted.
///
/// Contract: `on_request` is called on the connection's own strand, one frame
/// at a time, in arrival order, with frames that passed framing (a map with a
/// string `t`); framing errors never reach it (the gateway answers them with
/// `err` + `bye` and closes). `on_closed` is called exactly once, last, on the
/// same strand, whatever ended the connection. Both must return quickly and
/// must never block on an actor (use a non-blocking send).
class connection_handler {
public:
  virtual ~connection_handler();
  virtual void on_request(request req) = 0;
  virtual void on_closed(std::string_view reason) = 0;
};

using handler_factory = std::function<std::unique_ptr<connection_handler>(
  std::shared_ptr<connection>)>;

/// The Asio TCP server: accepts, frames, enforces max_frame, heartbeats
/// (closes with `bye idle` after 2 * heartbeat without a frame) and the
/// output bound. Owns its io threads.
class gateway {
public:
  /// Binds and listens. Throws std::system_error (e.g. address in use).
  gateway(gateway_config config, handler_factory factory);
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  /// The bound port (the real one when 0 was asked for).
  uint16_t port() const noexcept;

  /// Starts the io threads; returns at once.
  void start();

  /// Sends `bye shutdown` to every connection, closes them, stops accepting
  /// and joins the io threads. Idempotent; called by the destructor.
  void stop();

  /// As stop(), but every connection is closed at once, without `bye` and
  /// without flushing what is queued: what clients see when the process
  /// crashes (tests: the harness's `kill node`).
  void abort();

  /// Connections whose `on_closed` has not been called yet.
  size_t connection_count() const noexcept;

  /// A snapshot of the counters; callable from any thread.
  gateway_stats stats() const noexcept;

private:
  /// stop() (abort = false) and abort() (true).
  void shut_down(bool abort);

  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace parley::transport

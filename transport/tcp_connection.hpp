#pragma once

// Private to the gateway's sources: includes Asio. Not part of the public API.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "transport/frame_codec.hpp"
#include "transport/gateway.hpp"
#include "transport/gateway_state.hpp"

namespace parley::transport {

/// One accepted TCP connection of the gateway: reads and frames its input,
/// hands requests to its `connection_handler`, writes its output coalesced.
///
/// Life cycle (phase_): open -> closing -> closed.
///  - open: frames are delivered, `send` queues output.
///  - closing: a last batch of frames ending with `bye` is being flushed;
///    `send` is a no-op and input is discarded. Once flushed (or when
///    `close_grace` passes) the handler gets `on_closed`, the write side is
///    shut down and the socket lingers, discarding input, until the peer
///    closes or `close_grace` passes again; then it is closed.
///  - closed: the socket is closed (or about to be); everything is a no-op.
///
/// Threading: the public `connection` members may be called from any thread;
/// they only touch the output state under `out_mutex_` and post to the
/// strand. Everything else (socket, timers, decoder, handler) is touched only
/// on `strand_`. Every asynchronous operation holds a `shared_ptr` to the
/// connection, so it stays valid until its last completion handler ran.
class tcp_connection final : public connection,
                             public std::enable_shared_from_this<tcp_connection> {
public:
  using tcp = boost::asio::ip::tcp;
  using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;
  using clock = std::chrono::steady_clock;

  tcp_connection(std::shared_ptr<gateway_state> state, tcp::socket socket);
  ~tcp_connection() override;

  // -- connection (any thread) ------------------------------------------------

  void send(std::string frame) override;
  void close_with(std::string last_frames, std::string_view code,
                  std::string_view text) override;
  void close() override;
  uint64_t id() const noexcept override { return id_; }
  size_t unsent_bytes() const noexcept override;

  // -- for the gateway ---------------------------------------------------------

  /// Posts the connection's start to its strand: registers it, then either
  /// makes its handler (through the factory) and starts reading, or, beyond
  /// `max_connections`, answers `bye overloaded` and closes. Called once, by
  /// the accept handler.
  void start();

  /// Posted by `gateway::stop`: `bye shutdown` to an open connection, and an
  /// immediate close of one that only lingers. Any thread.
  void shut_down();

  /// Posted by `gateway::abort`: closes at once, no `bye`, nothing more
  /// written (its handler is told `shutdown`). Any thread.
  void abort();

private:
  enum phase_type : int { open, closing, closed };

  // All of the following run on strand_ only.
  void on_start();
  void wait_readable();
  void on_readable(const boost::system::error_code& ec);
  void on_bytes(const char* data, size_t size);
  void framing_error(errc code, std::string_view text);
  void do_write();
  void on_written(const boost::system::error_code& ec, size_t bytes);
  void on_flushed();
  /// Sets the heartbeat timer for the moment the silence since the last
  /// frame reaches 2 x heartbeat; on_heartbeat closes the connection
  /// (`bye idle`) if no frame came meanwhile, else sets it again.
  void arm_heartbeat();
  void on_heartbeat(const boost::system::error_code& ec);
  void arm_close_timer(std::chrono::milliseconds after);
  /// Ends at once: reason is kept if the connection was already closing.
  void fail(const char* reason);
  /// Calls on_closed (once) and destroys the handler.
  void notify_closed();
  /// Closes the socket (once), cancels the timers, leaves the registry.
  void close_socket();

  /// Leaves `open` for `closing`: queues `frames` + `bye` after the pending
  /// output (or instead of it when `drop_pending`), then posts the start of
  /// the flush. Requires out_mutex_ held (by `lock`) and phase_ == open;
  /// releases the lock.
  void begin_close(std::unique_lock<std::mutex>& lock, std::string_view frames,
                   std::string_view bye_code, std::string_view bye_text,
                   const char* reason, bool drop_pending);

  // Declared first so it is destroyed last: owns the io_context.
  std::shared_ptr<gateway_state> state_;
  const uint64_t id_;

  // -- strand_ only ------------------------------------------------------------
  strand_type strand_;
  tcp::socket socket_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer close_timer_;
  uint64_t close_timer_gen_ = 0; // ignores stale expiries after re-arming
  std::unique_ptr<connection_handler> handler_;
  frame_decoder decoder_;
  std::string payload_;   // reused for every input frame
  std::string writing_;   // the bytes of the write in flight
  clock::time_point last_frame_;
  bool counted_ = false;  // counts in state_->open_count
  bool notified_ = false; // on_closed ran
  bool socket_closed_ = false;
  bool lingering_ = false;

  // -- guarded by out_mutex_ -----------------------------------------------------
  mutable std::mutex out_mutex_;
  std::string pending_;          // queued, not yet handed to a write
  size_t in_flight_bytes_ = 0;   // writing_.size() while a write is in flight
  bool write_scheduled_ = false; // a do_write is posted or a write in flight
  const char* reason_ = "closed";
  /// Written under out_mutex_, read anywhere (the strand polls it between
  /// frames so that no request is delivered after a close).
  std::atomic<int> phase_{open};
};

} // namespace parley::transport

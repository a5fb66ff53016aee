#include "transport/tcp_connection.hpp"

#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "transport/frame_builder.hpp"
#include "transport/request.hpp"

namespace parley::transport {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

std::atomic<uint64_t> next_connection_id{1};

/// Bytes read per read_some into the io thread's buffer.
constexpr size_t read_chunk = 64 * 1024;

/// Reads per readiness notification before yielding to other connections.
constexpr int max_reads_per_wakeup = 4;

/// Write buffers larger than this are released after use, so a burst does not
/// pin memory on an idle connection.
constexpr size_t keep_capacity = 64 * 1024;

/// The io thread's read buffer: input is read here and copied into the
/// decoder, so an idle connection holds no read buffer of its own.
char* thread_read_buffer() {
  thread_local std::unique_ptr<char[]> buffer{new char[read_chunk]};
  return buffer.get();
}

constexpr auto relaxed = std::memory_order_relaxed;

} // namespace

tcp_connection::tcp_connection(std::shared_ptr<gateway_state> state,
                               tcp::socket socket)
  : state_(std::move(state)),
    id_(next_connection_id.fetch_add(1, relaxed)),
    strand_(asio::make_strand(state_->ioc)),
    socket_(std::move(socket)),
    heartbeat_timer_(state_->ioc),
    close_timer_(state_->ioc),
    decoder_(state_->config.max_frame) {
  // nop
}

tcp_connection::~tcp_connection() {
  // nop: the socket closes itself; state_ (and so the io_context) goes last.
}

// -- connection (any thread) --------------------------------------------------

void tcp_connection::send(std::string frame) {
  if (frame.empty())
    return;
  std::unique_lock<std::mutex> lock{out_mutex_};
  if (phase_.load(relaxed) != open)
    return; // closing or closed: a no-op by contract
  if (pending_.size() + in_flight_bytes_ + frame.size()
      > state_->config.max_output) {
    begin_close(lock, {}, "slow_consumer", "unsent output exceeds the bound",
                "slow_consumer", true);
    return;
  }
  if (pending_.empty() && pending_.capacity() < frame.size())
    pending_.swap(frame); // no copy for a lone frame
  else
    pending_.append(frame);
  state_->frames_out.fetch_add(1, relaxed);
  if (write_scheduled_)
    return; // coalesced into the next write
  write_scheduled_ = true;
  lock.unlock();
  asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
}

void tcp_connection::close_with(std::string last_frames, std::string_view code,
                                std::string_view text) {
  std::unique_lock<std::mutex> lock{out_mutex_};
  if (phase_.load(relaxed) != open)
    return;
  begin_close(lock, last_frames, code, text, "closed", false);
}

void tcp_connection::close() {
  std::unique_lock<std::mutex> lock{out_mutex_};
  auto phase = phase_.load(relaxed);
  if (phase == closed)
    return;
  if (phase == open)
    reason_ = "closed";
  phase_.store(closed);
  pending_.clear();
  // A write in flight is abandoned too (close_socket cancels it): nothing
  // is unsent any more, even before the strand gets there.
  in_flight_bytes_ = 0;
  lock.unlock();
  asio::post(strand_, [self = shared_from_this()] {
    self->notify_closed();
    self->close_socket();
  });
}

size_t tcp_connection::unsent_bytes() const noexcept {
  std::lock_guard<std::mutex> guard{out_mutex_};
  return pending_.size() + in_flight_bytes_;
}

void tcp_connection::begin_close(std::unique_lock<std::mutex>& lock,
                                 std::string_view frames,
                                 std::string_view bye_code,
                                 std::string_view bye_text, const char* reason,
                                 bool drop_pending) {
  phase_.store(closing);
  reason_ = reason;
  if (drop_pending)
    pending_.clear();
  pending_.append(frames);
  pending_.append(make_bye_frame(bye_code, bye_text));
  state_->frames_out.fetch_add(frames.empty() ? 1 : 2, relaxed);
  bool start_write = !write_scheduled_;
  write_scheduled_ = true;
  lock.unlock();
  asio::post(strand_, [self = shared_from_this(), start_write] {
    self->arm_close_timer(self->state_->config.close_grace);
    if (start_write)
      self->do_write();
  });
}

// -- for the gateway ------------------------------------------------------------

void tcp_connection::start() {
  asio::post(strand_, [self = shared_from_this()] { self->on_start(); });
}

void tcp_connection::shut_down() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->socket_closed_)
      return;
    std::unique_lock<std::mutex> lock{self->out_mutex_};
    if (self->phase_.load(relaxed) == open) {
      self->begin_close(lock, {}, "shutdown", "server shutting down",
                        "shutdown", false);
      return;
    }
    lock.unlock();
    // A closing connection closes as soon as its bye is written (or its grace
    // time passes); a lingering one closes now.
    if (self->lingering_)
      self->close_socket();
  });
}

void tcp_connection::abort() {
  asio::post(strand_, [self = shared_from_this()] {
    if (!self->socket_closed_)
      self->fail("shutdown");
  });
}

// -- strand_ only ------------------------------------------------------------------

void tcp_connection::on_start() {
  bool stopping = false;
  bool reject = false;
  {
    std::lock_guard<std::mutex> guard{state_->mutex};
    stopping = state_->stopping;
    if (!stopping) {
      state_->registry.emplace(id_, shared_from_this());
      if (state_->open_count.load() >= state_->config.max_connections) {
        reject = true;
      } else {
        state_->open_count.fetch_add(1);
        counted_ = true;
      }
    }
  }
  if (stopping) {
    close_socket();
    return;
  }
  error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  if (!ec)
    socket_.non_blocking(true, ec);
  if (ec) {
    fail("error");
    return;
  }
  last_frame_ = clock::now();
  if (reject) {
    state_->rejected.fetch_add(1, relaxed);
    std::unique_lock<std::mutex> lock{out_mutex_};
    begin_close(lock, {}, "overloaded", "too many connections", "overloaded",
                false);
    wait_readable();
    return;
  }
  try {
    handler_ = state_->factory(shared_from_this());
  } catch (...) {
    handler_.reset();
  }
  if (!handler_) {
    fail("error");
    return;
  }
  state_->accepted.fetch_add(1, relaxed);
  arm_heartbeat();
  wait_readable();
}

void tcp_connection::wait_readable() {
  socket_.async_wait(tcp::socket::wait_read,
                     asio::bind_executor(strand_,
                                         [self = shared_from_this()](
                                           const error_code& ec) {
                                           self->on_readable(ec);
                                         }));
}

void tcp_connection::on_readable(const error_code& ec) {
  if (socket_closed_)
    return;
  if (ec) {
    fail("error");
    return;
  }
  char* buffer = thread_read_buffer();
  for (int round = 0; round < max_reads_per_wakeup; ++round) {
    error_code read_ec;
    size_t n = socket_.read_some(asio::buffer(buffer, read_chunk), read_ec);
    if (read_ec == asio::error::would_block
        || read_ec == asio::error::try_again)
      break;
    if (read_ec) {
      if (lingering_)
        close_socket(); // the peer saw our bye and closed: done
      else
        fail(read_ec == asio::error::eof ? "peer_closed" : "error");
      return;
    }
    on_bytes(buffer, n);
    if (socket_closed_)
      return;
    if (n < read_chunk)
      break;
  }
  wait_readable();
}

void tcp_connection::on_bytes(const char* data, size_t size) {
  if (phase_.load() != open)
    return; // closing: input is discarded
  decoder_.feed(data, size);
  bool got_frame = false;
  while (phase_.load() == open) {
    auto st = decoder_.next(payload_);
    if (st == frame_decoder::status::need_more)
      break;
    if (st == frame_decoder::status::error) {
      auto code = decoder_.error_code();
      framing_error(code, code == errc::too_large
                            ? "frame length exceeds max_frame ("
                                + std::to_string(state_->config.max_frame)
                                + " bytes)"
                            : std::string{"frame length must be at least 1"});
      break;
    }
    auto req = request::parse(payload_);
    if (!req) {
      framing_error(errc::bad_frame,
                    "payload is not one MessagePack map with a string 't'");
      break;
    }
    got_frame = true;
    state_->frames_in.fetch_add(1, relaxed);
    try {
      handler_->on_request(std::move(*req));
    } catch (...) {
      fail("error");
      return;
    }
  }
  if (got_frame)
    last_frame_ = clock::now();
}

void tcp_connection::framing_error(errc code, std::string_view text) {
  std::unique_lock<std::mutex> lock{out_mutex_};
  if (phase_.load(relaxed) != open)
    return;
  auto err = make_err_frame(nullptr, code, text);
  begin_close(lock, err, to_string(code), text, to_string(code), false);
}

void tcp_connection::do_write() {
  if (socket_closed_)
    return;
  bool flushed = false;
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    if (pending_.empty()) {
      write_scheduled_ = false;
      in_flight_bytes_ = 0;
      flushed = phase_.load(relaxed) == closing;
    } else {
      writing_.swap(pending_); // writing_ is empty here
      in_flight_bytes_ = writing_.size();
    }
  }
  if (writing_.empty()) {
    if (flushed)
      on_flushed();
    return;
  }
  state_->writes.fetch_add(1, relaxed);
  asio::async_write(socket_, asio::buffer(writing_),
                    asio::bind_executor(strand_,
                                        [self = shared_from_this()](
                                          const error_code& ec, size_t n) {
                                          self->on_written(ec, n);
                                        }));
}

void tcp_connection::on_written(const error_code& ec, size_t bytes) {
  if (socket_closed_) {
    std::string{}.swap(writing_); // the write is over: release its buffer
    return;
  }
  if (ec) {
    fail("error");
    return;
  }
  state_->bytes_out.fetch_add(bytes, relaxed);
  writing_.clear();
  if (writing_.capacity() > keep_capacity)
    std::string{}.swap(writing_);
  do_write();
}

void tcp_connection::on_flushed() {
  if (socket_closed_ || lingering_)
    return;
  notify_closed();
  bool stopping;
  {
    std::lock_guard<std::mutex> guard{state_->mutex};
    stopping = state_->stopping;
  }
  // Half-close, then drain input until the peer closes: closing a socket
  // with unread input resets the connection and may destroy our bye.
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (stopping || ec) {
    close_socket();
    return;
  }
  lingering_ = true;
  arm_close_timer(state_->config.close_grace);
}

void tcp_connection::arm_heartbeat() {
  auto period = state_->config.heartbeat;
  if (period.count() <= 0)
    return;
  // Due when the silence would reach 2 x heartbeat: a dead peer is noticed
  // right then, and a live one costs one wake-up per 2 x heartbeat.
  heartbeat_timer_.expires_at(last_frame_ + 2 * period);
  heartbeat_timer_.async_wait(asio::bind_executor(
    strand_, [self = shared_from_this()](const error_code& ec) {
      self->on_heartbeat(ec);
    }));
}

void tcp_connection::on_heartbeat(const error_code& ec) {
  if (ec || socket_closed_ || phase_.load() != open)
    return;
  if (clock::now() - last_frame_ >= 2 * state_->config.heartbeat) {
    std::unique_lock<std::mutex> lock{out_mutex_};
    if (phase_.load(relaxed) == open)
      begin_close(lock, {}, "idle", "no frame for 2 * heartbeat", "idle",
                  false);
    return;
  }
  arm_heartbeat();
}

void tcp_connection::arm_close_timer(std::chrono::milliseconds after) {
  if (socket_closed_)
    return;
  auto gen = ++close_timer_gen_;
  close_timer_.expires_after(after);
  close_timer_.async_wait(asio::bind_executor(
    strand_, [self = shared_from_this(), gen](const error_code& ec) {
      if (ec || gen != self->close_timer_gen_ || self->socket_closed_)
        return;
      self->notify_closed(); // the peer did not take our last frames
      self->close_socket();
    }));
}

void tcp_connection::fail(const char* reason) {
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    if (phase_.load(relaxed) == open)
      reason_ = reason;
    phase_.store(closed);
    pending_.clear();
  }
  notify_closed();
  close_socket();
}

void tcp_connection::notify_closed() {
  if (notified_)
    return;
  notified_ = true;
  const char* reason;
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    reason = reason_;
  }
  if (counted_) {
    counted_ = false;
    state_->open_count.fetch_sub(1);
  }
  if (handler_) {
    try {
      handler_->on_closed(reason);
    } catch (...) {
      // nop: the connection is gone either way
    }
    handler_.reset(); // may drop the handler's pointer to us; self keeps us
  }
}

void tcp_connection::close_socket() {
  if (socket_closed_)
    return;
  socket_closed_ = true;
  lingering_ = false;
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    phase_.store(closed);
    std::string{}.swap(pending_);
    in_flight_bytes_ = 0; // a write in flight is cancelled, never resumed
  }
  heartbeat_timer_.cancel();
  close_timer_.cancel();
  error_code ec;
  socket_.close(ec);
  decoder_ = frame_decoder{1}; // releases a partial frame
  std::string{}.swap(payload_);
  state_->unregister(id_);
}

} // namespace parley::transport

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "wire.hpp"

namespace parley::bench {

class bench_worker;

/// One simulated user: one TCP connection to the gateway, driven by its
/// worker's io_context (all methods and handlers run on that one thread).
///
/// Life: connect() -> hello -> (register_batch() | login()) -> sends to the
/// partner and receives the partner's messages -> close(). Counters and
/// samples go to the worker. The object must outlive every handler: the
/// worker stops its io_context before it destroys clients.
class bench_client {
public:
  bench_client(bench_worker& worker, std::string user, std::string partner);

  bench_client(const bench_client&) = delete;
  bench_client& operator=(const bench_client&) = delete;

  /// Connects (from `local`, a loopback address, when given) and says
  /// hello; the worker hears of it through on_connect_done.
  void connect(const boost::asio::ip::tcp::endpoint& server,
               const std::optional<boost::asio::ip::address>& local);

  /// Registers `users` on this one connection, `window` requests in flight.
  void register_batch(std::vector<std::string> users, uint32_t window);

  /// Logs this client's user in; the worker hears of it through
  /// on_login_done.
  void login();

  /// Sends one message to the partner (timestamped body).
  void send_message();

  /// Sends a ping (keeps an idle connection alive).
  void ping();

  void close();

  bool online() const noexcept {
    return state_ == state::online;
  }
  uint32_t outstanding() const noexcept {
    return outstanding_;
  }

private:
  enum class state {
    idle,
    connecting,
    hello,
    ready,
    logging_in,
    online,
    closed
  };

  void read_more();
  void on_bytes();
  void on_frame(const incoming& in);
  void on_reply(const incoming& in);
  void next_register();
  void flush();
  void fail(const char* why);

  bench_worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  std::string user_;
  std::string partner_;
  state state_ = state::idle;
  uint32_t serial_ = 0;
  uint32_t outstanding_ = 0; ///< Sends without reply.
  uint64_t cmid_counter_ = 0;
  uint64_t ack_seq_ = 0;   ///< Highest seq received...
  uint64_t acked_seq_ = 0; ///< ...and the highest acked.
  std::string conv_;       ///< The conv of the partner's messages.
  std::vector<char> in_;
  size_t in_size_ = 0;
  std::string out_;     ///< Frames waiting for the current write.
  std::string writing_; ///< Frames being written.
  bool write_busy_ = false;
  std::vector<std::string> to_register_;
  size_t register_next_ = 0;
  uint32_t register_inflight_ = 0;
};

} // namespace parley::bench

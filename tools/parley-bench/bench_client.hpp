#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "user_record.hpp"
#include "wire.hpp"

namespace parley::bench {

class bench_worker;
class group_tracker;

/// One simulated user: one TCP connection to the gateway, driven by its
/// worker's io_context (all methods and handlers run on that one thread).
///
/// Life: connect() -> hello -> (register_batch() | login()) -> sends to its
/// target (the partner, or its group once created) and receives the
/// others' messages, acking them unless the settings say not to ->
/// close() (or disappear()). Counters and samples go to the worker. The
/// object must outlive every handler: the worker stops its io_context
/// before it destroys clients. Each client is in one conversation (its
/// pair's or its group's). Once hello is answered it pings about every half
/// of the server's heartbeat when it has nothing else to write
/// (keep_alive()).
class bench_client {
public:
  /// `partner`: the user to send to; empty for a group member (see
  /// join_group).
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

  /// Makes this client a member of `group` (tracked there); it sends into
  /// the group once set_conv() names it, and only if `sender`.
  void join_group(group_tracker& group, bool sender);
  /// Sends from now on into `conv`.
  void set_conv(std::string conv);
  /// Creates the group (this client's user becomes its owner); the worker
  /// hears of it through on_group_created.
  void create_group(std::string_view name,
                    const std::vector<std::string>& members);

  /// Sends one message to the target (timestamped body).
  void send_message();

  /// Sends a ping (keeps an idle connection alive).
  void ping();
  /// Pings about once per half the heartbeat_s the server announced in
  /// its hello reply, if nothing else was written meanwhile, at a phase of
  /// its own (`now_ns`: worker_.now_ns(); called every keep-alive tick).
  void keep_alive(uint64_t now_ns);

  void close();

  // -- entities scenario (user_record.hpp) ------------------------------------

  /// Before passivation: this user's send (its ok) and the partner's
  /// message pushed to it are written into `mine`.
  void record_into(user_record& mine);
  /// After passivation (logged in again): asks the pair conversation's
  /// `history` below seq 3 (the partner's check may be writing seq 3),
  /// checks it against both records (check_history), then sends
  /// one more message to the partner, whose seq must follow the two (3 or
  /// 4: the partner sends one too). The worker hears of the verdict through
  /// on_check_done. Both records must outlive the client.
  void check_history(const user_record& mine, const user_record& theirs);

  // -- presence scenario ------------------------------------------------------

  /// Presence pushes about the partner received so far.
  struct presence_log {
    uint32_t online = 0;  ///< Pushes saying online (the watch's first one).
    uint32_t offline = 0; ///< Pushes saying offline.
    uint64_t first_offline_ns = 0; ///< Arrival of the first offline push.
  };

  /// Watches the partner (`watch`); its pushes go to presence().
  void watch_partner();
  /// The device disappears. `clean`: it closes the connection. Else it
  /// vanishes: one last ping, and once that is written it neither reads
  /// nor writes again, the socket kept open (the server must notice the
  /// silence) until close().
  void disappear(bool clean);
  /// When disappear() took effect (the close, or the last frame written),
  /// in ns since the epoch; 0 before.
  uint64_t gone_ns() const noexcept {
    return gone_ns_;
  }
  const presence_log& presence() const noexcept {
    return presence_;
  }

  bool online() const noexcept {
    return state_ == state::online;
  }
  uint32_t outstanding() const noexcept {
    return outstanding_;
  }
  /// Whether the traffic phase makes this client send.
  bool sender() const noexcept {
    return sender_;
  }
  group_tracker* group() const noexcept {
    return group_;
  }
  const std::string& user() const noexcept {
    return user_;
  }

private:
  enum class state {
    idle,
    connecting,
    hello,
    ready,
    logging_in,
    online,
    vanished, ///< disappear(false) took effect: no reads, no writes.
    closed
  };

  /// What this client's sends and pushes are recorded or checked against.
  enum class track_mode { off, record, verify };

  /// Closed or vanished: handlers of its socket do nothing more.
  bool silent() const noexcept {
    return state_ == state::closed || state_ == state::vanished;
  }

  void read_more();
  void on_bytes();
  void on_frame(const incoming& in);
  void on_reply(const incoming& in);
  void on_msg(const incoming& in);
  void next_register();
  void flush();
  /// Acks the highest seq received, now or (ack_delay) when the timer
  /// fires.
  void maybe_ack();
  void send_ack();
  void fail(const char* why);
  // bench_client_checks.cpp
  void on_history(const incoming& in, bool ok);
  void on_send_result(const incoming& in, bool ok);
  void on_presence(const incoming& in);
  void end_check(const std::string& problem);
  void vanish_now();

  bench_worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  std::string user_;
  std::string target_; ///< The partner, or the group's conv.
  send_target target_kind_ = send_target::user;
  bool sender_ = true;
  group_tracker* group_ = nullptr;
  state state_ = state::idle;
  uint32_t serial_ = 0;
  uint32_t outstanding_ = 0; ///< Sends without reply.
  uint64_t cmid_counter_ = 0;
  uint64_t ack_seq_ = 0;   ///< Highest seq received...
  uint64_t acked_seq_ = 0; ///< ...and the highest acked.
  std::string conv_;       ///< The conv of the messages received.
  boost::asio::steady_timer ack_timer_;
  bool ack_timer_armed_ = false;
  std::vector<char> in_;
  size_t in_size_ = 0;
  std::string out_;     ///< Frames waiting for the current write.
  std::string writing_; ///< Frames being written.
  bool write_busy_ = false;
  std::vector<std::string> to_register_;
  size_t register_next_ = 0;
  uint32_t register_inflight_ = 0;
  uint64_t heartbeat_ns_ = 0;   ///< From the hello reply; 0: no pings.
  uint64_t last_write_ns_ = 0;  ///< When the last write started.
  uint64_t ping_slot_ = 0;      ///< keep_alive's last half heartbeat...
  uint64_t ping_phase_ = 0;     ///< ...whose start this shifts.
  track_mode track_ = track_mode::off;
  user_record* record_ = nullptr;         ///< track_ record: written.
  const user_record* mine_ = nullptr;     ///< track_ verify: checked...
  const user_record* theirs_ = nullptr;   ///< ...against both.
  bool vanishing_ = false; ///< disappear(false) waits for its last write.
  uint64_t gone_ns_ = 0;
  presence_log presence_;
};

} // namespace parley::bench

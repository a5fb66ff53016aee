#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench_client.hpp"
#include "bench_stats.hpp"
#include "group_tracker.hpp"

namespace parley::bench {

/// Settings every client reads; fixed before the workers start.
struct bench_settings {
  std::string password = "bench-password-1";
  std::string run_tag; ///< Makes cmids unique across runs.
  size_t body_size = 100;
  uint32_t window = 2;           ///< Flat out: sends in flight per client.
  uint32_t max_outstanding = 64; ///< Paced: skip a client with this many.
  bool ack = true;               ///< Ack received messages (receipts flow).
  /// 0: one cumulative ack per read that brought messages; else at most
  /// one per this interval per client (what a client that batches does).
  std::chrono::milliseconds ack_delay{0};
  std::chrono::steady_clock::time_point epoch; ///< Zero of all timestamps.
};

/// One thread with its own io_context and the clients it drives. The main
/// thread talks to it only through `run_on` (everything else in here runs
/// on the worker thread), and reads `counters` for progress.
class bench_worker {
public:
  bench_worker(const bench_settings& settings);
  ~bench_worker();

  /// Runs `f` on the worker thread and waits for its result.
  template <class F>
  auto run_on(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(context_, [&task] { task(); });
    return result.get();
  }

  void start();
  /// Stops the io_context and joins the thread; clients stay (closed).
  void stop();

  boost::asio::io_context& context() noexcept {
    return context_;
  }
  const bench_settings& settings() const noexcept {
    return settings_;
  }

  // -- on the worker thread ---------------------------------------------------

  bench_client& add_client(std::string user, std::string partner);
  /// A group whose members all are (or will be) clients of this worker.
  group_tracker& add_group(uint32_t index, uint32_t members);
  /// The verdict over this worker's groups (call after the drain).
  group_check check_groups() const;
  /// Clients that send in the traffic phase.
  size_t sender_count() const;
  std::vector<std::unique_ptr<bench_client>>& clients() {
    return clients_;
  }

  /// Connects every client, at most `limit` connects in flight.
  void connect_all(const boost::asio::ip::tcp::endpoint& server,
                   const std::vector<boost::asio::ip::address>& sources,
                   uint32_t limit);
  /// Logs every connected client in, at most `limit` logins in flight.
  void login_all(uint32_t limit);

  /// Paced traffic: `rate` sends/s over this worker's senders (round
  /// robin), or flat out (`rate` 0: `window` sends in flight per sender).
  void start_traffic(double rate);
  void stop_traffic();
  bool flat_out() const noexcept {
    return traffic_ && rate_ == 0;
  }

  void ping_all();
  void close_all();
  /// Runs `f` at `when` (on this thread; dropped if the worker stops
  /// first).
  void at(std::chrono::steady_clock::time_point when, std::function<void()> f);

  /// Recording on: deliveries and latencies count. Off: they don't.
  void set_recording(bool on) {
    recording_ = on;
  }
  bool recording() const noexcept {
    return recording_;
  }

  /// Moves the samples out (call with recording off).
  worker_samples take_samples();

  // Called by clients.
  void on_connect_done(bench_client& c, bool ok);
  void on_login_done(bench_client& c, bool ok);
  /// `c` created its group as `conv` (empty: it failed); the group's
  /// members send into it from now on.
  void on_group_created(bench_client& c, std::string conv);
  /// A message (not a membership change) sent at `sent_ns` (0: unknown)
  /// arrived at `now_ns`.
  void on_delivery(uint64_t sent_ns, uint64_t now_ns);
  /// The same, for a group member: feeds the latency to the last member.
  void on_group_delivery(group_tracker& g, uint64_t seq, uint64_t sent_ns,
                         uint64_t now_ns);
  /// A client's check_history ended: `problem` empty if it passed, else
  /// counted as an error under that name.
  void on_check_done(const std::string& problem);
  void count_error(std::string_view code);
  uint64_t now_ns() const;

  worker_counters counters;
  worker_samples samples;
  msgpack::zone zone; ///< Scratch for decoding, reused by every frame.

private:
  void start_connects();
  void start_logins();
  void pace();
  /// Every keep_alive_tick (25 ms): each client pings if its keep-alive
  /// slot is due (bench_client::keep_alive).
  void keep_alive();

  bench_settings settings_;
  boost::asio::io_context context_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
    guard_;
  std::thread thread_;
  std::vector<std::unique_ptr<bench_client>> clients_;
  std::vector<std::unique_ptr<group_tracker>> groups_;
  std::vector<bench_client*> senders_; ///< Set by start_traffic.

  boost::asio::ip::tcp::endpoint server_;
  std::vector<boost::asio::ip::address> sources_;
  size_t connect_next_ = 0;
  uint32_t connect_inflight_ = 0;
  uint32_t connect_limit_ = 0;
  std::deque<bench_client*> login_queue_;
  uint32_t login_inflight_ = 0;
  uint32_t login_limit_ = 0;

  bool traffic_ = false;
  bool recording_ = false;
  double rate_ = 0;
  uint64_t paced_issued_ = 0;
  size_t pace_next_ = 0;
  std::chrono::steady_clock::time_point pace_start_;
  boost::asio::steady_timer pace_timer_{context_};
  boost::asio::steady_timer keep_alive_timer_{context_};
};

} // namespace parley::bench

#pragma once

// The phases every scenario shares (main thread side): register, connect
// and log in, the measured traffic window, and the printing of their
// figures.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "bench_run.hpp"
#include "proc_stats.hpp"
#include "worker_pool.hpp"

namespace parley::bench {

/// Reads the server's VmRSS (KiB), if there is a server pid.
using rss_probe = std::function<std::optional<uint64_t>()>;

/// Registers every user over `o.reg_conns` connections on a pool of its
/// own. Returns the number registered (or already existing).
uint64_t register_users(const bench_options& o, const bench_settings& settings,
                        const boost::asio::ip::tcp::endpoint& server,
                        const std::vector<std::string>& users);

/// How a phase over every client of a pool ended (counters of a pool
/// count from its creation: one pool per set of clients).
struct phase_outcome {
  uint64_t done = 0;
  uint64_t failed = 0;
  double seconds = 0;   ///< From its start to the last reply.
  bool in_time = false; ///< Every client done or failed within
                        ///< --phase-timeout.
};

/// Connects every client of the started `pool` and says hello,
/// `o.connect_concurrency` in flight, bound to `o.source_ips` loopback
/// addresses; waits for them all (bounded).
phase_outcome connect_clients(const bench_options& o, worker_pool& pool,
                              const boost::asio::ip::tcp::endpoint& server);

/// Logs in every client connected by connect_clients,
/// `o.login_concurrency` in flight; waits for the replies and then for
/// every `synced` (each bounded); `synced_s` (if given) gets the time until
/// the last `synced`.
phase_outcome login_clients(const bench_options& o, worker_pool& pool,
                            double* synced_s = nullptr);

/// Server RSS at the points of connect_and_login.
struct login_figures {
  uint64_t logged_in = 0;
  std::optional<uint64_t> rss_before;    ///< Before connecting.
  std::optional<uint64_t> rss_connected; ///< After connect + hello.
  std::optional<uint64_t> rss_online;    ///< After login and a settle.
};

/// Connects (hello) and logs in every client of the started `pool`, prints
/// the rates, and waits for every `synced`.
login_figures connect_and_login(const bench_options& o, worker_pool& pool,
                                const boost::asio::ip::tcp::endpoint& server,
                                const rss_probe& rss);

/// What the measured window of traffic gave.
struct traffic_figures : cpu_window {
  uint64_t delivered = 0; ///< Deliveries received in the window.
  uint64_t sends_ok = 0;  ///< oks received in the window.
  uint64_t receipts = 0;  ///< receipt pushes received in the window.
  uint64_t acks = 0;      ///< acks sent in the window.
  bool drained = false;     ///< Every send answered, every delivery arrived.
  std::optional<uint64_t> rss_after;
  worker_samples samples; ///< Latencies of the window; errors of the run.
};

/// Starts the traffic (`o.rate` in total, shared by the workers in
/// proportion to their senders; 0: flat out), lets it warm up for
/// `o.warmup_s`, measures `o.duration_s` (a progress line per second),
/// stops it, and waits at most `o.drain_s` for the outstanding replies
/// and deliveries.
traffic_figures run_traffic(const bench_options& o, worker_pool& pool,
                            const rss_probe& rss);

/// "sends N, ok N, ..." totals of the whole run.
void print_totals(const worker_pool& pool, bool drained);

/// One line of percentiles (samples in us, printed in ms); sorts them.
void print_latency(const char* label, std::vector<uint32_t>& samples);

/// Server CPU (% of a core, us per `unit`), the bench's own CPU, and what
/// the rest of the machine used meanwhile (other processes sharing it).
void print_cpu(const cpu_window& t, uint64_t units, const char* unit);

/// One line's worth of print_cpu: "server 85%, bench 20%, rest of the
/// machine 3% (of one core)".
std::string cpu_text(const cpu_window& t);

/// "12.3 MiB", or "n/a".
std::string kib_text(std::optional<uint64_t> kib);

/// Prints the error counts and lost connections; true if there were any.
bool print_errors(const std::map<std::string, uint64_t>& errors, uint64_t lost);

} // namespace parley::bench

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
#include "worker_pool.hpp"

namespace parley::bench {

/// Reads the server's VmRSS (KiB), if there is a server pid.
using rss_probe = std::function<std::optional<uint64_t>()>;

/// Registers every user over `o.reg_conns` connections on a pool of its
/// own. Returns the number registered (or already existing).
uint64_t register_users(const bench_options& o, const bench_settings& settings,
                        const boost::asio::ip::tcp::endpoint& server,
                        const std::vector<std::string>& users);

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
struct traffic_figures {
  double window_s = 0;
  uint64_t delivered = 0; ///< Deliveries received in the window.
  uint64_t sends_ok = 0;  ///< oks received in the window.
  uint64_t receipts = 0;  ///< receipt pushes received in the window.
  uint64_t acks = 0;      ///< acks sent in the window.
  std::optional<double> server_cpu_s; ///< parleyd's CPU in the window.
  double bench_cpu_s = 0;
  /// The whole machine's busy CPU in the window (every process).
  std::optional<double> machine_busy_s;
  double machine_cores = 0; ///< CPUs online.
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
void print_cpu(const traffic_figures& t, uint64_t units, const char* unit);

/// "12.3 MiB", or "n/a".
std::string kib_text(std::optional<uint64_t> kib);

/// Prints the error counts and lost connections; true if there were any.
bool print_errors(const std::map<std::string, uint64_t>& errors, uint64_t lost);

} // namespace parley::bench

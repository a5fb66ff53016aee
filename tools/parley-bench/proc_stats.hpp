#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <sys/types.h>

namespace parley::bench {

/// VmRSS of process `pid` in KiB (from /proc/PID/status), if readable.
std::optional<uint64_t> rss_kib(pid_t pid);

/// User + system CPU seconds used by process `pid` so far (all threads,
/// from /proc/PID/stat), if readable.
std::optional<double> cpu_seconds(pid_t pid);

/// User + system CPU seconds of this process so far.
double self_cpu_seconds();

/// CPU time of the whole machine so far (from /proc/stat), in seconds
/// summed over all CPUs.
struct machine_cpu {
  double busy = 0;  ///< user, nice, system, irq, softirq, steal.
  double total = 0; ///< busy + idle + iowait.
};
std::optional<machine_cpu> machine_cpu_seconds();

/// CPU used over a window of time: the server's, this process's, and the
/// whole machine's (every process).
struct cpu_window {
  double window_s = 0;
  std::optional<double> server_cpu_s; ///< Without a server pid: none.
  double bench_cpu_s = 0;
  std::optional<double> machine_busy_s;
  double machine_cores = 0; ///< CPUs online.
};

/// Measures a cpu_window from its construction to take().
class cpu_meter {
public:
  /// `server`: 0 for none.
  explicit cpu_meter(pid_t server);
  cpu_window take() const;

private:
  pid_t server_;
  std::chrono::steady_clock::time_point start_;
  std::optional<double> server0_;
  double self0_;
  std::optional<machine_cpu> machine0_;
};

/// Bytes in the RocksDB write-ahead logs (`*.log` but `LOG`) of a parleyd
/// data directory (`data`/history): roughly what its memtables hold, as
/// long as no flush happened. Nothing if the directory cannot be read.
std::optional<uint64_t> wal_bytes(const std::string& data);

/// Raises the soft open-files limit to the hard one; returns the new soft
/// limit.
uint64_t raise_fd_limit();

} // namespace parley::bench

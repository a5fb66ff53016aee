#pragma once

#include <cstdint>
#include <optional>

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

/// Raises the soft open-files limit to the hard one; returns the new soft
/// limit.
uint64_t raise_fd_limit();

} // namespace parley::bench

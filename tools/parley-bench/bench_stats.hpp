#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace parley::bench {

/// Counters of one worker thread. The worker increments them; the main
/// thread reads them at any time for progress (relaxed atomics: totals, not
/// a consistent snapshot).
struct worker_counters {
  std::atomic<uint64_t> connected{0};
  std::atomic<uint64_t> connect_failed{0};
  std::atomic<uint64_t> registered{0};
  std::atomic<uint64_t> register_failed{0};
  std::atomic<uint64_t> logged_in{0};
  std::atomic<uint64_t> login_failed{0};
  std::atomic<uint64_t> synced{0};
  std::atomic<uint64_t> sends{0}; ///< Send requests written.
  std::atomic<uint64_t> send_ok{0};
  std::atomic<uint64_t> send_err{0};
  /// Deliveries the acknowledged sends should make: 1 per ok to a partner,
  /// members - 1 per ok into a group.
  std::atomic<uint64_t> expected{0};
  std::atomic<uint64_t> skipped{0};          ///< Due but the window was full.
  std::atomic<uint64_t> delivered{0};        ///< msg pushes received, all time.
  std::atomic<uint64_t> delivered_window{0}; ///< ... while recording.
  std::atomic<uint64_t> receipts{0};
  std::atomic<uint64_t> acks{0};   ///< ack frames sent.
  std::atomic<uint64_t> closed{0}; ///< Connections lost unasked.
  std::atomic<uint64_t> groups_created{0};
  std::atomic<uint64_t> group_create_failed{0};
  std::atomic<uint64_t> checks_ok{0};     ///< Entities: history checks...
  std::atomic<uint64_t> checks_failed{0}; ///< ...passed and failed.
  std::atomic<uint64_t> presence_online{0};  ///< Presence pushes about the
  std::atomic<uint64_t> presence_offline{0}; ///< partner: online, offline.
  /// Highest send -> delivered latency (us) since the main thread last
  /// took it (progress lines show stalls as they happen).
  std::atomic<uint64_t> max_delivery_us{0};
};

/// What only the worker thread touches; handed to the main thread by value
/// through the worker's queue (so the hand-over is synchronized).
struct worker_samples {
  std::vector<uint32_t> delivery_us; ///< send -> msg push at the partner.
  std::vector<uint32_t> reply_us;    ///< send -> ok reply (durable).
  /// Groups: send -> the last of the other members received the post.
  std::vector<uint32_t> last_member_us;
  std::map<std::string, uint64_t> errors; ///< err codes and bye codes.
};

/// Appends `other`'s samples and error counts to `into`.
void merge(worker_samples& into, const worker_samples& other);

/// Percentiles of a set of samples (microseconds).
struct latency_summary {
  size_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

/// Sorts `samples` and summarizes them (nearest-rank percentiles).
latency_summary summarize(std::vector<uint32_t>& samples);

} // namespace parley::bench

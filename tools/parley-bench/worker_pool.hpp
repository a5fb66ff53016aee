#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "bench_worker.hpp"

namespace parley::bench {

using counter_field = std::atomic<uint64_t> worker_counters::*;

/// The workers of one phase, seen from the main thread (which may only
/// read their counters and hand them work through run_on).
struct worker_pool {
  std::vector<std::unique_ptr<bench_worker>> workers;

  worker_pool(const bench_settings& settings, uint32_t threads) {
    for (uint32_t i = 0; i < threads; ++i)
      workers.push_back(std::make_unique<bench_worker>(settings));
  }

  void start() {
    for (auto& w : workers)
      w->start();
  }

  uint64_t sum(counter_field field) const {
    uint64_t total = 0;
    for (auto& w : workers)
      total += ((w->counters).*field).load(std::memory_order_relaxed);
    return total;
  }

  /// Runs `f(worker)` on every worker thread, one after the other.
  void each(const std::function<void(bench_worker&)>& f) {
    for (auto& w : workers)
      w->run_on([&f, &w] { f(*w); });
  }

  /// Moves every worker's samples out and merges them.
  worker_samples take_samples() {
    worker_samples all;
    for (auto& w : workers)
      merge(all, w->run_on([&w] { return w->take_samples(); }));
    return all;
  }
};

double seconds_since(std::chrono::steady_clock::time_point t);

void sleep_s(double s);

/// Polls `done()` every 5 ms until it holds or `timeout_s` passed; true if
/// it holds.
bool wait_until(const std::function<bool()>& done, double timeout_s);

} // namespace parley::bench

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace parley::runtime {

/// How many crashes a supervisor tolerates (cluster.conf [server]
/// `restart_intensity` and `restart_period_s`), as OTP's intensity/period.
struct restart_limit {
  uint32_t intensity = 100;                ///< Crashes tolerated per period.
  std::chrono::milliseconds period{10000}; ///< The sliding window.
};

/// OTP's restart intensity: counts a supervisor's crashed children in a
/// sliding window and says when there were more than `intensity` within
/// `period`, i.e. when the supervisor must stop restarting and escalate.
///
/// Keeps at most `intensity + 1` time points. Owned by one actor; not
/// thread-safe.
class restart_intensity {
public:
  using clock = std::chrono::steady_clock;

  explicit restart_intensity(restart_limit limit = {}) : limit_(limit) {
    // nop
  }

  /// Records a crash at `now` (not earlier than any crash before). Returns
  /// true if more than `intensity` crashes happened within the `period`
  /// ending at `now` (this one included): time to escalate.
  bool crashed(clock::time_point now);

  /// Crashes within the period ending at the last recorded crash.
  size_t recent() const noexcept {
    return crashes_.size();
  }

  const restart_limit& limit() const noexcept {
    return limit_;
  }

private:
  restart_limit limit_;
  std::deque<clock::time_point> crashes_;
};

} // namespace parley::runtime

#pragma once

#include <chrono>
#include <cstdint>

namespace parley::transport {

/// A token bucket: `rate` tokens per second, at most `burst` saved up.
/// The caller passes the time, so tests need no clock. Not thread-safe.
class token_bucket {
public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate, double burst, clock::time_point now);

  /// Takes one token if there is one; false means "rate limited".
  bool try_take(clock::time_point now);

private:
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

} // namespace parley::transport

#include "transport/token_bucket.hpp"

#include <algorithm>

namespace parley::transport {

token_bucket::token_bucket(double rate, double burst, clock::time_point now)
  : rate_(std::max(rate, 0.0)),
    burst_(std::max(burst, 0.0)),
    tokens_(burst_), // Starts full: a new connection may burst at once.
    last_(now) {
  // nop
}

bool token_bucket::try_take(clock::time_point now) {
  // Refill for the time since the last call; a clock that seems to go
  // backwards adds nothing (and does not move `last_` back).
  if (now > last_) {
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  // The tolerance absorbs rounding: after exactly 1/rate seconds a token
  // is there, however the elapsed time was represented.
  if (tokens_ < 1.0 - 1e-9)
    return false;
  tokens_ -= 1.0;
  return true;
}

} // namespace parley::transport

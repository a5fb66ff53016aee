#include "runtime/restart_intensity.hpp"

namespace parley::runtime {

bool restart_intensity::crashed(clock::time_point now) {
  crashes_.push_back(now);
  // Within the period: crashes less than `period` before now.
  while (!crashes_.empty() && crashes_.front() + limit_.period <= now)
    crashes_.pop_front();
  // Keep the bound even if the caller carries on after an escalation.
  while (crashes_.size() > size_t{limit_.intensity} + 1)
    crashes_.pop_front();
  return crashes_.size() > limit_.intensity;
}

} // namespace parley::runtime

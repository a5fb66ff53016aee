#include "runtime/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace parley {

void log(log_level level, std::string_view text) {
  static std::mutex mutex;
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  const char* name = level == log_level::info      ? "info"
                     : level == log_level::warning ? "warning"
                                                   : "error";
  std::lock_guard<std::mutex> guard{mutex};
  std::fprintf(stderr, "%s.%03dZ %s %.*s\n", stamp, static_cast<int>(ms), name,
               static_cast<int>(text.size()), text.data());
}

} // namespace parley

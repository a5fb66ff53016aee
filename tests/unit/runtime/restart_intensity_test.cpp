// OTP's restart intensity as a sliding window (runtime/restart_intensity.hpp).

#include <catch2/catch.hpp>

#include "runtime/restart_intensity.hpp"

using parley::runtime::restart_intensity;
using parley::runtime::restart_limit;
using namespace std::chrono_literals;

namespace {

const auto t0 = restart_intensity::clock::time_point{} + 1000s;

} // namespace

TEST_CASE("restart intensity: N crashes within the period are tolerated, "
          "N+1 escalate",
          "[runtime][supervision]") {
  restart_intensity r{restart_limit{3, 10s}};
  CHECK_FALSE(r.crashed(t0));
  CHECK_FALSE(r.crashed(t0 + 1s));
  CHECK_FALSE(r.crashed(t0 + 2s));
  CHECK(r.recent() == 3);
  CHECK(r.crashed(t0 + 9s));
  CHECK(r.recent() == 4);
}

TEST_CASE("restart intensity: crashes older than the period do not count",
          "[runtime][supervision]") {
  restart_intensity r{restart_limit{3, 10s}};
  CHECK_FALSE(r.crashed(t0));
  CHECK_FALSE(r.crashed(t0 + 1s));
  CHECK_FALSE(r.crashed(t0 + 6s));
  // t0 is exactly one period old: out of the window.
  CHECK_FALSE(r.crashed(t0 + 10s));
  CHECK(r.recent() == 3);
  // A steady rate of one crash per 4 s never escalates.
  for (int i = 1; i <= 50; ++i)
    CHECK_FALSE(r.crashed(t0 + 10s + i * 4s));
  CHECK(r.recent() <= 3);
  // Four within 10 s do.
  CHECK(r.crashed(t0 + 10s + 50 * 4s + 1ms));
}

TEST_CASE("restart intensity: 0 escalates on the first crash, and the window "
          "stays bounded",
          "[runtime][supervision]") {
  restart_intensity none{restart_limit{0, 10s}};
  CHECK(none.crashed(t0));
  restart_intensity r{restart_limit{2, 10s}};
  for (int i = 0; i < 1000; ++i)
    r.crashed(t0 + i * 1ms);
  CHECK(r.recent() == 3);
}

// token_bucket: starts full, refills at `rate`, never holds more than `burst`.

#include <catch2/catch.hpp>

#include "transport/token_bucket.hpp"

using parley::transport::token_bucket;
using namespace std::chrono_literals;

namespace {

const token_bucket::clock::time_point t0{std::chrono::hours(1000)};

int take_all(token_bucket& b, token_bucket::clock::time_point now) {
  int n = 0;
  while (b.try_take(now) && n < 1'000'000)
    ++n;
  return n;
}

} // namespace

TEST_CASE("a new bucket is full", "[token_bucket]") {
  token_bucket b(1.0, 5.0, t0);
  CHECK(take_all(b, t0) == 5);
  CHECK_FALSE(b.try_take(t0));
}

TEST_CASE("tokens come back at the rate", "[token_bucket]") {
  token_bucket b(10.0, 3.0, t0); // one token per 100 ms
  REQUIRE(take_all(b, t0) == 3);
  CHECK_FALSE(b.try_take(t0 + 99ms));
  CHECK(b.try_take(t0 + 100ms));
  CHECK_FALSE(b.try_take(t0 + 100ms));
  CHECK_FALSE(b.try_take(t0 + 150ms));
  CHECK(b.try_take(t0 + 200ms));
  // 250 ms later: two and a half tokens, so two.
  CHECK(take_all(b, t0 + 450ms) == 2);
  // The half token is kept: 50 ms more makes it whole.
  CHECK(b.try_take(t0 + 500ms));
}

TEST_CASE("the bucket never holds more than burst", "[token_bucket]") {
  token_bucket b(100.0, 4.0, t0);
  REQUIRE(take_all(b, t0) == 4);
  CHECK(take_all(b, t0 + 1h) == 4);
}

TEST_CASE("rejected calls do not consume", "[token_bucket]") {
  token_bucket b(1.0, 1.0, t0);
  REQUIRE(b.try_take(t0));
  for (int i = 1; i < 10; ++i)
    CHECK_FALSE(b.try_take(t0 + i * 99ms));
  CHECK(b.try_take(t0 + 1s));
}

TEST_CASE("a steady stream at the rate is never limited", "[token_bucket]") {
  token_bucket b(50.0, 1.0, t0); // one every 20 ms, no slack at all
  for (int i = 0; i < 1000; ++i)
    CHECK(b.try_take(t0 + i * 20ms));
  // Faster than the rate: limited.
  CHECK_FALSE(b.try_take(t0 + 999 * 20ms + 10ms));
}

TEST_CASE("a clock going backwards adds nothing", "[token_bucket]") {
  token_bucket b(1.0, 2.0, t0);
  REQUIRE(take_all(b, t0) == 2);
  CHECK_FALSE(b.try_take(t0 - 1h));
  // Time measured from the latest point seen, not from the earlier one.
  CHECK_FALSE(b.try_take(t0 + 500ms));
  CHECK(b.try_take(t0 + 1s));
}

TEST_CASE("rate zero allows the burst and then nothing", "[token_bucket]") {
  token_bucket b(0.0, 3.0, t0);
  CHECK(take_all(b, t0 + 1h) == 3);
  CHECK_FALSE(b.try_take(t0 + 1000h));
}

#pragma once

// Small assertions and helpers the end-to-end tests share (Catch2).

#include <chrono>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/parleyd_process.hpp"

namespace parley::e2e {

/// Wall-clock milliseconds since the Unix epoch (the protocol's `ts`).
inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// Sends `req` from `d`, requires `ok` and returns the reply.
inline json require_ok(device& d, json req) {
  auto r = d->call(std::move(req));
  INFO(d.user << "/" << d.name << ": " << r.dump());
  REQUIRE(r.at("t") == "ok");
  return r;
}

/// The `seq` of each message of a list (a json array or a vector).
template <class Msgs>
std::vector<uint64_t> seqs(const Msgs& msgs) {
  std::vector<uint64_t> out;
  for (auto& m : msgs)
    out.push_back(m.at("seq").template get<uint64_t>());
  return out;
}

/// first, first + 1, ..., last.
inline std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (auto s = first; s <= last; ++s)
    out.push_back(s);
  return out;
}

} // namespace parley::e2e

// The memory release actor (runtime/memory_release.hpp) on a real actor
// system (it is detached and runs on real time): it trims when the census
// of live entities falls, once more at the next look, never while the
// census holds or grows, and ends with the directory.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <caf/all.hpp>

#include "runtime/entity.hpp"
#include "runtime/entity_supervisor.hpp"
#include "runtime/memory_release.hpp"

using namespace parley;
using namespace std::chrono_literals;

namespace {

/// What the fake directory answers (users; conversations are always 0)
/// and how many trims the memory release reported (its `stores` callback
/// runs once per trim).
struct census_script {
  std::atomic<uint64_t> users{0};
  std::atomic<int> trims{0};
};

caf::behavior fake_directory(caf::event_based_actor*,
                             std::shared_ptr<census_script> script) {
  return {
    [=](runtime::census_atom, runtime::entity_kind kind) -> uint64_t {
      return kind == runtime::entity_kind::user ? script->users.load() : 0;
    },
  };
}

constexpr auto period = 40ms;

/// Waits (at most 2 s) until `trims` reaches `n`; true if it did.
bool wait_trims(const census_script& s, int n) {
  for (int i = 0; i < 200 && s.trims.load() < n; ++i)
    std::this_thread::sleep_for(10ms);
  return s.trims.load() >= n;
}

} // namespace

TEST_CASE("memory release: trims when entities end, once more at the next "
          "look, never while the census holds, and ends with the directory",
          "[runtime][memory]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto script = std::make_shared<census_script>();
  script->users = 10;
  auto directory = sys.spawn(fake_directory, script);
  auto release = runtime::spawn_memory_release(sys, directory, period, [=] {
    ++script->trims;
    return std::string{};
  });
  // The census rises from nothing and then holds: no trim.
  std::this_thread::sleep_for(period * 5);
  CHECK(script->trims.load() == 0);
  // Entities end: a trim at the look that sees it and one at the next.
  script->users = 4;
  REQUIRE(wait_trims(*script, 2));
  std::this_thread::sleep_for(period * 5);
  CHECK(script->trims.load() == 2);
  // More entities come: still nothing to trim.
  script->users = 50;
  std::this_thread::sleep_for(period * 5);
  CHECK(script->trims.load() == 2);
  script->users = 0;
  REQUIRE(wait_trims(*script, 4));
  // The directory ends: so does the memory release.
  caf::scoped_actor self{sys};
  self->monitor(release);
  self->send_exit(directory, caf::exit_reason::user_shutdown);
  bool ended = false;
  self->receive([&](caf::down_msg&) { ended = true; },
                caf::after(std::chrono::seconds(5)) >> [] {});
  CHECK(ended);
}

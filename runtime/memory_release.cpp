#include "runtime/memory_release.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <caf/all.hpp>

#include "runtime/entity.hpp"
#include "runtime/entity_supervisor.hpp"
#include "runtime/log.hpp"

namespace parley::runtime {

namespace {

using look_atom = caf::atom_constant<caf::atom("look")>;

struct release_state {
  caf::actor directory;
  std::chrono::milliseconds period{0};
  std::function<std::string()> stores;
  uint64_t last_total = 0;   ///< Users + conversations at the last look...
  bool fell_before = false;  ///< ...and whether it had fallen at that look.
  uint64_t users = 0;        ///< This look's answers so far...
  uint64_t convs = 0;
  int answers = 0;           ///< ...and how many came (of 2).
  static inline const char* name = "memory_release";
};

using release_actor = caf::stateful_actor<release_state>;

std::string mib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB",
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

void trim_if_fewer(release_actor* self) {
  auto& st = self->state;
  auto total = st.users + st.convs;
  // An ended actor's object lives on until CAF's clock delivers its last
  // idle tick (due within passivate_s / 2, i.e. before the next look): so
  // a fall is trimmed at its look and once more at the next.
  auto fell = total < st.last_total;
  if (fell || st.fell_before) {
    std::string line = "memory release: entities " + std::to_string(st.last_total)
                       + " -> " + std::to_string(total);
#if defined(__GLIBC__)
    malloc_trim(0);
    auto heap = mallinfo2();
    // uordblks: bytes in live allocations; arena + hblkhd: bytes malloc
    // holds from the kernel (heap and arenas, plus mmapped blocks).
    line += "; heap in use " + mib(heap.uordblks + heap.hblkhd) + ", held "
            + mib(heap.arena + heap.hblkhd) + " after malloc_trim";
#endif
    if (auto stores = st.stores ? st.stores() : std::string{};
        !stores.empty())
      line += "; " + stores;
    log(log_level::info, line);
  }
  st.last_total = total;
  st.fell_before = fell;
}

void ask(release_actor* self, entity_kind kind) {
  auto& st = self->state;
  self->request(st.directory, st.period, census_atom::value, kind)
    .then(
      [=](uint64_t n) {
        auto& st = self->state;
        (kind == entity_kind::user ? st.users : st.convs) = n;
        if (++st.answers == 2)
          trim_if_fewer(self);
      },
      [](const caf::error&) {
        // No answer this time (the node is stopping): next period.
      });
}

caf::behavior memory_release(release_actor* self, caf::actor directory,
                             std::chrono::milliseconds period,
                             std::function<std::string()> stores) {
  self->state.directory = directory;
  self->state.period = period;
  self->state.stores = std::move(stores);
  self->monitor(directory);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  self->send(self, look_atom::value);
  return {
    [=](look_atom) {
      auto& st = self->state;
      st.answers = 0;
      ask(self, entity_kind::user);
      ask(self, entity_kind::conv);
      self->delayed_send(self, st.period, look_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_memory_release(caf::actor_system& sys,
                                const caf::actor& directory,
                                std::chrono::milliseconds period,
                                std::function<std::string()> stores) {
  return sys.spawn<caf::detached>(memory_release, directory, period,
                                  std::move(stores));
}

} // namespace parley::runtime

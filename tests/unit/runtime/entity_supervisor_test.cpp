// The entity supervisor under CAF's deterministic test coordinator, with a
// probe entity: restart intensity (what counts as a crash, the sliding
// period, escalation through the directory) and fault delivery to an
// entity (crash, delay, drop).

#include "unit/actors/caf_dsl.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/directory.hpp"
#include "runtime/entity_supervisor.hpp"
#include "runtime/errors.hpp"
#include "runtime/fault.hpp"
#include "runtime/placement.hpp"

using namespace parley;
using namespace parley::runtime;
using namespace std::chrono_literals;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using boom_atom = caf::atom_constant<caf::atom("boom")>;
using rest_atom = caf::atom_constant<caf::atom("rest")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// What the probes of one test did (all run on the test's thread).
struct probe_log {
  int activations = 0;
  int ticks = 0;
};

struct probe_state {
  std::string key;
  int id = 0;
  static inline const char* name = "probe";
};

/// An entity for the supervisor: answers ping with (key, activation
/// number), crashes on boom, passivates on rest, counts ticks it sends
/// itself one second after its start.
caf::behavior probe(caf::stateful_actor<probe_state>* self, std::string key,
                    std::shared_ptr<probe_log> log, caf::actor supervisor) {
  self->state.key = std::move(key);
  self->state.id = ++log->activations;
  install_standard_handlers(self);
  self->delayed_send(self, 1s, tick_atom::value);
  return {
    [=](ping_atom) { return self->state.id; },
    [=](boom_atom) { self->quit(make_error(errc::internal, "boom")); },
    [=](rest_atom) {
      request_passivation(self, supervisor, [=] { self->quit(); });
    },
    [=](tick_atom) { ++log->ticks; },
  };
}

/// An entity with nothing but a timeout (as a user without an account):
/// ends one second after its last message.
caf::behavior sleepy(caf::stateful_actor<probe_state>* self, std::string key,
                     std::shared_ptr<probe_log> log, caf::actor) {
  self->state.key = std::move(key);
  self->state.id = ++log->activations;
  return {
    caf::after(std::chrono::seconds(1)) >> [=] { self->quit(); },
  };
}

/// How an actor ended, as its monitor saw it.
struct end_log {
  bool ended = false;
  caf::error reason;
};

struct fixture : test_coordinator_fixture<caf::actor_system_config> {
  std::shared_ptr<probe_log> probes = std::make_shared<probe_log>();
  std::vector<caf::actor> spawned;

  ~fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  caf::actor supervisor(uint32_t intensity, bool faults = true) {
    supervisor_options opts;
    opts.restarts = restart_limit{intensity, 10s};
    opts.fault_injection = faults;
    auto sup = spawn_entity_supervisor(
      sys, entity_kind::conv, monitored_entity_factory(probe, probes), opts);
    spawned.push_back(sup);
    sched.run();
    return sup;
  }

  /// Records how `who` ends.
  std::shared_ptr<end_log> watch(const caf::actor& who) {
    auto log = std::make_shared<end_log>();
    auto w = sys.spawn(
      [](caf::event_based_actor* self, caf::actor who,
         std::shared_ptr<end_log> log) {
        self->monitor(who);
        self->set_down_handler([=](caf::down_msg& dm) {
          log->ended = true;
          log->reason = dm.reason;
          self->quit();
        });
        return caf::behavior{[](caf::ok_atom) {}};
      },
      who, log);
    spawned.push_back(w);
    sched.run();
    return log;
  }

  /// Sends a request from a fresh client; `*result` is set once answered.
  template <class T, class... Ts>
  std::shared_ptr<std::optional<caf::expected<T>>> ask(const caf::actor& dest,
                                                       Ts... xs) {
    auto r = std::make_shared<std::optional<caf::expected<T>>>();
    auto c = sys.spawn(
      [=](caf::event_based_actor* self, caf::actor dest) {
        self->request(dest, caf::infinite, xs...)
          .then([=](T& x) { *r = std::move(x); },
                [=](caf::error& err) { *r = std::move(err); });
      },
      dest);
    spawned.push_back(c);
    REQUIRE(sched.prioritize(c));
    sched.run_once();
    return r;
  }

  template <class T, class... Ts>
  caf::expected<T> call(const caf::actor& dest, Ts... xs) {
    auto r = ask<T>(dest, xs...);
    sched.run();
    REQUIRE(r->has_value());
    return **r;
  }

  caf::actor instance(const caf::actor& sup, const std::string& key) {
    auto r = call<caf::actor>(sup, caf::get_atom::value, key);
    REQUIRE(r);
    return *r;
  }

  /// Crashes the live instance of `key` (activating one first).
  void crash(const caf::actor& sup, const std::string& key) {
    caf::anon_send(instance(sup, key), boom_atom::value);
    sched.run();
  }

  /// Passivates the live instance of `key` (activating one first).
  void passivate(const caf::actor& sup, const std::string& key) {
    auto probe = instance(sup, key);
    auto end = watch(probe);
    caf::anon_send(probe, rest_atom::value);
    sched.run();
    REQUIRE(end->ended);
    REQUIRE_FALSE(end->reason);
  }

  /// Hands `f` to the instance of `key` through the supervisor: ok_atom
  /// once the entity has it.
  caf::expected<caf::ok_atom> fault_to(const caf::actor& sup,
                                       const std::string& key, fault f) {
    return call<caf::ok_atom>(sup, fault_atom::value, key, f);
  }
};

bool says(const caf::error& err, const std::string& text) {
  return error_text(err).find(text) != std::string::npos;
}

} // namespace

// -- restart intensity --------------------------------------------------------

TEST_CASE_METHOD(fixture,
                 "supervisor: intensity + 1 crashes within the period "
                 "escalate and end the children",
                 "[runtime][supervision]") {
  auto sup = supervisor(3);
  auto end = watch(sup);
  auto bystander = instance(sup, "calm");
  auto bystander_end = watch(bystander);
  for (int i = 0; i < 3; ++i)
    crash(sup, "hot");
  CHECK_FALSE(end->ended); // three crashes are tolerated, and restarted
  CHECK(call<int>(instance(sup, "hot"), ping_atom::value) == 5);
  caf::anon_send(instance(sup, "hot"), boom_atom::value);
  sched.run();
  REQUIRE(end->ended);
  CHECK(errc_of(end->reason) == errc::internal);
  CHECK(says(end->reason, "conv supervisor: 4 crashes within 10 s exceed "
                          "restart_intensity 3"));
  REQUIRE(bystander_end->ended);
  CHECK(bystander_end->reason == end->reason);
}

TEST_CASE_METHOD(fixture,
                 "supervisor: crashes spread beyond the period do not "
                 "escalate",
                 "[runtime][supervision]") {
  auto sup = supervisor(3);
  auto end = watch(sup);
  crash(sup, "a");
  crash(sup, "b");
  sched.advance_time(6s);
  crash(sup, "a");
  sched.advance_time(5s); // the first two are now 11 s old
  crash(sup, "c");
  crash(sup, "a");
  CHECK_FALSE(end->ended);
  CHECK(call<int>(instance(sup, "a"), ping_atom::value));
  // ... but a fourth within 10 s of the last three does.
  crash(sup, "b");
  CHECK(end->ended);
}

TEST_CASE_METHOD(fixture,
                 "supervisor: passivation and node shutdown are not crashes",
                 "[runtime][supervision]") {
  auto sup = supervisor(1);
  auto end = watch(sup);
  for (int i = 0; i < 5; ++i)
    passivate(sup, "idle");
  caf::anon_send_exit(instance(sup, "stopped"),
                      caf::exit_reason::user_shutdown);
  sched.run();
  crash(sup, "x"); // the one crash tolerated
  CHECK_FALSE(end->ended);
  CHECK(probes->activations == 7);
  crash(sup, "x");
  CHECK(end->ended);
}

TEST_CASE_METHOD(fixture,
                 "supervisor: escalation ends the directory linked to it, "
                 "and the other kind's supervisor",
                 "[runtime][supervision]") {
  supervisor_options opts;
  opts.restarts = restart_limit{2, 10s};
  auto where =
    std::make_shared<placement>(4, std::vector<std::string>{"n1"}, "n1");
  auto dir = spawn_directory(
    sys, where,
    {{entity_kind::user, monitored_entity_factory(probe, probes)},
     {entity_kind::conv, monitored_entity_factory(probe, probes)}},
    opts);
  spawned.push_back(dir);
  sched.run();
  auto end = watch(dir);
  auto user = call<caf::actor>(dir, caf::get_atom::value,
                               entity_id{entity_kind::user, "alice"});
  REQUIRE(user);
  auto user_end = watch(*user);
  for (int i = 0; i < 3; ++i) {
    auto conv = call<caf::actor>(dir, caf::get_atom::value,
                                 entity_id{entity_kind::conv, "g.1"});
    REQUIRE(conv);
    caf::anon_send(*conv, boom_atom::value);
    sched.run();
  }
  REQUIRE(end->ended);
  CHECK(says(end->reason, "restart intensity exceeded"));
  CHECK(user_end->ended); // the user supervisor ended its child too
}

// -- fault delivery
// -------------------------------------------------------------

TEST_CASE_METHOD(fixture,
                 "faults: crash ends the live instance with an error, and the "
                 "next lookup restarts it",
                 "[runtime][faults]") {
  auto sup = supervisor(10);
  auto first = instance(sup, "k");
  auto end = watch(first);
  CHECK(fault_to(sup, "k", fault{fault::kind::crash, 0ms}));
  REQUIRE(end->ended);
  CHECK(says(end->reason, "injected crash"));
  auto second = instance(sup, "k");
  CHECK(second != first);
  CHECK(call<int>(second, ping_atom::value) == 2);
}

TEST_CASE_METHOD(fixture, "faults: a fault activates an idle entity",
                 "[runtime][faults]") {
  auto sup = supervisor(10);
  CHECK(fault_to(sup, "cold", fault{fault::kind::crash, 0ms}));
  CHECK(probes->activations == 1);
  CHECK(call<int>(instance(sup, "cold"), ping_atom::value) == 2);
}

TEST_CASE_METHOD(fixture,
                 "faults: delay holds every new message for its duration",
                 "[runtime][faults]") {
  auto sup = supervisor(10);
  auto probe = instance(sup, "slow");
  CHECK(fault_to(sup, "slow", fault{fault::kind::delay, 500ms}));
  auto r = ask<int>(probe, ping_atom::value);
  sched.run();
  CHECK_FALSE(r->has_value());
  sched.advance_time(499ms);
  sched.run();
  CHECK_FALSE(r->has_value());
  sched.advance_time(1ms);
  sched.run();
  REQUIRE(r->has_value());
  CHECK(**r == 1);
}

TEST_CASE_METHOD(fixture,
                 "faults: drop discards the next message from another actor "
                 "and keeps the entity's own",
                 "[runtime][faults]") {
  auto sup = supervisor(10);
  auto probe = instance(sup, "lossy");
  CHECK(fault_to(sup, "lossy", fault{fault::kind::drop, 0ms}));
  sched.advance_time(1s); // the probe's own tick arrives: kept for later
  sched.run();
  CHECK(probes->ticks == 0);
  auto lost = ask<int>(probe, ping_atom::value);
  sched.run();
  CHECK_FALSE(lost->has_value()); // dropped: never answered
  CHECK(probes->ticks == 1);
  auto next = ask<int>(probe, ping_atom::value);
  sched.run();
  REQUIRE(next->has_value());
  CHECK(**next == 1);
}

TEST_CASE_METHOD(fixture,
                 "faults: the seam keeps an entity's own timeout, and reaches "
                 "an entity that has only a timeout",
                 "[runtime][faults]") {
  supervisor_options opts;
  opts.fault_injection = true;
  auto sup = spawn_entity_supervisor(
    sys, entity_kind::user, monitored_entity_factory(sleepy, probes), opts);
  spawned.push_back(sup);
  auto first = instance(sup, "nobody");
  auto end = watch(first);
  sched.advance_time(999ms);
  sched.run();
  CHECK_FALSE(end->ended);
  sched.advance_time(1ms);
  sched.run();
  REQUIRE(end->ended);
  CHECK_FALSE(end->reason);
  auto second = instance(sup, "nobody");
  auto second_end = watch(second);
  CHECK(fault_to(sup, "nobody", fault{fault::kind::crash, 0ms}));
  REQUIRE(second_end->ended);
  CHECK(says(second_end->reason, "injected crash"));
}

TEST_CASE_METHOD(fixture, "faults: refused unless fault injection is on",
                 "[runtime][faults]") {
  auto sup = supervisor(10, false);
  auto r = fault_to(sup, "k", fault{fault::kind::crash, 0ms});
  REQUIRE_FALSE(r);
  CHECK(errc_of(r.error()) == errc::forbidden);
  CHECK(probes->activations == 0);
}

TEST_CASE_METHOD(fixture,
                 "faults: a fault for a passivating entity goes to its next "
                 "instance",
                 "[runtime][faults]") {
  auto sup = supervisor(10);
  auto probe = instance(sup, "p");
  // The probe asks to rest; the supervisor grants it, then the probe
  // quits: hold the probe's quit by not running it yet.
  caf::anon_send(probe, rest_atom::value);
  sched.run_once(); // the probe asks
  sched.run_once(); // the supervisor grants: "p" is stopping
  auto r = ask<caf::ok_atom>(sup, fault_atom::value, std::string{"p"},
                             fault{fault::kind::crash, 0ms});
  sched.run();
  REQUIRE(r->has_value());
  CHECK(static_cast<bool>(**r));
  // The first instance ended normally, a second one took the crash.
  CHECK(probes->activations == 2);
  CHECK(call<int>(instance(sup, "p"), ping_atom::value) == 3);
}

#include "seeded_load.hpp"

#include <random>

#include "step_handlers.hpp"

namespace parley::scenario {

using std::chrono::milliseconds;

uint64_t step_seed(uint64_t run_seed, int line) {
  // splitmix64 of (seed, line): neighbouring lines get unrelated streams.
  uint64_t z = run_seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(line + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void run_random_sends(scenario_world& w, const step& s) {
  auto count = std::stoull(s.args[1].text);
  std::vector<device*> devs;
  for (size_t i = 3; i < s.args.size(); ++i) {
    auto& d = w.dev(s.args[i].text);
    if (!d.connected())
      throw step_failure(s.args[i].text + " connected", "it is not",
                         s.args[i].text);
    devs.push_back(&d);
  }
  uint64_t seed = step_seed(w.opts.seed, s.line);
  if (auto f = s.find("seed"))
    seed = std::stoull(f->value);
  auto faults = s.find("faults") ? s.find("faults")->value : std::string{"none"};
  if (faults != "none" && faults != "crash" && faults != "mixed")
    throw step_failure("faults=none|crash|mixed", "faults=" + faults);
  if (faults != "none" && w.targeted())
    throw step_failure(s.text, "faults are not available with --target");
  size_t window = s.find("window") ? std::stoul(s.find("window")->value) : 8;
  if (w.log != nullptr)
    *w.log << "  " << s.where() << ": random sends seed " << seed << "\n";
  std::mt19937_64 rng{seed};
  auto pick = [&](size_t n) {
    return static_cast<size_t>(std::uniform_int_distribution<uint64_t>(0, n - 1)(rng));
  };
  auto fault_every = count >= 6 ? count / 6 : count + 1;
  for (uint64_t i = 1; i <= count; ++i) {
    auto& from = *devs[pick(devs.size())];
    std::vector<std::string> others;
    for (auto* d : devs)
      if (d->user() != from.user())
        others.push_back(d->user());
    auto to = others.empty() ? from.user() : others[pick(others.size())];
    w.wait_until(milliseconds{5000}, [&] {
      return from.pending().size() < window;
    });
    from.retry_pending(milliseconds{1000});
    if (faults != "none" && i % fault_every == 0) {
      // Into the conversation this send goes to (or a user), just before
      // it: a `drop` then takes this very send, which is retried.
      w.pump_all();
      auto pair = direct_key("conversation(" + from.user() + "," + to + ")");
      auto conv = w.convs.count(pair) > 0 ? w.convs[pair] : std::string{};
      auto action = faults == "crash" ? 0 : pick(4);
      if (action == 1 || conv.empty())
        inject_entity_fault(w, "user(" + devs[pick(devs.size())]->user() + ")",
                            action == 2 ? "delay" : "crash",
                            milliseconds{100});
      else if (action == 2)
        inject_entity_fault(w, conv, "delay", milliseconds{100});
      else if (action == 3)
        inject_entity_fault(w, conv, "drop", milliseconds{0});
      else
        inject_entity_fault(w, conv, "crash", milliseconds{0});
    }
    from.send_message({{"t", "send"},
                       {"to", to},
                       {"body", "r" + std::to_string(i)},
                       {"cmid", w.next_cmid(from)}},
                      s.where());
    w.pump_all();
  }
  // Everything sent must be acknowledged; unanswered sends are retried
  // with their cmid, as a client does.
  auto deadline = clock_type::now() + milliseconds{20000};
  auto idle = [&] {
    for (auto* d : devs)
      if (!d->pending().empty())
        return false;
    return true;
  };
  while (!idle() && clock_type::now() < deadline) {
    w.wait_until(milliseconds{100}, idle);
    for (auto* d : devs)
      d->retry_pending(milliseconds{700});
  }
  for (auto* d : devs)
    if (!d->pending().empty())
      throw step_failure("every random send acknowledged",
                         std::to_string(d->pending().size())
                           + " send(s) of " + d->label() + " unanswered",
                         d->label());
}

} // namespace parley::scenario

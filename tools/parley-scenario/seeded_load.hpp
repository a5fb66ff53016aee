#pragma once

// Seeded random load: `random sends N among DEVICE... [seed=S]
// [faults=none|crash|mixed] [window=W]`.

#include <cstdint>
#include <string>

namespace parley::scenario {

/// The seed of one `random` step: its own `seed=` if given, else derived
/// from the run's seed and the step's line, so that one `--seed` replays
/// every random step of a script.
uint64_t step_seed(uint64_t run_seed, int line);

} // namespace parley::scenario

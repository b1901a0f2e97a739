// Seeded random traces for soak tests of the simulator: `nodes` machines (none, 1, 2, 4 or
// 8 GPUs of models "A", "B" or "C", 8-127 cores) and `tasks` tasks (20% CPU-only, 40% a
// share of one GPU in steps of 50 milli, 40% 1-8 whole GPUs; 0.5-16 cores in steps of 500m;
// a fifth of the GPU tasks limited to one or two models), arriving 0-59 s apart and living
// 1 s to an hour. Test-only.
#pragma once

#include <cstdint>

#include "model/trace.h"

namespace tessera::testing {

model::Scenario RandomTrace(uint64_t seed, int nodes, int tasks);

}  // namespace tessera::testing

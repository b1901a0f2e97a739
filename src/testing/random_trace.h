// Seeded random traces for soak tests of the simulator: `nodes` machines (none, 1, 2, 4 or
// 8 GPUs of models "A", "B" or "C", 8-127 cores) and `tasks` tasks (20% CPU-only, 40% a
// share of one GPU in steps of 50 milli, 40% 1-8 whole GPUs; 0.5-16 cores in steps of 500m;
// a fifth of the GPU tasks limited to one or two models), arriving 0-59 s apart and living
// 1 s to an hour. Test-only.
#pragma once

#include <cstdint>
#include <string>

#include "model/trace.h"

namespace tessera::testing {

model::Scenario RandomTrace(uint64_t seed, int nodes, int tasks);

// A seeded random scenario YAML with tenants (docs/scenario-format.md, "Queues"): 4
// ClusterQueues in one cohort with nominal 2-8 GPUs, weights 1-3, sometimes a borrowingLimit
// of 0-5 GPUs, reclaimWithinCohort Any and withinClusterQueue LowerPriority or Never; fair
// sharing on for odd seeds; three priority classes; nodes of 8 GPUs holding the total nominal
// quota rounded up; `tasks` one-GPU tasks from 12 shapes (queue x priority) arriving at
// 0.75 x the total nominal GPUs per hour and running 5 min to 3 h, so demand is about 1.15 x
// the quota: queues back up, borrow and reclaim. Parse it with io::ParseScenario.
std::string RandomTenantScenarioYaml(uint64_t seed, int tasks);

}  // namespace tessera::testing

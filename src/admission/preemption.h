// Classic preemption (queueing.md 2.4, Kueue pkg/scheduler/preemption): which admitted
// workloads to evict so that a workload whose flavor assignment is in Preempt mode fits.
//
// Candidates: workloads of the preemptor's own ClusterQueue allowed by withinClusterQueue
// (LowerPriority: priority below the preemptor's; LowerOrNewerEqualPriority: also equal
// priority when created after the preemptor), plus workloads of other ClusterQueues of the same
// cohort tree that are borrowing in a flavor-resource the preemptor needs, allowed by
// reclaimWithinCohort (Any, LowerPriority, LowerOrNewerEqualPriority). Only workloads using a
// flavor-resource that needs preemption count. Order: other ClusterQueues first, lower
// priority first, most recently admitted first, then name.
//
// Heuristics, the first that yields targets wins: (1) only own-ClusterQueue candidates:
// remove greedily, the preemptor may end up borrowing; (2) borrowWithinCohort enabled:
// greedily, borrowing allowed until a candidate of another ClusterQueue with priority above
// maxPriorityThreshold is taken; (3) the ClusterQueue is below nominal in every needed
// flavor-resource: greedily, without borrowing; (4) own-ClusterQueue candidates only,
// borrowing allowed. Then minimise: walk the targets in reverse (skipping the last one
// taken) and put back each one the preemptor does not need.
//
// Worked example: CQ a (nominal 6 cpu) and CQ b (nominal 6 cpu) in one cohort; b runs two
// workloads of 4 cpu (b uses 8, borrowing 2 of a's); a (reclaimWithinCohort Any) wants 6.
// available(a) = 12 - 8 = 4 < 6, so Preempt. Candidates: b's workloads (b borrows). a is
// below nominal (0 < 6) so heuristic (3): take the newer of b's two; b drops to 4, a's
// available becomes 8 >= 6 and a stays within nominal: one victim.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "admission/flavor_assigner.h"
#include "admission/quota_state.h"

namespace tessera::admission {

// A workload holding quota: what preemption may evict.
struct RunningWorkload {
  std::string name;
  ClusterQueueId cluster_queue;
  int32_t priority = 0;
  int64_t creation_unix_seconds = 0;
  int64_t admission_unix_seconds = 0;
  std::vector<FlavorResourceAmount> usage;
  bool active = false;  // false once finished or preempted
};

struct Preemptor {
  int32_t priority = 0;
  int64_t creation_unix_seconds = 0;
};

// The admitted workloads preemption may pick from: `workloads` indexed by handle, and the
// active handles of each ClusterQueue.
struct RunningView {
  std::span<const RunningWorkload> workloads;
  std::span<const std::vector<uint32_t>> by_cluster_queue;
  // Handles from here on were admitted in the current cycle and are not candidates: a cycle
  // never evicts what it just admitted.
  uint32_t first_protected = UINT32_MAX;
};

// The handles (indexes into running.workloads) to evict so that `assignment` fits, in the
// order they were chosen; empty when no heuristic works. `state` is used for simulation and
// left bit for bit as it was.
std::vector<uint32_t> FindPreemptionTargets(QuotaState& state, const Assignment& assignment,
                                            const Preemptor& preemptor, RunningView running);

}  // namespace tessera::admission

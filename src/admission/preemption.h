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
  // Handles that may not be candidates for this preemptor (the no-preemption-loop rule,
  // admitter.h).
  std::span<const uint32_t> excluded;
};

// The handles (indexes into running.workloads) to evict so that `assignment` fits, in the
// order they were chosen; empty when no heuristic works. `state` is used for simulation and
// left bit for bit as it was.
std::vector<uint32_t> FindPreemptionTargets(QuotaState& state, const Assignment& assignment,
                                            const Preemptor& preemptor, RunningView running);

// Kueue's fairSharing.preemptionStrategies (Configuration). With S_p = the weighted share of
// the preemptor's side with the preemptor admitted, S_t = the target side's share now and
// S_t' = the target side's share without the candidate (the "sides" are the children of the
// lowest common ancestor cohort that hold the preemptor's and the target's ClusterQueue):
// LessThanOrEqualToFinalShare allows the candidate when S_p <= S_t', LessThanInitialShare
// when S_p < S_t.
enum class FairPreemptionStrategy : uint8_t { kLessThanOrEqualToFinalShare, kLessThanInitialShare };

// Fair-sharing preemption (queueing.md 2.3; Kueue's fair preemptions), used instead of the
// classic heuristics when fair sharing is on. Candidates are those of the classic rules
// (withinClusterQueue; reclaimWithinCohort on ClusterQueues that borrow a needed
// flavor-resource), grouped by ClusterQueue in the classic order. Repeatedly: walk down from
// the root of the preemptor's tree, at every cohort taking the child (ClusterQueue or cohort)
// with the highest weighted share among those with candidates left; a child at share 0 is
// skipped unless it holds the preemptor's ClusterQueue (a ClusterQueue at dominant share 0 is
// never a victim). In the preemptor's own ClusterQueue the next candidate is taken without a
// share test. Elsewhere, the ClusterQueue's candidates are tried in order under
// `strategies[0]`: the first allowed one is taken (and the walk starts again, shares having
// changed); refused ones are set aside. Stop as soon as the preemptor fits (borrowing
// allowed). If it does not and there is a second strategy (LessThanInitialShare, which does not
// depend on the candidate), the set-aside candidates are walked the same way: the top
// ClusterQueue's first one is taken while S_p < S_t, until the preemptor fits or the top
// ClusterQueue fails the test. Then the targets are minimised as in the classic rules.
// Returns empty when the preemptor does not fit after all. `strategies` empty means Kueue's
// default [LessThanOrEqualToFinalShare, LessThanInitialShare].
//
// Worked example (AdmitterFairPreemptionTest): cohort of CQ a and CQ b, nominal 6 cpu each,
// weights 1, lendable 12. b runs 3 workloads of 3 cpu (uses 9, borrows 3: share 3*1000/12 =
// 250). a (uses 3) wants 4 more: available 12 - 12 = 0. With a's workload admitted a would
// borrow 1: S_p = 83. Removing one of b's: b uses 6, S_t' = 0. LTEFinal: 83 <= 0 fails;
// LTInitial: 83 < 250 holds, so [LTEFinal] preempts nothing and [LTEFinal, LTInitial] takes
// one of b's workloads.
std::vector<uint32_t> FindFairPreemptionTargets(QuotaState& state, const Assignment& assignment,
                                                const Preemptor& preemptor, RunningView running,
                                                std::span<const FairPreemptionStrategy> strategies);

}  // namespace tessera::admission

// Replay with tenants: a scenario with queues (docs/scenario-format.md, "Queues") replayed
// through Kueue-style admission. Every task is a workload of one pod in the ClusterQueue it
// names; it arrives at its creation time, waits in its queue until an admission cycle
// (admission::Admitter: quota, cohorts, borrowing and lending, fair sharing, priorities,
// preemption) admits it with a placement on the nodes (the policy's choice, as in the plain
// replay), runs for its duration and leaves; a preempted task goes back to its queue and
// starts over when readmitted. Cycles run on a one-second grid (sim/admission_loop.h).
//
// Reported per ClusterQueue over time: quota usage against nominal, the borrowed amount, the
// weighted dominant share, admissions, preemptions, waits; and Jain's fairness index over
// the queues with demand (JainIndex below).
//
// Invariant: a task is on a node exactly while it is admitted (checked with SimConfig::check);
// the same (config, policy, seed) gives the same Run on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "admission/admitter.h"
#include "base/status.h"
#include "model/trace.h"
#include "sim/cluster.h"
#include "sim/result.h"
#include "sim/simulator.h"

namespace tessera::sim {

// Jain's fairness index of `shares`: (sum x)^2 / (n * sum x^2), in [1/n, 1]; 1 when every
// share is 0 (nobody borrows: nobody is ahead) and when `shares` is empty.
// Example: shares [0.2, 0.2, 0] give 0.16 / (3 * 0.08) = 0.667.
double JainIndex(std::span<const double> shares);

// Sees the state after every grid point of a tenant replay (tests check invariants with it).
class TenantObserver {
 public:
  virtual ~TenantObserver() = default;
  // `order` is the task list in arrival order (World task t is order[t]); `pending` the
  // indexes of the tasks waiting now.
  virtual void Stepped(int64_t now_s, const admission::Admitter& admitter, const World& world,
                       std::span<const model::TraceTask> order,
                       std::span<const uint32_t> pending) = 0;
};

// One (policy, seed) run of the tenant replay. Requires: config.queues. Errors: a task's
// queue or priority class unknown to the queues, queues that do not compile (located by
// object and field), a broken invariant with config.check. `progress` is told of arrivals.
tessera::Result<Run> RunTenantReplay(const SimConfig& config, const std::string& policy_name,
                                     uint64_t seed, const std::function<void(int64_t)>& progress,
                                     const WallClock& clock, TenantObserver* observer = nullptr);

// Fills `summary.queues`, `fairness_mean` and `preemptions` from tenant runs of one policy.
void SummarizeQueues(std::span<const Run* const> runs, PolicySummary& summary);

}  // namespace tessera::sim

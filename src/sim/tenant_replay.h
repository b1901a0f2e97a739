// Replay with tenants: a scenario with queues (docs/scenario-format.md, "Queues") replayed
// through Kueue-style admission. Every task is a workload of one PodSet of `pods` identical
// pods (model::TraceTask::pods) in the ClusterQueue it names; it arrives at its
// creation time, waits in its queue until an admission cycle (admission::Admitter: quota,
// flavors, cohorts, borrowing and lending, fair sharing, priorities, aging, preemption) admits
// it with a placement of all of its pods on the nodes (the policy's choice, as in the plain
// replay; all or none), runs for its duration and leaves with all of its pods; a preempted
// task goes back to its queue and starts over when readmitted. Cycles run on a one-second
// grid (sim/admission_loop.h).
//
// Flavors: a workload's pods go only to the nodes of the ResourceFlavors its assignment
// chose (nodes whose labels include every nodeLabel of each such flavor; a flavor without
// nodeLabels covers every node).
//
// Reported per ClusterQueue over time: quota usage against nominal (both summed over the
// flavors the queue declares), the borrowed amount (summed over flavors of what each flavor
// uses beyond its nominal), the weighted dominant share, admissions, preemptions, waits; and
// Jain's fairness index over the queues with demand (JainIndex below).
//
// Invariant: a task's pods are on nodes exactly while it is admitted (checked with
// SimConfig::check); the same (config, policy, seed) gives the same Run on any thread.
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
  // `order` is the task list in arrival order; the World tasks (pods) of task t are
  // first_pod[t] .. first_pod[t + 1] - 1 (first_pod has order.size() + 1 entries; with one
  // pod per task, World task t is order[t]). `pending` holds the indexes of the tasks waiting
  // now.
  virtual void Stepped(int64_t now_s, const admission::Admitter& admitter, const World& world,
                       std::span<const model::TraceTask> order,
                       std::span<const uint32_t> first_pod,
                       std::span<const uint32_t> pending) = 0;
};

// The most pods of one task (model::TraceTask::pods) and of a whole replay (tasks times their
// pods); the scenario parser checks the same bounds.
inline constexpr int32_t kMaxPodsPerTask = model::kMaxPodsPerTask;
inline constexpr int64_t kMaxTenantPods = model::kMaxTenantPods;

// One (policy, seed) run of the tenant replay. Requires: config.queues. Errors: a task's
// queue or priority class unknown to the queues, queues that do not compile (located by
// object and field), a pod count out of range (located by task), a broken invariant with
// config.check. Fair sharing is on with config.queues->fair_sharing or an enabled
// objects.kueue_fair_sharing, whose preemption strategies reach the Admitter as
// `tessera schedule` passes them. `progress` is told of arrivals.
tessera::Result<Run> RunTenantReplay(const SimConfig& config, const std::string& policy_name,
                                     uint64_t seed, const std::function<void(int64_t)>& progress,
                                     const WallClock& clock, TenantObserver* observer = nullptr);

// Fills `summary.queues`, `fairness_mean` and `preemptions` from tenant runs of one policy.
void SummarizeQueues(std::span<const Run* const> runs, PolicySummary& summary);

}  // namespace tessera::sim

// Flavor assignment (queueing.md 2.1): for each PodSet of a workload and each resource group
// of its ClusterQueue, in order, the group's flavors are tried in order; a PodSet's total
// request (count x per-pod request; "pods" counts the pods when the ClusterQueue covers it)
// must fit available() for every covered resource it requests. Each flavor is classified as
// Fit / Preempt / NoFit, with or without borrowing, and flavorFungibility decides whether to
// stop or try the next flavor. Later PodSets see the usage of earlier ones.
//
// Worked example: group {cpu} with flavors [on-demand (nominal 4), spot (nominal 8)], a PodSet
// of 3 pods x 2 cpu = 6 cpu, nothing in use: on-demand is NoFit (6 > maximum capacity 4, no
// cohort), spot fits without borrowing, so the PodSet gets spot. A PodSet group (leader 1 x 1
// cpu, workers 3 x 1 cpu) is one request of 4 cpu: both PodSets get on-demand; as separate
// PodSets they would too, but with workers of 4 x 1 cpu (5 in all) both get spot, where
// separately the leader would take on-demand.
//
// Pure function of the quota state; allocates the result (and the flavors of PodSet groups).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "admission/quota_state.h"

namespace tessera::admission {

struct ResourceAmount {
  ResourceId resource;
  int64_t amount = 0;  // in the resource's unit (Quantity::value())
};

// One PodSet of a workload: `count` identical pods requesting `per_pod` each.
struct PodSetRequest {
  std::string name;  // "main" for a Job
  int32_t count = 0;
  // Partial admission: the fewest pods the PodSet may be admitted with (Kueue's minCount);
  // 0 or >= count: all `count` or nothing.
  int32_t min_count = 0;
  std::vector<ResourceAmount> per_pod;
  model::Labels node_selector;  // flavors whose nodeLabels disagree on a key are skipped
  // Kueue's PodSet group (kueue.x-k8s.io/podset-group-name; empty: none): the PodSets of a
  // workload with the same group get the same flavor per resource group, chosen where their
  // summed request fits, at the group's first PodSet.
  std::string group;
};

// Ordered from worst to best, as Kueue's granular modes.
enum class AssignmentMode : uint8_t { kNoFit, kPreempt, kFit };

struct PodSetAssignment {
  uint32_t pod_set = 0;  // index into the workload's PodSets
  int32_t count = 0;
  // Total usage of the PodSet, one entry per requested covered resource; the flavor chosen
  // for the resource is QueueModel::FlavorOf(fr).
  std::vector<FlavorResourceAmount> usage;
};

struct Assignment {
  ClusterQueueId cluster_queue;
  AssignmentMode mode = AssignmentMode::kNoFit;
  // Fit: Usage(CQ) + request > nominal(CQ) for some flavor-resource; Preempt: the request
  // alone exceeds nominal (after preemption it would still borrow).
  bool borrows = false;
  std::vector<PodSetAssignment> pod_sets;
  std::vector<FlavorResourceAmount> total;  // usage summed over PodSets, one entry per fr
  // When mode != kFit: why it does not fit as is, in Kueue's wording, e.g. "couldn't assign
  // flavors to pod set main: insufficient unused quota for cpu in flavor default-flavor, 1
  // more needed".
  std::string reason;
};

// Assigns flavors to every PodSet of a workload in ClusterQueue `cq` against `state`.
// The result's mode is the worst over PodSets. Cost: O(pod sets x flavors x resources x depth).
// With `fair_sharing`, a request beyond nominal may still be in Preempt mode (Kueue lets a
// workload preempt while borrowing under fair sharing, as with borrowWithinCohort).
Assignment AssignFlavors(const QuotaState& state, ClusterQueueId cq,
                         std::span<const PodSetRequest> pod_sets, bool fair_sharing = false);

// Whether `assignment` fits `state` now: total <= Available(CQ) for every flavor-resource and,
// unless `allow_borrowing`, Usage(CQ) + total <= nominal(CQ).
bool Fits(const QuotaState& state, const Assignment& assignment, bool allow_borrowing);

// "4", "1500m", "1Gi": an amount of `resource` in Kubernetes notation.
std::string FormatAmount(const QueueModel& model, ResourceId resource, int64_t amount);

}  // namespace tessera::admission

// A scheduling decision as data: what happened to one pod, and for a pod that cannot go
// anywhere, how many nodes rejected it for each reason. Text is rendered at the edge
// (io::UnschedulableMessage), never built inside the cycle. Decision lives in model (not
// engine) because io renders it and io may depend only on model and base.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/snapshot.h"

namespace tessera::model {

enum class Outcome : uint8_t {
  kPlaced,      // bound to `node` by this run
  kBound,       // already had spec.nodeName; counted, not moved
  kWaiting,     // fits no node now, but would fit an empty eligible node (may fit later)
  kInfeasible,  // fits no node even if it were empty, as the cluster stands
  kEvicted,     // bound, but a device of one of its claims has an untolerated NoExecute
                // taint: Kubernetes' device taint manager deletes the pod
  kMoved,       // bound, and moved to `node` by consolidation so that a pending gang fits
                // (KAI evicts it and its controller recreates it there); `message` says why
  kPreempted,   // bound in the input or placed by this run, in a running queued workload
                // that admission preempted for another; now on no node; `message` names it
};

// Why one node was rejected, in kube-scheduler's filter order.
enum class RejectReason : uint8_t {
  kNodeUnschedulable,     // spec.unschedulable
  kUntoleratedTaint,      // arg: LabelKeyId, arg2: LabelValueId of the first untolerated taint
  kNodeAffinity,          // nodeSelector or required node affinity
  kTooManyPods,           // the "pods" resource is exhausted
  kInsufficientResource,  // arg: ResourceId
  // DRA: arg is the claim (index into the run's ClaimAllocations), arg2 the request index.
  kClaimUnusable,            // the claim cannot be used as written (a missing device class)
  kClaimSelectorError,       // a CEL selector failed at run time
  kClaimNoMatchingDevice,    // no device on the node matches the request
  kClaimUntoleratedTaint,    // matching devices carry taints the request does not tolerate
  kClaimNotEnoughFree,       // too few matching devices are free
  kClaimConstraint,          // no combination satisfies the claim's constraints or counters
  kClaimTooComplex,          // the device search hit its budget on this node
  kClaimIncompletePool,      // allocationMode All while a visible pool is incomplete
  kClaimAllocatedElsewhere,  // the claim is allocated to devices this node cannot use
  kClaimTooManyConsumers,    // the claim is already reserved for 256 pods
  kClaimNoExecute,           // the claim's devices have an untolerated NoExecute taint
};

struct ReasonCount {
  RejectReason reason;
  uint32_t arg = 0;
  uint32_t arg2 = 0;
  uint32_t nodes = 0;  // how many nodes rejected the pod for this reason

  bool operator==(const ReasonCount&) const = default;
};

// One device of a claim's allocation: a row of status.allocation.devices.results.
struct AllocatedDevice {
  std::string request;  // "req" or "req/sub"
  DeviceId device;
  bool admin_access = false;
  bool shared = false;  // a shareable device: share_id and consumed_capacity are set
  std::string share_id;
  std::vector<std::pair<uint32_t, Quantity>> consumed_capacity;  // attribute name id, amount
  std::vector<TolerationSpec> tolerations;
};

// A NoExecute device taint that an allocated claim's request does not tolerate (or tolerates
// only for toleration_seconds): the claim's pods are evicted and it takes no new consumers.
struct NoExecuteTaint {
  DeviceId device;
  std::string key;
  std::string value;
  std::optional<int64_t> toleration_seconds;  // evicted after this long instead of at once
};

struct AllocatedConfig {
  bool from_class = false;  // source FromClass, else FromClaim
  OpaqueConfigSpec config;  // requests: the (sub)requests it applies to
};

// A claim as the run leaves it: a ResourceClaim of the input, or the claim the resource
// claim controller would create for a pod from a ResourceClaimTemplate.
struct ClaimAllocation {
  uint32_t claim_spec = 0;  // index into Snapshot::resource_claims()
  std::string namespace_name;
  std::string name;
  bool from_template = false;
  PodId owner;  // the pod a template claim belongs to
  bool allocated = false;
  NodeId node;  // set when a device is local to one node: nodeSelector on metadata.name
  std::vector<AllocatedDevice> devices;
  std::vector<AllocatedConfig> config;
  std::vector<PodId> reserved_for;
  std::vector<NoExecuteTaint> no_execute;  // non-empty: the claim's pods are evicted
  std::string problem;                     // why the claim cannot be used, if it cannot
};

struct Decision {
  PodId pod;
  Outcome outcome = Outcome::kWaiting;
  NodeId node;                       // kPlaced / kBound
  int64_t score = 0;                 // the winning node's total score (kPlaced)
  uint32_t nodes_total = 0;          // nodes in the cluster when decided
  std::vector<ReasonCount> reasons;  // kWaiting / kInfeasible; one entry per distinct reason
  // When set, the PodScheduled message: why a queued workload was not admitted, or why its
  // gang could not be placed. Followed by the per-node tally of `reasons` when there is one.
  std::string message;
  // Kept out of scheduling by its queue (Kueue's scheduling gate) rather than unschedulable.
  bool gated = false;
};

// One PodSet of an admitted workload, as Kueue's Workload status.admission shows it.
struct PodSetAdmission {
  std::string name;
  int32_t count = 0;
  std::vector<std::pair<std::string, std::string>> flavors;      // resource -> flavor
  std::vector<std::pair<std::string, Quantity>> resource_usage;  // resource -> total
};

// The admission decision for one queued workload (QueueObjects::workloads[workload]).
struct WorkloadDecision {
  uint32_t workload = 0;
  bool admitted = false;
  std::string cluster_queue;  // admitted: where; pending: the queue it waits in, if known
  std::vector<PodSetAdmission> pod_sets;  // admitted
  std::string message;                    // pending or evicted: why
  bool evicted = false;  // was running (admitted) and is preempted: its pods are evicted
  // Pending although its quota fits: the decision of the first pod that fit no node (its
  // `reasons` say why, node by node).
  std::optional<Decision> blocked;
};

}  // namespace tessera::model

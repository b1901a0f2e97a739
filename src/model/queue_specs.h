// Plain, string-keyed descriptions of the queueing objects (Kueue kueue.x-k8s.io v1beta1 and
// v1beta2, KAI scheduling.run.ai Queue) and of the Workloads built from queued Pods, Jobs and
// JobSets, as they arrive from io. The admission module compiles them into dense tables.
// Quantities are already parsed into each resource's unit (model::UnitForResource).
// `source` names the file an object came from, for located errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/quantity.h"
#include "model/gang_specs.h"
#include "model/specs.h"

namespace tessera::model {

// --- Kueue -----------------------------------------------------------------------------

struct ResourceFlavorSpec {
  std::string name;
  std::string source;
  Labels node_labels;                     // spec.nodeLabels
  std::vector<TaintSpec> node_taints;     // spec.nodeTaints
  std::vector<TolerationSpec> tolerations;  // spec.tolerations (added to admitted pods)
  std::string topology_name;              // spec.topologyName
};

// spec.resourceGroups[i].flavors[j].resources[k]
struct ResourceQuotaSpec {
  std::string name;  // resource name, e.g. "cpu", "nvidia.com/gpu", "pods"
  Quantity nominal_quota;
  std::optional<Quantity> borrowing_limit;
  std::optional<Quantity> lending_limit;
};

struct FlavorQuotasSpec {
  std::string flavor;  // a ResourceFlavor name
  std::vector<ResourceQuotaSpec> resources;
};

struct ResourceGroupSpec {
  std::vector<std::string> covered_resources;
  std::vector<FlavorQuotasSpec> flavors;  // in preference order
};

enum class QueueingStrategy : uint8_t { kBestEffortFIFO, kStrictFIFO };

// withinClusterQueue / reclaimWithinCohort values.
enum class PreemptionPolicy : uint8_t { kNever, kLowerPriority, kLowerOrNewerEqualPriority, kAny };

struct PreemptionSpec {
  PreemptionPolicy within_cluster_queue = PreemptionPolicy::kNever;
  PreemptionPolicy reclaim_within_cohort = PreemptionPolicy::kNever;
  // borrowWithinCohort.policy: kNever or kLowerPriority.
  PreemptionPolicy borrow_within_cohort = PreemptionPolicy::kNever;
  std::optional<int32_t> borrow_max_priority_threshold;  // borrowWithinCohort.maxPriorityThreshold
};

struct FlavorFungibilitySpec {
  bool when_can_borrow_try_next = false;  // whenCanBorrow: TryNextFlavor (default MayStopSearch)
  bool when_can_preempt_try_next = true;  // whenCanPreempt: TryNextFlavor (the default)
  bool preemption_over_borrowing = false;  // preference: PreemptionOverBorrowing
};

enum class StopPolicy : uint8_t { kNone, kHold, kHoldAndDrain };

// A Kubernetes label selector (namespaceSelector): matchLabels and matchExpressions ANDed.
// An absent selector (nullopt where it is used) matches nothing in Kueue; {} matches all.
struct LabelSelectorSpec {
  Labels match_labels;
  std::vector<NodeSelectorRequirementSpec> match_expressions;  // In, NotIn, Exists, DoesNotExist
};

struct ClusterQueueSpec {
  std::string name;
  std::string source;
  std::string cohort;  // spec.cohort (v1beta1) or spec.cohortName (v1beta2); empty: none
  std::optional<LabelSelectorSpec> namespace_selector;
  QueueingStrategy queueing_strategy = QueueingStrategy::kBestEffortFIFO;
  std::vector<ResourceGroupSpec> resource_groups;
  PreemptionSpec preemption;
  FlavorFungibilitySpec flavor_fungibility;
  double fair_sharing_weight = 1;  // spec.fairSharing.weight
  StopPolicy stop_policy = StopPolicy::kNone;
  // spec.admissionScope.admissionMode: UsageBasedAdmissionFairSharing (takes effect only with
  // a Configuration's admissionFairSharing section).
  bool usage_based_admission_fair_sharing = false;
};

struct CohortSpec {
  std::string name;
  std::string source;
  std::string parent;  // spec.parentName; empty: a root
  std::vector<ResourceGroupSpec> resource_groups;
  double fair_sharing_weight = 1;
};

struct LocalQueueSpec {
  std::string namespace_name = "default";
  std::string name;
  std::string source;
  std::string cluster_queue;
  StopPolicy stop_policy = StopPolicy::kNone;
  // Admission fair sharing: spec.fairSharing.weight (> 0; default 1) and the decayed usage
  // Kueue recorded, status.fairSharing.admissionFairSharingStatus.consumedResources (each
  // resource in its unit, model::UnitForResource).
  double fair_sharing_weight = 1;
  std::vector<std::pair<std::string, Quantity>> consumed_resources;
};

struct WorkloadPriorityClassSpec {
  std::string name;
  std::string source;
  int32_t value = 0;
};

// --- KAI -------------------------------------------------------------------------------

// scheduling.run.ai/v2 Queue: per resource (gpu, cpu, memory) quota (deserved; -1 unlimited),
// limit (-1 none) and overQuotaWeight.
struct KaiQueueResourceSpec {
  std::string resource;  // "gpu", "cpu" (millicores) or "memory" (MB)
  double quota = 0;
  double limit = -1;
  double over_quota_weight = 1;
};

struct KaiQueueSpec {
  std::string name;
  std::string source;
  std::string parent;  // spec.parentQueue
  int32_t priority = 0;
  std::vector<KaiQueueResourceSpec> resources;
};

// --- Kueue Configuration (config.kueue.x-k8s.io) -----------------------------------------

// resources.deviceClassMappings[i] of Kueue's Configuration: every DRA request (ExactCount) of a
// queued workload's ResourceClaimTemplates that names one of `device_class_names` counts its
// `count` devices per pod against the quota resource `name` (e.g. "example.com/gpu").
struct DeviceClassMappingSpec {
  std::string name;
  std::vector<std::string> device_class_names;
  std::string source;  // the file of the Configuration
  size_t index = 0;    // position in resources.deviceClassMappings, for errors
};

// fairSharing of Kueue's Configuration. `preemption_strategies` as written, validated to be one
// of Kueue's allowed lists ([LTEFinal], [LTInitial], [LTEFinal, LTInitial]); empty: Kueue's
// default [LessThanOrEqualToFinalShare, LessThanInitialShare].
enum class FairPreemptionStrategySpec : uint8_t {
  kLessThanOrEqualToFinalShare,
  kLessThanInitialShare,
};
struct KueueFairSharingSpec {
  bool enabled = false;
  std::vector<FairPreemptionStrategySpec> preemption_strategies;
  std::string source;  // the file of the Configuration
};

// admissionFairSharing of Kueue's Configuration: LocalQueues of a ClusterQueue with
// admissionMode UsageBasedAdmissionFairSharing take turns by their weighted usage.
// Durations in seconds; resource weights by resource name (absent: 1).
struct AdmissionFairSharingSpec {
  double usage_half_life_seconds = 0;
  double usage_sampling_interval_seconds = 0;
  std::vector<std::pair<std::string, double>> resource_weights;
  std::string source;  // the file of the Configuration
};

// --- Workloads -------------------------------------------------------------------------

// One PodSet: `count` identical pods. The pods themselves are ordinary PodSpecs in the
// snapshot (io expands Jobs and JobSets into them, named as their controllers would); the
// PodSet lists them by name, and all of them share `template`'s requests.
struct PodSetSpec {
  std::string name;  // "main" for a Job; the replicatedJob name for a JobSet
  int32_t count = 0;
  // Partial admission (Kueue's PodSet.minCount): the PodSet may be admitted with fewer pods,
  // down to this many, when all `count` do not fit. Set from a queued Job's annotation
  // kueue.x-k8s.io/job-min-parallelism; 1 <= min_count < count when set.
  std::optional<int32_t> min_count;
  std::vector<std::string> pod_names;  // `count` names of pods in the snapshot (same namespace)
  // Kueue's topology-aware annotations on the pod template (empty when absent).
  std::string required_topology;
  std::string preferred_topology;
  bool unconstrained_topology = false;
  // Slice layers, outermost first: podset-slice-required-topology with podset-slice-size
  // (one layer), or podset-slice-required-topology-constraints (1 to 3 layers).
  std::vector<SliceLayerSpec> slices;
  // kueue.x-k8s.io/podset-group-name (empty: none): the PodSets of a workload with the same
  // group get the same flavors, chosen for their summed requests, and are placed together in
  // one domain of their (common) required or preferred level, as one gang.
  std::string group_name;
};

// A PodSet's Kueue topology annotations as a gang member's constraint.
inline TopologyConstraintSpec TopologyOf(const PodSetSpec& ps) {
  TopologyConstraintSpec c;
  c.required_level = ps.required_topology;
  c.preferred_level = ps.preferred_topology;
  c.unconstrained = ps.unconstrained_topology;
  c.slices = ps.slices;
  return c;
}

struct OwnerReferenceSpec {
  std::string api_version;  // "batch/v1", "jobset.x-k8s.io/v1alpha2", "v1"
  std::string kind;         // "Job", "JobSet", "Pod"
  std::string name;
};

// status.admission of a Workload object in the input: Kueue admitted the workload already, so
// it holds this quota (the flavors and usage as recorded, not recomputed).
struct PodSetAssignmentSpec {
  std::string name;  // the PodSet
  std::vector<std::pair<std::string, std::string>> flavors;      // resource -> ResourceFlavor
  std::vector<std::pair<std::string, Quantity>> resource_usage;  // resource -> total, its unit
  std::optional<int32_t> count;  // absent: the PodSet's count
};
struct WorkloadAdmissionSpec {
  std::string cluster_queue;
  std::vector<PodSetAssignmentSpec> pod_sets;
  std::string object;  // "namespace/name" of the Workload object
  std::string source;  // its file
};

struct WorkloadSpec {
  std::string namespace_name = "default";
  std::string name;  // as Kueue names it: "<kind>-<owner name>" lower-cased, e.g. "job-train"
  std::string source;
  std::string queue_name;  // LocalQueue name (label kueue.x-k8s.io/queue-name)
  std::string kai_queue;   // KAI queue (label kai.scheduler/queue), when used instead
  int32_t priority = 0;    // resolved from WorkloadPriorityClass / PriorityClass
  std::string priority_class_name;
  std::optional<int64_t> creation_unix_seconds;
  OwnerReferenceSpec owner;
  std::vector<PodSetSpec> pod_sets;
  // From a Workload object of the input with status.admission (and quota still reserved):
  // the workload is running with this admission. A Workload object whose Job or JobSet is
  // not in the input becomes a WorkloadSpec of its own, with PodSets that name no pods.
  std::optional<WorkloadAdmissionSpec> admission;
};

}  // namespace tessera::model

namespace tessera::model {

// Namespace objects (for ClusterQueue namespaceSelector). A namespace that pods use but no
// Namespace object describes has just the label kubernetes.io/metadata.name=<name>.
struct NamespaceSpec {
  std::string name;
  std::string source;
  Labels labels;
};

// Everything queue-related one input holds.
struct QueueObjects {
  std::vector<ResourceFlavorSpec> flavors;
  std::vector<ClusterQueueSpec> cluster_queues;
  std::vector<CohortSpec> cohorts;
  std::vector<LocalQueueSpec> local_queues;
  std::vector<WorkloadPriorityClassSpec> workload_priority_classes;
  std::vector<KaiQueueSpec> kai_queues;
  std::vector<NamespaceSpec> namespaces;
  // From Kueue Configuration objects. DRA device quota applies only when a Configuration was
  // read (`has_kueue_configuration`); without one, claims are not charged to quotas.
  bool has_kueue_configuration = false;
  std::vector<DeviceClassMappingSpec> device_class_mappings;
  // fairSharing of the Configuration, when one sets it.
  std::optional<KueueFairSharingSpec> kueue_fair_sharing;
  // admissionFairSharing of the Configuration, when one sets it.
  std::optional<AdmissionFairSharingSpec> admission_fair_sharing;
  // What KAI's over-quota division shares: the cluster's total allocatable per quota
  // resource ("nvidia.com/gpu", "cpu", "memory"), set by the front end from the nodes. Empty:
  // unknown, and the idle pool above the KAI queues is unbounded (placement still bounds it).
  std::vector<std::pair<std::string, int64_t>> kai_cluster_capacity;
  std::vector<WorkloadSpec> workloads;
};

}  // namespace tessera::model

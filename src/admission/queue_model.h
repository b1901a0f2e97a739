// QueueModel: Kueue's queueing objects (ResourceFlavors, ClusterQueues, Cohorts, LocalQueues,
// WorkloadPriorityClasses) compiled into dense tables. ClusterQueues and Cohorts are nodes of
// one forest (queueing.md 2.1): ClusterQueues are the leaves with node ids [0, num_cluster_queues),
// Cohorts follow. A cohort named by a ClusterQueue or a parentName but described by no Cohort
// object exists implicitly as a root without quota. Quotas are kept per node and per
// "flavor-resource" (FlavorResource index = flavor * num_resources + resource), with the
// derived SubtreeQuota, localQuota (private, never lent) and potentialAvailable precomputed.
// Namespaces (for namespaceSelector) are compiled too: every Namespace object with its labels,
// plus the label kubernetes.io/metadata.name=<name> that the API server gives every namespace.
// KAI's scheduling.run.ai/v2 Queues are compiled into the same forest (CompileKaiQueues in
// queue_model.cc; the mapping and where it differs from KAI are in docs/queues.md): a leaf
// Queue becomes a ClusterQueue of the same name, a parent Queue a Cohort, and every top-level
// Queue sits under the cohort kKaiRootCohort, which holds the cluster's capacity beyond the
// top-level quotas (the idle resources KAI divides by overQuotaWeight).
// Invariant: immutable after Build, except that InternResource may append resource names
// that no ClusterQueue covers (ids >= num_quota_resources()).
// Not thread-safe to InternResource while others read; otherwise read-only.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/ids.h"
#include "base/status.h"
#include "model/queue_specs.h"

namespace tessera::admission {

using FlavorId = StrongId<struct FlavorTag>;
// The admission module's own resource-name ids (not model::ResourceId).
using ResourceId = StrongId<struct QuotaResourceTag>;
using ClusterQueueId = StrongId<struct ClusterQueueTag>;
// A node of the quota forest: a ClusterQueue (same index as its ClusterQueueId) or a Cohort.
using QuotaNodeId = StrongId<struct QuotaNodeTag>;
using LocalQueueId = StrongId<struct LocalQueueTag>;

// Index of a (flavor, resource) pair in the per-node quota arrays.
using FlavorResource = uint32_t;

inline constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();
inline constexpr int kMaxResourceGroups = 16;

// The label the API server sets on every namespace to its name (Kubernetes >= 1.22).
inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";
// Kueue's inadmissible message (condition QuotaReserved=False, reason Pending) for a workload
// whose namespace its ClusterQueue's namespaceSelector does not select
// (pkg/scheduler/scheduler.go, nominate).
inline constexpr std::string_view kNamespaceMismatchMessage =
    "Workload namespace doesn't match ClusterQueue selector";

// The names the KAI compilation gives its synthetic objects; neither is a valid object name
// (they contain '/'), so no manifest can collide with them.
inline constexpr std::string_view kKaiRootCohort = "kai.scheduler/root";
inline constexpr std::string_view kKaiFlavor = "kai.scheduler/default";
// KAI's quota resources as Tessera names them: gpu counts whole nvidia.com/gpu devices, cpu
// is in millicores and memory in bytes (KAI writes MB, 10^6 bytes).
inline constexpr std::string_view kKaiGpuResource = "nvidia.com/gpu";

// One requirement of a compiled label selector. matchLabels {k: v} becomes {k, kIn, [v]}.
// Kubernetes semantics (labels.Requirement.Matches): In needs the key with one of `values`;
// NotIn matches when the key is absent or its value is not in `values`; Exists and
// DoesNotExist look at the key only.
struct LabelRequirement {
  std::string key;
  model::SelectorOperator op = model::SelectorOperator::kIn;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;                            // sorted, no duplicates
};

struct ResourceGroup {
  std::vector<ResourceId> covered;  // coveredResources, in the order written
  std::vector<FlavorId> flavors;    // in preference order
};

struct FlavorInfo {
  std::string name;
  model::Labels node_labels;
};

struct ClusterQueueInfo {
  std::string name;
  QuotaNodeId node;  // == QuotaNodeId(id.value())
  bool has_cohort = false;
  std::vector<ResourceGroup> groups;
  // Per quota resource: the index of the group covering it, or -1.
  std::vector<int8_t> group_of_resource;
  bool covers_pods = false;  // "pods" is a covered resource: a PodSet counts its pods
  model::QueueingStrategy queueing_strategy = model::QueueingStrategy::kBestEffortFIFO;
  model::PreemptionSpec preemption;
  model::FlavorFungibilitySpec flavor_fungibility;
  model::StopPolicy stop_policy = model::StopPolicy::kNone;
  // spec.namespaceSelector. Absent (nil) selects no namespace, as metav1.LabelSelectorAsSelector
  // makes labels.Nothing() of nil; present with no requirements ({}) selects every namespace.
  bool has_namespace_selector = false;
  std::vector<LabelRequirement> namespace_selector;  // ANDed
  // Admission fair sharing is on: admissionMode UsageBasedAdmissionFairSharing and a
  // Configuration with admissionFairSharing. Its LocalQueues take turns by usage.
  bool admission_fair_sharing = false;
};

struct QuotaNodeInfo {
  std::string name;
  QuotaNodeId parent;  // invalid for a root
  std::vector<QuotaNodeId> children;
  bool is_cluster_queue = false;
  bool is_implicit = false;  // a cohort no Cohort object describes
  double fair_sharing_weight = 1;
  uint32_t depth = 0;  // roots are 0
  QuotaNodeId root;    // the root of the node's tree (itself for a root)
  // A KAI Queue's spec.priority (0 for Kueue objects): among siblings alike in borrowing, the
  // fair-sharing tournament serves the higher one first, as KAI serves higher-priority queues
  // first.
  int32_t kai_priority = 0;
};

struct LocalQueueInfo {
  std::string namespace_name;
  std::string name;
  ClusterQueueId cluster_queue;
  model::StopPolicy stop_policy = model::StopPolicy::kNone;
  // Admission fair sharing: spec.fairSharing.weight and the weighted usage of
  // status...consumedResources, sum over resources of weight x amount in Kubernetes base
  // units (cores, bytes, devices), as Kueue's CalculateUsage (before dividing by `weight`).
  double weight = 1;
  double consumed = 0;
};

// `amount` of `resource` (in its unit, model::UnitForResource) in Kubernetes base units: cores,
// bytes, devices; as Kueue's Quantity.AsApproximateFloat64.
double BaseUnits(std::string_view resource, int64_t amount);

// The Configuration's admissionFairSharing, compiled: the entry penalty rate
// alpha = 1 - 0.5^(samplingInterval / halfLife) (0 when halfLife is 0) and the resource
// weights (a resource not listed weighs 1).
struct AdmissionFairSharing {
  double entry_penalty_rate = 0;
  std::vector<std::pair<std::string, double>> resource_weights;
  double WeightOf(std::string_view resource) const {
    for (const auto& [name, w] : resource_weights) {
      if (name == resource) return w;
    }
    return 1;
  }
};

class QueueModel {
 public:
  // Compiles and validates `objects` (only the Kueue kinds; KAI queues and workloads are
  // ignored). Errors name the object and the field, e.g.
  // `ClusterQueue a: spec.resourceGroups[1].coveredResources[0]: resource cpu is already
  // covered by resourceGroups[0]` or `Cohort a: spec.parentName: cycle a -> b -> a`.
  static Result<QueueModel> Build(const model::QueueObjects& objects);

  // --- names and ids ---
  size_t num_flavors() const { return flavors_.size(); }
  // Resources some ClusterQueue or Cohort declares a quota for; FlavorResource indexes use it.
  size_t num_quota_resources() const { return num_quota_resources_; }
  size_t num_cluster_queues() const { return cluster_queues_.size(); }
  size_t num_nodes() const { return nodes_.size(); }
  size_t num_flavor_resources() const { return num_flavors() * num_quota_resources_; }

  const FlavorInfo& flavor(FlavorId id) const { return flavors_[id.index()]; }
  const std::string& resource_name(ResourceId id) const { return resource_names_[id.index()]; }
  const ClusterQueueInfo& cluster_queue(ClusterQueueId id) const {
    return cluster_queues_[id.index()];
  }
  const QuotaNodeInfo& node(QuotaNodeId id) const { return nodes_[id.index()]; }
  const std::vector<QuotaNodeId>& roots() const { return roots_; }
  const std::vector<LocalQueueInfo>& local_queues() const { return local_queues_; }

  FlavorId FindFlavor(std::string_view name) const;
  ResourceId FindResource(std::string_view name) const;
  ClusterQueueId FindClusterQueue(std::string_view name) const;
  // A Cohort (explicit or implicit) by name; invalid when unknown.
  QuotaNodeId FindCohort(std::string_view name) const;
  LocalQueueId FindLocalQueue(std::string_view namespace_name, std::string_view name) const;
  // The Configuration's admissionFairSharing, when the input had one.
  const std::optional<AdmissionFairSharing>& admission_fair_sharing() const {
    return admission_fair_sharing_;
  }
  // The value of a WorkloadPriorityClass, or nullopt when there is none of that name.
  std::optional<int32_t> FindPriorityClass(std::string_view name) const;

  // Whether ClusterQueue `cq`'s spec.namespaceSelector selects the namespace `namespace_name`,
  // i.e. whether Kueue would consider its workloads at all; when not, they stay pending with
  // kNamespaceMismatchMessage. The namespace's labels are those of its Namespace object plus
  // kubernetes.io/metadata.name=<name>; a namespace with no object has just that one label.
  // An absent selector selects nothing and {} selects everything: the Kueue API reference
  // says for both kueue.x-k8s.io/v1beta1 and v1beta2 "Defaults to null which is a nothing
  // selector (no namespaces eligible). If set to an empty selector {}, then all namespaces
  // are eligible", and Kueue's cache compiles the field with metav1.LabelSelectorAsSelector
  // (nil -> labels.Nothing()). Requires: a valid `cq`.
  // Cost: one hash lookup, then O(requirements x log labels); allocates nothing.
  bool NamespaceAllowed(ClusterQueueId cq, std::string_view namespace_name) const;
  // The labels of a namespace as NamespaceAllowed sees them, sorted by key; empty when no
  // Namespace object describes it (it then has only kubernetes.io/metadata.name=<name>).
  std::span<const std::pair<std::string, std::string>> namespace_labels(
      std::string_view namespace_name) const;

  // The id of a resource name, adding it (uncovered by every ClusterQueue) when unknown,
  // so that workloads can name resources no quota mentions and get a NoFit naming them.
  ResourceId InternResource(std::string_view name);
  ResourceId pods_resource() const { return pods_; }  // invalid when no quota names "pods"

  // --- KAI queues (scheduling.run.ai/v2 Queue), compiled into the same forest ---
  // The ClusterQueue a KAI leaf queue became (it keeps the Queue's name); invalid when `name`
  // is no KAI queue or a KAI parent queue (jobs go to leaf queues only).
  ClusterQueueId FindKaiQueue(std::string_view name) const;
  // Whether `name` is a KAI queue with child queues.
  bool IsKaiParentQueue(std::string_view name) const;
  bool has_kai_queues() const { return !kai_queue_index_.empty() || !kai_parents_.empty(); }

  // --- DRA device quota (Kueue Configuration resources.deviceClassMappings) ---
  // Whether a Kueue Configuration was read: only then do ResourceClaimTemplates charge quota
  // (admission/quota_devices.h).
  bool charges_devices() const { return charges_devices_; }
  // The quota resource a DeviceClass is mapped to; invalid when the class is not mapped.
  // Mapped names that no ClusterQueue covers get ids too (>= num_quota_resources()), so a
  // workload charging one gets Kueue's "resource ... unavailable in ClusterQueue".
  ResourceId DeviceClassResource(std::string_view device_class) const;

  static QuotaNodeId NodeOf(ClusterQueueId cq) { return QuotaNodeId(cq.value()); }
  FlavorResource Fr(FlavorId flavor, ResourceId resource) const {
    return static_cast<FlavorResource>(flavor.index() * num_quota_resources_ + resource.index());
  }
  FlavorId FlavorOf(FlavorResource fr) const {
    return FlavorId::FromIndex(fr / num_quota_resources_);
  }
  ResourceId ResourceOf(FlavorResource fr) const {
    return ResourceId::FromIndex(fr % num_quota_resources_);
  }

  // --- static quotas, per node and flavor-resource ---
  // Whether the node's resourceGroups list the flavor-resource (cohorts: their own groups).
  bool declares(QuotaNodeId n, FlavorResource fr) const { return declared_[At(n, fr)] != 0; }
  int64_t nominal(QuotaNodeId n, FlavorResource fr) const { return nominal_[At(n, fr)]; }
  // kNoLimit when nil.
  int64_t borrowing_limit(QuotaNodeId n, FlavorResource fr) const {
    return borrowing_limit_[At(n, fr)];
  }
  int64_t lending_limit(QuotaNodeId n, FlavorResource fr) const {
    return lending_limit_[At(n, fr)];
  }
  // SubtreeQuota(CQ) = nominal; SubtreeQuota(cohort) = own nominal +
  // sum over children of (SubtreeQuota(child) - localQuota(child)).
  int64_t subtree_quota(QuotaNodeId n, FlavorResource fr) const {
    return subtree_quota_[At(n, fr)];
  }
  // localQuota = max(0, SubtreeQuota - lendingLimit) when lendingLimit is set, else 0.
  int64_t local_quota(QuotaNodeId n, FlavorResource fr) const { return local_quota_[At(n, fr)]; }
  // The most the node could ever use if everything else were idle: SubtreeQuota at a root,
  // else min(localQuota + potentialAvailable(parent), SubtreeQuota + borrowingLimit).
  int64_t potential_available(QuotaNodeId n, FlavorResource fr) const {
    return potential_available_[At(n, fr)];
  }
  // For nodes with a parent: sum over flavors of potentialAvailable(parent, f, r), the
  // denominator of the dominant resource share.
  int64_t lendable(QuotaNodeId n, ResourceId r) const {
    return lendable_[n.index() * num_quota_resources_ + r.index()];
  }

 private:
  friend class QueueModelBuilder;
  size_t At(QuotaNodeId n, FlavorResource fr) const {
    return n.index() * num_flavor_resources() + fr;
  }

  std::vector<FlavorInfo> flavors_;
  std::vector<std::string> resource_names_;
  size_t num_quota_resources_ = 0;
  ResourceId pods_;
  std::vector<ClusterQueueInfo> cluster_queues_;
  std::vector<QuotaNodeInfo> nodes_;
  std::vector<QuotaNodeId> roots_;
  std::vector<LocalQueueInfo> local_queues_;
  std::optional<AdmissionFairSharing> admission_fair_sharing_;
  std::unordered_map<std::string, uint32_t> flavor_index_;
  std::unordered_map<std::string, uint32_t> resource_index_;
  std::unordered_map<std::string, uint32_t> cluster_queue_index_;
  std::unordered_map<std::string, uint32_t> cohort_index_;       // node ids
  std::unordered_map<std::string, uint32_t> local_queue_index_;  // "namespace/name"
  std::unordered_map<std::string, int32_t> priority_classes_;
  // Namespace objects: labels sorted by key, metadata.name label included.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<model::Labels> namespace_labels_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> namespace_index_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> kai_queue_index_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> kai_parents_;
  bool charges_devices_ = false;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> device_class_resource_;

  std::vector<uint8_t> declared_;
  std::vector<int64_t> nominal_;
  std::vector<int64_t> borrowing_limit_;
  std::vector<int64_t> lending_limit_;
  std::vector<int64_t> subtree_quota_;
  std::vector<int64_t> local_quota_;
  std::vector<int64_t> potential_available_;
  std::vector<int64_t> lendable_;  // nodes x num_quota_resources
};

}  // namespace tessera::admission

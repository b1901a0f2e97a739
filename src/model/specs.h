// Plain, string-keyed descriptions of cluster objects as they arrive from the edge (io,
// scenario generators, tests). SnapshotBuilder turns them into the dense, interned Snapshot.
// Quantities are already parsed into each resource's unit (see UnitForResource). `source`
// names the file an object came from, so that errors found while building can say where.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/quantity.h"

namespace tessera::model {

enum class TaintEffect : uint8_t { kNoSchedule, kPreferNoSchedule, kNoExecute };
enum class TolerationOperator : uint8_t { kEqual, kExists };
enum class SelectorOperator : uint8_t { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };

struct TaintSpec {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
};

struct TolerationSpec {
  std::string key;  // empty with kExists tolerates every taint
  TolerationOperator op = TolerationOperator::kEqual;
  std::string value;
  std::optional<TaintEffect> effect;  // nullopt matches every effect
  std::optional<int64_t> toleration_seconds;  // NoExecute only: how long the pod may stay
};

// One requirement of a node selector term. With `is_field` the key is a node field
// (only "metadata.name" exists) instead of a label.
struct NodeSelectorRequirementSpec {
  std::string key;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;  // Gt/Lt: exactly one integer
  bool is_field = false;
};

// Requirements ANDed; a term with no requirements matches no node (as in Kubernetes).
struct NodeSelectorTermSpec {
  std::vector<NodeSelectorRequirementSpec> requirements;
};

using Labels = std::vector<std::pair<std::string, std::string>>;
using ResourceList = std::vector<std::pair<std::string, Quantity>>;

struct NodeSpec {
  std::string name;
  std::string source;
  Labels labels;
  std::vector<TaintSpec> taints;
  ResourceList allocatable;  // status.allocatable (status.capacity when absent)
  bool unschedulable = false;
};

// spec.resourceClaims[i] of a pod: exactly one of the two names is set.
struct PodClaimRefSpec {
  std::string name;
  std::string resource_claim_name;
  std::string resource_claim_template_name;
  // A running pod's reference to the claim the resource claim controller made for it from
  // this template (status.resourceClaimStatuses): resource_claim_name names that claim, the
  // template name is kept here. The claim is the pod's own.
  std::string generated_from_template;
};

struct PodSpec {
  std::string namespace_name = "default";
  std::string name;
  std::string source;
  Labels labels;
  int32_t priority = 0;  // resolved from priorityClassName / spec.priority by the reader
  // metadata.creationTimestamp as Unix seconds; pods without one sort after those with one.
  std::optional<int64_t> creation_unix_seconds;
  // Effective requests as kube-scheduler computes them: max(sum(containers),
  // max(initContainers)) + overhead, with limits standing in for absent requests.
  // "pods" is not listed; every pod counts one pod.
  ResourceList requests;
  std::string node_name;  // spec.nodeName: set means the pod is already running there
  std::string scheduler_name;
  Labels node_selector;   // spec.nodeSelector
  // requiredDuringSchedulingIgnoredDuringExecution terms (ORed); nullopt when absent.
  std::optional<std::vector<NodeSelectorTermSpec>> required_node_affinity;
  std::vector<TolerationSpec> tolerations;
  std::vector<PodClaimRefSpec> claims;
};

// --- Dynamic Resource Allocation (resource.k8s.io) ------------------------------------
// Kept close to the API so that the DRA allocator (issue #3) can compile them.

struct SemVer {
  std::string text;  // canonical strict semver 2.0.0, as published
};

struct DeviceAttributeSpec {
  std::string name;  // as written: bare ("model") or qualified ("gpu.nvidia.com/model")
  std::variant<int64_t, bool, std::string, SemVer> value;
};

// capacity[x].requestPolicy of a shareable device (consumable capacity, KEP-5075).
struct CapacityRequestPolicySpec {
  std::optional<Quantity> default_value;  // consumed when a request does not mention x
  std::vector<Quantity> valid_values;     // ascending; a request rounds up to one of these
  struct ValidRange {
    Quantity min;
    std::optional<Quantity> max;
    std::optional<Quantity> step;
  };
  std::optional<ValidRange> valid_range;
};

struct DeviceCapacitySpec {
  std::string name;
  Quantity value;  // whole units (bytes for memory)
  std::optional<CapacityRequestPolicySpec> request_policy;
};

struct DeviceCounterConsumptionSpec {
  std::string counter_set;
  std::vector<std::pair<std::string, Quantity>> counters;
};

struct DeviceSpec {
  std::string name;
  std::vector<DeviceAttributeSpec> attributes;
  std::vector<DeviceCapacitySpec> capacity;
  std::vector<DeviceCounterConsumptionSpec> consumes_counters;
  std::vector<TaintSpec> taints;
  bool allow_multiple_allocations = false;
  // Per-device node selection, only with ResourceSliceSpec::per_device_node_selection.
  std::string node_name;
  bool all_nodes = false;
  std::optional<NodeSelectorTermSpec> node_selector;
  bool binds_to_node = false;
  std::vector<std::string> binding_conditions;
  std::vector<std::string> binding_failure_conditions;
};

struct CounterSetSpec {
  std::string name;
  std::vector<std::pair<std::string, Quantity>> counters;
};

struct ResourceSliceSpec {
  std::string name;
  std::string source;
  std::string driver;
  std::string pool;
  int64_t pool_generation = 0;
  int64_t resource_slice_count = 1;
  // Node selection: exactly one of node_name, all_nodes, node_selector.
  std::string node_name;
  bool all_nodes = false;
  std::optional<NodeSelectorTermSpec> node_selector;
  bool per_device_node_selection = false;
  std::vector<DeviceSpec> devices;
  std::vector<CounterSetSpec> shared_counters;
};

// spec.config[i].opaque of a DeviceClass or ResourceClaim: passed through to drivers.
struct OpaqueConfigSpec {
  std::vector<std::string> requests;  // claims only; empty: every request
  std::string driver;
  std::string parameters_json;        // the raw parameters object, as compact JSON
};

struct DeviceClassSpec {
  std::string name;
  std::string source;
  std::vector<std::string> selectors;  // CEL expressions
  std::vector<OpaqueConfigSpec> config;
  std::string extended_resource_name;
};

enum class AllocationMode : uint8_t { kExactCount, kAll };

struct DeviceRequestSpec {
  std::string name;
  std::string device_class_name;
  std::vector<std::string> selectors;  // CEL expressions
  AllocationMode allocation_mode = AllocationMode::kExactCount;
  int64_t count = 1;
  bool admin_access = false;
  std::vector<TolerationSpec> tolerations;
  std::vector<std::pair<std::string, Quantity>> capacity_requests;
  std::vector<DeviceRequestSpec> first_available;  // subrequests; empty for `exactly`
};

struct DeviceConstraintSpec {
  std::vector<std::string> requests;  // empty: all requests
  std::string match_attribute;
  std::string distinct_attribute;
};

// One row of status.allocation.devices.results of a claim that arrives allocated.
struct AllocatedDeviceSpec {
  std::string request;  // "req" or "req/sub"
  std::string driver;
  std::string pool;
  std::string device;
  bool admin_access = false;
  std::string share_id;
  std::vector<std::pair<std::string, Quantity>> consumed_capacity;
};

// A ResourceClaim, or the claim spec inside a ResourceClaimTemplate (is_template).
struct ResourceClaimSpec {
  std::string namespace_name = "default";
  std::string name;
  std::string source;
  bool is_template = false;
  std::vector<DeviceRequestSpec> requests;
  std::vector<DeviceConstraintSpec> constraints;
  std::vector<OpaqueConfigSpec> config;
  // A claim read from a live cluster may already be allocated: its devices are in use.
  bool allocated = false;
  std::vector<AllocatedDeviceSpec> allocation;
  std::vector<std::string> reserved_for;  // pod names (status.reservedFor, resource pods)
};

struct DeviceTaintRuleSpec {
  std::string name;
  std::string source;
  std::string device_class_name;
  std::string driver;
  std::string pool;
  std::string device;
  std::vector<std::string> selectors;
  TaintSpec taint;
};

}  // namespace tessera::model

// The immutable cluster snapshot: nodes, pods, resources and devices as flat, interned tables
// indexed by strong ids. Built once by SnapshotBuilder (from io, a scenario generator or a
// test) and then only read; everything a scheduling cycle changes lives in an Overlay.
// Invariants: NodeId order is node-name order (so "lowest id" is a deterministic tie-break
// independent of input order); a node's resource row has exactly num_resources() entries.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.h"
#include "base/interner.h"
#include "base/quantity.h"
#include "base/status.h"
#include "model/resources.h"
#include "model/specs.h"

namespace tessera::model {

namespace internal {
class SnapshotAssembler;
}  // namespace internal

using NodeId = StrongId<struct NodeTag>;
using PodId = StrongId<struct PodTag>;
using DeviceId = StrongId<struct DeviceTag>;
using LabelKeyId = StrongId<struct LabelKeyTag>;
using LabelValueId = StrongId<struct LabelValueTag>;

// [begin, end) into one of the snapshot's flat arrays.
struct Range {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t size() const { return end - begin; }
  bool empty() const { return begin == end; }
};

struct Label {
  LabelKeyId key;
  LabelValueId value;
};

struct Taint {
  LabelKeyId key;
  LabelValueId value;
  TaintEffect effect = TaintEffect::kNoSchedule;
};

struct Toleration {
  LabelKeyId key;  // invalid: the empty key (matches every key with kExists)
  TolerationOperator op = TolerationOperator::kEqual;
  LabelValueId value;
  bool any_effect = true;
  TaintEffect effect = TaintEffect::kNoSchedule;
};

// True when `toleration` tolerates `taint` (Kubernetes' ToleratesTaint).
bool Tolerates(const Toleration& toleration, const Taint& taint);

struct NodeSelectorRequirement {
  LabelKeyId key;  // unused when is_field (the only field is metadata.name)
  SelectorOperator op = SelectorOperator::kIn;
  bool is_field = false;
  Range values;        // into selector_values(); sorted ascending
  int64_t number = 0;  // Gt / Lt operand
};

struct ResourceAmount {
  ResourceId resource;
  Quantity amount;
};

struct Pod {
  std::string namespace_name;
  std::string name;
  std::string source;
  int32_t priority = 0;
  std::optional<int64_t> creation_unix_seconds;
  NodeId node;                      // valid when the pod is already bound (running)
  Range requests;                   // into resource_amounts(), sorted by resource id
  Range node_selector;              // into labels(), sorted by key
  bool has_required_affinity = false;
  Range affinity_terms;             // into terms(); each term is a Range of requirements
  Range tolerations;                // into tolerations()
  bool tolerates_unschedulable = false;  // tolerates node.kubernetes.io/unschedulable:NoSchedule
  Range labels;                     // into labels()
  std::vector<PodClaimRefSpec> claims;
};

// Devices as columns (DRA). Attributes and capacities are flat arrays with a Range per device.
struct DeviceAttribute {
  uint32_t name;  // id in attribute_names(), fully qualified ("gpu.nvidia.com/model")
  enum class Kind : uint8_t { kInt, kBool, kString, kVersion } kind = Kind::kInt;
  int64_t int_value = 0;  // kInt; kBool as 0/1
  uint32_t string_value = 0;  // kString/kVersion: id in attribute_strings()
};

struct DeviceCapacity {
  uint32_t name;  // id in attribute_names(), fully qualified
  Quantity value;
};

// Which nodes can use a device: the slice's (or, with perDeviceNodeSelection, the device's
// own) nodeName, allNodes or nodeSelector.
enum class DeviceVisibility : uint8_t { kNode, kAllNodes, kNodeSelector };

struct DeviceTable {
  std::vector<NodeId> node;        // kNode: the node (invalid when it is not in the snapshot)
  std::vector<uint32_t> driver;    // id in drivers()
  std::vector<uint32_t> pool;      // id in pools()
  std::vector<std::string> name;
  std::vector<uint32_t> slice;     // index into resource_slices()
  std::vector<uint32_t> index_in_slice;  // position in resource_slices()[slice].devices
  std::vector<DeviceVisibility> visibility;
  std::vector<Range> selector_terms;     // kNodeSelector: into Snapshot terms (one term)
  std::vector<Range> attributes;   // into attributes
  std::vector<Range> capacities;   // into capacities
  std::vector<Range> taints;       // into Snapshot::taints()
  std::vector<uint8_t> allow_multiple_allocations;
  std::vector<DeviceAttribute> attribute_values;
  std::vector<DeviceCapacity> capacity_values;

  size_t size() const { return name.size(); }
};

class Snapshot {
 public:
  Snapshot(Snapshot&&) = default;
  Snapshot& operator=(Snapshot&&) = default;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // --- resources
  size_t num_resources() const { return resource_names_.size(); }
  const std::string& resource_name(ResourceId id) const { return resource_names_.Name(id.value()); }
  std::optional<ResourceId> FindResource(std::string_view name) const;

  // --- nodes
  size_t num_nodes() const { return node_names_.size(); }
  const std::string& node_name(NodeId id) const { return node_names_[id.index()]; }
  std::optional<NodeId> FindNode(std::string_view name) const;
  // Row of num_resources() quantities.
  std::span<const Quantity> allocatable(NodeId id) const {
    return {allocatable_.data() + id.index() * num_resources(), num_resources()};
  }
  Quantity allocatable(NodeId id, ResourceId r) const {
    return allocatable_[id.index() * num_resources() + r.index()];
  }
  // What pods already bound in the input use on each node (same layout as allocatable).
  std::span<const Quantity> bound_usage() const { return bound_usage_; }
  std::span<const Label> node_labels(NodeId id) const { return Slice(labels_, node_labels_[id.index()]); }
  // The value of label `key` on `node`, if set. O(log labels on the node).
  std::optional<LabelValueId> NodeLabel(NodeId node, LabelKeyId key) const;
  std::span<const Taint> node_taints(NodeId id) const { return Slice(taints_, node_taints_[id.index()]); }
  bool node_unschedulable(NodeId id) const { return node_unschedulable_[id.index()] != 0; }
  const std::string& node_source(NodeId id) const { return node_sources_[id.index()]; }
  // The node's name as a label value id (for matchFields metadata.name).
  LabelValueId node_name_value(NodeId id) const { return node_name_values_[id.index()]; }

  // --- labels
  const std::string& label_key(LabelKeyId id) const { return label_keys_.Name(id.value()); }
  const std::string& label_value(LabelValueId id) const { return label_values_.Name(id.value()); }
  std::optional<LabelKeyId> FindLabelKey(std::string_view key) const;
  std::optional<LabelValueId> FindLabelValue(std::string_view value) const;
  // The integer a label value parses as (for Gt/Lt), if it is one.
  std::optional<int64_t> label_value_int(LabelValueId id) const { return label_value_ints_[id.index()]; }

  // --- pods, in input order
  size_t num_pods() const { return pods_.size(); }
  const Pod& pod(PodId id) const { return pods_[id.index()]; }
  // O(log pods).
  std::optional<PodId> FindPod(std::string_view namespace_name, std::string_view name) const;
  std::span<const ResourceAmount> pod_requests(PodId id) const {
    return Slice(resource_amounts_, pods_[id.index()].requests);
  }
  std::span<const Label> pod_node_selector(PodId id) const {
    return Slice(labels_, pods_[id.index()].node_selector);
  }
  std::span<const Label> pod_labels(PodId id) const { return Slice(labels_, pods_[id.index()].labels); }
  std::span<const Range> pod_affinity_terms(PodId id) const {
    return Slice(terms_, pods_[id.index()].affinity_terms);
  }
  std::span<const Toleration> pod_tolerations(PodId id) const {
    return Slice(tolerations_, pods_[id.index()].tolerations);
  }
  std::span<const NodeSelectorRequirement> term_requirements(Range term) const {
    return Slice(requirements_, term);
  }
  std::span<const LabelValueId> requirement_values(const NodeSelectorRequirement& r) const {
    return Slice(selector_values_, r.values);
  }

  // --- devices and DRA objects (allocation arrives with issue #3)
  const DeviceTable& devices() const { return devices_; }
  const Interner& drivers() const { return drivers_; }
  const Interner& pools() const { return pools_; }
  const Interner& attribute_names() const { return attribute_names_; }
  const Interner& attribute_strings() const { return attribute_strings_; }
  std::span<const Taint> taints() const { return taints_; }
  std::span<const Range> terms(Range r) const { return Slice(terms_, r); }
  const std::vector<ResourceSliceSpec>& resource_slices() const { return slices_; }
  const std::vector<DeviceClassSpec>& device_classes() const { return device_classes_; }
  const std::vector<ResourceClaimSpec>& resource_claims() const { return claims_; }
  const std::vector<DeviceTaintRuleSpec>& device_taint_rules() const { return taint_rules_; }

 private:
  friend class SnapshotBuilder;
  friend class internal::SnapshotAssembler;
  Snapshot() = default;

  template <class T>
  static std::span<const T> Slice(const std::vector<T>& v, Range r) {
    return {v.data() + r.begin, r.size()};
  }

  Interner resource_names_;
  Interner label_keys_;
  Interner label_values_;
  std::vector<std::optional<int64_t>> label_value_ints_;

  std::vector<std::string> node_names_;
  std::vector<std::string> node_sources_;
  std::vector<LabelValueId> node_name_values_;
  std::vector<Quantity> allocatable_;  // nodes x resources
  std::vector<Quantity> bound_usage_;  // nodes x resources
  std::vector<Range> node_labels_;
  std::vector<Range> node_taints_;
  std::vector<uint8_t> node_unschedulable_;

  std::vector<Pod> pods_;
  std::vector<PodId> pods_by_name_;  // sorted by (namespace, name), for FindPod

  // Flat pools shared by nodes and pods.
  std::vector<Label> labels_;
  std::vector<Taint> taints_;
  std::vector<Toleration> tolerations_;
  std::vector<ResourceAmount> resource_amounts_;
  std::vector<Range> terms_;
  std::vector<NodeSelectorRequirement> requirements_;
  std::vector<LabelValueId> selector_values_;

  DeviceTable devices_;
  Interner drivers_;
  Interner pools_;
  Interner attribute_names_;
  Interner attribute_strings_;
  std::vector<ResourceSliceSpec> slices_;
  std::vector<DeviceClassSpec> device_classes_;
  std::vector<ResourceClaimSpec> claims_;
  std::vector<DeviceTaintRuleSpec> taint_rules_;
};

// Collects specs, then validates and interns them into a Snapshot. Not thread-safe.
class SnapshotBuilder {
 public:
  void AddNode(NodeSpec node) { nodes_.push_back(std::move(node)); }
  void AddPod(PodSpec pod) { pods_.push_back(std::move(pod)); }
  void AddResourceSlice(ResourceSliceSpec slice) { slices_.push_back(std::move(slice)); }
  void AddDeviceClass(DeviceClassSpec device_class) {
    device_classes_.push_back(std::move(device_class));
  }
  void AddResourceClaim(ResourceClaimSpec claim) { claims_.push_back(std::move(claim)); }
  void AddDeviceTaintRule(DeviceTaintRuleSpec rule) { taint_rules_.push_back(std::move(rule)); }

  // Validates cross-object references and builds the snapshot. Errors name the object and
  // field: duplicate names ("metadata.name"), a pod bound to a node that does not exist
  // ("spec.nodeName"), a pod naming a ResourceClaim or ResourceClaimTemplate that does not
  // exist ("spec.resourceClaims[i]..."), a non-integer Gt/Lt operand, and quantity overflow
  // when summing what bound pods use on a node.
  Result<Snapshot> Build() &&;

 private:
  std::vector<NodeSpec> nodes_;
  std::vector<PodSpec> pods_;
  std::vector<ResourceSliceSpec> slices_;
  std::vector<DeviceClassSpec> device_classes_;
  std::vector<ResourceClaimSpec> claims_;
  std::vector<DeviceTaintRuleSpec> taint_rules_;
};

}  // namespace tessera::model

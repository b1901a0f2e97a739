// DeviceIndex: the node-independent facts the DRA allocator needs, computed once per
// snapshot. Which ResourceSlices count (only the newest generation of a pool; a pool whose
// slices are not all present, or that names a device twice, is not used), which devices
// each node can see (node-local, allNodes, nodeSelector, per-device node selection) in a
// canonical order, what each device consumes from shared counters, the request policy of
// each capacity, every device's effective taints (its own plus DeviceTaintRules), and the
// layout of the overlay ledger slots the allocator writes.
// Invariant: immutable after Build; every slot index it hands out is < ledger_size().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/interner.h"
#include "base/status.h"
#include "dra/cel/selector_cache.h"
#include "model/snapshot.h"

namespace tessera::dra {

struct PoolInfo {
  uint32_t driver;  // id in Snapshot::drivers()
  uint32_t pool;    // id in Snapshot::pools()
  int64_t generation = 0;
  bool complete = true;
  bool valid = true;
  std::string problem;  // why incomplete or invalid, for reasons and warnings
};

struct CounterUse {
  uint32_t slot;  // ledger slot of the counter
  int64_t amount;
};

// One capacity of one device with its request policy (consumable capacity).
struct CapacityPolicy {
  int64_t value = 0;
  bool has_policy = false;
  std::optional<int64_t> default_value;
  std::vector<int64_t> valid_values;  // ascending
  std::optional<int64_t> range_min, range_max, range_step;
};

// A taint as the allocator sees it: key and value interned in the index's own tables
// (taint_keys(), taint_values()), effect NoSchedule or NoExecute.
struct DeviceTaint {
  uint32_t key;
  uint32_t value;
  model::TaintEffect effect;
};

class DeviceIndex {
 public:
  // Builds the index. `selectors` compiles DeviceTaintRule selectors. Errors: a
  // DeviceTaintRule whose CEL selector does not compile (located), a counter a device
  // consumes that no counter set defines (located at the ResourceSlice).
  static Result<DeviceIndex> Build(const model::Snapshot& snapshot, cel::SelectorCache& selectors,
                                   std::vector<std::string>& warnings);

  const model::Snapshot& snapshot() const { return *snapshot_; }

  // Devices `node` can use, in canonical order (driver, pool, slice name, position).
  std::span<const model::DeviceId> devices_for(model::NodeId node) const {
    return {node_devices_.data() + node_offsets_[node.index()],
            node_offsets_[node.index() + 1] - node_offsets_[node.index()]};
  }
  bool usable(model::DeviceId d) const { return usable_[d.index()] != 0; }
  // The device a driver published under (driver, pool, name) in a current slice, if any.
  // O(log devices).
  std::optional<model::DeviceId> FindDevice(std::string_view driver, std::string_view pool,
                                            std::string_view name) const;
  // Whether `node` can use device `d` (its nodeName, allNodes or nodeSelector).
  bool VisibleFrom(model::DeviceId d, model::NodeId node) const;
  const PoolInfo& pool_of(model::DeviceId d) const { return pools_[device_pool_[d.index()]]; }
  std::span<const PoolInfo> pools() const { return pools_; }
  // Devices of pools visible from `node` that are incomplete or invalid (for All mode).
  bool node_sees_broken_pool(model::NodeId node) const { return node_broken_pool_[node.index()] != 0; }

  std::span<const CounterUse> counters_of(model::DeviceId d) const {
    return {counter_uses_.data() + counter_offsets_[d.index()],
            counter_offsets_[d.index() + 1] - counter_offsets_[d.index()]};
  }
  int64_t counter_capacity(uint32_t slot) const { return counter_capacity_[slot - counter_base_]; }
  // Capacities of a device, indexed like Snapshot::devices().capacities[d].
  std::span<const CapacityPolicy> capacities_of(model::DeviceId d) const;
  std::span<const DeviceTaint> taints_of(model::DeviceId d) const {
    return {taints_.data() + taint_offsets_[d.index()],
            taint_offsets_[d.index() + 1] - taint_offsets_[d.index()]};
  }
  const Interner& taint_keys() const { return taint_keys_; }
  const Interner& taint_values() const { return taint_values_; }
  bool shareable(model::DeviceId d) const {
    return snapshot_->devices().allow_multiple_allocations[d.index()] != 0;
  }

  // Ledger layout: [0, D) exclusive use count per device; [D, D+C) consumed amount per
  // device capacity (Snapshot::devices().capacity_values index); then one slot per counter.
  size_t ledger_size() const { return counter_base_ + counter_capacity_.size(); }
  static size_t use_slot(model::DeviceId d) { return d.index(); }
  size_t capacity_slot(uint32_t capacity_value_index) const {
    return capacity_base_ + capacity_value_index;
  }

 private:
  DeviceIndex() = default;

  const model::Snapshot* snapshot_ = nullptr;
  std::vector<PoolInfo> pools_;
  std::vector<uint32_t> device_pool_;
  std::vector<uint8_t> usable_;
  std::vector<model::DeviceId> usable_by_name_;  // sorted by (driver, pool, name)
  std::vector<uint32_t> node_offsets_;
  std::vector<model::DeviceId> node_devices_;
  std::vector<uint8_t> node_broken_pool_;
  std::vector<uint32_t> counter_offsets_;
  std::vector<CounterUse> counter_uses_;
  std::vector<int64_t> counter_capacity_;
  std::vector<CapacityPolicy> capacity_policies_;  // like capacity_values
  std::vector<uint32_t> taint_offsets_;
  std::vector<DeviceTaint> taints_;
  Interner taint_keys_;
  Interner taint_values_;
  size_t capacity_base_ = 0;
  size_t counter_base_ = 0;
};

}  // namespace tessera::dra

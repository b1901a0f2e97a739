#include "dra/device_index.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "base/check.h"
#include "model/node_selector.h"

namespace tessera::dra {

using model::DeviceId;
using model::DeviceVisibility;
using model::NodeId;

namespace {

uint32_t U32(size_t n) {
  TESSERA_CHECK(n <= UINT32_MAX) << n;
  return static_cast<uint32_t>(n);
}

}  // namespace

std::span<const CapacityPolicy> DeviceIndex::capacities_of(DeviceId d) const {
  model::Range r = snapshot_->devices().capacities[d.index()];
  return {capacity_policies_.data() + r.begin, r.size()};
}

std::optional<DeviceId> DeviceIndex::FindDevice(std::string_view driver, std::string_view pool,
                                                std::string_view name) const {
  auto d = snapshot_->drivers().Find(driver);
  auto p = snapshot_->pools().Find(pool);
  if (!d || !p) return std::nullopt;
  const model::DeviceTable& dt = snapshot_->devices();
  auto key = [&](DeviceId id) {
    return std::make_tuple(dt.driver[id.index()], dt.pool[id.index()],
                           std::string_view(dt.name[id.index()]));
  };
  const auto want = std::make_tuple(*d, *p, name);
  auto it = std::lower_bound(usable_by_name_.begin(), usable_by_name_.end(), want,
                             [&](DeviceId id, const auto& w) { return key(id) < w; });
  if (it == usable_by_name_.end() || key(*it) != want) return std::nullopt;
  return *it;
}

bool DeviceIndex::VisibleFrom(DeviceId d, NodeId node) const {
  const model::DeviceTable& dt = snapshot_->devices();
  switch (dt.visibility[d.index()]) {
    case DeviceVisibility::kNode:
      return dt.node[d.index()] == node;
    case DeviceVisibility::kAllNodes:
      return true;
    case DeviceVisibility::kNodeSelector:
      return model::MatchesAnyTerm(*snapshot_, snapshot_->terms(dt.selector_terms[d.index()]),
                                   node);
  }
  return false;
}

Result<DeviceIndex> DeviceIndex::Build(const model::Snapshot& snapshot,
                                       cel::SelectorCache& selectors,
                                       std::vector<std::string>& warnings) {
  DeviceIndex x;
  x.snapshot_ = &snapshot;
  const model::DeviceTable& dt = snapshot.devices();
  const auto& slices = snapshot.resource_slices();
  const size_t num_devices = dt.size();

  // --- Pools: newest generation, completeness, duplicate device names.
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> pool_ids;
  std::vector<uint32_t> slice_pool(slices.size());
  for (size_t i = 0; i < slices.size(); ++i) {
    uint32_t driver = *snapshot.drivers().Find(slices[i].driver);
    uint32_t pool = *snapshot.pools().Find(slices[i].pool);
    auto [it, added] = pool_ids.emplace(std::make_pair(driver, pool), U32(x.pools_.size()));
    if (added) x.pools_.push_back({driver, pool, slices[i].pool_generation});
    PoolInfo& info = x.pools_[it->second];
    info.generation = std::max(info.generation, slices[i].pool_generation);
    slice_pool[i] = it->second;
  }
  std::vector<int64_t> current_slices(x.pools_.size(), 0);
  std::vector<int64_t> expected_slices(x.pools_.size(), -1);
  std::vector<uint8_t> slice_current(slices.size(), 0);
  for (size_t i = 0; i < slices.size(); ++i) {
    PoolInfo& info = x.pools_[slice_pool[i]];
    if (slices[i].pool_generation != info.generation) continue;  // stale: ignored
    slice_current[i] = 1;
    ++current_slices[slice_pool[i]];
    int64_t& expected = expected_slices[slice_pool[i]];
    if (expected >= 0 && expected != slices[i].resource_slice_count) {
      info.complete = false;
      info.problem = "its slices disagree on resourceSliceCount";
    }
    expected = slices[i].resource_slice_count;
  }
  for (size_t p = 0; p < x.pools_.size(); ++p) {
    PoolInfo& info = x.pools_[p];
    if (info.complete && current_slices[p] != expected_slices[p]) {
      info.complete = false;
      info.problem = fmt::format("{} of {} slices present at generation {}", current_slices[p],
                                 expected_slices[p], info.generation);
    }
  }
  {
    std::set<std::tuple<uint32_t, std::string_view>> names;
    for (size_t d = 0; d < num_devices; ++d) {
      uint32_t si = dt.slice[d];
      if (!slice_current[si]) continue;
      if (!names.emplace(slice_pool[si], dt.name[d]).second) {
        PoolInfo& info = x.pools_[slice_pool[si]];
        info.valid = false;
        info.problem = fmt::format("device \"{}\" is listed twice", dt.name[d]);
      }
    }
  }

  // --- Shared counters: 1.34 layout (sets in the devices' own slice) and 1.35+ layout (sets
  // in pool-scoped slices without devices). Key: scope, set name, counter name.
  std::map<std::tuple<bool, uint32_t, std::string, std::string>, uint32_t> counter_slots;
  for (size_t i = 0; i < slices.size(); ++i) {
    if (!slice_current[i]) continue;
    const bool slice_scoped = !slices[i].devices.empty();
    const uint32_t scope = slice_scoped ? U32(i) : slice_pool[i];
    for (const auto& set : slices[i].shared_counters) {
      for (const auto& [name, value] : set.counters) {
        auto key = std::make_tuple(slice_scoped, scope, set.name, name);
        if (counter_slots.emplace(key, U32(x.counter_capacity_.size())).second) {
          x.counter_capacity_.push_back(value.value());
        }
      }
    }
  }
  x.capacity_base_ = num_devices;
  x.counter_base_ = x.capacity_base_ + dt.capacity_values.size();
  x.counter_offsets_.push_back(0);
  for (size_t d = 0; d < num_devices; ++d) {
    const uint32_t si = dt.slice[d];
    const model::DeviceSpec& spec = slices[si].devices[dt.index_in_slice[d]];
    for (const auto& consumption : spec.consumes_counters) {
      for (const auto& [name, amount] : consumption.counters) {
        auto it = counter_slots.find(std::make_tuple(true, si, consumption.counter_set, name));
        if (it == counter_slots.end()) {
          it = counter_slots.find(
              std::make_tuple(false, slice_pool[si], consumption.counter_set, name));
        }
        if (it == counter_slots.end()) {
          PoolInfo& info = x.pools_[slice_pool[si]];
          if (info.valid) {
            info.valid = false;
            info.problem = fmt::format(
                "device \"{}\" consumes counter \"{}\" of counter set \"{}\", which no slice of "
                "the pool defines",
                dt.name[d], name, consumption.counter_set);
          }
          continue;
        }
        x.counter_uses_.push_back({U32(x.counter_base_ + it->second), amount.value()});
      }
    }
    x.counter_offsets_.push_back(U32(x.counter_uses_.size()));
  }
  for (const PoolInfo& info : x.pools_) {
    if (!info.complete || !info.valid) {
      warnings.push_back(fmt::format("ResourceSlice pool {}/{} is not used: {}",
                                     snapshot.drivers().Name(info.driver),
                                     snapshot.pools().Name(info.pool), info.problem));
    }
  }

  // --- Usable devices and capacity policies.
  x.device_pool_.resize(num_devices);
  x.usable_.resize(num_devices);
  x.capacity_policies_.resize(dt.capacity_values.size());
  for (size_t d = 0; d < num_devices; ++d) {
    const uint32_t si = dt.slice[d];
    const PoolInfo& info = x.pools_[slice_pool[si]];
    x.device_pool_[d] = slice_pool[si];
    x.usable_[d] = slice_current[si] && info.complete && info.valid;
    const model::DeviceSpec& spec = slices[si].devices[dt.index_in_slice[d]];
    const model::Range caps = dt.capacities[d];
    for (uint32_t c = 0; c < caps.size(); ++c) {
      CapacityPolicy& policy = x.capacity_policies_[caps.begin + c];
      const model::DeviceCapacitySpec& cap = spec.capacity[c];
      policy.value = cap.value.value();
      if (!cap.request_policy) continue;
      policy.has_policy = true;
      if (cap.request_policy->default_value) {
        policy.default_value = cap.request_policy->default_value->value();
      }
      for (Quantity v : cap.request_policy->valid_values) policy.valid_values.push_back(v.value());
      if (const auto& range = cap.request_policy->valid_range) {
        policy.range_min = range->min.value();
        if (range->max) policy.range_max = range->max->value();
        if (range->step) policy.range_step = range->step->value();
      }
    }
  }

  for (size_t d = 0; d < num_devices; ++d) {
    if (x.usable_[d]) x.usable_by_name_.push_back(DeviceId::FromIndex(d));
  }
  std::sort(x.usable_by_name_.begin(), x.usable_by_name_.end(), [&](DeviceId a, DeviceId b) {
    return std::make_tuple(dt.driver[a.index()], dt.pool[a.index()], std::string_view(dt.name[a.index()])) <
           std::make_tuple(dt.driver[b.index()], dt.pool[b.index()], std::string_view(dt.name[b.index()]));
  });

  // --- Taints: the device's own, then every DeviceTaintRule that selects it.
  std::vector<std::vector<DeviceTaint>> extra(num_devices);
  cel::EvalScratch scratch;
  for (const model::DeviceTaintRuleSpec& rule : snapshot.device_taint_rules()) {
    std::vector<cel::SelectorId> rule_selectors;
    if (!rule.device_class_name.empty()) {
      const auto& classes = snapshot.device_classes();
      auto cls = std::find_if(classes.begin(), classes.end(),
                              [&](const auto& c) { return c.name == rule.device_class_name; });
      if (cls == classes.end()) {
        warnings.push_back(fmt::format("DeviceTaintRule {}: device class \"{}\" does not exist; "
                                       "the rule selects no device",
                                       rule.name, rule.device_class_name));
        continue;
      }
      for (const auto& expr : cls->selectors) {
        auto id = selectors.Add(expr);
        if (!id.ok()) continue;  // reported where the class itself is compiled
        rule_selectors.push_back(*id);
      }
    }
    for (size_t i = 0; i < rule.selectors.size(); ++i) {
      auto id = selectors.Add(rule.selectors[i]);
      if (!id.ok()) {
        return std::move(id).error()
            .UnderField(fmt::format("spec.deviceSelector.selectors[{}].cel.expression", i))
            .WithObject("DeviceTaintRule", rule.name)
            .WithFile(rule.source);
      }
      rule_selectors.push_back(*id);
    }
    DeviceTaint taint{x.taint_keys_.Intern(rule.taint.key), x.taint_values_.Intern(rule.taint.value),
                      rule.taint.effect};
    for (size_t d = 0; d < num_devices; ++d) {
      if (!rule.driver.empty() && snapshot.drivers().Name(dt.driver[d]) != rule.driver) continue;
      if (!rule.pool.empty() && snapshot.pools().Name(dt.pool[d]) != rule.pool) continue;
      if (!rule.device.empty() && dt.name[d] != rule.device) continue;
      bool selected = true;
      for (cel::SelectorId sel : rule_selectors) {
        auto match = selectors.Matches(sel, DeviceId::FromIndex(d), scratch);
        if (!match.ok() || !*match) {
          selected = false;
          break;
        }
      }
      if (selected) extra[d].push_back(taint);
    }
  }
  x.taint_offsets_.push_back(0);
  for (size_t d = 0; d < num_devices; ++d) {
    for (const model::Taint& t : snapshot.taints().subspan(dt.taints[d].begin, dt.taints[d].size())) {
      if (t.effect == model::TaintEffect::kPreferNoSchedule) continue;
      x.taints_.push_back({x.taint_keys_.Intern(snapshot.label_key(t.key)),
                           x.taint_values_.Intern(snapshot.label_value(t.value)), t.effect});
    }
    for (const DeviceTaint& t : extra[d]) x.taints_.push_back(t);
    x.taint_offsets_.push_back(U32(x.taints_.size()));
  }

  // --- Per-node candidate lists in canonical order.
  std::vector<uint32_t> order(num_devices);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const auto& sa = slices[dt.slice[a]];
    const auto& sb = slices[dt.slice[b]];
    return std::tie(sa.driver, sa.pool, sa.name, dt.index_in_slice[a]) <
           std::tie(sb.driver, sb.pool, sb.name, dt.index_in_slice[b]);
  });
  const size_t num_nodes = snapshot.num_nodes();
  std::vector<std::vector<DeviceId>> per_node(num_nodes);
  x.node_broken_pool_.assign(num_nodes, 0);
  for (uint32_t d : order) {
    const bool current = slice_current[dt.slice[d]] != 0;
    if (!current) continue;
    auto add = [&](NodeId node) {
      if (x.usable_[d]) {
        per_node[node.index()].push_back(DeviceId(d));
      } else {
        x.node_broken_pool_[node.index()] = 1;
      }
    };
    if (dt.visibility[d] == DeviceVisibility::kNode) {
      if (dt.node[d].valid()) add(dt.node[d]);
      continue;
    }
    for (size_t n = 0; n < num_nodes; ++n) {
      if (x.VisibleFrom(DeviceId(d), NodeId::FromIndex(n))) add(NodeId::FromIndex(n));
    }
  }
  x.node_offsets_.push_back(0);
  for (auto& list : per_node) {
    x.node_devices_.insert(x.node_devices_.end(), list.begin(), list.end());
    x.node_offsets_.push_back(U32(x.node_devices_.size()));
  }
  return x;
}

}  // namespace tessera::dra

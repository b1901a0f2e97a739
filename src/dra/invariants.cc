#include "dra/invariants.h"

#include <fmt/format.h>

#include <vector>

namespace tessera::dra {
namespace {

constexpr int64_t kMaxConsumers = 256;

std::string DeviceName(const DeviceIndex& index, model::DeviceId d) {
  const model::Snapshot& s = index.snapshot();
  const model::DeviceTable& dt = s.devices();
  return fmt::format("device {}/{}/{}", s.drivers().Name(dt.driver[d.index()]),
                     s.pools().Name(dt.pool[d.index()]), dt.name[d.index()]);
}

}  // namespace

std::string CheckDevices(const Allocator& allocator, const model::Overlay& overlay,
                         std::span<const model::DeviceId> devices) {
  const DeviceIndex& index = allocator.index();
  const model::DeviceTable& dt = index.snapshot().devices();
  for (model::DeviceId d : devices) {
    const int64_t uses = overlay.ledger(DeviceIndex::use_slot(d));
    if (uses < 0 || uses > 1) {
      return fmt::format("{} is in {} claims at once", DeviceName(index, d), uses);
    }
    const model::Range caps = dt.capacities[d.index()];
    auto policies = index.capacities_of(d);
    for (uint32_t k = 0; k < caps.size(); ++k) {
      const int64_t used = overlay.ledger(index.capacity_slot(caps.begin + k));
      if (used < 0 || used > policies[k].value) {
        return fmt::format("{}: {} of capacity {} consumed, more than its {}", DeviceName(index, d),
                           used, k, policies[k].value);
      }
    }
    for (const CounterUse& use : index.counters_of(d)) {
      const int64_t used = overlay.ledger(use.slot);
      if (used < 0 || used > index.counter_capacity(use.slot)) {
        return fmt::format("{}: a shared counter it draws on is at {}, capacity {}",
                           DeviceName(index, d), used, index.counter_capacity(use.slot));
      }
    }
  }
  return "";
}

std::string CheckAll(const Allocator& allocator, const model::Overlay& overlay) {
  const DeviceIndex& index = allocator.index();
  const model::DeviceTable& dt = index.snapshot().devices();
  // Recompute what the result rows of every allocated claim hold.
  std::vector<int64_t> expected(index.ledger_size(), 0);
  std::vector<int64_t> amounts;
  const size_t instances = allocator.catalog().instances().size();
  for (uint32_t inst = 0; inst < instances; ++inst) {
    const int64_t consumers = allocator.consumers(overlay, inst);
    if (consumers > kMaxConsumers) {
      return fmt::format("claim instance {} is reserved for {} pods (at most {})", inst, consumers,
                         kMaxConsumers);
    }
    if (!allocator.allocated(overlay, inst)) {
      if (consumers > 0) return fmt::format("claim instance {} has consumers but no devices", inst);
      continue;
    }
    for (const DeviceResult& row : allocator.results(overlay, inst)) {
      if (row.admin_access) continue;
      if (index.shareable(row.device)) {
        allocator.ConsumedCapacity(inst, row, amounts);
        const model::Range caps = dt.capacities[row.device.index()];
        for (uint32_t k = 0; k < caps.size() && k < amounts.size(); ++k) {
          expected[index.capacity_slot(caps.begin + k)] += amounts[k];
        }
      } else {
        ++expected[DeviceIndex::use_slot(row.device)];
      }
      for (const CounterUse& use : index.counters_of(row.device)) expected[use.slot] += use.amount;
    }
  }
  for (size_t d = 0; d < dt.size(); ++d) {
    const model::DeviceId id = model::DeviceId::FromIndex(d);
    const size_t use = DeviceIndex::use_slot(id);
    if (overlay.ledger(use) != expected[use]) {
      return fmt::format("{}: the ledger says {} exclusive uses, the claims hold {}",
                         DeviceName(index, id), overlay.ledger(use), expected[use]);
    }
    const model::Range caps = dt.capacities[d];
    for (uint32_t k = 0; k < caps.size(); ++k) {
      const size_t slot = index.capacity_slot(caps.begin + k);
      if (overlay.ledger(slot) != expected[slot]) {
        return fmt::format("{}: the ledger says {} of capacity {} consumed, the claims hold {}",
                           DeviceName(index, id), overlay.ledger(slot), k, expected[slot]);
      }
    }
    for (const CounterUse& c : index.counters_of(id)) {
      if (overlay.ledger(c.slot) != expected[c.slot]) {
        return fmt::format("{}: a shared counter is at {} in the ledger, the claims hold {}",
                           DeviceName(index, id), overlay.ledger(c.slot), expected[c.slot]);
      }
    }
    const std::string limits = CheckDevices(allocator, overlay, {&id, 1});
    if (!limits.empty()) return limits;
  }
  return "";
}

std::string CheckNodes(const model::Overlay& overlay, std::span<const model::NodeId> nodes) {
  const model::Snapshot& s = overlay.snapshot();
  auto check = [&](model::NodeId node) -> std::string {
    auto allocatable = s.allocatable(node);
    auto used = overlay.used(node);
    const Quantity* bound = s.bound_usage().data() + node.index() * used.size();
    for (size_t r = 0; r < used.size(); ++r) {
      // Pods that arrived bound may already overcommit a node; only what decisions added
      // on top of that counts.
      if (used[r].value() > allocatable[r].value() && used[r].value() > bound[r].value()) {
        return fmt::format("node {}: {} in use is {}, more than allocatable {}", s.node_name(node),
                           s.resource_name(model::ResourceId::FromIndex(r)), used[r].value(),
                           allocatable[r].value());
      }
    }
    return "";
  };
  if (nodes.empty()) {
    for (size_t n = 0; n < s.num_nodes(); ++n) {
      std::string problem = check(model::NodeId::FromIndex(n));
      if (!problem.empty()) return problem;
    }
    return "";
  }
  for (model::NodeId n : nodes) {
    std::string problem = check(n);
    if (!problem.empty()) return problem;
  }
  return "";
}

}  // namespace tessera::dra

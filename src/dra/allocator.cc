#include "dra/allocator.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "base/check.h"

namespace tessera::dra {

using model::DeviceId;

namespace {

constexpr uint32_t kMaxDevicesPerClaim = 32;
constexpr int64_t kMaxConsumers = 256;

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

// How telling a failure is when several subrequests or steps fail: the higher, the more
// the user learns from it. "No combination fits" is the fallback of last resort.
int Rank(DraFailure kind) {
  switch (kind) {
    case DraFailure::kConstraint:
      return 1;
    case DraFailure::kNoMatchingDevice:
      return 2;
    case DraFailure::kUntoleratedTaint:
      return 3;
    case DraFailure::kNotEnoughFree:
      return 4;
    case DraFailure::kIncompletePool:
      return 5;
    case DraFailure::kTooComplex:
      return 6;
    case DraFailure::kSelectorError:
      return 7;
    default:
      return 0;
  }
}

}  // namespace

Allocator::Allocator(const DeviceIndex& index, const ClaimCatalog& catalog,
                     cel::SelectorCache& selectors, AllocatorOptions options)
    : index_(index),
      catalog_(catalog),
      selectors_(selectors),
      options_(options),
      instance_base_(index.ledger_size()),
      results_size_slot_(index.ledger_size() + catalog.instances().size() * kSlotsPerInstance),
      no_execute_(catalog.instances().size(), 0) {}

std::span<const DeviceResult> Allocator::results(const model::Overlay& overlay,
                                                 uint32_t instance) const {
  auto begin = static_cast<size_t>(overlay.ledger(slot(instance, kBegin)));
  auto count = static_cast<size_t>(overlay.ledger(slot(instance, kCount)));
  return {results_.data() + begin, count};
}

void Allocator::CompactResults(model::Overlay& overlay) {
  compact_order_.clear();
  const auto instances = static_cast<uint32_t>(catalog_.instances().size());
  for (uint32_t i = 0; i < instances; ++i) {
    if (allocated(overlay, i) && overlay.ledger(slot(i, kCount)) > 0) compact_order_.push_back(i);
  }
  std::sort(compact_order_.begin(), compact_order_.end(), [&](uint32_t x, uint32_t y) {
    return overlay.ledger(slot(x, kBegin)) < overlay.ledger(slot(y, kBegin));
  });
  int64_t at = 0;
  for (uint32_t i : compact_order_) {
    const int64_t begin = overlay.ledger(slot(i, kBegin));
    const int64_t count = overlay.ledger(slot(i, kCount));
    if (begin != at) {
      // Rows only move down, and the ranges are in order, so a forward copy is safe.
      std::copy(results_.begin() + begin, results_.begin() + begin + count, results_.begin() + at);
      overlay.AddToLedger(slot(i, kBegin), at - begin);
    }
    at += count;
  }
  overlay.AddToLedger(results_size_slot_, at - overlay.ledger(results_size_slot_));
}

const CompiledSubrequest& Allocator::Sub(uint32_t step, uint32_t sub) const {
  const Step& st = steps_[step];
  const CompiledClaim& claim = catalog_.claims()[catalog_.instances()[st.instance].claim];
  return claim.requests[st.request].subrequests[sub];
}

void Allocator::Note(DraFailure kind, uint32_t step) {
  if (Rank(kind) <= failure_rank_) return;
  failure_rank_ = Rank(kind);
  failure_ = {kind, steps_[step].instance, steps_[step].request};
}

bool Allocator::CapacityAmount(const CompiledSubrequest& sub, DeviceId d, size_t k,
                               int64_t& amount) const {
  const model::DeviceTable& dt = index_.snapshot().devices();
  const CapacityPolicy& policy = index_.capacities_of(d)[k];
  const uint32_t name = dt.capacity_values[dt.capacities[d.index()].begin + k].name;
  const uint32_t driver = dt.driver[d.index()];
  const CapacityRequest* requested = nullptr;
  for (const CapacityRequest& cr : sub.capacity) {
    if (cr.by_driver[driver] == name) requested = &cr;
  }
  if (requested == nullptr) {
    // Not mentioned: the policy's default, else the whole capacity (exclusive on it).
    amount = policy.default_value.value_or(policy.value);
    return true;
  }
  int64_t a = requested->amount;
  if (policy.has_policy) {
    if (!policy.valid_values.empty()) {
      auto it = std::lower_bound(policy.valid_values.begin(), policy.valid_values.end(), a);
      if (it == policy.valid_values.end()) return false;
      a = *it;
    } else if (policy.range_min) {
      const int64_t min = *policy.range_min;
      if (a < min) a = min;
      if (policy.range_step && *policy.range_step > 0) {
        const int64_t step = *policy.range_step;
        const int64_t steps = (a - min + step - 1) / step;
        a = min + steps * step;
      }
      if (policy.range_max && a > *policy.range_max) return false;
    }
  }
  if (a > policy.value) return false;
  amount = a;
  return true;
}

void Allocator::ConsumedCapacity(uint32_t instance, const DeviceResult& row,
                                 std::vector<int64_t>& out) const {
  const CompiledClaim& claim = catalog_.claims()[catalog_.instances()[instance].claim];
  const CompiledSubrequest& sub = claim.requests[row.request].subrequests[row.subrequest];
  out.clear();
  for (size_t k = 0; k < index_.capacities_of(row.device).size(); ++k) {
    int64_t amount = 0;
    CapacityAmount(sub, row.device, k, amount);
    out.push_back(amount);
  }
}

bool Allocator::Eligible(const CompiledSubrequest& sub, DeviceId d, bool& selector_error) {
  for (cel::SelectorId sel : sub.selectors) {
    auto match = selectors_.Matches(sel, d, scratch_);
    if (!match.ok()) {
      selector_error = true;
      return false;
    }
    if (!*match) return false;
  }
  const model::DeviceTable& dt = index_.snapshot().devices();
  const model::Range caps = dt.capacities[d.index()];
  for (const CapacityRequest& cr : sub.capacity) {
    const uint32_t name = cr.by_driver[dt.driver[d.index()]];
    bool found = false;
    for (uint32_t k = 0; k < caps.size(); ++k) {
      if (dt.capacity_values[caps.begin + k].name != name) continue;
      found = true;
      if (index_.shareable(d)) {
        int64_t amount = 0;
        if (!CapacityAmount(sub, d, k, amount)) return false;
      } else if (dt.capacity_values[caps.begin + k].value.value() < cr.amount) {
        return false;
      }
    }
    if (!found) return false;  // asking for a capacity the device does not have
  }
  return true;
}

bool Allocator::ConstraintsHold(uint32_t step, uint32_t sub, DeviceId d) const {
  const uint32_t instance = steps_[step].instance;
  const CompiledClaim& claim = catalog_.claims()[catalog_.instances()[instance].claim];
  if (claim.constraints.empty()) return true;
  const model::DeviceTable& dt = index_.snapshot().devices();
  auto value_of = [&](DeviceId dev, uint32_t attribute) -> const model::DeviceAttribute* {
    const model::Range r = dt.attributes[dev.index()];
    for (uint32_t i = r.begin; i < r.end; ++i) {
      if (dt.attribute_values[i].name == attribute) return &dt.attribute_values[i];
    }
    return nullptr;
  };
  auto covers = [](const CompiledConstraint& c, uint32_t request, uint32_t subrequest) {
    if (c.requests.empty()) return true;
    for (const auto& [r, s] : c.requests) {
      if (r == request && (s == CompiledConstraint::kAnySubrequest || s == subrequest)) return true;
    }
    return false;
  };
  for (const CompiledConstraint& c : claim.constraints) {
    if (!covers(c, steps_[step].request, sub)) continue;
    if (!c.attribute) return false;
    const model::DeviceAttribute* mine = value_of(d, *c.attribute);
    if (mine == nullptr) return false;
    for (const Pick& p : picks_) {
      if (steps_[p.step].instance != instance || !covers(c, steps_[p.step].request, p.subrequest)) {
        continue;
      }
      const model::DeviceAttribute* other = value_of(p.device, *c.attribute);
      const bool same = other->kind == mine->kind && other->int_value == mine->int_value &&
                        other->string_value == mine->string_value;
      if (c.distinct == same) return false;
    }
  }
  return true;
}

bool Allocator::FreeNow(const CompiledSubrequest& sub, DeviceId d) const {
  if (sub.admin_access) return true;  // other claims' usage does not matter for monitoring
  const model::Overlay& overlay = *overlay_;
  if (index_.shareable(d)) {
    const model::DeviceTable& dt = index_.snapshot().devices();
    const model::Range caps = dt.capacities[d.index()];
    for (uint32_t k = 0; k < caps.size(); ++k) {
      int64_t amount = 0;
      if (!CapacityAmount(sub, d, k, amount)) return false;
      const int64_t used = overlay.ledger(index_.capacity_slot(caps.begin + k));
      if (amount > index_.capacities_of(d)[k].value - used) return false;
    }
  } else if (overlay.ledger(DeviceIndex::use_slot(d)) != 0) {
    return false;
  }
  for (const CounterUse& use : index_.counters_of(d)) {
    if (overlay.ledger(use.slot) + use.amount > index_.counter_capacity(use.slot)) return false;
  }
  return true;
}

bool Allocator::TryPick(uint32_t step, uint32_t sub_index, DeviceId d) {
  const CompiledSubrequest& sub = Sub(step, sub_index);
  const uint32_t instance = steps_[step].instance;
  model::Overlay& overlay = *overlay_;
  const model::DeviceTable& dt = index_.snapshot().devices();
  const bool shareable = index_.shareable(d);
  // Checks first, so that a rejected device changes nothing.
  // An exclusive device appears at most once in a claim, whichever request took it (an
  // adminAccess pick is not on the ledger, so the ledger alone does not say so).
  // A shareable device may serve several requests of one claim, but not next to an
  // adminAccess row for the same device.
  for (const Pick& p : picks_) {
    if (p.device != d || steps_[p.step].instance != instance) continue;
    if (sub.admin_access || !shareable || Sub(p.step, p.subrequest).admin_access) return false;
  }
  if (!FreeNow(sub, d)) return false;
  if (!ConstraintsHold(step, sub_index, d)) return false;

  const model::Overlay::Mark mark = overlay.mark();
  if (!sub.admin_access) {
    if (shareable) {
      const model::Range caps = dt.capacities[d.index()];
      for (uint32_t k = 0; k < caps.size(); ++k) {
        int64_t amount = 0;
        CapacityAmount(sub, d, k, amount);
        if (amount != 0) overlay.AddToLedger(index_.capacity_slot(caps.begin + k), amount);
      }
    } else {
      overlay.AddToLedger(DeviceIndex::use_slot(d), 1);
    }
    for (const CounterUse& use : index_.counters_of(d)) overlay.AddToLedger(use.slot, use.amount);
  }
  picks_.push_back({step, sub_index, d, mark});
  return true;
}

void Allocator::Unpick() {
  overlay_->RollbackTo(picks_.back().mark);
  picks_.pop_back();
}

bool Allocator::Candidates(uint32_t step, uint32_t sub_index) {
  const CompiledSubrequest& sub = Sub(step, sub_index);
  std::vector<DeviceId>& cand = candidates_[step];
  std::vector<uint64_t>& keys = keys_[step];
  cand.clear();
  keys.clear();
  uint32_t matched = 0, tolerated = 0;
  for (DeviceId d : index_.devices_for(node_)) {
    bool selector_error = false;
    if (!Eligible(sub, d, selector_error)) {
      if (selector_error) {
        Note(DraFailure::kSelectorError, step);
        aborted_ = true;  // a selector error fails the whole attempt, as in Kubernetes
        return false;
      }
      continue;
    }
    ++matched;
    bool ok = true;
    for (const DeviceTaint& taint : index_.taints_of(d)) {
      bool tolerated_one = false;
      for (const CompiledToleration& t : sub.tolerations) tolerated_one |= Tolerates(t, taint);
      if (!tolerated_one) ok = false;
    }
    if (!ok) continue;
    ++tolerated;
    cand.push_back(d);
  }
  const bool all = sub.mode == model::AllocationMode::kAll;
  if (all && index_.node_sees_broken_pool(node_)) {
    Note(DraFailure::kIncompletePool, step);
    return false;
  }
  const uint32_t need = all ? std::max<uint32_t>(matched, 1) : sub.count;
  if (matched == 0) {
    Note(DraFailure::kNoMatchingDevice, step);
    return false;
  }
  if (tolerated < need && tolerated < matched) {  // taints, not the device count, are short
    Note(DraFailure::kUntoleratedTaint, step);
    return false;
  }
  if (tolerated < need) {
    Note(DraFailure::kNotEnoughFree, step);
    return false;
  }
  // Free now (ignoring picks this attempt may undo): the necessary condition.
  uint32_t free = 0;
  for (DeviceId d : cand) free += FreeNow(sub, d) ? 1 : 0;
  if (free < need) {
    Note(DraFailure::kNotEnoughFree, step);
    return false;
  }
  if (all) return true;  // All mode takes every device in canonical order

  // Packing order: lower keys first, then the canonical order the candidates came in.
  // Symmetry keys are computed only when a pick fails (see SymmetryKey).
  std::vector<std::pair<uint64_t, uint64_t>>& scored = scored_;
  scored.clear();
  bool any_preference = false;
  for (DeviceId d : cand) {
    uint64_t pack = PackingKey(sub, d);
    if (!preferred_.empty()) {
      const bool preferred = std::find(preferred_.begin(), preferred_.end(), d) != preferred_.end();
      pack = preferred ? 0 : pack + 1;
    }
    any_preference |= pack != 0;
    scored.emplace_back(pack, 0);
  }
  keys.assign(cand.size(), kNoKey);
  if (!any_preference) return true;
  std::vector<uint32_t>& order = order_;
  order.resize(cand.size());
  std::iota(order.begin(), order.end(), 0u);
  // Equal keys keep their canonical order, by index: a stable order without stable_sort's
  // temporary buffer, which would allocate on every call.
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return scored[a].first != scored[b].first ? scored[a].first < scored[b].first : a < b;
  });
  std::vector<DeviceId>& sorted = sorted_;
  sorted.clear();
  for (uint32_t i : order) sorted.push_back(cand[i]);
  cand.swap(sorted);
  return true;
}

uint64_t Allocator::PackingKey(const CompiledSubrequest& sub, DeviceId d) const {
  const model::Overlay& overlay = *overlay_;
  const model::DeviceTable& dt = index_.snapshot().devices();
  uint64_t pack = 0;
  if (index_.shareable(d)) {
    // Fullest first: remaining permille of the first capacity after this request.
    const model::Range caps = dt.capacities[d.index()];
    if (caps.size() > 0) {
      int64_t amount = 0;
      CapacityAmount(sub, d, 0, amount);
      const int64_t value = index_.capacities_of(d)[0].value;
      const int64_t remaining = value - overlay.ledger(index_.capacity_slot(caps.begin)) - amount;
      pack = value > 0 ? static_cast<uint64_t>(std::max<int64_t>(remaining, 0) * 1000 / value) : 0;
    }
  }
  auto counters = index_.counters_of(d);
  if (!counters.empty()) {
    // Partitions of already-cut devices first, then the smallest partition.
    bool touched = false;
    uint64_t permille = 0;
    for (const CounterUse& use : counters) {
      touched |= overlay.ledger(use.slot) != 0;
      const int64_t cap = index_.counter_capacity(use.slot);
      if (cap > 0) permille += static_cast<uint64_t>(use.amount * 1000 / cap);
    }
    pack =
        (touched ? 0 : (uint64_t{1} << 40)) + std::min<uint64_t>(permille, (uint64_t{1} << 40) - 1);
  }
  return pack;
}

uint64_t Allocator::SymmetryKey(uint32_t step, uint32_t i) {
  uint64_t& key = keys_[step][i];
  if (key != kNoKey) return key;
  const DeviceId d = candidates_[step][i];
  const model::Overlay& overlay = *overlay_;
  const model::DeviceTable& dt = index_.snapshot().devices();
  if (!index_.counters_of(d).empty()) {
    key = (uint64_t{1} << 63) | d.value();  // counters tie a device to its parent: unique
    return key;
  }
  // A device this claim already holds (from an earlier request; adminAccess picks are not
  // on the ledger) cannot be taken again by it: that is part of what tells devices apart.
  const uint32_t instance = steps_[step].instance;
  bool held = false;
  for (const Pick& p : picks_) held |= p.device == d && steps_[p.step].instance == instance;
  // What the rest of the search can see of the device: whether it is shareable, its
  // capacities (values, request policies, what is used), every selector of every step,
  // taints, and the attributes constraints compare.
  uint64_t sym = (index_.shareable(d) ? 0x5eed : 0) + (held ? 0x4e1d : 0);
  {
    const model::Range caps = dt.capacities[d.index()];
    const auto policies = index_.capacities_of(d);
    for (uint32_t k = 0; k < caps.size(); ++k) {
      sym = Mix(sym, dt.capacity_values[caps.begin + k].name);
      sym = Mix(sym, static_cast<uint64_t>(dt.capacity_values[caps.begin + k].value.value()));
      sym = Mix(sym, static_cast<uint64_t>(overlay.ledger(index_.capacity_slot(caps.begin + k))));
      const CapacityPolicy& p = policies[k];
      sym = Mix(sym, p.has_policy ? 1 : 0);
      sym = Mix(sym, static_cast<uint64_t>(p.default_value.value_or(-1)));
      for (int64_t v : p.valid_values) sym = Mix(sym, static_cast<uint64_t>(v));
      sym = Mix(sym, static_cast<uint64_t>(p.range_min.value_or(-1)));
      sym = Mix(sym, static_cast<uint64_t>(p.range_max.value_or(-1)));
      sym = Mix(sym, static_cast<uint64_t>(p.range_step.value_or(-1)));
    }
  }
  for (uint32_t s = 0; s < steps_.size(); ++s) {
    const CompiledClaim& claim = catalog_.claims()[catalog_.instances()[steps_[s].instance].claim];
    for (const CompiledSubrequest& other : claim.requests[steps_[s].request].subrequests) {
      for (cel::SelectorId sel : other.selectors) {
        auto m = selectors_.Matches(sel, d, scratch_);
        sym = Mix(sym, m.ok() ? (*m ? 1 : 2) : 3);
      }
    }
    for (const CompiledConstraint& c : claim.constraints) {
      if (!c.attribute) continue;
      const model::Range r = dt.attributes[d.index()];
      uint64_t v = 0;
      for (uint32_t a = r.begin; a < r.end; ++a) {
        const auto& attr = dt.attribute_values[a];
        if (attr.name == *c.attribute) {
          v = Mix(Mix(static_cast<uint64_t>(attr.kind) + 1, static_cast<uint64_t>(attr.int_value)),
                  attr.string_value);
        }
      }
      sym = Mix(sym, v);
    }
  }
  for (const DeviceTaint& t : index_.taints_of(d)) {
    sym = Mix(Mix(Mix(sym, t.key), t.value), static_cast<uint64_t>(t.effect));
  }
  sym = Mix(sym, static_cast<uint64_t>(overlay.ledger(DeviceIndex::use_slot(d))));
  key = sym & ~(uint64_t{1} << 63);
  return key;
}

Allocator::Search Allocator::Choose(uint32_t step, uint32_t sub, uint32_t k, uint32_t start) {
  const uint32_t count = Sub(step, sub).count;
  if (k == count) return Solve(step + 1);
  const std::vector<DeviceId>& cand = candidates_[step];
  const auto n = static_cast<uint32_t>(cand.size());
  // Keys of devices already tried (and failed) at this position: a device the rest of the
  // search cannot tell apart from one of them would fail the same way.
  const size_t frame = failed_keys_.size();
  auto tried = [&](uint64_t key) {
    return std::find(failed_keys_.begin() + static_cast<ptrdiff_t>(frame), failed_keys_.end(),
                     key) != failed_keys_.end();
  };
  for (uint32_t i = start; i < n && n - i >= count - k; ++i) {
    if (failed_keys_.size() > frame && tried(SymmetryKey(step, i))) continue;
    if (budget_left_ == 0) {
      Note(DraFailure::kTooComplex, step);
      failed_keys_.resize(frame);
      return Search::kAbort;
    }
    --budget_left_;
    ++picks_tried_;
    if (TryPick(step, sub, cand[i])) {
      Search r = Choose(step, sub, k + 1, i + 1);
      if (r == Search::kFound || r == Search::kAbort) {
        if (r == Search::kAbort) Unpick();
        failed_keys_.resize(frame);
        return r;
      }
      Unpick();
    }
    failed_keys_.push_back(SymmetryKey(step, i));
  }
  failed_keys_.resize(frame);
  Note(DraFailure::kConstraint, step);
  return Search::kNotFound;
}

Allocator::Search Allocator::SolveSub(uint32_t step, uint32_t sub_index) {
  const CompiledSubrequest& sub = Sub(step, sub_index);
  if (!Candidates(step, sub_index)) return aborted_ ? Search::kAbort : Search::kNotFound;
  uint32_t in_claim = 0;
  for (const Pick& p : picks_) in_claim += steps_[p.step].instance == steps_[step].instance;
  const uint32_t need = sub.mode == model::AllocationMode::kAll
                            ? static_cast<uint32_t>(candidates_[step].size())
                            : sub.count;
  if (in_claim + need > kMaxDevicesPerClaim) {
    Note(DraFailure::kConstraint, step);
    return Search::kNotFound;
  }
  if (sub.mode == model::AllocationMode::kExactCount) return Choose(step, sub_index, 0, 0);
  const size_t before = picks_.size();
  for (DeviceId d : candidates_[step]) {
    if (!TryPick(step, sub_index, d)) {
      while (picks_.size() > before) Unpick();
      Note(DraFailure::kConstraint, step);
      return Search::kNotFound;
    }
  }
  Search r = Solve(step + 1);
  if (r != Search::kFound) {
    while (picks_.size() > before) Unpick();
  }
  return r;
}

Allocator::Search Allocator::Solve(uint32_t step) {
  if (step == steps_.size()) return Search::kFound;
  const size_t subs_count = catalog_.claims()[catalog_.instances()[steps_[step].instance].claim]
                                .requests[steps_[step].request]
                                .subrequests.size();
  for (uint32_t s = 0; s < subs_count; ++s) {
    Search r = SolveSub(step, s);
    if (r != Search::kNotFound) return r;
  }
  return Search::kNotFound;
}

void Allocator::Preallocate(model::Overlay& overlay, uint32_t instance,
                            std::vector<std::string>& warnings) {
  const ClaimInstance& inst = catalog_.instances()[instance];
  const CompiledClaim& claim = catalog_.claims()[inst.claim];
  const model::ResourceClaimSpec& spec = *claim.spec;
  const model::DeviceTable& dt = index_.snapshot().devices();
  const int64_t begin = overlay.ledger(results_size_slot_);
  int64_t count = 0;
  bool node_local = false;
  model::NodeId node;
  for (const model::AllocatedDeviceSpec& row : spec.allocation) {
    auto device = index_.FindDevice(row.driver, row.pool, row.device);
    if (!device) {
      warnings.push_back(fmt::format(
          "ResourceClaim {}/{}: allocated device {}/{}/{} is not published by any current "
          "ResourceSlice; it is not counted as used",
          spec.namespace_name, spec.name, row.driver, row.pool, row.device));
      continue;
    }
    // Which request (and subrequest) the row belongs to.
    std::string_view request = row.request;
    std::string_view subrequest;
    if (auto slash = request.find('/'); slash != std::string_view::npos) {
      subrequest = request.substr(slash + 1);
      request = request.substr(0, slash);
    }
    std::optional<std::pair<uint32_t, uint32_t>> where;
    for (uint32_t r = 0; r < claim.requests.size() && !where; ++r) {
      if (claim.requests[r].name != request) continue;
      for (uint32_t s = 0; s < claim.requests[r].subrequests.size(); ++s) {
        if (claim.requests[r].subrequests[s].name == row.request) where = std::make_pair(r, s);
      }
    }
    if (!where) {
      warnings.push_back(
          fmt::format("ResourceClaim {}/{}: allocation result for request \"{}\", "
                      "which the claim does not have; it is not counted as used",
                      spec.namespace_name, spec.name, row.request));
      continue;
    }
    const CompiledSubrequest& sub = claim.requests[where->first].subrequests[where->second];
    const bool shared = index_.shareable(*device) && !row.admin_access;
    if (!row.admin_access) {
      if (shared) {
        const model::Range caps = dt.capacities[device->index()];
        for (uint32_t k = 0; k < caps.size(); ++k) {
          int64_t amount = 0;
          CapacityAmount(sub, *device, k, amount);
          // The cluster's own record of what the share consumes wins over our policy maths.
          const std::string& name =
              index_.snapshot().attribute_names().Name(dt.capacity_values[caps.begin + k].name);
          for (const auto& [cap_name, q] : row.consumed_capacity) {
            if (name == cap_name || name.ends_with("/" + cap_name)) amount = q.value();
          }
          overlay.AddToLedger(index_.capacity_slot(caps.begin + k), amount);
        }
      } else {
        overlay.AddToLedger(DeviceIndex::use_slot(*device), 1);
      }
      for (const CounterUse& use : index_.counters_of(*device)) {
        overlay.AddToLedger(use.slot, use.amount);
      }
    }
    const size_t at = static_cast<size_t>(overlay.ledger(results_size_slot_));
    if (results_.size() <= at) results_.resize(at + 1);
    results_[at] = {where->first, where->second, *device, row.admin_access, shared};
    overlay.AddToLedger(results_size_slot_, 1);
    ++count;
    if (dt.visibility[device->index()] == model::DeviceVisibility::kNode) {
      node_local = true;
      node = dt.node[device->index()];
    }
  }
  overlay.AddToLedger(slot(instance, kState),
                      node_local && node.valid() ? node.value() + 1 : kAllocatedAnywhere);
  overlay.AddToLedger(slot(instance, kBegin), begin - overlay.ledger(slot(instance, kBegin)));
  overlay.AddToLedger(slot(instance, kCount), count - overlay.ledger(slot(instance, kCount)));
  overlay.AddToLedger(slot(instance, kUsers), static_cast<int64_t>(spec.reserved_for.size()));
}

bool Allocator::Allocate(model::Overlay& overlay, model::PodId pod, model::NodeId node,
                         DraFailureInfo& failure) {
  TESSERA_CHECK(overlay.ledger_size() >= ledger_size()) << "overlay ledger not sized";
  struct ClearPreferred {
    std::vector<DeviceId>& preferred;
    ~ClearPreferred() { preferred.clear(); }
  } clear_preferred{preferred_};
  overlay_ = &overlay;
  node_ = node;
  steps_.clear();
  picks_.clear();
  failure_ = {};
  failure_rank_ = -1;
  aborted_ = false;
  budget_left_ = options_.search_budget;
  const model::Overlay::Mark start = overlay.mark();
  auto instances = catalog_.instances_of(pod);
  for (size_t i = 0; i < instances.size(); ++i) {
    const uint32_t inst = instances[i];
    if (std::find(instances.begin(), instances.begin() + static_cast<ptrdiff_t>(i), inst) !=
        instances.begin() + static_cast<ptrdiff_t>(i)) {
      continue;  // the pod names the same claim twice
    }
    const CompiledClaim& claim = catalog_.claims()[catalog_.instances()[inst].claim];
    if (!claim.problem.empty()) {
      failure = {DraFailure::kClaimProblem, inst, 0};
      return false;
    }
    if (allocated(overlay, inst)) {
      if (no_execute_[inst]) {
        failure = {DraFailure::kNoExecute, inst, 0};
        return false;
      }
      for (const DeviceResult& row : results(overlay, inst)) {
        if (!index_.VisibleFrom(row.device, node)) {
          failure = {DraFailure::kAllocatedElsewhere, inst, row.request};
          return false;
        }
      }
      if (consumers(overlay, inst) >= kMaxConsumers) {
        failure = {DraFailure::kTooManyConsumers, inst, 0};
        return false;
      }
      continue;
    }
    for (uint32_t r = 0; r < claim.requests.size(); ++r) steps_.push_back({inst, r});
  }
  if (candidates_.size() < steps_.size()) {
    candidates_.resize(steps_.size());
    keys_.resize(steps_.size());
  }
  if (!steps_.empty() && Solve(0) != Search::kFound) {
    overlay.RollbackTo(start);
    picks_.clear();
    failure = failure_.kind == DraFailure::kNone
                  ? DraFailureInfo{DraFailure::kConstraint, steps_[0].instance, 0}
                  : failure_;
    return false;
  }
  // Record results per newly allocated instance, in pick order.
  for (size_t s = 0; s < steps_.size(); ++s) {
    const uint32_t inst = steps_[s].instance;
    if (s > 0 && steps_[s - 1].instance == inst) continue;
    const int64_t begin = overlay.ledger(results_size_slot_);
    int64_t count = 0;
    bool node_local = false;
    for (const Pick& p : picks_) {
      if (steps_[p.step].instance != inst) continue;
      const size_t at = static_cast<size_t>(overlay.ledger(results_size_slot_));
      if (results_.size() <= at) results_.resize(at + 1);
      const CompiledSubrequest& sub = Sub(p.step, p.subrequest);
      results_[at] = {steps_[p.step].request, p.subrequest, p.device, sub.admin_access,
                      index_.shareable(p.device) && !sub.admin_access};
      overlay.AddToLedger(results_size_slot_, 1);
      ++count;
      node_local |= index_.snapshot().devices().visibility[p.device.index()] ==
                    model::DeviceVisibility::kNode;
    }
    overlay.AddToLedger(slot(inst, kState), node_local ? node.value() + 1 : kAllocatedAnywhere);
    overlay.AddToLedger(slot(inst, kBegin), begin - overlay.ledger(slot(inst, kBegin)));
    overlay.AddToLedger(slot(inst, kCount), count - overlay.ledger(slot(inst, kCount)));
  }
  for (size_t i = 0; i < instances.size(); ++i) {
    if (std::find(instances.begin(), instances.begin() + static_cast<ptrdiff_t>(i), instances[i]) ==
        instances.begin() + static_cast<ptrdiff_t>(i)) {
      overlay.AddToLedger(slot(instances[i], kUsers), 1);
    }
  }
  picks_.clear();
  return true;
}

}  // namespace tessera::dra

#include "dra/reference_allocator.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "base/check.h"
#include "model/node_selector.h"

namespace tessera::dra::testing_reference {

using model::DeviceId;
using model::NodeId;

namespace {

constexpr size_t kMaxDevicesPerClaim = 32;
constexpr int64_t kMaxConsumers = 256;

std::string Qualify(const std::string& name, const std::string& driver) {
  return name.find('/') == std::string::npos ? driver + "/" + name : name;
}

// Kubernetes' device toleration rule, restated from the spec strings.
bool ToleratesTaint(const model::TolerationSpec& t, const model::TaintSpec& taint) {
  if (t.effect && *t.effect != taint.effect) return false;
  if (t.key.empty()) return t.op == model::TolerationOperator::kExists;
  if (t.key != taint.key) return false;
  return t.op == model::TolerationOperator::kExists || t.value == taint.value;
}

// What a request for `asked` of capacity `cap` consumes under its request policy; false
// when no admissible amount exists (above validValues, above max, above the capacity).
bool Rounded(const model::DeviceCapacitySpec& cap, int64_t asked, int64_t& out) {
  int64_t a = asked;
  const auto& policy = cap.request_policy;
  if (policy && !policy->valid_values.empty()) {
    bool found = false;
    for (Quantity v : policy->valid_values) {  // ascending: the first one >= a
      if (v.value() >= a) {
        a = v.value();
        found = true;
        break;
      }
    }
    if (!found) return false;
  } else if (policy && policy->valid_range) {
    const int64_t min = policy->valid_range->min.value();
    if (a < min) a = min;
    if (policy->valid_range->step && policy->valid_range->step->value() > 0) {
      const int64_t step = policy->valid_range->step->value();
      while ((a - min) % step != 0) ++a;  // brute force on purpose
    }
    if (policy->valid_range->max && a > policy->valid_range->max->value()) return false;
  }
  if (a > cap.value.value()) return false;
  out = a;
  return true;
}

}  // namespace

ReferenceAllocator::ReferenceAllocator(const model::Snapshot& snapshot,
                                       const ClaimCatalog& catalog, cel::SelectorCache& selectors)
    : snapshot_(snapshot), catalog_(catalog), selectors_(selectors) {
  const model::DeviceTable& dt = snapshot.devices();
  const auto& slices = snapshot.resource_slices();

  // Pools: newest generation only; complete when every slice of it is present; valid when no
  // device name repeats and every consumed counter exists.
  std::map<std::pair<std::string, std::string>, int64_t> newest;
  for (const auto& s : slices) {
    auto [it, added] = newest.emplace(std::make_pair(s.driver, s.pool), s.pool_generation);
    if (!added) it->second = std::max(it->second, s.pool_generation);
  }
  auto current = [&](const model::ResourceSliceSpec& s) {
    return s.pool_generation == newest[{s.driver, s.pool}];
  };
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> pool_slices;
  for (size_t i = 0; i < slices.size(); ++i) {
    if (current(slices[i])) pool_slices[{slices[i].driver, slices[i].pool}].push_back(i);
  }
  std::set<std::pair<std::string, std::string>> bad_pools;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> pool_counters;
  std::map<std::tuple<size_t, std::string, std::string>, size_t> slice_counters;
  for (const auto& [pool, members] : pool_slices) {
    std::set<std::string> names;
    for (size_t i : members) {
      if (slices[i].resource_slice_count != static_cast<int64_t>(members.size())) {
        bad_pools.insert(pool);
      }
      for (const auto& d : slices[i].devices) {
        if (!names.insert(d.name).second) bad_pools.insert(pool);
      }
      for (const auto& set : slices[i].shared_counters) {
        for (const auto& [name, value] : set.counters) {
          const size_t index = counter_capacity_.size();
          counter_capacity_.push_back(value.value());
          counter_names_.push_back(fmt::format("{}/{}/{}/{}", pool.first, slices[i].name,
                                               set.name, name));
          if (slices[i].devices.empty()) {
            pool_counters.emplace(std::make_tuple(pool.first, pool.second, set.name, name), index);
          } else {
            slice_counters.emplace(std::make_tuple(i, set.name, name), index);
          }
        }
      }
    }
  }

  devices_.resize(dt.size());
  for (size_t d = 0; d < dt.size(); ++d) {
    const model::ResourceSliceSpec& slice = slices[dt.slice[d]];
    const model::DeviceSpec& spec = slice.devices[dt.index_in_slice[d]];
    Device& dev = devices_[d];
    const auto pool = std::make_pair(slice.driver, slice.pool);
    dev.usable = current(slice) && !bad_pools.contains(pool);
    dev.shareable = spec.allow_multiple_allocations;
    for (const auto& cap : spec.capacity) dev.caps.push_back({Qualify(cap.name, slice.driver), &cap});
    for (const auto& use : spec.consumes_counters) {
      for (const auto& [name, amount] : use.counters) {
        auto it = slice_counters.find(std::make_tuple(size_t{dt.slice[d]}, use.counter_set, name));
        if (it != slice_counters.end()) {
          dev.counters.emplace_back(it->second, amount.value());
          continue;
        }
        auto jt = pool_counters.find(std::make_tuple(slice.driver, slice.pool, use.counter_set, name));
        if (jt == pool_counters.end()) {
          dev.usable = false;  // an invalid pool in Kubernetes terms
          continue;
        }
        dev.counters.emplace_back(jt->second, amount.value());
      }
    }
    for (const auto& t : spec.taints) {
      if (t.effect != model::TaintEffect::kPreferNoSchedule) dev.taints.push_back(t);
    }
  }
  // Devices of a pool made unusable by one bad counter reference make the whole pool invalid.
  for (size_t d = 0; d < dt.size(); ++d) {
    if (devices_[d].usable || !current(slices[dt.slice[d]])) continue;
    const auto& s = slices[dt.slice[d]];
    for (size_t e = 0; e < dt.size(); ++e) {
      const auto& o = slices[dt.slice[e]];
      if (o.driver == s.driver && o.pool == s.pool) devices_[e].usable = false;
    }
  }

  // Claims, compiled from their specs.
  for (const model::ResourceClaimSpec& spec : snapshot.resource_claims()) {
    Claim claim;
    claim.spec = &spec;
    for (const model::DeviceRequestSpec& req : spec.requests) {
      Request r;
      r.name = req.name;
      std::vector<const model::DeviceRequestSpec*> subs;
      if (req.first_available.empty()) {
        subs.push_back(&req);
      } else {
        for (const auto& s : req.first_available) subs.push_back(&s);
      }
      for (const model::DeviceRequestSpec* s : subs) {
        Sub sub;
        sub.name = req.first_available.empty() ? req.name : req.name + "/" + s->name;
        sub.spec = s;
        sub.mode = s->allocation_mode;
        sub.count = static_cast<uint32_t>(std::max<int64_t>(s->count, 1));
        sub.admin_access = s->admin_access;
        const auto& classes = snapshot.device_classes();
        auto cls = std::find_if(classes.begin(), classes.end(),
                                [&](const auto& c) { return c.name == s->device_class_name; });
        std::vector<std::string> exprs;
        if (cls == classes.end()) {
          claim.broken = true;
        } else {
          exprs = cls->selectors;
        }
        exprs.insert(exprs.end(), s->selectors.begin(), s->selectors.end());
        for (const std::string& e : exprs) {
          auto id = selectors.Add(e);
          if (!id.ok()) {
            claim.broken = true;
            continue;
          }
          sub.selectors.push_back(*id);
        }
        sub.matches.assign(snapshot.devices().size(), 0);
        r.subs.push_back(std::move(sub));
      }
      claim.requests.push_back(std::move(r));
    }
    claims_.push_back(std::move(claim));
  }

  const size_t instances = catalog.instances().size();
  allocated_.assign(instances, 0);
  rows_.resize(instances);
  consumers_.assign(instances, 0);
  used_.assign(dt.size(), 0);
  consumed_.resize(dt.size());
  for (size_t d = 0; d < dt.size(); ++d) consumed_[d].assign(devices_[d].caps.size(), 0);
  counters_used_.assign(counter_capacity_.size(), 0);
}

bool ReferenceAllocator::Visible(DeviceId d, NodeId node) const {
  const model::DeviceTable& dt = snapshot_.devices();
  switch (dt.visibility[d.index()]) {
    case model::DeviceVisibility::kNode:
      return dt.node[d.index()] == node;
    case model::DeviceVisibility::kAllNodes:
      return true;
    case model::DeviceVisibility::kNodeSelector:
      return model::MatchesAnyTerm(snapshot_, snapshot_.terms(dt.selector_terms[d.index()]), node);
  }
  return false;
}

bool ReferenceAllocator::Consumption(uint32_t instance, const Row& row,
                                     std::vector<int64_t>& out) const {
  const Sub& sub = ClaimOf(instance).requests[row.request].subs[row.subrequest];
  const Device& dev = devices_[row.device.index()];
  const std::string& driver = snapshot_.drivers().Name(snapshot_.devices().driver[row.device.index()]);
  out.assign(dev.caps.size(), 0);
  for (size_t k = 0; k < dev.caps.size(); ++k) {
    const model::DeviceCapacitySpec& cap = *dev.caps[k].spec;
    const int64_t value = cap.value.value();
    const auto& policy = cap.request_policy;
    const std::pair<std::string, Quantity>* asked = nullptr;
    for (const auto& cr : sub.spec->capacity_requests) {
      if (Qualify(cr.first, driver) == dev.caps[k].name) asked = &cr;
    }
    if (asked == nullptr) {
      out[k] = policy && policy->default_value ? policy->default_value->value() : value;
      continue;
    }
    if (!Rounded(cap, asked->second.value(), out[k])) return false;
  }
  return true;
}

bool ReferenceAllocator::Matches(const Sub& sub, DeviceId d, bool& error) {
  // Memoised: the answer depends only on the snapshot.
  int8_t& memo = sub.matches[d.index()];
  if (memo == 0) memo = MatchesUncached(sub, d, error) ? 1 : (error ? 3 : 2);
  if (memo == 3) error = true;
  return memo == 1;
}

bool ReferenceAllocator::MatchesUncached(const Sub& sub, DeviceId d, bool& error) {
  for (cel::SelectorId sel : sub.selectors) {
    auto m = selectors_.Matches(sel, d, scratch_);
    if (!m.ok()) {
      error = true;
      return false;
    }
    if (!*m) return false;
  }
  const Device& dev = devices_[d.index()];
  const std::string& driver = snapshot_.drivers().Name(snapshot_.devices().driver[d.index()]);
  for (const auto& [name, amount] : sub.spec->capacity_requests) {
    const Cap* cap = nullptr;
    for (const Cap& c : dev.caps) {
      if (c.name == Qualify(name, driver)) cap = &c;
    }
    if (cap == nullptr) return false;
    if (!dev.shareable && cap->spec->value.value() < amount.value()) return false;
  }
  if (dev.shareable) {
    // Admissible under the request policies (rounding may push a request past max).
    for (const Cap& c : dev.caps) {
      for (const auto& [name, amount] : sub.spec->capacity_requests) {
        int64_t ignored = 0;
        if (Qualify(name, driver) == c.name && !Rounded(*c.spec, amount.value(), ignored)) {
          return false;
        }
      }
    }
  }
  return true;
}

bool ReferenceAllocator::Tolerated(const Sub& sub, DeviceId d) const {
  for (const model::TaintSpec& taint : devices_[d.index()].taints) {
    bool ok = false;
    for (const model::TolerationSpec& t : sub.spec->tolerations) ok |= ToleratesTaint(t, taint);
    if (!ok) return false;
  }
  return true;
}

std::vector<DeviceId> ReferenceAllocator::AllSet(const Sub& sub, NodeId node, bool& error) {
  std::vector<DeviceId> out;
  for (size_t d = 0; d < devices_.size(); ++d) {
    const DeviceId id = DeviceId::FromIndex(d);
    if (!devices_[d].usable || !Visible(id, node)) continue;
    if (Matches(sub, id, error)) out.push_back(id);
  }
  return out;
}

std::string ReferenceAllocator::CheckPartial(NodeId node, const Assignment& a) {
  const model::DeviceTable& dt = snapshot_.devices();
  std::map<uint32_t, int64_t> exclusive;                 // device -> non-admin rows
  std::map<uint32_t, std::vector<int64_t>> capacity;     // device -> consumed in attempt
  std::vector<int64_t> counters = counters_used_;
  for (const InstanceRows& ir : a) {
    const Claim& claim = ClaimOf(ir.instance);
    if (ir.rows.size() > kMaxDevicesPerClaim) return "more than 32 devices in one claim";
    std::map<uint32_t, std::vector<const Row*>> by_request;
    for (const Row& row : ir.rows) {
      if (row.request >= claim.requests.size()) return "request index out of range";
      const Request& req = claim.requests[row.request];
      if (row.subrequest >= req.subs.size()) return "subrequest index out of range";
      const Sub& sub = req.subs[row.subrequest];
      const std::string& dev_name = dt.name[row.device.index()];
      if (row.admin_access != sub.admin_access) return "adminAccess flag wrong on " + dev_name;
      if (!devices_[row.device.index()].usable) return dev_name + " is in an unusable pool";
      if (!Visible(row.device, node)) return dev_name + " is not visible from the node";
      bool error = false;
      if (!Matches(sub, row.device, error)) return dev_name + " does not match " + sub.name;
      if (!Tolerated(sub, row.device)) return dev_name + " has an untolerated taint";
      by_request[row.request].push_back(&row);
      // Same device twice in one claim is only allowed for shared, non-admin rows.
      for (const Row& other : ir.rows) {
        if (&other == &row || other.device != row.device) continue;
        if (row.admin_access) return dev_name + " taken twice in one claim with adminAccess";
        if (other.request == row.request) return dev_name + " taken twice by one request";
      }
      if (row.admin_access) continue;  // uses nothing
      const Device& dev = devices_[row.device.index()];
      if (dev.shareable) {
        std::vector<int64_t> amounts;
        if (!Consumption(ir.instance, row, amounts)) return dev_name + ": capacity not admissible";
        auto& sum = capacity[row.device.value()];
        sum.resize(amounts.size(), 0);
        for (size_t k = 0; k < amounts.size(); ++k) sum[k] += amounts[k];
      } else {
        ++exclusive[row.device.value()];
      }
      for (const auto& [c, amount] : dev.counters) counters[c] += amount;
    }
    for (const auto& [r, rows] : by_request) {
      const uint32_t s = rows.front()->subrequest;
      for (const Row* row : rows) {
        if (row->subrequest != s) return "two subrequests of one request used";
      }
      const Sub& sub = claim.requests[r].subs[s];
      if (sub.mode == model::AllocationMode::kAll) {
        bool error = false;
        std::vector<DeviceId> want = AllSet(sub, node, error);
        std::vector<DeviceId> got;
        for (const Row* row : rows) got.push_back(row->device);
        std::sort(got.begin(), got.end());
        if (want.empty() || want != got) return sub.name + ": All mode did not take every device";
      } else if (rows.size() != sub.count) {
        return fmt::format("{}: {} devices, want {}", sub.name, rows.size(), sub.count);
      }
    }
    // Constraints over the claim's devices.
    for (const model::DeviceConstraintSpec& con : claim.spec->constraints) {
      const bool distinct = !con.distinct_attribute.empty();
      const std::string& attr = distinct ? con.distinct_attribute : con.match_attribute;
      std::vector<const model::DeviceAttribute*> values;
      for (const Row& row : ir.rows) {
        const Request& req = claim.requests[row.request];
        bool covered = con.requests.empty();
        for (const std::string& ref : con.requests) {
          covered |= ref == req.name || ref == req.subs[row.subrequest].name;
        }
        if (!covered) continue;
        const model::DeviceAttribute* found = nullptr;
        const model::Range r = dt.attributes[row.device.index()];
        for (uint32_t i = r.begin; i < r.end; ++i) {
          if (snapshot_.attribute_names().Name(dt.attribute_values[i].name) == attr) {
            found = &dt.attribute_values[i];
          }
        }
        if (found == nullptr) return dt.name[row.device.index()] + " lacks " + attr;
        values.push_back(found);
      }
      for (size_t i = 0; i < values.size(); ++i) {
        for (size_t j = i + 1; j < values.size(); ++j) {
          const bool same = values[i]->kind == values[j]->kind &&
                            values[i]->int_value == values[j]->int_value &&
                            values[i]->string_value == values[j]->string_value;
          if (distinct && same) return "distinctAttribute " + attr + " repeats";
          if (!distinct && !same) return "matchAttribute " + attr + " differs";
        }
      }
    }
  }
  for (const auto& [d, n] : exclusive) {
    if (n + used_[d] > 1) return dt.name[d] + " is already in use";
  }
  for (const auto& [d, sum] : capacity) {
    for (size_t k = 0; k < sum.size(); ++k) {
      if (consumed_[d][k] + sum[k] > devices_[d].caps[k].spec->value.value()) {
        return dt.name[d] + ": capacity " + devices_[d].caps[k].name + " exceeded";
      }
    }
  }
  for (size_t c = 0; c < counters.size(); ++c) {
    if (counters[c] > counter_capacity_[c]) return "counter " + counter_names_[c] + " negative";
  }
  return "";
}

std::string ReferenceAllocator::CheckReserved(model::PodId pod, NodeId node) const {
  auto instances = catalog_.instances_of(pod);
  for (size_t i = 0; i < instances.size(); ++i) {
    const uint32_t inst = instances[i];
    if (ClaimOf(inst).broken) return "claim cannot be used";
    if (!allocated_[inst]) continue;
    for (const Row& row : rows_[inst]) {
      if (!Visible(row.device, node)) return "claim allocated elsewhere";
    }
    if (consumers_[inst] >= kMaxConsumers) return "claim has 256 consumers";
  }
  return "";
}

std::string ReferenceAllocator::Check(model::PodId pod, NodeId node, const Assignment& a) {
  if (std::string why = CheckReserved(pod, node); !why.empty()) return why;
  std::set<uint32_t> want;
  for (uint32_t inst : catalog_.instances_of(pod)) {
    if (!allocated_[inst] && !ClaimOf(inst).requests.empty()) want.insert(inst);
  }
  std::set<uint32_t> got;
  for (const InstanceRows& ir : a) {
    if (!got.insert(ir.instance).second) return "instance listed twice";
    std::set<uint32_t> requests;
    for (const Row& row : ir.rows) requests.insert(row.request);
    if (requests.size() != ClaimOf(ir.instance).requests.size()) return "a request has no devices";
  }
  if (want != got) return "wrong set of claims allocated";
  return CheckPartial(node, a);
}

bool ReferenceAllocator::Search(NodeId node, size_t step, Assignment& a) {
  if (gave_up_) return false;
  if (step == steps_.size()) return true;
  const Step& st = steps_[step];
  const Request& req = ClaimOf(st.instance).requests[st.request];
  InstanceRows* ir = nullptr;
  for (InstanceRows& x : a) {
    if (x.instance == st.instance) ir = &x;
  }
  if (ir == nullptr) {
    a.push_back({st.instance, {}});
    ir = &a.back();
  }
  const size_t base = ir->rows.size();
  const uint32_t instance = st.instance;
  auto rows_of = [&]() -> std::vector<Row>& {
    for (InstanceRows& x : a) {
      if (x.instance == instance) return x.rows;
    }
    TESSERA_CHECK(false);
    return a.front().rows;
  };
  // Tries the rows of this step: a full check of the partial assignment, then the rest.
  auto attempt = [&](uint32_t s, const std::vector<DeviceId>& devices) {
    if (++checks_ > max_checks_) {
      gave_up_ = true;
      return false;
    }
    std::vector<Row>& rows = rows_of();
    for (DeviceId d : devices) rows.push_back({st.request, s, d, req.subs[s].admin_access});
    if (CheckPartial(node, a).empty() && Search(node, step + 1, a)) return true;
    rows_of().resize(base);
    return false;
  };
  for (uint32_t s = 0; s < req.subs.size(); ++s) {
    const Sub& sub = req.subs[s];
    bool error = false;
    if (sub.mode == model::AllocationMode::kAll) {
      std::vector<DeviceId> all = AllSet(sub, node, error);
      if (!all.empty() && attempt(s, all)) return true;
      continue;
    }
    std::vector<DeviceId> cand;
    for (DeviceId d : AllSet(sub, node, error)) {
      if (Tolerated(sub, d)) cand.push_back(d);
    }
    // Every subset of `count` candidates (order does not matter to any rule).
    std::vector<size_t> pick;
    std::vector<DeviceId> devices;
    auto subsets = [&](auto& self, size_t from) -> bool {
      if (pick.size() == sub.count) {
        devices.clear();
        for (size_t i : pick) devices.push_back(cand[i]);
        return attempt(s, devices);
      }
      for (size_t i = from; i < cand.size(); ++i) {
        pick.push_back(i);
        if (self(self, i + 1)) return true;
        pick.pop_back();
        if (gave_up_) return false;
      }
      return false;
    };
    if (subsets(subsets, 0)) return true;
    if (gave_up_) return false;
  }
  // Leave no empty entry behind for this instance.
  if (base == 0) {
    a.erase(std::remove_if(a.begin(), a.end(),
                           [&](const InstanceRows& x) { return x.instance == instance && x.rows.empty(); }),
            a.end());
  }
  return false;
}

Answer ReferenceAllocator::Allocate(model::PodId pod, NodeId node, Assignment& solution,
                                    uint64_t max_checks) {
  solution.clear();
  if (!CheckReserved(pod, node).empty()) return Answer::kInfeasible;
  steps_.clear();
  std::set<uint32_t> seen;
  for (uint32_t inst : catalog_.instances_of(pod)) {
    if (!seen.insert(inst).second || allocated_[inst]) continue;
    for (uint32_t r = 0; r < ClaimOf(inst).requests.size(); ++r) steps_.push_back({inst, r});
  }
  checks_ = 0;
  max_checks_ = max_checks;
  gave_up_ = false;
  if (Search(node, 0, solution)) return Answer::kFeasible;
  solution.clear();
  return gave_up_ ? Answer::kGaveUp : Answer::kInfeasible;
}

void ReferenceAllocator::Commit(model::PodId pod, const Assignment& a) {
  for (const InstanceRows& ir : a) {
    TESSERA_CHECK(!allocated_[ir.instance]) << "instance allocated twice";
    allocated_[ir.instance] = 1;
    rows_[ir.instance] = ir.rows;
    for (const Row& row : ir.rows) {
      if (row.admin_access) continue;
      const Device& dev = devices_[row.device.index()];
      if (dev.shareable) {
        std::vector<int64_t> amounts;
        TESSERA_CHECK(Consumption(ir.instance, row, amounts));
        for (size_t k = 0; k < amounts.size(); ++k) consumed_[row.device.index()][k] += amounts[k];
      } else {
        ++used_[row.device.index()];
      }
      for (const auto& [c, amount] : dev.counters) counters_used_[c] += amount;
    }
  }
  std::set<uint32_t> seen;
  for (uint32_t inst : catalog_.instances_of(pod)) {
    if (seen.insert(inst).second) ++consumers_[inst];
  }
}

std::string ReferenceAllocator::CheckCommitted() const {
  const model::DeviceTable& dt = snapshot_.devices();
  std::vector<int64_t> used(devices_.size(), 0);
  std::vector<std::vector<int64_t>> consumed(devices_.size());
  for (size_t d = 0; d < devices_.size(); ++d) consumed[d].assign(devices_[d].caps.size(), 0);
  std::vector<int64_t> counters(counter_capacity_.size(), 0);
  for (uint32_t inst = 0; inst < rows_.size(); ++inst) {
    for (const Row& row : rows_[inst]) {
      if (row.admin_access) continue;
      const Device& dev = devices_[row.device.index()];
      if (dev.shareable) {
        std::vector<int64_t> amounts;
        if (!Consumption(inst, row, amounts)) return "inadmissible committed row";
        for (size_t k = 0; k < amounts.size(); ++k) consumed[row.device.index()][k] += amounts[k];
      } else {
        ++used[row.device.index()];
      }
      for (const auto& [c, amount] : dev.counters) counters[c] += amount;
    }
  }
  for (size_t d = 0; d < devices_.size(); ++d) {
    if (used[d] > 1) return dt.name[d] + " is in two claims";
    for (size_t k = 0; k < consumed[d].size(); ++k) {
      if (consumed[d][k] > devices_[d].caps[k].spec->value.value()) {
        return dt.name[d] + ": consumed capacity above capacity";
      }
    }
  }
  for (size_t c = 0; c < counters.size(); ++c) {
    if (counters[c] > counter_capacity_[c]) return "counter " + counter_names_[c] + " negative";
  }
  return "";
}

}  // namespace tessera::dra::testing_reference

#include "admission/flavor_assigner.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "model/resources.h"

namespace tessera::admission {

namespace {

// The rank of a (mode, borrow) outcome under flavorFungibility.preference; lower is better.
// BorrowingOverPreemption: Fit/NoBorrow, Fit/Borrow, Preempt/NoBorrow, Preempt/Borrow.
// PreemptionOverBorrowing: Fit/NoBorrow, Preempt/NoBorrow, Fit/Borrow, Preempt/Borrow.
int Rank(AssignmentMode mode, bool borrow, const model::FlavorFungibilitySpec& fungibility) {
  const bool fit = mode == AssignmentMode::kFit;
  if (fit && !borrow) return 0;
  if (!fit && borrow) return 3;
  if (fungibility.preemption_over_borrowing) return fit ? 2 : 1;
  return fit ? 1 : 2;
}

// Whether flavorFungibility says to look further after a flavor with this outcome.
bool ShouldTryNextFlavor(AssignmentMode mode, bool borrow,
                         const model::FlavorFungibilitySpec& fungibility) {
  if (mode == AssignmentMode::kFit) return borrow && fungibility.when_can_borrow_try_next;
  if (mode == AssignmentMode::kPreempt && !fungibility.when_can_preempt_try_next) {
    return borrow && fungibility.when_can_borrow_try_next;
  }
  return true;
}

bool ConflictsWithSelector(const model::Labels& flavor_labels, const model::Labels& selector) {
  for (const auto& [key, value] : flavor_labels) {
    for (const auto& [skey, svalue] : selector) {
      if (skey == key && svalue != value) return true;
    }
  }
  return false;
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return kNoLimit;
  return out;
}

int64_t AmountOf(std::span<const FlavorResourceAmount> list, FlavorResource fr) {
  for (const FlavorResourceAmount& e : list) {
    if (e.fr == fr) return e.amount;
  }
  return 0;
}

void AddTo(std::vector<FlavorResourceAmount>& list, FlavorResource fr, int64_t amount) {
  for (FlavorResourceAmount& e : list) {
    if (e.fr == fr) {
      e.amount += amount;
      return;
    }
  }
  list.push_back(FlavorResourceAmount{fr, amount});
}

void AppendReason(std::string& reasons, std::string_view reason) {
  if (!reasons.empty()) reasons += ", ";
  reasons += reason;
}

}  // namespace

std::string FormatAmount(const QueueModel& model, ResourceId resource, int64_t amount) {
  const std::string& name = model.resource_name(resource);
  const QuantityUnit unit = model::UnitForResource(name);
  const bool bytes = name == "memory" || name.ends_with("storage") || name.ends_with("memory");
  return FormatQuantity(Quantity(amount), unit,
                        bytes && amount % 1024 == 0 && amount != 0 ? QuantityFormat::kBinarySI
                                                                   : QuantityFormat::kDecimalSI);
}

Assignment AssignFlavors(const QuotaState& state, ClusterQueueId cq,
                         std::span<const PodSetRequest> pod_sets, bool fair_sharing) {
  const QueueModel& model = state.model();
  const ClusterQueueInfo& info = model.cluster_queue(cq);
  const QuotaNodeId node = QueueModel::NodeOf(cq);
  const model::PreemptionSpec& preemption = info.preemption;
  const bool can_preempt = preemption.within_cluster_queue != model::PreemptionPolicy::kNever ||
                           preemption.reclaim_within_cohort != model::PreemptionPolicy::kNever ||
                           preemption.borrow_within_cohort != model::PreemptionPolicy::kNever;
  const bool can_preempt_while_borrowing =
      fair_sharing || preemption.borrow_within_cohort != model::PreemptionPolicy::kNever;

  Assignment a;
  a.cluster_queue = cq;
  a.mode = AssignmentMode::kFit;
  a.pod_sets.reserve(pod_sets.size());
  std::vector<ResourceAmount> requests;
  std::vector<ResourceAmount> group_requests;
  // Per PodSet group already assigned (its first PodSet's index): the flavor chosen per
  // resource group (invalid where the group requests nothing).
  std::vector<std::pair<uint32_t, std::vector<FlavorId>>> group_flavors;
  // Adds `ps`'s total request per resource (count x per pod, and its pods when the
  // ClusterQueue covers them) to `into`.
  auto add_requests = [&info, &model](const PodSetRequest& ps, std::vector<ResourceAmount>& into) {
    auto add = [&into](ResourceId r, int64_t amount) {
      if (amount == 0) return;
      for (ResourceAmount& q : into) {
        if (q.resource == r) {
          q.amount = q.amount > kNoLimit - amount ? kNoLimit : q.amount + amount;
          return;
        }
      }
      into.push_back(ResourceAmount{r, amount});
    };
    for (const ResourceAmount& q : ps.per_pod) add(q.resource, SaturatingMul(q.amount, ps.count));
    if (info.covers_pods) add(model.pods_resource(), ps.count);
  };
  for (uint32_t p = 0; p < pod_sets.size(); ++p) {
    const PodSetRequest& ps = pod_sets[p];
    auto fail = [&](const std::string& why) {
      a.mode = AssignmentMode::kNoFit;
      a.reason = fmt::format("couldn't assign flavors to pod set {}: {}", ps.name, why);
      return std::move(a);
    };
    // Total request of the PodSet per resource.
    requests.clear();
    requests.reserve(ps.per_pod.size() + 1);
    add_requests(ps, requests);
    // A PodSet group's first PodSet chooses for the group's summed request; later ones take
    // its flavors.
    uint32_t first = p;
    if (!ps.group.empty()) {
      for (uint32_t q = 0; q < p; ++q) {
        if (pod_sets[q].group == ps.group) {
          first = q;
          break;
        }
      }
    }
    const std::vector<FlavorId>* chosen = nullptr;
    for (const auto& [at, flavors] : group_flavors) {
      if (at == first && first != p) chosen = &flavors;
    }
    group_requests.clear();
    if (!ps.group.empty() && chosen == nullptr) {
      for (uint32_t q = p; q < pod_sets.size(); ++q) {
        if (pod_sets[q].group == ps.group) add_requests(pod_sets[q], group_requests);
      }
    }
    const std::vector<ResourceAmount>& ask = group_requests.empty() ? requests : group_requests;
    for (const ResourceAmount& q : ask) {
      TESSERA_CHECK(q.resource.valid()) << "pod set " << ps.name << " names no resource";
      if (q.resource.index() >= model.num_quota_resources() ||
          info.group_of_resource[q.resource.index()] < 0) {
        return fail(fmt::format("resource {} unavailable in ClusterQueue",
                                model.resource_name(q.resource)));
      }
    }
    PodSetAssignment psa;
    psa.pod_set = p;
    psa.count = ps.count;
    psa.usage.reserve(requests.size());
    if (a.total.empty()) a.total.reserve(requests.size());
    if (chosen != nullptr) {  // a later PodSet of a group: the group's flavors
      for (const ResourceAmount& q : requests) {
        const FlavorId f = (*chosen)[static_cast<size_t>(info.group_of_resource[q.resource.index()])];
        const FlavorResource fr = model.Fr(f, q.resource);
        psa.usage.push_back(FlavorResourceAmount{fr, q.amount});
        AddTo(a.total, fr, q.amount);
      }
      a.pod_sets.push_back(std::move(psa));
      continue;
    }
    std::vector<FlavorId> picked;
    if (!ps.group.empty()) picked.assign(info.groups.size(), FlavorId());
    for (size_t g = 0; g < info.groups.size(); ++g) {
      const ResourceGroup& group = info.groups[g];
      bool requested = false;
      for (const ResourceAmount& q : ask) {
        if (info.group_of_resource[q.resource.index()] == static_cast<int8_t>(g)) requested = true;
      }
      if (!requested) continue;
      std::string reasons;
      FlavorId best;
      int best_rank = 4;
      AssignmentMode best_mode = AssignmentMode::kNoFit;
      bool best_borrow = false;
      for (FlavorId f : group.flavors) {
        const FlavorInfo& flavor = model.flavor(f);
        bool conflicts = ConflictsWithSelector(flavor.node_labels, ps.node_selector);
        for (uint32_t q = p + 1; !ps.group.empty() && q < pod_sets.size(); ++q) {
          conflicts |= pod_sets[q].group == ps.group &&
                       ConflictsWithSelector(flavor.node_labels, pod_sets[q].node_selector);
        }
        if (conflicts) {
          AppendReason(reasons, fmt::format("flavor {} doesn't match node affinity", flavor.name));
          continue;
        }
        AssignmentMode mode = AssignmentMode::kFit;
        bool borrow = false;
        for (const ResourceAmount& q : ask) {
          if (info.group_of_resource[q.resource.index()] != static_cast<int8_t>(g)) continue;
          const FlavorResource fr = model.Fr(f, q.resource);
          const int64_t already = AmountOf(a.total, fr);
          const int64_t val = q.amount > kNoLimit - already ? kNoLimit : q.amount + already;
          const std::string& rname = model.resource_name(q.resource);
          const int64_t potential = model.potential_available(node, fr);
          if (val > potential) {
            AppendReason(
                reasons,
                fmt::format("insufficient quota for {} in flavor {}, request > maximum "
                            "capacity of {}",
                            rname, flavor.name, FormatAmount(model, q.resource, potential)));
            mode = AssignmentMode::kNoFit;
            continue;
          }
          const int64_t nominal = model.nominal(node, fr);
          const int64_t available = state.Available(node, fr);
          if (val <= available) {
            if (state.usage(node, fr) + val > nominal) borrow = true;
            continue;
          }
          // Preempting makes room: the workload borrows only if the request alone exceeds
          // nominal (Kueue's flavorassigner).
          if (val > nominal) borrow = true;
          AppendReason(reasons, fmt::format("insufficient unused quota for {} in flavor {}, {} "
                                            "more needed",
                                            rname, flavor.name,
                                            FormatAmount(model, q.resource, val - available)));
          const bool preempt = can_preempt && (val <= nominal || can_preempt_while_borrowing);
          mode = std::min(mode, preempt ? AssignmentMode::kPreempt : AssignmentMode::kNoFit);
        }
        if (mode == AssignmentMode::kNoFit) continue;
        const int rank = Rank(mode, borrow, info.flavor_fungibility);
        const bool stop = !ShouldTryNextFlavor(mode, borrow, info.flavor_fungibility);
        if (stop || rank < best_rank) {
          best = f;
          best_rank = rank;
          best_mode = mode;
          best_borrow = borrow;
        }
        if (stop) break;
      }
      if (!best.valid()) return fail(reasons);
      if (best_mode != AssignmentMode::kFit && a.reason.empty()) {
        a.reason = fmt::format("couldn't assign flavors to pod set {}: {}", ps.name, reasons);
      }
      a.mode = std::min(a.mode, best_mode);
      a.borrows = a.borrows || best_borrow;
      if (!picked.empty()) picked[g] = best;
      for (const ResourceAmount& q : requests) {
        if (info.group_of_resource[q.resource.index()] != static_cast<int8_t>(g)) continue;
        const FlavorResource fr = model.Fr(best, q.resource);
        psa.usage.push_back(FlavorResourceAmount{fr, q.amount});
        AddTo(a.total, fr, q.amount);
      }
    }
    if (!ps.group.empty()) group_flavors.emplace_back(p, std::move(picked));
    a.pod_sets.push_back(std::move(psa));
  }
  return a;
}

bool Fits(const QuotaState& state, const Assignment& assignment, bool allow_borrowing) {
  const QuotaNodeId node = QueueModel::NodeOf(assignment.cluster_queue);
  for (const FlavorResourceAmount& t : assignment.total) {
    if (t.amount > state.Available(node, t.fr)) return false;
    if (!allow_borrowing &&
        state.usage(node, t.fr) + t.amount > state.model().nominal(node, t.fr)) {
      return false;
    }
  }
  return true;
}

}  // namespace tessera::admission

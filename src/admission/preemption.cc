#include "admission/preemption.h"

#include <algorithm>

#include "base/check.h"

namespace tessera::admission {

namespace {

bool UsesAny(const RunningWorkload& w, std::span<const FlavorResource> frs) {
  if (!w.active) return false;
  for (const FlavorResourceAmount& u : w.usage) {
    if (u.amount > 0 && std::find(frs.begin(), frs.end(), u.fr) != frs.end()) return true;
  }
  return false;
}

// Whether a workload of `priority` created at `creation` may preempt `candidate` under `policy`.
bool PolicyAllows(model::PreemptionPolicy policy, const Preemptor& preemptor,
                  const RunningWorkload& candidate) {
  switch (policy) {
    case model::PreemptionPolicy::kNever:
      return false;
    case model::PreemptionPolicy::kAny:
      return true;
    case model::PreemptionPolicy::kLowerPriority:
      return candidate.priority < preemptor.priority;
    case model::PreemptionPolicy::kLowerOrNewerEqualPriority:
      return candidate.priority < preemptor.priority ||
             (candidate.priority == preemptor.priority &&
              preemptor.creation_unix_seconds < candidate.creation_unix_seconds);
  }
  return false;
}

void CollectClusterQueues(const QueueModel& model, QuotaNodeId n,
                          std::vector<ClusterQueueId>& out) {
  const QuotaNodeInfo& info = model.node(n);
  if (info.is_cluster_queue) {
    out.push_back(ClusterQueueId(n.value()));
    return;
  }
  for (QuotaNodeId child : info.children) CollectClusterQueues(model, child, out);
}

class TargetSearch {
 public:
  TargetSearch(QuotaState& state, const Assignment& assignment, RunningView running,
               std::span<const FlavorResource> frs)
      : state_(state), assignment_(assignment), running_(running), frs_(frs) {}

  std::vector<uint32_t> Minimal(std::span<const uint32_t> candidates, bool allow_borrowing,
                                std::optional<int32_t> threshold) {
    const ClusterQueueId cq = assignment_.cluster_queue;
    const QuotaState::Mark mark = state_.mark();
    std::vector<uint32_t> targets;
    bool fits = false;
    for (uint32_t c : candidates) {
      const RunningWorkload& w = running_.workloads[c];
      if (w.cluster_queue != cq) {
        if (!state_.BorrowingAny(QueueModel::NodeOf(w.cluster_queue), frs_)) continue;
        if (threshold && w.priority >= *threshold) allow_borrowing = false;
      }
      state_.Add(w.cluster_queue, w.usage, -1);
      targets.push_back(c);
      if (Fits(state_, assignment_, allow_borrowing)) {
        fits = true;
        break;
      }
    }
    if (!fits) {
      state_.Rollback(mark);
      return {};
    }
    // Put back, newest choice first, every target the preemptor does not need; the last one
    // taken is needed (the search stopped right after it).
    for (size_t i = targets.size() - 1; i-- > 0;) {
      const RunningWorkload& w = running_.workloads[targets[i]];
      state_.Add(w.cluster_queue, w.usage, +1);
      if (Fits(state_, assignment_, allow_borrowing)) {
        targets.erase(targets.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        state_.Add(w.cluster_queue, w.usage, -1);
      }
    }
    state_.Rollback(mark);
    return targets;
  }

 private:
  QuotaState& state_;
  const Assignment& assignment_;
  RunningView running_;
  std::span<const FlavorResource> frs_;
};

}  // namespace

namespace {

bool Excluded(const RunningView& running, uint32_t h) {
  return std::find(running.excluded.begin(), running.excluded.end(), h) != running.excluded.end();
}

// The classic candidates (see preemption.h) for `assignment`, in the classic order, and the
// flavor-resources that need preemption in `frs`. Empty when nothing needs preemption.
std::vector<uint32_t> Candidates(const QuotaState& state, const Assignment& assignment,
                                 const Preemptor& preemptor, RunningView running,
                                 std::vector<FlavorResource>& frs) {
  const QueueModel& model = state.model();
  const ClusterQueueId cq = assignment.cluster_queue;
  const QuotaNodeId node = QueueModel::NodeOf(cq);
  const ClusterQueueInfo& info = model.cluster_queue(cq);
  const model::PreemptionSpec& policy = info.preemption;

  // The flavor-resources that do not fit as things stand.
  frs.clear();
  for (const FlavorResourceAmount& t : assignment.total) {
    if (t.amount > state.Available(node, t.fr)) frs.push_back(t.fr);
  }
  if (frs.empty()) return {};

  std::vector<uint32_t> candidates;
  if (policy.within_cluster_queue != model::PreemptionPolicy::kNever) {
    for (uint32_t h : running.by_cluster_queue[cq.index()]) {
      if (h >= running.first_protected || Excluded(running, h)) continue;
      const RunningWorkload& w = running.workloads[h];
      if (PolicyAllows(policy.within_cluster_queue, preemptor, w) && UsesAny(w, frs)) {
        candidates.push_back(h);
      }
    }
  }
  if (info.has_cohort && policy.reclaim_within_cohort != model::PreemptionPolicy::kNever) {
    QuotaNodeId root = node;
    while (model.node(root).parent.valid()) root = model.node(root).parent;
    std::vector<ClusterQueueId> tree;
    CollectClusterQueues(model, root, tree);
    for (ClusterQueueId other : tree) {
      if (other == cq || !state.BorrowingAny(QueueModel::NodeOf(other), frs)) continue;
      for (uint32_t h : running.by_cluster_queue[other.index()]) {
        if (h >= running.first_protected || Excluded(running, h)) continue;
        const RunningWorkload& w = running.workloads[h];
        if (PolicyAllows(policy.reclaim_within_cohort, preemptor, w) && UsesAny(w, frs)) {
          candidates.push_back(h);
        }
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(), [&](uint32_t a, uint32_t b) {
    const RunningWorkload& wa = running.workloads[a];
    const RunningWorkload& wb = running.workloads[b];
    const bool other_a = wa.cluster_queue != cq;
    const bool other_b = wb.cluster_queue != cq;
    if (other_a != other_b) return other_a;
    if (wa.priority != wb.priority) return wa.priority < wb.priority;
    if (wa.admission_unix_seconds != wb.admission_unix_seconds) {
      return wa.admission_unix_seconds > wb.admission_unix_seconds;
    }
    if (wa.name != wb.name) return wa.name < wb.name;
    return a < b;
  });
  return candidates;
}

// Puts back, newest choice first, every target the preemptor does not need (the last one
// taken is needed). Requires: every target's usage is removed from `state`, and the assignment
// fits (borrowing allowed).
void Minimise(QuotaState& state, const Assignment& assignment, RunningView running,
              std::vector<uint32_t>& targets) {
  if (targets.empty()) return;
  for (size_t i = targets.size() - 1; i-- > 0;) {
    const RunningWorkload& w = running.workloads[targets[i]];
    state.Add(w.cluster_queue, w.usage, +1);
    if (Fits(state, assignment, true)) {
      targets.erase(targets.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      state.Add(w.cluster_queue, w.usage, -1);
    }
  }
}

// The fair-sharing walk over the candidates left per ClusterQueue (see preemption.h).
class FairSearch {
 public:
  FairSearch(QuotaState& state, const Assignment& assignment, RunningView running)
      : state_(state),
        model_(state.model()),
        assignment_(assignment),
        running_(running),
        preemptor_cq_(assignment.cluster_queue),
        left_(model_.num_cluster_queues()) {}

  void Reset(std::span<const uint32_t> candidates) {
    for (std::vector<uint32_t>& l : left_) l.clear();
    for (uint32_t h : candidates) left_[running_.workloads[h].cluster_queue.index()].push_back(h);
    for (std::vector<uint32_t>& l : left_) std::reverse(l.begin(), l.end());  // pop from back
  }

  // Runs one strategy pass; returns whether the preemptor fits. Candidates a share test
  // refuses go to `refused` (when non-null).
  bool Run(FairPreemptionStrategy strategy, bool stop_at_first_refusal,
           std::vector<uint32_t>& targets, std::vector<uint32_t>* refused) {
    QuotaNodeId root = QueueModel::NodeOf(preemptor_cq_);
    while (model_.node(root).parent.valid()) root = model_.node(root).parent;
    while (true) {
      const QuotaNodeId top = Top(root);
      if (!top.valid()) return false;
      const ClusterQueueId cq(top.value());
      std::vector<uint32_t>& left = left_[cq.index()];
      if (cq == preemptor_cq_) {
        if (Take(left, targets)) return true;
        continue;
      }
      const auto [preemptor_side, target_side] = Sides(top);
      const double preemptor_new = PreemptorShare(preemptor_side);
      const double target_old = state_.WeightedShare(target_side);
      while (!left.empty()) {
        const RunningWorkload& w = running_.workloads[left.back()];
        bool allowed;
        if (strategy == FairPreemptionStrategy::kLessThanInitialShare) {
          allowed = preemptor_new < target_old;
        } else {
          const QuotaState::Mark mark = state_.mark();
          state_.Add(w.cluster_queue, w.usage, -1);
          const double target_new = state_.WeightedShare(target_side);
          state_.Rollback(mark);
          allowed = preemptor_new <= target_new;
        }
        if (allowed) {
          if (Take(left, targets)) return true;
          break;  // shares changed: walk from the root again
        }
        if (stop_at_first_refusal) return false;
        if (refused != nullptr) refused->push_back(left.back());
        left.pop_back();
      }
    }
  }

 private:
  // Removes the next candidate of `left` from the state; returns whether the preemptor fits.
  bool Take(std::vector<uint32_t>& left, std::vector<uint32_t>& targets) {
    const uint32_t h = left.back();
    left.pop_back();
    const RunningWorkload& w = running_.workloads[h];
    state_.Add(w.cluster_queue, w.usage, -1);
    targets.push_back(h);
    return Fits(state_, assignment_, true);
  }

  bool HoldsPreemptor(QuotaNodeId n) const {
    for (QuotaNodeId at = QueueModel::NodeOf(preemptor_cq_); at.valid();
         at = model_.node(at).parent) {
      if (at == n) return true;
    }
    return false;
  }

  bool HasCandidates(QuotaNodeId n) const {
    const QuotaNodeInfo& info = model_.node(n);
    if (info.is_cluster_queue) return !left_[n.index()].empty();
    for (QuotaNodeId child : info.children) {
      if (HasCandidates(child)) return true;
    }
    return false;
  }

  // The ClusterQueue to take from next: down from `n`, the child with the highest weighted
  // share among those with candidates left, skipping children at share 0 that do not hold the
  // preemptor; ties go to the earlier child. Invalid when none.
  QuotaNodeId Top(QuotaNodeId n) const {
    const QuotaNodeInfo& info = model_.node(n);
    if (info.is_cluster_queue) return left_[n.index()].empty() ? QuotaNodeId() : n;
    QuotaNodeId best;
    QuotaNodeId best_leaf;
    double best_share = -1;
    for (QuotaNodeId child : info.children) {
      if (!HasCandidates(child)) continue;
      const double share = state_.WeightedShare(child);
      if (share == 0 && !HoldsPreemptor(child)) continue;
      if (share <= best_share) continue;
      const QuotaNodeId leaf = Top(child);
      if (!leaf.valid()) continue;
      best = child;
      best_leaf = leaf;
      best_share = share;
    }
    return best_leaf;
  }

  // The children of the lowest common ancestor of the preemptor's ClusterQueue and `target`
  // that hold each of them.
  std::pair<QuotaNodeId, QuotaNodeId> Sides(QuotaNodeId target) const {
    std::vector<QuotaNodeId> up_p;
    std::vector<QuotaNodeId> up_t;
    for (QuotaNodeId at = QueueModel::NodeOf(preemptor_cq_); at.valid();
         at = model_.node(at).parent) {
      up_p.push_back(at);
    }
    for (QuotaNodeId at = target; at.valid(); at = model_.node(at).parent) up_t.push_back(at);
    // Both paths end at the same root; walk down while they agree.
    size_t i = up_p.size() - 1;
    size_t j = up_t.size() - 1;
    while (i > 0 && j > 0 && up_p[i - 1] == up_t[j - 1]) {
      --i;
      --j;
    }
    return {up_p[i > 0 ? i - 1 : 0], up_t[j > 0 ? j - 1 : 0]};
  }

  // The weighted share of `side` with the preemptor's assignment added at its ClusterQueue.
  double PreemptorShare(QuotaNodeId side) {
    const QuotaState::Mark mark = state_.mark();
    state_.Add(preemptor_cq_, assignment_.total);
    const double share = state_.WeightedShare(side);
    state_.Rollback(mark);
    return share;
  }

  QuotaState& state_;
  const QueueModel& model_;
  const Assignment& assignment_;
  RunningView running_;
  ClusterQueueId preemptor_cq_;
  std::vector<std::vector<uint32_t>> left_;  // per ClusterQueue, next candidate at the back
};

}  // namespace

std::vector<uint32_t> FindFairPreemptionTargets(
    QuotaState& state, const Assignment& assignment, const Preemptor& preemptor,
    RunningView running, std::span<const FairPreemptionStrategy> strategies) {
  static constexpr FairPreemptionStrategy kDefault[] = {
      FairPreemptionStrategy::kLessThanOrEqualToFinalShare,
      FairPreemptionStrategy::kLessThanInitialShare};
  if (strategies.empty()) strategies = kDefault;
  std::vector<FlavorResource> frs;
  const std::vector<uint32_t> candidates = Candidates(state, assignment, preemptor, running, frs);
  if (candidates.empty()) return {};
  const QuotaState::Mark mark = state.mark();
  FairSearch search(state, assignment, running);
  search.Reset(candidates);
  std::vector<uint32_t> targets;
  std::vector<uint32_t> refused;
  bool fits = search.Run(strategies[0], false, targets, &refused);
  if (!fits && strategies.size() > 1) {
    // Keep the classic order among the refused candidates.
    std::vector<uint32_t> retry;
    for (uint32_t h : candidates) {
      if (std::find(refused.begin(), refused.end(), h) != refused.end()) retry.push_back(h);
    }
    search.Reset(retry);
    fits = search.Run(strategies[1], true, targets, nullptr);
  }
  if (!fits) {
    state.Rollback(mark);
    return {};
  }
  Minimise(state, assignment, running, targets);
  state.Rollback(mark);
  return targets;
}

std::vector<uint32_t> FindPreemptionTargets(QuotaState& state, const Assignment& assignment,
                                            const Preemptor& preemptor, RunningView running) {
  const QueueModel& model = state.model();
  const ClusterQueueId cq = assignment.cluster_queue;
  const QuotaNodeId node = QueueModel::NodeOf(cq);
  const model::PreemptionSpec& policy = model.cluster_queue(cq).preemption;
  std::vector<FlavorResource> frs;
  const std::vector<uint32_t> candidates = Candidates(state, assignment, preemptor, running, frs);
  if (candidates.empty()) return {};

  std::vector<uint32_t> same_queue;
  for (uint32_t h : candidates) {
    if (running.workloads[h].cluster_queue == cq) same_queue.push_back(h);
  }
  TargetSearch search(state, assignment, running, frs);
  // (1) Only own-ClusterQueue candidates: borrowing allowed.
  if (same_queue.size() == candidates.size()) return search.Minimal(candidates, true, {});
  // (2) borrowWithinCohort: borrowing allowed while victims stay at or below the threshold.
  if (policy.borrow_within_cohort != model::PreemptionPolicy::kNever) {
    int32_t threshold = preemptor.priority;
    if (policy.borrow_max_priority_threshold && *policy.borrow_max_priority_threshold < threshold) {
      threshold = *policy.borrow_max_priority_threshold + 1;
    }
    return search.Minimal(candidates, true, threshold);
  }
  // (3) Below nominal in every needed flavor-resource: reclaim without borrowing.
  bool under_nominal = true;
  for (FlavorResource fr : frs) {
    if (state.usage(node, fr) >= model.nominal(node, fr)) under_nominal = false;
  }
  if (under_nominal) {
    std::vector<uint32_t> targets = search.Minimal(candidates, false, {});
    if (!targets.empty()) return targets;
  }
  // (4) Own ClusterQueue only, borrowing allowed.
  return search.Minimal(same_queue, true, {});
}

}  // namespace tessera::admission

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

std::vector<uint32_t> FindPreemptionTargets(QuotaState& state, const Assignment& assignment,
                                            const Preemptor& preemptor, RunningView running) {
  const QueueModel& model = state.model();
  const ClusterQueueId cq = assignment.cluster_queue;
  const QuotaNodeId node = QueueModel::NodeOf(cq);
  const ClusterQueueInfo& info = model.cluster_queue(cq);
  const model::PreemptionSpec& policy = info.preemption;

  // The flavor-resources that do not fit as things stand.
  std::vector<FlavorResource> frs;
  for (const FlavorResourceAmount& t : assignment.total) {
    if (t.amount > state.Available(node, t.fr)) frs.push_back(t.fr);
  }
  if (frs.empty()) return {};

  std::vector<uint32_t> candidates;
  if (policy.within_cluster_queue != model::PreemptionPolicy::kNever) {
    for (uint32_t h : running.by_cluster_queue[cq.index()]) {
      if (h >= running.first_protected) continue;
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
        if (h >= running.first_protected) continue;
        const RunningWorkload& w = running.workloads[h];
        if (PolicyAllows(policy.reclaim_within_cohort, preemptor, w) && UsesAny(w, frs)) {
          candidates.push_back(h);
        }
      }
    }
  }
  if (candidates.empty()) return {};
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

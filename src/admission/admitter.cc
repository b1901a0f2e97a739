#include "admission/admitter.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/check.h"

namespace tessera::admission {

Admitter::Admitter(const QueueModel& model, AdmissionOptions options)
    : model_(model),
      options_(options),
      state_(model),
      by_cq_(model.num_cluster_queues()),
      entry_of_cq_(model.num_cluster_queues(), -1),
      tree_version_(model.num_nodes(), 0),
      queue_of_cq_(model.num_cluster_queues()),
      lq_penalty_(model.local_queues().size(), 0.0) {}

double Admitter::LocalQueueUsage(LocalQueueId lq) const {
  if (!lq.valid() || lq.index() >= lq_penalty_.size()) return 0;
  const LocalQueueInfo& info = model_.local_queues()[lq.index()];
  return (info.consumed + lq_penalty_[lq.index()]) / info.weight;
}

WorkloadHandle Admitter::Register(RunningWorkload workload) {
  const WorkloadHandle h = WorkloadHandle::FromIndex(running_.size());
  std::vector<uint32_t>& list = by_cq_[workload.cluster_queue.index()];
  position_.push_back(static_cast<uint32_t>(list.size()));
  list.push_back(h.value());
  workload.active = true;
  running_.push_back(std::move(workload));
  return h;
}

void Admitter::Unregister(WorkloadHandle h) {
  RunningWorkload& w = running_[h.index()];
  TESSERA_CHECK(w.active) << "workload " << w.name << " is not admitted";
  std::vector<uint32_t>& list = by_cq_[w.cluster_queue.index()];
  const uint32_t pos = position_[h.index()];
  list[pos] = list.back();
  position_[list[pos]] = pos;
  list.pop_back();
  w.active = false;
}

WorkloadHandle Admitter::AddAdmitted(const AdmittedWorkload& workload) {
  TESSERA_CHECK(workload.cluster_queue.valid() &&
                workload.cluster_queue.index() < model_.num_cluster_queues());
  state_.Add(workload.cluster_queue, workload.usage);
  state_.ClearUndoLog();
  return Register(RunningWorkload{workload.name, workload.cluster_queue, workload.priority,
                                  workload.creation_unix_seconds, workload.admission_unix_seconds,
                                  workload.usage, true});
}

void Admitter::Remove(WorkloadHandle handle) {
  const RunningWorkload& w = running_[handle.index()];
  Unregister(handle);
  state_.Add(w.cluster_queue, w.usage, -1);
  state_.ClearUndoLog();
}

int64_t Admitter::EffectivePriority(const PendingWorkload& w) const {
  int64_t priority = w.priority;
  if (options_.aging_seconds > 0 && now_ > w.creation_unix_seconds) {
    priority += (now_ - w.creation_unix_seconds) / options_.aging_seconds;
  }
  return priority;
}

bool Admitter::Before(uint32_t a, uint32_t b) const {
  if (effective_priority_[a] != effective_priority_[b]) {
    return effective_priority_[a] > effective_priority_[b];
  }
  const PendingWorkload& wa = pending_[a];
  const PendingWorkload& wb = pending_[b];
  if (wa.creation_unix_seconds != wb.creation_unix_seconds) {
    return wa.creation_unix_seconds < wb.creation_unix_seconds;
  }
  if (wa.name != wb.name) return wa.name < wb.name;
  return a < b;
}

namespace {

// Whether admitting `total` at `n` would make `n` use more than its SubtreeQuota of some
// flavor-resource (i.e. borrow from its parent).
bool BorrowsAfter(const QuotaState& state, QuotaNodeId n,
                  std::span<const FlavorResourceAmount> total) {
  for (const FlavorResourceAmount& t : total) {
    if (state.usage(n, t.fr) + t.amount > state.model().subtree_quota(n, t.fr)) return true;
  }
  return false;
}

}  // namespace

bool Admitter::TournamentBefore(QuotaNodeId child_a, const Entry& a, QuotaNodeId child_b,
                                const Entry& b) const {
  const bool borrows_a = BorrowsAfter(state_, child_a, a.assignment.total);
  const bool borrows_b = BorrowsAfter(state_, child_b, b.assignment.total);
  if (borrows_a != borrows_b) return !borrows_a;
  // KAI queue priority (always 0 for Kueue's objects): the higher queue first.
  const int32_t priority_a = model_.node(child_a).kai_priority;
  const int32_t priority_b = model_.node(child_b).kai_priority;
  if (priority_a != priority_b) return priority_a > priority_b;
  const double share_a = state_.WeightedShare(child_a, a.assignment.total);
  const double share_b = state_.WeightedShare(child_b, b.assignment.total);
  if (share_a != share_b) return share_a < share_b;
  return Before(a.workload, b.workload);
}

int Admitter::Tournament(QuotaNodeId n, std::span<const Entry> entries) const {
  const QuotaNodeInfo& info = model_.node(n);
  if (info.is_cluster_queue) return entry_of_cq_[n.index()];
  int best = -1;
  QuotaNodeId best_child;
  for (QuotaNodeId child : info.children) {
    const int e = Tournament(child, entries);
    if (e < 0) continue;
    if (best < 0 || TournamentBefore(child, entries[static_cast<size_t>(e)], best_child,
                                     entries[static_cast<size_t>(best)])) {
      best = e;
      best_child = child;
    }
  }
  return best;
}

bool Admitter::QuotaFor(const PendingWorkload& w, ClusterQueueId cq, Assignment& a,
                        std::vector<uint32_t>& targets) {
  targets.clear();
  if (a.mode == AssignmentMode::kFit) return true;
  if (a.mode == AssignmentMode::kNoFit) return false;
  const Preemptor preemptor{w.priority, w.creation_unix_seconds};
  const RunningView view{running_, by_cq_, cycle_first_handle_, {}};
  if (options_.fair_sharing && model_.cluster_queue(cq).has_cohort) {
    RunningView fair_view = view;
    if (options_.prevent_preemption_loops) {
      excluded_.clear();
      for (const PreemptionRecord& r : memory_) {
        if (r.victim == w.name && running_[r.preemptor.index()].active) {
          excluded_.push_back(r.preemptor.value());
        }
      }
      fair_view.excluded = excluded_;
    }
    targets = FindFairPreemptionTargets(state_, a, preemptor, fair_view,
                                        options_.preemption_strategies);
  } else {
    targets = FindPreemptionTargets(state_, a, preemptor, view);
  }
  return !targets.empty();
}

namespace {

bool CanBePartial(const PendingWorkload& w) {
  for (const PodSetRequest& ps : w.pod_sets) {
    if (ps.min_count > 0 && ps.min_count < ps.count) return true;
  }
  return false;
}

}  // namespace

void Admitter::Process(Entry& entry, PlacementOracle& oracle, CycleResult& result) {
  const PendingWorkload& w = pending_[entry.workload];
  AdmissionDecision& d = result.decisions[entry.workload];
  Assignment a = entry.state_version == TreeVersion(entry.cq)
                     ? std::move(entry.assignment)
                     : AssignFlavors(state_, entry.cq, w.pod_sets, options_.fair_sharing);
  std::vector<uint32_t> targets;
  if (!QuotaFor(w, entry.cq, a, targets)) {
    d.reason = std::move(a.reason);
    d.assignment = std::move(a);
    std::string why;
    if (CanBePartial(w) && !AdmitPartially(entry, oracle, result, why)) d.reason += why;
    return;
  }
  const QuotaState::Mark mark = state_.mark();
  std::vector<WorkloadHandle> victims;
  for (uint32_t t : targets) {
    state_.Add(running_[t].cluster_queue, running_[t].usage, -1);
    victims.push_back(WorkloadHandle(t));
  }
  TESSERA_CHECK(Fits(state_, a, true)) << "preemption targets do not make room";
  const bool memo = targets.empty() && w.placement_class != 0;
  if (memo) {
    if (const Refusal* refused = FindRefusal(w.placement_class, a)) {
      d.reason = fmt::format("quota available, no placement: as {}, same pods and flavors: {}",
                             pending_[refused->workload].name, refused->reason);
      d.same_refusal_as = refused->workload;
      a.reason.clear();
      d.assignment = std::move(a);
      std::string why;
      if (CanBePartial(w)) {
        state_.Rollback(mark);
        if (AdmitPartially(entry, oracle, result, why)) {
          d.same_refusal_as.reset();
        } else {
          d.reason += why;
        }
      }
      return;
    }
  }
  state_.Add(entry.cq, a.total);
  PlaceResult placed = oracle.TryPlace(w, a, victims);
  if (!placed.ok) {
    state_.Rollback(mark);
    if (memo) {
      Refusal refusal{.workload = entry.workload, .reason = placed.reason};
      for (const PodSetAssignment& ps : a.pod_sets) {
        for (const FlavorResourceAmount& u : ps.usage) refusal.frs.push_back(u.fr);
      }
      refusals_[w.placement_class].push_back(std::move(refusal));
    }
    d.reason = targets.empty() ? "quota available, no placement: " + placed.reason
                               : fmt::format(
                                     "quota available after preempting {} workload(s), no "
                                     "placement: {}",
                                     targets.size(), placed.reason);
    a.reason.clear();
    d.assignment = std::move(a);
    std::string why;
    if (CanBePartial(w) && !AdmitPartially(entry, oracle, result, why)) d.reason += why;
    return;
  }
  if (placed.moved_pods) refusals_.clear();
  Admitted(entry, std::move(a), std::move(victims), result);
}

bool Admitter::AdmitPartially(Entry& entry, PlacementOracle& oracle, CycleResult& result,
                              std::string& why) {
  const PendingWorkload& w = pending_[entry.workload];
  // Kueue's ordered reducer: a budget of pods to give up, taken from the last PodSet first,
  // each down to its min_count; a larger budget never fits worse, so binary searches apply.
  reduced_.assign(w.pod_sets.begin(), w.pod_sets.end());
  int64_t total = 0;
  for (const PodSetRequest& ps : w.pod_sets) {
    if (ps.min_count > 0 && ps.min_count < ps.count) total += ps.count - ps.min_count;
  }
  auto set_budget = [&](int64_t budget) {
    for (size_t i = w.pod_sets.size(); i-- > 0;) {
      const PodSetRequest& ps = w.pod_sets[i];
      const int64_t delta =
          ps.min_count > 0 && ps.min_count < ps.count ? ps.count - ps.min_count : 0;
      const int64_t cut = std::min(delta, budget);
      reduced_[i].count = ps.count - static_cast<int32_t>(cut);
      budget -= cut;
    }
  };
  Assignment a;
  std::vector<uint32_t> targets;
  auto quota_at = [&](int64_t budget) {
    set_budget(budget);
    a = AssignFlavors(state_, entry.cq, reduced_, options_.fair_sharing);
    return QuotaFor(w, entry.cq, a, targets);
  };
  // "2 main": the fewest pods of each PodSet.
  auto min_pods = [&] {
    std::string counts;
    for (const PodSetRequest& ps : w.pod_sets) {
      const int32_t fewest = ps.min_count > 0 ? std::min(ps.min_count, ps.count) : ps.count;
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", fewest, ps.name);
    }
    return counts;
  };
  // Quota: the smallest budget in [1, total] that has quota.
  if (!quota_at(total)) {
    why = fmt::format("; partial admission: no quota even for {} pods: {}", min_pods(),
                      a.reason);
    return false;
  }
  int64_t lo = 1, hi = total;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (quota_at(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  // Placement at a budget (which has quota): kept when `keep`, else undone.
  std::string refused;
  std::vector<WorkloadHandle> victims;
  auto place_at = [&](int64_t budget, bool keep) {
    if (!quota_at(budget)) {  // fewer pods lost the quota (a preemption search may)
      refused = std::move(a.reason);
      return false;
    }
    const QuotaState::Mark mark = state_.mark();
    victims.clear();
    for (uint32_t t : targets) {
      state_.Add(running_[t].cluster_queue, running_[t].usage, -1);
      victims.push_back(WorkloadHandle(t));
    }
    state_.Add(entry.cq, a.total);
    PlaceResult placed = oracle.TryPlace(w, a, victims);
    if (!placed.ok || !keep) state_.Rollback(mark);
    if (!placed.ok) {
      refused = std::move(placed.reason);
      return false;
    }
    if (!keep) {
      oracle.Undo();
    } else if (placed.moved_pods) {
      refusals_.clear();
    }
    return true;
  };
  auto admit = [&] {
    Admitted(entry, std::move(a), std::move(victims), result);
    return true;
  };
  // The most pods first: it is the answer whenever only quota held the workload back.
  if (place_at(lo, true)) return admit();
  if (lo == total) {
    why = fmt::format("; partial admission: no placement for {} pods: {}", min_pods(), refused);
    return false;
  }
  if (!oracle.CanUndo()) {
    for (int64_t budget = lo + 1; budget <= total; ++budget) {
      if (place_at(budget, true)) return admit();
    }
    why = fmt::format("; partial admission: no placement for {} pods: {}", min_pods(), refused);
    return false;
  }
  if (!place_at(total, false)) {
    why = fmt::format("; partial admission: no placement for {} pods: {}", min_pods(), refused);
    return false;
  }
  // The smallest budget in (lo, total] that places.
  lo = lo + 1;
  hi = total;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (place_at(mid, false)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (place_at(lo, true)) return admit();
  why = fmt::format("; partial admission: no placement for {} pods: {}", min_pods(), refused);
  return false;
}

void Admitter::Admitted(Entry& entry, Assignment a, std::vector<WorkloadHandle> victims,
                        CycleResult& result) {
  const PendingWorkload& w = pending_[entry.workload];
  AdmissionDecision& d = result.decisions[entry.workload];
  for (WorkloadHandle v : victims) {
    Unregister(v);
    result.preempted.push_back(v);
  }
  // The victims' pods leave their nodes: refused placements may fit now.
  if (!victims.empty()) refusals_.clear();
  a.reason.clear();
  ++tree_version_[model_.node(QueueModel::NodeOf(entry.cq)).root.index()];
  d.outcome = AdmissionOutcome::kAdmitted;
  d.handle = Register(
      RunningWorkload{w.name, entry.cq, w.priority, w.creation_unix_seconds, now_, a.total, true});
  if (options_.fair_sharing && options_.prevent_preemption_loops &&
      model_.cluster_queue(entry.cq).has_cohort && options_.preemption_memory > 0) {
    for (WorkloadHandle v : victims) {
      if (running_[v.index()].cluster_queue == entry.cq) continue;
      if (memory_.size() == options_.preemption_memory) memory_.pop_front();
      memory_.push_back(PreemptionRecord{running_[v.index()].name, d.handle});
    }
  }
  // Admission fair sharing: the LocalQueue's entry penalty.
  const auto& afs = model_.admission_fair_sharing();
  if (afs && model_.cluster_queue(entry.cq).admission_fair_sharing && w.local_queue.valid() &&
      w.local_queue.index() < lq_penalty_.size() && afs->entry_penalty_rate > 0) {
    double requests = 0;
    for (const FlavorResourceAmount& t : a.total) {
      const std::string& resource = model_.resource_name(model_.ResourceOf(t.fr));
      requests += afs->WeightOf(resource) * BaseUnits(resource, t.amount);
    }
    lq_penalty_[w.local_queue.index()] += afs->entry_penalty_rate * requests;
  }
  d.partial = false;
  for (size_t i = 0; i < a.pod_sets.size(); ++i) {
    d.partial |= a.pod_sets[i].count < w.pod_sets[a.pod_sets[i].pod_set].count;
  }
  d.assignment = std::move(a);
  d.victims = std::move(victims);
  d.reason.clear();
  d.same_refusal_as.reset();
  result.admitted.push_back(entry.workload);
}

size_t Admitter::remembered_preemptions() const {
  size_t n = 0;
  for (const PreemptionRecord& r : memory_) n += running_[r.preemptor.index()].active ? 1 : 0;
  return n;
}

const Admitter::Refusal* Admitter::FindRefusal(uint64_t placement_class,
                                               const Assignment& a) const {
  auto it = refusals_.find(placement_class);
  if (it == refusals_.end()) return nullptr;
  for (const Refusal& r : it->second) {
    size_t k = 0;
    bool same = true;
    for (const PodSetAssignment& ps : a.pod_sets) {
      for (const FlavorResourceAmount& u : ps.usage) {
        same = same && k < r.frs.size() && r.frs[k] == u.fr;
        ++k;
      }
    }
    if (same && k == r.frs.size()) return &r;
  }
  return nullptr;
}

CycleResult Admitter::RunCycle(std::span<const PendingWorkload> pending, PlacementOracle& oracle,
                               int64_t now_unix_seconds) {
  pending_ = pending;
  refusals_.clear();
  now_ = now_unix_seconds;
  cycle_first_handle_ = static_cast<uint32_t>(running_.size());
  CycleResult result;
  result.decisions.resize(pending.size());
  effective_priority_.resize(pending.size());
  const size_t num_cqs = model_.num_cluster_queues();
  std::vector<std::vector<uint32_t>>& queues = queue_of_cq_;
  for (std::vector<uint32_t>& q : queues) q.clear();
  for (uint32_t i = 0; i < pending.size(); ++i) {
    result.decisions[i].workload = i;
    effective_priority_[i] = EffectivePriority(pending[i]);
    const ClusterQueueId cq = pending[i].cluster_queue;
    if (!cq.valid() || cq.index() >= num_cqs) {
      result.decisions[i].reason = "ClusterQueue not found";
      continue;
    }
    if (model_.cluster_queue(cq).stop_policy != model::StopPolicy::kNone) {
      result.decisions[i].reason =
          fmt::format("ClusterQueue {} is inactive", model_.cluster_queue(cq).name);
      continue;
    }
    queues[cq.index()].push_back(i);
  }
  std::vector<ClusterQueueId>& active = active_;
  active.clear();
  for (size_t c = 0; c < num_cqs; ++c) {
    if (queues[c].empty()) continue;
    std::sort(queues[c].begin(), queues[c].end(),
              [this](uint32_t a, uint32_t b) { return Before(a, b); });
    active.push_back(ClusterQueueId::FromIndex(c));
  }
  std::vector<size_t>& cursor = cursor_;
  cursor.assign(num_cqs, 0);
  std::vector<uint8_t>& blocked = blocked_;
  blocked.assign(num_cqs, 0);
  state_.ClearUndoLog();

  auto done = [&](const Entry& e) {
    const size_t c = e.cq.index();
    ++cursor[c];
    if (result.decisions[e.workload].outcome == AdmissionOutcome::kAdmitted) return;
    if (model_.cluster_queue(e.cq).queueing_strategy != model::QueueingStrategy::kStrictFIFO) {
      return;
    }
    blocked[c] = 1;
    for (size_t k = cursor[c]; k < queues[c].size(); ++k) {
      result.decisions[queues[c][k]].reason =
          fmt::format("waiting behind {}, the head of StrictFIFO ClusterQueue {}",
                      pending[e.workload].name, model_.cluster_queue(e.cq).name);
    }
  };

  std::vector<Entry>& entries = entries_;
  const bool afs = model_.admission_fair_sharing().has_value();
  while (true) {
    entries.clear();
    for (ClusterQueueId cq : active) {
      const size_t c = cq.index();
      if (blocked[c] != 0 || cursor[c] == queues[c].size()) continue;
      if (afs && model_.cluster_queue(cq).admission_fair_sharing) {
        // The head comes from the LocalQueue with the lowest usage (the first such in order).
        std::vector<uint32_t>& q = queues[c];
        size_t best = cursor[c];
        double best_usage = LocalQueueUsage(pending[q[best]].local_queue);
        for (size_t k = cursor[c] + 1; k < q.size(); ++k) {
          const double usage = LocalQueueUsage(pending[q[k]].local_queue);
          if (usage < best_usage) {
            best = k;
            best_usage = usage;
          }
        }
        std::rotate(q.begin() + static_cast<std::ptrdiff_t>(cursor[c]),
                    q.begin() + static_cast<std::ptrdiff_t>(best),
                    q.begin() + static_cast<std::ptrdiff_t>(best) + 1);
      }
      const uint32_t w = queues[c][cursor[c]];
      entries.push_back(
          Entry{w, cq, AssignFlavors(state_, cq, pending[w].pod_sets, options_.fair_sharing),
                TreeVersion(cq)});
    }
    if (entries.empty()) break;
    if (!options_.fair_sharing) {
      // Classic order: not borrowing first, then priority, then FIFO.
      std::sort(entries.begin(), entries.end(), [this](const Entry& a, const Entry& b) {
        if (a.assignment.borrows != b.assignment.borrows) return !a.assignment.borrows;
        return Before(a.workload, b.workload);
      });
      for (Entry& e : entries) {
        Process(e, oracle, result);
        done(e);
        if (options_.observer != nullptr) options_.observer->Decided(result.decisions[e.workload]);
      }
      continue;
    }
    // Fair sharing: the tournament picks one entry at a time; at each cohort the child whose
    // entry keeps it within its quota wins, then the lower weighted share after admitting it,
    // then priority, then FIFO. Across roots the same comparison applies.
    for (size_t k = 0; k < entries.size(); ++k) {
      entry_of_cq_[entries[k].cq.index()] = static_cast<int>(k);
    }
    for (size_t picked = 0; picked < entries.size(); ++picked) {
      int best = -1;
      QuotaNodeId best_root;
      for (QuotaNodeId root : model_.roots()) {
        const int e = Tournament(root, entries);
        if (e < 0) continue;
        if (best < 0 || TournamentBefore(root, entries[static_cast<size_t>(e)], best_root,
                                         entries[static_cast<size_t>(best)])) {
          best = e;
          best_root = root;
        }
      }
      TESSERA_CHECK(best >= 0);
      Entry& e = entries[static_cast<size_t>(best)];
      entry_of_cq_[e.cq.index()] = -1;
      Process(e, oracle, result);
      done(e);
      if (options_.observer != nullptr) options_.observer->Decided(result.decisions[e.workload]);
    }
  }
  state_.ClearUndoLog();
  return result;
}

}  // namespace tessera::admission

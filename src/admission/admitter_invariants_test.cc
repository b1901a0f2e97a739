// Seeded random invariants: random cohort trees, quotas, policies and workloads, random
// admissions (through RunCycle, with preemption) and releases. After every decision: usage
// recomputed from scratch equals the incremental state and is within the limits at every
// level, every admitted workload holds all of its PodSets, and a cycle whose placements all
// fail leaves the state bit for bit as it was.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "admission/admitter.h"
#include "admission/test_objects.h"
#include "base/rng.h"

namespace tessera::admission {
namespace {

using testing::FlavorQuotas;
using testing::Group;
using testing::Quota;

class Scenario {
 public:
  explicit Scenario(Rng& rng) : rng_(rng) {}

  model::QueueObjects Objects() {
    model::QueueObjects o;
    for (int f = 0; f < 4; ++f) o.flavors.push_back(testing::Flavor("f" + std::to_string(f)));
    const int num_cohorts = static_cast<int>(rng_.Uniform(4));
    for (int c = 0; c < num_cohorts; ++c) {
      // Parents among earlier cohorts (or an implicit root "top"), so no cycles.
      std::string parent;
      const uint64_t pick = rng_.Uniform(static_cast<uint64_t>(c) + 2);
      if (pick < static_cast<uint64_t>(c)) parent = "k" + std::to_string(pick);
      if (pick == static_cast<uint64_t>(c)) parent = "top";
      model::CohortSpec cohort = testing::Cohort("k" + std::to_string(c), parent);
      if (rng_.Uniform(2) == 0) cohort.resource_groups = Groups(!parent.empty());
      cohort.fair_sharing_weight = static_cast<double>(rng_.Uniform(3));
      o.cohorts.push_back(std::move(cohort));
    }
    const int num_cqs = 2 + static_cast<int>(rng_.Uniform(5));
    for (int q = 0; q < num_cqs; ++q) {
      model::ClusterQueueSpec cq;
      cq.name = "q" + std::to_string(q);
      const uint64_t pick = rng_.Uniform(static_cast<uint64_t>(num_cohorts) + 2);
      if (pick < static_cast<uint64_t>(num_cohorts)) cq.cohort = "k" + std::to_string(pick);
      if (pick == static_cast<uint64_t>(num_cohorts)) cq.cohort = "top";
      cq.resource_groups = Groups(!cq.cohort.empty());
      cq.queueing_strategy = rng_.Uniform(3) == 0 ? model::QueueingStrategy::kStrictFIFO
                                                  : model::QueueingStrategy::kBestEffortFIFO;
      cq.preemption.within_cluster_queue = static_cast<model::PreemptionPolicy>(rng_.Uniform(3));
      cq.preemption.reclaim_within_cohort = static_cast<model::PreemptionPolicy>(rng_.Uniform(4));
      if (rng_.Uniform(3) == 0) {
        cq.preemption.borrow_within_cohort = model::PreemptionPolicy::kLowerPriority;
        if (rng_.Uniform(2) == 0) {
          cq.preemption.borrow_max_priority_threshold = static_cast<int32_t>(rng_.Uniform(4));
        }
      }
      cq.flavor_fungibility.when_can_borrow_try_next = rng_.Uniform(2) == 0;
      cq.flavor_fungibility.when_can_preempt_try_next = rng_.Uniform(2) == 0;
      cq.flavor_fungibility.preemption_over_borrowing = rng_.Uniform(2) == 0;
      cq.fair_sharing_weight = static_cast<double>(rng_.Uniform(3));
      o.cluster_queues.push_back(std::move(cq));
    }
    return o;
  }

  // With `partial`, a PodSet of 2 or more pods may have a min_count (partial admission).
  PendingWorkload Workload(const QueueModel& m, int64_t serial, bool partial = false) {
    PendingWorkload w;
    w.name = "w" + std::to_string(serial);
    w.cluster_queue = ClusterQueueId::FromIndex(rng_.Uniform(m.num_cluster_queues()));
    w.priority = static_cast<int32_t>(rng_.Uniform(4));
    w.creation_unix_seconds = serial - static_cast<int64_t>(rng_.Uniform(50));
    const int num_sets = 1 + static_cast<int>(rng_.Uniform(2));
    for (int s = 0; s < num_sets; ++s) {
      PodSetRequest ps;
      ps.name = "ps" + std::to_string(s);
      ps.count = 1 + static_cast<int32_t>(rng_.Uniform(3));
      ps.per_pod.push_back(
          ResourceAmount{m.FindResource("cpu"), 1 + static_cast<int64_t>(rng_.Uniform(4))});
      if (rng_.Uniform(3) == 0) {
        ps.per_pod.push_back(ResourceAmount{m.FindResource("example.com/gpu"),
                                            1 + static_cast<int64_t>(rng_.Uniform(2))});
      }
      if (partial && ps.count > 1 && rng_.Uniform(2) == 0) {
        ps.min_count = 1 + static_cast<int32_t>(rng_.Uniform(static_cast<uint64_t>(ps.count - 1)));
      }
      w.pod_sets.push_back(std::move(ps));
    }
    return w;
  }

 private:
  // Group 0 covers cpu and pods with flavors f0, f1 (random order and subset); group 1 covers
  // the GPU with f2, f3.
  std::vector<model::ResourceGroupSpec> Groups(bool has_parent) {
    std::vector<model::ResourceGroupSpec> groups;
    groups.push_back(Group({"cpu", "pods"}, Flavors({"f0", "f1"}, {"cpu", "pods"}, has_parent)));
    if (rng_.Uniform(3) != 0) {
      groups.push_back(
          Group({"example.com/gpu"}, Flavors({"f2", "f3"}, {"example.com/gpu"}, has_parent)));
    }
    return groups;
  }

  std::vector<model::FlavorQuotasSpec> Flavors(std::vector<std::string> names,
                                               const std::vector<std::string>& resources,
                                               bool has_parent) {
    if (rng_.Uniform(2) == 0) std::swap(names[0], names[1]);
    if (rng_.Uniform(3) == 0) names.pop_back();
    std::vector<model::FlavorQuotasSpec> out;
    for (const std::string& f : names) {
      std::vector<model::ResourceQuotaSpec> quotas;
      for (const std::string& r : resources) {
        const int64_t nominal = static_cast<int64_t>(rng_.Uniform(r == "pods" ? 8 : 12));
        std::optional<int64_t> borrowing_limit;
        std::optional<int64_t> lending_limit;
        if (has_parent && rng_.Uniform(2) == 0) {
          borrowing_limit = static_cast<int64_t>(rng_.Uniform(6));
        }
        if (has_parent && rng_.Uniform(2) == 0) {
          lending_limit = static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(nominal) + 1));
        }
        quotas.push_back(Quota(r, nominal, borrowing_limit, lending_limit));
      }
      out.push_back(FlavorQuotas(f, std::move(quotas)));
    }
    return out;
  }

  Rng& rng_;
};

// Usage from scratch: each ClusterQueue's admitted workloads, then up the tree beyond local
// quota, children before parents.
std::vector<int64_t> Recompute(const Admitter& admitter) {
  const QueueModel& m = admitter.model();
  const size_t frs = m.num_flavor_resources();
  std::vector<int64_t> usage(m.num_nodes() * frs, 0);
  for (const RunningWorkload& w : admitter.running()) {
    if (!w.active) continue;
    for (const FlavorResourceAmount& u : w.usage)
      usage[w.cluster_queue.index() * frs + u.fr] += u.amount;
  }
  std::vector<QuotaNodeId> order;
  for (size_t i = 0; i < m.num_nodes(); ++i) order.push_back(QuotaNodeId::FromIndex(i));
  std::stable_sort(order.begin(), order.end(),
                   [&](QuotaNodeId a, QuotaNodeId b) { return m.node(a).depth > m.node(b).depth; });
  for (QuotaNodeId n : order) {
    const QuotaNodeId parent = m.node(n).parent;
    if (!parent.valid()) continue;
    for (FlavorResource fr = 0; fr < frs; ++fr) {
      usage[parent.index() * frs + fr] +=
          std::max<int64_t>(0, usage[n.index() * frs + fr] - m.local_quota(n, fr));
    }
  }
  return usage;
}

// Every node is within what its limits allow: a root within its SubtreeQuota; a node with a
// borrowingLimit within SubtreeQuota + borrowingLimit; every ClusterQueue within its
// potentialAvailable.
void ExpectWithinLimits(const QuotaState& s) {
  const QueueModel& m = s.model();
  for (size_t i = 0; i < m.num_nodes(); ++i) {
    const QuotaNodeId n = QuotaNodeId::FromIndex(i);
    for (FlavorResource fr = 0; fr < m.num_flavor_resources(); ++fr) {
      const int64_t used = s.usage(n, fr);
      ASSERT_GE(used, 0);
      if (!m.node(n).parent.valid()) {
        ASSERT_LE(used, m.subtree_quota(n, fr)) << m.node(n).name;
      } else if (m.borrowing_limit(n, fr) != kNoLimit) {
        ASSERT_LE(used, m.subtree_quota(n, fr) + m.borrowing_limit(n, fr)) << m.node(n).name;
      }
      if (m.node(n).is_cluster_queue) {
        ASSERT_LE(used, m.potential_available(n, fr)) << m.node(n).name;
        ASSERT_GE(s.Available(n, fr), 0) << m.node(n).name;
      }
    }
  }
}

// Checks the limits at the moment of every placement attempt (the quota is reserved then),
// and fails placements at random.
class CheckingOracle : public PlacementOracle {
 public:
  CheckingOracle(const Admitter& admitter, Rng& rng, int fail_percent)
      : admitter_(admitter), rng_(rng), fail_percent_(fail_percent) {}
  PlaceResult TryPlace(const PendingWorkload&, const Assignment&,
                       std::span<const WorkloadHandle>) override {
    ExpectWithinLimits(admitter_.state());
    if (static_cast<int>(rng_.Uniform(100)) < fail_percent_) return {false, "no node"};
    return {true, {}};
  }

 private:
  const Admitter& admitter_;
  Rng& rng_;
  int fail_percent_;
};

// Every PodSet is admitted with all of its pods, or (partial admission) with at least its
// min_count, and charged exactly for the pods admitted.
void ExpectWholeWorkload(const QueueModel& m, const PendingWorkload& w, const Assignment& a) {
  ASSERT_EQ(a.pod_sets.size(), w.pod_sets.size());
  const bool covers_pods = m.cluster_queue(w.cluster_queue).covers_pods;
  std::vector<FlavorResourceAmount> sum;
  for (size_t p = 0; p < w.pod_sets.size(); ++p) {
    const PodSetRequest& ps = w.pod_sets[p];
    const int32_t count = a.pod_sets[p].count;
    ASSERT_LE(count, ps.count) << w.name;
    ASSERT_GE(count, ps.min_count > 0 ? ps.min_count : ps.count) << w.name;
    int64_t requested = covers_pods ? count : 0;
    for (const ResourceAmount& q : ps.per_pod) requested += q.amount * count;
    int64_t assigned = 0;
    for (const FlavorResourceAmount& u : a.pod_sets[p].usage) {
      assigned += u.amount;
      bool found = false;
      for (FlavorResourceAmount& s : sum) {
        if (s.fr == u.fr) {
          s.amount += u.amount;
          found = true;
        }
      }
      if (!found) sum.push_back(u);
    }
    ASSERT_EQ(assigned, requested) << w.name << " pod set " << ps.name;
  }
  ASSERT_EQ(sum, a.total);
}

TEST(AdmitterInvariantsTest, RandomAdmissionsAndReleasesKeepQuotaConsistent) {
  Rng rng(20240611);
  int64_t decisions = 0;
  int64_t admitted = 0;
  int64_t preempted = 0;
  int64_t partial = 0;
  int64_t serial = 0;
  int scenarios = 0;
  while (decisions < 100'000) {
    ++scenarios;
    Scenario scenario(rng);
    Result<QueueModel> built = QueueModel::Build(scenario.Objects());
    ASSERT_TRUE(built.ok()) << built.error().ToString();
    // Workloads may ask for the GPU even when no queue covers it (a NoFit naming it).
    (void)built->InternResource("example.com/gpu");
    const QueueModel& m = *built;
    Admitter admitter(m, AdmissionOptions{.fair_sharing = rng.Uniform(2) == 0,
                                          .aging_seconds = rng.Uniform(2) == 0 ? 0 : 20});
    CheckingOracle oracle(admitter, rng, 15);
    CheckingOracle rejecting(admitter, rng, 100);
    for (int cycle = 0; cycle < 120; ++cycle) {
      // Releases.
      for (size_t h = 0; h < admitter.running().size(); ++h) {
        if (admitter.running()[h].active && rng.Uniform(4) == 0) {
          admitter.Remove(WorkloadHandle::FromIndex(h));
          ASSERT_EQ(Recompute(admitter), admitter.state().usage_for_test());
        }
      }
      std::vector<PendingWorkload> pending;
      const int n = 1 + static_cast<int>(rng.Uniform(6));
      for (int i = 0; i < n; ++i) pending.push_back(scenario.Workload(m, ++serial, true));
      if (rng.Uniform(10) == 0) {
        // Every placement fails: everything tried is rolled back, bit for bit.
        const std::vector<int64_t> before = admitter.state().usage_for_test();
        const CycleResult r = admitter.RunCycle(pending, rejecting, serial);
        ASSERT_TRUE(r.admitted.empty());
        ASSERT_TRUE(r.preempted.empty());
        ASSERT_EQ(admitter.state().usage_for_test(), before);
        decisions += n;
        continue;
      }
      const CycleResult r = admitter.RunCycle(pending, oracle, serial);
      decisions += n;
      admitted += static_cast<int64_t>(r.admitted.size());
      preempted += static_cast<int64_t>(r.preempted.size());
      ASSERT_EQ(r.decisions.size(), pending.size());
      for (uint32_t i : r.admitted) {
        const AdmissionDecision& d = r.decisions[i];
        ASSERT_EQ(d.outcome, AdmissionOutcome::kAdmitted);
        ExpectWholeWorkload(m, pending[i], d.assignment);
        ASSERT_TRUE(admitter.running(d.handle).active);
        partial += d.partial ? 1 : 0;
      }
      for (const AdmissionDecision& d : r.decisions) {
        if (d.outcome == AdmissionOutcome::kPending) {
          ASSERT_FALSE(d.reason.empty());
        }
      }
      for (WorkloadHandle v : r.preempted) ASSERT_FALSE(admitter.running(v).active);
      ASSERT_EQ(Recompute(admitter), admitter.state().usage_for_test());
      ExpectWithinLimits(admitter.state());
    }
  }
  // The random mix must exercise every path.
  EXPECT_GT(admitted, decisions / 10);
  EXPECT_GT(preempted, 100);
  EXPECT_GT(partial, 100);
  RecordProperty("scenarios", scenarios);
  RecordProperty("partial", static_cast<int>(partial));
}

// Nodes as bins of cpu, kBinsPerFlavor per flavor; a PodSet's pods go first-fit onto the
// bins of the flavor its cpu was assigned. Victims' pods leave first; a failure undoes
// everything. The answer depends only on the pods and flavors and the bins, which only fill up
// during a cycle except when victims leave: the contract the placement memo relies on.
class BinOracle : public PlacementOracle {
 public:
  static constexpr size_t kBinsPerFlavor = 3;

  BinOracle(const QueueModel& m, std::vector<int64_t> free) : m_(m), free_(std::move(free)) {}

  void StartCycle(std::span<const PendingWorkload> pending) {
    pending_ = pending;
    placed_by_index_.assign(pending.size(), {});
  }
  // After the cycle: admitted workloads hold what TryPlace put down for them.
  void Admitted(uint32_t index, WorkloadHandle h) {
    if (placed_.size() <= h.index()) placed_.resize(h.index() + 1);
    placed_[h.index()] = std::move(placed_by_index_[index]);
  }
  void Release(WorkloadHandle h) {
    for (const auto& [bin, amount] : placed_[h.index()]) free_[bin] += amount;
    placed_[h.index()].clear();
  }

  PlaceResult TryPlace(const PendingWorkload& w, const Assignment& a,
                       std::span<const WorkloadHandle> victims) override {
    ++calls;
    const std::vector<int64_t> before = free_;
    for (WorkloadHandle v : victims) {
      for (const auto& [bin, amount] : placed_[v.index()]) free_[bin] += amount;
    }
    std::vector<std::pair<size_t, int64_t>> placed;
    for (const PodSetAssignment& psa : a.pod_sets) {
      const PodSetRequest& ps = w.pod_sets[psa.pod_set];
      int64_t cpu = 0;
      for (const ResourceAmount& q : ps.per_pod) {
        if (m_.resource_name(q.resource) == "cpu") cpu = q.amount;
      }
      size_t first_bin = 0;
      for (const FlavorResourceAmount& u : psa.usage) {
        if (m_.resource_name(m_.ResourceOf(u.fr)) == "cpu") {
          first_bin = m_.FlavorOf(u.fr).index() * kBinsPerFlavor;
        }
      }
      for (int32_t pod = 0; pod < ps.count; ++pod) {
        size_t bin = first_bin;
        while (bin < first_bin + kBinsPerFlavor && free_[bin] < cpu) ++bin;
        if (bin == first_bin + kBinsPerFlavor) {
          free_ = before;
          return {false, "no node"};
        }
        free_[bin] -= cpu;
        placed.emplace_back(bin, cpu);
      }
    }
    for (WorkloadHandle v : victims) placed_[v.index()].clear();
    placed_by_index_[static_cast<size_t>(&w - pending_.data())] = std::move(placed);
    return {true, {}};
  }

  int64_t calls = 0;

 private:
  const QueueModel& m_;
  std::vector<int64_t> free_;
  std::span<const PendingWorkload> pending_;
  std::vector<std::vector<std::pair<size_t, int64_t>>> placed_by_index_;
  std::vector<std::vector<std::pair<size_t, int64_t>>> placed_;  // by handle
};

// The same pods: same counts and per-pod requests, PodSet by PodSet.
uint64_t PodsClass(const PendingWorkload& w) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
  for (const PodSetRequest& ps : w.pod_sets) {
    mix(static_cast<uint64_t>(ps.count));
    for (const ResourceAmount& q : ps.per_pod) {
      mix(q.resource.value());
      mix(static_cast<uint64_t>(q.amount));
    }
    mix(0xffff);
  }
  return h == 0 ? 1 : h;
}

// The placement memo is an optimisation only: with placement classes set, every cycle makes
// exactly the decisions it makes without them (same outcomes, handles, victims, flavors),
// only the reason of a reused refusal names the workload it copies.
TEST(AdmitterInvariantsTest, PlacementMemoChangesNoDecision) {
  Rng rng(42);
  int64_t reused = 0;
  int64_t decisions = 0;
  for (int round = 0; round < 60; ++round) {
    Scenario scenario(rng);
    Result<QueueModel> built = QueueModel::Build(scenario.Objects());
    ASSERT_TRUE(built.ok()) << built.error().ToString();
    (void)built->InternResource("example.com/gpu");
    const QueueModel& m = *built;
    std::vector<int64_t> bins(m.num_flavors() * BinOracle::kBinsPerFlavor);
    for (int64_t& b : bins) b = 1 + static_cast<int64_t>(rng.Uniform(6));
    const AdmissionOptions options{.fair_sharing = rng.Uniform(2) == 0};
    Admitter plain(m, options);
    Admitter memo(m, options);
    BinOracle plain_nodes(m, bins);
    BinOracle memo_nodes(m, bins);
    std::vector<PendingWorkload> pending;
    int64_t serial = 0;
    for (int cycle = 0; cycle < 40; ++cycle) {
      for (size_t h = 0; h < plain.running().size(); ++h) {
        if (plain.running()[h].active && rng.Uniform(3) == 0) {
          ASSERT_TRUE(memo.running()[h].active);
          plain.Remove(WorkloadHandle::FromIndex(h));
          memo.Remove(WorkloadHandle::FromIndex(h));
          plain_nodes.Release(WorkloadHandle::FromIndex(h));
          memo_nodes.Release(WorkloadHandle::FromIndex(h));
        }
      }
      const int arrivals = 1 + static_cast<int>(rng.Uniform(8));
      for (int i = 0; i < arrivals; ++i) pending.push_back(scenario.Workload(m, ++serial));
      std::vector<PendingWorkload> classed = pending;
      for (PendingWorkload& w : classed) w.placement_class = PodsClass(w);
      plain_nodes.StartCycle(pending);
      memo_nodes.StartCycle(classed);
      const CycleResult a = plain.RunCycle(pending, plain_nodes, serial);
      const CycleResult b = memo.RunCycle(classed, memo_nodes, serial);
      ASSERT_EQ(a.admitted, b.admitted);
      ASSERT_EQ(a.preempted, b.preempted);
      for (size_t i = 0; i < pending.size(); ++i) {
        const AdmissionDecision& x = a.decisions[i];
        const AdmissionDecision& y = b.decisions[i];
        ASSERT_EQ(x.outcome, y.outcome) << pending[i].name;
        ASSERT_EQ(x.handle, y.handle);
        ASSERT_EQ(x.victims, y.victims);
        ASSERT_EQ(x.assignment.total, y.assignment.total);
        if (y.reason.starts_with("quota available, no placement: as ")) {
          ++reused;
          ASSERT_TRUE(y.same_refusal_as.has_value());
          ASSERT_EQ(a.decisions[*y.same_refusal_as].reason, x.reason);
          ASSERT_EQ(x.reason, "quota available, no placement: no node") << pending[i].name;
          ASSERT_TRUE(y.reason.ends_with(", same pods and flavors: no node")) << y.reason;
        } else {
          ASSERT_EQ(x.reason, y.reason);
        }
      }
      ASSERT_EQ(plain.state().usage_for_test(), memo.state().usage_for_test());
      for (uint32_t i : a.admitted) {
        plain_nodes.Admitted(i, a.decisions[i].handle);
        memo_nodes.Admitted(i, b.decisions[i].handle);
      }
      decisions += static_cast<int64_t>(pending.size());
      // What was admitted leaves the queue; preempted workloads are not requeued here.
      std::vector<PendingWorkload> still;
      for (size_t i = 0; i < pending.size(); ++i) {
        if (a.decisions[i].outcome != AdmissionOutcome::kAdmitted) {
          still.push_back(std::move(pending[i]));
        }
      }
      pending = std::move(still);
    }
    // The oracle is asked less, never more.
    ASSERT_LE(memo_nodes.calls, plain_nodes.calls);
  }
  EXPECT_GT(reused, 1000) << "the memo must be exercised (" << decisions << " decisions)";
  RecordProperty("reused", static_cast<int>(reused));
}

TEST(QuotaStateInvariantsTest, RollbackRestoresBitForBitAfterRandomChanges) {
  Rng rng(7);
  for (int round = 0; round < 200; ++round) {
    Scenario scenario(rng);
    Result<QueueModel> built = QueueModel::Build(scenario.Objects());
    ASSERT_TRUE(built.ok()) << built.error().ToString();
    const QueueModel& m = *built;
    QuotaState s(m);
    for (int step = 0; step < 50; ++step) {
      const std::vector<int64_t> before = s.usage_for_test();
      const QuotaState::Mark mark = s.mark();
      for (int k = 0; k < 5; ++k) {
        const auto cq = ClusterQueueId::FromIndex(rng.Uniform(m.num_cluster_queues()));
        const auto fr = static_cast<FlavorResource>(rng.Uniform(m.num_flavor_resources()));
        const auto amount = static_cast<int64_t>(rng.Uniform(10));
        s.Add(cq, fr, amount);
      }
      // Roll back half of the time; otherwise keep the changes.
      if (rng.Uniform(2) == 0) {
        s.Rollback(mark);
        ASSERT_EQ(s.usage_for_test(), before);
      }
      s.ClearUndoLog();
    }
  }
}

}  // namespace
}  // namespace tessera::admission

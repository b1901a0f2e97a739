// Fair-sharing preemption (preemption.h, FindFairPreemptionTargets) through the Admitter, with
// the shares worked out by hand. Every ClusterQueue here has weight 1 and one flavor of cpu;
// a ClusterQueue's lendable cpu is its root cohort's subtree quota (no lending limits), so a
// share is borrowed_cpu * 1000 / total (integer division).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admission/admitter.h"
#include "admission/preemption.h"
#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::CompileWithDefaultFlavor;

using testing::Cohort;
using testing::CpuQueue;
using testing::CpuWorkload;
using testing::Running;

using Strategies = std::vector<FairPreemptionStrategy>;
constexpr FairPreemptionStrategy kLteFinal = FairPreemptionStrategy::kLessThanOrEqualToFinalShare;
constexpr FairPreemptionStrategy kLtInitial = FairPreemptionStrategy::kLessThanInitialShare;

// The names of the victims of the one pending workload (empty when it stays pending), or
// "pending" / "admitted" markers.
struct Outcome {
  bool admitted = false;
  std::vector<std::string> victims;
};

Outcome RunOne(Admitter& admitter, const PendingWorkload& w) {
  AlwaysPlace oracle;
  const std::vector<PendingWorkload> pending = {w};
  const CycleResult r = admitter.RunCycle(pending, oracle, 100);
  Outcome out;
  out.admitted = r.decisions[0].outcome == AdmissionOutcome::kAdmitted;
  for (WorkloadHandle v : r.decisions[0].victims) out.victims.push_back(admitter.running(v).name);
  return out;
}

// CQ a and CQ b (nominal 6 cpu each) in cohort c: total 12. b runs b1 and b2 of 5 cpu
// (uses 10, borrows 4: share 4000 * 1000 / 12000 = 333). a (idle) wants 7: free 2, so it must
// preempt; with it a borrows 1: S_p = 83. Without one of b's workloads b uses 5: S_t' = 0.
// LessThanOrEqualToFinalShare: 83 <= 0 is false for both, nothing is preempted.
// LessThanInitialShare: 83 < 333, the newest (b2) is preempted; then a fits (7 + 5 = 12).
Outcome TwoQueues(Strategies strategies) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "c", 6000), CpuQueue("b", "c", 6000)};
  o.cluster_queues[0].preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m, {.fair_sharing = true, .preemption_strategies = std::move(strategies)});
  admitter.AddAdmitted(Running(m, "b1", "b", 5000, 0, 1));
  admitter.AddAdmitted(Running(m, "b2", "b", 5000, 0, 2));
  const QuotaNodeId b = QueueModel::NodeOf(m.FindClusterQueue("b"));
  EXPECT_EQ(admitter.state().DominantResourceShare(b), 333);
  return RunOne(admitter, CpuWorkload(m, "a1", "a", 7000));
}

TEST(AdmitterFairPreemptionTest, LessThanOrEqualToFinalShareRefusesWhatLessThanInitialAllows) {
  const Outcome lte_final = TwoQueues({kLteFinal});
  EXPECT_FALSE(lte_final.admitted);
  EXPECT_TRUE(lte_final.victims.empty());

  const Outcome lt_initial = TwoQueues({kLtInitial});
  EXPECT_TRUE(lt_initial.admitted);
  EXPECT_EQ(lt_initial.victims, std::vector<std::string>{"b2"});

  // The second strategy is used because the first finds nothing.
  const Outcome both = TwoQueues({kLteFinal, kLtInitial});
  EXPECT_TRUE(both.admitted);
  EXPECT_EQ(both.victims, std::vector<std::string>{"b2"});

  // Kueue's default is [LessThanOrEqualToFinalShare, LessThanInitialShare].
  const Outcome by_default = TwoQueues({});
  EXPECT_TRUE(by_default.admitted);
  EXPECT_EQ(by_default.victims, std::vector<std::string>{"b2"});
}

// As above, but a wants 6: with it a is at nominal, S_p = 0, and 0 <= S_t' = 0, so
// LessThanOrEqualToFinalShare alone preempts b2 (free 2 + 5 = 7 >= 6).
TEST(AdmitterFairPreemptionTest, LessThanOrEqualToFinalShareAllowsWhenThePreemptorStaysAtNominal) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "c", 6000), CpuQueue("b", "c", 6000)};
  o.cluster_queues[0].preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m, {.fair_sharing = true, .preemption_strategies = {kLteFinal}});
  admitter.AddAdmitted(Running(m, "b1", "b", 5000, 0, 1));
  admitter.AddAdmitted(Running(m, "b2", "b", 5000, 0, 2));
  const Outcome out = RunOne(admitter, CpuWorkload(m, "a1", "a", 6000));
  EXPECT_TRUE(out.admitted);
  EXPECT_EQ(out.victims, std::vector<std::string>{"b2"});
}

// b runs b1 (2 cpu, admitted first) and b2 (8 cpu): b uses 10, share 333. a runs a0 (2 cpu)
// and wants 5: free 0; with it a uses 7, S_p = 83. LessThanOrEqualToFinalShare tries b2
// first (newest): without it b uses 2, S_t' = 0 < 83, refused; then b1: b uses 8, S_t' = 166
// >= 83, taken; free becomes 2 < 5 and b has nothing left under this strategy. So
// [LTEFinal] preempts nothing. [LTEFinal, LTInitial] retries b2: S_p = 83 < S_t = 166 (b's
// share now), b2 is taken, a fits; minimising puts b1 back (2 + 2 + 5 = 9 <= 12): one victim.
TEST(AdmitterFairPreemptionTest, SecondStrategyRetriesWhatTheFirstRefused) {
  auto run = [](Strategies strategies) {
    model::QueueObjects o;
    o.cluster_queues = {CpuQueue("a", "c", 6000), CpuQueue("b", "c", 6000)};
    o.cluster_queues[0].preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
    const QueueModel m = CompileWithDefaultFlavor(o);
    Admitter admitter(m, {.fair_sharing = true, .preemption_strategies = std::move(strategies)});
    admitter.AddAdmitted(Running(m, "a0", "a", 2000, 0, 0));
    admitter.AddAdmitted(Running(m, "b1", "b", 2000, 0, 1));
    admitter.AddAdmitted(Running(m, "b2", "b", 8000, 0, 2));
    return RunOne(admitter, CpuWorkload(m, "a1", "a", 5000));
  };
  const Outcome first_only = run({kLteFinal});
  EXPECT_FALSE(first_only.admitted);
  EXPECT_TRUE(first_only.victims.empty());
  const Outcome both = run({kLteFinal, kLtInitial});
  EXPECT_TRUE(both.admitted);
  EXPECT_EQ(both.victims, std::vector<std::string>{"b2"});
}

// Three ClusterQueues a, b, c of nominal 4 in one cohort (total 12). b runs b1 (3, admitted
// at 1) and b2 (4, at 2): uses 7, share 3000 * 1000 / 12000 = 250. c runs c1 (5, at 3): share
// 83. a (idle) wants 4: free 0, S_p = 0. Fair sharing takes from the highest share, b: b2
// (its newest) leaves b at 3 (S_t' = 0 >= 0) and frees 4: a fits. The classic rules would take
// the most recently admitted workload of any borrowing ClusterQueue: c1.
TEST(AdmitterFairPreemptionTest, ThreeQueuesTakeFromTheHighestShareFirst) {
  auto run = [](bool fair) {
    model::QueueObjects o;
    o.cluster_queues = {CpuQueue("a", "co", 4000), CpuQueue("b", "co", 4000),
                        CpuQueue("c", "co", 4000)};
    o.cluster_queues[0].preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
    const QueueModel m = CompileWithDefaultFlavor(o);
    Admitter admitter(m, {.fair_sharing = fair});
    admitter.AddAdmitted(Running(m, "b1", "b", 3000, 0, 1));
    admitter.AddAdmitted(Running(m, "b2", "b", 4000, 0, 2));
    admitter.AddAdmitted(Running(m, "c1", "c", 5000, 0, 3));
    EXPECT_EQ(admitter.state().DominantResourceShare(QueueModel::NodeOf(m.FindClusterQueue("b"))),
              250);
    EXPECT_EQ(admitter.state().DominantResourceShare(QueueModel::NodeOf(m.FindClusterQueue("c"))),
              83);
    return RunOne(admitter, CpuWorkload(m, "a1", "a", 4000));
  };
  const Outcome fair = run(true);
  EXPECT_TRUE(fair.admitted);
  EXPECT_EQ(fair.victims, std::vector<std::string>{"b2"});
  const Outcome classic = run(false);
  EXPECT_TRUE(classic.admitted);
  EXPECT_EQ(classic.victims, std::vector<std::string>{"c1"});
}

// Root cohort r: CQ a (nominal 4) and cohort s (no quota of its own) with CQs b and c (4
// each); total 12, subtree quota of s 8. b runs b1 (6): b borrows 2 inside s. c runs c1
// (`c_use`). a wants 5 (free 12 - 6 - c_use).
// c_use = 2: s uses 8 = its subtree quota, share 0: s is never a victim, though b borrows;
// a waits. c_use = 4: s uses 10, share 2000 * 1000 / 12000 = 166; with a1, a borrows 1:
// S_p = 83 (the sides are a and s, children of r). Inside s, b (share 166) beats c (0):
// without b1 s uses 4, S_t' = 0 < 83 (LTEFinal refuses) but 83 < 166 (LTInitial allows):
// b1 is preempted by the default strategies.
TEST(AdmitterFairPreemptionTest, CohortAtShareZeroIsNeverAVictim) {
  auto run = [](int64_t c_use) {
    model::QueueObjects o;
    o.cohorts = {Cohort("r", ""), Cohort("s", "r")};
    o.cluster_queues = {CpuQueue("a", "r", 4000), CpuQueue("b", "s", 4000),
                        CpuQueue("c", "s", 4000)};
    o.cluster_queues[0].preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
    const QueueModel m = CompileWithDefaultFlavor(o);
    Admitter admitter(m, {.fair_sharing = true});
    admitter.AddAdmitted(Running(m, "b1", "b", 6000, 0, 1));
    admitter.AddAdmitted(Running(m, "c1", "c", c_use, 0, 2));
    EXPECT_EQ(admitter.state().DominantResourceShare(m.FindCohort("s")), c_use == 2000 ? 0 : 166);
    return RunOne(admitter, CpuWorkload(m, "a1", "a", 5000));
  };
  const Outcome at_zero = run(2000);
  EXPECT_FALSE(at_zero.admitted);
  EXPECT_TRUE(at_zero.victims.empty());
  const Outcome above = run(4000);
  EXPECT_TRUE(above.admitted);
  EXPECT_EQ(above.victims, std::vector<std::string>{"b1"});
}

}  // namespace
}  // namespace tessera::admission

namespace tessera::admission {
namespace {

// The no-preemption-loop rule (admitter.h). Cohort r has 4 cpu of its own; CQs a and b have
// nominal 4 each and fairSharing weight 0 (total 12; any borrowing gives share +infinity).
// a runs A1 (6), b runs B1 (5) and B2 (1): both borrow, 12 used. A2 (a, 1) arrives.
// Cycle 1: with A2, a's share is inf; b's without B2 (b at 5, still borrowing) is inf; inf <=
// inf: LessThanOrEqualToFinalShare preempts B2 and A2 is admitted. Cycle 2: B2 is back and the
// state is the mirror image: without the rule B2 preempts A2 (a at 6 still borrows), then A2
// preempts B2, and so on every cycle. With the rule B2 may not evict A2, its preemptor; the
// only other candidate, A1, would leave a at 1 (share 0, and inf <= 0 fails; inf < inf fails),
// so B2 waits and nothing more is preempted.
std::vector<int> LoopCase(bool prevent_loops, int cycles, size_t memory = 1024) {
  model::QueueObjects o;
  o.cohorts = {Cohort("r", "",
                      {testing::Group({"cpu"}, {testing::FlavorQuotas(
                                                   "default", {testing::Quota("cpu", 4000)})})})};
  o.cluster_queues = {CpuQueue("a", "r", 4000), CpuQueue("b", "r", 4000)};
  for (model::ClusterQueueSpec& cq : o.cluster_queues) {
    cq.fair_sharing_weight = 0;
    cq.preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
  }
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m, {.fair_sharing = true,
                        .preemption_strategies = {kLteFinal},
                        .prevent_preemption_loops = prevent_loops,
                        .preemption_memory = memory});
  admitter.AddAdmitted(Running(m, "A1", "a", 6000, 0, 0));
  admitter.AddAdmitted(Running(m, "B1", "b", 5000, 0, 0));
  admitter.AddAdmitted(Running(m, "B2", "b", 1000, 0, 1));
  std::vector<PendingWorkload> pending = {CpuWorkload(m, "A2", "a", 1000)};
  std::vector<PendingWorkload> specs = {pending[0], CpuWorkload(m, "B2", "b", 1000)};
  std::vector<int> preemptions;
  AlwaysPlace oracle;
  for (int c = 1; c <= cycles; ++c) {
    const CycleResult r = admitter.RunCycle(pending, oracle, 10 * c);
    preemptions.push_back(static_cast<int>(r.preempted.size()));
    std::vector<PendingWorkload> next;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (r.decisions[i].outcome != AdmissionOutcome::kAdmitted) next.push_back(pending[i]);
    }
    for (WorkloadHandle v : r.preempted) {
      for (const PendingWorkload& s : specs) {
        if (s.name == admitter.running(v).name) next.push_back(s);
      }
    }
    pending = std::move(next);
  }
  return preemptions;
}

TEST(AdmitterPreemptionLoopTest, WorkloadsEvictEachOtherEveryCycleWithoutTheRule) {
  EXPECT_EQ(LoopCase(false, 6), (std::vector<int>{1, 1, 1, 1, 1, 1}));
}

TEST(AdmitterPreemptionLoopTest, VictimCannotEvictItsPreemptorBack) {
  EXPECT_EQ(LoopCase(true, 6), (std::vector<int>{1, 0, 0, 0, 0, 0}));
}

// The memory is bounded: with room for no pair the rule cannot act and the loop is back; with
// room for one, the pair is kept while the preemptor runs.
TEST(AdmitterPreemptionLoopTest, MemoryIsBounded) {
  EXPECT_EQ(LoopCase(true, 4, 0), (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(LoopCase(true, 4, 1), (std::vector<int>{1, 0, 0, 0}));
}

}  // namespace
}  // namespace tessera::admission

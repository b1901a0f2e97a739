#include "admission/admitter.h"

#include <gtest/gtest.h>

#include <set>

#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::CompileWithDefaultFlavor;

using testing::CpuQueue;
using testing::CpuWorkload;
using testing::Flavor;
using testing::Running;

// Places everything except the workloads named in `unplaceable`.
class RuleOracle : public PlacementOracle {
 public:
  explicit RuleOracle(std::set<std::string> unplaceable = {})
      : unplaceable_(std::move(unplaceable)) {}
  PlaceResult TryPlace(const PendingWorkload& w, const Assignment&,
                       std::span<const WorkloadHandle> victims) override {
    ++calls;
    last_victims.assign(victims.begin(), victims.end());
    if (unplaceable_.contains(w.name))
      return {false, "0/3 nodes are available: 3 Insufficient cpu"};
    return {true, {}};
  }
  int calls = 0;
  std::vector<WorkloadHandle> last_victims;

 private:
  std::set<std::string> unplaceable_;
};

int64_t CpuUsage(const Admitter& admitter, const char* cq) {
  const QueueModel& m = admitter.model();
  return admitter.state().usage(QueueModel::NodeOf(m.FindClusterQueue(cq)),
                                m.Fr(m.FindFlavor("default"), m.FindResource("cpu")));
}

std::vector<std::string> AdmittedNames(const CycleResult& r,
                                       std::span<const PendingWorkload> pending) {
  std::vector<std::string> names;
  for (uint32_t i : r.admitted) names.push_back(pending[i].name);
  return names;
}

TEST(AdmitterTest, AdmitsSeveralWorkloadsOfOneClusterQueueInOneCycle) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 10000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  // Four of 2 cpu fit in 10 (8 used); the fifth asks 3 with 2 left: 1 more needed.
  std::vector<PendingWorkload> p = {
      CpuWorkload(m, "w1", "a", 2000, 0, 1), CpuWorkload(m, "w2", "a", 2000, 0, 2),
      CpuWorkload(m, "w3", "a", 2000, 0, 3), CpuWorkload(m, "w4", "a", 2000, 0, 4),
      CpuWorkload(m, "w5", "a", 3000, 0, 5)};
  RuleOracle oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_EQ(AdmittedNames(r, p), (std::vector<std::string>{"w1", "w2", "w3", "w4"}));
  EXPECT_EQ(r.decisions[4].outcome, AdmissionOutcome::kPending);
  EXPECT_EQ(r.decisions[4].reason,
            "couldn't assign flavors to pod set main: insufficient unused quota for cpu in "
            "flavor default, 1 more needed");
  EXPECT_EQ(CpuUsage(admitter, "a"), 8000);
  EXPECT_EQ(admitter.running(r.decisions[0].handle).admission_unix_seconds, 100);
}

// Quota 4, 3 already in use. The head (priority 10) asks 2 and does not fit; a later
// workload asks 1 and does.
std::vector<std::string> FifoCase(model::QueueingStrategy strategy, CycleResult* out = nullptr) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 4000)};
  o.cluster_queues[0].queueing_strategy = strategy;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  (void)admitter.AddAdmitted(Running(m, "old", "a", 3000, 0, 0));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "head", "a", 2000, 10, 1),
                                    CpuWorkload(m, "small", "a", 1000, 0, 2)};
  RuleOracle oracle;
  CycleResult r = admitter.RunCycle(p, oracle, 100);
  std::vector<std::string> names = AdmittedNames(r, p);
  if (out != nullptr) *out = std::move(r);
  return names;
}

TEST(AdmitterTest, BestEffortFifoSkipsAnInadmissibleHead) {
  EXPECT_EQ(FifoCase(model::QueueingStrategy::kBestEffortFIFO),
            (std::vector<std::string>{"small"}));
}

TEST(AdmitterTest, StrictFifoHeadBlocksItsClusterQueue) {
  CycleResult r;
  EXPECT_TRUE(FifoCase(model::QueueingStrategy::kStrictFIFO, &r).empty());
  EXPECT_EQ(r.decisions[1].reason, "waiting behind head, the head of StrictFIFO ClusterQueue a");
}

TEST(AdmitterTest, AdmitsOnlyWhenPlaceableAndSaysWhy) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 4000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  // Both ask 3 of 4: the first has quota but no placement, so the second gets the quota.
  std::vector<PendingWorkload> p = {CpuWorkload(m, "gpu-job", "a", 3000, 0, 1),
                                    CpuWorkload(m, "cpu-job", "a", 3000, 0, 2)};
  RuleOracle oracle({"gpu-job"});
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_EQ(AdmittedNames(r, p), (std::vector<std::string>{"cpu-job"}));
  EXPECT_EQ(r.decisions[0].reason,
            "quota available, no placement: 0/3 nodes are available: 3 Insufficient cpu");
  EXPECT_EQ(CpuUsage(admitter, "a"), 3000);
  EXPECT_EQ(oracle.calls, 2);
}

TEST(AdmitterTest, ClassicOrderPutsNonBorrowingBeforeHigherPriority) {
  model::QueueObjects o;
  // Cohort of 4 + 4. a's workload (priority 100) asks 6 and would borrow; b's (priority 0)
  // asks 4 within nominal. Not-borrowing goes first: b takes 4, leaving a 4 < 6.
  o.cluster_queues = {CpuQueue("a", "c", 4000), CpuQueue("b", "c", 4000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {CpuWorkload(m, "a-big", "a", 6000, 100, 0),
                                    CpuWorkload(m, "b-fit", "b", 4000, 0, 10)};
  RuleOracle oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_EQ(AdmittedNames(r, p), (std::vector<std::string>{"b-fit"}));
  EXPECT_EQ(r.decisions[0].reason,
            "couldn't assign flavors to pod set main: insufficient unused quota for cpu in "
            "flavor default, 2 more needed");
}

// a and b have no quota of their own and borrow from the lender l (12). a already borrows 6.
std::vector<std::string> FairCase(bool fair_sharing) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "c", 0), CpuQueue("b", "c", 0), CpuQueue("l", "c", 12)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m, AdmissionOptions{.fair_sharing = fair_sharing});
  (void)admitter.AddAdmitted(Running(m, "a-old", "a", 6, 0, 0));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "a-new", "a", 4, 10, 0),
                                    CpuWorkload(m, "b-new", "b", 4, 0, 5)};
  RuleOracle oracle;
  return AdmittedNames(admitter.RunCycle(p, oracle, 100), p);
}

TEST(AdmitterTest, FairSharingTournamentPrefersLowerShareAfterAdmission) {
  // lendable = 12. After admission a would borrow 10: 10 * 1000 / 12 = 833; b would borrow 4:
  // 333. b wins; then 12 - 10 = 2 are left for a's 4.
  EXPECT_EQ(FairCase(true), (std::vector<std::string>{"b-new"}));
  // Classic: both borrow, a has the higher priority.
  EXPECT_EQ(FairCase(false), (std::vector<std::string>{"a-new"}));
}

TEST(AdmitterTest, AgingRaisesEffectivePriorityForOrdering) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 2000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  std::vector<PendingWorkload> p = {CpuWorkload(m, "old-low", "a", 2000, 0, 0),
                                    CpuWorkload(m, "new-high", "a", 2000, 5, 1000)};
  RuleOracle oracle;
  // Without aging the priority-5 workload wins.
  Admitter plain(m);
  EXPECT_EQ(AdmittedNames(plain.RunCycle(p, oracle, 1000), p),
            (std::vector<std::string>{"new-high"}));
  // Aging every 100 s: old-low has waited 1000 s -> 0 + 10 = 10 > 5.
  Admitter aged(m, AdmissionOptions{.aging_seconds = 100});
  EXPECT_EQ(AdmittedNames(aged.RunCycle(p, oracle, 1000), p),
            (std::vector<std::string>{"old-low"}));
}

TEST(AdmitterTest, InactiveClusterQueueAdmitsNothing) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 2000)};
  o.cluster_queues[0].stop_policy = model::StopPolicy::kHold;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {CpuWorkload(m, "w", "a", 1000)};
  AlwaysPlace oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, 0);
  EXPECT_EQ(r.decisions[0].reason, "ClusterQueue a is inactive");
}

// Records which workloads a cycle tried, in order.
class RecordingObserver : public DecisionObserver {
 public:
  explicit RecordingObserver(std::span<const PendingWorkload> pending) : pending_(pending) {}
  void Decided(const AdmissionDecision& d) override { tried.push_back(pending_[d.workload].name); }
  std::vector<std::string> tried;

 private:
  std::span<const PendingWorkload> pending_;
};

TEST(AdmitterTest, ObserverHearsOfEveryTriedWorkloadInDecisionOrder) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 4000), CpuQueue("s", "", 4000)};
  o.cluster_queues[1].queueing_strategy = model::QueueingStrategy::kStrictFIFO;
  const QueueModel m = CompileWithDefaultFlavor(o);
  // a: "a1" (3 of 4) is admitted, "a2" (3) does not fit, "a3" (1) does. s: the head asks 5 of
  // 4 and blocks "s2" behind it, which is never tried; "lost" names no ClusterQueue.
  std::vector<PendingWorkload> p = {
      CpuWorkload(m, "a1", "a", 3000, 0, 1), CpuWorkload(m, "a2", "a", 3000, 0, 2),
      CpuWorkload(m, "a3", "a", 1000, 0, 3), CpuWorkload(m, "s1", "s", 5000, 0, 1),
      CpuWorkload(m, "s2", "s", 1000, 0, 2), CpuWorkload(m, "lost", "nowhere", 1000, 0, 0)};
  RecordingObserver observer(p);
  Admitter admitter(m, AdmissionOptions{.observer = &observer});
  RuleOracle oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  // Rounds: {a1, s1} (FIFO across queues: both created at 1, then by name), {a2}, {a3}.
  EXPECT_EQ(observer.tried, (std::vector<std::string>{"a1", "s1", "a2", "a3"}));
  EXPECT_EQ(AdmittedNames(r, p), (std::vector<std::string>{"a1", "a3"}));
}

// --- placement memo ---

// a: 10 cpu. w1, w2 and w3 ask 2 each, alike (placement class 7), and the nodes take none of
// them; "other" asks 2 too but has no class.
TEST(AdmitterTest, RefusedPlacementIsReusedForAlikeWorkloads) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 10000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  std::vector<PendingWorkload> p = {
      CpuWorkload(m, "ns/w1", "a", 2000, 0, 1), CpuWorkload(m, "ns/w2", "a", 2000, 0, 2),
      CpuWorkload(m, "ns/other", "a", 2000, 0, 3), CpuWorkload(m, "ns/w3", "a", 2000, 0, 4)};
  for (size_t i : {0u, 1u, 3u}) p[i].placement_class = 7;
  RuleOracle oracle({"ns/w1", "ns/w2", "ns/w3", "ns/other"});
  Admitter admitter(m);
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_TRUE(r.admitted.empty());
  EXPECT_EQ(oracle.calls, 2);  // w1 and other; w2 and w3 reuse w1's refusal
  EXPECT_EQ(r.decisions[0].reason,
            "quota available, no placement: 0/3 nodes are available: 3 Insufficient cpu");
  EXPECT_EQ(r.decisions[1].reason,
            "quota available, no placement: as ns/w1, same pods and flavors: 0/3 nodes are "
            "available: 3 Insufficient cpu");
  EXPECT_EQ(r.decisions[3].reason, r.decisions[1].reason);
  EXPECT_FALSE(r.decisions[0].same_refusal_as.has_value());
  EXPECT_EQ(r.decisions[1].same_refusal_as, 0u);
  EXPECT_EQ(r.decisions[3].same_refusal_as, 0u);
  EXPECT_FALSE(r.decisions[2].same_refusal_as.has_value());
  EXPECT_EQ(r.decisions[1].assignment.mode, AssignmentMode::kFit);
  EXPECT_EQ(CpuUsage(admitter, "a"), 0);
  // The memo lives for one cycle: the next cycle asks the oracle again.
  oracle.calls = 0;
  (void)admitter.RunCycle(p, oracle, 200);
  EXPECT_EQ(oracle.calls, 2);
}

// Flavors f1 (2 cpu) then f2 (10 cpu). w1 (class 7, 2 cpu) gets f1 and is refused; "filler"
// (no class) takes f1; w2 (class 7) now gets f2: other nodes, so the oracle is asked.
TEST(AdmitterTest, RefusedPlacementIsNotReusedWithOtherFlavors) {
  model::QueueObjects o;
  o.flavors = {Flavor("f1"), Flavor("f2")};
  o.cluster_queues = {CpuQueue("a", "", 2000)};
  o.cluster_queues[0].resource_groups[0].flavors = {
      testing::FlavorQuotas("f1", {testing::Quota("cpu", 2000)}),
      testing::FlavorQuotas("f2", {testing::Quota("cpu", 10000)})};
  Result<QueueModel> built = QueueModel::Build(o);
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  const QueueModel& m = *built;
  std::vector<PendingWorkload> p = {CpuWorkload(m, "w1", "a", 2000, 0, 1),
                                    CpuWorkload(m, "filler", "a", 2000, 0, 2),
                                    CpuWorkload(m, "w2", "a", 2000, 0, 3)};
  p[0].placement_class = p[2].placement_class = 7;
  RuleOracle oracle({"w1", "w2"});
  Admitter admitter(m);
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_EQ(AdmittedNames(r, p), (std::vector<std::string>{"filler"}));
  EXPECT_EQ(oracle.calls, 3);
  EXPECT_EQ(m.flavor(m.FlavorOf(r.decisions[2].assignment.total[0].fr)).name, "f2");
  EXPECT_EQ(r.decisions[2].reason,
            "quota available, no placement: 0/3 nodes are available: 3 Insufficient cpu");
}

// Victims give node capacity back, so a preemption clears the memo. a: w1 and w2 (class 7,
// priority 10) are refused by the nodes. b (4 cpu, withinClusterQueue LowerPriority) runs
// "low" (priority -5, 4 cpu); "p" (priority 5) preempts it. Round 1 tries w1 then p; round 2
// tries w2, which must ask the oracle again. Without p, w2 reuses w1's refusal.
int MemoCallsAroundPreemption(bool with_preemptor) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 10000), CpuQueue("b", "", 4000)};
  o.cluster_queues[1].preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  (void)admitter.AddAdmitted(Running(m, "low", "b", 4000, -5, 0));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "w1", "a", 2000, 10, 1),
                                    CpuWorkload(m, "w2", "a", 2000, 10, 2)};
  if (with_preemptor) p.push_back(CpuWorkload(m, "p", "b", 4000, 5, 1));
  p[0].placement_class = p[1].placement_class = 7;
  RuleOracle oracle({"w1", "w2"});
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_EQ(r.preempted.size(), with_preemptor ? 1u : 0u);
  return oracle.calls;
}

TEST(AdmitterTest, PreemptionClearsRefusedPlacements) {
  EXPECT_EQ(MemoCallsAroundPreemption(false), 1);  // w1; w2 reuses its refusal
  EXPECT_EQ(MemoCallsAroundPreemption(true), 3);   // w1, p, then w2 again
}

// --- preemption ---

TEST(PreemptionTest, ReclaimsOnlyFromQueuesAboveNominal) {
  model::QueueObjects o;
  // Cohort 6 + 6 + 6 = 18. b runs 4 + 4 (8: borrowing 2); c runs 6 (at nominal, not
  // borrowing). Used 14, available(a) = 4 < 6 = a's request (within a's nominal: Preempt).
  o.cluster_queues = {CpuQueue("a", "co", 6), CpuQueue("b", "co", 6), CpuQueue("c", "co", 6)};
  o.cluster_queues[0].preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  const WorkloadHandle b_old = admitter.AddAdmitted(Running(m, "b-old", "b", 4, 0, 10));
  const WorkloadHandle b_new = admitter.AddAdmitted(Running(m, "b-new", "b", 4, 0, 20));
  (void)admitter.AddAdmitted(Running(m, "c-low", "c", 6, -5, 30));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "a-wl", "a", 6, 0, 40)};
  RuleOracle oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  // a is below nominal: reclaim without borrowing. Taking b-new (most recently admitted)
  // leaves b at 4 and available(a) = 18 - 10 = 8 >= 6. c-low is never a candidate.
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].victims, (std::vector<WorkloadHandle>{b_new}));
  EXPECT_EQ(r.preempted, (std::vector<WorkloadHandle>{b_new}));
  EXPECT_TRUE(admitter.running(b_old).active);
  EXPECT_FALSE(admitter.running(b_new).active);
  EXPECT_EQ(CpuUsage(admitter, "a"), 6);
  EXPECT_EQ(CpuUsage(admitter, "b"), 4);
  EXPECT_EQ(CpuUsage(admitter, "c"), 6);
}

// q (nominal 4, no cohort) is full with `victim` (priority 0, created at 100); the preemptor
// has priority 0 and was created at 50.
CycleResult WithinQueueCase(model::PreemptionPolicy policy) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 4)};
  o.cluster_queues[0].preemption.within_cluster_queue = policy;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  (void)admitter.AddAdmitted(Running(m, "victim", "q", 4, 0, 200, 100));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "preemptor", "q", 4, 0, 50)};
  RuleOracle oracle;
  return admitter.RunCycle(p, oracle, 300);
}

TEST(PreemptionTest, LowerPriorityDoesNotPreemptEqualPriority) {
  const CycleResult r = WithinQueueCase(model::PreemptionPolicy::kLowerPriority);
  EXPECT_EQ(r.decisions[0].outcome, AdmissionOutcome::kPending);
  EXPECT_EQ(r.decisions[0].reason,
            "couldn't assign flavors to pod set main: insufficient unused quota for cpu in "
            "flavor default, 4m more needed");
}

TEST(PreemptionTest, LowerOrNewerEqualPriorityPreemptsNewerEqualPriority) {
  const CycleResult r = WithinQueueCase(model::PreemptionPolicy::kLowerOrNewerEqualPriority);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].victims, (std::vector<WorkloadHandle>{WorkloadHandle(0)}));
}

TEST(PreemptionTest, MinimisesTargets) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 6)};
  o.cluster_queues[0].preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  // v1 (priority 1, 2 cpu) and v2 (priority 2, 4 cpu) fill q. The preemptor (priority 5) asks
  // 4. Greedy, lowest priority first: v1 (available 2), then v2 (available 6: fits). Then put
  // back v1: available 4 still fits, so only v2 goes.
  (void)admitter.AddAdmitted(Running(m, "v1", "q", 2, 1, 10));
  const WorkloadHandle v2 = admitter.AddAdmitted(Running(m, "v2", "q", 4, 2, 20));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "p", "q", 4, 5, 30)};
  RuleOracle oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].victims, (std::vector<WorkloadHandle>{v2}));
  EXPECT_EQ(oracle.last_victims, (std::vector<WorkloadHandle>{v2}));
  EXPECT_EQ(CpuUsage(admitter, "q"), 6);
}

TEST(PreemptionTest, KeepsVictimsWhenThePreemptorCannotBePlaced) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 4)};
  o.cluster_queues[0].preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  const WorkloadHandle v = admitter.AddAdmitted(Running(m, "v", "q", 4, 0, 10));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "p", "q", 4, 5, 30)};
  RuleOracle oracle({"p"});
  const CycleResult r = admitter.RunCycle(p, oracle, 100);
  EXPECT_EQ(r.decisions[0].outcome, AdmissionOutcome::kPending);
  EXPECT_EQ(r.decisions[0].reason,
            "quota available after preempting 1 workload(s), no placement: 0/3 nodes are "
            "available: 3 Insufficient cpu");
  EXPECT_TRUE(r.preempted.empty());
  EXPECT_TRUE(admitter.running(v).active);
  EXPECT_EQ(CpuUsage(admitter, "q"), 4);
}

// a (nominal 2, priority-10 preemptor asking 4) and b (nominal 0) borrow from lender l (2).
// b runs low (priority 3) and mid (priority 7), 2 each: everything is used.
CycleResult BorrowWithinCohortCase(std::optional<int32_t> threshold) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "co", 2), CpuQueue("b", "co", 0), CpuQueue("l", "co", 2)};
  model::PreemptionSpec& pre = o.cluster_queues[0].preemption;
  pre.reclaim_within_cohort = model::PreemptionPolicy::kLowerPriority;
  pre.borrow_within_cohort = model::PreemptionPolicy::kLowerPriority;
  pre.borrow_max_priority_threshold = threshold;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  (void)admitter.AddAdmitted(Running(m, "low", "b", 2, 3, 10));
  (void)admitter.AddAdmitted(Running(m, "mid", "b", 2, 7, 20));
  std::vector<PendingWorkload> p = {CpuWorkload(m, "p", "a", 4, 10, 30)};
  RuleOracle oracle;
  return admitter.RunCycle(p, oracle, 100);
}

TEST(PreemptionTest, BorrowWithinCohortStopsBorrowingAboveThreshold) {
  // maxPriorityThreshold 5: removing low (3 <= 5) keeps borrowing allowed, but it frees only
  // 2 of 4. mid (7 > 5) may be taken only without borrowing, and 4 > a's nominal 2: no targets.
  const CycleResult r = BorrowWithinCohortCase(5);
  EXPECT_EQ(r.decisions[0].outcome, AdmissionOutcome::kPending);
  EXPECT_TRUE(r.preempted.empty());
}

TEST(PreemptionTest, BorrowWithinCohortPreemptsBelowThreshold) {
  // maxPriorityThreshold 8: both are at or below it; taking both frees 4, and putting low back
  // leaves only 2: both go.
  const CycleResult r = BorrowWithinCohortCase(8);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].victims.size(), 2u);
  EXPECT_TRUE(r.decisions[0].assignment.borrows);
}

}  // namespace
}  // namespace tessera::admission

// Partial admission (Kueue's PodSet.minCount, from a Job's kueue.x-k8s.io/job-min-parallelism):
// when a workload does not fit whole, the admitter looks for the most pods between minCount
// and count that have quota and place. Hand-computed cases; the numbers are in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "admission/admitter.h"
#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::CompileWithDefaultFlavor;

using testing::CpuQueue;
using testing::CpuWorkload;
using testing::Running;

// Nodes with room for `capacity` pods in all; counts what it was asked and what it holds.
class CapacityOracle : public PlacementOracle {
 public:
  CapacityOracle(int32_t capacity, bool can_undo) : capacity_(capacity), can_undo_(can_undo) {}
  PlaceResult TryPlace(const PendingWorkload&, const Assignment& a,
                       std::span<const WorkloadHandle>) override {
    int32_t pods = 0;
    for (const PodSetAssignment& ps : a.pod_sets) pods += ps.count;
    asked.push_back(pods);
    if (used + pods > capacity_) {
      return {false, fmt::format("{} pods fit, {} asked", capacity_ - used, pods)};
    }
    used += pods;
    last_ = pods;
    return {true, {}};
  }
  bool CanUndo() const override { return can_undo_; }
  void Undo() override {
    ASSERT_TRUE(can_undo_);
    used -= last_;
    last_ = 0;
  }
  std::vector<int32_t> asked;  // pods per TryPlace call, in order
  int32_t used = 0;

 private:
  int32_t capacity_;
  bool can_undo_;
  int32_t last_ = 0;
};

int64_t CpuUsage(const Admitter& admitter, const char* cq) {
  const QueueModel& m = admitter.model();
  return admitter.state().usage(QueueModel::NodeOf(m.FindClusterQueue(cq)),
                                m.Fr(m.FindFlavor("default"), m.FindResource("cpu")));
}

PendingWorkload Job(const QueueModel& m, const char* name, int32_t pods, int32_t min_pods,
                    int32_t priority = 0) {
  PendingWorkload w = CpuWorkload(m, name, "q", 1000, priority, 1, pods);
  w.pod_sets[0].min_count = min_pods;
  return w;
}

TEST(PartialAdmissionTest, QuotaForThreeOfFivePods) {
  // Nominal 3 cpu; a Job of 5 one-cpu pods, minimum 2: admitted with 3 pods, 3 cpu.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 3000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {Job(m, "job", 5, 2)};
  CapacityOracle oracle(100, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_TRUE(r.decisions[0].partial);
  ASSERT_EQ(r.decisions[0].assignment.pod_sets.size(), 1u);
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[0].count, 3);
  EXPECT_EQ(CpuUsage(admitter, "q"), 3000);
  EXPECT_EQ(admitter.running(r.decisions[0].handle).usage[0].amount, 3000);
  // The full count had no quota, so the oracle was asked once, for the 3 pods.
  EXPECT_EQ(oracle.asked, (std::vector<int32_t>{3}));
  EXPECT_EQ(oracle.used, 3);
}

TEST(PartialAdmissionTest, NoQuotaEvenForTheMinimum) {
  // Nominal 3; minimum 4 of 5: pending, with both reasons.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 3000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {Job(m, "job", 5, 4)};
  CapacityOracle oracle(100, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  EXPECT_EQ(r.decisions[0].outcome, AdmissionOutcome::kPending);
  EXPECT_EQ(r.decisions[0].reason,
            "couldn't assign flavors to pod set main: insufficient quota for cpu in flavor "
            "default, request > maximum capacity of 3; partial admission: no quota even for 4 "
            "main pods: couldn't assign flavors to pod set main: insufficient quota for cpu in "
            "flavor default, request > maximum capacity of 3");
  EXPECT_TRUE(oracle.asked.empty());
  EXPECT_EQ(CpuUsage(admitter, "q"), 0);
}

TEST(PartialAdmissionTest, PlacementBoundBinarySearchWithUndo) {
  // Quota for 10; the nodes hold 3 pods. A Job of 8, minimum 1: 3 pods start.
  // Calls: 8 (full, refused), 7 (the most pods with quota, refused), 1 (the fewest, placed and
  // undone), then the budget search over 2..7 pods given up: 4 given up -> 4 pods refused,
  // 6 -> 2 placed and undone, 5 -> 3 placed and undone; finally 3 placed for good.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 10000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {Job(m, "job", 8, 1)};
  CapacityOracle oracle(3, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[0].count, 3);
  EXPECT_EQ(oracle.asked, (std::vector<int32_t>{8, 7, 1, 4, 2, 3, 3}));
  EXPECT_EQ(oracle.used, 3);  // the undone probes left nothing behind
  EXPECT_EQ(CpuUsage(admitter, "q"), 3000);
}

TEST(PartialAdmissionTest, PlacementBoundWithoutUndoScansDownFromTheMost) {
  // The same without undo: 8, then 7, 6, 5, 4 refused and 3 kept. Same answer.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 10000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {Job(m, "job", 8, 1)};
  CapacityOracle oracle(3, false);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[0].count, 3);
  EXPECT_EQ(oracle.asked, (std::vector<int32_t>{8, 7, 6, 5, 4, 3}));
  EXPECT_EQ(oracle.used, 3);
  EXPECT_EQ(CpuUsage(admitter, "q"), 3000);
}

TEST(PartialAdmissionTest, NoPlacementEvenForTheMinimum) {
  // The nodes hold 1 pod; minimum 2 of 4: pending, quota untouched, nothing held.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 10000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {Job(m, "job", 4, 2)};
  CapacityOracle oracle(1, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  EXPECT_EQ(r.decisions[0].outcome, AdmissionOutcome::kPending);
  EXPECT_EQ(r.decisions[0].reason,
            "quota available, no placement: 1 pods fit, 4 asked; partial admission: no "
            "placement for 2 main pods: 1 pods fit, 2 asked");
  EXPECT_EQ(oracle.asked, (std::vector<int32_t>{4, 3, 2}));
  EXPECT_EQ(oracle.used, 0);
  EXPECT_EQ(CpuUsage(admitter, "q"), 0);
}

TEST(PartialAdmissionTest, PreemptsForTheReducedCount) {
  // Nominal 4, withinClusterQueue LowerPriority. Running: low (priority 0, 2 cpu) and high
  // (priority 10, 2 cpu). A priority-5 Job of 6 one-cpu pods, minimum 2: 6, 5 exceed the
  // nominal; 4 and 3 would need high's quota too; 2 fit by preempting low alone.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 4000)};
  o.cluster_queues[0].preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  const WorkloadHandle low = admitter.AddAdmitted(Running(m, "low", "q", 2000, 0, 0));
  const WorkloadHandle high = admitter.AddAdmitted(Running(m, "high", "q", 2000, 10, 0));
  std::vector<PendingWorkload> p = {Job(m, "job", 6, 2, 5)};
  CapacityOracle oracle(100, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[0].count, 2);
  EXPECT_EQ(r.decisions[0].victims, (std::vector<WorkloadHandle>{low}));
  EXPECT_EQ(r.preempted, (std::vector<WorkloadHandle>{low}));
  EXPECT_FALSE(admitter.running(low).active);
  EXPECT_TRUE(admitter.running(high).active);
  EXPECT_EQ(CpuUsage(admitter, "q"), 4000);
  EXPECT_EQ(oracle.asked, (std::vector<int32_t>{2}));
}

TEST(PartialAdmissionTest, ShrinksTheLastPodSetFirst) {
  // Two PodSets of 3 one-cpu pods, each down to 1; nominal 4. Kueue's ordered reducer gives up
  // pods of the last PodSet first: {3, 1}.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 4000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  PendingWorkload w = Job(m, "js", 3, 1);
  w.pod_sets.push_back(w.pod_sets[0]);
  w.pod_sets[1].name = "workers";
  std::vector<PendingWorkload> p = {w};
  CapacityOracle oracle(100, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted) << r.decisions[0].reason;
  ASSERT_EQ(r.decisions[0].assignment.pod_sets.size(), 2u);
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[0].count, 3);
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[1].count, 1);
  EXPECT_EQ(CpuUsage(admitter, "q"), 4000);
}

TEST(PartialAdmissionTest, WholeWhenItFitsAndNeverBelowTheMinimum) {
  // Nominal 6: the first Job (4 pods, minimum 2) fits whole; the second (4, minimum 2) gets
  // the 2 left; the third (2, minimum 1) gets nothing and waits.
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("q", "", 6000)};
  const QueueModel m = CompileWithDefaultFlavor(o);
  Admitter admitter(m);
  std::vector<PendingWorkload> p = {Job(m, "a", 4, 2), Job(m, "b", 4, 2), Job(m, "c", 2, 1)};
  p[1].creation_unix_seconds = 2;
  p[2].creation_unix_seconds = 3;
  CapacityOracle oracle(100, true);
  const CycleResult r = admitter.RunCycle(p, oracle, 10);
  ASSERT_EQ(r.decisions[0].outcome, AdmissionOutcome::kAdmitted);
  EXPECT_FALSE(r.decisions[0].partial);
  EXPECT_EQ(r.decisions[0].assignment.pod_sets[0].count, 4);
  ASSERT_EQ(r.decisions[1].outcome, AdmissionOutcome::kAdmitted);
  EXPECT_TRUE(r.decisions[1].partial);
  EXPECT_EQ(r.decisions[1].assignment.pod_sets[0].count, 2);
  EXPECT_EQ(r.decisions[2].outcome, AdmissionOutcome::kPending);
  EXPECT_EQ(CpuUsage(admitter, "q"), 6000);
  EXPECT_EQ(oracle.used, 6);
}

}  // namespace
}  // namespace tessera::admission

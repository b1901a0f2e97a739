// Admission fair sharing (Kueue's UsageBasedAdmissionFairSharing, KEP-4136): LocalQueues of
// one ClusterQueue take turns by usage. Hand-computed cases; the numbers are in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admission/admitter.h"
#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::Compile;

using testing::CpuQueue;
using testing::CpuWorkload;
using testing::Flavor;

// ClusterQueue q (nominal `quota` milli-cpu) with LocalQueues a and b in namespace default.
model::QueueObjects Objects(int64_t quota, bool afs_mode, double half_life, double sampling) {
  model::QueueObjects o;
  o.flavors = {Flavor("default")};
  o.cluster_queues = {CpuQueue("q", "", quota)};
  o.cluster_queues[0].usage_based_admission_fair_sharing = afs_mode;
  o.local_queues = {{.name = "a", .cluster_queue = "q"}, {.name = "b", .cluster_queue = "q"}};
  o.admission_fair_sharing = model::AdmissionFairSharingSpec{
      .usage_half_life_seconds = half_life, .usage_sampling_interval_seconds = sampling};
  return o;
}

PendingWorkload From(const QueueModel& m, const char* lq, std::string name, int64_t created) {
  PendingWorkload w = CpuWorkload(m, std::move(name), "q", 1000, 0, created);
  w.local_queue = m.FindLocalQueue("default", lq);
  return w;
}

std::vector<std::string> AdmittedInOrder(const QueueModel& m, int64_t now = 100) {
  std::vector<PendingWorkload> p = {From(m, "a", "a1", 1), From(m, "a", "a2", 2),
                                    From(m, "a", "a3", 3), From(m, "a", "a4", 4),
                                    From(m, "b", "b1", 5), From(m, "b", "b2", 6)};
  Admitter admitter(m);
  AlwaysPlace oracle;
  const CycleResult r = admitter.RunCycle(p, oracle, now);
  std::vector<std::string> names;
  for (uint32_t i : r.admitted) names.push_back(p[i].name);
  return names;
}

TEST(AdmissionFairSharingTest, LocalQueuesTakeTurns) {
  // Half-life = sampling interval: entry penalty rate 1 - 0.5 = 0.5, so each admitted 1-cpu
  // workload adds 0.5 to its LocalQueue. a1 (tie at 0, older), b1 (0 < 0.5), a2 (0.5 = 0.5,
  // older), b2 (0.5 < 1), then a3 and a4.
  const QueueModel m = Compile(Objects(100'000, true, 300, 300));
  ASSERT_TRUE(m.admission_fair_sharing().has_value());
  EXPECT_DOUBLE_EQ(m.admission_fair_sharing()->entry_penalty_rate, 0.5);
  EXPECT_EQ(AdmittedInOrder(m), (std::vector<std::string>{"a1", "b1", "a2", "b2", "a3", "a4"}));
}

TEST(AdmissionFairSharingTest, WithoutTheAdmissionModeOrderIsFifo) {
  const QueueModel m = Compile(Objects(100'000, false, 300, 300));
  EXPECT_EQ(AdmittedInOrder(m), (std::vector<std::string>{"a1", "a2", "a3", "a4", "b1", "b2"}));
}

TEST(AdmissionFairSharingTest, QuotaForThreeGoesToBothLocalQueues) {
  // Nominal 3 cpu: FIFO would admit a1, a2, a3; fair sharing admits a1, b1, a2.
  const QueueModel m = Compile(Objects(3'000, true, 300, 300));
  EXPECT_EQ(AdmittedInOrder(m), (std::vector<std::string>{"a1", "b1", "a2"}));
}

TEST(AdmissionFairSharingTest, HistoryAndWeightsOrderLocalQueues) {
  // a consumed 4 cpu before (usage 4 / weight 2 = 2), b 3 cpu (weight 1: 3). No penalty
  // (half-life 0). a first while its usage is lower: all of a before b.
  model::QueueObjects o = Objects(100'000, true, 0, 300);
  o.local_queues[0].fair_sharing_weight = 2;
  o.local_queues[0].consumed_resources = {{"cpu", Quantity(4'000)}};
  o.local_queues[1].consumed_resources = {{"cpu", Quantity(3'000)}};
  const QueueModel m = Compile(o);
  EXPECT_DOUBLE_EQ(m.local_queues()[0].consumed, 4.0);
  EXPECT_EQ(AdmittedInOrder(m), (std::vector<std::string>{"a1", "a2", "a3", "a4", "b1", "b2"}));
  // The same history with equal weights: b (3) before a (4).
  o.local_queues[0].fair_sharing_weight = 1;
  const QueueModel equal = Compile(o);
  EXPECT_EQ(AdmittedInOrder(equal),
            (std::vector<std::string>{"b1", "b2", "a1", "a2", "a3", "a4"}));
}

TEST(AdmissionFairSharingTest, ResourceWeightsScaleUsage) {
  // cpu weighs 0: history counts for nothing, so the order is FIFO with turns (penalties are
  // weighted too and vanish): a1..a4, b1, b2.
  model::QueueObjects o = Objects(100'000, true, 300, 300);
  o.admission_fair_sharing->resource_weights = {{"cpu", 0.0}};
  o.local_queues[1].consumed_resources = {{"cpu", Quantity(3'000)}};
  const QueueModel m = Compile(o);
  EXPECT_EQ(AdmittedInOrder(m), (std::vector<std::string>{"a1", "a2", "a3", "a4", "b1", "b2"}));
}

}  // namespace
}  // namespace tessera::admission

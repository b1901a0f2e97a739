#include "admission/quota_state.h"

#include <gtest/gtest.h>

#include <cmath>

#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::Cohort;
using testing::CpuQueue;
using testing::Flavor;
using testing::FlavorQuotas;
using testing::Group;
using testing::Quota;

struct Fixture {
  explicit Fixture(model::QueueObjects o) {
    o.flavors = {Flavor("default")};
    Result<QueueModel> built = QueueModel::Build(o);
    EXPECT_TRUE(built.ok()) << built.error().ToString();
    model = std::move(built).value();
    fr = model.Fr(model.FindFlavor("default"), model.FindResource("cpu"));
  }
  ClusterQueueId Cq(const char* name) const { return model.FindClusterQueue(name); }
  QuotaNodeId Node(const char* name) const { return QueueModel::NodeOf(Cq(name)); }

  QueueModel model;
  FlavorResource fr = 0;
};

TEST(QuotaStateTest, BorrowsUpToBorrowingLimit) {
  model::QueueObjects o;
  // a: nominal 10, borrowingLimit 4; b: nominal 10. SubtreeQuota(cohort) = 20.
  o.cluster_queues = {CpuQueue("a", "c", 10, 4), CpuQueue("b", "c", 10)};
  Fixture f(o);
  QuotaState s(f.model);
  // available(a) = 0 + min(20 - 0, (10 - 0) - 0 + 4) = 14.
  EXPECT_EQ(s.Available(f.Cq("a"), f.fr), 14);
  s.Add(f.Cq("a"), f.fr, 14);
  // a is at its limit: min(20 - 14, 10 - 14 + 4) = 0. b: 20 - 14 = 6.
  EXPECT_EQ(s.Available(f.Cq("a"), f.fr), 0);
  EXPECT_EQ(s.Available(f.Cq("b"), f.fr), 6);
  EXPECT_TRUE(s.Borrowing(f.Node("a"), f.fr));
  EXPECT_FALSE(s.Borrowing(f.Node("b"), f.fr));
  // b (nil borrowingLimit) may take everything left in the cohort: 6, then nothing.
  s.Add(f.Cq("b"), f.fr, 6);
  EXPECT_EQ(s.Available(f.Cq("b"), f.fr), 0);
  // Releasing 5 of a's gives 5 back to both.
  s.Add(f.Cq("a"), f.fr, -5);
  EXPECT_EQ(s.Available(f.Cq("a"), f.fr), 5);  // min(20 - 15, 10 - 9 + 4) = 5
  EXPECT_EQ(s.Available(f.Cq("b"), f.fr), 5);
}

TEST(QuotaStateTest, LendingLimitKeepsPrivateQuota) {
  model::QueueObjects o;
  // a: nominal 10, lendingLimit 4 -> localQuota 6. b: nominal 5. SubtreeQuota(c) = 4 + 5 = 9.
  o.cluster_queues = {CpuQueue("a", "c", 10, std::nullopt, 4), CpuQueue("b", "c", 5)};
  Fixture f(o);
  QuotaState s(f.model);
  EXPECT_EQ(s.Available(f.Cq("b"), f.fr), 9);   // its 5 plus a's 4 lendable
  EXPECT_EQ(s.Available(f.Cq("a"), f.fr), 15);  // 6 local + 9 in the cohort
  s.Add(f.Cq("b"), f.fr, 9);
  // a still has its 6 private units: max(0, 6 - 0) + min(9 - 9) = 6.
  EXPECT_EQ(s.Available(f.Cq("a"), f.fr), 6);
  s.Add(f.Cq("a"), f.fr, 6);
  // a's 6 stay local: the cohort's usage is still 9.
  EXPECT_EQ(s.usage(f.model.FindCohort("c"), f.fr), 9);
  EXPECT_EQ(s.Available(f.Cq("a"), f.fr), 0);
  // a uses 8: 2 beyond local reach the cohort... only after b gives back.
  s.Add(f.Cq("b"), f.fr, -3);
  s.Add(f.Cq("a"), f.fr, 2);
  EXPECT_EQ(s.usage(f.model.FindCohort("c"), f.fr), 6 + 2);
  EXPECT_EQ(s.Available(f.Cq("b"), f.fr), 1);
}

TEST(QuotaStateTest, TwoLevelCohortWithOwnQuotaAndBorrowingLimit) {
  model::QueueObjects o;
  // root R has its own nominal 5 (an extra shared pool); cohort M under R with borrowingLimit
  // 3 and no own quota; x (4) and y (2) under M; z (3) directly under R.
  // SubtreeQuota(M) = 6, SubtreeQuota(R) = 5 + 6 + 3 = 14.
  o.cohorts = {Cohort("R", "", {Group({"cpu"}, {FlavorQuotas("default", {Quota("cpu", 5)})})}),
               Cohort("M", "R", {Group({"cpu"}, {FlavorQuotas("default", {Quota("cpu", 0, 3)})})})};
  o.cluster_queues = {CpuQueue("x", "M", 4), CpuQueue("y", "M", 2), CpuQueue("z", "R", 3)};
  Fixture f(o);
  const QuotaNodeId m = f.model.FindCohort("M");
  const QuotaNodeId r = f.model.FindCohort("R");
  EXPECT_EQ(f.model.subtree_quota(m, f.fr), 6);
  EXPECT_EQ(f.model.subtree_quota(r, f.fr), 14);
  QuotaState s(f.model);
  // available(M) = min(available(R) = 14, 6 - 0 + 3 = 9) = 9; x has no limit of its own.
  EXPECT_EQ(s.Available(f.Cq("x"), f.fr), 9);
  EXPECT_EQ(s.Available(f.Cq("z"), f.fr), 14);
  s.Add(f.Cq("x"), f.fr, 9);
  EXPECT_EQ(s.usage(m, f.fr), 9);
  EXPECT_EQ(s.usage(r, f.fr), 9);
  // y: min(available(M) = min(14 - 9, 6 - 9 + 3 = 0)) = 0; z: 14 - 9 = 5.
  EXPECT_EQ(s.Available(f.Cq("y"), f.fr), 0);
  EXPECT_EQ(s.Available(f.Cq("z"), f.fr), 5);
  s.Add(f.Cq("z"), f.fr, 5);
  EXPECT_EQ(s.Available(f.Cq("z"), f.fr), 0);
  EXPECT_EQ(s.usage(r, f.fr), 14);
}

TEST(QuotaStateTest, RootClusterQueueHasOnlyItsNominal) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("solo", "", 7)};
  Fixture f(o);
  QuotaState s(f.model);
  s.Add(f.Cq("solo"), f.fr, 3);
  EXPECT_EQ(s.Available(f.Cq("solo"), f.fr), 4);
  EXPECT_EQ(s.WeightedShare(f.Node("solo")), 0);
}

TEST(QuotaStateTest, RollbackRestoresBitForBit) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "c", 10, 4, 3), CpuQueue("b", "c", 10)};
  Fixture f(o);
  QuotaState s(f.model);
  s.Add(f.Cq("a"), f.fr, 5);
  const std::vector<int64_t> before = s.usage_for_test();
  const QuotaState::Mark mark = s.mark();
  s.Add(f.Cq("a"), f.fr, 6);
  s.Add(f.Cq("b"), f.fr, 9);
  s.Add(f.Cq("a"), f.fr, -11);
  EXPECT_NE(s.usage_for_test(), before);
  s.Rollback(mark);
  EXPECT_EQ(s.usage_for_test(), before);
}

TEST(QuotaStateTest, WeightedShareIsBorrowedOverLendable) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "c", 10), CpuQueue("b", "c", 10), CpuQueue("z", "c", 0)};
  o.cluster_queues[1].fair_sharing_weight = 2;
  o.cluster_queues[2].fair_sharing_weight = 0;
  Fixture f(o);
  QuotaState s(f.model);
  // lendable = potentialAvailable(c) = 20. a uses 15: borrowed 5 -> 5 * 1000 / 20 = 250.
  s.Add(f.Cq("a"), f.fr, 15);
  EXPECT_EQ(s.DominantResourceShare(f.Node("a")), 250);
  EXPECT_DOUBLE_EQ(s.WeightedShare(f.Node("a")), 250);
  // b with 3 more than its nominal, weight 2: (3 * 1000 / 20) / 2 = 75.
  const FlavorResourceAmount extra{f.fr, 13};
  EXPECT_DOUBLE_EQ(s.WeightedShare(f.Node("b"), {&extra, 1}), 75);
  EXPECT_DOUBLE_EQ(s.WeightedShare(f.Node("b")), 0);
  // z has weight 0: not borrowing -> 0; borrowing anything -> +infinity.
  EXPECT_DOUBLE_EQ(s.WeightedShare(f.Node("z")), 0);
  const FlavorResourceAmount one{f.fr, 1};
  EXPECT_TRUE(std::isinf(s.WeightedShare(f.Node("z"), {&one, 1})));
}

}  // namespace
}  // namespace tessera::admission

#include "admission/queue_model.h"

#include <gtest/gtest.h>

#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::Cohort;
using testing::CpuQueue;
using testing::Flavor;
using testing::FlavorQuotas;
using testing::Group;
using testing::Quota;

model::QueueObjects Base() {
  model::QueueObjects o;
  o.flavors = {Flavor("default")};
  return o;
}

std::string BuildError(const model::QueueObjects& o) {
  Result<QueueModel> m = QueueModel::Build(o);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.error().ToString();
}

TEST(QueueModelTest, CompilesTreeWithImplicitCohorts) {
  model::QueueObjects o = Base();
  o.cluster_queues = {CpuQueue("a", "team", 10), CpuQueue("b", "team", 5), CpuQueue("solo", "", 3)};
  o.cohorts = {Cohort("team", "org")};  // "org" has no Cohort object: an implicit root
  o.local_queues = {{"ns1", "lq", "", "a", model::StopPolicy::kNone}};
  o.workload_priority_classes = {{"high", "", 100}};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->num_cluster_queues(), 3u);
  EXPECT_EQ(m->num_nodes(), 5u);  // a, b, solo, team, org
  const QuotaNodeId team = m->FindCohort("team");
  const QuotaNodeId org = m->FindCohort("org");
  ASSERT_TRUE(team.valid() && org.valid());
  EXPECT_TRUE(m->node(org).is_implicit);
  EXPECT_EQ(m->node(team).parent, org);
  EXPECT_EQ(m->node(QueueModel::NodeOf(m->FindClusterQueue("a"))).parent, team);
  EXPECT_FALSE(m->node(QueueModel::NodeOf(m->FindClusterQueue("solo"))).parent.valid());
  EXPECT_EQ(m->roots().size(), 2u);  // solo, org
  const FlavorResource fr = m->Fr(m->FindFlavor("default"), m->FindResource("cpu"));
  // SubtreeQuota(team) = 10 + 5; SubtreeQuota(org) = 15 (team lends everything).
  EXPECT_EQ(m->subtree_quota(team, fr), 15);
  EXPECT_EQ(m->subtree_quota(org, fr), 15);
  EXPECT_EQ(m->cluster_queue(m->local_queues()[0].cluster_queue).name, "a");
  EXPECT_TRUE(m->FindLocalQueue("ns1", "lq").valid());
  EXPECT_EQ(m->FindPriorityClass("high"), 100);
  EXPECT_FALSE(m->FindPriorityClass("low").has_value());
}

TEST(QueueModelTest, DerivesLocalQuotaAndPotentialAvailable) {
  model::QueueObjects o = Base();
  // a: nominal 10, lendingLimit 4 -> localQuota 6; b: nominal 5, borrowingLimit 2.
  o.cluster_queues = {CpuQueue("a", "c", 10, std::nullopt, 4), CpuQueue("b", "c", 5, 2)};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const FlavorResource fr = m->Fr(m->FindFlavor("default"), m->FindResource("cpu"));
  const QuotaNodeId a = QueueModel::NodeOf(m->FindClusterQueue("a"));
  const QuotaNodeId b = QueueModel::NodeOf(m->FindClusterQueue("b"));
  const QuotaNodeId c = m->FindCohort("c");
  EXPECT_EQ(m->local_quota(a, fr), 6);
  EXPECT_EQ(m->local_quota(b, fr), 0);
  EXPECT_EQ(m->subtree_quota(c, fr), 4 + 5);
  // potentialAvailable(a) = 6 + 9 = 15; potentialAvailable(b) = min(0 + 9, 5 + 2) = 7.
  EXPECT_EQ(m->potential_available(a, fr), 15);
  EXPECT_EQ(m->potential_available(b, fr), 7);
  // lendable = potentialAvailable(parent) = 9 for both.
  EXPECT_EQ(m->lendable(a, m->FindResource("cpu")), 9);
}

TEST(QueueModelTest, RejectsResourceInTwoGroups) {
  model::QueueObjects o = Base();
  o.flavors.push_back(Flavor("other"));
  model::ClusterQueueSpec cq = CpuQueue("a", "", 1);
  cq.resource_groups.push_back(Group({"cpu"}, {FlavorQuotas("other", {Quota("cpu", 1)})}));
  o.cluster_queues = {cq};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.resourceGroups[1].coveredResources[0]: resource cpu is already "
            "covered by resourceGroups[0]");
}

TEST(QueueModelTest, RejectsFlavorInTwoGroups) {
  model::QueueObjects o = Base();
  model::ClusterQueueSpec cq = CpuQueue("a", "", 1);
  cq.resource_groups.push_back(Group({"memory"}, {FlavorQuotas("default", {Quota("memory", 1)})}));
  o.cluster_queues = {cq};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.resourceGroups[1].flavors[0].name: flavor default is already "
            "in resourceGroups[0]");
}

TEST(QueueModelTest, RejectsMissingFlavor) {
  model::QueueObjects o;
  o.cluster_queues = {CpuQueue("a", "", 1)};
  o.cluster_queues[0].source = "q.yaml";
  EXPECT_EQ(BuildError(o),
            "q.yaml: ClusterQueue a: spec.resourceGroups[0].flavors[0].name: ResourceFlavor "
            "default not found");
}

TEST(QueueModelTest, RejectsMoreThanSixteenGroups) {
  model::QueueObjects o = Base();
  model::ClusterQueueSpec cq;
  cq.name = "a";
  for (int i = 0; i < 17; ++i) {
    const std::string r = "example.com/r" + std::to_string(i);
    const std::string f = "f" + std::to_string(i);
    o.flavors.push_back(Flavor(f));
    cq.resource_groups.push_back(Group({r}, {FlavorQuotas(f, {Quota(r, 1)})}));
  }
  o.cluster_queues = {cq};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.resourceGroups: must have at most 16 items, has 17");
}

TEST(QueueModelTest, RejectsBorrowingLimitWithoutCohort) {
  model::QueueObjects o = Base();
  o.cluster_queues = {CpuQueue("a", "", 4, 2)};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.resourceGroups[0].flavors[0].resources[0].borrowingLimit: must "
            "be nil when cohort is empty");
}

TEST(QueueModelTest, RejectsCohortCycle) {
  model::QueueObjects o = Base();
  o.cohorts = {Cohort("a", "b"), Cohort("b", "a")};
  EXPECT_EQ(BuildError(o), "Cohort a: spec.parentName: cycle a -> b -> a");
  o.cohorts = {Cohort("x", "x")};
  EXPECT_EQ(BuildError(o), "Cohort x: spec.parentName: cycle x -> x");
}

TEST(QueueModelTest, RejectsLocalQueueWithoutClusterQueue) {
  model::QueueObjects o = Base();
  o.local_queues = {{"team", "lq", "lq.yaml", "missing", model::StopPolicy::kNone}};
  EXPECT_EQ(BuildError(o),
            "lq.yaml: LocalQueue team/lq: spec.clusterQueue: ClusterQueue missing not found");
}

TEST(QueueModelTest, RejectsNegativeQuotaAndLendingAboveNominal) {
  model::QueueObjects o = Base();
  o.cluster_queues = {CpuQueue("a", "c", -1)};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.resourceGroups[0].flavors[0].resources[0].nominalQuota: must "
            "be >= 0");
  o.cluster_queues = {CpuQueue("a", "c", 4, std::nullopt, 5)};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.resourceGroups[0].flavors[0].resources[0].lendingLimit: must "
            "be less than or equal to the nominalQuota");
}

TEST(QueueModelTest, RejectsCohortBorrowingLimitAtRoot) {
  model::QueueObjects o = Base();
  o.cohorts = {
      Cohort("root", "", {Group({"cpu"}, {FlavorQuotas("default", {Quota("cpu", 1, 1)})})})};
  EXPECT_EQ(BuildError(o),
            "Cohort root: spec.resourceGroups[0].flavors[0].resources[0].borrowingLimit: must be "
            "nil when parentName is empty");
}

}  // namespace
}  // namespace tessera::admission

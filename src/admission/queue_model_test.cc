#include "admission/queue_model.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// --- namespaceSelector (issue #5) ---------------------------------------------------------

using Op = model::SelectorOperator;

model::NodeSelectorRequirementSpec Expr(std::string key, Op op,
                                        std::vector<std::string> values = {}) {
  return model::NodeSelectorRequirementSpec{std::move(key), op, std::move(values), false};
}

model::ClusterQueueSpec SelectingQueue(std::string name,
                                       std::optional<model::LabelSelectorSpec> selector) {
  model::ClusterQueueSpec cq = CpuQueue(std::move(name), "", 1);
  cq.namespace_selector = std::move(selector);
  return cq;
}

// Namespaces: "gold-a" {team: a, tier: gold}, "silver-b" {team: b, tier: silver},
// "bare" {} (an object without labels); "ghost" is used but has no Namespace object.
model::QueueObjects WithNamespaces(std::vector<model::ClusterQueueSpec> queues) {
  model::QueueObjects o = Base();
  o.cluster_queues = std::move(queues);
  o.namespaces = {{"gold-a", "", {{"team", "a"}, {"tier", "gold"}}},
                  {"silver-b", "", {{"tier", "silver"}, {"team", "b"}}},
                  {"bare", "", {}}};
  return o;
}

// Which of the four namespaces `cq` admits from, in the order gold-a, silver-b, bare, ghost.
std::string Allowed(const QueueModel& m, std::string_view cq) {
  std::string out;
  for (std::string_view ns : {"gold-a", "silver-b", "bare", "ghost"}) {
    if (!m.NamespaceAllowed(m.FindClusterQueue(cq), ns)) continue;
    if (!out.empty()) out += ",";
    out += ns;
  }
  return out;
}

TEST(QueueModelNamespaceTest, MatchLabelsSelectsNamespacesWithEveryLabel) {
  model::QueueObjects o = WithNamespaces({
      SelectingQueue("team-a", model::LabelSelectorSpec{{{"team", "a"}}, {}}),
      SelectingQueue("team-a-silver",
                     model::LabelSelectorSpec{{{"team", "a"}, {"tier", "silver"}}, {}}),
  });
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(Allowed(*m, "team-a"), "gold-a");
  EXPECT_EQ(Allowed(*m, "team-a-silver"), "");  // the labels are ANDed
}

TEST(QueueModelNamespaceTest, MatchExpressionsFollowKubernetesOperators) {
  model::QueueObjects o = WithNamespaces({
      SelectingQueue("in",
                     model::LabelSelectorSpec{{}, {Expr("tier", Op::kIn, {"silver", "gold"})}}),
      // NotIn also matches namespaces without the key (labels.Requirement.Matches).
      SelectingQueue("not-in", model::LabelSelectorSpec{{}, {Expr("team", Op::kNotIn, {"a"})}}),
      SelectingQueue("exists", model::LabelSelectorSpec{{}, {Expr("team", Op::kExists)}}),
      SelectingQueue("does-not-exist",
                     model::LabelSelectorSpec{{}, {Expr("team", Op::kDoesNotExist)}}),
      // matchLabels and matchExpressions are ANDed.
      SelectingQueue(
          "both", model::LabelSelectorSpec{{{"tier", "gold"}}, {Expr("team", Op::kNotIn, {"b"})}}),
  });
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(Allowed(*m, "in"), "gold-a,silver-b");
  EXPECT_EQ(Allowed(*m, "not-in"), "silver-b,bare,ghost");
  EXPECT_EQ(Allowed(*m, "exists"), "gold-a,silver-b");
  EXPECT_EQ(Allowed(*m, "does-not-exist"), "bare,ghost");
  EXPECT_EQ(Allowed(*m, "both"), "gold-a");
}

TEST(QueueModelNamespaceTest, EmptySelectorSelectsEveryNamespaceAndAbsentSelectsNone) {
  model::QueueObjects o = WithNamespaces({
      SelectingQueue("everyone", model::LabelSelectorSpec{}),  // namespaceSelector: {}
      SelectingQueue("no-one", std::nullopt),                  // namespaceSelector not set
  });
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(Allowed(*m, "everyone"), "gold-a,silver-b,bare,ghost");
  EXPECT_EQ(Allowed(*m, "no-one"), "");
  EXPECT_TRUE(m->cluster_queue(m->FindClusterQueue("everyone")).has_namespace_selector);
  EXPECT_FALSE(m->cluster_queue(m->FindClusterQueue("no-one")).has_namespace_selector);
}

TEST(QueueModelNamespaceTest, NamespaceWithoutObjectHasOnlyItsNameLabel) {
  model::QueueObjects o = WithNamespaces({
      SelectingQueue("by-name",
                     model::LabelSelectorSpec{{{"kubernetes.io/metadata.name", "ghost"}}, {}}),
      SelectingQueue("by-names",
                     model::LabelSelectorSpec{
                         {}, {Expr("kubernetes.io/metadata.name", Op::kIn, {"bare", "gold-a"})}}),
      SelectingQueue(
          "named",
          model::LabelSelectorSpec{{}, {Expr("kubernetes.io/metadata.name", Op::kExists)}}),
  });
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(Allowed(*m, "by-name"), "ghost");
  EXPECT_EQ(Allowed(*m, "by-names"), "gold-a,bare");
  EXPECT_EQ(Allowed(*m, "named"), "gold-a,silver-b,bare,ghost");
  EXPECT_TRUE(m->namespace_labels("ghost").empty());
}

TEST(QueueModelNamespaceTest, ObjectsCarryTheirNameLabelWhateverTheySay) {
  model::QueueObjects o = Base();
  o.cluster_queues = {
      SelectingQueue("q", model::LabelSelectorSpec{{{"kubernetes.io/metadata.name", "real"}}, {}})};
  o.namespaces = {{"real", "", {{"kubernetes.io/metadata.name", "fake"}, {"a", "1"}}},
                  {"fake", "", {}}};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const ClusterQueueId q = m->FindClusterQueue("q");
  EXPECT_TRUE(m->NamespaceAllowed(q, "real"));
  EXPECT_FALSE(m->NamespaceAllowed(q, "fake"));
  const auto labels = m->namespace_labels("real");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(labels[1],
            (std::pair<std::string, std::string>{"kubernetes.io/metadata.name", "real"}));
}

TEST(QueueModelNamespaceTest, RejectsSelectorsLabelSelectorAsSelectorRejects) {
  model::QueueObjects o = Base();
  o.cluster_queues = {SelectingQueue(
      "a", model::LabelSelectorSpec{
               {}, {Expr("tier", Op::kIn, {"gold"}), Expr("size", Op::kGt, {"3"})}})};
  o.cluster_queues[0].source = "q.yaml";
  EXPECT_EQ(BuildError(o),
            "q.yaml: ClusterQueue a: spec.namespaceSelector.matchExpressions[1].operator: \"Gt\" "
            "is not a valid label selector operator");
  o.cluster_queues = {SelectingQueue("a", model::LabelSelectorSpec{{}, {Expr("t", Op::kNotIn)}})};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.namespaceSelector.matchExpressions[0].values: must be non-empty "
            "when operator is NotIn");
  o.cluster_queues = {
      SelectingQueue("a", model::LabelSelectorSpec{{}, {Expr("t", Op::kExists, {"x"})}})};
  EXPECT_EQ(BuildError(o),
            "ClusterQueue a: spec.namespaceSelector.matchExpressions[0].values: must be empty "
            "when operator is Exists");
}

TEST(QueueModelNamespaceTest, RejectsDuplicateNamespace) {
  model::QueueObjects o = Base();
  o.namespaces = {{"ml", "a.yaml", {}}, {"ml", "b.yaml", {}}};
  EXPECT_EQ(BuildError(o), "b.yaml: Namespace ml: duplicate Namespace");
}

}  // namespace
}  // namespace tessera::admission

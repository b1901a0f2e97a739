#include "placement/filters.h"

#include <gtest/gtest.h>

#include "testing/cluster_builder.h"

namespace tessera::placement {
namespace {

using model::NodeId;
using model::NodeSelectorRequirementSpec;
using model::PodId;
using model::SelectorOperator;
using testing::ClusterBuilder;

// Nodes (name order = id): gpu-a (gpus=8, zone=a), gpu-b (gpus=4, zone=b), plain (no labels).
// Returns which nodes the single pod's required affinity admits, e.g. "gpu-a,plain".
std::string Matching(std::vector<std::vector<NodeSelectorRequirementSpec>> terms) {
  ClusterBuilder b;
  b.Node("gpu-a").Label("gpus", "8").Label("zone", "a");
  b.Node("gpu-b").Label("gpus", "4").Label("zone", "b");
  b.Node("plain");
  auto pod = b.Pod("p");
  for (auto& t : terms) pod.AffinityTerm(std::move(t));
  model::Snapshot s = std::move(b).Build();
  std::string out;
  for (size_t n = 0; n < s.num_nodes(); ++n) {
    if (MatchesNodeAffinity(s, PodId(0), NodeId::FromIndex(n))) {
      if (!out.empty()) out += ",";
      out += s.node_name(NodeId::FromIndex(n));
    }
  }
  return out;
}

TEST(FiltersTest, NodeAffinityOperatorsMatchLikeKubernetes) {
  using Op = SelectorOperator;
  EXPECT_EQ(Matching({{{.key = "zone", .op = Op::kIn, .values = {"a", "c"}}}}), "gpu-a");
  EXPECT_EQ(Matching({{{.key = "zone", .op = Op::kNotIn, .values = {"a"}}}}), "gpu-b,plain");
  EXPECT_EQ(Matching({{{.key = "gpus", .op = Op::kExists}}}), "gpu-a,gpu-b");
  EXPECT_EQ(Matching({{{.key = "gpus", .op = Op::kDoesNotExist}}}), "plain");
  EXPECT_EQ(Matching({{{.key = "gpus", .op = Op::kGt, .values = {"4"}}}}), "gpu-a");
  EXPECT_EQ(Matching({{{.key = "gpus", .op = Op::kLt, .values = {"8"}}}}), "gpu-b");
  EXPECT_EQ(Matching({{{.key = "zone", .op = Op::kGt, .values = {"1"}}}}), "");  // not integers
  EXPECT_EQ(Matching({{{.key = "metadata.name", .op = Op::kIn, .values = {"plain"},
                        .is_field = true}}}),
            "plain");
}

TEST(FiltersTest, TermsAreOredAndRequirementsAnded) {
  using Op = SelectorOperator;
  EXPECT_EQ(Matching({{{.key = "zone", .op = Op::kIn, .values = {"a"}},
                       {.key = "gpus", .op = Op::kLt, .values = {"8"}}}}),
            "");
  EXPECT_EQ(Matching({{{.key = "zone", .op = Op::kIn, .values = {"a"}}},
                      {{.key = "gpus", .op = Op::kLt, .values = {"8"}}}}),
            "gpu-a,gpu-b");
  EXPECT_EQ(Matching({{}}), "");  // an empty term matches nothing
}

TEST(FiltersTest, NodeSelectorNeedsEveryLabel) {
  ClusterBuilder b;
  b.Node("n").Label("zone", "a").Label("tier", "gold");
  b.Pod("match").NodeSelector("zone", "a").NodeSelector("tier", "gold");
  b.Pod("miss").NodeSelector("zone", "a").NodeSelector("tier", "silver");
  model::Snapshot s = std::move(b).Build();
  EXPECT_TRUE(MatchesNodeAffinity(s, PodId(0), NodeId(0)));
  EXPECT_FALSE(MatchesNodeAffinity(s, PodId(1), NodeId(0)));
}

TEST(FiltersTest, NoExecuteAndNoScheduleBlockButPreferNoScheduleDoesNot) {
  ClusterBuilder b;
  b.Node("n").Taint("soft", "x", model::TaintEffect::kPreferNoSchedule)
      .Taint("hard", "y", model::TaintEffect::kNoExecute);
  b.Pod("none");
  b.Pod("hard-only").Tolerate("hard", "y", model::TaintEffect::kNoExecute);
  b.Pod("wrong-effect").Tolerate("hard", "y", model::TaintEffect::kNoSchedule);
  model::Snapshot s = std::move(b).Build();
  const model::Taint* t = FirstUntoleratedTaint(s, PodId(0), NodeId(0));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(s.label_key(t->key), "hard");
  EXPECT_EQ(FirstUntoleratedTaint(s, PodId(1), NodeId(0)), nullptr);
  EXPECT_NE(FirstUntoleratedTaint(s, PodId(2), NodeId(0)), nullptr);
}

TEST(FiltersTest, ResourceFitRecordsEachShortfall) {
  ClusterBuilder b;
  b.Node("n").Cpu("2").Memory("1Gi").Pods("5").Extended("nvidia.com/gpu", "1");
  b.Pod("p").Cpu("2").Memory("2Gi").Extended("nvidia.com/gpu", "2");
  model::Snapshot s = std::move(b).Build();
  std::vector<Quantity> used(s.num_resources());
  Rejections r;
  EXPECT_FALSE(FitsResources(s, PodId(0), NodeId(0), used, r));
  ASSERT_EQ(r.size, 2);
  EXPECT_EQ(r.items[0].arg, model::kMemory.value());
  EXPECT_EQ(s.resource_name(model::ResourceId(r.items[1].arg)), "nvidia.com/gpu");
  // Exactly full is a fit: 2 cpu requested of 2.
  used[model::kCpu.index()] = Quantity(0);
  Rejections r2;
  model::Snapshot s2 = [] {
    ClusterBuilder b2;
    b2.Node("n").Cpu("2").Pods("1");
    b2.Pod("p").Cpu("2");
    return std::move(b2).Build();
  }();
  std::vector<Quantity> used2(s2.num_resources());
  EXPECT_TRUE(FitsResources(s2, PodId(0), NodeId(0), used2, r2));
}

}  // namespace
}  // namespace tessera::placement

#include "placement/scorers.h"

#include <gtest/gtest.h>

#include "testing/cluster_builder.h"

namespace tessera::placement {
namespace {

using model::NodeId;
using model::PodId;
using testing::ClusterBuilder;

// The worked example in scorers.h.
TEST(ScorersTest, MatchesTheWorkedExample) {
  ClusterBuilder b;
  b.Node("n").Cpu("4").Memory("16Gi");
  b.Pod("p").Cpu("1").Memory("4Gi");
  model::Snapshot s = std::move(b).Build();
  std::vector<Quantity> used(s.num_resources());
  used[model::kCpu.index()] = Quantity(1000);
  used[model::kMemory.index()] = Quantity(int64_t{4} << 30);
  EXPECT_EQ(ResourceScore(s, PodId(0), NodeId(0), used, ScorePolicy::kLeastAllocated), 50);
  EXPECT_EQ(ResourceScore(s, PodId(0), NodeId(0), used, ScorePolicy::kMostAllocated), 50);
  used[model::kCpu.index()] = Quantity(3000);
  EXPECT_EQ(ResourceScore(s, PodId(0), NodeId(0), used, ScorePolicy::kMostAllocated), 75);
  EXPECT_EQ(ResourceScore(s, PodId(0), NodeId(0), used, ScorePolicy::kLeastAllocated), 25);
}

TEST(ScorersTest, CountsTheExtendedResourcesThePodAsksFor) {
  // 8 GPUs, 6 in use, pod asks 1: least-allocated gpu (8-7)*100/8 = 12; cpu and memory
  // have nothing in use and nothing asked: 100 each -> (100+100+12)/3 = 70.
  ClusterBuilder b;
  b.Node("n").Cpu("4").Memory("16Gi").Extended("nvidia.com/gpu", "8");
  b.Pod("p").Extended("nvidia.com/gpu", "1");
  model::Snapshot s = std::move(b).Build();
  std::vector<Quantity> used(s.num_resources());
  used[s.FindResource("nvidia.com/gpu")->index()] = Quantity(6);
  EXPECT_EQ(ResourceScore(s, PodId(0), NodeId(0), used, ScorePolicy::kLeastAllocated), 70);
}

TEST(ScorersTest, HugeQuantitiesDoNotOverflow) {
  ClusterBuilder b;
  b.Node("n").Cpu("1").Memory("7Ei");
  b.Pod("p").Memory("6Ei");
  model::Snapshot s = std::move(b).Build();
  std::vector<Quantity> used(s.num_resources());
  // memory (7-6)*100/7 = 14, cpu 100 -> 57.
  EXPECT_EQ(ResourceScore(s, PodId(0), NodeId(0), used, ScorePolicy::kLeastAllocated), 57);
}

TEST(ScorersTest, TaintScoreIsReverseNormalised) {
  EXPECT_EQ(NormalizedTaintScore(0, 0), 100);
  EXPECT_EQ(NormalizedTaintScore(1, 2), 50);
  EXPECT_EQ(NormalizedTaintScore(2, 2), 0);
}

}  // namespace
}  // namespace tessera::placement

#include "placement/topology.h"

#include <gtest/gtest.h>

#include "testing/cluster_builder.h"

namespace tessera::placement {
namespace {

using model::NodeId;
using testing::ClusterBuilder;

constexpr char kBlock[] = "block";
constexpr char kRack[] = "rack";
constexpr char kHost[] = "kubernetes.io/hostname";

// Two blocks; b0 has racks r0 (nodes a, b) and r1 (node c); b1 has rack r0 (node d). Rack
// values repeat across blocks on purpose: a domain is a value under its parent. Node e has
// no rack label and is outside the topology.
model::Snapshot Cluster() {
  ClusterBuilder b;
  auto node = [&](const char* name, const char* block, const char* rack) {
    auto n = b.Node(name).Cpu("8").Pods("10").Extended("nvidia.com/gpu", "4");
    n.Label(kBlock, block).Label(kHost, name);
    if (rack != nullptr) n.Label(kRack, rack);
  };
  node("a", "b0", "r0");
  node("b", "b0", "r0");
  node("c", "b0", "r1");
  node("d", "b1", "r0");
  node("e", "b1", nullptr);
  b.Pod("running").Cpu("2").Extended("nvidia.com/gpu", "1").OnNode("a");
  b.Pod("new").Cpu("1").Extended("nvidia.com/gpu", "2");
  return std::move(b).Build();
}

TEST(TopologyIndexTest, BuildsDomainsUnderTheirParents) {
  const model::Snapshot s = Cluster();
  model::Overlay overlay(s);
  TopologyIndex t(s, {kBlock, kRack, kHost}, overlay);
  ASSERT_EQ(t.num_levels(), 3);
  EXPECT_EQ(t.LevelOf(kRack), 1);
  EXPECT_EQ(t.LevelOf("zone"), -1);
  EXPECT_EQ(t.num_domains(0), 2u);
  EXPECT_EQ(t.num_domains(1), 3u);  // b0/r0, b0/r1, b1/r0
  EXPECT_EQ(t.num_domains(2), 4u);
  EXPECT_EQ(t.all_nodes().size(), 4u);  // e is outside
  const NodeId a = *s.FindNode("a"), d = *s.FindNode("d"), e = *s.FindNode("e");
  EXPECT_EQ(t.domain_of(0, e), TopologyIndex::kNone);
  EXPECT_NE(t.domain_of(1, a), t.domain_of(1, d));  // both "r0", different blocks
  EXPECT_EQ(t.domain_value(1, t.domain_of(1, d)), "r0");
  const uint32_t r0 = t.domain_of(1, a);
  ASSERT_EQ(t.nodes(1, r0).size(), 2u);
  EXPECT_EQ(s.node_name(t.nodes(1, r0)[1]), "b");
  EXPECT_EQ(t.children(0, t.domain_of(0, a)).size(), 2u);
  EXPECT_EQ(t.children(-1, 0).size(), 2u);  // the root's children are the blocks
  EXPECT_EQ(t.parent(1, r0), t.domain_of(0, a));
}

TEST(TopologyIndexTest, FreeCapacityFollowsReservationsAtEveryLevel) {
  const model::Snapshot s = Cluster();
  model::Overlay overlay(s);
  TopologyIndex t(s, {kBlock, kRack, kHost}, overlay);
  const NodeId b = *s.FindNode("b");
  const auto gpu = *s.FindResource("nvidia.com/gpu");
  const auto cpu = *s.FindResource("cpu");
  const uint32_t b0 = t.domain_of(0, b), r0 = t.domain_of(1, b);
  // Block b0: 3 nodes x 4 GPUs, minus the running pod's 1.
  EXPECT_EQ(t.free(0, b0)[gpu.index()], 11);
  EXPECT_EQ(t.free(1, r0)[gpu.index()], 7);
  EXPECT_EQ(t.free(1, r0)[cpu.index()], 14'000);  // millicores
  const model::PodId pod = *s.FindPod("default", "new");
  EXPECT_TRUE(t.MayHold(1, r0, pod, 3));   // 7 GPUs hold 3 x 2
  EXPECT_FALSE(t.MayHold(1, r0, pod, 4));
  overlay.Reserve(pod, b);
  t.OnReserve(pod, b);
  EXPECT_EQ(t.free(0, b0)[gpu.index()], 9);
  EXPECT_EQ(t.free(1, r0)[gpu.index()], 5);
  EXPECT_EQ(t.free(2, t.domain_of(2, b))[gpu.index()], 2);
  EXPECT_EQ(t.free(1, r0)[model::kPods.index()], 18);  // 2 x 10, minus running and new
  // Incremental state equals a fresh build from the same overlay.
  TopologyIndex fresh(s, {kBlock, kRack, kHost}, overlay);
  for (int l = 0; l < 3; ++l) {
    for (uint32_t dmn = 0; dmn < t.num_domains(l); ++dmn) {
      EXPECT_TRUE(std::ranges::equal(t.free(l, dmn), fresh.free(l, dmn))) << l << " " << dmn;
    }
  }
  t.OnRelease(pod, b);
  EXPECT_EQ(t.free(0, b0)[gpu.index()], 11);
  EXPECT_EQ(t.free(1, r0)[model::kPods.index()], 19);
}

}  // namespace
}  // namespace tessera::placement

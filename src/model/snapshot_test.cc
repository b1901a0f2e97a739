#include "model/snapshot.h"

#include <gtest/gtest.h>

#include "testing/cluster_builder.h"

namespace tessera::model {
namespace {

using testing::ClusterBuilder;

TEST(SnapshotTest, NodeIdsFollowNameOrderAndRowsAreDense) {
  ClusterBuilder b;
  b.Node("zeta").Cpu("2").Memory("1Gi");
  b.Node("alpha").Cpu("500m").Extended("nvidia.com/gpu", "8");
  Snapshot s = std::move(b).Build();
  ASSERT_EQ(s.num_nodes(), 2u);
  EXPECT_EQ(s.node_name(NodeId(0)), "alpha");
  EXPECT_EQ(s.node_name(NodeId(1)), "zeta");
  EXPECT_EQ(*s.FindNode("zeta"), NodeId(1));
  EXPECT_FALSE(s.FindNode("beta").has_value());
  auto gpu = s.FindResource("nvidia.com/gpu");
  ASSERT_TRUE(gpu.has_value());
  EXPECT_EQ(s.num_resources(), 5u);  // cpu, memory, pods, ephemeral-storage, nvidia.com/gpu
  EXPECT_EQ(s.allocatable(NodeId(0), kCpu), Quantity(500));
  EXPECT_EQ(s.allocatable(NodeId(0), *gpu), Quantity(8));
  EXPECT_EQ(s.allocatable(NodeId(1), *gpu), Quantity(0));
  EXPECT_EQ(s.allocatable(NodeId(1), kMemory), Quantity(int64_t{1} << 30));
}

TEST(SnapshotTest, LabelsAreSortedAndFoundByKey) {
  ClusterBuilder b;
  b.Node("n").Label("zone", "a").Label("arch", "arm64").Label("gpu-count", "8");
  Snapshot s = std::move(b).Build();
  auto zone = s.FindLabelKey("zone");
  ASSERT_TRUE(zone.has_value());
  auto value = s.NodeLabel(NodeId(0), *zone);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(s.label_value(*value), "a");
  auto count = s.NodeLabel(NodeId(0), *s.FindLabelKey("gpu-count"));
  EXPECT_EQ(s.label_value_int(*count), 8);
  EXPECT_FALSE(s.label_value_int(*value).has_value());
}

TEST(SnapshotTest, BoundPodsAddUpOnTheirNode) {
  ClusterBuilder b;
  b.Node("n").Cpu("4");
  b.Pod("a").Cpu("1500m").OnNode("n");
  b.Pod("b").Cpu("1").OnNode("n");
  b.Pod("pending").Cpu("1");
  Snapshot s = std::move(b).Build();
  auto usage = s.bound_usage();
  EXPECT_EQ(usage[kCpu.index()], Quantity(2500));
  EXPECT_EQ(usage[kPods.index()], Quantity(2));
  EXPECT_EQ(s.pod(PodId(0)).node, NodeId(0));
  EXPECT_FALSE(s.pod(PodId(2)).node.valid());
}

TEST(SnapshotTest, RejectsDuplicateNodesNamingBothFiles) {
  SnapshotBuilder b;
  b.AddNode({.name = "n", .source = "a.yaml"});
  b.AddNode({.name = "n", .source = "b.yaml"});
  auto s = std::move(b).Build();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "b.yaml: Node n: metadata.name: duplicate Node \"n\" (first defined in a.yaml)");
}

TEST(SnapshotTest, RejectsPodOnMissingNode) {
  ClusterBuilder b;
  b.Pod("p").OnNode("ghost");
  auto s = std::move(b).TryBuild();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "test: Pod default/p: spec.nodeName: node \"ghost\" does not exist");
}

TEST(SnapshotTest, RejectsPodReferencingMissingClaim) {
  ClusterBuilder b;
  b.Claim("other-namespace", "gpu");
  b.Pod("p").Claim("gpu", "gpu");
  auto s = std::move(b).TryBuild();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "test: Pod default/p: spec.resourceClaims[0].resourceClaimName: ResourceClaim "
            "\"default/gpu\" does not exist");
}

TEST(SnapshotTest, RejectsNonIntegerGtOperand) {
  ClusterBuilder b;
  b.Pod("p").AffinityTerm({{.key = "gpus", .op = SelectorOperator::kGt, .values = {"many"}}});
  auto s = std::move(b).TryBuild();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "test: Pod default/p: spec.affinity.nodeAffinity.requiredDuringScheduling"
            "IgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: operator Gt "
            "needs exactly one integer value");
}

TEST(SnapshotTest, RejectsOverflowOfBoundUsage) {
  ClusterBuilder b;
  b.Node("n").Memory("1Ei");
  b.Pod("a").Memory("7Ei").OnNode("n");
  b.Pod("b").Memory("7Ei").OnNode("n");
  auto s = std::move(b).TryBuild();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().ToString().find("test: Pod default/b: spec.nodeName: quantity overflow"),
            std::string::npos)
      << s.error().ToString();
}

TEST(SnapshotTest, DevicesBecomeColumnsWithQualifiedAttributeNames) {
  SnapshotBuilder b;
  b.AddNode({.name = "gpu-node"});
  ResourceSliceSpec slice;
  slice.name = "gpu-node-gpu.example.com";
  slice.driver = "gpu.example.com";
  slice.pool = "gpu-node";
  slice.node_name = "gpu-node";
  for (int i = 0; i < 2; ++i) {
    DeviceSpec dev;
    dev.name = "gpu-" + std::to_string(i);
    dev.attributes.push_back({"model", std::string("A100")});
    dev.attributes.push_back({"resource.kubernetes.io/pcieRoot", std::string("pci0")});
    dev.attributes.push_back({"index", int64_t{i}});
    dev.capacity.push_back({"memory", Quantity(int64_t{80} << 30)});
    slice.devices.push_back(dev);
  }
  b.AddResourceSlice(slice);
  auto s = std::move(b).Build();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  const DeviceTable& d = s->devices();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.node[1], NodeId(0));
  EXPECT_EQ(d.name[1], "gpu-1");
  ASSERT_EQ(d.attributes[1].size(), 3u);
  const DeviceAttribute& model_attr = d.attribute_values[d.attributes[1].begin];
  EXPECT_EQ(s->attribute_names().Name(model_attr.name), "gpu.example.com/model");
  EXPECT_EQ(s->attribute_strings().Name(model_attr.string_value), "A100");
  EXPECT_EQ(s->attribute_names().Name(d.attribute_values[d.attributes[1].begin + 1].name),
            "resource.kubernetes.io/pcieRoot");
  EXPECT_EQ(d.attribute_values[d.attributes[1].begin + 2].int_value, 1);
  EXPECT_EQ(d.capacity_values[d.capacities[0].begin].value, Quantity(int64_t{80} << 30));
}

TEST(SnapshotTest, TolerationMatchingFollowsKubernetes) {
  Taint taint{LabelKeyId(1), LabelValueId(2), TaintEffect::kNoSchedule};
  EXPECT_TRUE(Tolerates({LabelKeyId(1), TolerationOperator::kEqual, LabelValueId(2)}, taint));
  EXPECT_FALSE(Tolerates({LabelKeyId(1), TolerationOperator::kEqual, LabelValueId(3)}, taint));
  EXPECT_TRUE(Tolerates({LabelKeyId(1), TolerationOperator::kExists, LabelValueId(3)}, taint));
  EXPECT_TRUE(Tolerates({LabelKeyId(), TolerationOperator::kExists, LabelValueId()}, taint));
  EXPECT_FALSE(Tolerates({LabelKeyId(), TolerationOperator::kEqual, LabelValueId(2)}, taint));
  EXPECT_FALSE(Tolerates({LabelKeyId(1), TolerationOperator::kExists, LabelValueId(), false,
                          TaintEffect::kNoExecute},
                         taint));
}

}  // namespace
}  // namespace tessera::model

namespace tessera::model {
namespace {

// The size the model is built for: 10,000 nodes with 16 devices each. Checks that building
// stays linear (well under a few seconds even in Debug) and that the tables are dense.
TEST(SnapshotScaleTest, Builds10kNodesWith16DevicesEach) {
  constexpr int kNodes = 10'000;
  constexpr int kDevicesPerNode = 16;
  SnapshotBuilder b;
  for (int n = 0; n < kNodes; ++n) {
    std::string name = "node-" + std::to_string(n);
    b.AddNode({.name = name,
               .labels = {{"rack", "r" + std::to_string(n / 32)}},
               .allocatable = {{"cpu", Quantity(128'000)}, {"memory", Quantity(int64_t{1} << 40)},
                               {"pods", Quantity(110)}}});
    ResourceSliceSpec slice;
    slice.name = name + "-gpus";
    slice.driver = "gpu.example.com";
    slice.pool = name;
    slice.node_name = name;
    for (int d = 0; d < kDevicesPerNode; ++d) {
      DeviceSpec dev;
      dev.name = "gpu-" + std::to_string(d);
      dev.attributes = {{"model", std::string("H100")}, {"nvlink", int64_t{d / 8}}};
      dev.capacity = {{"memory", Quantity(int64_t{80} << 30)}};
      slice.devices.push_back(std::move(dev));
    }
    b.AddResourceSlice(std::move(slice));
  }
  auto s = std::move(b).Build();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->num_nodes(), size_t{kNodes});
  EXPECT_EQ(s->devices().size(), size_t{kNodes} * kDevicesPerNode);
  EXPECT_EQ(s->attribute_names().size(), 3u);  // model, nvlink, memory: interned once
  EXPECT_EQ(s->attribute_strings().size(), 1u);
  auto node = s->FindNode("node-9999");
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(s->devices().node[s->devices().size() - 1], *node);
  EXPECT_EQ(s->allocatable(*node, kCpu), Quantity(128'000));
}

}  // namespace
}  // namespace tessera::model

// Kueue's multi-layer slices (podset-slice-required-topology-constraints) placed by the
// engine: hand-computed placements on 2 blocks x 2 racks x 2 nodes x 8 GPUs (the KEP-2724
// example scaled down), a gang that waits because an inner layer fits nowhere though the
// capacity would hold its pods, layer levels the Topology does not order, and the overlay bit
// for bit after a failed gang.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/gang_test_run.h"
#include "testing/cluster_builder.h"
#include "testing/racked_cluster.h"

namespace tessera::engine {
namespace {

using model::GangKind;
using model::GangMemberSpec;
using model::GangObjects;
using model::GangSpec;
using model::Outcome;
using model::SliceLayerSpec;
using testing::ClusterBuilder;
using testing::kBlock;
using testing::kHost;
using testing::kRack;
using testing::NodeName;

// 2 blocks x 2 racks x 2 nodes, 8 GPUs and 64 cpu per node (testing/racked_cluster.h).
void AddCluster(ClusterBuilder& b) { testing::AddRackedCluster(b, 2, 2, 2); }

GangObjects Topology() { return testing::RackedTopology(); }

// A member `name` of `count` one-GPU pods named <prefix>-<i>, added to `gang`.
GangMemberSpec& AddMember(ClusterBuilder& b, GangSpec& gang, const std::string& name,
                          const std::string& prefix, int count, int64_t created) {
  GangMemberSpec member{.name = name};
  for (int i = 0; i < count; ++i) {
    const std::string pod = fmt::format("{}-{}", prefix, i);
    b.Pod(pod).Cpu("1").Extended("nvidia.com/gpu", "1").Created(created);
    member.pod_names.push_back(pod);
  }
  gang.members.push_back(std::move(member));
  return gang.members.back();
}

// A Job-like gang `name` of `count` one-GPU pods: its member "main".
GangMemberSpec& AddJob(ClusterBuilder& b, GangObjects& objects, const std::string& name,
                       int count, int64_t created = 0) {
  objects.gangs.push_back({.name = name, .source = "test", .kind = GangKind::kJob});
  return AddMember(b, objects.gangs.back(), "main", name, count, created);
}

// A running pod using `gpus` GPUs of `node`; priority 100, so not preemptible: consolidation
// leaves it where it is.
void AddRunning(ClusterBuilder& b, const std::string& node, const std::string& gpus) {
  b.Pod("running-" + node).Cpu("1").Extended("nvidia.com/gpu", gpus).Priority(100).OnNode(node);
}

using SliceRun = testing_gangs::GangRunResult;

SliceRun Schedule(ClusterBuilder&& b, const GangObjects& objects) {
  return testing_gangs::ScheduleGangs(std::move(b), objects);
}

TEST(SliceLayersTest, KepExampleScaledDownFillsEachRackAndEachNode) {
  // 32 one-GPU pods, required block, layers rack 16 / hostname 8. Units of 8 per node: 1
  // each; slices of 16 per rack: 2 units / 2 = 1; per block 2. Both blocks hold the 2 slices
  // and tie: b0. Inside it each rack takes one slice, each node one group of 8.
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangMemberSpec& m = AddJob(b, objects, "train", 32);
  m.topology.required_level = kBlock;
  m.topology.slices = {{kRack, 16}, {kHost, 8}};
  const SliceRun run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Nodes("train", 32), (std::map<std::string, int>{{"b0-r0-n0", 8},
                                                                 {"b0-r0-n1", 8},
                                                                 {"b0-r1-n0", 8},
                                                                 {"b0-r1-n1", 8}}));
}

TEST(SliceLayersTest, RoomIsCountedInWholeGroupsOfEveryLayer) {
  // One GPU in use on b0-r0-n0. 16 pods, required block, layers rack 16 / hostname 8: b0-r0's
  // nodes hold 0 and 1 groups of 8 (7 and 8 GPUs free), so b0-r0 holds 0 slices of 16 though
  // it has 15 GPUs free; b0 holds 1 slice (b0-r1), b1 holds 2. BestFit: the tightest block
  // that fits, b0, and in it the only rack with a slice.
  ClusterBuilder b;
  AddCluster(b);
  AddRunning(b, "b0-r0-n0", "1");
  GangObjects objects = Topology();
  GangMemberSpec& m = AddJob(b, objects, "train", 16);
  m.topology.required_level = kBlock;
  m.topology.slices = {{kRack, 16}, {kHost, 8}};
  const SliceRun run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Nodes("train", 16),
            (std::map<std::string, int>{{"b0-r1-n0", 8}, {"b0-r1-n1", 8}}));
}

TEST(SliceLayersTest, AnInnerLayerThatFitsNowhereKeepsTheGangWaiting) {
  // In every rack n0 has 7 GPUs free and n1 3: 10 per rack, 40 in all. A gang of 8 pods with
  // layers rack 8 / hostname 4 needs a rack whose nodes hold two groups of 4; each rack's
  // hold one (7 / 4 = 1, 3 / 4 = 0): no rack holds a slice, with or without a required block.
  // The same pods with the single layer rack 8 fit: 7 on the roomiest node, 1 on the other.
  ClusterBuilder b;
  AddCluster(b);
  for (int bl = 0; bl < 2; ++bl) {
    for (int r = 0; r < 2; ++r) {
      AddRunning(b, NodeName(bl, r, 0), "1");
      AddRunning(b, NodeName(bl, r, 1), "5");
    }
  }
  GangObjects objects = Topology();
  AddJob(b, objects, "layered", 8, 1).topology.slices = {{kRack, 8}, {kHost, 4}};
  GangMemberSpec& required = AddJob(b, objects, "required", 8, 2);
  required.topology.required_level = kBlock;
  required.topology.slices = {{kRack, 8}, {kHost, 4}};
  AddJob(b, objects, "single", 8, 3).topology.slices = {{kRack, 8}};
  const SliceRun run = Schedule(std::move(b), objects);
  for (int i = 0; i < 8; ++i) {
    const model::Decision& d = run.Of(fmt::format("layered-{}", i));
    EXPECT_EQ(d.outcome, Outcome::kWaiting);
    EXPECT_EQ(d.message,
              "Job default/layered: member main needs 1 slices of 8 pods, each in one "
              "cloud.provider.com/topology-rack domain, in groups of 4 pods each in one "
              "kubernetes.io/hostname domain; there is room for 0 slices");
  }
  EXPECT_EQ(run.Of("required-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("required-0").message,
            "Job default/required: member main needs 1 slices of 8 pods in one "
            "cloud.provider.com/topology-block domain, each slice in one "
            "cloud.provider.com/topology-rack domain, in groups of 4 pods each in one "
            "kubernetes.io/hostname domain; the roomiest has room for 0 slices");
  EXPECT_EQ(run.Nodes("single", 8), (std::map<std::string, int>{{"b0-r0-n0", 7}, {"b0-r0-n1", 1}}));
}

TEST(SliceLayersTest, LayersMustGetFinerAlongTheTopology) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  AddJob(b, objects, "upside", 16, 1).topology.slices = {{kHost, 16}, {kRack, 8}};
  GangMemberSpec& coarse = AddJob(b, objects, "coarse", 16, 2);
  coarse.topology.required_level = kRack;
  coarse.topology.slices = {{kBlock, 16}, {kHost, 8}};
  const SliceRun run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Of("upside-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("upside-0").message,
            "Job default/upside: member main: slice layer [1] level "
            "\"cloud.provider.com/topology-rack\" is not finer than layer [0] level "
            "\"kubernetes.io/hostname\" (the levels from coarse to fine: "
            "cloud.provider.com/topology-block, cloud.provider.com/topology-rack, "
            "kubernetes.io/hostname)");
  EXPECT_EQ(run.Of("coarse-0").message,
            "Job default/coarse: member main: slice level \"cloud.provider.com/topology-block\" "
            "is coarser than the required level \"cloud.provider.com/topology-rack\"");
}

TEST(SliceLayersTest, AFailedGangLeavesTheOverlayBitForBitUnchanged) {
  // Member a (16 pods, layers rack 16 / hostname 8) fits and is placed first (b0-r0); member b
  // (40 pods in one block of 32 GPUs) cannot: the gang places nothing, and the overlay is the
  // snapshot's, bit for bit.
  auto build = [](ClusterBuilder& b, GangObjects& objects) {
    AddCluster(b);
    objects.gangs.push_back({.name = "big", .source = "test", .kind = GangKind::kJobSet});
    GangSpec& gang = objects.gangs.back();
    AddMember(b, gang, "a", "big-a", 16, 1).topology.slices = {{kRack, 16}, {kHost, 8}};
    AddMember(b, gang, "b", "big-b", 40, 1).topology.required_level = kBlock;
  };
  ClusterBuilder b;
  GangObjects objects = Topology();
  build(b, objects);
  model::Snapshot snapshot = std::move(b).Build();
  model::Overlay overlay(snapshot);
  auto engine = Engine::Create(snapshot, Options{.gangs = &objects, .check = true}, &overlay);
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  const ScheduleResult result = (*engine)->ScheduleAll();
  EXPECT_EQ(result.check_error, "");
  const model::Overlay fresh(snapshot);
  EXPECT_TRUE(std::ranges::equal(overlay.used_for_test(), fresh.used_for_test()));
  EXPECT_TRUE(std::ranges::equal(overlay.pod_nodes_for_test(), fresh.pod_nodes_for_test()));
  const model::Decision& a0 = result.decisions[snapshot.FindPod("default", "big-a-0")->index()];
  EXPECT_EQ(a0.outcome, Outcome::kWaiting);
  EXPECT_EQ(a0.message,
            "JobSet default/big: member b needs 40 pods in one "
            "cloud.provider.com/topology-block domain; the roomiest has room for 32");

  // The topology's free capacity is back too: a later gang needing whole nodes of b0-r0
  // (where member a had been) gets them: 32 pods, layers rack 16 / hostname 8, in one block.
  ClusterBuilder b2;
  GangObjects objects2 = Topology();
  build(b2, objects2);
  GangMemberSpec& later = AddJob(b2, objects2, "later", 32, 2);
  later.topology.required_level = kBlock;
  later.topology.slices = {{kRack, 16}, {kHost, 8}};
  const SliceRun run = Schedule(std::move(b2), objects2);
  EXPECT_EQ(run.Nodes("big-a", 16), (std::map<std::string, int>{{"", 16}}));
  EXPECT_EQ(run.Nodes("later", 32), (std::map<std::string, int>{{"b0-r0-n0", 8},
                                                                 {"b0-r0-n1", 8},
                                                                 {"b0-r1-n0", 8},
                                                                 {"b0-r1-n1", 8}}));
}

}  // namespace
}  // namespace tessera::engine

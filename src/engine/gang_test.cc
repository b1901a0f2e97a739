// Gangs and topology: hand-computed placements on a 2 blocks x 4 racks x 4 nodes x 8 GPUs
// cluster, all-or-nothing with the overlay bit-for-bit unchanged after a failed attempt, and
// a seeded random run of 100,000 pod decisions where no gang is ever partly placed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

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
using testing::ClusterBuilder;
using testing::kBlock;
using testing::kHost;
using testing::kRack;
using testing::NodeName;

// 2 blocks x 4 racks x 4 nodes, 8 GPUs and 64 cpu per node (testing/racked_cluster.h).
void AddCluster(ClusterBuilder& b) { testing::AddRackedCluster(b, 2, 4, 4); }

GangObjects Topology() { return testing::RackedTopology(); }

// A Job-like gang `name` of `count` pods with `gpus` GPUs each.
GangSpec& AddGang(ClusterBuilder& b, GangObjects& objects, const std::string& name, int count,
                  const std::string& gpus, int64_t created = 0) {
  GangSpec gang{.name = name, .source = "test", .kind = GangKind::kJob};
  GangMemberSpec member{.name = "main"};
  for (int i = 0; i < count; ++i) {
    const std::string pod = fmt::format("{}-{}", name, i);
    b.Pod(pod).Cpu("1").Extended("nvidia.com/gpu", gpus).Created(created);
    member.pod_names.push_back(pod);
  }
  gang.members.push_back(std::move(member));
  objects.gangs.push_back(std::move(gang));
  return objects.gangs.back();
}

using testing_gangs::GangRunResult;

GangRunResult Schedule(ClusterBuilder&& b, const GangObjects& objects) {
  GangRunResult run = testing_gangs::ScheduleGangs(std::move(b), objects);
  // The invariant checker ran after every decision (gangs whole, nothing over-allocated).
  EXPECT_GT(run.result.checked_decisions, 0u);
  return run;
}

TEST(GangTopologyTest, RequiredRackWaitsWhenNoRackHoldsTheGang) {
  // 16 pods x 4 GPUs = 64 GPUs; a rack has 4 x 8 = 32: no rack can hold it.
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  AddGang(b, objects, "train", 16, "4").members[0].topology.required_level = kRack;
  GangRunResult run = Schedule(std::move(b), objects);
  for (int i = 0; i < 16; ++i) {
    const model::Decision& d = run.Of(fmt::format("train-{}", i));
    EXPECT_EQ(d.outcome, Outcome::kWaiting);
    EXPECT_EQ(d.message,
              "Job default/train: member main needs 16 pods in one "
              "cloud.provider.com/topology-rack domain; the roomiest has room for 8");
  }
}

TEST(GangTopologyTest, PreferredRackSpillsToTwoRacksOfOneBlock) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  AddGang(b, objects, "train", 16, "4").members[0].topology.preferred_level = kRack;
  GangRunResult run = Schedule(std::move(b), objects);
  // No rack fits; the tightest block that fits is b0 (tie with b1, lowest first); inside it
  // the roomiest rack takes 8 and the tightest rack that holds the other 8 is the next.
  EXPECT_EQ(run.Racks("train", 16), (std::map<std::string, int>{{"b0-r0", 8}, {"b0-r1", 8}}));
  // 8 pods of 4 GPUs in a rack of 4 nodes: 2 per node, each node full.
  EXPECT_EQ(run.NodeOf("train-0"), "b0-r0-n0");
  EXPECT_EQ(run.NodeOf("train-1"), "b0-r0-n0");
  EXPECT_EQ(run.NodeOf("train-15"), "b0-r1-n3");
}

TEST(GangTopologyTest, SlicesOfFourLandFourToARack) {
  // 16 pods x 8 GPUs (one node each), slices of 4 required in one rack: a rack holds
  // exactly one slice, so 4 racks, 4 pods each, all in block b0.
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangMemberSpec& m = AddGang(b, objects, "train", 16, "8").members[0];
  m.topology.slices = {{kRack, 4}};
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Racks("train", 16),
            (std::map<std::string, int>{{"b0-r0", 4}, {"b0-r1", 4}, {"b0-r2", 4}, {"b0-r3", 4}}));
}

TEST(GangTopologyTest, SlicesThatDoNotDivideThePodsAreRefused) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangMemberSpec& m = AddGang(b, objects, "train", 6, "8").members[0];
  m.topology.slices = {{kRack, 4}};
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Of("train-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("train-0").message,
            "Job default/train: member main: podset-slice-size 4 does not "
            "divide its 6 pods");
}

TEST(GangTopologyTest, RequiredBlockTakesTheBlockThatStillFits) {
  // One GPU in use in b0 leaves it 127 GPUs: 16 whole-node pods only fit in b1.
  ClusterBuilder b;
  AddCluster(b);
  b.Pod("running").Cpu("1").Extended("nvidia.com/gpu", "1").OnNode("b0-r0-n0");
  GangObjects objects = Topology();
  AddGang(b, objects, "train", 16, "8").members[0].topology.required_level = kBlock;
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Racks("train", 16),
            (std::map<std::string, int>{{"b1-r0", 4}, {"b1-r1", 4}, {"b1-r2", 4}, {"b1-r3", 4}}));
}

TEST(GangTopologyTest, BestFitTakesTheTightestRackAndKeepsBigDomainsWhole) {
  ClusterBuilder b;
  AddCluster(b);
  // b0-r0-n0 full: rack b0-r0 has room for 3 whole-node pods, every other rack for 4.
  b.Pod("running").Cpu("1").Extended("nvidia.com/gpu", "8").OnNode("b0-r0-n0");
  GangObjects objects = Topology();
  AddGang(b, objects, "three", 3, "8", 1).members[0].topology.required_level = kRack;
  AddGang(b, objects, "four", 4, "8", 2).members[0].topology.required_level = kRack;
  GangRunResult run = Schedule(std::move(b), objects);
  // "three" goes to the tightest rack that fits it; "four" ties between seven full racks
  // and takes one in b0, whose block has less room, so block b1 stays whole.
  EXPECT_EQ(run.Racks("three", 3), (std::map<std::string, int>{{"b0-r0", 3}}));
  EXPECT_EQ(run.Racks("four", 4), (std::map<std::string, int>{{"b0-r1", 4}}));
}

TEST(GangTopologyTest, UnconstrainedFillsTheFullestNodesFirst) {
  ClusterBuilder b;
  AddCluster(b);
  b.Pod("running-a").Cpu("1").Extended("nvidia.com/gpu", "6").OnNode("b1-r3-n3");
  b.Pod("running-b").Cpu("1").Extended("nvidia.com/gpu", "4").OnNode("b1-r2-n0");
  GangObjects objects = Topology();
  AddGang(b, objects, "fill", 3, "2").members[0].topology.unconstrained = true;
  GangRunResult run = Schedule(std::move(b), objects);
  // Least free first: b1-r3-n3 has room for 1 pod, b1-r2-n0 for 2.
  EXPECT_EQ(run.NodeOf("fill-0"), "b1-r3-n3");
  EXPECT_EQ(run.NodeOf("fill-1"), "b1-r2-n0");
  EXPECT_EQ(run.NodeOf("fill-2"), "b1-r2-n0");
}

TEST(GangTest, AllOrNothingLeavesTheOverlayBitForBitUnchanged) {
  // Three pods of 8 GPUs on a two-node cluster: two would fit, the gang places none.
  ClusterBuilder b;
  b.Node("n0").Cpu("8").Pods("110").Extended("nvidia.com/gpu", "8");
  b.Node("n1").Cpu("8").Pods("110").Extended("nvidia.com/gpu", "8");
  b.Pod("single").Cpu("1").Created(0);
  GangObjects objects;
  AddGang(b, objects, "big", 3, "8", 5);
  model::Snapshot snapshot = std::move(b).Build();
  model::Overlay overlay(snapshot);
  auto engine = Engine::Create(snapshot, Options{.gangs = &objects}, &overlay);
  ASSERT_TRUE(engine.ok());
  const ScheduleResult result = (*engine)->ScheduleAll();
  // What the overlay must be: only "single" reserved, on n0.
  model::Overlay expected(snapshot);
  expected.Reserve(*snapshot.FindPod("default", "single"), *snapshot.FindNode("n0"));
  expected.Commit();
  EXPECT_TRUE(std::ranges::equal(overlay.used_for_test(), expected.used_for_test()));
  EXPECT_TRUE(std::ranges::equal(overlay.pod_nodes_for_test(), expected.pod_nodes_for_test()));
  for (int i = 0; i < 3; ++i) {
    const auto& d = result.decisions[snapshot.FindPod("default", fmt::format("big-{}", i))->index()];
    EXPECT_EQ(d.outcome, Outcome::kWaiting);
    EXPECT_EQ(d.message, "Job default/big: pod default/big-2 of member main fits no node");
  }
}

TEST(GangTest, MinMemberStartsWithWhatFitsAboveTheMinimum) {
  ClusterBuilder b;
  b.Node("n0").Cpu("8").Pods("110").Extended("nvidia.com/gpu", "8");
  b.Node("n1").Cpu("8").Pods("110").Extended("nvidia.com/gpu", "8");
  GangObjects objects;
  GangSpec& g = AddGang(b, objects, "elastic", 3, "8");
  g.kind = GangKind::kKaiPodGroup;
  g.min_member = 2;
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.NodeOf("elastic-0"), "n0");
  EXPECT_EQ(run.NodeOf("elastic-1"), "n1");
  EXPECT_EQ(run.Of("elastic-2").outcome, Outcome::kWaiting);
  // minMember 4 of 3 pods: can never start.
  ClusterBuilder b2;
  b2.Node("n0").Cpu("8").Pods("110").Extended("nvidia.com/gpu", "8");
  GangObjects objects2;
  GangSpec& g2 = AddGang(b2, objects2, "short", 1, "1");
  g2.kind = GangKind::kVolcanoPodGroup;
  g2.min_member = 2;
  GangRunResult run2 = Schedule(std::move(b2), objects2);
  EXPECT_EQ(run2.Of("short-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run2.Of("short-0").message, "PodGroup default/short: 1 of its 1 pods fit; minMember is 2");
}

TEST(GangTest, KaiSubgroupsEachInARackAllInOneBlock) {
  ClusterBuilder b;
  AddCluster(b);
  // Fill block b0 but for one node per rack, so that b0 cannot hold both subgroups.
  for (int r = 0; r < 4; ++r) {
    for (int n = 0; n < 3; ++n) {
      b.Pod(fmt::format("busy-{}-{}", r, n)).Cpu("1").Extended("nvidia.com/gpu", "8").OnNode(NodeName(0, r, n));
    }
  }
  GangObjects objects = Topology();
  GangSpec gang{.name = "pg", .source = "test", .kind = GangKind::kKaiPodGroup};
  gang.topology = {.topology = "default", .required_level = kBlock};
  for (const char* sub : {"a", "b"}) {
    GangMemberSpec m{.name = sub};
    m.topology = {.topology = "default", .required_level = kRack};
    for (int i = 0; i < 3; ++i) {
      const std::string pod = fmt::format("{}-{}", sub, i);
      b.Pod(pod).Cpu("1").Extended("nvidia.com/gpu", "8");
      m.pod_names.push_back(pod);
    }
    gang.members.push_back(std::move(m));
  }
  objects.gangs.push_back(gang);
  GangRunResult run = Schedule(std::move(b), objects);
  std::set<std::string> racks_a, racks_b;
  for (int i = 0; i < 3; ++i) {
    const std::string na = run.NodeOf(fmt::format("a-{}", i));
    const std::string nb = run.NodeOf(fmt::format("b-{}", i));
    ASSERT_FALSE(na.empty());
    ASSERT_FALSE(nb.empty());
    EXPECT_EQ(na.substr(0, 2), "b1");
    EXPECT_EQ(nb.substr(0, 2), "b1");
    racks_a.insert(na.substr(0, na.rfind('-')));
    racks_b.insert(nb.substr(0, nb.rfind('-')));
  }
  EXPECT_EQ(racks_a.size(), 1u);
  EXPECT_EQ(racks_b.size(), 1u);
}

TEST(GangTest, MissingTopologyKeepsTheGangWaitingWithTheReason) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangSpec& g = AddGang(b, objects, "x", 2, "1");
  g.kind = GangKind::kKaiPodGroup;
  g.topology = {.topology = "nope", .required_level = kRack};
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Of("x-0").message, "PodGroup default/x: Topology \"nope\" does not exist");
}

TEST(GangTest, JobSetExclusiveTopologyGivesEveryJobItsOwnRack) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangSpec gang{.name = "js", .source = "test", .kind = GangKind::kJobSet, .exclusive_topology = kRack};
  GangMemberSpec m{.name = "workers", .pods_per_job = 2};
  for (int j = 0; j < 3; ++j) {
    for (int p = 0; p < 2; ++p) {
      const std::string pod = fmt::format("js-workers-{}-{}", j, p);
      b.Pod(pod).Cpu("1").Extended("nvidia.com/gpu", "1");
      m.pod_names.push_back(pod);
    }
  }
  gang.members.push_back(std::move(m));
  objects.gangs.push_back(gang);
  GangRunResult run = Schedule(std::move(b), objects);
  std::set<std::string> racks;
  for (int j = 0; j < 3; ++j) {
    const std::string n0 = run.NodeOf(fmt::format("js-workers-{}-0", j));
    const std::string n1 = run.NodeOf(fmt::format("js-workers-{}-1", j));
    ASSERT_FALSE(n0.empty());
    EXPECT_EQ(n0.substr(0, n0.rfind('-')), n1.substr(0, n1.rfind('-')));
    racks.insert(n0.substr(0, n0.rfind('-')));
  }
  EXPECT_EQ(racks.size(), 3u);  // three Jobs, three racks
}

// Random clusters and gangs; over 100,000 pod decisions every gang is placed with at least
// its minimum or not at all, no node is over-allocated, and required domains hold.
TEST(GangPropertyTest, GangsAreNeverPartlyPlaced) {
  std::mt19937_64 rng(20261201);
  int64_t decisions = 0;
  int64_t gangs_placed = 0, gangs_waiting = 0;
  for (int round = 0; decisions < 100'000; ++round) {
    ClusterBuilder b;
    const int blocks = 1 + static_cast<int>(rng() % 2), racks = 2 + static_cast<int>(rng() % 3),
              nodes = 2 + static_cast<int>(rng() % 4);
    for (int bl = 0; bl < blocks; ++bl) {
      for (int r = 0; r < racks; ++r) {
        for (int n = 0; n < nodes; ++n) {
          b.Node(NodeName(bl, r, n)).Cpu("32").Pods("110").Extended("nvidia.com/gpu", "8")
              .Label(kBlock, fmt::format("b{}", bl)).Label(kRack, fmt::format("b{}-r{}", bl, r))
              .Label(kHost, NodeName(bl, r, n));
        }
      }
    }
    GangObjects objects = Topology();
    const int num_gangs = 20 + static_cast<int>(rng() % 40);
    for (int g = 0; g < num_gangs; ++g) {
      const int count = 1 + static_cast<int>(rng() % 12);
      const std::string gpus = std::to_string(1 << (rng() % 4));
      GangSpec& gang = AddGang(b, objects, fmt::format("g{}", g), count, gpus,
                               static_cast<int64_t>(rng() % 1000));
      GangMemberSpec& m = gang.members[0];
      switch (rng() % 6) {
        case 0: m.topology.required_level = kRack; break;
        case 1: m.topology.required_level = kBlock; break;
        case 2: m.topology.preferred_level = kRack; break;
        case 3: m.topology.unconstrained = true; break;
        case 4: gang.min_member = 1 + static_cast<int32_t>(rng() % count); break;
        default: break;
      }
    }
    GangRunResult run = Schedule(std::move(b), objects);
    decisions += static_cast<int64_t>(run.snapshot.num_pods());
    for (size_t n = 0; n < run.snapshot.num_nodes(); ++n) {
      const model::NodeId node = model::NodeId::FromIndex(n);
      for (size_t r = 0; r < run.snapshot.num_resources(); ++r) {
        ASSERT_LE(run.overlay->used(node)[r], run.snapshot.allocatable(node)[r]);
      }
    }
    for (const GangSpec& gang : objects.gangs) {
      const auto& pods = gang.members[0].pod_names;
      int placed = 0;
      std::set<std::string> racks_used, blocks_used;
      for (const std::string& pod : pods) {
        const std::string node = run.NodeOf(pod);
        if (node.empty()) continue;
        ++placed;
        racks_used.insert(node.substr(0, node.rfind('-')));
        blocks_used.insert(node.substr(0, node.find('-')));
      }
      const int min = gang.min_member >= 0 ? gang.min_member : static_cast<int>(pods.size());
      ASSERT_TRUE(placed == 0 || placed >= min) << gang.name << " placed " << placed;
      if (gang.min_member < 0) {
        ASSERT_TRUE(placed == 0 || placed == static_cast<int>(pods.size()));
      }
      if (placed > 0 && gang.members[0].topology.required_level == kRack) {
        ASSERT_EQ(racks_used.size(), 1u);
      }
      if (placed > 0 && gang.members[0].topology.required_level == kBlock) {
        ASSERT_EQ(blocks_used.size(), 1u);
      }
      (placed > 0 ? gangs_placed : gangs_waiting)++;
    }
  }
  EXPECT_GT(gangs_placed, 100);
  EXPECT_GT(gangs_waiting, 100);
}

}  // namespace
}  // namespace tessera::engine

namespace tessera::engine {
namespace {

// Incremental use: a gang placed, released and placed again leaves the overlay as a fresh
// placement would, and the topology's free capacity follows (the second gang fits the rack
// the first one left).
TEST(EngineIncrementalTest, PlaceReleaseAndPlaceAgain) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangSpec& first = AddGang(b, objects, "first", 4, "8");
  first.members[0].topology.required_level = kRack;
  b.Pod("loner").Cpu("2");
  model::Snapshot s = std::move(b).Build();
  model::Overlay overlay(s);
  GangObjects none = Topology();
  auto engine = Engine::Create(s, Options{.gangs = &none}, &overlay);
  ASSERT_TRUE(engine.ok());
  Engine& e = **engine;
  const Engine::GangOutcome a = e.PlaceGang(first);
  ASSERT_TRUE(a.placed) << a.reason;
  ASSERT_EQ(a.decisions.size(), 4u);
  const std::string rack = s.node_name(a.decisions[0].node).substr(0, 5);
  const model::Decision loner = e.PlacePod(*s.FindPod("default", "loner"));
  ASSERT_EQ(loner.outcome, Outcome::kPlaced);
  for (const model::Decision& d : a.decisions) e.Release(d.pod);
  e.Release(loner.pod);
  // Everything released: the overlay is the snapshot's again.
  model::Overlay fresh(s);
  EXPECT_TRUE(std::ranges::equal(overlay.used_for_test(), fresh.used_for_test()));
  EXPECT_TRUE(std::ranges::equal(overlay.pod_nodes_for_test(), fresh.pod_nodes_for_test()));
  // And the same gang lands in the same rack again.
  const Engine::GangOutcome again = e.PlaceGang(first);
  ASSERT_TRUE(again.placed) << again.reason;
  EXPECT_EQ(s.node_name(again.decisions[0].node).substr(0, 5), rack);
}

}  // namespace
}  // namespace tessera::engine

namespace tessera::engine {
namespace {

// A KAI PodGroup of 4 pods with minMember 3 and a required rack: the rack chosen must have
// room for 3, not merely for one (the tightest rack with room for 1 would fail the gang).
TEST(GangTest, MinMemberSizesTheDomainChoice) {
  ClusterBuilder b;
  AddCluster(b);
  // Rack b0-r0: 3 nodes full, one with room for one 8-GPU pod. Every other rack is empty.
  for (int n = 0; n < 3; ++n) {
    b.Pod(fmt::format("busy-{}", n)).Cpu("1").Extended("nvidia.com/gpu", "8").OnNode(NodeName(0, 0, n));
  }
  GangObjects objects = Topology();
  GangSpec& g = AddGang(b, objects, "pg", 4, "8");
  g.kind = GangKind::kKaiPodGroup;
  g.min_member = 3;
  g.topology = {.topology = "default", .required_level = kRack};
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Racks("pg", 4), (std::map<std::string, int>{{"b0-r1", 4}}));
}

}  // namespace
}  // namespace tessera::engine

namespace tessera::engine {
namespace {

// Consolidation: six 8-GPU nodes, a small running pod on each of the first four; a gang of
// four whole-node pods fits only if two of them move. Victims go lowest priority and
// smallest first, one more per scenario: moving run-0 frees 3 nodes, run-0 and run-1 free 4.
// They fit again on n2 and n3 (least-allocated spreads them).
ClusterBuilder ConsolidationCluster(int32_t running_priority) {
  ClusterBuilder b;
  for (int n = 0; n < 6; ++n) {
    b.Node(fmt::format("n{}", n)).Cpu("64").Pods("110").Extended("nvidia.com/gpu", "8");
  }
  for (int n = 0; n < 4; ++n) {
    b.Pod(fmt::format("run-{}", n)).Cpu("1").Extended("nvidia.com/gpu", "1")
        .Priority(running_priority).OnNode(fmt::format("n{}", n));
  }
  return b;
}

TEST(GangConsolidationTest, MovesTheFewestSmallPodsSoThatTheGangFits) {
  ClusterBuilder b = ConsolidationCluster(0);
  GangObjects objects;
  AddGang(b, objects, "gang", 4, "8");
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.NodeOf("gang-0"), "n0");
  EXPECT_EQ(run.NodeOf("gang-1"), "n1");
  EXPECT_EQ(run.NodeOf("gang-2"), "n4");
  EXPECT_EQ(run.NodeOf("gang-3"), "n5");
  const model::Decision& moved = run.Of("run-0");
  EXPECT_EQ(moved.outcome, Outcome::kMoved);
  EXPECT_EQ(run.snapshot.node_name(moved.node), "n2");
  EXPECT_EQ(moved.message, "moved from node n0 to n2 so that Job default/gang fits (consolidation)");
  EXPECT_EQ(run.snapshot.node_name(run.Of("run-1").node), "n3");
  EXPECT_EQ(run.Of("run-2").outcome, Outcome::kBound);  // not needed, not moved
  EXPECT_EQ(run.Of("run-3").outcome, Outcome::kBound);
}

TEST(GangConsolidationTest, NonPreemptiblePodsStayAndTheGangWaits) {
  // Priority 100 and above is not preemptible (KAI's default): nothing moves.
  ClusterBuilder b = ConsolidationCluster(100);
  GangObjects objects;
  AddGang(b, objects, "gang", 4, "8");
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Of("gang-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("run-0").outcome, Outcome::kBound);
}

TEST(GangConsolidationTest, NoMoveWhenTheMovedPodsWouldNotFitAgain) {
  // Four nodes only: after the gang takes all four, the victims have nowhere to go.
  ClusterBuilder b;
  for (int n = 0; n < 4; ++n) {
    b.Node(fmt::format("n{}", n)).Cpu("64").Pods("110").Extended("nvidia.com/gpu", "8");
    b.Pod(fmt::format("run-{}", n)).Cpu("1").Extended("nvidia.com/gpu", "1").OnNode(fmt::format("n{}", n));
  }
  GangObjects objects;
  AddGang(b, objects, "gang", 4, "8");
  GangRunResult run = Schedule(std::move(b), objects);
  EXPECT_EQ(run.Of("gang-0").outcome, Outcome::kWaiting);
  for (int n = 0; n < 4; ++n) EXPECT_EQ(run.Of(fmt::format("run-{}", n)).outcome, Outcome::kBound);
  // And nothing is held: the overlay is the snapshot's.
  model::Overlay fresh(run.snapshot);
  EXPECT_TRUE(std::ranges::equal(run.overlay->used_for_test(), fresh.used_for_test()));
}

}  // namespace
}  // namespace tessera::engine

namespace tessera::engine {
namespace {

// KAI: a PodGroup required in one block and preferring one rack, with two subgroups of two
// whole-node pods: the four pods fit one rack (4 nodes), so they share one.
TEST(GangTest, KaiRequiredBlockWithPreferredRackKeepsTheGroupInOneRack) {
  ClusterBuilder b;
  AddCluster(b);
  GangObjects objects = Topology();
  GangSpec gang{.name = "pg", .source = "test", .kind = GangKind::kKaiPodGroup};
  gang.topology = {.topology = "default", .required_level = kBlock, .preferred_level = kRack};
  for (const char* sub : {"a", "b"}) {
    GangMemberSpec m{.name = sub};
    for (int i = 0; i < 2; ++i) {
      const std::string pod = fmt::format("{}-{}", sub, i);
      b.Pod(pod).Cpu("1").Extended("nvidia.com/gpu", "8");
      m.pod_names.push_back(pod);
    }
    gang.members.push_back(std::move(m));
  }
  objects.gangs.push_back(gang);
  GangRunResult run = Schedule(std::move(b), objects);
  std::set<std::string> racks;
  for (const char* pod : {"a-0", "a-1", "b-0", "b-1"}) {
    const std::string node = run.NodeOf(pod);
    ASSERT_FALSE(node.empty()) << pod;
    racks.insert(node.substr(0, 5));
  }
  EXPECT_EQ(racks.size(), 1u);
}

}  // namespace
}  // namespace tessera::engine

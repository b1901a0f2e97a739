#include "engine/engine.h"

#include <gtest/gtest.h>

#include "testing/cluster_builder.h"

namespace tessera::engine {
namespace {

using model::Outcome;
using model::PodId;
using model::RejectReason;
using testing::ClusterBuilder;

struct Scheduled {
  model::Snapshot snapshot;
  std::vector<model::Decision> decisions;

  const model::Decision& Of(std::string_view pod) const {
    auto id = snapshot.FindPod("default", pod);
    EXPECT_TRUE(id.has_value()) << pod;
    return decisions[id->index()];
  }
  std::string NodeOf(std::string_view pod) const {
    const auto& d = Of(pod);
    return d.node.valid() ? snapshot.node_name(d.node) : "<none>";
  }
};

Scheduled Schedule(ClusterBuilder&& b, ScorePolicy policy = ScorePolicy::kLeastAllocated) {
  Scheduled run{std::move(b).Build(), {}};
  model::Overlay overlay(run.snapshot);
  run.decisions = ScheduleAll(run.snapshot, Options{policy}, overlay);
  return run;
}

// The 3-node, 5-pod cluster of the hand computation below.
//   node-a: 4 cpu, 16Gi                      node-c: 2 cpu, 8Gi, zone=z1
//   node-b: 8 cpu, 32Gi, 4 GPUs, taint gpu=true:NoSchedule
// Order: urgent (priority 1000) first, then by creation time: big-gpu, web, zone, huge.
//   urgent 3 cpu/4Gi: only node-a has 3 free cpu outside the tainted node -> node-a.
//   big-gpu 2 GPUs, tolerates gpu=true: node-a and node-c have no GPUs -> node-b.
//   web 1 cpu/2Gi: node-a cpu (4-4)*100/4=0, mem (16-6)*100/16=62 -> 31;
//                  node-c cpu (2-1)*100/2=50, mem (8-2)*100/8=75 -> 62 -> node-c.
//   zone 1 cpu/1Gi with nodeSelector zone=z1: node-c has exactly 1 cpu left -> node-c.
//   huge 16 cpu: node-a and node-c lack cpu, node-b is tainted -> nowhere, never.
ClusterBuilder HandComputedCluster() {
  ClusterBuilder b;
  b.Node("node-a").Cpu("4").Memory("16Gi").Pods("110");
  b.Node("node-b").Cpu("8").Memory("32Gi").Pods("110").Extended("nvidia.com/gpu", "4")
      .Taint("gpu", "true");
  b.Node("node-c").Cpu("2").Memory("8Gi").Pods("110").Label("zone", "z1");
  b.Pod("big-gpu").Cpu("2").Memory("8Gi").Extended("nvidia.com/gpu", "2").Created(10)
      .Tolerate("gpu", "true");
  b.Pod("web").Cpu("1").Memory("2Gi").Created(20);
  b.Pod("zone").Cpu("1").Memory("1Gi").Created(30).NodeSelector("zone", "z1");
  b.Pod("huge").Cpu("16").Created(40);
  b.Pod("urgent").Cpu("3").Memory("4Gi").Created(50).Priority(1000);
  return b;
}

TEST(EngineTest, PlacesHandComputedClusterExactly) {
  Scheduled run = Schedule(HandComputedCluster());
  EXPECT_EQ(run.NodeOf("urgent"), "node-a");
  EXPECT_EQ(run.NodeOf("big-gpu"), "node-b");
  EXPECT_EQ(run.NodeOf("web"), "node-c");
  EXPECT_EQ(run.NodeOf("zone"), "node-c");
  EXPECT_EQ(run.Of("web").score, 62 + 3 * 100);
  const auto& huge = run.Of("huge");
  EXPECT_EQ(huge.outcome, Outcome::kInfeasible);
  EXPECT_EQ(huge.nodes_total, 3u);
  auto gpu_key = run.snapshot.FindLabelKey("gpu");
  ASSERT_TRUE(gpu_key.has_value());
  ASSERT_EQ(huge.reasons.size(), 2u);
  EXPECT_EQ(huge.reasons[0],
            (model::ReasonCount{RejectReason::kInsufficientResource, model::kCpu.value(), 0, 2}));
  EXPECT_EQ(huge.reasons[1].reason, RejectReason::kUntoleratedTaint);
  EXPECT_EQ(huge.reasons[1].arg, gpu_key->value());
  EXPECT_EQ(run.snapshot.label_value(model::LabelValueId(huge.reasons[1].arg2)), "true");
  EXPECT_EQ(huge.reasons[1].nodes, 1u);
}

TEST(EngineTest, MostAllocatedPacksWebOntoTheFullerNode) {
  // web: node-a cpu (3+1)*100/4=100, mem 6Gi*100/16Gi=37 -> 68; node-c 50 and 25 -> 37.
  Scheduled run = Schedule(HandComputedCluster(), ScorePolicy::kMostAllocated);
  EXPECT_EQ(run.NodeOf("urgent"), "node-a");
  EXPECT_EQ(run.NodeOf("web"), "node-a");
  EXPECT_EQ(run.Of("web").score, 68 + 3 * 100);
  EXPECT_EQ(run.NodeOf("zone"), "node-c");
}

TEST(EngineTest, OrdersByPriorityThenCreationThenName) {
  ClusterBuilder b;
  b.Pod("z-old").Created(5);
  b.Pod("b-undated");
  b.Pod("a-undated");
  b.Pod("high").Priority(10).Created(100);
  b.Pod("y-new").Created(7);
  b.Pod("bound").OnNode("n");
  b.Node("n").Cpu("1").Pods("10");
  auto snapshot = std::move(b).Build();
  std::vector<std::string> names;
  for (PodId id : SchedulingOrder(snapshot)) names.push_back(snapshot.pod(id).name);
  EXPECT_EQ(names, (std::vector<std::string>{"high", "z-old", "y-new", "a-undated", "b-undated"}));
}

TEST(EngineTest, TiesBreakByNodeNameWhateverTheInputOrder) {
  ClusterBuilder b;
  b.Node("node-2").Cpu("4").Memory("4Gi").Pods("10");
  b.Node("node-1").Cpu("4").Memory("4Gi").Pods("10");
  b.Pod("p").Cpu("1");
  Scheduled run = Schedule(std::move(b));
  EXPECT_EQ(run.NodeOf("p"), "node-1");
}

TEST(EngineTest, BoundPodsUseCapacityAndAreReportedBound) {
  ClusterBuilder b;
  b.Node("n1").Cpu("4").Memory("8Gi").Pods("10");
  b.Node("n2").Cpu("4").Memory("8Gi").Pods("10");
  b.Pod("running").Cpu("3").OnNode("n1");
  b.Pod("new").Cpu("2");
  Scheduled run = Schedule(std::move(b));
  EXPECT_EQ(run.Of("running").outcome, Outcome::kBound);
  EXPECT_EQ(run.NodeOf("running"), "n1");
  EXPECT_EQ(run.NodeOf("new"), "n2");
}

TEST(EngineTest, WaitingWhenOnlyOtherPodsBlockAndInfeasibleWhenNothingCouldFit) {
  ClusterBuilder b;
  b.Node("n1").Cpu("4").Pods("10");
  b.Pod("first").Cpu("3").Created(1);
  b.Pod("second").Cpu("3").Created(2);
  b.Pod("too-big").Cpu("5").Created(3);
  Scheduled run = Schedule(std::move(b));
  EXPECT_EQ(run.Of("first").outcome, Outcome::kPlaced);
  EXPECT_EQ(run.Of("second").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("too-big").outcome, Outcome::kInfeasible);
}

TEST(EngineTest, CountsTooManyPodsAndEveryInsufficientResourceOfANode) {
  ClusterBuilder b;
  b.Node("full").Cpu("1").Memory("1Gi").Pods("1");
  b.Pod("running").OnNode("full");
  b.Pod("p").Cpu("2").Memory("2Gi");
  Scheduled run = Schedule(std::move(b));
  const auto& d = run.Of("p");
  ASSERT_EQ(d.reasons.size(), 3u);
  EXPECT_EQ(d.reasons[0].reason, RejectReason::kTooManyPods);
  EXPECT_EQ(d.reasons[1].arg, model::kCpu.value());
  EXPECT_EQ(d.reasons[2].arg, model::kMemory.value());
}

TEST(EngineTest, CordonedNodeRejectsUnlessTolerated) {
  ClusterBuilder b;
  b.Node("cordoned").Cpu("4").Pods("10").Unschedulable();
  b.Pod("plain").Cpu("1");
  b.Pod("daemon").Cpu("1").TolerateExists("node.kubernetes.io/unschedulable",
                                          model::TaintEffect::kNoSchedule);
  Scheduled run = Schedule(std::move(b));
  EXPECT_EQ(run.Of("plain").reasons.at(0).reason, RejectReason::kNodeUnschedulable);
  EXPECT_EQ(run.NodeOf("daemon"), "cordoned");
}

TEST(EngineTest, PreferNoScheduleOnlyLowersTheScore) {
  // Both nodes identical but n1 has a PreferNoSchedule taint: taint score 0 vs 100.
  ClusterBuilder b;
  b.Node("n1").Cpu("4").Pods("10").Taint("spot", "yes", model::TaintEffect::kPreferNoSchedule);
  b.Node("n2").Cpu("4").Pods("10");
  b.Pod("a").Cpu("1").Created(1);
  b.Pod("b").Cpu("1").Created(2).Tolerate("spot", "yes");
  Scheduled run = Schedule(std::move(b));
  EXPECT_EQ(run.NodeOf("a"), "n2");
  // b tolerates it; n1 is emptier now, so least-allocated picks n1.
  EXPECT_EQ(run.NodeOf("b"), "n1");
}

TEST(EngineTest, ClaimWithAMissingDeviceClassKeepsThePodPending) {
  ClusterBuilder b;
  b.Node("n1").Cpu("4").Pods("10");
  auto& claim = b.Claim("default", "gpu-claim");
  claim.requests.push_back({.name = "gpu", .device_class_name = "no-such-class"});
  b.Pod("p").Claim("gpu", "gpu-claim");
  Scheduled run = Schedule(std::move(b));
  EXPECT_EQ(run.Of("p").outcome, Outcome::kInfeasible);
  EXPECT_EQ(run.Of("p").reasons.at(0).reason, RejectReason::kClaimUnusable);
  EXPECT_EQ(run.Of("p").reasons.at(0).nodes, 1u);
}

TEST(EngineTest, ParsesPolicyNames) {
  EXPECT_EQ(*ParseScorePolicy("most-allocated"), ScorePolicy::kMostAllocated);
  auto bad = ParseScorePolicy("fgd");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "unknown policy \"fgd\"; valid policies: least-allocated, most-allocated");
}

}  // namespace
}  // namespace tessera::engine

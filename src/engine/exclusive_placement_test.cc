// JobSet exclusive placement against pods already running (issue #6 part 2). JobSet gives
// the first pod of every child Job a required pod affinity to pods with its own
// jobset.sigs.k8s.io/job-key and a required anti-affinity to pods whose job-key exists and
// differs, both with the exclusive topology as topologyKey (kubernetes-sigs/jobset,
// pkg/webhooks/pod_mutating_webhook.go, setExclusiveAffinities). So a domain holding any pod
// of another Job (one carrying a job key) is not the Job's, a pod without a job key does not
// matter, and a domain holding the Job's own running pods is the only one it may take.
//
// Cluster: 2 racks x 2 nodes of 8 GPUs (r0-n0, r0-n1, r1-n0, r1-n1). JobSet b has one
// exclusive Job, b-workers-0, of two 4-GPU pods.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "model/snapshot.h"

namespace tessera::engine {
namespace {

using model::GangKind;
using model::GangMemberSpec;
using model::GangObjects;
using model::GangSpec;
using model::Outcome;

constexpr char kRack[] = "example.com/rack";
constexpr char kJobKey[] = "jobset.sigs.k8s.io/job-key";
constexpr char kJobName[] = "batch.kubernetes.io/job-name";

struct Cluster {
  model::SnapshotBuilder b;
  GangObjects gangs;

  Cluster() {
    for (int r = 0; r < 2; ++r) {
      for (int n = 0; n < 2; ++n) {
        const std::string name = "r" + std::to_string(r) + "-n" + std::to_string(n);
        b.AddNode({.name = name,
                   .labels = {{kRack, "r" + std::to_string(r)}, {"kubernetes.io/hostname", name}},
                   .allocatable = {{"cpu", Quantity(int64_t{64'000})},
                                   {"pods", Quantity(int64_t{110})},
                                   {"nvidia.com/gpu", Quantity(int64_t{8'000})}}});
      }
    }
    // JobSet b: one exclusive Job of two 4-GPU pods, labelled as io makes them.
    // Field by field: GCC 12 -O2 warns (falsely) of an uninitialized string member when this
    // aggregate is built with designated initializers.
    GangSpec gang;
    gang.name = "b";
    gang.source = "test";
    gang.kind = GangKind::kJobSet;
    gang.exclusive_topology = kRack;
    GangMemberSpec m{.name = "workers", .pods_per_job = 2};
    for (int p = 0; p < 2; ++p) {
      const std::string pod = "b-workers-0-" + std::to_string(p);
      model::PodSpec spec{
          .name = pod, .labels = {{kJobName, "b-workers-0"}}, .creation_unix_seconds = 10};
      spec.requests = {{"cpu", Quantity(int64_t{1'000})},
                       {"nvidia.com/gpu", Quantity(int64_t{4'000})}};
      b.AddPod(spec);
      m.pod_names.push_back(pod);
    }
    gang.members.push_back(std::move(m));
    gangs.gangs.push_back(std::move(gang));
  }

  // A running pod on `node` with `gpus` GPUs and `labels` (priority 100: consolidation
  // leaves it alone).
  void Running(const std::string& pod, const std::string& node, int64_t gpus,
               model::Labels labels) {
    model::PodSpec spec{
        .name = pod, .labels = std::move(labels), .priority = 100, .creation_unix_seconds = 0};
    spec.requests = {{"cpu", Quantity(int64_t{1'000})}, {"nvidia.com/gpu", Quantity(gpus * 1'000)}};
    spec.node_name = node;
    b.AddPod(spec);
  }
};

struct ExclusiveRun {
  model::Snapshot snapshot;
  ScheduleResult result;
  const model::Decision& Of(const std::string& pod) const {
    return result.decisions[snapshot.FindPod("default", pod)->index()];
  }
  std::string NodeOf(const std::string& pod) const {
    const model::Decision& d = Of(pod);
    return d.outcome == Outcome::kPlaced ? snapshot.node_name(d.node) : "";
  }
};

ExclusiveRun Schedule(Cluster&& c) {
  auto built = std::move(c.b).Build();
  EXPECT_TRUE(built.ok()) << built.error().ToString();
  ExclusiveRun run{std::move(built).value(), {}};
  model::Overlay overlay(run.snapshot);
  auto engine = Engine::Create(run.snapshot, Options{.gangs = &c.gangs, .check = true}, &overlay);
  EXPECT_TRUE(engine.ok()) << engine.error().ToString();
  run.result = (*engine)->ScheduleAll();
  EXPECT_EQ(run.result.check_error, "");
  return run;
}

// Baseline: a running pod without a job key (a notebook) on r0-n0 takes 4 GPUs. Room for
// 4-GPU pods: r0 has 1 + 2 = 3, r1 has 4; BestFit takes the tightest, r0 (r0-n1 holds both).
TEST(ExclusivePlacementTest, PodsWithoutAJobKeyDoNotBlockARack) {
  Cluster c;
  c.Running("notebook", "r0-n0", 4, {});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r0-n1");
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r0-n1");
}

// The same, but the running pod is of JobSet a's Job a-workers-0 (it carries a job key): r0
// is not b-workers-0's, which goes to r1 (4 pods of room; BestFit fills r1-n0 first).
TEST(ExclusivePlacementTest, ARunningPodOfAnotherJobSetsJobBlocksItsRack) {
  Cluster c;
  c.Running("a-workers-0-0", "r0-n0", 4, {{kJobKey, "9f3a"}, {kJobName, "a-workers-0"}});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r1-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r1-n0");
}

// With r1 full (two 8-GPU pods without job keys) the Job has no rack: it waits and says why.
TEST(ExclusivePlacementTest, WaitsWhenEveryOtherRackIsFull) {
  Cluster c;
  c.Running("a-workers-0-0", "r0-n0", 4, {{kJobKey, "9f3a"}, {kJobName, "a-workers-0"}});
  c.Running("batch-0", "r1-n0", 8, {});
  c.Running("batch-1", "r1-n1", 8, {});
  ExclusiveRun run = Schedule(std::move(c));
  for (const char* pod : {"b-workers-0-0", "b-workers-0-1"}) {
    EXPECT_EQ(run.Of(pod).outcome, Outcome::kWaiting);
    EXPECT_EQ(run.Of(pod).message,
              "JobSet default/b: Job b-workers-0 needs a example.com/rack domain of its own "
              "(exclusive-topology) with room for its 2 pods; none is free (1 of the 2 "
              "domains hold pods of other Jobs)");
  }
}

// A pod carrying only a job key (no Job name label) blocks as well.
TEST(ExclusivePlacementTest, AJobKeyAloneBlocks) {
  Cluster c;
  c.Running("other", "r0-n0", 4, {{kJobKey, "77aa"}});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r1-n0");
}

// Pod affinity to the Job's own pods: b-workers-0 already has a pod running on r1-n1 (1 GPU,
// same Job name). Room for 4-GPU pods: r0 1 + 2 = 3, r1 2 + 1 = 3; the tie would go to r0,
// but r1 is the only rack the Job may take. Inside r1, BestFit: r1-n0 holds both.
TEST(ExclusivePlacementTest, ARunningPodOfTheSameJobPinsItsRack) {
  Cluster c;
  c.Running("notebook", "r0-n0", 4, {});
  c.Running("b-workers-0-old", "r1-n1", 1, {{kJobKey, "b0b0"}, {kJobName, "b-workers-0"}});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r1-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r1-n0");
}

// ... and when that rack has no room, the Job waits rather than take another.
TEST(ExclusivePlacementTest, WaitsWhenItsOwnRackIsFull) {
  Cluster c;
  c.Running("b-workers-0-old", "r1-n1", 1, {{kJobKey, "b0b0"}, {kJobName, "b-workers-0"}});
  c.Running("batch-0", "r1-n0", 8, {});
  c.Running("batch-1", "r1-n1", 7, {});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("b-workers-0-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("b-workers-0-0").message,
            "JobSet default/b: Job b-workers-0 has pods running in example.com/rack r1 "
            "(exclusive-topology: its pods go together) and there is no room there for its 2 "
            "pods");
}

}  // namespace
}  // namespace tessera::engine

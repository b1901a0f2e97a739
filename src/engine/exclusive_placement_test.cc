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
#include "model/queue_specs.h"
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

  // With `with_b`, JobSet b (below); without, only the nodes.
  explicit Cluster(bool with_b = true) {
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
    if (!with_b) return;
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

  // JobSet `name` with replicatedJob "workers" of `jobs` Jobs of `pods` pods of `gpus` GPUs
  // each, created at `created`, labelled as io makes them: exclusive per rack when
  // `exclusive`, all of it in one rack when `required_rack`. `bound[i]`, when given, is the
  // node pod i already runs on (a JobSet of a live cluster: io counts those pods in).
  void JobSet(const std::string& name, bool exclusive, bool required_rack, int jobs, int pods,
              int64_t gpus, int64_t created, const std::vector<std::string>& bound = {}) {
    GangSpec gang;
    gang.name = name;
    gang.source = "test";
    gang.kind = GangKind::kJobSet;
    if (exclusive) gang.exclusive_topology = kRack;
    GangMemberSpec m{.name = "workers", .pods_per_job = pods};
    if (required_rack) m.topology.required_level = kRack;
    size_t i = 0;
    for (int j = 0; j < jobs; ++j) {
      const std::string job = name + "-workers-" + std::to_string(j);
      for (int p = 0; p < pods; ++p, ++i) {
        const std::string pod = job + "-" + std::to_string(p);
        model::PodSpec spec{
            .name = pod, .labels = {{kJobName, job}}, .creation_unix_seconds = created};
        spec.requests = {{"cpu", Quantity(int64_t{1'000})},
                         {"nvidia.com/gpu", Quantity(gpus * 1'000)}};
        if (i < bound.size()) spec.node_name = bound[i];
        b.AddPod(spec);
        m.pod_names.push_back(pod);
      }
    }
    gang.members.push_back(std::move(m));
    gangs.gangs.push_back(std::move(gang));
  }

  // A pending pod of its own (in no gang) with `gpus` GPUs and `labels`.
  void Pending(const std::string& pod, int64_t gpus, model::Labels labels, int64_t created) {
    model::PodSpec spec{.name = pod, .labels = std::move(labels), .creation_unix_seconds = created};
    spec.requests = {{"cpu", Quantity(int64_t{1'000})}, {"nvidia.com/gpu", Quantity(gpus * 1'000)}};
    b.AddPod(spec);
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

// Schedules the cluster's pods, through `queues` (Kueue) when given.
ExclusiveRun Schedule(Cluster&& c, const model::QueueObjects* queues = nullptr) {
  auto built = std::move(c.b).Build();
  EXPECT_TRUE(built.ok()) << built.error().ToString();
  ExclusiveRun run{std::move(built).value(), {}};
  model::Overlay overlay(run.snapshot);
  auto engine = Engine::Create(
      run.snapshot, Options{.queues = queues, .gangs = &c.gangs, .check = true}, &overlay);
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

// --- Two-sided (issue #6): an exclusive Job's domain keeps later pods of other Jobs out. ---
// JobSet's webhook gives every pod of an exclusive Job a required pod anti-affinity to pods
// whose job-key exists and is not its own, and the scheduler checks the anti-affinity of the
// pods already placed against each new pod. So a pod of another Job (a job key of its own)
// is refused from the domain; a pod without a job key is not matched and may go there.
//
// JobSet a below: one exclusive Job a-workers-0 of one 4-GPU pod, created first. Room for
// 4-GPU pods: r0 and r1 both 4; the tie goes to r0, and inside it BestFit takes r0-n0.

// b: a later JobSet, not exclusive, whose 2 pods of 4 GPUs need one rack. Room after a:
// r0 = 1 (r0-n0) + 2 (r0-n1) = 3, r1 = 4, so BestFit would take r0, the tightest; r0 is
// a-workers-0's, so b takes r1 (r1-n0 holds both).
TEST(ExclusivePlacementTest, ALaterJobSetStaysOutOfARackHeldExclusively) {
  Cluster c(false);
  c.JobSet("a", /*exclusive=*/true, false, 1, 1, 4, 10);
  c.JobSet("b", /*exclusive=*/false, /*required_rack=*/true, 1, 2, 4, 20);
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("a-workers-0-0"), "r0-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r1-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r1-n0");
}

// One ClusterQueue "cq" (LocalQueue "lq", flavor "default") with `gpus` GPUs and 64 cpu of
// nominal quota, preempting lower priorities within itself.
model::QueueObjects OneQueue(int64_t gpus) {
  model::QueueObjects queues;
  queues.flavors.push_back({.name = "default"});
  model::ClusterQueueSpec cq{.name = "cq", .namespace_selector = model::LabelSelectorSpec{}};
  cq.resource_groups.push_back(
      {.covered_resources = {"cpu", "nvidia.com/gpu"},
       .flavors = {{.flavor = "default",
                    .resources = {{.name = "cpu", .nominal_quota = Quantity(int64_t{64'000})},
                                  {.name = "nvidia.com/gpu",
                                   .nominal_quota = Quantity(gpus * 1'000)}}}}});
  cq.preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
  queues.cluster_queues.push_back(std::move(cq));
  queues.local_queues.push_back({.name = "lq", .cluster_queue = "cq"});
  return queues;
}

// JobSet `name`'s Workload in "lq": one PodSet "workers" of `pods` pods of its Job 0.
model::WorkloadSpec JobSetWorkload(const std::string& name, int32_t pods, int32_t priority,
                                   int64_t created) {
  model::WorkloadSpec w{.name = "jobset-" + name,
                        .queue_name = "lq",
                        .priority = priority,
                        .creation_unix_seconds = created};
  w.owner = {.api_version = "jobset.x-k8s.io/v1alpha2", .kind = "JobSet", .name = name};
  model::PodSetSpec set{.name = "workers", .count = pods};
  for (int32_t p = 0; p < pods; ++p) {
    set.pod_names.push_back(name + "-workers-0-" + std::to_string(p));
  }
  w.pod_sets.push_back(std::move(set));
  return w;
}

// The same with b queued (Kueue): admission places it through the same gang placement,
// after a, and b stays out of r0 just the same.
TEST(ExclusivePlacementTest, AQueuedJobSetStaysOutOfARackHeldExclusively) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 1, 4, 10);
  c.JobSet("b", false, true, 1, 2, 4, 20);
  model::QueueObjects queues = OneQueue(32);
  queues.workloads.push_back(JobSetWorkload("b", 2, 0, 20));
  queues.workloads.back().pod_sets[0].required_topology = kRack;
  const ExclusiveRun run = Schedule(std::move(c), &queues);
  EXPECT_EQ(run.NodeOf("a-workers-0-0"), "r0-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r1-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r1-n0");
}

// A running exclusive JobSet a (priority 0, admitted with 16 GPUs) holds r0 with its two
// 8-GPU pods; r1 is full of pods outside the queue. Exclusive JobSet b (priority 100) needs
// the queue's 16 GPUs and a rack of its own: admission preempts a, and once a's last pod
// has left r0 the rack is no longer a's, so b takes it. (Were the rack still held, b would
// fit nowhere and stay pending.)
TEST(ExclusivePlacementTest, APreemptedExclusiveJobGivesItsRackBack) {
  Cluster c(false);
  c.JobSet("a", /*exclusive=*/true, false, 1, 2, 8, 10, /*bound=*/{"r0-n0", "r0-n1"});
  c.Running("fill-0", "r1-n0", 8, {});
  c.Running("fill-1", "r1-n1", 8, {});
  c.JobSet("b", /*exclusive=*/true, false, 1, 2, 8, 20);
  model::QueueObjects queues = OneQueue(16);
  queues.workloads.push_back(JobSetWorkload("a", 2, 0, 10));
  model::WorkloadAdmissionSpec admitted{.cluster_queue = "cq", .object = "default/jobset-a"};
  admitted.pod_sets.push_back(
      {.name = "workers",
       .flavors = {{"cpu", "default"}, {"nvidia.com/gpu", "default"}},
       .resource_usage = {{"cpu", Quantity(int64_t{2'000})},
                          {"nvidia.com/gpu", Quantity(int64_t{16'000})}}});
  queues.workloads.back().admission = std::move(admitted);
  queues.workloads.push_back(JobSetWorkload("b", 2, 100, 20));
  const ExclusiveRun run = Schedule(std::move(c), &queues);
  EXPECT_EQ(run.Of("a-workers-0-0").outcome, Outcome::kPreempted);
  EXPECT_EQ(run.Of("a-workers-0-1").outcome, Outcome::kPreempted);
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r0-n0") << run.Of("b-workers-0-0").message;
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r0-n1");
}

// A pod placed one by one with a job key of its own (c-workers-0, in no gang): least
// allocated would pick r0-n1 (empty, the lowest NodeId of the empty nodes); r0 is held, so
// r1-n0.
TEST(ExclusivePlacementTest, ALaterPodWithAnotherJobKeyStaysOut) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 1, 4, 10);
  c.Pending("c-0", 4, {{kJobKey, "cc01"}, {kJobName, "c-workers-0"}}, 20);
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("a-workers-0-0"), "r0-n0");
  EXPECT_EQ(run.NodeOf("c-0"), "r1-n0");
}

// A pod without a job key is not matched by the anti-affinity: it takes r0-n1 as it would
// without a.
TEST(ExclusivePlacementTest, ALaterPodWithoutAJobKeyMayGoIntoTheHeldRack) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 1, 4, 10);
  c.Pending("notebook-new", 4, {}, 20);
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("a-workers-0-0"), "r0-n0");
  EXPECT_EQ(run.NodeOf("notebook-new"), "r0-n1");
}

// With r1 full (two 8-GPU pods without job keys), b has nowhere to go: it waits, and the
// reason names the Job that holds r0. Without a topology constraint b's pod is decided over
// every node: r0's two nodes are held, r1's two lack GPUs (the tally counts those two).
TEST(ExclusivePlacementTest, TheReasonNamesTheJobHoldingTheRack) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 1, 4, 10);
  c.JobSet("b", false, false, 1, 1, 4, 20);
  c.Running("batch-0", "r1-n0", 8, {});
  c.Running("batch-1", "r1-n1", 8, {});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("a-workers-0-0"), "r0-n0");
  const model::Decision& d = run.Of("b-workers-0-0");
  EXPECT_EQ(d.outcome, Outcome::kWaiting);
  EXPECT_EQ(d.message,
            "JobSet default/b: pod default/b-workers-0-0 fits no node: example.com/rack r0 is "
            "held exclusively by Job default/a-workers-0");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].reason, model::RejectReason::kInsufficientResource);
  EXPECT_EQ(d.reasons[0].nodes, 2u);
}

// The same with b needing one rack: r0 is left out of the room count, r1 has none.
TEST(ExclusivePlacementTest, TheRequiredRackReasonNamesTheJobHoldingTheRack) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 1, 4, 10);
  c.JobSet("b", false, true, 1, 2, 4, 20);
  c.Running("batch-0", "r1-n0", 8, {});
  c.Running("batch-1", "r1-n1", 8, {});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("b-workers-0-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("b-workers-0-0").message,
            "JobSet default/b: member workers needs 2 pods in one example.com/rack domain; the "
            "roomiest has room for 0 (example.com/rack r0 is held exclusively by Job "
            "default/a-workers-0)");
}

// a runs already (both pods of a-workers-0 bound on r0-n0, from a live cluster): its pods'
// anti-affinity keeps b out of r0 just the same. Room: r0 = 0 + 2 = 2, r1 = 4; BestFit
// would take r0.
TEST(ExclusivePlacementTest, ARunningExclusiveJobKeepsOthersOut) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 2, 4, 0, {"r0-n0", "r0-n0"});
  c.JobSet("b", false, true, 1, 2, 4, 20);
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("a-workers-0-0").outcome, Outcome::kBound);
  EXPECT_EQ(run.NodeOf("b-workers-0-0"), "r1-n0");
  EXPECT_EQ(run.NodeOf("b-workers-0-1"), "r1-n0");
}

// ... and a pod of the running exclusive Job itself may still join it there (its own key).
TEST(ExclusivePlacementTest, TheRunningExclusiveJobsOwnPodMayJoinIt) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 3, 4, 0, {"r0-n0", "r0-n0"});
  ExclusiveRun run = Schedule(std::move(c));
  // Placed one by one (the gang has started): least allocated, the empty r0-n1.
  EXPECT_EQ(run.NodeOf("a-workers-0-2"), "r0-n1");
}

// ... and it must: with r0-n1 half taken by a notebook (no job key), least allocated would
// send the third pod to the empty r1-n0, but JobSet keeps a Job's pods in the first pod's
// rack, so it takes r0-n1's other half. With the notebook taking all of r0-n1 it waits, and
// says why.
TEST(ExclusivePlacementTest, ALaterPodOfARunningExclusiveJobStaysInItsRack) {
  Cluster c(false);
  c.JobSet("a", true, false, 1, 3, 4, 0, {"r0-n0", "r0-n0"});
  c.Running("notebook", "r0-n1", 4, {});
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.NodeOf("a-workers-0-2"), "r0-n1");

  Cluster full(false);
  full.JobSet("a", true, false, 1, 3, 4, 0, {"r0-n0", "r0-n0"});
  full.Running("notebook", "r0-n1", 8, {});
  run = Schedule(std::move(full));
  const model::Decision& d = run.Of("a-workers-0-2");
  EXPECT_EQ(d.outcome, Outcome::kWaiting);
  EXPECT_EQ(d.message,
            "Job default/a-workers-0 runs in example.com/rack r0 (a Job of an exclusive JobSet "
            "stays in one domain)");
}

// A failed gang gives back the racks it held: c is exclusive with two Jobs of two whole-node
// pods; r1-n1 is taken (a notebook without a job key, priority 100: it does not move), so
// c-workers-0 takes r0 (the only rack with room for 2) and c-workers-1 finds no rack; the
// gang is rolled back. d, a later pod with a job key of its own, then takes r0-n0 (the least
// allocated node, lowest NodeId): r0 is not held any more.
TEST(ExclusivePlacementTest, AFailedGangLeavesNoRackHeld) {
  Cluster c(false);
  c.Running("notebook", "r1-n1", 8, {});
  c.JobSet("c", true, false, 2, 2, 8, 10);
  c.Pending("d-0", 4, {{kJobKey, "dd01"}, {kJobName, "d-workers-0"}}, 20);
  ExclusiveRun run = Schedule(std::move(c));
  EXPECT_EQ(run.Of("c-workers-0-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("c-workers-1-0").outcome, Outcome::kWaiting);
  EXPECT_EQ(run.Of("c-workers-0-0").message,
            "JobSet default/c: Job c-workers-1 needs a example.com/rack domain of its own "
            "(exclusive-topology) with room for its 2 pods; none is free (1 of the 2 domains "
            "hold pods of other Jobs)");
  EXPECT_EQ(run.NodeOf("d-0"), "r0-n0");
}

}  // namespace
}  // namespace tessera::engine

// Consolidation for workloads queued in KAI Queues (issue #6 part 5): a KAI job that has quota
// but no placement moves running preemptible pods when it then lands and they fit again, as
// KAI's consolidation action does for its queued PodGroups. Kueue-queued workloads never move
// running pods. Hand-computed cases on six 8-GPU nodes, the undo of moves inside the admission
// cycle's partial-admission trials, and a seeded random comparison with the placement memo
// on and off under the invariant checker.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "testing/cluster_builder.h"

namespace tessera::engine {
namespace {

using model::Outcome;
using testing::ClusterBuilder;

// A KAI Queue deserving `gpus` GPUs, with no limit; cpu and memory unlimited.
model::KaiQueueSpec KaiQueue(std::string name, double gpus) {
  return {.name = std::move(name),
          .source = "test",
          .resources = {{.resource = "gpu", .quota = gpus},
                        {.resource = "cpu", .quota = -1},
                        {.resource = "memory", .quota = -1}}};
}

struct KaiCluster {
  ClusterBuilder builder;
  model::QueueObjects queues;

  // `nodes` nodes n0.. of 8 GPUs and 64 cpu; one KAI Queue "train" deserving 64 GPUs.
  explicit KaiCluster(int nodes) {
    for (int n = 0; n < nodes; ++n) {
      builder.Node(fmt::format("n{}", n)).Cpu("64").Pods("110").Extended("nvidia.com/gpu", "8");
    }
    queues.kai_queues.push_back(KaiQueue("train", 64));
  }

  // A running pod `name` on `node` asking `gpus` GPUs and 1 cpu, outside the queues.
  void Running(const std::string& name, const std::string& node, int gpus, int32_t priority) {
    builder.Pod(name)
        .Cpu("1")
        .Extended("nvidia.com/gpu", std::to_string(gpus))
        .Priority(priority)
        .OnNode(node);
  }

  // A Job `name` of `pods` pods "<name>-<i>" asking `gpus` GPUs each, queued in KAI queue
  // `queue` (or, with `kueue`, in the Kueue LocalQueue "lq"). `nodes`: the pods run there
  // already (a running workload). `min_count` > 0: partial admission down to that many.
  model::WorkloadSpec& Job(const std::string& name, const std::string& queue, int pods,
                           int gpus, int64_t created, std::vector<std::string> nodes = {},
                           int32_t min_count = 0, bool kueue = false) {
    model::PodSetSpec set{.name = "main", .count = pods};
    if (min_count > 0) set.min_count = min_count;
    for (int i = 0; i < pods; ++i) {
      const std::string pod = fmt::format("{}-{}", name, i);
      testing::PodBuilder b = builder.Pod(pod);
      b.Cpu("1").Extended("nvidia.com/gpu", std::to_string(gpus)).Created(created).Priority(50);
      if (static_cast<size_t>(i) < nodes.size()) b.OnNode(nodes[static_cast<size_t>(i)]);
      set.pod_names.push_back(pod);
    }
    model::WorkloadSpec w{.name = "job-" + name, .creation_unix_seconds = created};
    if (kueue) {
      w.queue_name = "lq";
    } else {
      w.kai_queue = queue;
    }
    w.owner = {.api_version = "batch/v1", .kind = "Job", .name = name};
    w.pod_sets.push_back(std::move(set));
    queues.workloads.push_back(std::move(w));
    return queues.workloads.back();
  }

  // A Kueue ClusterQueue "cq" with 64 GPUs and a LocalQueue "lq" (instead of KAI queues).
  void UseKueue() {
    queues.kai_queues.clear();
    queues.flavors.push_back({.name = "default"});
    model::ClusterQueueSpec cq{.name = "cq", .namespace_selector = model::LabelSelectorSpec{}};
    cq.resource_groups.push_back(
        {.covered_resources = {"cpu", "nvidia.com/gpu"},
         .flavors = {{.flavor = "default",
                      .resources = {{.name = "cpu", .nominal_quota = Quantity(1'000'000)},
                                    {.name = "nvidia.com/gpu", .nominal_quota = Quantity(64)}}}}});
    queues.cluster_queues.push_back(std::move(cq));
    queues.local_queues.push_back({.name = "lq", .cluster_queue = "cq"});
  }
};

struct Run {
  Run(model::Snapshot s, model::QueueObjects q) : snapshot(std::move(s)), queues(std::move(q)) {}
  model::Snapshot snapshot;
  model::QueueObjects queues;
  ScheduleResult result;

  const model::Decision& Of(std::string_view pod) const {
    const auto id = snapshot.FindPod("default", pod);
    EXPECT_TRUE(id.has_value()) << pod;
    return result.decisions[id->index()];
  }
  std::string NodeOf(std::string_view pod) const {
    const model::Decision& d = Of(pod);
    return d.node.valid() && d.outcome != Outcome::kWaiting ? snapshot.node_name(d.node)
                                                            : "<none>";
  }
  const model::WorkloadDecision& Workload(std::string_view name) const {
    for (const model::WorkloadDecision& w : result.workloads) {
      if (queues.workloads[w.workload].name == name) return w;
    }
    ADD_FAILURE() << "no workload " << name;
    return result.workloads.front();
  }
  int Moved() const {
    int n = 0;
    for (const model::Decision& d : result.decisions) n += d.outcome == Outcome::kMoved ? 1 : 0;
    return n;
  }
};

// The snapshot is built first, then the engine reads `queues` from the Run it returns (the
// engine keeps pointers to both, so they live in the Run).
std::unique_ptr<Run> Schedule(KaiCluster&& c, bool consolidate = true, bool memo = true) {
  auto run = std::make_unique<Run>(std::move(c.builder).Build(), std::move(c.queues));
  Options options;
  options.queues = &run->queues;
  options.consolidate = consolidate;
  options.placement_memo = memo;
  options.check = true;
  auto engine = Engine::Create(run->snapshot, options);
  EXPECT_TRUE(engine.ok()) << engine.error().ToString();
  run->result = (*engine)->ScheduleAll();
  EXPECT_EQ(run->result.check_error, "");
  return run;
}

// Six nodes; a 1-GPU notebook (priority 50, preemptible) on each of n0..n3. A KAI job of four
// 8-GPU pods has quota (64 deserved) but only n4 and n5 are whole: two notebooks move.
// Victims are taken from the smallest and, among equals, in pod order: notebook-0 then
// notebook-1; each goes where the engine places it anew (least-allocated among the nodes
// still free after the gang: n2 and n3 hold a notebook, the job takes n0, n1, n4, n5).
KaiCluster FourNotebooks(int32_t priority = 50) {
  KaiCluster c(6);
  for (int n = 0; n < 4; ++n) c.Running(fmt::format("notebook-{}", n), fmt::format("n{}", n), 1, priority);
  return c;
}

TEST(KaiConsolidationTest, AQueuedJobWithQuotaMovesTwoNotebooks) {
  KaiCluster c = FourNotebooks();
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c));
  EXPECT_TRUE(run->Workload("job-train").admitted) << run->Workload("job-train").message;
  EXPECT_EQ(run->NodeOf("train-0"), "n0");
  EXPECT_EQ(run->NodeOf("train-1"), "n1");
  EXPECT_EQ(run->NodeOf("train-2"), "n4");
  EXPECT_EQ(run->NodeOf("train-3"), "n5");
  const model::Decision& moved = run->Of("notebook-0");
  EXPECT_EQ(moved.outcome, Outcome::kMoved);
  EXPECT_EQ(run->NodeOf("notebook-0"), "n2");
  EXPECT_EQ(moved.message,
            "moved from node n0 to n2 so that pod group default/pg-train fits (consolidation)");
  EXPECT_EQ(run->Of("notebook-1").outcome, Outcome::kMoved);
  EXPECT_EQ(run->NodeOf("notebook-1"), "n3");
  EXPECT_EQ(run->Of("notebook-2").outcome, Outcome::kBound);  // not needed, not moved
  EXPECT_EQ(run->Of("notebook-3").outcome, Outcome::kBound);
  EXPECT_EQ(run->Moved(), 2);
}

// The same job in a Kueue queue waits: Kueue does not move running pods.
TEST(KaiConsolidationTest, AKueueQueuedJobWaitsAndNothingMoves) {
  KaiCluster c = FourNotebooks();
  c.UseKueue();
  c.Job("train", "", 4, 8, 100, {}, 0, /*kueue=*/true);
  auto run = Schedule(std::move(c));
  const model::WorkloadDecision& w = run->Workload("job-train");
  EXPECT_FALSE(w.admitted);
  EXPECT_TRUE(w.message.starts_with("quota available, no placement: ")) << w.message;
  EXPECT_EQ(run->Moved(), 0);
  EXPECT_EQ(run->NodeOf("notebook-0"), "n0");
}

TEST(KaiConsolidationTest, WithoutConsolidationTheKaiJobWaits) {
  KaiCluster c = FourNotebooks();
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c), /*consolidate=*/false);
  EXPECT_FALSE(run->Workload("job-train").admitted);
  EXPECT_EQ(run->Moved(), 0);
  EXPECT_EQ(run->Of("train-0").outcome, Outcome::kWaiting);
}

// KAI's preemptible classes are below priority 100: notebooks at 100 stay, the job waits.
TEST(KaiConsolidationTest, NonPreemptibleNotebooksStay) {
  KaiCluster c = FourNotebooks(100);
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c));
  EXPECT_FALSE(run->Workload("job-train").admitted);
  EXPECT_EQ(run->Moved(), 0);
}

// Notebooks that are themselves one-pod KAI jobs running in queue "interactive" move like
// plain pods (KAI's single flavor: the quotas do not change); their workloads stay admitted.
TEST(KaiConsolidationTest, RunningOnePodKaiJobsMove) {
  KaiCluster c(6);
  c.queues.kai_queues.push_back(KaiQueue("interactive", 8));
  for (int n = 0; n < 4; ++n) {
    c.Job(fmt::format("nb{}", n), "interactive", 1, 1, 10, {fmt::format("n{}", n)});
  }
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c));
  EXPECT_TRUE(run->Workload("job-train").admitted) << run->Workload("job-train").message;
  EXPECT_EQ(run->Moved(), 2);
  EXPECT_EQ(run->Of("nb0-0").outcome, Outcome::kMoved);
  EXPECT_EQ(run->Of("nb1-0").outcome, Outcome::kMoved);
  for (int n = 0; n < 4; ++n) EXPECT_TRUE(run->Workload(fmt::format("job-nb{}", n)).admitted);
}

// A pod Kueue admitted is charged to its flavor where it runs: it stays, even for a KAI job.
TEST(KaiConsolidationTest, PodsOfRunningKueueWorkloadsStay) {
  KaiCluster c(6);
  c.UseKueue();
  c.queues.kai_queues.push_back(KaiQueue("train", 64));
  for (int n = 0; n < 4; ++n) {
    c.Job(fmt::format("nb{}", n), "", 1, 1, 10, {fmt::format("n{}", n)}, 0, /*kueue=*/true);
  }
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c));
  EXPECT_FALSE(run->Workload("job-train").admitted);
  EXPECT_EQ(run->Moved(), 0);
  for (int n = 0; n < 4; ++n) EXPECT_TRUE(run->Workload(fmt::format("job-nb{}", n)).admitted);
}

// A running KAI job of several pods moves whole, as KAI evicts a victim job's pods together:
// pair-a (1 GPU on n0 and on n1) is the first unit; taking both pods off makes n0 and n1
// whole, the job takes n0, n1, n4, n5, and pair-a's pods go to n2 and n3 (least allocated
// first: n2, then n3 which has more room left). pair-b stays.
TEST(KaiConsolidationTest, ARunningMultiPodJobMovesWhole) {
  KaiCluster c(6);
  c.queues.kai_queues.push_back(KaiQueue("interactive", 8));
  c.Job("pair-a", "interactive", 2, 1, 10, {"n0", "n1"});
  c.Job("pair-b", "interactive", 2, 1, 10, {"n2", "n3"});
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c));
  EXPECT_TRUE(run->Workload("job-train").admitted) << run->Workload("job-train").message;
  EXPECT_EQ(run->Moved(), 2);
  EXPECT_EQ(run->Of("pair-a-0").outcome, Outcome::kMoved);
  EXPECT_EQ(run->Of("pair-a-1").outcome, Outcome::kMoved);
  EXPECT_EQ(run->NodeOf("pair-a-0"), "n2");
  EXPECT_EQ(run->NodeOf("pair-a-1"), "n3");
  EXPECT_EQ(run->Of("pair-b-0").outcome, Outcome::kBound);
  EXPECT_TRUE(run->Workload("job-pair-a").admitted);
}

// A job tied to a domain (a topology constraint) would have to be placed again with it; it
// stays, and so the queued job waits.
TEST(KaiConsolidationTest, ARunningJobWithATopologyConstraintStays) {
  KaiCluster c(6);
  c.queues.kai_queues.push_back(KaiQueue("interactive", 8));
  c.Job("pair-a", "interactive", 2, 1, 10, {"n0", "n1"}).pod_sets[0].preferred_topology =
      "kubernetes.io/hostname";
  c.Job("pair-b", "interactive", 2, 1, 10, {"n2", "n3"}).pod_sets[0].preferred_topology =
      "kubernetes.io/hostname";
  c.Job("train", "train", 4, 8, 100);
  auto run = Schedule(std::move(c));
  EXPECT_FALSE(run->Workload("job-train").admitted);
  EXPECT_EQ(run->Moved(), 0);
  EXPECT_EQ(run->NodeOf("pair-a-0"), "n0");
}

// Partial admission's trials with undo (admitter.h: the oracle places a trial and gives it back
// when it only measures). Four nodes, notebooks on n0, n1, n2; a KAI job of eight 8-GPU pods
// with a minimum of one. Whole nodes: n3, plus one per notebook that moves (two notebooks can
// move onto the third's node, not all three: somewhere must keep them). Trials, in pods:
// 8 (whole: no), 7 (no), 1 (yes, undone), 4 (no), 2 (yes, notebook-0 moves to n1; undone),
// 3 (yes, notebook-0 and notebook-1 move to n2; undone), then 3 for good. Had the undone
// trials left their notebooks marked as moved (a pod moves at most once per run), the final
// trial would find too few to move and the job would not be admitted; had they left their
// decisions, notebooks back in place would read Moved.
TEST(KaiConsolidationTest, PartialAdmissionTrialsUndoTheirMoves) {
  KaiCluster c(4);
  for (int n = 0; n < 3; ++n) c.Running(fmt::format("notebook-{}", n), fmt::format("n{}", n), 1, 50);
  c.Job("train", "train", 8, 8, 100, {}, /*min_count=*/1);
  auto run = Schedule(std::move(c));
  const model::WorkloadDecision& w = run->Workload("job-train");
  ASSERT_TRUE(w.admitted) << w.message;
  ASSERT_EQ(w.pod_sets.size(), 1u);
  EXPECT_EQ(w.pod_sets[0].count, 3);
  EXPECT_EQ(run->Moved(), 2);
  int on_one_node = 0;
  for (int n = 0; n < 3; ++n) {
    on_one_node += run->NodeOf(fmt::format("notebook-{}", n)) == "n2" ? 1 : 0;
  }
  EXPECT_EQ(on_one_node, 3);  // all three notebooks share n2
  int placed = 0;
  for (int i = 0; i < 8; ++i) placed += run->Of(fmt::format("train-{}", i)).outcome == Outcome::kPlaced;
  EXPECT_EQ(placed, 3);
}

// A workload's PodSets are placed in order and all undone when a later one fails. Two nodes
// with a notebook each; PodSet "a" (one 8-GPU pod) lands on n0 once notebook-0 moves to n1;
// PodSet "b" asks for a node label no node has. The job waits and nothing has moved: the
// notebooks are back where they were, and read so.
TEST(KaiConsolidationTest, AFailedLaterPodSetUndoesTheMovesOfAnEarlierOne) {
  KaiCluster c(2);
  c.Running("notebook-0", "n0", 1, 50);
  c.Running("notebook-1", "n1", 1, 50);
  model::WorkloadSpec w{.name = "job-two-sets", .kai_queue = "train", .creation_unix_seconds = 100};
  w.owner = {.api_version = "batch/v1", .kind = "Job", .name = "two-sets"};
  for (const char* set : {"a", "b"}) {
    const std::string pod = fmt::format("two-sets-{}", set);
    testing::PodBuilder b = c.builder.Pod(pod);
    b.Cpu("1").Extended("nvidia.com/gpu", "8").Created(100);
    if (std::string_view(set) == "b") b.NodeSelector("pool", "none");
    w.pod_sets.push_back({.name = set, .count = 1, .pod_names = {pod}});
  }
  c.queues.workloads.push_back(std::move(w));
  auto run = Schedule(std::move(c));
  EXPECT_FALSE(run->Workload("job-two-sets").admitted);
  EXPECT_EQ(run->Moved(), 0);
  EXPECT_EQ(run->Of("notebook-0").outcome, Outcome::kBound);
  EXPECT_EQ(run->NodeOf("notebook-0"), "n0");
  EXPECT_EQ(run->NodeOf("notebook-1"), "n1");
  EXPECT_EQ(run->Of("two-sets-a").outcome, Outcome::kWaiting);
}

// Seeded random clusters with running notebooks and KAI jobs: the invariant checker holds
// (no node over its allocatable, admitted jobs wholly placed, quotas within limits) and the
// placement memo changes nothing, although consolidation moves pods mid-cycle (a move frees
// capacity, so the memo is cleared, admitter.h).
TEST(KaiConsolidationTest, RandomClustersMemoOnAndOffAgree) {
  std::mt19937 rng(20261202);
  int moved = 0, admitted = 0, jobs = 0, whole_moves = 0;
  for (int round = 0; round < 150; ++round) {
    auto make = [](std::mt19937 r) {
      const int nodes = 3 + static_cast<int>(r() % 4);
      KaiCluster c(nodes);
      c.queues.kai_queues.push_back(KaiQueue("small", 16));
      const int notebooks = static_cast<int>(r() % static_cast<unsigned>(nodes * 2 + 1));
      std::vector<int> free(static_cast<size_t>(nodes), 8);
      for (int i = 0; i < notebooks; ++i) {
        const int node = static_cast<int>(r() % static_cast<unsigned>(nodes));
        const int gpus = 1 + static_cast<int>(r() % 3);
        if (free[static_cast<size_t>(node)] < gpus) continue;
        free[static_cast<size_t>(node)] -= gpus;
        c.Running(fmt::format("notebook-{}", i), fmt::format("n{}", node), gpus,
                  r() % 4 == 0 ? 100 : 50);
      }
      // Running KAI jobs of two 1-GPU pods in queue "small", which move whole.
      const int pairs = static_cast<int>(r() % 3);
      for (int i = 0; i < pairs; ++i) {
        const int a = static_cast<int>(r() % static_cast<unsigned>(nodes));
        const int b = static_cast<int>(r() % static_cast<unsigned>(nodes));
        if (free[static_cast<size_t>(a)] < 1 || free[static_cast<size_t>(b)] < 1 + (a == b)) {
          continue;
        }
        free[static_cast<size_t>(a)] -= 1;
        free[static_cast<size_t>(b)] -= 1;
        c.Job(fmt::format("pair{}", i), "small", 2, 1, 10,
              {fmt::format("n{}", a), fmt::format("n{}", b)});
      }
      const int count = 1 + static_cast<int>(r() % 6);
      for (int j = 0; j < count; ++j) {
        // Alike jobs (same shape) share a placement class, which the memo acts on.
        const int shape = static_cast<int>(r() % 3);
        const int pods = 1 + shape;
        const int gpus = shape == 0 ? 8 : (shape == 1 ? 4 : 6);
        const bool small = r() % 3 == 0;
        c.Job(fmt::format("job{}", j), small ? "small" : "train", pods, gpus, 100 + j, {},
              r() % 4 == 0 ? 1 : 0);
      }
      return c;
    };
    const std::mt19937 seed(rng());
    auto with = Schedule(make(seed), true, /*memo=*/true);
    auto without = Schedule(make(seed), true, /*memo=*/false);
    ASSERT_EQ(with->result.decisions.size(), without->result.decisions.size());
    for (size_t p = 0; p < with->result.decisions.size(); ++p) {
      const model::Decision& a = with->result.decisions[p];
      const model::Decision& b = without->result.decisions[p];
      EXPECT_EQ(a.outcome, b.outcome) << "round " << round << " " << with->snapshot.pod(a.pod).name;
      EXPECT_EQ(a.node, b.node) << "round " << round << " " << with->snapshot.pod(a.pod).name;
    }
    for (size_t w = 0; w < with->result.workloads.size(); ++w) {
      EXPECT_EQ(with->result.workloads[w].admitted, without->result.workloads[w].admitted)
          << "round " << round << " " << with->queues.workloads[w].name;
      admitted += with->result.workloads[w].admitted ? 1 : 0;
      ++jobs;
    }
    moved += with->Moved();
    for (size_t w = 0; w < with->result.workloads.size(); ++w) {
      // A job moves whole or not at all.
      const model::WorkloadSpec& spec = with->queues.workloads[w];
      if (!spec.name.starts_with("job-pair")) continue;
      const int pods_moved = (with->Of(spec.name.substr(4) + "-0").outcome == Outcome::kMoved) +
                             (with->Of(spec.name.substr(4) + "-1").outcome == Outcome::kMoved);
      whole_moves += pods_moved > 0 ? 1 : 0;
      EXPECT_NE(pods_moved, 1) << "round " << round << " " << spec.name
                               << " moved one pod of two";
    }
  }
  // The cases exercise what they claim to.
  RecordProperty("moved_pods", moved);
  RecordProperty("whole_job_moves", whole_moves);
  RecordProperty("admitted", admitted);
  RecordProperty("jobs", jobs);
  EXPECT_GT(moved, 20);
  EXPECT_GT(whole_moves, 3);
  EXPECT_GT(admitted, 100);
  EXPECT_LT(admitted, jobs);
}

}  // namespace
}  // namespace tessera::engine

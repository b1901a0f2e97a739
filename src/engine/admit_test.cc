// Admission through the queues in the engine (Engine::Impl::Admit): the admitter's placement
// memo (PendingWorkload::placement_class, issue #5) as the engine sets it.

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "testing/cluster_builder.h"

namespace tessera::engine {
namespace {

using model::Outcome;
using testing::ClusterBuilder;

constexpr std::string_view kNoPlacement = "quota available, no placement: ";

// Four nodes of 4 cpu: n0 and n1 labelled pool=a, n2 and n3 pool=b. One ClusterQueue with
// 100 cpu of quota (never the limit here) in one flavor, one LocalQueue "lq".
struct QueuedCluster {
  ClusterBuilder builder;
  model::QueueObjects queues;

  QueuedCluster() {
    builder.Node("n0").Cpu("4").Pods("110").Label("pool", "a");
    builder.Node("n1").Cpu("4").Pods("110").Label("pool", "a");
    builder.Node("n2").Cpu("4").Pods("110").Label("pool", "b");
    builder.Node("n3").Cpu("4").Pods("110").Label("pool", "b");
    queues.flavors.push_back({.name = "default"});
    model::ClusterQueueSpec cq{.name = "cq", .namespace_selector = model::LabelSelectorSpec{}};
    cq.resource_groups.push_back(
        {.covered_resources = {"cpu"},
         .flavors = {{.flavor = "default",
                      .resources = {{.name = "cpu", .nominal_quota = Quantity(100'000)}}}}});
    queues.cluster_queues.push_back(std::move(cq));
    queues.local_queues.push_back({.name = "lq", .cluster_queue = "cq"});
  }

  // A Job-like workload of `pods` pods "<name>-<i>" asking `cpu` each, created at `created`
  // (admission order), optionally with nodeSelector pool=<pool>.
  void Workload(const std::string& name, int pods, std::string_view cpu, int64_t created,
                std::string_view pool = {}) {
    model::PodSetSpec set{.name = "main", .count = pods};
    for (int i = 0; i < pods; ++i) {
      const std::string pod = name + "-" + std::to_string(i);
      // Pod() returns the builder by value: keep it, not a reference into the temporary.
      testing::PodBuilder b = builder.Pod(pod);
      b.Cpu(cpu).Created(created);
      if (!pool.empty()) b.NodeSelector("pool", pool);
      set.pod_names.push_back(pod);
    }
    model::WorkloadSpec w{.name = name, .queue_name = "lq", .creation_unix_seconds = created};
    w.owner = {.api_version = "batch/v1", .kind = "Job", .name = name};
    w.pod_sets.push_back(std::move(set));
    queues.workloads.push_back(std::move(w));
  }
};

struct AdmitRun {
  const model::Snapshot* snapshot = nullptr;
  ScheduleResult result;
  const model::QueueObjects* queues = nullptr;

  const model::WorkloadDecision& Workload(std::string_view name) const {
    for (const model::WorkloadDecision& w : result.workloads) {
      if (queues->workloads[w.workload].name == name) return w;
    }
    ADD_FAILURE() << "no workload " << name;
    return result.workloads.front();
  }
  std::string NodeOf(std::string_view pod) const {
    const auto id = snapshot->FindPod("default", pod);
    EXPECT_TRUE(id.has_value()) << pod;
    const model::Decision& d = result.decisions[id->index()];
    return d.outcome == Outcome::kPlaced ? snapshot->node_name(d.node) : "<none>";
  }
};

AdmitRun Schedule(const model::Snapshot& snapshot, const model::QueueObjects& queues, bool memo) {
  Options options;
  options.queues = &queues;
  options.placement_memo = memo;
  options.check = true;
  auto engine = Engine::Create(snapshot, options);
  EXPECT_TRUE(engine.ok()) << engine.error().ToString();
  return {&snapshot, (*engine)->ScheduleAll(), &queues};
}

// With and without the memo: every pod's outcome and node, and every workload's admission,
// are the same. A workload the memo refused says so, with the first one's reason; without the
// memo it got its own refusal, for its own pods.
void ExpectSameDecisions(const AdmitRun& with, const AdmitRun& without) {
  ASSERT_EQ(with.result.decisions.size(), without.result.decisions.size());
  for (size_t p = 0; p < with.result.decisions.size(); ++p) {
    const model::Decision& a = with.result.decisions[p];
    const model::Decision& b = without.result.decisions[p];
    EXPECT_EQ(a.outcome, b.outcome) << with.snapshot->pod(a.pod).name;
    EXPECT_EQ(a.node, b.node) << with.snapshot->pod(a.pod).name;
  }
  ASSERT_EQ(with.result.workloads.size(), without.result.workloads.size());
  for (size_t w = 0; w < with.result.workloads.size(); ++w) {
    const model::WorkloadDecision& a = with.result.workloads[w];
    const model::WorkloadDecision& b = without.result.workloads[w];
    const std::string& name = with.queues->workloads[w].name;
    EXPECT_EQ(a.admitted, b.admitted) << name;
    EXPECT_EQ(a.evicted, b.evicted) << name;
    ASSERT_EQ(a.pod_sets.size(), b.pod_sets.size()) << name;
    for (size_t s = 0; s < a.pod_sets.size(); ++s) {
      EXPECT_EQ(a.pod_sets[s].flavors, b.pod_sets[s].flavors) << name;
      EXPECT_EQ(a.pod_sets[s].count, b.pod_sets[s].count) << name;
    }
    if (a.message == b.message) continue;
    // Only a memo refusal differs: "as <first>, same pods and flavors: <first's reason>".
    const std::string marker = ", same pods and flavors: ";
    const size_t as = a.message.find("as default/");
    const size_t cut = a.message.find(marker);
    ASSERT_EQ(as, kNoPlacement.size()) << name << ": " << a.message;
    ASSERT_NE(cut, std::string::npos) << name << ": " << a.message;
    const std::string first = a.message.substr(as + 11, cut - as - 11);
    EXPECT_EQ(std::string(kNoPlacement) + a.message.substr(cut + marker.size()),
              without.Workload(first).message)
        << name << " cites " << first;
    EXPECT_TRUE(b.message.starts_with(kNoPlacement)) << name << ": " << b.message;
  }
}

// Issue #5: many alike workloads and a cluster that fills up. Nodes have 4 cpu each.
//   pair-0, pair-1 (2 pods x 3 cpu): one pod per node, 1 cpu left on each of the 4 nodes.
//   pair-2: no node has 3 cpu free -> refused by placement; pair-3..pair-5: alike, same
//     flavor -> refused by the memo, placement not asked (3 hits).
//   small-0..small-3 (1 pod x 1 cpu): one on each node's last cpu. small-4: refused by
//     placement; small-5: by the memo (1 hit).
// Placement is asked 2 + 1 + 4 + 1 = 8 times with the memo and 12 times without.
TEST(EngineAdmitTest, PlacementMemoRefusesAlikeWorkloadsWithTheSameDecisions) {
  QueuedCluster c;
  int64_t t = 0;
  for (int i = 0; i < 6; ++i) c.Workload("pair-" + std::to_string(i), 2, "3", ++t);
  for (int i = 0; i < 6; ++i) c.Workload("small-" + std::to_string(i), 1, "1", ++t);
  const model::Snapshot snapshot = std::move(c.builder).Build();
  const AdmitRun with = Schedule(snapshot, c.queues, /*memo=*/true);
  const AdmitRun without = Schedule(snapshot, c.queues, /*memo=*/false);
  EXPECT_EQ(with.result.check_error, "");
  EXPECT_EQ(without.result.check_error, "");
  EXPECT_EQ(with.result.placement_memo_hits, 4u);
  EXPECT_EQ(with.result.placement_tries, 8u);
  EXPECT_EQ(without.result.placement_memo_hits, 0u);
  EXPECT_EQ(without.result.placement_tries, 12u);
  for (const char* admitted : {"pair-0", "pair-1", "small-0", "small-1", "small-2", "small-3"}) {
    EXPECT_TRUE(with.Workload(admitted).admitted) << admitted;
  }
  for (const char* waiting : {"pair-2", "pair-3", "pair-4", "pair-5", "small-4", "small-5"}) {
    EXPECT_FALSE(with.Workload(waiting).admitted) << waiting;
  }
  EXPECT_TRUE(with.Workload("pair-5").message.starts_with(
      "quota available, no placement: as default/pair-2, same pods and flavors: "))
      << with.Workload("pair-5").message;
  EXPECT_TRUE(with.Workload("small-5").message.starts_with(
      "quota available, no placement: as default/small-4, same pods and flavors: "))
      << with.Workload("small-5").message;
  // The first refusal of each class was placement's own, with the blocked pod's reasons.
  EXPECT_TRUE(with.Workload("pair-2").blocked.has_value());
  EXPECT_EQ(with.Workload("pair-2").message, without.Workload("pair-2").message);
  ExpectSameDecisions(with, without);
}

// Workloads that differ in what placement looks at must not share a refusal. 4 cpu nodes:
//   fill-a (2 pods x 4 cpu, pool=a) fills n0 and n1; fill-b (1 x 4 cpu, pool=b) fills n2.
//   want-a-0 (1 x 2 cpu, pool=a): refused; want-a-1, alike: refused by the memo.
//   want-b (1 x 2 cpu, pool=b): same requests as want-a but another nodeSelector -> its own
//     placement, n3 (2 cpu left).
//   two-b (2 x 2 cpu, pool=b): n3 has room for one pod -> refused.
//   one-b (1 x 2 cpu, pool=b): the very pods of two-b, but one of them -> its own placement,
//     n3 (0 left).
TEST(EngineAdmitTest, PlacementMemoKeepsApartWorkloadsThatPlacementTellsApart) {
  QueuedCluster c;
  c.Workload("fill-a", 2, "4", 1, "a");
  c.Workload("fill-b", 1, "4", 2, "b");
  c.Workload("want-a-0", 1, "2", 3, "a");
  c.Workload("want-a-1", 1, "2", 4, "a");
  c.Workload("want-b", 1, "2", 5, "b");
  c.Workload("two-b", 2, "2", 6, "b");
  c.Workload("one-b", 1, "2", 7, "b");
  const model::Snapshot snapshot = std::move(c.builder).Build();
  const AdmitRun with = Schedule(snapshot, c.queues, /*memo=*/true);
  const AdmitRun without = Schedule(snapshot, c.queues, /*memo=*/false);
  EXPECT_EQ(with.result.check_error, "");
  EXPECT_EQ(with.result.placement_memo_hits, 1u);
  EXPECT_EQ(with.result.placement_tries, 6u);
  EXPECT_EQ(without.result.placement_tries, 7u);
  EXPECT_TRUE(
      with.Workload("want-a-1")
          .message.starts_with(
              "quota available, no placement: as default/want-a-0, same pods and flavors: "))
      << with.Workload("want-a-1").message;
  EXPECT_TRUE(with.Workload("want-b").admitted) << with.Workload("want-b").message;
  EXPECT_EQ(with.NodeOf("want-b-0"), "n3");
  EXPECT_FALSE(with.Workload("two-b").admitted);
  EXPECT_TRUE(with.Workload("one-b").admitted) << with.Workload("one-b").message;
  EXPECT_EQ(with.NodeOf("one-b-0"), "n3");
  ExpectSameDecisions(with, without);
}

}  // namespace
}  // namespace tessera::engine

namespace tessera::engine {
namespace {

// Partial admission (a Job's kueue.x-k8s.io/job-min-parallelism) in the engine. Four nodes of
// 4 cpu; "wide" asks 6 pods of 3 cpu, at least `min`: one pod per node fits, so 4 start
// (wide-0..wide-3, one per node) and wide-4, wide-5 are not started; "next" (1 pod x 1 cpu)
// then takes a node's last cpu.
void PartialWorkloads(QueuedCluster& c, int32_t min, std::optional<int64_t> quota_milli = {}) {
  c.Workload("wide", 6, "3", 1);
  c.queues.workloads.back().pod_sets[0].min_count = min;
  c.Workload("next", 1, "1", 2);
  if (quota_milli) {
    c.queues.cluster_queues[0].resource_groups[0].flavors[0].resources[0].nominal_quota =
        Quantity(*quota_milli);
  }
}

TEST(EngineAdmitTest, PartialAdmissionStartsThePodsThatPlace) {
  QueuedCluster c;
  PartialWorkloads(c, 2);
  const model::Snapshot snapshot = std::move(c.builder).Build();
  const AdmitRun run = Schedule(snapshot, c.queues, /*memo=*/true);
  EXPECT_EQ(run.result.check_error, "");
  const model::WorkloadDecision& wide = run.Workload("wide");
  ASSERT_TRUE(wide.admitted) << wide.message;
  ASSERT_EQ(wide.pod_sets.size(), 1u);
  EXPECT_EQ(wide.pod_sets[0].count, 4);
  EXPECT_EQ(wide.message, "partially admitted: 4 of 6 pods of main");
  std::set<std::string> nodes;
  for (int i = 0; i < 4; ++i) nodes.insert(run.NodeOf("wide-" + std::to_string(i)));
  EXPECT_EQ(nodes, (std::set<std::string>{"n0", "n1", "n2", "n3"}));
  for (const char* pod : {"wide-4", "wide-5"}) {
    const model::Decision& d = run.result.decisions[run.snapshot->FindPod("default", pod)->index()];
    EXPECT_EQ(d.outcome, Outcome::kWaiting) << pod;
    EXPECT_EQ(d.message,
              "not started: workload default/wide is admitted with 4 of the 6 pods of main (partial "
              "admission, kueue.x-k8s.io/job-min-parallelism 2); its Job runs with parallelism 4");
  }
  EXPECT_TRUE(run.Workload("next").admitted);
  EXPECT_NE(run.NodeOf("next-0"), "<none>");
}

TEST(EngineAdmitTest, PartialAdmissionWithinTheQuota) {
  QueuedCluster c;
  PartialWorkloads(c, 2, 9'000);  // 9 cpu: three pods of 3, and no quota left for next
  const model::Snapshot snapshot = std::move(c.builder).Build();
  const AdmitRun run = Schedule(snapshot, c.queues, /*memo=*/true);
  EXPECT_EQ(run.result.check_error, "");
  const model::WorkloadDecision& wide = run.Workload("wide");
  ASSERT_TRUE(wide.admitted) << wide.message;
  EXPECT_EQ(wide.pod_sets[0].count, 3);
  EXPECT_EQ(wide.message, "partially admitted: 3 of 6 pods of main");
  EXPECT_FALSE(run.Workload("next").admitted);
}

TEST(EngineAdmitTest, PartialAdmissionNeverBelowTheMinimum) {
  QueuedCluster c;
  PartialWorkloads(c, 5);
  const model::Snapshot snapshot = std::move(c.builder).Build();
  const AdmitRun run = Schedule(snapshot, c.queues, /*memo=*/true);
  EXPECT_EQ(run.result.check_error, "");
  const model::WorkloadDecision& wide = run.Workload("wide");
  EXPECT_FALSE(wide.admitted);
  EXPECT_NE(wide.message.find("; partial admission: no placement for 5 main pods: "),
            std::string::npos)
      << wide.message;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(run.NodeOf("wide-" + std::to_string(i)), "<none>");
  EXPECT_TRUE(run.Workload("next").admitted);
}

}  // namespace
}  // namespace tessera::engine

namespace tessera::engine {
namespace {

// A Workload object said Kueue admitted "old" with 2 of its 4 pods (6 cpu in flavor default):
// it holds 6 of the queue's 9 cpu, old-0 and old-1 are placed one by one, old-2 and old-3 are
// not started. "new" (3 cpu) fits the 3 left; "late" (3 cpu) waits for quota.
TEST(EngineAdmitTest, WorkloadAdmittedBeforeHoldsItsRecordedQuota) {
  QueuedCluster c;
  c.queues.cluster_queues[0].resource_groups[0].flavors[0].resources[0].nominal_quota =
      Quantity(9'000);
  c.Workload("old", 4, "3", 1);
  model::WorkloadAdmissionSpec admission{.cluster_queue = "cq", .object = "default/job-old"};
  admission.pod_sets.push_back({.name = "main",
                                .flavors = {{"cpu", "default"}},
                                .resource_usage = {{"cpu", Quantity(6'000)}},
                                .count = 2});
  c.queues.workloads.back().admission = std::move(admission);
  c.Workload("new", 1, "3", 2);
  c.Workload("late", 1, "3", 3);
  const model::Snapshot snapshot = std::move(c.builder).Build();
  const AdmitRun run = Schedule(snapshot, c.queues, /*memo=*/true);
  EXPECT_EQ(run.result.check_error, "");
  const model::WorkloadDecision& old = run.Workload("old");
  ASSERT_TRUE(old.admitted) << old.message;
  ASSERT_EQ(old.pod_sets.size(), 1u);
  EXPECT_EQ(old.pod_sets[0].count, 2);
  EXPECT_NE(run.NodeOf("old-0"), "<none>");
  EXPECT_NE(run.NodeOf("old-1"), "<none>");
  for (const char* pod : {"old-2", "old-3"}) {
    const model::Decision& d = run.result.decisions[run.snapshot->FindPod("default", pod)->index()];
    EXPECT_EQ(d.outcome, Outcome::kWaiting) << pod;
    EXPECT_EQ(d.message,
              "not started: workload default/old is admitted with 2 of the 4 pods of main "
              "(status.admission of Workload default/job-old)");
  }
  EXPECT_TRUE(run.Workload("new").admitted) << run.Workload("new").message;
  EXPECT_FALSE(run.Workload("late").admitted);
  EXPECT_EQ(run.Workload("late").message,
            "couldn't assign flavors to pod set main: insufficient unused quota for cpu in "
            "flavor default, 3 more needed");
}

}  // namespace
}  // namespace tessera::engine

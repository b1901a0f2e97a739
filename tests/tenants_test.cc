// `tessera simulate` with tenants (issue #5 part 7): the scenario's queues section compiled
// into Kueue specs, and the replay through admission cycles, with hand-computed cases
// (borrowing, reclaim, priority preemption, the fairness index) and invariants over seeded
// random tenant scenarios.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "admission/admitter.h"
#include "admission/queue_model.h"
#include "io/trace.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/tenant_replay.h"
#include "testing/random_trace.h"

namespace tessera {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

model::Scenario Parse(const std::string& text) {
  auto s = io::ParseScenario(text, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return s.ok() ? std::move(s).value() : model::Scenario{};
}

sim::SimConfig ReplayConfig(const model::Scenario& s, std::string policy = "fgd") {
  sim::SimConfig c;
  c.experiment = sim::Experiment::kReplay;
  c.workload = s.name;
  c.nodes = s.nodes;
  c.tasks = sim::ScenarioTasks(s, 1);
  c.queues = s.queues;
  c.policies = {std::move(policy)};
  c.check = true;
  return c;
}

// Records per step what each ClusterQueue uses of each resource (quota units).
class Recording final : public sim::TenantObserver {
 public:
  void Stepped(int64_t now_s, const admission::Admitter& admitter, const sim::World&,
               std::span<const model::TraceTask>, std::span<const uint32_t> pending) override {
    const admission::QueueModel& m = admitter.model();
    const admission::FlavorId f = m.FindFlavor("default");
    for (size_t q = 0; q < m.num_cluster_queues(); ++q) {
      const auto node = admission::QueueModel::NodeOf(admission::ClusterQueueId::FromIndex(q));
      for (size_t r = 0; r < m.num_quota_resources(); ++r) {
        const std::string key = m.cluster_queue(admission::ClusterQueueId::FromIndex(q)).name +
                                "/" + m.resource_name(admission::ResourceId::FromIndex(r));
        usage[now_s][key] =
            admitter.state().usage(node, m.Fr(f, admission::ResourceId::FromIndex(r)));
      }
      share[now_s][m.cluster_queue(admission::ClusterQueueId::FromIndex(q)).name] =
          admitter.state().WeightedShare(node);
    }
    pending_at[now_s] = static_cast<int64_t>(pending.size());
  }
  std::map<int64_t, std::map<std::string, int64_t>> usage;
  std::map<int64_t, std::map<std::string, double>> share;
  std::map<int64_t, int64_t> pending_at;
};

const char* kOneNode = R"(
nodeGroups:
  - prefix: a100
    count: 1
    gpuModel: A100
    gpusPerNode: 8
    cpu: 64
    memory: 512Gi
)";

// --- the scenario format ------------------------------------------------------------------

TEST(TenantScenarioTest, CompilesTheCompactFormIntoKueueSpecs) {
  const model::Scenario s = Parse(std::string(kOneNode) + R"(
queues:
  fairSharing: true
  priorityClasses: [{name: high, value: 1000}]
  cohorts:
    - name: org
    - name: ml
      parent: org
      quota: {gpu: 2}
  clusterQueues:
    - name: team-a
      cohort: ml
      weight: 2
      queueingStrategy: StrictFIFO
      quota: {cpu: 8, memory: 64Gi, gpu: 2.5}
      borrowingLimit: {gpu: 4}
      lendingLimit: {gpu: 1}
      preemption:
        withinClusterQueue: LowerOrNewerEqualPriority
        reclaimWithinCohort: Any
        borrowWithinCohort: LowerPriority
        maxPriorityThreshold: 100
    - name: team-b
      quota: {gpu: 1}
tasks:
  - name: burst
    count: 3
    queue: team-a
    priority: high
    gpus: 1
)");
  ASSERT_TRUE(s.queues.has_value());
  const model::ScenarioQueues& q = *s.queues;
  EXPECT_TRUE(q.fair_sharing);
  EXPECT_EQ(q.resources, (std::vector<std::string>{"cpu", "memory", "gpu"}));
  const model::QueueObjects& o = q.objects;
  ASSERT_EQ(o.flavors.size(), 1u);
  EXPECT_EQ(o.flavors[0].name, "default");
  ASSERT_EQ(o.cluster_queues.size(), 2u);
  const model::ClusterQueueSpec& a = o.cluster_queues[0];
  EXPECT_EQ(a.cohort, "ml");
  EXPECT_EQ(a.fair_sharing_weight, 2);
  EXPECT_EQ(a.queueing_strategy, model::QueueingStrategy::kStrictFIFO);
  EXPECT_EQ(a.preemption.within_cluster_queue, model::PreemptionPolicy::kLowerOrNewerEqualPriority);
  EXPECT_EQ(a.preemption.reclaim_within_cohort, model::PreemptionPolicy::kAny);
  EXPECT_EQ(a.preemption.borrow_within_cohort, model::PreemptionPolicy::kLowerPriority);
  EXPECT_EQ(a.preemption.borrow_max_priority_threshold, 100);
  ASSERT_EQ(a.resource_groups.size(), 1u);
  const auto& rs = a.resource_groups[0].flavors[0].resources;
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].name, "cpu");
  EXPECT_EQ(rs[0].nominal_quota.value(), 8000);  // millicores
  EXPECT_EQ(rs[1].nominal_quota.value(), 64 * kGiB);
  EXPECT_EQ(rs[2].nominal_quota.value(), 2500);  // milli-GPU
  EXPECT_EQ(rs[2].borrowing_limit->value(), 4000);
  EXPECT_EQ(rs[2].lending_limit->value(), 1000);
  EXPECT_FALSE(rs[0].borrowing_limit.has_value());
  // team-b names only gpu: it covers cpu and memory too, with nominal 0.
  const auto& rb = o.cluster_queues[1].resource_groups[0].flavors[0].resources;
  EXPECT_EQ(rb[0].nominal_quota.value(), 0);
  EXPECT_EQ(rb[2].nominal_quota.value(), 1000);
  ASSERT_EQ(o.cohorts.size(), 2u);
  EXPECT_EQ(o.cohorts[1].parent, "org");
  EXPECT_EQ(o.cohorts[1].resource_groups[0].flavors[0].resources[2].nominal_quota.value(), 2000);
  EXPECT_TRUE(o.cohorts[0].resource_groups.empty());
  ASSERT_EQ(o.local_queues.size(), 2u);
  EXPECT_EQ(o.local_queues[0].namespace_name, "default");
  EXPECT_EQ(o.local_queues[0].cluster_queue, "team-a");
  ASSERT_EQ(o.workload_priority_classes.size(), 1u);
  EXPECT_EQ(o.workload_priority_classes[0].value, 1000);
  // `count: 3` lists burst-0 .. burst-2, each in team-a with priority class high.
  ASSERT_EQ(s.tasks.size(), 3u);
  EXPECT_EQ(s.tasks[2].name, "burst-2");
  EXPECT_EQ(s.tasks[2].queue, "team-a");
  EXPECT_EQ(s.tasks[2].priority_class, "high");
  // And the specs compile as `tessera schedule`'s do.
  auto compiled = admission::QueueModel::Build(o);
  ASSERT_TRUE(compiled.ok()) << compiled.error().ToString();
  EXPECT_EQ(compiled->num_cluster_queues(), 2u);
}

TEST(TenantScenarioTest, TasksMustNameAQueueWhenThereAreQueues) {
  auto s = io::ParseScenario(std::string(kOneNode) + R"(
queues:
  clusterQueues: [{name: team-a, quota: {gpu: 8}}]
tasks:
  - name: train-0
    gpus: 1
)",
                             "t.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "t.yaml: task train-0: tasks[0].queue: required when the scenario has queues: name "
            "one of its clusterQueues");
}

TEST(TenantScenarioTest, FillRefusesAScenarioWithQueues) {
  const model::Scenario s = Parse(std::string(kOneNode) + R"(
queues:
  clusterQueues: [{name: team-a, quota: {gpu: 8}}]
tasks: [{name: t, queue: team-a, gpus: 1}]
)");
  sim::SimConfig c = ReplayConfig(s);
  c.experiment = sim::Experiment::kFill;
  auto r = sim::Simulate(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "t has queues: they apply to --experiment replay");
}

// --- hand-computed replays ----------------------------------------------------------------

// Two queues of nominal 4 GPUs in one cohort on one 8-GPU node. team-b bursts at 0 with 8
// one-GPU tasks of 10 h: it runs 4 on its quota and borrows team-a's idle 4. team-a comes back
// at 100 s with 4 tasks of 1 h: reclaimWithinCohort preempts 4 of team-b's tasks in the cycle
// at 100 s, and team-a runs its 4 at once (wait 0). team-b's 4 victims wait until team-a's
// tasks leave at 3700 s, then borrow again.
TEST(TenantReplayTest, ReturningQueueReclaimsItsNominalWithinOneCycle) {
  const model::Scenario s = Parse(std::string(kOneNode) + R"(
queues:
  clusterQueues:
    - name: team-a
      cohort: ml
      quota: {gpu: 4}
      preemption: {reclaimWithinCohort: Any}
    - name: team-b
      cohort: ml
      quota: {gpu: 4}
      preemption: {reclaimWithinCohort: Any}
tasks:
  - {name: b, count: 8, queue: team-b, gpus: 1, cpu: 1, memory: 1Gi, duration: 10h}
  - {name: a, count: 4, queue: team-a, gpus: 1, cpu: 1, memory: 1Gi, arrival: 100s, duration: 1h}
)");
  const sim::SimConfig c = ReplayConfig(s);
  Recording rec;
  auto run = sim::RunTenantReplay(c, "fgd", 42, {}, {}, &rec);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  // t = 0: team-b uses 8 GPUs (4 borrowed); its weighted share is 4000 borrowed * 1000 /
  // 8000 lendable = 500 per mille.
  EXPECT_EQ(rec.usage[0]["team-b/gpu"], 8000);
  EXPECT_EQ(rec.usage[0]["team-a/gpu"], 0);
  EXPECT_DOUBLE_EQ(rec.share[0]["team-b"], 500);
  // t = 100: one cycle later team-a has its nominal 4 back, team-b is at its nominal.
  EXPECT_EQ(rec.usage[100]["team-a/gpu"], 4000);
  EXPECT_EQ(rec.usage[100]["team-b/gpu"], 4000);
  EXPECT_EQ(rec.pending_at[100], 4);  // team-b's victims, requeued
  // t = 3700: team-a's tasks left; the victims borrow again.
  EXPECT_EQ(rec.usage[3700]["team-a/gpu"], 0);
  EXPECT_EQ(rec.usage[3700]["team-b/gpu"], 8000);
  ASSERT_EQ(run->queues.size(), 2u);
  const sim::QueueRun& a = run->queues[0];
  const sim::QueueRun& b = run->queues[1];
  EXPECT_EQ(a.name, "team-a");
  EXPECT_EQ(a.admissions, 4);
  EXPECT_EQ(a.preemptions, 0);
  EXPECT_EQ(a.wait_p99_s, 0);
  EXPECT_EQ(b.admissions, 12);  // 8, then the 4 victims again
  EXPECT_EQ(b.preemptions, 4);
  EXPECT_EQ(b.borrowing_admissions, 8);  // 4 at t = 0 (the last 4), 4 at t = 3700
  EXPECT_EQ(b.wait_p99_s, 0);            // waits count to the first admission
  EXPECT_EQ(run->preemptions, 4);
  ASSERT_EQ(b.nominal.size(), 1u);  // only gpu is under quota
  EXPECT_EQ(b.nominal[0], 4);
  // Time-weighted over [0, 39700] (the readmitted victims leave at 3700 + 36000): team-b
  // borrows 4 GPUs during [0, 100) and [3700, 36000), then runs only its 4 readmitted tasks:
  // 4 * (100 + 32,300) / 39,700 = 3.2645.
  EXPECT_NEAR(b.borrowed_mean[0], 4.0 * (100 + 32300) / 39700, 1e-9);
  // Only team-b has demand outside [100, 3700); inside, both are at nominal (shares 0):
  // the index is 1 throughout.
  EXPECT_DOUBLE_EQ(run->fairness_mean, 1);
  EXPECT_EQ(run->failed, 0);
}

// One queue of nominal 2 GPUs with withinClusterQueue LowerPriority: two low tasks run from 0;
// a high task at 50 s preempts one of them in the cycle it arrives and starts at once; the
// victim runs again when the high task leaves at 50 + 1800 = 1850 s.
TEST(TenantReplayTest, HigherPriorityPreemptsWithinTheQueue) {
  const model::Scenario s = Parse(std::string(kOneNode) + R"(
queues:
  priorityClasses: [{name: low, value: 10}, {name: high, value: 100}]
  clusterQueues:
    - name: team-a
      quota: {gpu: 2}
      preemption: {withinClusterQueue: LowerPriority}
tasks:
  - {name: low, count: 2, queue: team-a, priority: low, gpus: 1, duration: 10h}
  - {name: high, queue: team-a, priority: high, gpus: 1, arrival: 50s, duration: 30m}
)");
  Recording rec;
  auto run = sim::RunTenantReplay(ReplayConfig(s), "fgd", 42, {}, {}, &rec);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(rec.usage[50]["team-a/gpu"], 2000);
  EXPECT_EQ(rec.pending_at[50], 1);  // the low victim
  EXPECT_EQ(rec.pending_at[1850], 0);
  EXPECT_EQ(rec.usage[1850]["team-a/gpu"], 2000);
  const sim::QueueRun& q = run->queues[0];
  EXPECT_EQ(q.admissions, 4);
  EXPECT_EQ(q.preemptions, 1);
  EXPECT_EQ(q.wait_p99_s, 0);
  // Without a cohort nothing is borrowed and the share is 0.
  EXPECT_EQ(q.borrowed_mean[0], 0);
  EXPECT_EQ(q.weighted_share_mean, 0);
}

// Without preemption the high task waits for a slot: a low task leaves at 600 s.
TEST(TenantReplayTest, WithoutPreemptionTheHighTaskWaits) {
  const model::Scenario s = Parse(std::string(kOneNode) + R"(
queues:
  priorityClasses: [{name: low, value: 10}, {name: high, value: 100}]
  clusterQueues: [{name: team-a, quota: {gpu: 2}}]
tasks:
  - {name: low-long, queue: team-a, priority: low, gpus: 1, duration: 10h}
  - {name: low-short, queue: team-a, priority: low, gpus: 1, duration: 10m}
  - {name: high, queue: team-a, priority: high, gpus: 1, arrival: 50s, duration: 30m}
)");
  auto run = sim::RunTenantReplay(ReplayConfig(s), "fgd", 42, {}, {});
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(run->queues[0].preemptions, 0);
  EXPECT_EQ(run->wait_max_s, 550);  // 600 - 50
}

TEST(JainIndexTest, HandComputedValues) {
  EXPECT_DOUBLE_EQ(sim::JainIndex(std::vector<double>{}), 1);
  EXPECT_DOUBLE_EQ(sim::JainIndex(std::vector<double>{0, 0}), 1);
  // (0.2 + 0.2)^2 / (3 * (0.04 + 0.04)) = 0.16 / 0.24.
  EXPECT_DOUBLE_EQ(sim::JainIndex(std::vector<double>{0.2, 0.2, 0}), 0.16 / 0.24);
  // (0.5 + 0.25)^2 / (2 * 0.3125) = 0.9.
  EXPECT_DOUBLE_EQ(sim::JainIndex(std::vector<double>{0.5, 0.25}), 0.9);
  EXPECT_DOUBLE_EQ(sim::JainIndex(std::vector<double>{0.3, 0.3, 0.3}), 1);
}

// Three queues of nominal 2 GPUs in a cohort (6 GPUs of quota on the 8-GPU node). team-a runs
// 4 (borrowing 2), team-b its 2 (at nominal, with a third waiting), team-c is idle. team-a's
// share: 2000 borrowed * 1000 / 6000 lendable = 333 per mille (integer, as Kueue) = 0.333.
// Queues with demand: a and b; Jain over [0.333, 0] = 0.333^2 / (2 * 0.333^2) = 0.5.
TEST(TenantReplayTest, FairnessIndexOfAHandComputedState) {
  const model::Scenario s = Parse(std::string(kOneNode) + R"(
queues:
  clusterQueues:
    - {name: team-a, cohort: ml, quota: {gpu: 2}}
    - {name: team-b, cohort: ml, quota: {gpu: 2}}
    - {name: team-c, cohort: ml, quota: {gpu: 2}}
tasks:
  - {name: a, count: 4, queue: team-a, gpus: 1, duration: 1h}
  - {name: b, count: 3, queue: team-b, gpus: 1, arrival: 10s, duration: 1h}
)");
  Recording rec;
  auto run = sim::RunTenantReplay(ReplayConfig(s), "fgd", 42, {}, {}, &rec);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(rec.usage[10]["team-a/gpu"], 4000);
  EXPECT_EQ(rec.usage[10]["team-b/gpu"], 2000);
  EXPECT_EQ(rec.pending_at[10], 1);
  // Without reclaim team-b's third task waits for team-a's borrowed GPUs.
  const auto point = std::find_if(run->fairness.begin(), run->fairness.end(),
                                  [](const sim::FairnessPoint& p) { return p.time_s == 10; });
  ASSERT_NE(point, run->fairness.end());
  EXPECT_EQ(point->queues_with_demand, 2);
  EXPECT_DOUBLE_EQ(point->index, 0.5);
  const sim::QueuePoint& a10 = run->queues[0].timeline[1];
  ASSERT_EQ(a10.time_s, 10);
  EXPECT_DOUBLE_EQ(a10.weighted_share, 0.333);
  EXPECT_DOUBLE_EQ(a10.borrowed[0], 2);
  EXPECT_DOUBLE_EQ(a10.used[0], 4);
}

// --- invariants over seeded random tenant scenarios ---------------------------------------

// At every grid point: no ClusterQueue above nominal + borrowingLimit and no cohort above its
// subtree quota, for every resource; every admitted task on a node and every waiting one on
// none (nothing partly admitted); and with reclaimWithinCohort Any, no waiting task that would
// fit in its queue's unused nominal quota (it got it back in the cycle). Whole one-GPU tasks
// on nodes whose GPUs equal the quota, so placement can always follow quota.
class Invariants final : public sim::TenantObserver {
 public:
  void Stepped(int64_t now_s, const admission::Admitter& admitter, const sim::World& world,
               std::span<const model::TraceTask> order,
               std::span<const uint32_t> pending) override {
    const admission::QueueModel& m = admitter.model();
    const admission::QuotaState& st = admitter.state();
    for (size_t n = 0; n < m.num_nodes(); ++n) {
      const auto node = admission::QuotaNodeId::FromIndex(n);
      for (size_t fr = 0; fr < m.num_flavor_resources(); ++fr) {
        const auto f = static_cast<admission::FlavorResource>(fr);
        const int64_t used = st.usage(node, f);
        const int64_t limit = m.borrowing_limit(node, f);
        const int64_t cap = m.node(node).parent.valid() && limit != admission::kNoLimit
                                ? m.subtree_quota(node, f) + limit
                            : m.node(node).parent.valid() ? admission::kNoLimit
                                                          : m.subtree_quota(node, f);
        ASSERT_LE(used, cap) << "t=" << now_s << " " << m.node(node).name << " fr " << fr;
        ASSERT_GE(used, 0);
      }
    }
    std::vector<uint8_t> waiting(order.size(), 0);
    for (uint32_t t : pending) waiting[t] = 1;
    int64_t placed = 0;
    for (size_t t = 0; t < order.size(); ++t) {
      if (waiting[t]) {
        ASSERT_LT(world.node_of(t), 0) << order[t].name;
      }
      placed += world.node_of(t) >= 0 ? 1 : 0;
    }
    int64_t running = 0;
    for (const admission::RunningWorkload& w : admitter.running()) running += w.active ? 1 : 0;
    ASSERT_EQ(placed, running) << "t=" << now_s;
    const admission::FlavorId f = m.FindFlavor("default");
    const admission::ResourceId gpu = m.FindResource("gpu");
    for (uint32_t t : pending) {
      const admission::ClusterQueueId cq = m.FindClusterQueue(order[t].queue);
      const auto node = admission::QueueModel::NodeOf(cq);
      const int64_t used = st.usage(node, m.Fr(f, gpu));
      ASSERT_GT(used + order[t].num_gpu * 1000, m.nominal(node, m.Fr(f, gpu)))
          << "t=" << now_s << ": " << order[t].name << " waits below nominal in " << order[t].queue;
    }
    ++steps;
  }
  int64_t steps = 0;
};

TEST(TenantReplayTest, InvariantsHoldOnSeededRandomTenants) {
  for (const uint64_t seed : std::vector<uint64_t>{1, 2, 3}) {
    SCOPED_TRACE(seed);
    // Demand about 1.15 x the quota (testing::RandomTenantScenarioYaml).
    const std::string yaml = testing::RandomTenantScenarioYaml(seed, 800);
    const model::Scenario s = Parse(yaml);
    ASSERT_TRUE(s.queues.has_value());
    for (const char* policy : {"fgd", "least-allocated"}) {
      SCOPED_TRACE(policy);
      Invariants inv;
      auto run = sim::RunTenantReplay(ReplayConfig(s, policy), policy, seed, {}, {}, &inv);
      ASSERT_TRUE(run.ok()) << run.error().ToString();
      EXPECT_GT(inv.steps, 1000);
      EXPECT_EQ(run->failed, 0);
      EXPECT_GT(run->admissions, 800);  // some readmissions of victims
      EXPECT_GT(run->preemptions, 0);
    }
  }
}

// Deterministic per seed, whatever the number of threads.
TEST(TenantReplayTest, SameSeedSameRunOnAnyThreadCount) {
  auto s = io::LoadScenario(std::string(TESSERA_SOURCE_DIR) + "/examples/scenarios/tenants.yaml");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  sim::SimConfig c = ReplayConfig(*s);
  c.check = false;
  c.policies = {"fgd", "tessera"};
  c.seeds = {42, 43};
  c.threads = 1;
  auto one = sim::Simulate(c);
  c.threads = 4;
  auto four = sim::Simulate(c);
  ASSERT_TRUE(one.ok() && four.ok());
  ASSERT_EQ(one->runs.size(), 4u);
  for (size_t i = 0; i < one->runs.size(); ++i) {
    const sim::Run& x = one->runs[i];
    const sim::Run& y = four->runs[i];
    EXPECT_EQ(x.admissions, y.admissions);
    EXPECT_EQ(x.preemptions, y.preemptions);
    EXPECT_EQ(x.wait_p99_s, y.wait_p99_s);
    EXPECT_EQ(x.fairness_mean, y.fairness_mean);
    for (size_t q = 0; q < x.queues.size(); ++q) {
      EXPECT_EQ(x.queues[q].used_mean, y.queues[q].used_mean);
      EXPECT_EQ(x.queues[q].timeline.size(), y.queues[q].timeline.size());
    }
    // The example does what its comments say: borrowing, reclaim and preemption happen.
    EXPECT_GT(x.preemptions, 0);
    EXPECT_GT(x.queues[1].borrowing_admissions, 0);  // team-b
  }
}

}  // namespace
}  // namespace tessera

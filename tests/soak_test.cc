// A seeded random soak of at least 1,000,000 simulator decisions (placements and
// departures of shares, whole and multi-GPU tasks, model-constrained and CPU-only tasks)
// under every policy, with the invariant checker on after every decision: no device,
// capacity or node over-allocated, and the device ledger equal to what the claims hold.
// A second soak does the same for queues and gangs: random tenant replays (quota limits at
// every cohort level after every admission cycle, devices after every decision) and backfill
// replays of gangs through the JobSet lifecycle (pod and node failures, leader-workers
// stages, waitForPodsReady with requeue, blockAdmission) with the engine checked after every
// start. Label slow: a few minutes in a release build (`make test-slow`).
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "io/trace.h"
#include "sim/backfill_experiment.h"
#include "sim/policies.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "testing/random_trace.h"

namespace tessera {
namespace {

TEST(SoakTest, AMillionCheckedDecisions) {
  int64_t decisions = 0;
  for (uint64_t seed = 1; decisions < 1'000'000; ++seed) {
    model::Scenario trace = testing::RandomTrace(seed, /*nodes=*/200, /*tasks=*/6'000);
    sim::SimConfig c;
    c.nodes = std::move(trace.nodes);
    c.tasks = std::move(trace.tasks);
    c.policies.assign(sim::PolicyNames().begin(), sim::PolicyNames().end());
    c.seeds = {seed};
    c.threads = 2;
    c.check = true;
    c.experiment = seed % 2 == 0 ? sim::Experiment::kFill : sim::Experiment::kReplay;
    auto r = sim::Simulate(c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    for (const sim::Run& run : r->runs) decisions += run.decisions;
  }
  std::printf("%lld decisions checked\n", static_cast<long long>(decisions));
}

TEST(SoakTest, QueuesAndGangsUnderTheChecker) {
  // Tenants: each run's decisions are its placements and departures.
  int64_t tenant_decisions = 0;
  int64_t cycles = 0, preemptions = 0;
  for (uint64_t seed = 1; tenant_decisions < 200'000; ++seed) {
    auto s = io::ParseScenario(testing::RandomTenantScenarioYaml(seed, 2'000), "soak.yaml");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    sim::SimConfig c;
    c.experiment = sim::Experiment::kReplay;
    c.workload = s->name;
    c.nodes = s->nodes;
    c.tasks = sim::ScenarioTasks(*s, seed);
    c.queues = s->queues;
    c.policies = {"fgd", "tessera"};
    c.seeds = {seed};
    c.threads = 2;
    c.check = true;
    auto r = sim::Simulate(c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    for (const sim::Run& run : r->runs) {
      tenant_decisions += run.decisions;
      cycles += run.cycles;
      preemptions += run.preemptions;
    }
  }
  EXPECT_GT(preemptions, 0);
  // Gangs: every start checked (GangReplayOptions::check), with failures and stages.
  int64_t gang_decisions = 0;
  int64_t restarts = 0, evictions = 0;
  for (uint64_t seed = 1; gang_decisions < 200'000; ++seed) {
    sim::BackfillConfig c;
    c.seeds = {seed};
    c.threads = 2;
    c.check = true;
    c.pod_failure_probability = 0.02;
    c.node_mtbf_hours = 500;
    c.jobset_shape = seed % 2 == 0 ? sim::JobSetShape::kLeaderWorkers : sim::JobSetShape::kGang;
    c.pod_startup_max_s = 120;
    c.wait_for_pods_ready_s = 600;
    c.block_admission = seed % 3 == 0;
    auto r = sim::RunBackfillExperiment(c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    for (const sim::BackfillRun& run : r->runs) {
      gang_decisions += run.checked;
      restarts += run.replacements;
      evictions += run.evictions;
    }
  }
  EXPECT_GT(restarts, 0);
  EXPECT_GT(evictions, 0);
  std::printf("tenants: %lld decisions in %lld cycles (%lld preemptions); gangs: %lld checked "
              "starts (%lld pod replacements, %lld evictions)\n",
              static_cast<long long>(tenant_decisions), static_cast<long long>(cycles),
              static_cast<long long>(preemptions), static_cast<long long>(gang_decisions),
              static_cast<long long>(restarts), static_cast<long long>(evictions));
}

}  // namespace
}  // namespace tessera

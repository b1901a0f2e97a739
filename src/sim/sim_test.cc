#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "sim/cluster.h"
#include "sim/frag.h"
#include "sim/packing_bound.h"
#include "sim/policies.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "testing/random_trace.h"

namespace tessera::sim {
namespace {

model::TraceNode Node(std::string name, int gpus, int64_t cores = 32, std::string model = "T4") {
  return {.name = std::move(name),
          .cpu_milli = cores * 1000,
          .memory_mib = 256 * 1024,
          .gpus = gpus,
          .gpu_model = gpus > 0 ? std::move(model) : ""};
}

model::TraceTask TaskOf(std::string name, int32_t gpus, int32_t milli, int64_t cores = 1,
                        std::vector<std::string> models = {}) {
  return {.name = std::move(name),
          .cpu_milli = cores * 1000,
          .memory_mib = 1024,
          .num_gpu = gpus,
          .gpu_milli = milli,
          .gpu_models = std::move(models)};
}

std::unique_ptr<World> MakeWorld(const std::vector<model::TraceNode>& nodes,
                                 const std::vector<model::TraceTask>& tasks, bool whole = false) {
  auto w = World::Build(nodes, tasks, {.whole_gpu = whole});
  EXPECT_TRUE(w.ok()) << w.error().ToString();
  return std::move(w).value();
}

TEST(WorldTest, FractionalTasksShareOneDeviceThroughTheDraAllocator) {
  auto w =
      MakeWorld({Node("n0", 2)}, {TaskOf("a", 1, 600), TaskOf("b", 1, 300), TaskOf("c", 1, 500)});
  w->Place(0, 0);
  // The allocator's packing order puts the second share on the fuller GPU: the paper's "best".
  w->Place(1, 0);
  EXPECT_EQ(w->node(0).gpu_free[0], 100);
  EXPECT_EQ(w->node(0).gpu_free[1], 1000);
  EXPECT_EQ(w->node(0).full_gpus, 1);
  EXPECT_EQ(w->node(0).cpu_free, 30'000);
  EXPECT_FALSE(w->node(0).Fits(Task{.num_gpu = 2, .gpu_milli = 1000}));  // one GPU untouched
  EXPECT_TRUE(w->node(0).Fits(Task{.num_gpu = 1, .gpu_milli = 1000}));
  w->Place(2, 0);
  EXPECT_EQ(w->node(0).gpu_free[1], 500);
  w->Remove(1);
  EXPECT_EQ(w->node(0).gpu_free[0], 400);
  EXPECT_EQ(w->node(0).cpu_free, 30'000);  // two of the three tasks remain
  EXPECT_EQ(w->node_of(1), -1);
}

TEST(WorldTest, PreferredGpuIsHonoured) {
  auto w = MakeWorld({Node("n0", 4)}, {TaskOf("a", 1, 250)});
  w->Place(0, 0, /*gpu=*/2);
  EXPECT_EQ(w->node(0).gpu_free[2], 750);
  EXPECT_EQ(w->node(0).gpu_free[0], 1000);
}

TEST(WorldTest, WholeGpuTasksTakeWholeDevicesAndRemoveGivesThemBack) {
  auto w = MakeWorld({Node("n0", 4)}, {TaskOf("a", 2, 1000), TaskOf("b", 1, 400)});
  w->Place(0, 0);
  EXPECT_EQ(w->node(0).full_gpus, 2);
  EXPECT_EQ(w->node(0).gpu_free_total, 2000);
  w->Place(1, 0);
  w->Remove(0);
  EXPECT_EQ(w->node(0).gpu_free_total, 3600);
  EXPECT_EQ(w->node(0).full_gpus, 3);
}

TEST(WorldTest, WholeGpuWorldRoundsSharesUp) {
  auto w = MakeWorld({Node("n0", 2)}, {TaskOf("a", 1, 100), TaskOf("b", 1, 100)}, /*whole=*/true);
  w->Place(0, 0);
  w->Place(1, 0);
  EXPECT_EQ(w->node(0).gpu_free_total, 0);
  EXPECT_EQ(w->tasks()[0].demand_milli, 100);  // what the trace asked, for the metrics
}

TEST(WorldTest, ModelConstraintsAreDraSelectors) {
  auto w = MakeWorld({Node("t4", 1, 32, "T4"), Node("v100", 1, 32, "V100")},
                     {TaskOf("a", 1, 500, 1, {"V100"})});
  const Task& t = w->tasks()[0];
  size_t t4 = w->node_name(0) == "t4" ? 0 : 1;
  EXPECT_FALSE(w->node(t4).Fits(t));
  EXPECT_TRUE(w->node(1 - t4).Fits(t));
  w->Place(0, 1 - t4);
  EXPECT_EQ(w->node(1 - t4).gpu_free[0], 500);
}

TEST(WorldTest, RejectsTooManyGpusPerNode) {
  auto w = World::Build(std::vector<model::TraceNode>{Node("big", 17)}, {});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message().find("big"), std::string::npos);
}

// Hand-computed: free GPUs [1000, 190], 10 cores free. Type A (4 cores, 810 milli, p .5)
// fits on GPU 0 and leaves GPU 1's 190 fragmented: 95. Type B (20 cores, one GPU, p .5)
// lacks CPU, so all 1190 free milli count: 595. Total 690.
TEST(FragmentationTest, HandComputedNode) {
  std::vector<TaskType> workload = {
      {.cpu_milli = 4000, .num_gpu = 1, .gpu_milli = 810, .popularity = 0.5},
      {.cpu_milli = 20000, .num_gpu = 1, .gpu_milli = 1000, .popularity = 0.5}};
  std::vector<int32_t> free = {1000, 190};
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 10'000, free, workload), 690);
  // A CPU-only type sees all free GPU as fragmented; a disallowed model too.
  std::vector<TaskType> cpu_only = {{.cpu_milli = 1000, .popularity = 1}};
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 10'000, free, cpu_only), 1190);
  std::vector<TaskType> other_model = {{.cpu_milli = 0,
                                        .num_gpu = 1,
                                        .gpu_milli = 100,
                                        .constrained = true,
                                        .model_mask = 2,
                                        .popularity = 1}};
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 10'000, free, other_model), 1190);
  EXPECT_DOUBLE_EQ(NodeFragmentation(1, 10'000, free, other_model), 0);
}

TEST(FragmentationTest, TypicalTasksKeepTheTypeThatCrosses95Percent) {
  std::vector<model::TraceTask> tasks;
  for (int i = 0; i < 90; ++i) tasks.push_back(TaskOf("a" + std::to_string(i), 1, 500));
  for (int i = 0; i < 6; ++i) tasks.push_back(TaskOf("b" + std::to_string(i), 1, 1000));
  for (int i = 0; i < 4; ++i) tasks.push_back(TaskOf("c" + std::to_string(i), 0, 0));
  std::vector<std::string> models = {"T4"};
  auto types = TypicalTasks(tasks, models);
  ASSERT_EQ(types.size(), 2u);  // 90% < 95%, 96% >= 95%: the third type is left out
  EXPECT_EQ(types[0].gpu_milli, 500);
  EXPECT_NEAR(types[0].popularity, 90.0 / 96, 1e-12);
  EXPECT_NEAR(types[1].popularity, 6.0 / 96, 1e-12);
}

TEST(FillOrderTest, ShufflesThenInflatesByDrawingWithReplacement) {
  std::vector<model::TraceTask> tasks;
  for (int i = 0; i < 10; ++i) tasks.push_back(TaskOf("t" + std::to_string(i), 1, 500));
  // Capacity 4 GPUs: the originals ask 5 GPUs; tune 2 inflates to 8 GPUs = 16 tasks of 500.
  auto order = FillOrder(tasks, 4000, 2.0, 42);
  ASSERT_EQ(order.size(), 16u);
  std::set<std::string> names;
  for (const auto& t : order) names.insert(t.name);
  EXPECT_EQ(names.size(), 16u);
  EXPECT_NE(order[10].name.find("-tuned-"), std::string::npos);
  EXPECT_EQ(FillOrder(tasks, 4000, 2.0, 42)[3].name, order[3].name);  // deterministic
  bool differs = false;
  auto other = FillOrder(tasks, 4000, 2.0, 43);
  for (size_t i = 0; i < 10; ++i) differs |= other[i].name != order[i].name;
  EXPECT_TRUE(differs);
}

SimConfig RandomConfig(uint64_t seed, int nodes, int tasks) {
  model::Scenario random = testing::RandomTrace(seed, nodes, tasks);
  SimConfig c;
  c.nodes = std::move(random.nodes);
  c.tasks = std::move(random.tasks);
  c.workload = random.name;
  c.check = true;
  return c;
}

SimConfig SmallConfig() {
  SimConfig c;
  model::Scenario s = BuiltinScenario();
  c.nodes = s.nodes;
  c.tasks = ScenarioTasks(s, 1);
  c.workload = "builtin";
  c.check = true;  // the invariant checker is always on in tests
  return c;
}

TEST(SimulateTest, EveryPolicyRunsAndCurvesAreConsistent) {
  SimConfig c = SmallConfig();
  c.policies.assign(PolicyNames().begin(), PolicyNames().end());
  c.seeds = {42};
  c.threads = 2;
  auto r = Simulate(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->runs.size(), PolicyNames().size());
  for (const sim::Run& run : r->runs) {
    SCOPED_TRACE(run.policy);
    ASSERT_EQ(run.allocated_gpu_pct.size(), static_cast<size_t>(kMaxArrivedPct + 1));
    // Allocation never exceeds what arrived, and ends at the final figure.
    for (int pct = 0; pct <= kMaxArrivedPct; ++pct) {
      const double a = run.allocated_gpu_pct[static_cast<size_t>(pct)];
      if (!std::isnan(a)) {
        EXPECT_LE(a, pct + 0.5 + 1e-9);
      }
    }
    EXPECT_GT(run.allocated_gpu_pct_final, 50);
    EXPECT_LE(run.allocated_gpu_pct_final, 100);
    EXPECT_GT(run.failed, 0);  // 1.3 x capacity cannot all fit
  }
  ASSERT_EQ(r->summary.size(), PolicyNames().size());
}

TEST(SimulateTest, DeterministicAcrossThreadCounts) {
  SimConfig c = SmallConfig();
  c.policies = {"random", "fgd", "tessera"};
  c.seeds = {7, 8};
  c.threads = 1;
  auto one = Simulate(c);
  c.threads = 2;
  auto two = Simulate(c);
  ASSERT_TRUE(one.ok() && two.ok());
  for (size_t i = 0; i < one->runs.size(); ++i) {
    EXPECT_EQ(one->runs[i].failed, two->runs[i].failed);
    EXPECT_EQ(one->runs[i].allocated_gpu_pct_final, two->runs[i].allocated_gpu_pct_final);
  }
}

TEST(SimulateTest, ValidatesItsConfig) {
  SimConfig c = SmallConfig();
  c.policies = {"nope"};
  auto r = Simulate(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("valid:"), std::string::npos);
  c = SmallConfig();
  c.nodes = {Node("cpu-only", 0)};
  EXPECT_FALSE(Simulate(c).ok());
  c = SmallConfig();
  c.tune = 0;
  EXPECT_FALSE(Simulate(c).ok());
}

// Two nodes of two GPUs. Shares of 600, 600 and 800 need three GPUs (no two fit together),
// the first whole-GPU task takes the fourth and the second finds none: at arrived = 100%
// every policy has allocated 3000 of 4000 milli, and the packing floor says no policy that
// places every share could leave less than those 25%.
TEST(SimulateTest, PackingFloorIsReachedWhenTheSharesLeaveNoChoice) {
  SimConfig c;
  c.nodes = {Node("a", 2), Node("b", 2)};
  for (const model::TraceTask& t :
       {TaskOf("s1", 1, 600), TaskOf("s2", 1, 600), TaskOf("s3", 1, 800), TaskOf("w1", 1, 1000),
        TaskOf("w2", 1, 1000)}) {
    c.arrivals.push_back({.task = t});
  }
  c.policies = {"best-fit", "fgd", "tessera"};
  c.seeds = {1, 2};
  c.check = true;
  auto r = Simulate(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->packing_floor.size(), 2u);
  for (const SimResult::SeedFloor& f : r->packing_floor) {
    EXPECT_DOUBLE_EQ(f.every_share_placed_pct, 25);
    EXPECT_DOUBLE_EQ(f.best_fit_decreasing_pct, 25);
    EXPECT_NEAR(f.any_run_pct, 15, 1e-9);  // refusing a 600 would have left only 15%
  }
  EXPECT_DOUBLE_EQ(r->packing_floor_every_share_pct.mean, 25);
  EXPECT_DOUBLE_EQ(r->packing_floor_every_share_pct.sd, 0);
  EXPECT_NEAR(r->packing_floor_pct.mean, 15, 1e-9);
  for (const PolicySummary& s : r->summary) {
    ASSERT_FALSE(s.unallocated_gpu_pct_at_arrived.empty());
    bool found = false;
    for (const auto& [pct, stat] : s.unallocated_gpu_pct_at_arrived) {
      if (pct != 100) continue;
      found = true;
      EXPECT_DOUBLE_EQ(stat.mean, 25) << s.policy;
    }
    EXPECT_TRUE(found) << s.policy;
  }
}

// The floor is computed once per seed, on the order that seed's runs replay, and only for
// the fill experiment.
TEST(SimulateTest, PackingFloorPerSeedIsThatSeedsOrders) {
  SimConfig c = SmallConfig();
  c.policies = {"best-fit", "tessera"};
  c.seeds = {3, 4, 5};
  c.threads = 2;
  auto r = Simulate(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  int64_t capacity = 0;
  for (const model::TraceNode& n : c.nodes) capacity += int64_t{n.gpus} * 1000;
  ASSERT_EQ(r->packing_floor.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const SimResult::SeedFloor& f = r->packing_floor[i];
    EXPECT_EQ(f.seed, c.seeds[i]);
    const PackingFloor expected =
        UnallocatedFloor(FillOrder(c.tasks, capacity, c.tune, f.seed), capacity);
    EXPECT_DOUBLE_EQ(f.any_run_pct, expected.any_run_pct);
    EXPECT_DOUBLE_EQ(f.every_share_placed_pct, expected.every_share_placed_pct);
    EXPECT_DOUBLE_EQ(f.best_fit_decreasing_pct, expected.best_fit_decreasing_pct);
    EXPECT_LE(f.any_run_pct, f.every_share_placed_pct);
    EXPECT_LE(f.every_share_placed_pct, f.best_fit_decreasing_pct);
  }
  c.experiment = Experiment::kReplay;
  auto replay = Simulate(c);
  ASSERT_TRUE(replay.ok()) << replay.error().ToString();
  EXPECT_TRUE(replay->packing_floor.empty());
}

// The floor is a bound on every run: on random clusters and traces, no run of any policy
// leaves less unallocated than its seed's floor, at arrived = 100% and at other percents.
TEST(SimulateTest, NoRunOfAnyPolicyGoesBelowThePackingFloor) {
  int64_t compared = 0;
  for (uint64_t trace = 1; trace <= 3; ++trace) {
    SimConfig c = RandomConfig(trace, /*nodes=*/40, /*tasks=*/700);
    c.policies.assign(PolicyNames().begin(), PolicyNames().end());
    c.seeds = {1, 2};
    c.threads = 2;
    c.check = false;  // the soak test checks invariants; here only the figures matter
    auto r = Simulate(c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    int64_t capacity = 0;
    for (const model::TraceNode& n : c.nodes) capacity += int64_t{n.gpus} * 1000;
    for (uint64_t seed : c.seeds) {
      const std::vector<model::TraceTask> order = FillOrder(c.tasks, capacity, c.tune, seed);
      for (int pct : {40, 70, 90, 95, 100, 105, 110, 120}) {
        const PackingFloor floor = UnallocatedFloor(order, capacity, pct);
        if (std::isnan(floor.any_run_pct)) continue;
        for (const sim::Run& run : r->runs) {
          const double allocated = run.allocated_gpu_pct[static_cast<size_t>(pct)];
          if (run.seed != seed || std::isnan(allocated)) continue;
          ++compared;
          EXPECT_GE(100 - allocated, floor.any_run_pct - 1e-9)
              << "trace " << trace << " seed " << seed << " at " << pct << "% " << run.policy;
        }
      }
    }
  }
  EXPECT_GT(compared, 150);
}

// One node with one GPU: A runs 0..10, B arrives at 5 and waits until 10, C (a share) fits
// beside nothing and waits too; hand-computed waits 0, 5 and 5.
TEST(ReplayTest, TasksWaitForCapacityAndStartWhenItFrees) {
  SimConfig c;
  c.experiment = Experiment::kReplay;
  c.nodes = {Node("n0", 1)};
  c.tasks = {TaskOf("a", 1, 1000), TaskOf("b", 1, 1000), TaskOf("c", 1, 500)};
  c.tasks[0].creation_s = 0;
  c.tasks[0].deletion_s = 10;
  c.tasks[1].creation_s = 5;
  c.tasks[1].deletion_s = 15;  // runs 10 s once started
  c.tasks[2].creation_s = 6;
  c.tasks[2].deletion_s = 7;  // runs 1 s once started
  c.policies = {"fgd"};
  c.check = true;
  auto r = Simulate(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const sim::Run& run = r->runs[0];
  EXPECT_EQ(run.decisions, 6);  // three starts, three departures
  EXPECT_EQ(run.failed, 0);
  EXPECT_DOUBLE_EQ(run.wait_max_s, 14);  // c waits for b, which ends at 20
  EXPECT_DOUBLE_EQ(run.wait_p50_s, 5);
  // Pending count over time: 1 at t=5, 2 at t=6, 1 at t=10, 0 at t=20.
  std::vector<std::pair<int64_t, int64_t>> pending;
  for (const TimePoint& p : run.timeline) pending.emplace_back(p.time_s, p.pending);
  const std::vector<std::pair<int64_t, int64_t>> expected = {{0, 0},  {5, 1},  {6, 2},
                                                             {10, 1}, {20, 0}, {21, 0}};
  EXPECT_EQ(pending, expected);
}

// Seeded random clusters and workloads (shares, whole and multi-GPU tasks, model
// constraints, CPU-only tasks, arrivals and departures) under every policy with the
// invariant checker on after every decision. tests/soak_test.cc runs the same for a million
// decisions (label slow).
TEST(SoakTest, InvariantsHoldOverRandomReplaysAndFills) {
  int64_t decisions = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SimConfig c = RandomConfig(seed, /*nodes=*/24, /*tasks=*/600);
    c.policies.assign(PolicyNames().begin(), PolicyNames().end());
    c.seeds = {seed};
    for (Experiment e : {Experiment::kReplay, Experiment::kFill}) {
      c.experiment = e;
      auto r = Simulate(c);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      for (const sim::Run& run : r->runs) decisions += run.decisions;
    }
  }
  EXPECT_GT(decisions, 40'000);
}

}  // namespace
}  // namespace tessera::sim

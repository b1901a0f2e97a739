// The FGD paper's benchmark, end to end on the real openb trace (slow; `make test-slow`):
//  - reproduction: the six paper policies, seeds 42-51, land within 1.0 percentage point of
//    the published mean unallocated GPU % at arrived = 100% and rank as published;
//  - exact replay: on the authors' seed-42 arrival order our fgd and best-fit end within 0.3
//    point of the paper's final allocation;
//  - ours: `tessera` leaves fewer GPUs unallocated than `fgd` on every pod list;
//  - the packing floor: on every seed's order, a proven lower bound on the GPUs that the
//    shares arriving before arrived = 100% occupy leaves more than 3.5% unallocated (why
//    issue 4's 3.5% target is out of reach for a policy that places every share);
//  - speed: the six paper policies plus tessera, 10 seeds each, in one call under 60 s.
// Each test skips with a message when ../shared is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "io/trace.h"
#include "sim/packing_bound.h"
#include "sim/policies.h"
#include "sim/simulator.h"

namespace tessera {
namespace {

const std::string kOpenb = std::string(TESSERA_SHARED_DIR) + "/traces/openb";
const std::string kReference = std::string(TESSERA_SHARED_DIR) + "/reference";

#define SKIP_WITHOUT_SHARED()                                                           \
  if (!std::filesystem::exists(kOpenb + "/openb_node_list_gpu_node.csv")) {             \
    GTEST_SKIP() << "the openb trace is not at " << kOpenb << " (../shared is absent)"; \
  }

// The paper's policy names as the published files spell them.
const std::map<std::string, std::string> kPaperName = {
    {"random", "Random"},          {"dot-product", "DotProd"}, {"gpu-clustering", "GpuClustering"},
    {"gpu-packing", "GpuPacking"}, {"best-fit", "BestFit"},    {"fgd", "FGD"}};

// workload -> paper policy -> published mean unallocated GPU % at arrived = 100%.
std::map<std::string, std::map<std::string, double>> Published() {
  std::map<std::string, std::map<std::string, double>> out;
  std::ifstream in(kReference + "/fgd-expected-results/summary_by_workload_policy.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (cells.size() > 3) out[cells[0]][cells[1]] = std::stod(cells[3]);
  }
  return out;
}

sim::SimConfig Config(const std::string& pods) {
  sim::SimConfig c;
  auto nodes = io::LoadTraceNodes(kOpenb + "/openb_node_list_gpu_node.csv");
  auto tasks = io::LoadTraceTasks(kOpenb + "/openb_pod_list_" + pods + ".csv");
  EXPECT_TRUE(nodes.ok() && tasks.ok());
  c.nodes = std::move(nodes).value();
  c.tasks = std::move(tasks).value();
  c.workload = "openb_pod_list_" + pods;
  c.seeds.clear();
  for (uint64_t s = 42; s <= 51; ++s) c.seeds.push_back(s);
  c.threads = 2;
  return c;
}

double UnallocatedAt100(const sim::PolicySummary& s) {
  for (const auto& [pct, stat] : s.unallocated_gpu_pct_at_arrived) {
    if (pct == 100) return stat.mean;
  }
  ADD_FAILURE() << "no sample at arrived = 100% for " << s.policy;
  return NAN;
}

class ReproductionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReproductionTest, PaperPoliciesMatchThePublishedMeansAndRanks) {
  SKIP_WITHOUT_SHARED();
  const std::string workload = "openb_pod_list_" + GetParam();
  auto published = Published();
  ASSERT_TRUE(published.contains(workload)) << workload;
  sim::SimConfig c = Config(GetParam());
  c.policies.assign(sim::PaperPolicyNames().begin(), sim::PaperPolicyNames().end());
  auto r = sim::Simulate(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  std::vector<std::pair<double, std::string>> ours, theirs;
  for (const sim::PolicySummary& s : r->summary) {
    const double mean = UnallocatedAt100(s);
    const double paper = published[workload][kPaperName.at(s.policy)];
    std::printf("%-12s %-15s ours %6.2f  published %6.2f\n", GetParam().c_str(), s.policy.c_str(),
                mean, paper);
    EXPECT_NEAR(mean, paper, 1.0) << s.policy;
    ours.emplace_back(mean, s.policy);
    theirs.emplace_back(paper, s.policy);
  }
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  // Ranks as published, except where the published means are within 0.2 point (their
  // seed-to-seed sd is 0.1-0.8): such pairs may swap.
  for (size_t i = 0; i < ours.size(); ++i) {
    if (ours[i].second == theirs[i].second) continue;
    const double a = published[workload][kPaperName.at(ours[i].second)];
    const double b = published[workload][kPaperName.at(theirs[i].second)];
    EXPECT_LT(std::abs(a - b), 0.2)
        << "rank " << i << ": ours " << ours[i].second << ", published " << theirs[i].second;
  }
}

INSTANTIATE_TEST_SUITE_P(Openb, ReproductionTest,
                         ::testing::Values("default", "gpushare40", "multigpu20", "cpu200",
                                           "gpuspec33"));

TEST(ExactReplayTest, Seed42OrderEndsWhereThePaperEnded) {
  SKIP_WITHOUT_SHARED();
  sim::SimConfig c = Config("default");
  auto arrivals =
      io::LoadArrivals(kReference + "/fgd-seed42-default/openb_default_seed42_arrivals.csv");
  ASSERT_TRUE(arrivals.ok()) << arrivals.error().ToString();
  c.arrivals = std::move(arrivals).value();
  c.seeds = {42};
  c.policies = {"fgd", "best-fit"};
  auto r = sim::Simulate(c);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const std::map<std::string, double> paper = {{"fgd", 95.29}, {"best-fit", 93.13}};
  for (const sim::Run& run : r->runs) {
    std::printf("%-9s final %.2f%% (paper %.2f%%), %ld of %ld tasks on the paper's node\n",
                run.policy.c_str(), run.allocated_gpu_pct_final, paper.at(run.policy),
                static_cast<long>(run.same_node_as_reference),
                static_cast<long>(run.reference_compared));
    EXPECT_NEAR(run.allocated_gpu_pct_final, paper.at(run.policy), 0.3) << run.policy;
    EXPECT_EQ(run.reference_compared, 10'866);
  }
}

TEST(TesseraPolicyTest, BeatsFgdOnEveryPodList) {
  SKIP_WITHOUT_SHARED();
  for (const auto& entry : std::filesystem::directory_iterator(kOpenb)) {
    const std::string file = entry.path().filename().string();
    if (!file.starts_with("openb_pod_list_")) continue;
    const std::string pods = file.substr(15, file.size() - 15 - 4);
    sim::SimConfig c = Config(pods);
    c.policies = {"fgd", "tessera"};
    auto r = sim::Simulate(c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    const double fgd = UnallocatedAt100(r->summary[0]);
    const double ours = UnallocatedAt100(r->summary[1]);
    const sim::SimResult& res = *r;
    std::printf("%-12s fgd %6.2f  tessera %6.2f  floor: any run %5.2f, every share placed %5.2f\n",
                pods.c_str(), fgd, ours, res.packing_floor_pct.mean,
                res.packing_floor_every_share_pct.mean);
    EXPECT_LT(ours, fgd) << pods;
    EXPECT_GE(ours, res.packing_floor_pct.mean) << pods;  // a bound no run goes below
  }
}

// The packing floor at arrived = 100% (sim/packing_bound.h, docs/simulate.md): every one of
// the ten fill orders, and the authors' own seed-42 order, has a proven floor above 3.5%, so
// no policy that places every share can meet issue 4's target on default.
TEST(PackingFloorTest, NoPolicyThatPlacesEveryShareCanLeaveUnderThreePointFivePercent) {
  SKIP_WITHOUT_SHARED();
  const sim::SimConfig c = Config("default");
  int64_t capacity = 0;
  for (const model::TraceNode& n : c.nodes) capacity += int64_t{n.gpus} * 1000;
  double proven = 0, bfd = 0;
  for (uint64_t seed : c.seeds) {
    const sim::PackingFloor f =
        sim::UnallocatedFloor(sim::FillOrder(c.tasks, capacity, c.tune, seed), capacity);
    std::printf("seed %lu: every share placed %.2f%%, any run %.2f%%, best-fit decreasing %.2f%%\n",
                static_cast<unsigned long>(seed), f.every_share_placed_pct, f.any_run_pct,
                f.best_fit_decreasing_pct);
    EXPECT_GT(f.every_share_placed_pct, 3.5) << "seed " << seed;
    EXPECT_LE(f.every_share_placed_pct, f.best_fit_decreasing_pct) << "seed " << seed;
    proven += f.every_share_placed_pct / static_cast<double>(c.seeds.size());
    bfd += f.best_fit_decreasing_pct / static_cast<double>(c.seeds.size());
  }
  std::printf("mean over seeds 42-51: every share placed %.2f%%, best-fit decreasing %.2f%%\n",
              proven, bfd);
  auto arrivals =
      io::LoadArrivals(kReference + "/fgd-seed42-default/openb_default_seed42_arrivals.csv");
  ASSERT_TRUE(arrivals.ok());
  std::vector<model::TraceTask> paper_order;
  for (const model::ArrivalRow& row : *arrivals) paper_order.push_back(row.task);
  const sim::PackingFloor f = sim::UnallocatedFloor(paper_order, capacity);
  std::printf("the authors' seed-42 order: every share placed %.2f%%, best-fit decreasing %.2f%%\n",
              f.every_share_placed_pct, f.best_fit_decreasing_pct);
  EXPECT_GT(f.every_share_placed_pct, 3.5);
}

TEST(SpeedTest, SevenPoliciesTimesTenSeedsUnderSixtySeconds) {
  SKIP_WITHOUT_SHARED();
#ifndef NDEBUG
  GTEST_SKIP() << "timed in release builds only (make test-slow)";
#endif
  sim::SimConfig c = Config("default");
  c.policies.assign(sim::PaperPolicyNames().begin(), sim::PaperPolicyNames().end());
  c.policies.push_back("tessera");
  const auto start = std::chrono::steady_clock::now();
  auto r = sim::Simulate(c);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok());
  std::printf("70 runs in %.1f s\n", seconds);
  EXPECT_LT(seconds, 60);
}

}  // namespace
}  // namespace tessera

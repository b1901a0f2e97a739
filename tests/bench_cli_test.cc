// End-to-end tests of `tessera bench`: they run the built binary (TESSERA_BIN) as a user
// would and check stdout, stderr and the exit status. Only the quick scenarios run here; the
// 500-node ones are for `tessera bench` by hand (docs/cli.md).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "tessera_runner.h"

namespace tessera {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

using cli_testing::RunResult;
using cli_testing::Tessera;

TEST(BenchCliTest, QuickFillPrintsOneJsonRowWithEveryPodPlaced) {
  RunResult r = Tessera("bench dra-fill-100 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.err.find("running dra-fill-100 ..."), std::string::npos) << r.err;

  const nlohmann::json doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.at("scenarios").size(), 1u);
  const nlohmann::json& row = doc["scenarios"][0];
  EXPECT_EQ(row.at("name"), "dra-fill-100");
  // 100 nodes x 10 devices, 500 of them held by claims that arrived allocated, and 500 pods
  // of one device each: the cluster fills exactly.
  EXPECT_EQ(row.at("pods").get<int>(), 500);
  EXPECT_EQ(row.at("placed").get<int>(), 500);
  for (const char* field :
       {"decisions_per_second", "pods_per_second", "peak_rss_mib", "cpu_us_per_placement"}) {
    ASSERT_TRUE(row.at(field).is_number()) << field;
    EXPECT_GT(row[field].get<double>(), 0) << field;
  }
  // A fill has no single-pod latency pass: each pod sees a fuller cluster than the last.
  for (const char* field : {"p50_ms", "p99_ms", "max_ms"}) EXPECT_TRUE(row.at(field).is_null());
  EXPECT_NE(row.at("anchor").get<std::string>().find("40 pods/s"), std::string::npos);
}

// scheduler_perf's steady state on a full cluster: 4,990 of 5,000 devices held by claims
// that arrived allocated, 10 pods placed and released 5,000 times; every one fits (on the
// 10 free devices) and each decision is timed.
TEST(BenchCliTest, SteadyStateOnAFullClusterPlacesEveryPodAndTimesEach) {
  RunResult r = Tessera("bench dra-steady-full-500 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const nlohmann::json row = nlohmann::json::parse(r.out).at("scenarios").at(0);
  EXPECT_EQ(row.at("name"), "dra-steady-full-500");
  EXPECT_EQ(row.at("pods").get<int>(), 50'000);
  EXPECT_EQ(row.at("placed").get<int>(), 50'000);
  for (const char* field : {"p50_ms", "p99_ms", "max_ms", "pods_per_second"}) {
    ASSERT_TRUE(row.at(field).is_number()) << field;
    EXPECT_GT(row[field].get<double>(), 0) << field;
  }
  EXPECT_NE(row.at("anchor").get<std::string>().find("full_500nodes"), std::string::npos);
}

// The simulator scenarios: every job of the Slurm-shaped queue is decided once; the cluster
// of 8,192 GPUs fills and the rest do not fit.
TEST(BenchCliTest, SlurmFillDecidesEveryJobOfTheQueue) {
  RunResult r = Tessera("bench slurm-fill -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const nlohmann::json row = nlohmann::json::parse(r.out).at("scenarios").at(0);
  EXPECT_EQ(row.at("name"), "slurm-fill");
  EXPECT_EQ(row.at("pods").get<int>(), 5000);
  EXPECT_GT(row.at("placed").get<int>(), 2000);
  EXPECT_LT(row.at("placed").get<int>(), 5000);
  EXPECT_GT(row.at("cpu_us_per_placement").get<double>(), 0);
  EXPECT_NE(row.at("anchor").get<std::string>().find("15.2 ms"), std::string::npos);
}

// The quick queue scenario (Kueue's large-scale shape at 100 ClusterQueues, 5,000 one-pod
// workloads) through admission cycles in simulated time: every workload is admitted and
// leaves, some by borrowing, some only after being preempted and admitted again.
TEST(BenchCliTest, QuickQueuesAdmitsEveryWorkload) {
  RunResult r = Tessera("bench queues-100 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.err.find("100 ClusterQueues, 67 nodes, 5000 workloads: "), std::string::npos)
      << r.err;
  const nlohmann::json row = nlohmann::json::parse(r.out).at("scenarios").at(0);
  EXPECT_EQ(row.at("name"), "queues-100");
  EXPECT_EQ(row.at("pods").get<int>(), 5000);
  EXPECT_EQ(row.at("placed").get<int>(), 5000);
  EXPECT_EQ(row.at("runs").get<int>(), 1);
  const nlohmann::json& q = row.at("queues");
  EXPECT_EQ(q.at("cluster_queues").get<int>(), 100);  // 2 cohorts x 50
  EXPECT_EQ(q.at("nodes").get<int>(), 67);            // 40 on-demand + 27 spot
  EXPECT_EQ(q.at("workloads").get<int>(), 5000);      // 50 per ClusterQueue
  // A preempted workload goes back to its queue and is admitted again before the run ends.
  const int64_t preemptions = q.at("preemptions").get<int64_t>();
  EXPECT_GT(preemptions, 0);
  EXPECT_EQ(q.at("admissions").get<int64_t>(), 5000 + preemptions);
  EXPECT_GT(q.at("borrowing_admissions").get<int64_t>(), 0);
  EXPECT_GT(q.at("no_placement").get<int64_t>(), 0);  // quota fits, the nodes do not
  // Every admission placed its pod; refusals of alike pods are reused within a cycle.
  EXPECT_GE(q.at("placement_attempts").get<int64_t>(), q.at("admissions").get<int64_t>());
  EXPECT_LT(q.at("placement_attempts").get<int64_t>(),
            q.at("admissions").get<int64_t>() + q.at("no_placement").get<int64_t>());
  EXPECT_GT(q.at("cycles").get<int64_t>(), 100);
  EXPECT_GT(q.at("makespan_ms").get<int64_t>(), 2000);  // arrivals alone span over 3 s
  const int64_t decisions = row.at("decisions").get<int64_t>();
  EXPECT_GE(decisions, q.at("admissions").get<int64_t>());
  const double cpu = row.at("cpu_seconds").get<double>();
  ASSERT_GT(cpu, 0);
  EXPECT_NEAR(row.at("decisions_per_second").get<double>(), static_cast<double>(decisions) / cpu,
              0.01 * static_cast<double>(decisions) / cpu);
  EXPECT_NEAR(row.at("cpu_us_per_placement").get<double>(), cpu * 1e6 / 5000,
              0.01 * cpu * 1e6 / 5000);
  const double p50 = row.at("p50_ms").get<double>();
  const double p99 = row.at("p99_ms").get<double>();
  const double max = row.at("max_ms").get<double>();
  EXPECT_GE(p50, 0);
  EXPECT_LE(p50, p99);
  EXPECT_LE(p99, max);
  EXPECT_GT(max, 0);
  EXPECT_NE(row.at("anchor").get<std::string>().find("1,179 s"), std::string::npos);
}

TEST(BenchCliTest, BacktrackingReportsALatencyDistribution) {
  RunResult r = Tessera("bench dra-partitionable-backtracking -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  const nlohmann::json& row = doc.at("scenarios").at(0);
  EXPECT_EQ(row.at("pods").get<int>(), 1);
  EXPECT_EQ(row.at("placed").get<int>(), 1);  // 7 devices without device-1 fit the counters
  const double p50 = row.at("p50_ms").get<double>();
  const double p99 = row.at("p99_ms").get<double>();
  const double max = row.at("max_ms").get<double>();
  EXPECT_GT(p50, 0);
  EXPECT_LE(p50, p99);
  EXPECT_LE(p99, max);
}

TEST(BenchCliTest, TablePrintsAHeaderAndOneRowPerScenario) {
  RunResult r = Tessera("bench dra-partitionable-backtracking");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  std::istringstream lines(r.out);
  std::string header, row, extra;
  ASSERT_TRUE(std::getline(lines, header) && std::getline(lines, row));
  EXPECT_FALSE(std::getline(lines, extra)) << r.out;
  EXPECT_EQ(header.rfind("SCENARIO  ", 0), 0u) << header;
  EXPECT_NE(header.find("PODS/S"), std::string::npos);
  EXPECT_NE(header.find("DECISIONS/S"), std::string::npos);
  EXPECT_EQ(row.rfind("dra-partitionable-backtracking  1  ", 0), 0u) << row;
  EXPECT_NE(row.find("target < 1 ms per pod"), std::string::npos) << row;
}

TEST(BenchCliTest, UnknownScenarioExitsTwoListingTheValidNames) {
  RunResult r = Tessera("bench dra-fill-100 no-such-scenario");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("no-such-scenario"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dra-fill-500"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dra-partitionable-backtracking"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("queues-burst"), std::string::npos) << r.err;
}

TEST(BenchCliTest, BadOutputFormatExitsTwo) {
  EXPECT_EQ(Tessera("bench dra-fill-100 -o xml").status, kExitUsage);
}

TEST(BenchCliTest, HelpShowsExamples) {
  RunResult r = Tessera("bench --help");
  EXPECT_EQ(r.status, kExitOk);
  EXPECT_NE(r.out.find("Examples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dra-no-solution-500"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tessera

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
  // 100 nodes x 10 devices, 1,000 pods of one device each: the cluster fills exactly.
  EXPECT_EQ(row.at("pods").get<int>(), 1000);
  EXPECT_EQ(row.at("placed").get<int>(), 1000);
  for (const char* field :
       {"decisions_per_second", "pods_per_second", "peak_rss_mib", "cpu_us_per_placement"}) {
    ASSERT_TRUE(row.at(field).is_number()) << field;
    EXPECT_GT(row[field].get<double>(), 0) << field;
  }
  // A fill has no single-pod latency pass: each pod sees a fuller cluster than the last.
  for (const char* field : {"p50_ms", "p99_ms", "max_ms"}) EXPECT_TRUE(row.at(field).is_null());
  EXPECT_NE(row.at("anchor").get<std::string>().find("40 pods/s"), std::string::npos);
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

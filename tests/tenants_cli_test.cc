// `tessera simulate --experiment replay` on the example scenario with tenants
// (examples/scenarios/tenants.yaml, docs/simulate.md "Tenants"), driven as a user would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tessera_runner.h"

namespace tessera {
namespace {

using cli_testing::ReadFile;
using cli_testing::Scratch;
using cli_testing::Tessera;

constexpr int kExitOk = 0;

TEST(CliTenantsTest, ExampleScenarioPrintsThePerQueueTable) {
  const cli_testing::RunResult r = Tessera(
      "simulate --scenario examples/scenarios/tenants.yaml --experiment replay "
      "--policies fgd --seeds 42 --threads 1");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("replay on tenants (8 nodes, 64 GPUs), 1 seed\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("queues (means over seeds; gpu in GPUs; share = weighted dominant share):\n"
                       "POLICY   QUEUE    COHORT   NOMINAL   USED MEAN   BORROWED MEAN"),
            std::string::npos)
      << r.out;
  for (const char* row : {"\nfgd      team-a   ml       24 ", "\nfgd      team-b   ml       16 ",
                          "\nfgd      team-c   ml       16 ", "\nfgd      team-d   -        8 "}) {
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("fairness (Jain's index on weighted dominant share, time-weighted mean): "
                       "fgd "),
            std::string::npos)
      << r.out;
}

TEST(CliTenantsTest, JsonHasTheQueuesSectionAndTheReportDrawsIt) {
  const std::string report = (Scratch() / "tenants.html").string();
  const cli_testing::RunResult r = Tessera(
      "simulate --scenario examples/scenarios/tenants.yaml --experiment replay "
      "--policies fgd,tessera --seeds 42 -o json --report " +
      cli_testing::ShellQuote(report));
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("queues"));
  const nlohmann::json& q = j["queues"];
  EXPECT_EQ(q["resources"], nlohmann::json({"cpu", "memory", "gpu"}));
  EXPECT_EQ(q["units"]["gpu"], "GPUs");
  ASSERT_EQ(q["summary"].size(), 2u);
  EXPECT_EQ(q["summary"][0]["policy"], "fgd");
  ASSERT_EQ(q["summary"][0]["queues"].size(), 4u);
  ASSERT_EQ(q["runs"].size(), 2u);
  const nlohmann::json& run = q["runs"][0];
  EXPECT_GT(run["preemptions"].get<int64_t>(), 0);
  EXPECT_EQ(run["timeline_columns"],
            nlohmann::json({"time_s", "pending", "running", "used_cpu", "used_memory", "used_gpu",
                            "borrowed_cpu", "borrowed_memory", "borrowed_gpu", "weighted_share"}));
  int64_t tasks = 0, admissions = 0;
  for (const nlohmann::json& queue : run["queues"]) {
    tasks += queue["tasks"].get<int64_t>();
    admissions += queue["admissions"].get<int64_t>();
    EXPECT_FALSE(queue["timeline"]["rows"].empty());
    EXPECT_EQ(queue["timeline"]["rows"][0].size(), 10u);
  }
  // Every task is admitted once, preempted ones again: admissions = tasks + preemptions.
  EXPECT_EQ(tasks, j["runs"][0]["tasks"].get<int64_t>());
  EXPECT_EQ(admissions, tasks + run["preemptions"].get<int64_t>());
  EXPECT_EQ(q["runs"][0]["queues"][0]["nominal"]["gpu"], 24);
  EXPECT_EQ(q["runs"][0]["queues"][3]["cohort"], nullptr);  // team-d
  EXPECT_EQ(run["fairness"]["columns"],
            nlohmann::json({"time_s", "queues_with_demand", "jain_index"}));
  const std::string html = ReadFile(report);
  for (const char* chart : {"data-chart=\"queue-usage-vs-nominal\"",
                            "data-chart=\"queue-borrowed\"", "data-chart=\"queue-weighted-share\"",
                            "data-chart=\"fairness-over-time\"", "data-queue=\"team-b\""}) {
    EXPECT_NE(html.find(chart), std::string::npos) << chart;
  }
}

// examples/scenarios/tenants-flavors.yaml: two flavors (a100, h100) with per-flavor quotas,
// multi-pod jobs, agingSeconds and the fairSharing mapping, checked at every decision.
// NOMINAL sums a queue's flavors: research 8 + 8, product 24 + 8 GPUs.
TEST(CliTenantsTest, FlavorsExampleRunsWithCheck) {
  const cli_testing::RunResult r = Tessera(
      "simulate --scenario examples/scenarios/tenants-flavors.yaml --experiment replay "
      "--policies fgd --seeds 42 --threads 1 --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  for (const char* line :
       {"replay on tenants-flavors (6 nodes, 48 GPUs), 1 seed\n",
        "\nfgd      72.37 ± 0.00       115 ± 0      4027 ± 0     4027 ± 0     0.0 ± 0.0\n",
        "\nfgd      research   lab      16        12.24       1.27            0.032        35.0    "
        "   "
        "5.0         311          4027         0.0\n",
        "\nfgd      product    lab      32        22.49       0.59            0.007        39.0    "
        "   "
        "2.0         0            3524         0.0\n",
        "fairness (Jain's index on weighted dominant share, time-weighted mean): fgd 0.671 ± "
        "0.000\n",
        "--check: every invariant held after each of 286 decisions"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
}

TEST(CliTenantsTest, FillRefusesAScenarioWithQueues) {
  const cli_testing::RunResult r = Tessera("simulate --scenario examples/scenarios/tenants.yaml");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: tenants has queues: they apply to --experiment replay\n");
}

}  // namespace
}  // namespace tessera

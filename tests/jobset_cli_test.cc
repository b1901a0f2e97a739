// `tessera simulate --experiment backfill` with --jobset and --block-admission, through the
// built binary (TESSERA_BIN): exit status, the JSON the flags add, and located errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tessera_runner.h"

namespace tessera {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalidInput = 1;
constexpr int kExitUsage = 2;

using cli_testing::RunResult;
using cli_testing::Tessera;

TEST(JobSetCliTest, LeaderWorkersYamlWithBlockAdmissionRunsAndCountsItsBlocks) {
  RunResult r = Tessera(
      "simulate --experiment backfill --seeds 42 --policies backfill --threads 1 --check "
      "--jobset examples/jobsets/leader-workers.yaml --pod-startup-seconds 60 "
      "--wait-for-pods-ready-seconds 1800 --block-admission -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  const nlohmann::json& lc = doc.at("lifecycle");
  EXPECT_EQ(lc.at("block_admission"), true);
  ASSERT_EQ(lc.at("jobsets").size(), 1u);
  EXPECT_EQ(lc["jobsets"][0], "examples/jobsets/leader-workers.yaml: JobSet default/leader-workers");
  const nlohmann::json& run = doc.at("runs").at(0);
  EXPECT_EQ(run.at("completed"), run.at("jobs"));
  const int64_t blocked = run.at("events").at("admission-blocked").get<int64_t>();
  EXPECT_GT(blocked, 0);
  EXPECT_EQ(blocked, run.at("events").at("admission-unblocked").get<int64_t>());
  EXPECT_GT(run.at("lifecycle").at("admissions_held").get<int64_t>(), 0);
  // Two stages per gang (leader, workers): more starts than jobs.
  EXPECT_GT(run.at("events").at("start").get<int64_t>(), run.at("jobs").get<int64_t>());

  RunResult table = Tessera(
      "simulate --experiment backfill --seeds 42 --policies backfill --threads 1 "
      "--jobset examples/jobsets/train-pipeline.yaml --wait-for-pods-ready-seconds 7200 "
      "--block-admission");
  ASSERT_EQ(table.status, kExitOk) << table.err;
  EXPECT_NE(table.out.find("big gangs as examples/jobsets/train-pipeline.yaml: JobSet "
                           "default/train-pipeline"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("ADMISSION BLOCKS (HELD)"), std::string::npos) << table.out;
}

TEST(JobSetCliTest, BadFlagsAndUnrunnableJobSetsAreRefused) {
  RunResult r = Tessera("simulate --experiment backfill --seeds 42 --block-admission");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("--block-admission needs --wait-for-pods-ready-seconds"),
            std::string::npos)
      << r.err;
  r = Tessera(
      "simulate --experiment backfill --seeds 42 --jobset-shape leader-workers "
      "--jobset examples/jobsets/leader-workers.yaml");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("--jobset and --jobset-shape both shape the big gangs"), std::string::npos)
      << r.err;
  r = Tessera("simulate --jobset examples/jobsets/leader-workers.yaml");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("apply to --experiment backfill only"), std::string::npos) << r.err;
  r = Tessera("simulate --experiment backfill --seeds 42 --jobset examples/cluster/");
  EXPECT_EQ(r.status, kExitInvalidInput);
  EXPECT_NE(r.err.find("the files hold no jobset.x-k8s.io/v1alpha2 JobSet"), std::string::npos)
      << r.err;

  const std::filesystem::path upstream = std::filesystem::path(TESSERA_SHARED_DIR) /
                                         "reference" / "k8s-examples" / "jobset" /
                                         "exclusive-placement.yaml";
  if (!std::filesystem::exists(upstream)) {
    GTEST_SKIP() << "upstream JobSet examples not found at " << upstream;
  }
  r = Tessera("simulate --experiment backfill --seeds 42 --jobset " +
              cli_testing::ShellQuote(upstream.string()));
  EXPECT_EQ(r.status, kExitInvalidInput);
  EXPECT_NE(r.err.find("exclusive-placement.yaml: JobSet default/exclusive-placement: "
                       "metadata.annotations.alpha.jobset.sigs.k8s.io/exclusive-topology"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace tessera

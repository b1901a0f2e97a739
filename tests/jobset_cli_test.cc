// `tessera simulate --experiment backfill` with --jobset and --block-admission, through the
// built binary (TESSERA_BIN): exit status, the JSON the flags add, and located errors. And
// `tessera schedule` with JobSet exclusive placement: two-sided (examples/jobsets/
// exclusive-racks.yaml, and the output read back) and the node-selector strategy.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tessera_runner.h"

namespace tessera {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalidInput = 1;
constexpr int kExitUsage = 2;

using cli_testing::RunResult;
using cli_testing::Scratch;
using cli_testing::Tessera;
using cli_testing::WriteFile;

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

// The YAML documents of `text` (split at "---" lines) that contain one of `needles`.
std::string DocumentsWith(const std::string& text, const std::vector<std::string>& needles) {
  std::string out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find("\n---\n", at);
    if (end == std::string::npos) end = text.size();
    const std::string doc = text.substr(at, end - at);
    for (const std::string& needle : needles) {
      if (doc.find(needle) == std::string::npos) continue;
      out += (out.empty() ? "" : "\n---\n") + doc;
      break;
    }
    at = end + 5;
  }
  return out;
}

// JobSet a's Job holds rack r0 (exclusive-topology); b, created later and needing one rack,
// would take r0 by BestFit (room for 3 pods against 4 in r1) but is kept out by a's
// anti-affinity; the notebook (no job key) may join a in r0, on the empty r0-n1.
TEST(JobSetCliTest, ExclusiveRacksKeepALaterJobSetOutOfAHeldRack) {
  RunResult r = Tessera("schedule -f examples/jobsets/exclusive-racks.yaml -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD             NODE    STATUS      REASON\n"
            "default     a-workers-0-0   r0-n0   Scheduled\n"
            "default     b-workers-0-0   r1-n0   Scheduled\n"
            "default     b-workers-0-1   r1-n0   Scheduled\n"
            "default     notebook        r0-n1   Scheduled\n");
}

// The output read back with the nodes and JobSet a (its pod now running on r0-n0) and a new
// JobSet c of two 4-GPU pods in one rack: room r0 = 1 + 1, r1 = 0 + 2, a tie BestFit gives
// to r0; a's running pod keeps c out, so c takes r1-n1.
TEST(JobSetCliTest, ARunningExclusiveJobReadBackKeepsANewJobSetOut) {
  RunResult first = Tessera("schedule -f examples/jobsets/exclusive-racks.yaml --check");
  ASSERT_EQ(first.status, kExitOk) << first.err;
  const std::filesystem::path dir = Scratch() / "exclusive-racks";
  std::filesystem::create_directories(dir);
  WriteFile(dir / "state.yaml", first.out);
  const std::string example =
      cli_testing::ReadFile(cli_testing::SourcePath("examples/jobsets/exclusive-racks.yaml"));
  WriteFile(dir / "cluster.yaml", DocumentsWith(example, {"kind: Node\n", "  name: a\n"}) + R"(
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: c
  creationTimestamp: "2026-01-02T00:00:00Z"
spec:
  replicatedJobs:
  - name: workers
    template:
      spec:
        parallelism: 2
        completions: 2
        template:
          metadata:
            annotations: {kueue.x-k8s.io/podset-required-topology: example.com/rack}
          spec:
            containers:
            - name: main
              resources:
                limits: {nvidia.com/gpu: "4"}
)");
  RunResult again = Tessera("schedule -f " + (dir / "cluster.yaml").string() + " -f " +
                            (dir / "state.yaml").string() + " -o table --check");
  ASSERT_EQ(again.status, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "NAMESPACE   POD             NODE    STATUS      REASON\n"
            "default     c-workers-0-0   r1-n1   Scheduled\n"
            "default     c-workers-0-1   r1-n1   Scheduled\n"
            "default     a-workers-0-0   r0-n0   Running\n"
            "default     b-workers-0-0   r1-n0   Running\n"
            "default     b-workers-0-1   r1-n0   Running\n"
            "default     notebook        r0-n1   Running\n");
}

// JobSet's node-selector strategy: nodes labelled for one Job each and tainted; each Job's
// pods go to their own node (nodeSelector and toleration added by io), the other pod to the
// untainted node, and the printed pods carry the nodeSelector and the toleration.
TEST(JobSetCliTest, NodeSelectorStrategyPutsEachJobOnItsLabelledNodes) {
  const std::string input = R"(
apiVersion: v1
kind: Node
metadata:
  name: pool-a
  labels: {alpha.jobset.sigs.k8s.io/namespaced-job: default_js-w-1}
spec:
  taints: [{key: alpha.jobset.sigs.k8s.io/no-schedule, value: "true", effect: NoSchedule}]
status:
  allocatable: {cpu: "64", pods: "110", nvidia.com/gpu: "8"}
---
apiVersion: v1
kind: Node
metadata:
  name: pool-b
  labels: {alpha.jobset.sigs.k8s.io/namespaced-job: default_js-w-0}
spec:
  taints: [{key: alpha.jobset.sigs.k8s.io/no-schedule, value: "true", effect: NoSchedule}]
status:
  allocatable: {cpu: "64", pods: "110", nvidia.com/gpu: "8"}
---
apiVersion: v1
kind: Node
metadata:
  name: plain
status:
  allocatable: {cpu: "64", pods: "110", nvidia.com/gpu: "8"}
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  annotations:
    alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool
    alpha.jobset.sigs.k8s.io/node-selector: "true"
spec:
  replicatedJobs:
  - name: w
    replicas: 2
    template:
      spec:
        parallelism: 2
        completions: 2
        template:
          spec:
            containers:
            - name: main
              resources:
                limits: {nvidia.com/gpu: "4"}
---
apiVersion: v1
kind: Pod
metadata:
  name: other
spec:
  containers:
  - name: main
    resources:
      limits: {nvidia.com/gpu: "4"}
)";
  RunResult r = Tessera("schedule -f - -o table --check", input);
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD        NODE     STATUS      REASON\n"
            "default     js-w-0-0   pool-b   Scheduled\n"
            "default     js-w-0-1   pool-b   Scheduled\n"
            "default     js-w-1-0   pool-a   Scheduled\n"
            "default     js-w-1-1   pool-a   Scheduled\n"
            "default     other      plain    Scheduled\n");
  RunResult yaml = Tessera("schedule -f -", input);
  ASSERT_EQ(yaml.status, kExitOk) << yaml.err;
  EXPECT_NE(yaml.out.find("  nodeSelector:\n"
                          "    alpha.jobset.sigs.k8s.io/namespaced-job: default_js-w-1\n"
                          "  tolerations:\n"
                          "    - key: alpha.jobset.sigs.k8s.io/no-schedule\n"
                          "      operator: Exists\n"
                          "      effect: NoSchedule\n"
                          "  nodeName: pool-a\n"),
            std::string::npos)
      << yaml.out;
}

// Kueue's waitForPodsReady.requeuingStrategy (backoffBaseSeconds, backoffMaxSeconds,
// timestamp) and recoveryTimeout from the command line: they reach the JSON `lifecycle`
// object and the lifecycle table's header; left out, the JSON shows Kueue's defaults and the
// header is unchanged.
TEST(JobSetCliTest, RequeuingStrategyAndRecoveryTimeoutFlagsReachTheOutput) {
  const std::string base =
      "simulate --experiment backfill --seeds 42 --policies backfill --threads 1 "
      "--jobset-shape leader-workers --wait-for-pods-ready-seconds 1800";
  const std::string flags =
      " --requeue-backoff-base-seconds 10 --requeue-backoff-max-seconds 25 "
      "--requeue-timestamp creation --recovery-timeout-seconds 120";
  RunResult r = Tessera(base + flags + " -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  nlohmann::json lc = nlohmann::json::parse(r.out).at("lifecycle");
  EXPECT_EQ(lc.at("wait_for_pods_ready_s"), 1800);
  EXPECT_EQ(lc.at("requeue_backoff_base_s"), 10);
  EXPECT_EQ(lc.at("requeue_backoff_max_s"), 25);
  EXPECT_EQ(lc.at("requeue_timestamp"), "Creation");
  EXPECT_EQ(lc.at("recovery_timeout_s"), 120);

  r = Tessera(base + " -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  lc = nlohmann::json::parse(r.out).at("lifecycle");
  EXPECT_EQ(lc.at("requeue_backoff_base_s"), 60);
  EXPECT_EQ(lc.at("requeue_backoff_max_s"), 3600);
  EXPECT_EQ(lc.at("requeue_timestamp"), "Eviction");
  EXPECT_TRUE(lc.at("recovery_timeout_s").is_null());

  r = Tessera(base + flags);
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("waitForPodsReady 1800 s, backoffLimitCount none, requeue backoff 10-25 "
                       "s, timestamp Creation, recoveryTimeout 120 s), summed over seeds:\n"),
            std::string::npos)
      << r.out;
  r = Tessera(base + " --requeue-backoff-max-seconds 600");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("backoffLimitCount none, requeue backoff 60-600 s), summed"),
            std::string::npos)
      << r.out;
}

TEST(JobSetCliTest, RequeuingStrategyAndRecoveryTimeoutFlagsAreChecked) {
  const auto expect_usage = [](const std::string& args, const std::string& message) {
    RunResult r = Tessera(args);
    EXPECT_EQ(r.status, kExitUsage) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  };
  const std::string backfill = "simulate --experiment backfill --seeds 42 ";
  const std::string waiting = backfill + "--wait-for-pods-ready-seconds 1800 ";
  // Each needs --wait-for-pods-ready-seconds.
  expect_usage(backfill + "--requeue-backoff-base-seconds 10",
               "error: --requeue-backoff-base-seconds and --requeue-backoff-max-seconds need "
               "--wait-for-pods-ready-seconds\n");
  expect_usage(backfill + "--requeue-backoff-max-seconds 7200",
               "error: --requeue-backoff-base-seconds and --requeue-backoff-max-seconds need "
               "--wait-for-pods-ready-seconds\n");
  expect_usage(backfill + "--requeue-timestamp creation",
               "error: --requeue-timestamp needs --wait-for-pods-ready-seconds\n");
  expect_usage(backfill + "--recovery-timeout-seconds 120",
               "error: --recovery-timeout-seconds needs --wait-for-pods-ready-seconds\n");
  // max >= base, both in Kueue's int32 range and non-negative.
  expect_usage(waiting + "--requeue-backoff-base-seconds 100 --requeue-backoff-max-seconds 50",
               "error: --requeue-backoff-max-seconds (50) must be >= "
               "--requeue-backoff-base-seconds (100)\n");
  expect_usage(waiting + "--requeue-backoff-max-seconds 30",
               "error: --requeue-backoff-max-seconds (30) must be >= "
               "--requeue-backoff-base-seconds (60)\n");
  expect_usage(waiting + "--requeue-backoff-base-seconds -1", "--requeue-backoff-base-seconds");
  expect_usage(waiting + "--requeue-backoff-max-seconds -5", "--requeue-backoff-max-seconds");
  expect_usage(waiting + "--requeue-backoff-max-seconds 2147483648",
               "--requeue-backoff-max-seconds");
  // eviction or creation only; a recovery timeout of at least 1 s (-1: none).
  expect_usage(waiting + "--requeue-timestamp arrival", "--requeue-timestamp");
  expect_usage(waiting + "--recovery-timeout-seconds 0",
               "error: --recovery-timeout-seconds: must be >= 1 (leave it out for no recovery "
               "timeout");
  expect_usage(waiting + "--recovery-timeout-seconds -2", "--recovery-timeout-seconds");
  // Only with --experiment backfill.
  for (const char* flag : {"--requeue-backoff-base-seconds 10", "--requeue-backoff-max-seconds 100",
                           "--requeue-timestamp creation", "--recovery-timeout-seconds 60"}) {
    expect_usage(std::string("simulate --experiment replay ") + flag,
                 "apply to --experiment backfill only");
  }
  // Equal base and max (a fixed delay) and base 0 (immediate requeues) are fine.
  RunResult r = Tessera(waiting +
                        "--policies fifo --threads 1 --requeue-backoff-base-seconds 0 "
                        "--requeue-backoff-max-seconds 0 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("lifecycle").at("requeue_backoff_max_s"), 0);
}

}  // namespace
}  // namespace tessera

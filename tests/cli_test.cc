// End-to-end tests of the `tessera` command line: they run the built binary (TESSERA_BIN)
// from the repository root, as a user would, and check stdout, stderr and the exit status.
//
// Golden files: tests/golden/examples.{yaml,json,table.txt} hold the exact output of
//   tessera schedule -f examples/cluster/ -f examples/pods.yaml -o <format>
// After a deliberate change to the output or the examples, regenerate them with
//   TESSERA_UPDATE_GOLDEN=1 ctest --preset debug -R CliGolden
// check `git diff tests/golden` by hand (examples/README.md has the expected placements),
// and commit them with the change.
//
// Bad input: every line "<file>\t<expected error>" of tests/bad-input/expected.txt runs
// `tessera schedule -f tests/bad-input/<file>` and expects exit status 1 and stderr exactly
// "error: <expected error>\n".

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tessera_runner.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitInvalidInput = 1;
constexpr int kExitUsage = 2;

const char* const kExamples = "schedule -f examples/cluster/ -f examples/pods.yaml";

using cli_testing::ReadFile;
using cli_testing::RunResult;
using cli_testing::Scratch;
using cli_testing::ShellQuote;
using cli_testing::SourcePath;
using cli_testing::Tessera;
using cli_testing::WriteFile;

bool UpdatingGoldens() {
  const char* update = std::getenv("TESSERA_UPDATE_GOLDEN");
  return update != nullptr && std::string_view(update) == "1";
}

// Compares `actual` with the golden file, or rewrites it under TESSERA_UPDATE_GOLDEN=1.
void ExpectGolden(std::string_view golden, const std::string& actual) {
  const fs::path path = SourcePath("tests/golden") / golden;
  if (UpdatingGoldens()) {
    WriteFile(path, actual);
    std::cout << "updated " << path << '\n';
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with TESSERA_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, ReadFile(path)) << "output differs from " << path
                                    << "; if the change is intended, run with "
                                       "TESSERA_UPDATE_GOLDEN=1 and review the diff";
}

// --- the examples, byte for byte --------------------------------------------------------

TEST(CliGoldenTest, SchedulesTheExamplesAsYaml) {
  RunResult r = Tessera(std::string(kExamples) + " -o yaml");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("examples.yaml", r.out);
}

TEST(CliGoldenTest, SchedulesTheExamplesAsJson) {
  RunResult r = Tessera(std::string(kExamples) + " -o json");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("examples.json", r.out);
}

TEST(CliGoldenTest, SchedulesTheExamplesAsATable) {
  RunResult r = Tessera(std::string(kExamples) + " -o table");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("examples.table.txt", r.out);
}

// Persisting and restoring state: the output of one run, fed back with the cluster, is the
// cluster as that run left it. Pods a and b each take two GPUs on gpu-node-1 (no cpu or
// memory requests, so the tie goes to the first node). Read back, their claims arrive
// allocated (status.allocation) and the pods name them through status.resourceClaimStatuses,
// so a new pod asking for four GPUs must go to gpu-node-2; on the empty cluster it takes
// gpu-node-1.
TEST(CliRoundTripTest, OutputReadBackKeepsAllocatedClaimsInUse) {
  const fs::path dir = Scratch() / "round-trip";
  fs::create_directories(dir);
  WriteFile(dir / "templates.yaml", R"(apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: two-gpus}
spec:
  spec:
    devices:
      requests:
      - name: gpus
        exactly: {deviceClassName: gpu.example.com, count: 2}
)");
  WriteFile(dir / "pods.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers: [{name: c, image: x}]
  resourceClaims: [{name: gpus, resourceClaimTemplateName: two-gpus}]
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers: [{name: c, image: x}]
  resourceClaims: [{name: gpus, resourceClaimTemplateName: two-gpus}]
)");
  WriteFile(dir / "big.yaml", R"(apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: four-gpus}
spec:
  spec:
    devices:
      requests:
      - name: gpus
        exactly: {deviceClassName: gpu.example.com, count: 4}
---
apiVersion: v1
kind: Pod
metadata: {name: big}
spec:
  containers: [{name: c, image: x}]
  resourceClaims: [{name: gpus, resourceClaimTemplateName: four-gpus}]
)");
  const std::string cluster = "-f examples/dra/cluster.yaml ";
  const std::string d = dir.string();
  RunResult first =
      Tessera("schedule " + cluster + "-f " + d + "/templates.yaml -f " + d + "/pods.yaml");
  ASSERT_EQ(first.status, kExitOk) << first.err;
  WriteFile(dir / "state.yaml", first.out);
  RunResult again = Tessera("schedule " + cluster + "-f " + d + "/templates.yaml -f " + d +
                            "/state.yaml -f " + d + "/big.yaml -o table");
  ASSERT_EQ(again.status, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "NAMESPACE   POD   NODE         STATUS      REASON\n"
            "default     a     gpu-node-1   Running\n"
            "default     b     gpu-node-1   Running\n"
            "default     big   gpu-node-2   Scheduled\n"
            "\n"
            "NAMESPACE   CLAIM      DEVICES                   STATUS      RESERVED FOR\n"
            "default     a-gpus     gpu-0,gpu-1               Allocated   a\n"
            "default     b-gpus     gpu-2,gpu-3               Allocated   b\n"
            "default     big-gpus   gpu-0,gpu-1,gpu-2,gpu-3   Allocated   big\n");
  RunResult empty = Tessera("schedule " + cluster + "-f " + d + "/big.yaml -o table");
  ASSERT_EQ(empty.status, kExitOk) << empty.err;
  EXPECT_NE(empty.out.find("big   gpu-node-1   Scheduled"), std::string::npos) << empty.out;
}

// A device tainted NoExecute after its claim was allocated (a DeviceTaintRule on gpu-0 of
// gpu-node-1): the bound pod using the claim is evicted with the condition Kubernetes' device
// taint manager sets, and a new pod naming the claim cannot use it. A claim whose request
// tolerates the taint for 300s is evicted "after 300s"; one tolerating it without a limit is
// left alone.
std::string NoExecuteState(std::string_view toleration) {
  return fmt::format(R"(apiVersion: resource.k8s.io/v1alpha3
kind: DeviceTaintRule
metadata: {{name: gpu-0-ecc}}
spec:
  deviceSelector: {{driver: gpu.example.com, pool: gpu-node-1, device: gpu-0}}
  taint: {{key: example.com/ecc, value: uncorrectable, effect: NoExecute}}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {{name: training-gpu, namespace: default}}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {{deviceClassName: gpu.example.com{}}}
status:
  allocation:
    devices:
      results:
      - {{request: gpu, driver: gpu.example.com, pool: gpu-node-1, device: gpu-0}}
  reservedFor:
  - {{resource: pods, name: trainer}}
---
apiVersion: v1
kind: Pod
metadata: {{name: trainer, namespace: default}}
spec:
  nodeName: gpu-node-1
  containers: [{{name: c, image: x}}]
  resourceClaims: [{{name: gpu, resourceClaimName: training-gpu}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: reader, namespace: default}}
spec:
  containers: [{{name: c, image: x}}]
  resourceClaims: [{{name: gpu, resourceClaimName: training-gpu}}]
)",
                     toleration);
}

TEST(CliNoExecuteTest, EvictsPodsOfClaimsWhoseDevicesGetANoExecuteTaint) {
  const fs::path file = Scratch() / "no-execute.yaml";
  WriteFile(file, NoExecuteState(""));
  RunResult r = Tessera("schedule -f examples/dra/cluster.yaml -f " + file.string() + " -o table");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD       NODE         STATUS     REASON\n"
            "default     trainer   gpu-node-1   Evicting   Device taint manager: deleting the pod: "
            "claim training-gpu: device gpu.example.com/gpu-node-1/gpu-0 has taint "
            "example.com/ecc=uncorrectable:NoExecute, not tolerated\n"
            "default     reader    <none>       Pending    0/2 nodes are available: 2 node(s) "
            "cannot use claim training-gpu: its devices have a NoExecute taint it does not "
            "tolerate.\n"
            "\n"
            "NAMESPACE   CLAIM          DEVICES   STATUS      RESERVED FOR\n"
            "default     training-gpu   gpu-0     Allocated   trainer\n");
  RunResult yaml = Tessera("schedule -f examples/dra/cluster.yaml -f " + file.string());
  EXPECT_NE(yaml.out.find("    - type: DisruptionTarget\n      status: \"True\"\n"
                          "      reason: DeletionByDeviceTaintManager\n"),
            std::string::npos)
      << yaml.out;
}

TEST(CliNoExecuteTest, TolerationSecondsDelaysEvictionAndNoLimitPreventsIt) {
  const fs::path later = Scratch() / "no-execute-300s.yaml";
  WriteFile(later, NoExecuteState(", tolerations: [{key: example.com/ecc, operator: Exists, "
                                  "effect: NoExecute, tolerationSeconds: 300}]"));
  RunResult r = Tessera("schedule -f examples/dra/cluster.yaml -f " + later.string() + " -o table");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("example.com/ecc=uncorrectable:NoExecute, tolerated for 300s"),
            std::string::npos)
      << r.out;
  const fs::path forever = Scratch() / "no-execute-forever.yaml";
  WriteFile(forever, NoExecuteState(", tolerations: [{key: example.com/ecc, operator: Exists}]"));
  RunResult ok =
      Tessera("schedule -f examples/dra/cluster.yaml -f " + forever.string() + " -o table");
  ASSERT_EQ(ok.status, kExitOk) << ok.err;
  EXPECT_NE(ok.out.find("trainer   gpu-node-1   Running"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("reader    gpu-node-1   Scheduled"), std::string::npos) << ok.out;
}

// Regression: a pending pod whose input status.conditions held an entry without a `type`
// made output throw ("invalid node; first invalid key: type") and exit 1. The entry is kept
// and the PodScheduled condition added next to it.
TEST(CliOutputTest, KeepsInputConditionsWithoutAType) {
  const fs::path file = Scratch() / "untyped-condition.yaml";
  WriteFile(file, R"(apiVersion: v1
kind: Node
metadata: {name: n}
status: {allocatable: {cpu: "1", pods: "10"}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: x, resources: {requests: {cpu: "4"}}}]
status:
  conditions:
  - {status: "True"}
)");
  RunResult r = Tessera("schedule -f " + file.string());
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("  conditions:\n    - {status: \"True\"}\n    - type: PodScheduled\n"),
            std::string::npos)
      << r.out;
}

// examples/dra: hand-checked in examples/dra/pods.yaml's header. Pods are tried by name
// (same priority, no timestamps): big-job (5 GPUs, nodes have 4: pending), canary (no
// NEXT-GEN-GPU, falls back to "any": gpu-node-1 gpu-0), notebook-a (gpu-node-2 is emptier
// in cpu/memory; shared-gpu gets gpu-node-2 gpu-0), notebook-b (reuses shared-gpu, so
// gpu-node-2), trainer (cpu/memory tie, lowest node gpu-node-1: gpu-1, gpu-2).
TEST(CliGoldenTest, SchedulesTheDraExampleAsYamlWithClaims) {
  RunResult r = Tessera("schedule -f examples/dra/ -o yaml");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("examples-dra.yaml", r.out);
}

TEST(CliGoldenTest, SchedulesTheDraExampleAsATable) {
  RunResult r = Tessera("schedule -f examples/dra/ -o table");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectGolden("examples-dra.table.txt", r.out);
}

TEST(CliScheduleTest, WritesYamlByDefault) {
  if (UpdatingGoldens()) GTEST_SKIP() << "goldens are being rewritten";
  RunResult r = Tessera(kExamples);
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out, ReadFile(SourcePath("tests/golden/examples.yaml")));
}

TEST(CliScheduleTest, ReadsDashFromStdin) {
  if (UpdatingGoldens()) GTEST_SKIP() << "goldens are being rewritten";
  RunResult r = Tessera("schedule -f examples/cluster/ -f - -o table",
                        ReadFile(SourcePath("examples/pods.yaml")));
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, ReadFile(SourcePath("tests/golden/examples.table.txt")));
}

TEST(CliScheduleTest, AcceptsBothPolicies) {
  for (const char* policy : {"least-allocated", "most-allocated"}) {
    RunResult r = Tessera(std::string(kExamples) + " -o table --policy " + policy);
    EXPECT_EQ(r.status, kExitOk) << policy << ": " << r.err;
    EXPECT_EQ(r.out.rfind("NAMESPACE", 0), 0u) << policy << ": " << r.out;
  }
}

TEST(CliScheduleTest, PrintsWarningsOnStderrAndExitsZero) {
  // A kind the engine does not use yet (a Kueue ClusterQueue) is kept with a warning.
  RunResult r = Tessera("schedule -f - -o json",
                        "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\n"
                        "metadata:\n  name: research\n");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err.rfind("warning: ", 0), 0u) << r.err;
  EXPECT_EQ(r.out, "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n");
}

// --- exit statuses ----------------------------------------------------------------------

TEST(CliExitStatusTest, InvalidInputExitsOneWithOneLocatedError) {
  RunResult r = Tessera("schedule -f tests/does-not-exist.yaml");
  EXPECT_EQ(r.status, kExitInvalidInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: tests/does-not-exist.yaml: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "exactly one line: " << r.err;
}

TEST(CliExitStatusTest, MalformedYamlOnStdinExitsOne) {
  RunResult r = Tessera("schedule -f -", "apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n");
  EXPECT_EQ(r.status, kExitInvalidInput);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}

TEST(CliExitStatusTest, UsageErrorsExitTwo) {
  const std::vector<std::string> usage_errors = {
      "",                                                // no subcommand
      "simulate --policies nope",                        // unknown policy
      "simulate --seeds 51-42",                          // empty range
      "simulate --experiment soak",                      // unknown experiment
      "simulate --nodes examples/trace/nodes.csv",       // --nodes without --pods
      "schedule",                                        // no -f
      "schedule -f examples/pods.yaml --bogus",          // unknown flag
      "schedule -f examples/pods.yaml -o xml",           // bad -o
      "schedule -f examples/pods.yaml --policy random",  // bad --policy
      "schedule -f examples/pods.yaml extra-argument",   // stray positional
  };
  for (const std::string& args : usage_errors) {
    RunResult r = Tessera(args);
    EXPECT_EQ(r.status, kExitUsage) << "tessera " << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << "tessera " << args;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << "tessera " << args << "\n" << r.err;
  }
}

TEST(CliExitStatusTest, BadOutputFormatListsTheValidOnes) {
  RunResult r = Tessera("schedule -f examples/pods.yaml -o xml");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("yaml, json, table"), std::string::npos) << r.err;
}

TEST(CliExitStatusTest, BadPolicyListsTheValidOnes) {
  RunResult r = Tessera("schedule -f examples/pods.yaml --policy random");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("least-allocated, most-allocated"), std::string::npos) << r.err;
}

// --- help and version -------------------------------------------------------------------

TEST(CliHelpTest, EveryCommandsHelpHasExamples) {
  for (const char* args :
       {"--help", "-h", "schedule --help", "simulate --help", "version --help"}) {
    RunResult r = Tessera(args);
    EXPECT_EQ(r.status, kExitOk) << args;
    EXPECT_NE(r.out.find("Examples"), std::string::npos) << args << ":\n" << r.out;
    EXPECT_EQ(r.err, "") << args;
  }
}

TEST(CliHelpTest, TopLevelHelpListsOnlyWorkingCommands) {
  RunResult r = Tessera("--help");
  EXPECT_NE(r.out.find("schedule"), std::string::npos);
  EXPECT_NE(r.out.find("bench"), std::string::npos);
  EXPECT_NE(r.out.find("version"), std::string::npos);
  EXPECT_NE(r.out.find("simulate"), std::string::npos);
  for (const char* missing : {"serve"}) {
    EXPECT_EQ(r.out.find(missing), std::string::npos) << missing;
  }
}

TEST(CliVersionTest, PrintsVersionAndBuildType) {
  RunResult r = Tessera("version");
  EXPECT_EQ(r.status, kExitOk);
  EXPECT_EQ(r.err, "");
  const std::string first_line = "tessera " TESSERA_EXPECTED_VERSION "\n";
  EXPECT_EQ(r.out.rfind(first_line, 0), 0u) << r.out;
  EXPECT_NE(r.out.find("build type: "), std::string::npos) << r.out;
}

// --- simulate ---------------------------------------------------------------------------

TEST(CliSimulateTest, BuiltinScenarioPrintsTheTableAndWritesTheReport) {
  const fs::path report = Scratch() / "builtin.html";
  fs::remove(report);
  RunResult r =
      Tessera("simulate --seeds 42,43 --threads 2 --report " + ShellQuote(report.string()));
  EXPECT_EQ(r.status, kExitOk) << r.err;
  for (const char* policy : {"whole-gpu", "least-allocated", "fgd", "tessera"}) {
    EXPECT_NE(r.out.find(std::string("\n") + policy + " "), std::string::npos) << policy << "\n"
                                                                               << r.out;
  }
  EXPECT_NE(r.out.find("UNALLOCATED GPU % @100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\npacking floor @100: "), std::string::npos) << r.out;
  // stderr is not a terminal here: no progress bar, only where the report went.
  EXPECT_EQ(r.err, "report: " + report.string() + "\n");
  const std::string html = ReadFile(report);
  EXPECT_NE(html.find("data-chart=\"allocation\""), std::string::npos);
}

TEST(CliSimulateTest, JsonHasTheDocumentedSchema) {
  RunResult r = Tessera(
      "simulate --nodes examples/trace/nodes.csv --pods examples/trace/pods.csv --policies "
      "best-fit,tessera --seeds 1-3 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  for (const char* key :
       {"\"experiment\": \"fill\"", "\"workload\": \"pods\"", "\"nodes\": 6", "\"gpus\": 22",
        "\"summary\"", "\"unallocated_gpu_pct_at_arrived\"",
        "\"mean\":", "\"sd\":", "\"allocated_gpu_pct_final\"", "\"fragmented_gpu_pct_at_arrived\"",
        "\"runs\"", "\"allocated_gpu_pct\"", "\"seed\": 3"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out.substr(0, 2000);
  }
  EXPECT_EQ(r.err, "");  // no report unless asked for
  // 22 GPUs: no task's arrived demand rounds to 100%, so there is no packing floor.
  EXPECT_EQ(r.out.find("\"packing_floor\""), std::string::npos);
}

TEST(CliSimulateTest, JsonHasThePackingFloorPerSeed) {
  RunResult r = Tessera("simulate --policies fgd --seeds 42,43 --threads 2 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const size_t at = r.out.find("\"packing_floor\": {");
  ASSERT_NE(at, std::string::npos) << r.out.substr(0, 2000);
  const std::string floor = r.out.substr(at, r.out.find("\"runs\"") - at);
  for (const char* key :
       {"\"unallocated_gpu_pct_at_arrived_100\": {", "\"best_fit_decreasing_pct_at_arrived_100\"",
        "\"every_share_placed_pct_at_arrived_100\": {", "\"seed\": 42", "\"seed\": 43",
        "\"any_run_pct\": ", "\"every_share_placed_pct\": ", "\"best_fit_decreasing_pct\": "}) {
    EXPECT_NE(floor.find(key), std::string::npos) << key << "\n" << floor;
  }
}

TEST(CliSimulateTest, ReplayReportsWaits) {
  RunResult r = Tessera(
      "simulate --nodes examples/trace/nodes.csv --pods examples/trace/pods.csv --experiment "
      "replay "
      "--policies fgd,tessera --seeds 42");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("replay on pods (6 nodes, 22 GPUs)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WAIT P99 s"), std::string::npos) << r.out;
}

TEST(CliSimulateTest, CheckRunsTheInvariantCheckerAndSaysSo) {
  RunResult r = Tessera(
      "simulate --nodes examples/trace/nodes.csv --pods examples/trace/pods.csv --experiment "
      "replay "
      "--policies fgd,whole-gpu --seeds 1,2 --check");  // 4 runs x 60 starts and 60 ends
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("--check: every invariant held after each of 480 decisions"),
            std::string::npos)
      << r.out;
}

TEST(CliSimulateTest, ScenarioFilesRun) {
  for (const char* file :
       {"examples/scenarios/small-mixed.yaml", "examples/scenarios/openb-like.yaml"}) {
    RunResult r =
        Tessera(std::string("simulate --seeds 42 --policies fgd,tessera --scenario ") + file);
    EXPECT_EQ(r.status, kExitOk) << file << ": " << r.err;
    EXPECT_NE(r.out.find("tessera "), std::string::npos) << r.out;
  }
}

// --- queues -------------------------------------------------------------------------------

// examples/queues: two teams' Jobs through Kueue ClusterQueues in one cohort. Spreading
// (least-allocated) leaves 4 + 2 GPUs free on the two nodes, so team B's 6-GPU eval has
// quota (4 own + 2 borrowed) but no node: it waits without holding quota, and the later
// notebook is admitted (BestEffortFIFO).
// examples/gangs: 2 blocks x 4 racks x 4 nodes x 8 GPUs and six gangs (docs/gangs.md walks
// through each placement).
TEST(CliGangsTest, PlacesWholeGangsWithTopology) {
  RunResult r = Tessera("schedule -f examples/gangs/ -o table --check");
  EXPECT_EQ(r.err, "--check: every invariant held after each of 6 decisions\n");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  std::map<std::string, std::string> node_of;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string ns, pod, node;
    words >> ns >> pod >> node;
    node_of[pod] = node;
  }
  auto rack = [&](const std::string& pod) { return node_of[pod].substr(0, 5); };
  // trainer: 8 x 4 GPUs, required rack: all of rack b0-r0, two pods per node.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(rack(fmt::format("trainer-{}", i)), "b0-r0") << i;
  EXPECT_EQ(node_of["trainer-7"], "b0-r0-n3");
  // big: 16 x 4 GPUs, preferred rack: no rack fits; the tightest block is b0, two racks.
  std::set<std::string> big_racks;
  for (int i = 0; i < 16; ++i) big_racks.insert(rack(fmt::format("big-{}", i)));
  EXPECT_EQ(big_racks, (std::set<std::string>{"b0-r1", "b0-r2"}));
  // sliced: 8 whole-node pods in slices of 4 per rack.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rack(fmt::format("sliced-workers-0-{}", i)), "b1-r0");
  for (int i = 4; i < 8; ++i) EXPECT_EQ(rack(fmt::format("sliced-workers-0-{}", i)), "b1-r1");
  // exclusive: three Jobs, three racks, each Job's pods together.
  std::set<std::string> job_racks;
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(rack(fmt::format("exclusive-workers-{}-0", j)),
              rack(fmt::format("exclusive-workers-{}-1", j)));
    job_racks.insert(rack(fmt::format("exclusive-workers-{}-0", j)));
  }
  EXPECT_EQ(job_racks.size(), 3u);
  // inference (KAI PodGroup, required rack): the tightest rack, b0-r3, packed on one node.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(node_of[fmt::format("inference-{}", i)], "b0-r3-n1") << i;
  // too-big: every pod pending with the one reason.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(node_of[fmt::format("too-big-{}", i)], "<none>");
  EXPECT_NE(r.out.find("too-big-5               <none>     Pending     Job default/too-big: member "
                       "main needs 6 pods in one cloud.provider.com/topology-rack domain; the "
                       "roomiest has room for 3\n"),
            std::string::npos)
      << r.out;
}

TEST(CliGangsTest, UnplacedGangPodsAreUnschedulableWithTheGangReason) {
  RunResult r = Tessera("schedule -f examples/gangs/");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const size_t at = r.out.find("  name: too-big-0\n");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string pod = r.out.substr(at, r.out.find("---", at) - at);
  EXPECT_EQ(pod.find("nodeName"), std::string::npos) << pod;
  EXPECT_NE(pod.find("reason: Unschedulable"), std::string::npos) << pod;
  EXPECT_NE(pod.find("message: \"Job default/too-big: member main needs 6 pods in one "
                     "cloud.provider.com/topology-rack domain; the roomiest has room for 3\""),
            std::string::npos)
      << pod;
  const size_t placed = r.out.find("  name: trainer-0\n");
  ASSERT_NE(placed, std::string::npos);
  EXPECT_NE(r.out.find("nodeName: b0-r0-n0", placed), std::string::npos);
}

// Kueue's own TAS sample (a Job of 10 pods that must share a rack, queued through a flavor
// with topologyName) on a cluster of 2 racks of 3 nodes with 4 cpu each: a rack holds 12
// pods of 1 cpu, so the Job is admitted and lands in one rack. The nodes carry the GPU taint
// the sample's flavor tolerates: Kueue adds the flavor's tolerations to the pods it admits.
TEST(CliGangsTest, KueueTasSampleLandsInOneRack) {
  const fs::path shared = SourcePath("../shared/reference/k8s-examples/kueue");
  if (!fs::exists(shared / "tas-sample-job-required.yaml")) {
    GTEST_SKIP() << shared << " is not present (../shared holds the upstream examples)";
  }
  std::string cluster;
  for (int r = 0; r < 2; ++r) {
    for (int n = 0; n < 3; ++n) {
      const std::string name = fmt::format("r{}-n{}", r, n);
      cluster += fmt::format(
          "apiVersion: v1\nkind: Node\nmetadata:\n  name: {0}\n  labels:\n"
          "    kubernetes.io/hostname: {0}\n    cloud.provider.com/node-group: tas-group\n"
          "    cloud.provider.com/topology-block: b0\n"
          "    cloud.provider.com/topology-rack: r{1}\n"
          "spec:\n  taints:\n  - key: nvidia.com/gpu\n    effect: NoSchedule\n"
          "status:\n  allocatable: {{cpu: \"4\", memory: 16Gi, pods: \"110\", "
          "nvidia.com/gpu: \"8\"}}\n---\n",
          name, r);
    }
  }
  const fs::path file = Scratch() / "tas-cluster.yaml";
  WriteFile(file, cluster);
  RunResult r = Tessera(fmt::format(
      "schedule -f {} -f {} -f {} -o table --check", ShellQuote(file.string()),
      ShellQuote((shared / "tas-sample-gpu-queues.yaml").string()),
      ShellQuote((shared / "tas-sample-job-required.yaml").string())));
  ASSERT_EQ(r.status, kExitOk) << r.err;
  std::set<std::string> racks;
  int placed = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("tas-sample-required") == std::string::npos || line.find("Scheduled") == std::string::npos) continue;
    ++placed;
    racks.insert(line.substr(line.find(" r") + 1, 2));
  }
  EXPECT_EQ(placed, 10) << r.out;
  EXPECT_EQ(racks.size(), 1u) << r.out;
  EXPECT_NE(r.out.find("Admitted"), std::string::npos) << r.out;
}

// examples/podset-group: a leader (4 cpu) and two 8-GPU workers, both PodSets annotated with
// kueue.x-k8s.io/podset-group-name and a required rack. Rack r1's nodes have 2 cpu free, so
// only r0 holds the leader; as a group the workers join it there. Without the group
// annotation the workers take the tighter rack r1 (BestFit) and the leader sits alone in r0.
TEST(CliGangsTest, PodSetGroupPlacesLeaderAndWorkersInOneRack) {
  RunResult r = Tessera("schedule -f examples/podset-group/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD                 NODE    STATUS      REASON\n"
            "default     loader-3            gpu-3   Running\n"
            "default     loader-4            gpu-4   Running\n"
            "default     serve-leader-0-0    gpu-2   Scheduled\n"
            "default     serve-workers-0-0   gpu-0   Scheduled\n"
            "default     serve-workers-0-1   gpu-1   Scheduled\n"
            "\n"
            "NAMESPACE   WORKLOAD       CLUSTERQUEUE   STATUS     REASON\n"
            "default     jobset-serve   inference      Admitted\n");
  std::string apart = ReadFile(SourcePath("examples/podset-group/leader-workers.yaml"));
  for (size_t at; (at = apart.find("              kueue.x-k8s.io/podset-group-name: serve\n")) !=
                  std::string::npos;) {
    apart.erase(at, std::string_view("              kueue.x-k8s.io/podset-group-name: serve\n").size());
  }
  const fs::path file = Scratch() / "leader-workers-apart.yaml";
  WriteFile(file, apart);
  RunResult split = Tessera(fmt::format(
      "schedule -f examples/podset-group/cluster.yaml -f examples/podset-group/queues.yaml -f {} "
      "-o table --check",
      ShellQuote(file.string())));
  ASSERT_EQ(split.status, kExitOk) << split.err;
  EXPECT_NE(split.out.find("serve-leader-0-0    gpu-0   Scheduled"), std::string::npos) << split.out;
  EXPECT_NE(split.out.find("serve-workers-0-0   gpu-3   Scheduled"), std::string::npos) << split.out;
  EXPECT_NE(split.out.find("serve-workers-0-1   gpu-4   Scheduled"), std::string::npos) << split.out;
}

TEST(CliGangsTest, ConsolidationMovesTwoNotebooksSoTheTrainingJobFits) {
  RunResult r = Tessera("schedule -f examples/consolidation/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD          NODE    STATUS      REASON\n"
            "default     notebook-0   gpu-2   Moved       moved from node gpu-0 to gpu-2 so that "
            "Job default/train fits (consolidation)\n"
            "default     notebook-1   gpu-3   Moved       moved from node gpu-1 to gpu-3 so that "
            "Job default/train fits (consolidation)\n"
            "default     notebook-2   gpu-2   Running\n"
            "default     notebook-3   gpu-3   Running\n"
            "default     train-0      gpu-0   Scheduled\n"
            "default     train-1      gpu-1   Scheduled\n"
            "default     train-2      gpu-4   Scheduled\n"
            "default     train-3      gpu-5   Scheduled\n");
  RunResult off = Tessera("schedule -f examples/consolidation/ -o table --no-consolidation");
  ASSERT_EQ(off.status, kExitOk) << off.err;
  EXPECT_EQ(off.out.find("Moved"), std::string::npos) << off.out;
  EXPECT_NE(off.out.find("train-0      <none>   Pending"), std::string::npos) << off.out;
  // YAML: the moved pod has its new node and the Consolidation condition.
  RunResult yaml = Tessera("schedule -f examples/consolidation/");
  const size_t at = yaml.out.find("  name: notebook-0\n");
  ASSERT_NE(at, std::string::npos) << yaml.out;
  const std::string pod = yaml.out.substr(at, yaml.out.find("---", at) - at);
  EXPECT_NE(pod.find("nodeName: gpu-2"), std::string::npos) << pod;
  EXPECT_NE(pod.find("reason: Consolidation"), std::string::npos) << pod;
}

// Partial admission decided with placement (examples/partial-admission): quota would take all
// 8 pods of the sweep, the nodes only 6 (a notebook outside the queues holds 2 GPUs), so the
// sweep is admitted with 6 and its Workload says so (count 6, minCount 3); eval waits for quota.
TEST(CliQueuesTest, PartialAdmissionAdmitsThePodsThatPlace) {
  RunResult r = Tessera("schedule -f examples/partial-admission/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.err, "--check: every invariant held after each of 2 decisions\n");
  const std::string not_started =
      "    <none>   Pending     not started: workload default/job-sweep is admitted with 6 of "
      "the 8 pods of main (partial admission, kueue.x-k8s.io/job-min-parallelism 3); its Job "
      "runs with parallelism 6\n";
  EXPECT_NE(r.out.find("default     sweep-6" + not_started), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default     sweep-7" + not_started), std::string::npos) << r.out;
  for (int i = 0; i < 6; ++i) {
    const std::string row = "default     sweep-" + std::to_string(i) + "    gpu-";
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("default     job-sweep   research       Admitted   partially admitted: "
                       "6 of 8 pods of main\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("default     job-eval    research       Pending    couldn't assign "
                       "flavors to pod set main: insufficient unused quota for nvidia.com/gpu in "
                       "flavor default-flavor, 2 more needed\n"),
            std::string::npos)
      << r.out;
  RunResult yaml = Tessera("schedule -f examples/partial-admission/");
  const size_t at = yaml.out.find("kind: Workload\nmetadata:\n  name: job-sweep\n");
  ASSERT_NE(at, std::string::npos) << yaml.out;
  const std::string workload = yaml.out.substr(at, yaml.out.find("---", at) - at);
  EXPECT_NE(workload.find("      count: 8\n      minCount: 3\n"), std::string::npos) << workload;
  EXPECT_NE(workload.find("          nvidia.com/gpu: \"6\"\n        count: 6\n"),
            std::string::npos)
      << workload;
}

// Workload objects with status.admission (examples/admitted-workloads): job-train's pods are
// placed as admitted, job-legacy (no Job in the input) holds 2 GPUs, the finished job-done
// holds nothing, so the new eval Job finds 8 - 4 - 2 = 2 GPUs of quota and waits for 2 more.
TEST(CliQueuesTest, ReadsTheAdmissionOfWorkloadObjects) {
  RunResult r = Tessera("schedule -f examples/admitted-workloads/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD       NODE     STATUS      REASON\n"
            "default     train-0   gpu-1    Scheduled\n"
            "default     train-1   gpu-1    Scheduled\n"
            "default     eval-0    <none>   Pending     workload default/job-eval is not "
            "admitted: couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor a100, 2 more needed\n"
            "\n"
            "NAMESPACE   WORKLOAD     CLUSTERQUEUE   STATUS     REASON\n"
            "default     job-train    research       Admitted\n"
            "default     job-eval     research       Pending    couldn't assign flavors to pod "
            "set main: insufficient unused quota for nvidia.com/gpu in flavor a100, 2 more "
            "needed\n"
            "default     job-legacy   research       Admitted\n");
  EXPECT_EQ(r.err,
            "warning: examples/admitted-workloads/admitted.yaml: Workload default/job-done: "
            "ignored: it holds no quota and no Job, JobSet or Pod of the input owns it\n"
            "--check: every invariant held after each of 2 decisions\n");
  // The Workload printed for job-legacy keeps the recorded admission.
  RunResult yaml = Tessera("schedule -f examples/admitted-workloads/");
  const size_t at = yaml.out.find("kind: Workload\nmetadata:\n  name: job-legacy\n");
  ASSERT_NE(at, std::string::npos) << yaml.out;
  const std::string workload = yaml.out.substr(at, yaml.out.find("---", at) - at);
  EXPECT_NE(workload.find("          nvidia.com/gpu: \"2\"\n        count: 1\n"),
            std::string::npos)
      << workload;
  EXPECT_NE(workload.find("name: legacy"), std::string::npos) << workload;
}

// Admission fair sharing (examples/admission-fair-sharing): team A's LocalQueue used 20 cpu,
// team B's nothing; B's three jobs go first although A's six were submitted earlier, then A's
// first; 8 of 9 cpu are used and StrictFIFO holds the rest of A behind a2.
TEST(CliQueuesTest, AdmissionFairSharingServesTheLessUsedLocalQueueFirst) {
  RunResult r = Tessera("schedule -f examples/admission-fair-sharing/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  for (const char* admitted : {"job-b1", "job-b2", "job-b3", "job-a1"}) {
    EXPECT_NE(r.out.find(std::string("default     ") + admitted +
                         "     cluster-queue   Admitted\n"),
              std::string::npos)
        << admitted << "\n"
        << r.out;
  }
  EXPECT_NE(r.out.find("default     job-a2     cluster-queue   Pending    couldn't assign "
                       "flavors to pod set main: insufficient unused quota for cpu in flavor "
                       "default-flavor, 1 more needed\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("default     job-a6     cluster-queue   Pending    waiting behind "
                       "default/job-a2, the head of StrictFIFO ClusterQueue cluster-queue\n"),
            std::string::npos)
      << r.out;
}

TEST(CliQueuesTest, PreemptsTheLowPriorityRunningWorkload) {
  RunResult r = Tessera("schedule -f examples/preemption/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD       NODE    STATUS      REASON\n"
            "default     sweep-0   gpu-1   Preempted   preempted: workload default/job-sweep is "
            "evicted to accommodate workload default/job-train\n"
            "default     train-0   gpu-1   Scheduled\n"
            "\n"
            "NAMESPACE   WORKLOAD    CLUSTERQUEUE   STATUS      REASON\n"
            "default     job-sweep   research       Preempted   Preempted to accommodate "
            "workload default/job-train\n"
            "default     job-train   research       Admitted\n");
  EXPECT_EQ(r.err, "--check: every invariant held after each of 1 decisions\n");
  RunResult yaml = Tessera("schedule -f examples/preemption/");
  const size_t at = yaml.out.find("kind: Workload\nmetadata:\n  name: job-sweep\n");
  ASSERT_NE(at, std::string::npos) << yaml.out;
  const std::string workload = yaml.out.substr(at, yaml.out.find("---", at) - at);
  EXPECT_NE(workload.find("type: Evicted"), std::string::npos) << workload;
  EXPECT_NE(workload.find("reason: Preempted"), std::string::npos) << workload;
}

// Preemption frees the victims' devices too: the running sweep holds the node's only GPU
// through a ResourceClaim that arrived allocated and reserved for its pod; once the sweep is
// preempted for the training Job, the claim has no consumer left, its GPU is free, and the
// training pod's own claim gets it. Before, the device stayed held, so the training Job could
// not be placed and nothing was preempted.
TEST(CliQueuesTest, PreemptionFreesTheVictimsDevices) {
  const fs::path file = Scratch() / "preemption-dra.yaml";
  WriteFile(file, R"(apiVersion: v1
kind: Node
metadata: {name: gpu-1}
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
---
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: gpu-1-gpus}
spec:
  driver: gpu.example.com
  pool: {name: gpu-1, generation: 1, resourceSliceCount: 1}
  nodeName: gpu-1
  devices:
  - name: gpu-0
---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  selectors:
  - cel: {expression: 'device.driver == "gpu.example.com"'}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: one-gpu, namespace: default}
spec:
  spec:
    devices:
      requests:
      - name: gpu
        exactly: {deviceClassName: gpu.example.com}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: sweep-gpu, namespace: default}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {deviceClassName: gpu.example.com}
status:
  allocation:
    devices:
      results:
      - {request: gpu, driver: gpu.example.com, pool: gpu-1, device: gpu-0}
  reservedFor:
  - {resource: pods, name: sweep-0}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: default-flavor}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: research}
spec:
  namespaceSelector: {}
  preemption: {withinClusterQueue: LowerPriority}
  resourceGroups:
  - coveredResources: ["cpu"]
    flavors:
    - name: default-flavor
      resources:
      - {name: cpu, nominalQuota: 8}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {namespace: default, name: main}
spec: {clusterQueue: research}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: WorkloadPriorityClass
metadata: {name: low}
value: 10
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: WorkloadPriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: batch/v1
kind: Job
metadata:
  name: sweep
  labels: {kueue.x-k8s.io/queue-name: main, kueue.x-k8s.io/priority-class: low}
spec:
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: sweep, image: sweep, resources: {requests: {cpu: "6"}}}
      resourceClaims: [{name: gpu, resourceClaimName: sweep-gpu}]
---
apiVersion: v1
kind: Pod
metadata:
  name: sweep-0
  labels: {job-name: sweep, batch.kubernetes.io/job-completion-index: "0"}
spec:
  nodeName: gpu-1
  restartPolicy: Never
  containers:
  - {name: sweep, image: sweep, resources: {requests: {cpu: "6"}}}
  resourceClaims: [{name: gpu, resourceClaimName: sweep-gpu}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: train
  labels: {kueue.x-k8s.io/queue-name: main, kueue.x-k8s.io/priority-class: high}
spec:
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: train, image: trainer, resources: {requests: {cpu: "6"}}}
      resourceClaims: [{name: gpu, resourceClaimTemplateName: one-gpu}]
)");
  RunResult r = Tessera("schedule -f " + file.string() + " -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD       NODE    STATUS      REASON\n"
            "default     sweep-0   gpu-1   Preempted   preempted: workload default/job-sweep is "
            "evicted to accommodate workload default/job-train\n"
            "default     train-0   gpu-1   Scheduled\n"
            "\n"
            "NAMESPACE   CLAIM         DEVICES   STATUS      RESERVED FOR\n"
            "default     sweep-gpu     <none>    Pending\n"
            "default     train-0-gpu   gpu-0     Allocated   train-0\n"
            "\n"
            "NAMESPACE   WORKLOAD    CLUSTERQUEUE   STATUS      REASON\n"
            "default     job-sweep   research       Preempted   Preempted to accommodate "
            "workload default/job-train\n"
            "default     job-train   research       Admitted\n");
  EXPECT_EQ(r.err, "--check: every invariant held after each of 1 decisions\n");
}

// A ClusterQueue selecting only namespaces labelled team=a: a workload in another
// namespace stays pending with Kueue's message.
TEST(CliQueuesTest, NamespaceSelectorKeepsOtherNamespacesOut) {
  const fs::path file = Scratch() / "namespaces.yaml";
  WriteFile(file, R"(apiVersion: v1
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "8", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {team: a}}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: default-flavor}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: only-a}
spec:
  namespaceSelector: {matchLabels: {team: a}}
  resourceGroups:
  - coveredResources: ["cpu"]
    flavors:
    - name: default-flavor
      resources: [{name: cpu, nominalQuota: 8}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {namespace: team-a, name: q}
spec: {clusterQueue: only-a}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {namespace: team-b, name: q}
spec: {clusterQueue: only-a}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: team-a, labels: {kueue.x-k8s.io/queue-name: q}}
spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "1"}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: team-b, labels: {kueue.x-k8s.io/queue-name: q}}
spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "1"}}}]}
)");
  RunResult r = Tessera(fmt::format("schedule -f {} -o table --check", ShellQuote(file.string())));
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("team-a      a     n1       Scheduled"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("team-b      pod-b      only-a         Pending    Workload namespace "
                       "doesn't match ClusterQueue selector"),
            std::string::npos)
      << r.out;
}

// Kueue's DRA quota (deviceClassMappings, ExactCount): a ClusterQueue with nominal 4 of
// example.com/gpu. Jobs a and b (2 pods x 1 device from a ResourceClaimTemplate) use 2 + 2 = 4;
// c would need 2 more and waits with Kueue's quota message; d asks for allocationMode All and
// e for an unmapped DeviceClass, and both are inadmissible with Kueue's field errors; f's pods
// share one ResourceClaim, which Kueue does not charge (only templates count), so it is
// admitted on cpu quota alone and its claim gets 2 of the 4 devices a and b left.
TEST(CliQueuesTest, DeviceClassMappingsChargeClaimTemplatesAgainstQuota) {
  const fs::path file = Scratch() / "dra-quota.yaml";
  WriteFile(file, R"(apiVersion: v1
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "16", memory: 64Gi, pods: "110"}}
---
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: n1-gpus}
spec:
  driver: gpu.example.com
  pool: {name: n1, generation: 1, resourceSliceCount: 1}
  nodeName: n1
  devices: [{name: gpu-0}, {name: gpu-1}, {name: gpu-2}, {name: gpu-3}, {name: gpu-4},
            {name: gpu-5}, {name: gpu-6}, {name: gpu-7}]
---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  selectors:
  - cel: {expression: 'device.driver == "gpu.example.com"'}
---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: tpu.example.com}
spec:
  selectors:
  - cel: {expression: 'device.driver == "tpu.example.com"'}
---
apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
resources:
  deviceClassMappings:
  - name: example.com/gpu
    deviceClassNames: [gpu.example.com]
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: one-gpu, namespace: default}
spec:
  spec:
    devices:
      requests:
      - name: gpu
        exactly: {deviceClassName: gpu.example.com, count: 1}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: all-gpus, namespace: default}
spec:
  spec:
    devices:
      requests:
      - name: gpu
        exactly: {deviceClassName: gpu.example.com, allocationMode: All}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: one-tpu, namespace: default}
spec:
  spec:
    devices:
      requests:
      - name: tpu
        exactly: {deviceClassName: tpu.example.com}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: shared-gpus, namespace: default}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {deviceClassName: gpu.example.com, count: 2}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: default-flavor}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: cluster-queue}
spec:
  namespaceSelector: {}
  resourceGroups:
  - coveredResources: ["cpu", "example.com/gpu"]
    flavors:
    - name: default-flavor
      resources:
      - {name: cpu, nominalQuota: 16}
      - {name: example.com/gpu, nominalQuota: 4}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {namespace: default, name: user-queue}
spec: {clusterQueue: cluster-queue}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: a
  creationTimestamp: "2026-12-01T10:00:00Z"
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        resources:
          requests: {cpu: "1"}
          claims: [{name: dev}]
      resourceClaims:
      - {name: dev, resourceClaimTemplateName: one-gpu}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: b
  creationTimestamp: "2026-12-01T10:01:00Z"
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        resources:
          requests: {cpu: "1"}
          claims: [{name: dev}]
      resourceClaims:
      - {name: dev, resourceClaimTemplateName: one-gpu}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: c
  creationTimestamp: "2026-12-01T10:02:00Z"
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        resources:
          requests: {cpu: "1"}
          claims: [{name: dev}]
      resourceClaims:
      - {name: dev, resourceClaimTemplateName: one-gpu}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: d
  creationTimestamp: "2026-12-01T10:03:00Z"
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        resources:
          requests: {cpu: "1"}
          claims: [{name: dev}]
      resourceClaims:
      - {name: dev, resourceClaimTemplateName: all-gpus}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: e
  creationTimestamp: "2026-12-01T10:04:00Z"
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        resources:
          requests: {cpu: "1"}
          claims: [{name: dev}]
      resourceClaims:
      - {name: dev, resourceClaimTemplateName: one-tpu}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: f
  creationTimestamp: "2026-12-01T10:05:00Z"
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        resources:
          requests: {cpu: "1"}
          claims: [{name: dev}]
      resourceClaims:
      - {name: dev, resourceClaimName: shared-gpus}
)");
  RunResult r = Tessera(fmt::format("schedule -f {} -o table --check", ShellQuote(file.string())));
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const size_t at = r.out.find("NAMESPACE   WORKLOAD");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(at),
            "NAMESPACE   WORKLOAD   CLUSTERQUEUE    STATUS     REASON\n"
            "default     job-a      cluster-queue   Admitted\n"
            "default     job-b      cluster-queue   Admitted\n"
            "default     job-c      cluster-queue   Pending    couldn't assign flavors to pod set "
            "main: insufficient unused quota for example.com/gpu in flavor default-flavor, 2 more "
            "needed\n"
            "default     job-d      cluster-queue   Pending    spec.podSets[0].template.spec."
            "resourceClaims[0].devices.requests[0].exactly.allocationMode: Invalid value: \"All\": "
            "ResourceClaimTemplate all-gpus: AllocationMode 'All' is not supported\n"
            "default     job-e      cluster-queue   Pending    spec.podSets[0].template.spec."
            "resourceClaims[0].resourceClaimTemplateName.deviceClassName: Not found: "
            "\"tpu.example.com\"\n"
            "default     job-f      cluster-queue   Admitted\n");
  EXPECT_NE(r.out.find("default     c-0   <none>   Pending     workload default/job-c is not "
                       "admitted: couldn't assign flavors"),
            std::string::npos)
      << r.out;

  // The Workload of an admitted job shows the devices it charged.
  RunResult yaml = Tessera(fmt::format("schedule -f {}", ShellQuote(file.string())));
  ASSERT_EQ(yaml.status, kExitOk) << yaml.err;
  const size_t a = yaml.out.find("kind: Workload\nmetadata:\n  name: job-a\n");
  ASSERT_NE(a, std::string::npos) << yaml.out;
  const std::string workload = yaml.out.substr(a, yaml.out.find("---", a) - a);
  EXPECT_NE(workload.find("          example.com/gpu: \"2\"\n"), std::string::npos) << workload;

  // Without a Configuration, claims are not charged (as before): c is admitted too.
  std::string text = ReadFile(file);
  const size_t config = text.find("apiVersion: config.kueue.x-k8s.io/v1beta2");
  text.erase(config, text.find("---", config) + 4 - config);
  const fs::path plain = Scratch() / "dra-no-quota.yaml";
  WriteFile(plain, text);
  RunResult without =
      Tessera(fmt::format("schedule -f {} -o table", ShellQuote(plain.string())));
  ASSERT_EQ(without.status, kExitOk) << without.err;
  EXPECT_NE(without.out.find("default     job-c      cluster-queue   Admitted"), std::string::npos)
      << without.out;
}

// --- KAI queues ---------------------------------------------------------------------------

// examples/kai-queues: 16 GPUs; research (12 deserved, limit 14) over team-a (8) and team-b
// (4, limit 6), and batch (0). Within deserved: pretrain 8, eval 4. Over quota, 4 idle GPUs:
// sweep (team-b, 2: at its limit 6, research at 14) and backfill (batch, 2); then probe
// (team-b past 6) and extra (16 of 16 in use) wait.
TEST(CliKaiQueuesTest, ExampleAdmitsDeservedThenIdleUpToLimits) {
  RunResult r = Tessera("schedule -f examples/kai-queues/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const std::string quota =
      "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu "
      "in flavor kai.scheduler/default, 1 more needed";
  EXPECT_EQ(r.out,
            "NAMESPACE   POD          NODE     STATUS      REASON\n"
            "ml          pretrain-0   gpu-a    Scheduled\n"
            "ml          pretrain-1   gpu-b    Scheduled\n"
            "ml          eval-0       gpu-a    Scheduled\n"
            "ml          sweep-0      gpu-b    Scheduled\n"
            "ml          probe-0      <none>   Pending     pod group ml/pg-probe is not admitted: " +
                quota +
                "\n"
                "ml          backfill-0   gpu-b    Scheduled\n"
                "ml          extra-0      <none>   Pending     pod group ml/pg-extra is not "
                "admitted: " +
                quota +
                "\n"
                "\n"
                "NAMESPACE   PODGROUP      QUEUE    STATUS     REASON\n"
                "ml          pg-pretrain   team-a   Admitted\n"
                "ml          pg-eval       team-b   Admitted\n"
                "ml          pg-sweep      team-b   Admitted\n"
                "ml          pg-probe      team-b   Pending    " +
                quota +
                "\n"
                "ml          pg-backfill   batch    Admitted\n"
                "ml          pg-extra      batch    Pending    " +
                quota + "\n");
  // As YAML: a KAI PodGroup per job, the waiting one with its scheduling condition; the pods
  // of a waiting job are Unschedulable (KAI does not gate pods).
  RunResult yaml = Tessera("schedule -f examples/kai-queues/");
  ASSERT_EQ(yaml.status, kExitOk) << yaml.err;
  const size_t at = yaml.out.find("kind: PodGroup\nmetadata:\n  name: pg-probe\n");
  ASSERT_NE(at, std::string::npos) << yaml.out;
  const std::string group = yaml.out.substr(at, yaml.out.find("---", at) - at);
  for (const char* line : {"  queue: team-b\n", "  minMember: 1\n",
                           "    - type: UnschedulableOnNodePool\n", "      reason: Unschedulable\n",
                           "      kind: Job\n"}) {
    EXPECT_NE(group.find(line), std::string::npos) << line << "\n" << group;
  }
  EXPECT_NE(yaml.out.find("reason: Unschedulable\n      message: \"pod group ml/pg-probe is not "
                          "admitted"),
            std::string::npos)
      << yaml.out;
  EXPECT_EQ(yaml.out.find("kind: Workload"), std::string::npos);
}

// Reclaim: batch (no deserved quota) holds all 16 GPUs of examples/kai-queues' cluster with a
// running 2 x 8-GPU job; team-a's 8-GPU job is within team-a's deserved 8, so batch's job,
// which runs on borrowed GPUs, is evicted whole and the training job placed.
TEST(CliKaiQueuesTest, ReclaimsDeservedGpusFromAQueueOverItsQuota) {
  const fs::path file = Scratch() / "kai-reclaim.yaml";
  std::string jobs = R"(apiVersion: batch/v1
kind: Job
metadata: {name: hog, namespace: ml, creationTimestamp: "2026-12-01T09:00:00Z",
           labels: {kai.scheduler/queue: batch}}
spec:
  parallelism: 2
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: x, resources: {limits: {nvidia.com/gpu: "8"}}}]
)";
  for (int i = 0; i < 2; ++i) {
    jobs += fmt::format(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: hog-{0}, namespace: ml, labels: "
        "{{job-name: hog, batch.kubernetes.io/job-completion-index: \"{0}\"}}}}\nspec:\n"
        "  nodeName: gpu-{1}\n  containers: [{{name: main, image: x, resources: {{limits: "
        "{{nvidia.com/gpu: \"8\"}}}}}}]\n",
        i, i == 0 ? "a" : "b");
  }
  jobs += R"(---
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml, creationTimestamp: "2026-12-01T10:00:00Z",
           labels: {kai.scheduler/queue: team-a}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: x, resources: {limits: {nvidia.com/gpu: "8"}}}]
)";
  WriteFile(file, jobs);
  RunResult r = Tessera(fmt::format(
      "schedule -f examples/kai-queues/cluster.yaml -f examples/kai-queues/queues.yaml -f {} "
      "-o table --check",
      ShellQuote(file.string())));
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD       NODE    STATUS      REASON\n"
            "ml          hog-0     gpu-a   Preempted   preempted: pod group ml/pg-hog is evicted "
            "to accommodate pod group ml/pg-train\n"
            "ml          hog-1     gpu-b   Preempted   preempted: pod group ml/pg-hog is evicted "
            "to accommodate pod group ml/pg-train\n"
            "ml          train-0   gpu-a   Scheduled\n"
            "\n"
            "NAMESPACE   PODGROUP   QUEUE    STATUS      REASON\n"
            "ml          pg-hog     batch    Preempted   Preempted to accommodate pod group "
            "ml/pg-train\n"
            "ml          pg-train   team-a   Admitted\n");
}

// KAI's own Queue manifests (../shared/reference/k8s-examples/kai) on an 8-GPU node, with
// Jobs in their queues, admit as KAI's docs describe them.
TEST(CliKaiQueuesTest, UpstreamQueueManifestsAdmitAsDocumented) {
  const fs::path kai = SourcePath("../shared/reference/k8s-examples/kai");
  if (!fs::exists(kai / "limited-queue.yaml")) {
    GTEST_SKIP() << kai << " is not present (../shared holds the upstream examples)";
  }
  auto jobs = [](std::string_view queue, int count, int gpus, std::string_view prefix) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      out += fmt::format(
          "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {0}-{1}\n"
          "  creationTimestamp: \"2026-12-01T10:00:0{1}Z\"\n"
          "  labels: {{kai.scheduler/queue: {2}}}\nspec:\n  template:\n    spec:\n"
          "      restartPolicy: Never\n      containers:\n      - name: main\n        image: x\n"
          "        resources: {{limits: {{nvidia.com/gpu: \"{3}\"}}}}\n",
          prefix, i, queue, gpus);
    }
    return out;
  };
  auto run = [&](const std::string& name, const std::string& queues, const std::string& body,
                 int gpus_on_node) {
    const fs::path file = Scratch() / name;
    WriteFile(file, fmt::format("apiVersion: v1\nkind: Node\nmetadata: {{name: gpu-1}}\n"
                                "status: {{allocatable: {{cpu: \"32\", memory: 256Gi, pods: "
                                "\"110\", nvidia.com/gpu: \"{}\"}}}}\n",
                                gpus_on_node) +
                        body);
    RunResult r = Tessera(fmt::format("schedule -f {} -f {} -o table --check",
                                      ShellQuote((kai / queues).string()),
                                      ShellQuote(file.string())));
    EXPECT_EQ(r.status, kExitOk) << r.err;
    return r.out;
  };
  // limited-queue.yaml: queue `test` has gpu quota 1 and limit 1 under `default` (all -1):
  // one 1-GPU job runs, the second waits although 7 GPUs are idle; `default` is a parent.
  std::string out = run("kai-limited.yaml", "limited-queue.yaml",
                        jobs("test", 2, 1, "t") + jobs("default", 1, 1, "p"), 8);
  EXPECT_NE(out.find("default     pg-t-0     test      Admitted"), std::string::npos) << out;
  EXPECT_NE(out.find("default     pg-t-1     test      Pending    couldn't assign flavors to pod "
                     "set main: insufficient unused quota for nvidia.com/gpu"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("default     pg-p-0     default   Pending    Queue default is a parent "
                     "queue; jobs go to leaf queues"),
            std::string::npos)
      << out;
  // default-queues.yaml: default-queue has quota 0 and no limit: an 8-GPU job runs on idle
  // resources; a job naming a queue that does not exist waits.
  out = run("kai-default.yaml", "default-queues.yaml",
            jobs("default-queue", 1, 8, "d") + jobs("nope", 1, 1, "n"), 8);
  EXPECT_NE(out.find("default     pg-d-0     default-queue   Admitted"), std::string::npos)
      << out;
  EXPECT_NE(out.find("Queue nope doesn't exist"), std::string::npos) << out;
  // time-fairshare-queues.yaml: team-a and team-b (quota 0, weight 1, priority 100 each)
  // share 4 idle GPUs; team-a's 4 one-GPU jobs are older, yet each team gets 2.
  out = run("kai-fair.yaml", "time-fairshare-queues.yaml",
            jobs("team-a", 4, 1, "a") + jobs("team-b", 4, 1, "b"), 4);
  size_t a = 0, b = 0;
  for (size_t at = out.find("Admitted"); at != std::string::npos;
       at = out.find("Admitted", at + 1)) {
    const size_t line = out.rfind('\n', at);
    const std::string row = out.substr(line + 1, at - line);
    a += row.find("team-a") != std::string::npos ? 1 : 0;
    b += row.find("team-b") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(a, 2u) << out;
  EXPECT_EQ(b, 2u) << out;
  // queue-minruntime.yaml: `production` lists no resources (no quota, no limit).
  out = run("kai-minruntime.yaml", "queue-minruntime.yaml", jobs("production", 1, 2, "m"), 8);
  EXPECT_NE(out.find("default     pg-m-0     production   Admitted"), std::string::npos)
      << out;
}

TEST(CliQueuesTest, AdmitsOnlyWhatCanBePlaced) {
  RunResult r = Tessera("schedule -f examples/queues/ -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD          NODE     STATUS      REASON\n"
            "team-a      pretrain-0   gpu-a1   Scheduled\n"
            "team-a      pretrain-1   gpu-a2   Scheduled\n"
            "team-a      finetune-0   gpu-a1   Scheduled\n"
            "team-b      eval-0       <none>   Pending     workload team-b/job-eval is not "
            "admitted: quota available, no placement: pod team-b/eval-0 fits no node\n"
            "team-b      notebook-0   gpu-a2   Scheduled\n"
            "\n"
            "NAMESPACE   WORKLOAD       CLUSTERQUEUE   STATUS     REASON\n"
            "team-a      job-pretrain   team-a         Admitted\n"
            "team-a      job-finetune   team-a         Admitted\n"
            "team-b      job-eval       team-b         Pending    quota available, no placement: "
            "pod team-b/eval-0 fits no node (0/3 nodes are available: 1 node(s) didn't match "
            "Pod's node affinity/selector, 2 Insufficient nvidia.com/gpu.)\n"
            "team-b      job-notebook   team-b         Admitted\n");
}

// Packing (most-allocated) keeps a node's 6 GPUs together: eval is admitted, borrowing, and
// the notebook then finds team B's quota used up.
TEST(CliQueuesTest, PackingLetsTheBigJobInAndQuotaStopsTheSmallOne) {
  RunResult r = Tessera("schedule -f examples/queues/ --policy most-allocated -o table");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("team-b      eval-0       gpu-a2   Scheduled"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("team-b      job-notebook   team-b         Pending    couldn't assign "
                       "flavors to pod set main: insufficient unused quota for nvidia.com/gpu in "
                       "flavor a100, 2 more needed"),
            std::string::npos)
      << r.out;
}

TEST(CliQueuesTest, PrintsKueueWorkloadsWithAdmissionAndConditions) {
  RunResult r = Tessera("schedule -f examples/queues/");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const size_t at = r.out.find("kind: Workload\nmetadata:\n  name: job-pretrain\n");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string workload = r.out.substr(at, r.out.find("---", at) - at);
  for (const char* line :
       {"  queueName: main\n", "    clusterQueue: team-a\n", "          nvidia.com/gpu: a100\n",
        "          cpu: default-flavor\n", "          memory: \"128Gi\"\n",
        "          nvidia.com/gpu: \"8\"\n", "        count: 2\n", "    - type: QuotaReserved\n",
        "    - type: Admitted\n", "      kind: Job\n"}) {
    EXPECT_NE(workload.find(line), std::string::npos) << line << "\n" << workload;
  }
  const size_t eval = r.out.find("kind: Workload\nmetadata:\n  name: job-eval\n");
  ASSERT_NE(eval, std::string::npos);
  const std::string pending = r.out.substr(eval, r.out.find("---", eval) - eval);
  EXPECT_NE(pending.find("      status: \"False\"\n      reason: Pending\n"), std::string::npos)
      << pending;
  EXPECT_EQ(pending.find("admission:"), std::string::npos) << pending;
}

// --- tests/bad-input --------------------------------------------------------------------

TEST(CliBadInputTest, EveryListedFileFailsWithItsExactError) {
  const fs::path expected_path = SourcePath("tests/bad-input/expected.txt");
  if (!fs::exists(expected_path)) GTEST_SKIP() << expected_path << " does not exist yet";
  std::istringstream lines(ReadFile(expected_path));
  int checked = 0;
  std::string line;
  for (int line_number = 1; std::getline(lines, line); ++line_number) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << expected_path << ":" << line_number << ": no tab";
    const std::string file = line.substr(0, tab);
    const std::string expected_error = line.substr(tab + 1);
    const std::string relative = "tests/bad-input/" + file;
    if (!fs::exists(SourcePath(relative))) {
      // Some cases (the 5 MB string) are generated by another test at run time.
      std::cout << "skipping " << relative << ": not present\n";
      continue;
    }
    SCOPED_TRACE(relative);
    // Trace CSVs and scenarios go to `simulate`, next to valid companions; the rest are
    // manifests for `schedule`.
    const std::string quoted = ShellQuote(relative);
    const std::string nodes = "examples/trace/nodes.csv", pods = "examples/trace/pods.csv";
    std::string args = "schedule -f " + quoted;
    if (file.starts_with("trace-nodes-")) args = "simulate --nodes " + quoted + " --pods " + pods;
    if (file.starts_with("trace-pods-")) args = "simulate --nodes " + nodes + " --pods " + quoted;
    if (file.starts_with("trace-arrivals-")) {
      args = "simulate --nodes " + nodes + " --pods " + pods + " --arrivals " + quoted;
    }
    if (file.starts_with("scenario-")) args = "simulate --scenario " + quoted;
    RunResult r = Tessera(args);
    EXPECT_EQ(r.status, kExitInvalidInput);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: " + expected_error + "\n");
    ++checked;
  }
  std::cout << "checked " << checked << " bad-input files\n";
}

// --- backfill experiment (docs/backfill.md) ---------------------------------------------

TEST(CliSimulateTest, BackfillExperimentPrintsTheTable) {
  RunResult r = Tessera("simulate --experiment backfill --seeds 42 --threads 2");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("backfill on backfill-gangs (32 nodes, 256 GPUs; 1434 jobs per seed, "
                       "11.0 of them 64-GPU gangs), 1 seed, reservation depth 1\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("POLICY     GANG WAIT P50 min   GANG WAIT P99 min   GANG WAIT MAX min"),
            std::string::npos)
      << r.out;
  for (const char* policy : {"\nfifo ", "\ngreedy ", "\nbackfill "}) {
    EXPECT_NE(r.out.find(policy), std::string::npos) << policy << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("3 runs in "), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");  // no progress bar: stderr is not a terminal
}

TEST(CliSimulateTest, BackfillExperimentJsonHasEveryRunAndTheGuarantee) {
  RunResult r = Tessera(
      "simulate --experiment backfill --policies backfill --seeds 7 --reservations 2 --check "
      "-o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  for (const char* key :
       {"\"experiment\": \"backfill\"", "\"reservation_depth\": 2", "\"checked\": true",
        "\"big_gang_wait_p99_s\"", "\"small_job_wait_p50_s\"", "\"gpu_utilisation_pct\"",
        "\"makespan_s\"", "\"reserve\":", "\"reserve-moved\":", "\"head_reservations_broken\": 0",
        "\"seed\": 7"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out.substr(0, 3000);
  }
}

TEST(CliSimulateTest, BackfillExperimentRejectsOtherInputsAndPolicies) {
  RunResult r = Tessera("simulate --experiment backfill --policies fgd");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("--policies: unknown gang policy \"fgd\" (valid: fifo, greedy, backfill)"),
            std::string::npos)
      << r.err;
  r = Tessera("simulate --experiment backfill --scenario examples/scenarios/small-mixed.yaml");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("runs its built-in gang scenario"), std::string::npos) << r.err;
  r = Tessera("simulate --experiment backfill --report x.html");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("has no HTML report"), std::string::npos) << r.err;
}

// Leader-workers JobSets with Kueue's waitForPodsReady: the lifecycle table appears, every
// big gang ends PodsReady, and evictions by the timeout are counted.
TEST(CliSimulateTest, BackfillExperimentRunsLeaderWorkersWithWaitForPodsReady) {
  RunResult r = Tessera(
      "simulate --experiment backfill --seeds 42 --threads 1 --jobset-shape leader-workers "
      "--wait-for-pods-ready-seconds 1800");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("JobSet lifecycle (big gangs as leader-workers, pod start-up 0-0 s, "
                       "waitForPodsReady 1800 s, backoffLimitCount none), summed over seeds:\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("POLICY     PLACEMENTS   JOB RESTARTS   EVICTED   DEACTIVATED   STUCK   "
                       "GANGS READY"),
            std::string::npos)
      << r.out;
  for (const char* policy : {"\nfifo ", "\ngreedy ", "\nbackfill "}) {
    const size_t at = r.out.rfind(policy);
    ASSERT_NE(at, std::string::npos) << policy;
    const std::string row = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    EXPECT_NE(row.find("11 of 11"), std::string::npos) << row;
  }
  RunResult bad = Tessera("simulate --experiment backfill --jobset-shape ring");
  EXPECT_EQ(bad.status, kExitUsage);
}

TEST(CliSimulateTest, BackfillExperimentInjectsFailuresThroughTheLifecycle) {
  RunResult r = Tessera(
      "simulate --experiment backfill --policies backfill --seeds 3 --threads 1 "
      "--pod-failure-rate 0.05 --node-mtbf-hours 200 --max-restarts 2");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("failures (pod failure rate 0.05, node MTBF 200 h, maxRestarts 2), "
                       "summed over seeds:\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("POD FAILURES"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("JOBSET RESTARTS"), std::string::npos) << r.out;

  r = Tessera(
      "simulate --experiment backfill --policies greedy --seeds 3 --pod-failure-rate 0.05 "
      "-o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  for (const char* key :
       {"\"pod_failure_rate\": 0.05", "\"max_restarts\": 3", "\"pod_failures\":",
        "\"replacements\":", "\"JobSetRestarted\":", "\"JobSetCompleted\":", "\"PodFailed\":"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out.substr(0, 3000);
  }
  // Off by default: no lifecycle section.
  r = Tessera("simulate --experiment backfill --policies greedy --seeds 3 -o json");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out.find("\"lifecycle\""), std::string::npos);

  r = Tessera("simulate --experiment backfill --pod-failure-rate 1.5");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("--pod-failure-rate: must be in [0, 1]"), std::string::npos) << r.err;
  r = Tessera("simulate --experiment fill --node-mtbf-hours 10");
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("apply to --experiment backfill only"), std::string::npos) << r.err;
}

// Issue #5: a running queued workload's pods that this run places go with it when it is
// preempted. The low-priority sweep (Job of 2 pods, 4 cpu and one GPU each through a claim
// template) runs sweep-0 on n1 with its GPU through a claim that arrived allocated; sweep-1
// is pending and placed now, on n2 (n1's only GPU is taken), with n2's GPU. The
// high-priority train (2 pods, same shape) needs the ClusterQueue's whole 8 cpu, so the
// sweep is preempted. Before the fix only sweep-0 left its node: sweep-1 kept n2 and its
// GPU, so with one GPU per node train-1 fit nowhere and nothing was preempted; with room on
// n2 (`roomy`) train was admitted while sweep-1 stayed "Scheduled" in an evicted workload.
std::string PartlyRunningSweep(bool roomy) {
  const std::string n2 = roomy ? "16" : "8";
  const std::string n2_devices = roomy ? "  - name: gpu-0\n  - name: gpu-1\n" : "  - name: gpu-0\n";
  return R"(apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status:
  allocatable: {cpu: ")" + n2 + R"(", memory: 32Gi, pods: "110"}
---
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: n1-gpus}
spec:
  driver: gpu.example.com
  pool: {name: n1, generation: 1, resourceSliceCount: 1}
  nodeName: n1
  devices:
  - name: gpu-0
---
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: n2-gpus}
spec:
  driver: gpu.example.com
  pool: {name: n2, generation: 1, resourceSliceCount: 1}
  nodeName: n2
  devices:
)" + n2_devices + R"(---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  selectors:
  - cel: {expression: 'device.driver == "gpu.example.com"'}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: one-gpu, namespace: default}
spec:
  spec:
    devices:
      requests:
      - name: gpu
        exactly: {deviceClassName: gpu.example.com}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: sweep-0-gpu, namespace: default}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {deviceClassName: gpu.example.com}
status:
  allocation:
    devices:
      results:
      - {request: gpu, driver: gpu.example.com, pool: n1, device: gpu-0}
  reservedFor:
  - {resource: pods, name: sweep-0}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: default-flavor}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: research}
spec:
  namespaceSelector: {}
  preemption: {withinClusterQueue: LowerPriority}
  resourceGroups:
  - coveredResources: ["cpu"]
    flavors:
    - name: default-flavor
      resources:
      - {name: cpu, nominalQuota: 8}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {namespace: default, name: main}
spec: {clusterQueue: research}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: WorkloadPriorityClass
metadata: {name: low}
value: 10
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: WorkloadPriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: batch/v1
kind: Job
metadata:
  name: sweep
  labels: {kueue.x-k8s.io/queue-name: main, kueue.x-k8s.io/priority-class: low}
spec:
  parallelism: 2
  completions: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: sweep, image: sweep, resources: {requests: {cpu: "4"}}}
      resourceClaims: [{name: gpu, resourceClaimTemplateName: one-gpu}]
---
apiVersion: v1
kind: Pod
metadata:
  name: sweep-0
  labels: {job-name: sweep, batch.kubernetes.io/job-completion-index: "0"}
spec:
  nodeName: n1
  restartPolicy: Never
  containers:
  - {name: sweep, image: sweep, resources: {requests: {cpu: "4"}}}
  resourceClaims: [{name: gpu, resourceClaimName: sweep-0-gpu}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: train
  labels: {kueue.x-k8s.io/queue-name: main, kueue.x-k8s.io/priority-class: high}
spec:
  parallelism: 2
  completions: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: train, image: trainer, resources: {requests: {cpu: "4"}}}
      resourceClaims: [{name: gpu, resourceClaimTemplateName: one-gpu}]
)";
}

TEST(CliQueuesTest, PreemptionEvictsTheVictimsPodsPlacedInTheSameRun) {
  const fs::path file = Scratch() / "partly-running.yaml";
  WriteFile(file, PartlyRunningSweep(/*roomy=*/false));
  RunResult r = Tessera("schedule -f " + file.string() + " -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAMESPACE   POD       NODE     STATUS      REASON\n"
            "default     sweep-1   <none>   Preempted   preempted: workload default/job-sweep is "
            "evicted to accommodate workload default/job-train\n"
            "default     sweep-0   n1       Preempted   preempted: workload default/job-sweep is "
            "evicted to accommodate workload default/job-train\n"
            "default     train-0   n1       Scheduled\n"
            "default     train-1   n2       Scheduled\n"
            "\n"
            "NAMESPACE   CLAIM         DEVICES   STATUS      RESERVED FOR\n"
            "default     sweep-0-gpu   <none>    Pending\n"
            "default     sweep-1-gpu   <none>    Pending\n"
            "default     train-0-gpu   gpu-0     Allocated   train-0\n"
            "default     train-1-gpu   gpu-0     Allocated   train-1\n"
            "\n"
            "NAMESPACE   WORKLOAD    CLUSTERQUEUE   STATUS      REASON\n"
            "default     job-sweep   research       Preempted   Preempted to accommodate "
            "workload default/job-train\n"
            "default     job-train   research       Admitted\n");
  EXPECT_EQ(r.err, "--check: every invariant held after each of 2 decisions\n");
  // YAML: sweep-1 was never bound; it carries the DisruptionTarget condition and no node.
  RunResult yaml = Tessera("schedule -f " + file.string());
  ASSERT_EQ(yaml.status, kExitOk) << yaml.err;
  const size_t at = yaml.out.find("  name: sweep-1\n");
  ASSERT_NE(at, std::string::npos) << yaml.out;
  const std::string pod = yaml.out.substr(at, yaml.out.find("---", at) - at);
  EXPECT_EQ(pod.find("nodeName"), std::string::npos) << pod;
  EXPECT_NE(pod.find("type: DisruptionTarget"), std::string::npos) << pod;
  EXPECT_NE(pod.find("reason: Preempted"), std::string::npos) << pod;
}

// The same with room for train on n2 whether or not sweep-1 leaves: every pod of the evicted
// sweep must still be gone, its claims' devices free.
TEST(CliQueuesTest, PreemptionNeverLeavesAVictimsPodScheduled) {
  const fs::path file = Scratch() / "partly-running-roomy.yaml";
  WriteFile(file, PartlyRunningSweep(/*roomy=*/true));
  RunResult r = Tessera("schedule -f " + file.string() + " -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  std::istringstream lines(r.out);
  int preempted = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("default     sweep-") || line.find("-gpu") != std::string::npos) continue;
    EXPECT_NE(line.find("Preempted   preempted: workload default/job-sweep"), std::string::npos)
        << line;
    ++preempted;
  }
  EXPECT_EQ(preempted, 2) << r.out;
  EXPECT_NE(r.out.find("default     job-train   research       Admitted\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("default     sweep-1   <none>   Preempted   preempted: workload "
                       "default/job-sweep is evicted"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("default     sweep-1-gpu   <none>    Pending\n"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.err, "--check: every invariant held after each of 2 decisions\n");
}

// Kueue's multi-layer slices through the binary: a Job of 32 one-GPU pods with a required block
// and layers rack 16 / hostname 8 on 2 blocks x 2 racks x 2 nodes of 8 GPUs (implicit
// topology: the levels the annotations name, coarse to fine) fills block b0, 8 pods per node.
// The same Job with a layer size that does not divide the one before is an input error at the
// annotation, naming the layer.
TEST(CliGangsTest, MultiLayerSlicesFillEveryRackAndNodeOfOneBlock) {
  std::string input;
  for (int b = 0; b < 2; ++b) {
    for (int r = 0; r < 2; ++r) {
      for (int n = 0; n < 2; ++n) {
        input += fmt::format(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: b{0}-r{1}-n{2}\n  labels:\n"
            "    kubernetes.io/hostname: b{0}-r{1}-n{2}\n    example.com/block: b{0}\n"
            "    example.com/rack: b{0}-r{1}\n"
            "status:\n  allocatable: {{cpu: \"64\", memory: 256Gi, pods: \"110\", "
            "nvidia.com/gpu: \"8\"}}\n---\n",
            b, r, n);
      }
    }
  }
  auto job = [](std::string_view inner_size) {
    return fmt::format(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: train}}\nspec:\n"
        "  parallelism: 32\n  completions: 32\n  completionMode: Indexed\n  template:\n"
        "    metadata:\n      annotations:\n"
        "        kueue.x-k8s.io/podset-required-topology: example.com/block\n"
        "        kueue.x-k8s.io/podset-slice-required-topology-constraints: |\n"
        "          [{{\"topology\": \"example.com/rack\", \"size\": 16}},\n"
        "           {{\"topology\": \"kubernetes.io/hostname\", \"size\": {}}}]\n"
        "    spec:\n      restartPolicy: Never\n      containers:\n      - name: worker\n"
        "        resources: {{requests: {{cpu: \"1\", nvidia.com/gpu: \"1\"}}}}\n",
        inner_size);
  };
  const fs::path file = Scratch() / "multi-layer-slices.yaml";
  WriteFile(file, input + job("8"));
  RunResult r = Tessera("schedule -f " + file.string() + " -o table --check");
  ASSERT_EQ(r.status, kExitOk) << r.err;
  std::map<std::string, int> per_node;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("default     train-")) continue;
    std::istringstream fields(line);
    std::string ns, pod, node, status;
    fields >> ns >> pod >> node >> status;
    EXPECT_EQ(status, "Scheduled") << line;
    per_node[node]++;
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{
                          {"b0-r0-n0", 8}, {"b0-r0-n1", 8}, {"b0-r1-n0", 8}, {"b0-r1-n1", 8}}))
      << r.out;

  WriteFile(file, input + job("5"));
  RunResult bad = Tessera("schedule -f " + file.string());
  EXPECT_EQ(bad.status, kExitInvalidInput);
  EXPECT_EQ(bad.err,
            "error: " + file.string() +
                ": Job default/train: spec.template.metadata.annotations."
                "kueue.x-k8s.io/podset-slice-required-topology-constraints: layer [1] size 5 "
                "does not divide the size 16 of layer [0]\n");
}

}  // namespace
}  // namespace tessera

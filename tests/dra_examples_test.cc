// The upstream DRA example manifests (../shared/reference/k8s-examples/dra/, read at test time,
// never copied) scheduled by the built `tessera` binary against clusters written in each
// driver's shape (examples/dra/cluster.yaml and examples/dra-upstream/). Every expectation is
// derived by hand from the manifest, its comments and the cluster; the one-line comment above
// each block says why. Rules used throughout: pods are tried by namespace/name; nodes tie on
// cpu/memory (the manifests request none) and ties go to the alphabetically first node;
// devices are taken in canonical (slice) order, shared devices fullest-first, partitions of a
// cut GPU smallest-first. Controllers' work that Tessera does not do (Deployment and Job pods,
// ResourceSlices published at run time) is written out in examples/dra-upstream/.
//
// Not covered: kubernetes-scheduler_perf/ (Go templates, tested elsewhere);
// kubernetes-website/resourceclaim.yaml (broken upstream: `expression:` is not under `cel:`);
// nvidia extended-resources/mig-1g-12gb.yaml (extendedResourceName is not supported yet,
// docs/dra.md "Not done yet").

#include <gtest/gtest.h>

#include "tessera_runner.h"
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kExitOk = 0;

const std::string kRefDir = TESSERA_SHARED_DIR "/reference/k8s-examples/dra";
const char* const kCluster = "examples/dra/cluster.yaml";
const char* const kClusterShared = "examples/dra-upstream/cluster-shared.yaml";
const char* const kClusterPartitionable = "examples/dra-upstream/cluster-partitionable.yaml";
const char* const kNvidiaCluster = "examples/dra-upstream/nvidia-cluster.yaml";

using cli_testing::ShellQuote;

struct RunResult : cli_testing::RunResult {
  json doc;  // stdout parsed; null when it is not JSON
};

// Runs `tessera schedule -f <file>... -o json` in the repository root. Reference files are
// named relative to kRefDir and prefixed with "ref:"; the others are relative to the root.
RunResult Schedule(std::initializer_list<std::string_view> files) {
  std::string args = "schedule";
  for (std::string_view f : files) {
    const std::string path =
        f.substr(0, 4) == "ref:" ? kRefDir + "/" + std::string(f.substr(4)) : std::string(f);
    args += " -f " + ShellQuote(path);
  }
  RunResult result;
  static_cast<cli_testing::RunResult&>(result) = cli_testing::Tessera(args + " -o json");
  result.doc = json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  return result;
}

std::string NamespaceOf(const json& item) {
  return item["metadata"].value("namespace", std::string("default"));
}

// The output item of `kind` named namespace/name, or null.
json Find(const RunResult& r, std::string_view kind, std::string_view ns, std::string_view name) {
  if (!r.doc.is_object() || !r.doc.contains("items")) return nullptr;
  for (const json& item : r.doc["items"]) {
    if (item.value("kind", "") == kind && NamespaceOf(item) == ns &&
        item["metadata"].value("name", "") == name) {
      return item;
    }
  }
  return nullptr;
}

// The node a pod was placed on ("" when pending or missing).
std::string NodeOf(const RunResult& r, std::string_view ns, std::string_view pod) {
  const json p = Find(r, "Pod", ns, pod);
  if (p.is_null()) return "<no such pod>";
  return p["spec"].value("nodeName", std::string());
}

// The message of a pending pod's PodScheduled=False condition.
std::string PendingMessage(const RunResult& r, std::string_view ns, std::string_view pod) {
  const json p = Find(r, "Pod", ns, pod);
  if (p.is_null() || !p.contains("status")) return "";
  for (const json& c : p["status"].value("conditions", json::array())) {
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False" &&
        c.value("reason", "") == "Unschedulable") {
      return c.value("message", std::string());
    }
  }
  return "";
}

// Allocation results of a claim as "request driver pool device" rows, in output order.
std::vector<std::string> Devices(const RunResult& r, std::string_view ns, std::string_view claim) {
  const json c = Find(r, "ResourceClaim", ns, claim);
  if (c.is_null()) return {"<no such claim>"};
  std::vector<std::string> rows;
  if (!c.contains("status") || !c["status"].contains("allocation")) return rows;
  for (const json& d : c["status"]["allocation"]["devices"]["results"]) {
    rows.push_back(d.value("request", "") + " " + d.value("driver", "") + " " +
                   d.value("pool", "") + " " + d.value("device", ""));
  }
  return rows;
}

// The raw result rows of a claim (for shareID, consumedCapacity, adminAccess, tolerations).
json Results(const RunResult& r, std::string_view ns, std::string_view claim) {
  const json c = Find(r, "ResourceClaim", ns, claim);
  if (c.is_null() || !c.contains("status") || !c["status"].contains("allocation")) {
    return json::array();
  }
  return c["status"]["allocation"]["devices"]["results"];
}

// Names of the pods a claim is reserved for, in output order.
std::vector<std::string> ReservedFor(const RunResult& r, std::string_view ns,
                                     std::string_view claim) {
  const json c = Find(r, "ResourceClaim", ns, claim);
  std::vector<std::string> pods;
  if (c.is_null() || !c.contains("status")) return pods;
  for (const json& ref : c["status"].value("reservedFor", json::array())) {
    pods.push_back(ref.value("name", ""));
  }
  return pods;
}

using Rows = std::vector<std::string>;

#define SKIP_WITHOUT_REFERENCE()                                   \
  if (!fs::is_directory(kRefDir))                                  \
  GTEST_SKIP() << "upstream DRA examples not found at " << kRefDir \
               << " (../shared/reference is not part of the repository)"

#define EXPECT_RAN_OK(r)                     \
  ASSERT_EQ((r).status, kExitOk) << (r).err; \
  ASSERT_TRUE((r).doc.is_object()) << (r).out

// --- dra-example-driver, on examples/dra/cluster.yaml (2 nodes x gpu-0..gpu-3, 80Gi) -------

TEST(DraExamplesTest, BasicSharedClaimAcrossPodsUsesOneGpuForBothPods) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster, "ref:dra-example-driver/basic-shared-claim-across-pods/"});
  EXPECT_RAN_OK(r);
  const std::string ns = "basic-shared-claim-across-pods";
  // pod0 allocates single-gpu on the first node's first GPU; pod1 reuses the claim, so it
  // must go where that GPU is.
  EXPECT_EQ(NodeOf(r, ns, "pod0"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod1"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "single-gpu"), Rows{"gpu gpu.example.com gpu-node-1 gpu-0"});
  EXPECT_EQ(ReservedFor(r, ns, "single-gpu"), (Rows{"pod0", "pod1"}));
}

TEST(DraExamplesTest, OpaqueConfigClaimGetsOneGpuPerRequest) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster, "ref:dra-example-driver/basic-resourceclaim-opaque-config/"});
  EXPECT_RAN_OK(r);
  const std::string ns = "basic-resourceclaim-opaque-config";
  // Two requests (ts-gpu, sp-gpu) of one claim: two different GPUs, in request order.
  EXPECT_EQ(NodeOf(r, ns, "pod0"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "pod0-shared-gpus"), (Rows{"ts-gpu gpu.example.com gpu-node-1 gpu-0",
                                                      "sp-gpu gpu.example.com gpu-node-1 gpu-1"}));
  EXPECT_EQ(ReservedFor(r, ns, "pod0-shared-gpus"), Rows{"pod0"});
}

TEST(DraExamplesTest, CelSelectorPicksAGpuOfTheModelWithEnoughMemory) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster, "ref:dra-example-driver/cel-selector/"});
  EXPECT_RAN_OK(r);
  // Every GPU is LATEST-GPU-MODEL with 80Gi >= 4Gi: the first one matches.
  EXPECT_EQ(NodeOf(r, "cel-selector", "pod0"), "gpu-node-1");
  EXPECT_EQ(Devices(r, "cel-selector", "pod0-gpu"), Rows{"gpu gpu.example.com gpu-node-1 gpu-0"});
  EXPECT_EQ(ReservedFor(r, "cel-selector", "pod0-gpu"), Rows{"pod0"});
}

TEST(DraExamplesTest, AdminAccessGetsEveryGpuOfTheNodeWithAdminAccess) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster, "ref:dra-example-driver/admin-access/"});
  EXPECT_RAN_OK(r);
  // allocationMode All on gpu-node-1: all four GPUs, each row marked adminAccess (the
  // namespace carries the admin-access label).
  EXPECT_EQ(NodeOf(r, "admin-access", "pod0"), "gpu-node-1");
  EXPECT_EQ(Devices(r, "admin-access", "pod0-admin-gpus"),
            (Rows{"admin-gpu gpu.example.com gpu-node-1 gpu-0",
                  "admin-gpu gpu.example.com gpu-node-1 gpu-1",
                  "admin-gpu gpu.example.com gpu-node-1 gpu-2",
                  "admin-gpu gpu.example.com gpu-node-1 gpu-3"}));
  for (const json& row : Results(r, "admin-access", "pod0-admin-gpus")) {
    EXPECT_EQ(row.value("adminAccess", false), true) << row.dump();
  }
  EXPECT_EQ(ReservedFor(r, "admin-access", "pod0-admin-gpus"), Rows{"pod0"});
}

TEST(DraExamplesTest, PrioritizedAlternativesFallBackAndPrefer) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster, "ref:dra-example-driver/prioritized-alternatives/"});
  EXPECT_RAN_OK(r);
  const std::string ns = "prioritized-alternatives";
  // pod0: bleeding-edge-gpu and huge-gpu match nothing, so older-gpu: gpu-0. pod1: latest-gpu
  // matches, next free GPU on the same node: gpu-1. (The manifest's comment names both.)
  EXPECT_EQ(NodeOf(r, ns, "pod0"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod1"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "pod0-gpu"), Rows{"gpu/older-gpu gpu.example.com gpu-node-1 gpu-0"});
  EXPECT_EQ(Devices(r, ns, "pod1-gpu"), Rows{"gpu/latest-gpu gpu.example.com gpu-node-1 gpu-1"});
  EXPECT_EQ(ReservedFor(r, ns, "pod0-gpu"), Rows{"pod0"});
  EXPECT_EQ(ReservedFor(r, ns, "pod1-gpu"), Rows{"pod1"});
}

// device-taints-tolerations, step 1 only (no DeviceTaintRule yet): all three pods run.
TEST(DraExamplesTest, TaintTolerationPodsAllRunBeforeTheTaintRule) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kCluster,
                "ref:dra-example-driver/device-taints-tolerations/"
                "device-taint-configurable-pod-eviction-time/1-basic-resourceclaimtemplate.yaml"});
  EXPECT_RAN_OK(r);
  const std::string ns = "basic-resourceclaimtemplate";
  // Nothing is tainted; pods in name order take gpu-0, gpu-1, gpu-2 of gpu-node-1.
  EXPECT_EQ(NodeOf(r, ns, "pod-no-toleration"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod-with-300s-toleration"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod-with-toleration"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "pod-no-toleration-gpu"), Rows{"gpu gpu.example.com gpu-node-1 gpu-0"});
  EXPECT_EQ(Devices(r, ns, "pod-with-300s-toleration-gpu"),
            Rows{"gpu gpu.example.com gpu-node-1 gpu-1"});
  EXPECT_EQ(Devices(r, ns, "pod-with-toleration-gpu"),
            Rows{"gpu gpu.example.com gpu-node-1 gpu-2"});
}

// Both steps at once: the rule taints every gpu.example.com device NoExecute.
TEST(DraExamplesTest, DeviceTaintRuleKeepsThePodWithoutTolerationPending) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster,
                          "ref:dra-example-driver/device-taints-tolerations/"
                          "device-taint-configurable-pod-eviction-time/"});
  EXPECT_RAN_OK(r);
  const std::string ns = "basic-resourceclaimtemplate";
  // No toleration: every GPU on both nodes is tainted, so it cannot be allocated anywhere.
  EXPECT_EQ(NodeOf(r, ns, "pod-no-toleration"), "");
  EXPECT_EQ(PendingMessage(r, ns, "pod-no-toleration"),
            "0/2 nodes are available: 2 node(s) cannot allocate claim pod-no-toleration-gpu "
            "request gpu: the matching devices have taints it does not tolerate.");
  EXPECT_EQ(Devices(r, ns, "pod-no-toleration-gpu"), Rows{});
  EXPECT_EQ(ReservedFor(r, ns, "pod-no-toleration-gpu"), Rows{});
  // The tolerating pods (the 300s one sorts first) take gpu-0 and gpu-1; tolerations are
  // copied into the result rows.
  EXPECT_EQ(NodeOf(r, ns, "pod-with-300s-toleration"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod-with-toleration"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "pod-with-300s-toleration-gpu"),
            Rows{"gpu gpu.example.com gpu-node-1 gpu-0"});
  EXPECT_EQ(Devices(r, ns, "pod-with-toleration-gpu"),
            Rows{"gpu gpu.example.com gpu-node-1 gpu-1"});
  const json toleration = {{"key", "gpu.example.com/unhealthy"},
                           {"operator", "Equal"},
                           {"value", "true"},
                           {"effect", "NoExecute"}};
  EXPECT_EQ(Results(r, ns, "pod-with-toleration-gpu")[0]["tolerations"], json::array({toleration}));
  EXPECT_EQ(ReservedFor(r, ns, "pod-with-toleration-gpu"), Rows{"pod-with-toleration"});
}

// Regression: ParseToleration used to read tolerationSeconds and drop it, so the toleration
// copied into the allocation result lost "tolerationSeconds: 300". Kubernetes copies the
// request's tolerations verbatim into the result (dra.md section 2.4); the eviction
// controller reads them from there.
TEST(DraExamplesTest, TolerationSecondsIsCopiedIntoTheAllocationResult) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kCluster,
                          "ref:dra-example-driver/device-taints-tolerations/"
                          "device-taint-configurable-pod-eviction-time/"});
  EXPECT_RAN_OK(r);
  const json rows = Results(r, "basic-resourceclaimtemplate", "pod-with-300s-toleration-gpu");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["tolerations"], json::array({{{"key", "gpu.example.com/unhealthy"},
                                                  {"operator", "Equal"},
                                                  {"value", "true"},
                                                  {"effect", "NoExecute"},
                                                  {"tolerationSeconds", 300}}}));
}

// --- dra-example-driver on examples/dra-upstream/cluster-shared.yaml ----------------------

TEST(DraExamplesTest, GpuAllowMultipleAllocationsPutsBothClaimsOnOneGpu) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kClusterShared, "ref:dra-example-driver/gpu-allow-multiple-allocations/"});
  EXPECT_RAN_OK(r);
  const std::string ns = "gpu-allow-multiple-allocations";
  // 16Gi + 16Gi of 80Gi and 20 + 20 of 100 compute fit one shared GPU; packing puts the second
  // claim on the (now fullest) gpu-0 of gpu-node-1. Both rows carry their own shareID.
  EXPECT_EQ(NodeOf(r, ns, "pod0"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod1"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "shared-gpu-pod0"), Rows{"gpu gpu.example.com gpu-node-1 gpu-0"});
  EXPECT_EQ(Devices(r, ns, "shared-gpu-pod1"), Rows{"gpu gpu.example.com gpu-node-1 gpu-0"});
  const json consumed = {{"memory", "16Gi"}, {"compute", "20"}};
  const json row0 = Results(r, ns, "shared-gpu-pod0")[0];
  const json row1 = Results(r, ns, "shared-gpu-pod1")[0];
  EXPECT_EQ(row0["consumedCapacity"], consumed);
  EXPECT_EQ(row1["consumedCapacity"], consumed);
  EXPECT_FALSE(row0.value("shareID", "").empty());
  EXPECT_FALSE(row1.value("shareID", "").empty());
  EXPECT_NE(row0.value("shareID", ""), row1.value("shareID", ""));
  EXPECT_EQ(ReservedFor(r, ns, "shared-gpu-pod0"), Rows{"pod0"});
  EXPECT_EQ(ReservedFor(r, ns, "shared-gpu-pod1"), Rows{"pod1"});
}

// Regression: the reader used to check requestPolicy and drop it, so every policy was
// ignored. With the policies of examples/dra-upstream/cluster-shared.yaml:
// - vfs is not requested, so it consumes its default 1 (validValues [1]), not the whole 100,
//   and both pods share one NIC on gpu-node-1 as the manifest says;
// - 10G and 5G round up on validRange {min 100Mi, step 1Mi} to 9537Mi (10,000,269,312 bytes)
//   and 4769Mi (5,000,658,944).
TEST(DraExamplesTest, NetConsumableCapacitySharesOneNicWithPolicyRounding) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kClusterShared, "ref:dra-example-driver/net-consumable-capacity/"});
  EXPECT_RAN_OK(r);
  const std::string ns = "net-consumable-capacity";
  // Both pods on gpu-node-1's nic-0: 10G+5G in, 5G+5G out, 2 of 100 vfs.
  EXPECT_EQ(NodeOf(r, ns, "pod0"), "gpu-node-1");
  EXPECT_EQ(NodeOf(r, ns, "pod1"), "gpu-node-1");
  EXPECT_EQ(Devices(r, ns, "pod0-nic"), Rows{"nic net.example.com gpu-node-1 nic-0"});
  EXPECT_EQ(Devices(r, ns, "pod1-nic"), Rows{"nic net.example.com gpu-node-1 nic-0"});
  EXPECT_EQ(Results(r, ns, "pod0-nic")[0]["consumedCapacity"],
            (json{{"vfs", "1"}, {"ingressBandwidth", "9537Mi"}, {"egressBandwidth", "4769Mi"}}));
  EXPECT_EQ(Results(r, ns, "pod1-nic")[0]["consumedCapacity"],
            (json{{"vfs", "1"}, {"ingressBandwidth", "4769Mi"}, {"egressBandwidth", "4769Mi"}}));
  EXPECT_NE(Results(r, ns, "pod0-nic")[0].value("shareID", ""),
            Results(r, ns, "pod1-nic")[0].value("shareID", ""));
}

// --- dra-example-driver on examples/dra-upstream/cluster-partitionable.yaml ---------------

TEST(DraExamplesTest, PartitionableDevicesTakesTwoQuartersOfOneGpu) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({kClusterPartitionable, "ref:dra-example-driver/partitionable-devices/"});
  EXPECT_RAN_OK(r);
  // count: 2 from any partition: smallest first (a quarter of gpu-0), then the smallest
  // partition of the GPU that is now cut: the next quarter of gpu-0. gpu-1 stays whole.
  EXPECT_EQ(NodeOf(r, "partitionable-devices", "pod0"), "gpu-node-1");
  EXPECT_EQ(Devices(r, "partitionable-devices", "pod0-gpu-partitions"),
            (Rows{"gpu-partition gpu.example.com gpu-node-1 gpu-0-quarter-0",
                  "gpu-partition gpu.example.com gpu-node-1 gpu-0-quarter-1"}));
  EXPECT_EQ(ReservedFor(r, "partitionable-devices", "pod0-gpu-partitions"), Rows{"pod0"});
}

// --- NVIDIA k8s-dra-driver-gpu on examples/dra-upstream/nvidia-cluster.yaml ---------------
// node-a 4 x H100, node-b 8 x A100, node-c/node-d MIG-enabled A100s (see the file's header).

TEST(DraExamplesTest, NvidiaGpuTest1GivesEachPodItsOwnGpu) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/quickstart/v1/gpu-test1.yaml"});
  EXPECT_RAN_OK(r);
  // Two template claims: two distinct full GPUs (type gpu) on the first node, node-a.
  EXPECT_EQ(NodeOf(r, "gpu-test1", "pod1"), "node-a");
  EXPECT_EQ(NodeOf(r, "gpu-test1", "pod2"), "node-a");
  EXPECT_EQ(Devices(r, "gpu-test1", "pod1-gpu"), Rows{"gpu gpu.nvidia.com node-a gpu-0"});
  EXPECT_EQ(Devices(r, "gpu-test1", "pod2-gpu"), Rows{"gpu gpu.nvidia.com node-a gpu-1"});
  EXPECT_EQ(ReservedFor(r, "gpu-test1", "pod1-gpu"), Rows{"pod1"});
  EXPECT_EQ(ReservedFor(r, "gpu-test1", "pod2-gpu"), Rows{"pod2"});
}

TEST(DraExamplesTest, NvidiaGpuTest3SharesOneGpuBetweenTwoPods) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/quickstart/v1/gpu-test3.yaml"});
  EXPECT_RAN_OK(r);
  // One global claim: one GPU, both pods follow it to node-a.
  EXPECT_EQ(NodeOf(r, "gpu-test3", "pod1"), "node-a");
  EXPECT_EQ(NodeOf(r, "gpu-test3", "pod2"), "node-a");
  EXPECT_EQ(Devices(r, "gpu-test3", "single-gpu"), Rows{"gpu gpu.nvidia.com node-a gpu-0"});
  EXPECT_EQ(ReservedFor(r, "gpu-test3", "single-gpu"), (Rows{"pod1", "pod2"}));
}

TEST(DraExamplesTest, NvidiaGpuTest4GivesEachReplicaFourMigDevicesOfOneParent) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/quickstart/v1/gpu-test4.yaml",
                "examples/dra-upstream/nvidia-gpu-test4-replicas.yaml"});
  EXPECT_RAN_OK(r);
  // matchAttribute parentUUID: node-c gpu-0 (seven 1g.5gb) has no 2g/3g, so first-fit across
  // parents is ruled out; replicas take node-c gpu-1, gpu-2, gpu-3, then node-d gpu-0.
  const std::vector<std::pair<std::string, std::string>> where = {
      {"node-c", "gpu-1"}, {"node-c", "gpu-2"}, {"node-c", "gpu-3"}, {"node-d", "gpu-0"}};
  for (int i = 0; i < 4; ++i) {
    const std::string pod = "pod-" + std::to_string(i);
    const auto& [node, gpu] = where[static_cast<size_t>(i)];
    SCOPED_TRACE(pod);
    EXPECT_EQ(NodeOf(r, "gpu-test4", pod), node);
    EXPECT_EQ(Devices(r, "gpu-test4", pod + "-mig-devices"),
              (Rows{"mig-1g-5gb-0 gpu.nvidia.com " + node + " " + gpu + "-mig-19-6-1",
                    "mig-1g-5gb-1 gpu.nvidia.com " + node + " " + gpu + "-mig-19-7-1",
                    "mig-2g-10gb gpu.nvidia.com " + node + " " + gpu + "-mig-14-4-2",
                    "mig-3g-20gb gpu.nvidia.com " + node + " " + gpu + "-mig-9-0-4"}));
    EXPECT_EQ(ReservedFor(r, "gpu-test4", pod + "-mig-devices"), Rows{pod});
  }
}

TEST(DraExamplesTest, NvidiaGpuTest5GivesTimeSlicingAndMpsRequestsTwoGpus) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/quickstart/v1/gpu-test5.yaml"});
  EXPECT_RAN_OK(r);
  // ts-gpu and mps-gpu are separate requests: two GPUs, in request order.
  EXPECT_EQ(NodeOf(r, "gpu-test5", "pod0"), "node-a");
  EXPECT_EQ(Devices(r, "gpu-test5", "pod0-shared-gpus"),
            (Rows{"ts-gpu gpu.nvidia.com node-a gpu-0", "mps-gpu gpu.nvidia.com node-a gpu-1"}));
  EXPECT_EQ(ReservedFor(r, "gpu-test5", "pod0-shared-gpus"), Rows{"pod0"});
}

TEST(DraExamplesTest, NvidiaGpuTest6PicksEvenIndexedA100s) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/quickstart/v1/gpu-test6.yaml",
                "examples/dra-upstream/nvidia-gpu-test6-replicas.yaml"});
  EXPECT_RAN_OK(r);
  // productName matches a100 (so not node-a's H100s) and index in {0,2,4,6}: node-b's
  // gpu-0, gpu-2, gpu-4, gpu-6, one per replica.
  for (int i = 0; i < 4; ++i) {
    const std::string pod = "pod-" + std::to_string(i);
    SCOPED_TRACE(pod);
    EXPECT_EQ(NodeOf(r, "gpu-test6", pod), "node-b");
    EXPECT_EQ(Devices(r, "gpu-test6", pod + "-a100"),
              Rows{"gpu gpu.nvidia.com node-b gpu-" + std::to_string(2 * i)});
    EXPECT_EQ(ReservedFor(r, "gpu-test6", pod + "-a100"), Rows{pod});
  }
}

TEST(DraExamplesTest, NvidiaGpuTestMpsGivesBothContainersOneGpu) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/quickstart/v1/gpu-test-mps.yaml"});
  EXPECT_RAN_OK(r);
  // One request shared by two containers: one GPU.
  EXPECT_EQ(NodeOf(r, "gpu-test-mps", "test-pod"), "node-a");
  EXPECT_EQ(Devices(r, "gpu-test-mps", "test-pod-shared-gpu"),
            Rows{"mps-gpu gpu.nvidia.com node-a gpu-0"});
  EXPECT_EQ(ReservedFor(r, "gpu-test-mps", "test-pod-shared-gpu"), Rows{"test-pod"});
}

TEST(DraExamplesTest, NvidiaBatsTimeSlicingGivesTwoContainersOneGpu) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/bats-tests/gpu-timeslicing.yaml"});
  EXPECT_RAN_OK(r);
  // No namespace in the file: default. One GPU for the pod's one request.
  EXPECT_EQ(NodeOf(r, "default", "pod-timeslicing"), "node-a");
  EXPECT_EQ(Devices(r, "default", "pod-timeslicing-gpu"), Rows{"gpu gpu.nvidia.com node-a gpu-0"});
  EXPECT_EQ(ReservedFor(r, "default", "pod-timeslicing-gpu"), Rows{"pod-timeslicing"});
}

TEST(DraExamplesTest, NvidiaBatsSimpleMigPicksTheFirstMigAbove10SmsAnd10Gi) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/bats-tests/gpu-simple-mig.yaml"});
  EXPECT_RAN_OK(r);
  // > 10 SMs and > 10Gi: 1g.5gb (4864Mi) and 2g.10gb (9984Mi) fail on memory; the first
  // 3g.20gb is node-c gpu-1-mig-9-0-4 (gpu-0 holds only 1g.5gb).
  EXPECT_EQ(NodeOf(r, "default", "pod-mig1g"), "node-c");
  EXPECT_EQ(Devices(r, "default", "pod-mig1g-migdev"),
            Rows{"mig1g gpu.nvidia.com node-c gpu-1-mig-9-0-4"});
  EXPECT_EQ(ReservedFor(r, "default", "pod-mig1g-migdev"), Rows{"pod-mig1g"});
}

TEST(DraExamplesTest, NvidiaBatsMultipleMigNeedsTheNodeWithA4gProfile) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r =
      Schedule({kNvidiaCluster, "ref:nvidia-k8s-dra-driver-gpu/bats-tests/gpu-multiple-mig.yaml"});
  EXPECT_RAN_OK(r);
  // mig2 wants > 50 SMs: only node-d gpu-1's 4g.20gb (56). mig1 (< 30 SMs) takes node-d's
  // first such device in slice order: gpu-0's 2g.10gb (28 SMs).
  EXPECT_EQ(NodeOf(r, "default", "pod-2mig"), "node-d");
  EXPECT_EQ(Devices(r, "default", "pod-2mig-migdevs"),
            (Rows{"mig1 gpu.nvidia.com node-d gpu-0-mig-14-4-2",
                  "mig2 gpu.nvidia.com node-d gpu-1-mig-5-0-4"}));
  EXPECT_EQ(ReservedFor(r, "default", "pod-2mig-migdevs"), Rows{"pod-2mig"});
}

// --- kubernetes.io examples on examples/dra-upstream/website-cluster-and-job-pods.yaml -----

TEST(DraExamplesTest, WebsiteJobPodsGetOwnGpuAndShareOne) {
  SKIP_WITHOUT_REFERENCE();
  RunResult r = Schedule({"examples/dra-upstream/website-cluster-and-job-pods.yaml",
                          "ref:kubernetes-website/resourceclaimtemplate.yaml",
                          "ref:kubernetes-website/dra-example-job.yaml"});
  EXPECT_RAN_OK(r);
  // Claims in pod order: separate-gpu-claim needs a 64Gi gpu (gpu-1 for job-0, gpu-2 for
  // job-1); the stand-in shared claim takes the first free device, gpu-0, once, for both.
  EXPECT_EQ(NodeOf(r, "default", "example-dra-job-0"), "web-node-1");
  EXPECT_EQ(NodeOf(r, "default", "example-dra-job-1"), "web-node-1");
  EXPECT_EQ(Devices(r, "default", "example-dra-job-0-separate-gpu-claim"),
            Rows{"gpu-claim driver.example.com web-node-1 gpu-1"});
  EXPECT_EQ(Devices(r, "default", "example-dra-job-1-separate-gpu-claim"),
            Rows{"gpu-claim driver.example.com web-node-1 gpu-2"});
  EXPECT_EQ(Devices(r, "default", "example-resource-claim"),
            Rows{"single-gpu-claim driver.example.com web-node-1 gpu-0"});
  EXPECT_EQ(ReservedFor(r, "default", "example-resource-claim"),
            (Rows{"example-dra-job-0", "example-dra-job-1"}));
}

}  // namespace
}  // namespace tessera

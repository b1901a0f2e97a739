#include "io/manifests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "io/internal/test_util.h"

namespace tessera::io {
namespace {

using test_util::ErrorOf;
using test_util::LoadString;
using test_util::TempDir;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Loads `text` as standard input ("-").
// The pod's effective requests by resource name, in the resource's unit.
std::map<std::string, int64_t> Requests(const model::Snapshot& s, model::PodId id) {
  std::map<std::string, int64_t> out;
  for (const model::ResourceAmount& a : s.pod_requests(id)) {
    out[s.resource_name(a.resource)] = a.amount.value();
  }
  return out;
}

int64_t Allocatable(const model::Snapshot& s, std::string_view node, std::string_view resource) {
  auto id = s.FindNode(node);
  auto r = s.FindResource(resource);
  if (!id || !r) return -1;
  return s.allocatable(*id, *r).value();
}

constexpr char kNode[] = R"(
apiVersion: v1
kind: Node
metadata:
  name: gpu-node-0
  labels:
    nvidia.com/gpu.product: A100
    topology.kubernetes.io/zone: zone-a
spec:
  unschedulable: true
  taints:
  - key: nvidia.com/gpu
    value: present
    effect: NoSchedule
  - key: maintenance
    effect: NoExecute
status:
  capacity:
    cpu: "64"
    memory: 512Gi
    nvidia.com/gpu: "8"
    pods: "250"
  allocatable:
    cpu: 63500m
    memory: 500Gi
    nvidia.com/gpu: "8"
)";

TEST(ManifestsTest, ReadsNodeAllocatableTaintsAndLabels) {
  auto loaded = LoadString(kNode);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Snapshot& s = loaded->snapshot;
  ASSERT_EQ(s.num_nodes(), 1u);
  EXPECT_EQ(Allocatable(s, "gpu-node-0", "cpu"), 63'500);
  EXPECT_EQ(Allocatable(s, "gpu-node-0", "memory"), 500ll << 30);
  EXPECT_EQ(Allocatable(s, "gpu-node-0", "nvidia.com/gpu"), 8);
  // allocatable lists no "pods": taken from the capacity.
  EXPECT_EQ(Allocatable(s, "gpu-node-0", "pods"), 250);
  auto node = *s.FindNode("gpu-node-0");
  EXPECT_TRUE(s.node_unschedulable(node));
  ASSERT_EQ(s.node_taints(node).size(), 2u);
  EXPECT_EQ(s.node_taints(node)[1].effect, model::TaintEffect::kNoExecute);
  EXPECT_EQ(s.node_labels(node).size(), 2u);
  EXPECT_EQ(loaded->num_objects, 1u);
  EXPECT_EQ(loaded->num_files, 1u);
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(ManifestsTest, FallsBackToCapacityWhenAllocatableIsAbsent) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Node
metadata: {name: cpu-node-0}
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "32"}
---
apiVersion: v1
kind: Node
metadata: {name: cpu-node-1}
status:
  allocatable: {cpu: "2"}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(Allocatable(loaded->snapshot, "cpu-node-0", "cpu"), 4000);
  EXPECT_EQ(Allocatable(loaded->snapshot, "cpu-node-0", "pods"), 32);
  // Neither list has "pods": the kubelet default.
  EXPECT_EQ(Allocatable(loaded->snapshot, "cpu-node-1", "pods"), 110);
}

// The worked example in core_objects.cc: containers cpu 1 and 2 (sum 3); init A cpu 4;
// sidecar B cpu 1; init C cpu 2. Init peak is max(4, 1, 2 + 1) = 4, the sum with the
// sidecar is 4, so the pod needs 4 cpu, plus 250m overhead. Memory: containers 1Gi (from
// the limit) + 2Gi, sidecar 1Gi, init A 5Gi: max(4Gi, 5Gi) = 5Gi.
TEST(ManifestsTest, ComputesEffectiveRequestsLikeKubeScheduler) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {name: train-0, namespace: team-a}
spec:
  overhead: {cpu: 250m}
  initContainers:
  - name: a
    resources: {requests: {cpu: "4", memory: 5Gi}}
  - name: b
    restartPolicy: Always
    resources: {requests: {cpu: "1", memory: 1Gi}}
  - name: c
    resources: {requests: {cpu: "2"}}
  containers:
  - name: main
    resources:
      limits: {cpu: "1", memory: 1Gi, nvidia.com/gpu: "2"}
  - name: helper
    resources: {requests: {cpu: "2", memory: 2Gi}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Snapshot& s = loaded->snapshot;
  ASSERT_EQ(s.num_pods(), 1u);
  auto id = model::PodId::FromIndex(0);
  EXPECT_EQ(s.pod(id).namespace_name, "team-a");
  EXPECT_THAT(Requests(s, id),
              ElementsAre(Pair("cpu", 4250), Pair("memory", 5ll << 30), Pair("nvidia.com/gpu", 2)));
}

TEST(ManifestsTest, ReadsPodSchedulingFields) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata:
  name: train-0
  creationTimestamp: "2024-05-01T14:00:00+02:00"
  labels: {app: trainer}
spec:
  schedulerName: tessera
  nodeSelector: {nvidia.com/gpu.product: A100}
  tolerations:
  - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
  - {operator: Exists}
  - {key: dedicated, value: ml}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: nvidia.com/gpu.memory, operator: Gt, values: ["40000"]}
          matchFields:
          - {key: metadata.name, operator: NotIn, values: [bad-node]}
        - matchExpressions:
          - {key: zone, operator: In, values: [a, b]}
  containers:
  - name: main
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Snapshot& s = loaded->snapshot;
  auto id = model::PodId::FromIndex(0);
  const model::Pod& pod = s.pod(id);
  EXPECT_EQ(pod.namespace_name, "default");
  // 2024-05-01T12:00:00Z.
  EXPECT_EQ(pod.creation_unix_seconds, 1'714'564'800);
  EXPECT_EQ(s.pod_node_selector(id).size(), 1u);
  EXPECT_EQ(s.pod_tolerations(id).size(), 3u);
  EXPECT_TRUE(s.pod_tolerations(id)[1].any_effect);
  ASSERT_TRUE(pod.has_required_affinity);
  ASSERT_EQ(s.pod_affinity_terms(id).size(), 2u);
  auto first = s.term_requirements(s.pod_affinity_terms(id)[0]);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].op, model::SelectorOperator::kGt);
  EXPECT_EQ(first[0].number, 40'000);
  EXPECT_TRUE(first[1].is_field);
}

TEST(ManifestsTest, GeneratesDeterministicNamesThatAvoidGivenNames) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {generateName: train-}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {generateName: train-}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {name: train-bbbbc}
spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Snapshot& s = loaded->snapshot;
  ASSERT_EQ(s.num_pods(), 3u);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(0)).name, "train-bbbbb");
  // "train-bbbbc" is taken by the third pod, so the second gets the next one.
  EXPECT_EQ(s.pod(model::PodId::FromIndex(1)).name, "train-bbbbd");
  EXPECT_EQ(s.pod(model::PodId::FromIndex(2)).name, "train-bbbbc");
}

TEST(ManifestsTest, ResolvesPriorityFromClassesDefaultsAndSpec) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {name: uses-class}
spec: {priorityClassName: team-high, containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {name: uses-builtin}
spec: {priorityClassName: system-node-critical, containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {name: uses-default}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {name: uses-spec}
spec: {priority: 7, containers: [{name: main}]}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: team-high}
value: 1000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: team-default}
value: 10
globalDefault: true
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Snapshot& s = loaded->snapshot;
  EXPECT_EQ(s.pod(model::PodId::FromIndex(0)).priority, 1000);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(1)).priority, 2'000'001'000);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(2)).priority, 10);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(3)).priority, 7);
}

TEST(ManifestsTest, RejectsASecondGlobalDefaultPriorityClass) {
  auto loaded = LoadString(R"(
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: a}
value: 1
globalDefault: true
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: b}
value: 2
globalDefault: true
)");
  EXPECT_EQ(ErrorOf(loaded),
            "-: PriorityClass b: globalDefault: only one PriorityClass may be the global "
            "default; \"a\" already is (-, document 1)");
}

TEST(ManifestsTest, BindsPodsAndKeepsTheirObjectsInPodIdOrder) {
  std::string text = std::string(kNode) + R"(
---
apiVersion: v1
kind: Pod
metadata: {name: running, namespace: team-a}
spec:
  nodeName: gpu-node-0
  containers: [{name: main, resources: {requests: {cpu: "2", nvidia.com/gpu: "1"}, limits: {nvidia.com/gpu: "1"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: team-a}
spec:
  nodeName: gpu-node-0
  containers: [{name: main, resources: {requests: {cpu: "8"}}}]
status: {phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata: {name: pending, namespace: team-a}
spec:
  containers: [{name: main}]
)";
  auto loaded = LoadString(text);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Snapshot& s = loaded->snapshot;
  ASSERT_EQ(s.num_pods(), 2u);
  ASSERT_EQ(loaded->pod_objects.size(), 2u);
  EXPECT_EQ(loaded->pod_objects[0]["metadata"]["name"].as<std::string>(), "running");
  EXPECT_EQ(loaded->pod_objects[1]["metadata"]["name"].as<std::string>(), "pending");
  EXPECT_TRUE(s.pod(model::PodId::FromIndex(0)).node.valid());
  EXPECT_FALSE(s.pod(model::PodId::FromIndex(1)).node.valid());
  EXPECT_THAT(loaded->warnings,
              ElementsAre("skipped 1 pod in phase Succeeded or Failed: they hold no resources"));
  EXPECT_EQ(loaded->num_objects, 4u);
}

TEST(ManifestsTest, KeepsUnknownKindsAndSummarisesThemInOneWarning) {
  // Kinds the engine does not use yet (Kueue's MultiKueueCluster and AdmissionCheck).
  auto loaded = LoadString(R"(
apiVersion: kueue.x-k8s.io/v1beta2
kind: AdmissionCheck
metadata: {name: a}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: MultiKueueCluster
metadata: {name: cluster-a}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: AdmissionCheck
metadata: {name: b}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: MultiKueueCluster
metadata: {name: cluster-b}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: AdmissionCheck
metadata: {name: c}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->kept.size(), 5u);
  EXPECT_EQ(loaded->kept[0].kind, "AdmissionCheck");
  EXPECT_EQ(loaded->kept[0].name, "a");
  EXPECT_EQ(loaded->kept[1].name, "cluster-a");
  EXPECT_EQ(loaded->kept[1].file, "-");
  EXPECT_THAT(loaded->warnings,
              ElementsAre("ignored 5 objects of kinds the engine does not use yet: AdmissionCheck "
                          "(kueue.x-k8s.io/v1beta2) x3, MultiKueueCluster (kueue.x-k8s.io/v1beta2) "
                          "x2"));
}

TEST(ManifestsTest, ReadsListsAndTypedListsWhoseItemsOmitKind) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
- apiVersion: v1
  kind: Namespace
  metadata: {name: team-a}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: p1}
  spec: {containers: [{name: main}]}
- metadata: {name: p2}
  spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(loaded->snapshot.num_nodes(), 1u);
  EXPECT_EQ(loaded->snapshot.num_pods(), 2u);
  EXPECT_EQ(loaded->num_objects, 4u);
}

TEST(ManifestsTest, NamesListItemsInErrorsWhenTheirNameIsUnknown) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
- apiVersion: v1
  metadata: {name: n2}
)");
  EXPECT_EQ(ErrorOf(loaded), "-: document 1, items[1]: kind: required field is missing");
}

TEST(ManifestsTest, ReadsJsonFromFilesAndStandardInput) {
  const std::string json = R"({
  "apiVersion": "v1", "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
     "status": {"allocatable": {"cpu": 1.5, "memory": "1Gi", "pods": 10}}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "labels": {"v": "5"}},
     "spec": {"priority": 3, "containers": [{"name": "main"}]}}
  ]
})";
  TempDir dir;
  const std::vector<std::string> paths = {dir.Write("cluster.json", json)};
  auto from_file = LoadManifests(paths);
  ASSERT_TRUE(from_file.ok()) << ErrorOf(from_file);
  EXPECT_EQ(Allocatable(from_file->snapshot, "n1", "cpu"), 1500);
  EXPECT_EQ(Allocatable(from_file->snapshot, "n1", "pods"), 10);
  EXPECT_EQ(from_file->snapshot.pod(model::PodId::FromIndex(0)).priority, 3);

  auto from_stdin = LoadString(json);
  ASSERT_TRUE(from_stdin.ok()) << ErrorOf(from_stdin);
  EXPECT_EQ(from_stdin->snapshot.num_pods(), 1u);
}

TEST(ManifestsTest, RejectsQuotedNumbersWhereJsonHasIntegers) {
  auto loaded = LoadString(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"priority": "3", "containers": [{"name": "main"}]}})");
  EXPECT_EQ(ErrorOf(loaded),
            "-: Pod default/p: spec.priority: must be an integer, got a string \"3\"");
}

TEST(ManifestsTest, AcceptsEmptyFilesAndSkipsEmptyDocuments) {
  TempDir dir;
  const std::vector<std::string> paths = {dir.Write("empty.yaml", ""),
                                          dir.Write("comments.yaml", "# nothing here\n"),
                                          dir.Write("separators.yaml", "---\n---\n# x\n---\n")};
  auto loaded = LoadManifests(paths);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(loaded->num_files, 3u);
  EXPECT_EQ(loaded->num_objects, 0u);
  EXPECT_EQ(loaded->snapshot.num_nodes(), 0u);
}

TEST(ManifestsTest, ReadsFoldersRecursivelyInSortedOrder) {
  TempDir dir;
  auto pod = [](const std::string& name) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
           "}\nspec: {containers: [{name: main}]}\n";
  };
  dir.Write("b.yaml", pod("from-b"));
  dir.Write("a/z.yml", pod("from-a-z"));
  dir.Write("a/notes.txt", "not a manifest: {{ ignored }}");
  dir.Write("c.json", R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "from-c"},
                          "spec": {"containers": [{"name": "main"}]}})");
  const std::vector<std::string> paths = {dir.path()};
  auto loaded = LoadManifests(paths);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(loaded->num_files, 3u);
  const model::Snapshot& s = loaded->snapshot;
  ASSERT_EQ(s.num_pods(), 3u);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(0)).name, "from-a-z");
  EXPECT_EQ(s.pod(model::PodId::FromIndex(1)).name, "from-b");
  EXPECT_EQ(s.pod(model::PodId::FromIndex(2)).name, "from-c");
  EXPECT_EQ(s.pod(model::PodId::FromIndex(0)).source, dir.path() + "/a/z.yml");
}

TEST(ManifestsTest, ReportsMissingPathsAndOversizedFiles) {
  const std::vector<std::string> missing = {"does/not/exist.yaml"};
  EXPECT_EQ(ErrorOf(LoadManifests(missing)), "does/not/exist.yaml: no such file or directory");
  EXPECT_EQ(LoadManifests(missing).error().code(), ErrorCode::kNotFound);

  TempDir dir;
  const std::vector<std::string> big = {dir.Write("big.yaml", std::string(2000, '#'))};
  LoadOptions options;
  options.max_file_bytes = 1000;
  EXPECT_EQ(ErrorOf(LoadManifests(big, options)),
            big[0] + ": file is larger than the limit of 1000 bytes (LoadOptions::max_file_bytes)");

  std::istringstream in(std::string(2000, '#'));
  options.stdin_stream = &in;
  const std::vector<std::string> dash = {"-"};
  EXPECT_EQ(ErrorOf(LoadManifests(dash, options)),
            "-: file is larger than the limit of 1000 bytes (LoadOptions::max_file_bytes)");
}

TEST(ManifestsTest, DetectsHelmTemplatesButNotBracesInQuotesCommentsOrBlockScalars) {
  EXPECT_EQ(
      ErrorOf(LoadString("apiVersion: v1\nkind: Node\nmetadata:\n  name: n-{{ .Index }}\n")),
      "-: line 4: looks like a Helm template (\"{{ ... }}\"); render it first (e.g. with helm "
      "template) and load the output");
  auto loaded = LoadString(R"(# {{ a comment }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: argo-style
  annotations: {template: "{{inputs.parameters.x}}"}
data:
  script: |
    echo {{ not a template action here }}
  other: '{{ single quoted }}'
)");
  EXPECT_TRUE(loaded.ok()) << ErrorOf(loaded);
}

constexpr char kSliceV1[] = R"(
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: gpu-node-0-gpu.example.com}
spec:
  driver: gpu.example.com
  pool: {name: gpu-node-0, generation: 3, resourceSliceCount: 1}
  nodeName: gpu-node-0
  sharedCounters:
  - name: gpu-0-counters
    counters: {memory: {value: 80Gi}}
  devices:
  - name: gpu-0
    attributes:
      model: {string: A100}
      index: {int: 0}
      mig: {bool: false}
      driverVersion: {version: 1.2.3}
      resource.kubernetes.io/pcieRoot: {string: pci0000:00}
    capacity:
      memory: {value: 80Gi}
    consumesCounters:
    - counterSet: gpu-0-counters
      counters: {memory: {value: 80Gi}}
    taints:
    - {key: example.com/unhealthy, effect: NoSchedule}
    allowMultipleAllocations: true
)";

constexpr char kSliceV1Beta1[] = R"(
apiVersion: resource.k8s.io/v1beta1
kind: ResourceSlice
metadata: {name: gpu-node-0-gpu.example.com}
spec:
  driver: gpu.example.com
  pool: {name: gpu-node-0, generation: 3, resourceSliceCount: 1}
  nodeName: gpu-node-0
  sharedCounters:
  - name: gpu-0-counters
    counters: {memory: {value: 80Gi}}
  devices:
  - name: gpu-0
    basic:
      attributes:
        model: {string: A100}
        index: {int: 0}
        mig: {bool: false}
        driverVersion: {version: 1.2.3}
        resource.kubernetes.io/pcieRoot: {string: pci0000:00}
      capacity:
        memory: {value: 80Gi}
      consumesCounters:
      - counterSet: gpu-0-counters
        counters: {memory: {value: 80Gi}}
      taints:
      - {key: example.com/unhealthy, effect: NoSchedule}
      allowMultipleAllocations: true
)";

void ExpectSlice(const model::ResourceSliceSpec& slice) {
  EXPECT_EQ(slice.driver, "gpu.example.com");
  EXPECT_EQ(slice.pool, "gpu-node-0");
  EXPECT_EQ(slice.pool_generation, 3);
  EXPECT_EQ(slice.node_name, "gpu-node-0");
  ASSERT_EQ(slice.devices.size(), 1u);
  const model::DeviceSpec& d = slice.devices[0];
  EXPECT_EQ(d.name, "gpu-0");
  ASSERT_EQ(d.attributes.size(), 5u);
  EXPECT_EQ(std::get<std::string>(d.attributes[0].value), "A100");
  EXPECT_EQ(std::get<int64_t>(d.attributes[1].value), 0);
  EXPECT_EQ(std::get<bool>(d.attributes[2].value), false);
  EXPECT_EQ(std::get<model::SemVer>(d.attributes[3].value).text, "1.2.3");
  ASSERT_EQ(d.capacity.size(), 1u);
  EXPECT_EQ(d.capacity[0].value.value(), 80ll << 30);
  ASSERT_EQ(d.consumes_counters.size(), 1u);
  EXPECT_EQ(d.consumes_counters[0].counters[0].second.value(), 80ll << 30);
  ASSERT_EQ(d.taints.size(), 1u);
  EXPECT_TRUE(d.allow_multiple_allocations);
  ASSERT_EQ(slice.shared_counters.size(), 1u);
}

TEST(ManifestsTest, ReadsResourceSlicesInBothShapes) {
  for (const char* text : {kSliceV1, kSliceV1Beta1}) {
    auto loaded = LoadString(text);
    ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
    ASSERT_EQ(loaded->snapshot.resource_slices().size(), 1u);
    ExpectSlice(loaded->snapshot.resource_slices()[0]);
    EXPECT_EQ(loaded->snapshot.devices().size(), 1u);
  }
}

TEST(ManifestsTest, ReadsClaimsInBothShapes) {
  auto loaded = LoadString(R"(
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: c1, namespace: team-a}
spec:
  devices:
    requests:
    - name: gpu
      exactly:
        deviceClassName: gpu.example.com
        count: 2
        selectors: [{cel: {expression: "device.attributes['gpu.example.com'].model == 'A100'"}}]
        tolerations: [{key: example.com/unhealthy, operator: Exists}]
        capacity: {requests: {memory: 10Gi}}
    - name: nic
      firstAvailable:
      - {name: fast, deviceClassName: nic.example.com, allocationMode: All}
      - {name: slow, deviceClassName: nic.example.com}
    constraints:
    - {requests: [gpu, nic/fast], matchAttribute: resource.kubernetes.io/pcieRoot}
---
apiVersion: resource.k8s.io/v1beta1
kind: ResourceClaimTemplate
metadata: {name: t1, namespace: team-a}
spec:
  spec:
    devices:
      requests:
      - name: gpu
        deviceClassName: gpu.example.com
        allocationMode: All
        adminAccess: true
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& claims = loaded->snapshot.resource_claims();
  ASSERT_EQ(claims.size(), 2u);
  const model::ResourceClaimSpec& c = claims[0];
  EXPECT_FALSE(c.is_template);
  ASSERT_EQ(c.requests.size(), 2u);
  EXPECT_EQ(c.requests[0].count, 2);
  EXPECT_EQ(c.requests[0].selectors.size(), 1u);
  EXPECT_EQ(c.requests[0].tolerations.size(), 1u);
  EXPECT_THAT(c.requests[0].capacity_requests, ElementsAre(Pair("memory", Quantity(10ll << 30))));
  ASSERT_EQ(c.requests[1].first_available.size(), 2u);
  EXPECT_EQ(c.requests[1].first_available[0].allocation_mode, model::AllocationMode::kAll);
  EXPECT_EQ(c.requests[1].first_available[1].count, 1);
  ASSERT_EQ(c.constraints.size(), 1u);
  EXPECT_EQ(c.constraints[0].match_attribute, "resource.kubernetes.io/pcieRoot");
  const model::ResourceClaimSpec& t = claims[1];
  EXPECT_TRUE(t.is_template);
  EXPECT_EQ(t.requests[0].device_class_name, "gpu.example.com");
  EXPECT_EQ(t.requests[0].allocation_mode, model::AllocationMode::kAll);
  EXPECT_TRUE(t.requests[0].admin_access);
}

TEST(ManifestsTest, KeepsTheTemplateOfAClaimARunningPodGotFromIt) {
  // status.resourceClaimStatuses names the claim the controller made from the template: the
  // pod uses that claim, and the template it came from is kept (the claim is the pod's own).
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {name: nb}
spec:
  containers: [{name: c}]
  resourceClaims:
  - {name: gpu, resourceClaimTemplateName: one-gpu}
  - {name: shared, resourceClaimName: team-gpus}
status:
  resourceClaimStatuses:
  - {name: gpu, resourceClaimName: nb-gpu-x7k2p}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: nb-gpu-x7k2p}
spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu.example.com}}]}}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: team-gpus}
spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu.example.com}}]}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::Pod& pod = loaded->snapshot.pod(model::PodId::FromIndex(0));
  ASSERT_EQ(pod.claims.size(), 2u);
  EXPECT_EQ(pod.claims[0].resource_claim_name, "nb-gpu-x7k2p");
  EXPECT_EQ(pod.claims[0].resource_claim_template_name, "");
  EXPECT_EQ(pod.claims[0].generated_from_template, "one-gpu");
  EXPECT_EQ(pod.claims[1].resource_claim_name, "team-gpus");
  EXPECT_EQ(pod.claims[1].generated_from_template, "");
}

TEST(ManifestsTest, ValidatesClaimShapeAndLimits) {
  auto claim = [](const std::string& request) {
    return "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: c}\n"
           "spec:\n  devices:\n    requests:\n    - " +
           request + "\n";
  };
  EXPECT_EQ(ErrorOf(LoadString(claim("{name: r}"))),
            "-: ResourceClaim default/c: spec.devices.requests[0]: must set exactly one of "
            "exactly and firstAvailable");
  EXPECT_EQ(ErrorOf(LoadString(claim("{name: r, exactly: {deviceClassName: x, "
                                     "allocationMode: All, count: 2}}"))),
            "-: ResourceClaim default/c: spec.devices.requests[0].exactly.count: must not be "
            "set when allocationMode is All");
  std::string nine = "{name: r, firstAvailable: [";
  for (int i = 0; i < 9; ++i) nine += "{name: s" + std::to_string(i) + ", deviceClassName: x},";
  nine += "]}";
  EXPECT_EQ(ErrorOf(LoadString(claim(nine))),
            "-: ResourceClaim default/c: spec.devices.requests[0].firstAvailable: must have at "
            "most 8 subrequests, got 9");
  EXPECT_EQ(ErrorOf(LoadString(claim("{name: r, firstAvailable: [{name: s, deviceClassName: x, "
                                     "adminAccess: true}]}"))),
            "-: ResourceClaim default/c: spec.devices.requests[0].firstAvailable[0].adminAccess: "
            "is not allowed in a subrequest");
}

TEST(ManifestsTest, ReadsDeviceClassesAndTaintRules) {
  auto loaded = LoadString(R"(
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  selectors: [{cel: {expression: "device.driver == 'gpu.example.com'"}}]
  extendedResourceName: example.com/gpu
---
apiVersion: resource.k8s.io/v1alpha3
kind: DeviceTaintRule
metadata: {name: drain-pool}
spec:
  deviceSelector: {driver: gpu.example.com, pool: gpu-node-0}
  taint: {key: example.com/drain, effect: NoExecute}
---
apiVersion: resource.k8s.io/v1alpha3
kind: DeviceTaintRule
metadata: {name: matches-nothing}
spec:
  taint: {key: example.com/drain, effect: NoExecute}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->snapshot.device_classes().size(), 1u);
  EXPECT_EQ(loaded->snapshot.device_classes()[0].extended_resource_name, "example.com/gpu");
  ASSERT_EQ(loaded->snapshot.device_taint_rules().size(), 1u);
  EXPECT_EQ(loaded->snapshot.device_taint_rules()[0].pool, "gpu-node-0");
  EXPECT_EQ(loaded->snapshot.device_taint_rules()[0].taint.effect, model::TaintEffect::kNoExecute);
  EXPECT_THAT(loaded->warnings,
              ElementsAre("-: DeviceTaintRule matches-nothing: ignored because it has no "
                          "spec.deviceSelector, so it matches no device"));
}

TEST(ManifestsTest, TruncatesHugeValuesInMessages) {
  const std::string name(100'000, 'a');
  auto loaded = LoadString("apiVersion: v1\nkind: Node\nmetadata:\n  name: " + name + "\n");
  EXPECT_EQ(ErrorOf(loaded), "-: Node (document 1): metadata.name: \"" + std::string(64, 'a') +
                                 "\"... (100000 bytes) is too long: must be no more than 253 "
                                 "characters");
}

TEST(ManifestsTest, RejectsDeeplyNestedJsonWithoutRecursing) {
  std::string json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": ";
  json += std::string(100'000, '[') + std::string(100'000, ']') + "}";
  TempDir dir;
  const std::vector<std::string> paths = {dir.Write("deep.json", json)};
  EXPECT_EQ(ErrorOf(LoadManifests(paths)),
            paths[0] + ": invalid JSON: nested more than 100 levels deep");
}

}  // namespace
}  // namespace tessera::io

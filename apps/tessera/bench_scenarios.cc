#include "bench_scenarios.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "base/check.h"
#include "model/snapshot.h"

namespace tessera::cli {
namespace {

// scheduler_perf's createResourceDriver: DeviceClass test-class selects the driver.
model::DeviceClassSpec TestClass() {
  return {.name = "test-class", .selectors = {"device.driver == \"test-driver.cdi.k8s.io\""}};
}

// One ResourceSlice per node (pool = node name) with devices instance-0..N-1, each with
// model, family, driverVersion and numa attributes and memory 1Gi, as scheduler_perf's dra.go.
model::ResourceSliceSpec NodeSlice(const std::string& node, int devices) {
  model::ResourceSliceSpec s;
  s.name = node + "-slice";
  s.driver = "test-driver.cdi.k8s.io";
  s.pool = node;
  s.node_name = node;
  for (int i = 0; i < devices; ++i) {
    model::DeviceSpec d;
    d.name = "instance-" + std::to_string(i);
    d.attributes = {{"model", std::string("A100")},
                    {"family", std::string("GPU")},
                    {"driverVersion", model::SemVer{"1.2.3"}},
                    {"dra.example.com/numa", int64_t{i}}};
    d.capacity = {{"memory", Quantity(int64_t{1} << 30)}};
    s.devices.push_back(std::move(d));
  }
  return s;
}

// `nodes` x `devices_per_node` devices and `pods` pending pods, each with one claim from a
// template asking for `devices_per_claim` devices of test-class. `preallocated` one-device
// claims arrive allocated (scheduler_perf's allocResourceClaims: a partly full cluster
// without running pods), filling devices node by node.
model::Snapshot DraCluster(int nodes, int devices_per_node, int pods, int64_t devices_per_claim,
                           int preallocated = 0) {
  model::SnapshotBuilder b;
  for (int n = 0; n < nodes; ++n) {
    std::string name = "scheduler-perf-dra-" + std::to_string(n);
    b.AddNode({.name = name, .allocatable = {{"cpu", Quantity(64'000)}, {"pods", Quantity(110)}}});
    b.AddResourceSlice(NodeSlice(name, devices_per_node));
  }
  b.AddDeviceClass(TestClass());
  for (int c = 0; c < preallocated; ++c) {
    const int node = c / devices_per_node;
    model::ResourceClaimSpec init{.name = "init-claim-" + std::to_string(c)};
    init.requests = {{.name = "req-0", .device_class_name = "test-class"}};
    init.allocated = true;
    init.allocation = {{.request = "req-0",
                        .driver = "test-driver.cdi.k8s.io",
                        .pool = "scheduler-perf-dra-" + std::to_string(node),
                        .device = "instance-" + std::to_string(c % devices_per_node)}};
    b.AddResourceClaim(init);
  }
  model::ResourceClaimSpec tmpl;
  tmpl.name = "test-claim-template";
  tmpl.is_template = true;
  tmpl.requests = {{.name = "req-0", .device_class_name = "test-class", .count = devices_per_claim}};
  b.AddResourceClaim(tmpl);
  for (int p = 0; p < pods; ++p) {
    b.AddPod({.name = "pod-" + std::to_string(p),
              .creation_unix_seconds = p,
              .claims = {{"resource", "", "test-claim-template"}}});
  }
  auto s = std::move(b).Build();
  TESSERA_CHECK(s.ok()) << s.error().ToString();
  return std::move(s).value();
}

// SchedulingWithResourceClaimTemplate/5000pods_500nodes: 2,500 init claims, then 2,500
// measured pods fill the cluster exactly.
model::Snapshot Fill500() { return DraCluster(500, 10, 2'500, 1, 2'500); }
model::Snapshot Fill100() { return DraCluster(100, 10, 500, 1, 500); }
// SteadyStateClusterResourceClaimTemplate/{empty,half,full}_500nodes: 0, 2,500 or 4,990
// allocated claims, and 10 pods at a time placed, deleted and created again.
model::Snapshot SteadyEmpty500() { return DraCluster(500, 10, 10, 1, 0); }
model::Snapshot SteadyHalf500() { return DraCluster(500, 10, 10, 1, 2'500); }
model::Snapshot SteadyFull500() { return DraCluster(500, 10, 10, 1, 4'990); }
model::Snapshot NoSolution500() { return DraCluster(500, 10, 20, 11); }
model::Snapshot NoSolution500One() { return DraCluster(500, 10, 1, 11); }

// scheduler_perf's PartitionableBacktracking: one node, one counter set {memory 70} for 8
// devices; device-1 consumes 20, the others 10. A claim for 7 fits only without device-1
// (7 x 10 = 70), so a first-fit search that takes device-1 must undo it.
model::Snapshot PartitionableBacktracking() {
  model::SnapshotBuilder b;
  b.AddNode({.name = "node-0", .allocatable = {{"pods", Quantity(110)}}});
  model::ResourceSliceSpec s;
  s.name = "node-0-slice";
  s.driver = "test-driver.cdi.k8s.io";
  s.pool = "node-0";
  s.node_name = "node-0";
  s.shared_counters = {{"counter-set", {{"memory", Quantity(70)}}}};
  for (int i = 0; i < 8; ++i) {
    model::DeviceSpec d;
    d.name = "device-" + std::to_string(i);
    d.consumes_counters = {{"counter-set", {{"memory", Quantity(i == 1 ? 20 : 10)}}}};
    s.devices.push_back(std::move(d));
  }
  b.AddResourceSlice(s);
  b.AddDeviceClass(TestClass());
  model::ResourceClaimSpec tmpl;
  tmpl.name = "test-claim-template";
  tmpl.is_template = true;
  tmpl.requests = {{.name = "req-0", .device_class_name = "test-class", .count = 7}};
  b.AddResourceClaim(tmpl);
  b.AddPod({.name = "pod-0", .claims = {{"resource", "", "test-claim-template"}}});
  auto snapshot = std::move(b).Build();
  TESSERA_CHECK(snapshot.ok()) << snapshot.error().ToString();
  return std::move(snapshot).value();
}

constexpr std::array<BenchScenario, 7> kScenarios = {{
    {.name = "dra-fill-500",
     .anchor = "Kubernetes scheduler_perf SchedulingWithResourceClaimTemplate/5000pods_500nodes: "
               "CI threshold 40 pods/s (typically > 51)",
     .build = Fill500,
     .build_one = nullptr,
     .runs = 5,
     .latency_runs = 0},
    {.name = "dra-fill-100",
     .anchor = "Quick dra-fill-500 at 100 nodes; Kubernetes' CI threshold of 40 pods/s is for "
               "500 nodes",
     .build = Fill100,
     .build_one = nullptr,
     .runs = 5,
     .latency_runs = 0},
    {.name = "dra-steady-empty-500",
     .anchor = "Kubernetes scheduler_perf SteadyStateClusterResourceClaimTemplate/empty_500nodes: "
               "CI threshold 64 pods/s (typically > 81)",
     .build = SteadyEmpty500,
     .build_one = nullptr,
     .runs = 1,
     .latency_runs = 0,
     .steady_rounds = 5'000},
    {.name = "dra-steady-half-500",
     .anchor = "Kubernetes scheduler_perf SteadyStateClusterResourceClaimTemplate/half_500nodes: "
               "CI threshold 70 pods/s (typically > 78)",
     .build = SteadyHalf500,
     .build_one = nullptr,
     .runs = 1,
     .latency_runs = 0,
     .steady_rounds = 5'000},
    {.name = "dra-steady-full-500",
     .anchor = "Kubernetes scheduler_perf SteadyStateClusterResourceClaimTemplate/full_500nodes: "
               "CI threshold 60 pods/s (typically > 75)",
     .build = SteadyFull500,
     .build_one = nullptr,
     .runs = 1,
     .latency_runs = 0,
     .steady_rounds = 5'000},
    {.name = "dra-no-solution-500",
     .anchor = "Kubernetes: exhaustive search per node (kubernetes#131730); target < 1 ms per pod",
     .build = NoSolution500,
     .build_one = NoSolution500One,
     .runs = 10,
     .latency_runs = 500},
    {.name = "dra-partitionable-backtracking",
     .anchor = "Kubernetes scheduler_perf PartitionableBacktracking; target < 1 ms per pod",
     .build = PartitionableBacktracking,
     .build_one = PartitionableBacktracking,
     .runs = 2'000,
     .latency_runs = 0},  // the runs are single-pod already: their times are the latencies
}};

}  // namespace

std::span<const BenchScenario> BenchScenarios() { return kScenarios; }

const BenchScenario* FindBenchScenario(std::string_view name) {
  for (const BenchScenario& s : kScenarios) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace tessera::cli

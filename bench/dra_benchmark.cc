// Whole-scenario DRA benchmarks in the shape of Kubernetes scheduler_perf's DRA cases
// (../shared/reference/k8s-perf.md sections 1-2): 500 nodes with one ResourceSlice of 10
// devices each (model, family, driverVersion, numa; memory 1Gi), a DeviceClass selecting the
// driver, and pods with one claim from a template asking for one device.
//  - BM_Dra_Fill500: 5,000 pods fill the cluster exactly (the 5000pods_500nodes case measures
//    the second half; we time the whole fill). Kubernetes' CI threshold: 40 pods/s.
//  - BM_Dra_NoSolution: a claim for 11 devices on 10-device nodes, 500 nodes: every node must
//    prove infeasibility (kubernetes#131730's slow path).
//  - BM_Dra_PartitionableBacktracking: 8 devices over two counter sets where only the set
//    without device 1 fits a claim for 7 (scheduler_perf's PartitionableBacktracking).
// items_per_second is pods per second.
#include <benchmark/benchmark.h>

#include <string>

#include "base/check.h"
#include "engine/engine.h"
#include "model/snapshot.h"

namespace tessera {
namespace {

model::DeviceClassSpec TestClass() {
  return {.name = "test-class", .selectors = {"device.driver == \"test-driver.cdi.k8s.io\""}};
}

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

model::Snapshot Cluster(int nodes, int devices_per_node, int pods, int64_t devices_per_claim) {
  model::SnapshotBuilder b;
  for (int n = 0; n < nodes; ++n) {
    std::string name = "scheduler-perf-dra-" + std::to_string(n);
    b.AddNode({.name = name, .allocatable = {{"cpu", Quantity(64'000)}, {"pods", Quantity(110)}}});
    b.AddResourceSlice(NodeSlice(name, devices_per_node));
  }
  b.AddDeviceClass(TestClass());
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

void Run(benchmark::State& state, const model::Snapshot& snapshot, int64_t pods) {
  for (auto _ : state) {
    auto engine = engine::Engine::Create(snapshot, engine::Options{});
    TESSERA_CHECK(engine.ok()) << engine.error().ToString();
    auto result = (*engine)->ScheduleAll();
    benchmark::DoNotOptimize(result.decisions.data());
  }
  state.SetItemsProcessed(state.iterations() * pods);
}

void BM_Dra_Fill500(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  model::Snapshot snapshot = Cluster(nodes, 10, nodes * 10, 1);
  Run(state, snapshot, nodes * 10);
}
BENCHMARK(BM_Dra_Fill500)->Arg(100)->Arg(500)->Unit(benchmark::kMillisecond);

void BM_Dra_NoSolution(benchmark::State& state) {
  model::Snapshot snapshot = Cluster(500, 10, 10, 11);
  Run(state, snapshot, 10);
}
BENCHMARK(BM_Dra_NoSolution)->Unit(benchmark::kMillisecond);

void BM_Dra_PartitionableBacktracking(benchmark::State& state) {
  // One counter set {memory 70} for 8 devices; device-1 consumes 20, the others 10. A claim
  // for 7 fits only without device-1 (7 x 10 = 70); first-fit takes device-1 and must undo.
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
  tmpl.name = "t";
  tmpl.is_template = true;
  tmpl.requests = {{.name = "req-0", .device_class_name = "test-class", .count = 7}};
  b.AddResourceClaim(tmpl);
  b.AddPod({.name = "pod-0", .claims = {{"resource", "", "t"}}});
  auto snapshot = std::move(b).Build();
  TESSERA_CHECK(snapshot.ok()) << snapshot.error().ToString();
  for (auto _ : state) {
    auto engine = engine::Engine::Create(*snapshot, engine::Options{});
    TESSERA_CHECK(engine.ok());
    auto result = (*engine)->ScheduleAll();
    TESSERA_CHECK(result.decisions[0].outcome == model::Outcome::kPlaced) << "must fit";
    benchmark::DoNotOptimize(result.decisions.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Dra_PartitionableBacktracking)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tessera

// Whole-cycle benchmark of engine v0: place N pods on a cluster of M nodes.
// Reports decisions per second; the baseline to compare against is the same binary's
// BM_Engine_ScheduleAll at the smaller size (cost should grow with nodes x pods).
#include <benchmark/benchmark.h>

#include <string>

#include "engine/engine.h"
#include "testing/cluster_builder.h"

namespace tessera {
namespace {

model::Snapshot MakeCluster(int nodes, int pods) {
  testing::ClusterBuilder b;
  for (int n = 0; n < nodes; ++n) {
    auto node = b.Node("node-" + std::to_string(n));
    node.Cpu("64").Memory("512Gi").Pods("110").Extended("nvidia.com/gpu", "8")
        .Label("zone", "z" + std::to_string(n % 4));
    if (n % 10 == 0) node.Taint("dedicated", "infra");
  }
  for (int p = 0; p < pods; ++p) {
    auto pod = b.Pod("pod-" + std::to_string(p));
    pod.Cpu(std::to_string(1 + p % 8)).Memory(std::to_string(4 + p % 16) + "Gi").Created(p);
    if (p % 3 == 0) pod.Extended("nvidia.com/gpu", std::to_string(1 + p % 4));
    if (p % 5 == 0) pod.NodeSelector("zone", "z" + std::to_string(p % 4));
  }
  return std::move(b).Build();
}

void BM_Engine_ScheduleAll(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int pods = static_cast<int>(state.range(1));
  model::Snapshot snapshot = MakeCluster(nodes, pods);
  for (auto _ : state) {
    model::Overlay overlay(snapshot);
    auto decisions = engine::ScheduleAll(snapshot, engine::Options{}, overlay);
    benchmark::DoNotOptimize(decisions.data());
  }
  state.SetItemsProcessed(state.iterations() * pods);
  state.counters["nodes_scanned_per_decision"] = static_cast<double>(nodes);
}
BENCHMARK(BM_Engine_ScheduleAll)->Args({100, 1000})->Args({1000, 1000})->Args({10000, 1000})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tessera

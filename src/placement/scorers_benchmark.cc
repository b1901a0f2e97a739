// Micro-benchmarks for the per-node placement plugins: one scorer (ResourceScore, least- and
// most-allocated) and the two filters (PassesStaticFilters, FitsResources) run for one pod
// over every node of a 1,000- and a 10,000-node cluster. items_per_second is nodes per
// second; the cluster and its usage are built outside the timed loop.
//   ./build/release/bench/tessera_benchmarks --benchmark_filter='BM_Scorer_|BM_Filter_'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "model/overlay.h"
#include "model/snapshot.h"
#include "placement/filters.h"
#include "placement/scorers.h"
#include "testing/cluster_builder.h"

namespace tessera::placement {
namespace {

// Nodes of 64 cpu, 512Gi, 110 pods and 8 GPUs in four zones; every 10th node carries a
// NoSchedule taint and every 7th a PreferNoSchedule one. Each node already runs one pod of
// varied size, so usage differs from node to node. Pod 0, the one placed, asks 4 cpu, 32Gi
// and 2 GPUs, tolerates nothing and requires zone z0, z1 or z2.
struct Cluster {
  model::Snapshot snapshot;
  std::unique_ptr<model::Overlay> overlay;
  model::PodId pod;
};

const Cluster& ClusterOf(int nodes) {
  static std::map<int, std::unique_ptr<Cluster>> clusters;
  auto& c = clusters[nodes];
  if (c) return *c;
  testing::ClusterBuilder b;
  b.Pod("new")
      .Cpu("4")
      .Memory("32Gi")
      .Extended("nvidia.com/gpu", "2")
      .AffinityTerm(
          {{.key = "zone", .op = model::SelectorOperator::kIn, .values = {"z0", "z1", "z2"}}});
  for (int n = 0; n < nodes; ++n) {
    const std::string name = "node-" + std::to_string(n);
    auto node = b.Node(name);
    node.Cpu("64")
        .Memory("512Gi")
        .Pods("110")
        .Extended("nvidia.com/gpu", "8")
        .Label("zone", "z" + std::to_string(n % 4));
    if (n % 10 == 0) node.Taint("dedicated", "infra");
    if (n % 7 == 0) node.Taint("spot", "true", model::TaintEffect::kPreferNoSchedule);
    b.Pod("running-" + std::to_string(n))
        .Cpu(std::to_string(n % 61))
        .Memory(std::to_string(n % 481) + "Gi")
        .Extended("nvidia.com/gpu", std::to_string(n % 8))
        .OnNode(name);
  }
  c = std::make_unique<Cluster>(Cluster{std::move(b).Build(), nullptr, model::PodId()});
  c->overlay = std::make_unique<model::Overlay>(c->snapshot);
  c->pod = *c->snapshot.FindPod("default", "new");
  return *c;
}

void BM_Scorer_ResourceScore(benchmark::State& state, ScorePolicy policy) {
  const Cluster& c = ClusterOf(static_cast<int>(state.range(0)));
  const size_t nodes = c.snapshot.num_nodes();
  for (auto _ : state) {
    int64_t sum = 0;
    for (size_t n = 0; n < nodes; ++n) {
      const model::NodeId node = model::NodeId::FromIndex(n);
      sum += ResourceScore(c.snapshot, c.pod, node, c.overlay->used(node), policy);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * nodes));
}
BENCHMARK_CAPTURE(BM_Scorer_ResourceScore, LeastAllocated, ScorePolicy::kLeastAllocated)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Scorer_ResourceScore, MostAllocated, ScorePolicy::kMostAllocated)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

void BM_Filter_PassesStaticFilters(benchmark::State& state) {
  const Cluster& c = ClusterOf(static_cast<int>(state.range(0)));
  const size_t nodes = c.snapshot.num_nodes();
  Rejections rejections;
  int64_t passed = 0;
  for (auto _ : state) {
    passed = 0;
    for (size_t n = 0; n < nodes; ++n) {
      rejections.Clear();
      passed +=
          PassesStaticFilters(c.snapshot, c.pod, model::NodeId::FromIndex(n), rejections) ? 1 : 0;
    }
    benchmark::DoNotOptimize(passed);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * nodes));
  state.counters["passed_fraction"] = static_cast<double>(passed) / static_cast<double>(nodes);
}
BENCHMARK(BM_Filter_PassesStaticFilters)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_Filter_FitsResources(benchmark::State& state) {
  const Cluster& c = ClusterOf(static_cast<int>(state.range(0)));
  const size_t nodes = c.snapshot.num_nodes();
  Rejections rejections;
  int64_t fits = 0;
  for (auto _ : state) {
    fits = 0;
    for (size_t n = 0; n < nodes; ++n) {
      const model::NodeId node = model::NodeId::FromIndex(n);
      rejections.Clear();
      fits += FitsResources(c.snapshot, c.pod, node, c.overlay->used(node), rejections) ? 1 : 0;
    }
    benchmark::DoNotOptimize(fits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * nodes));
  state.counters["fit_fraction"] = static_cast<double>(fits) / static_cast<double>(nodes);
}
BENCHMARK(BM_Filter_FitsResources)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tessera::placement

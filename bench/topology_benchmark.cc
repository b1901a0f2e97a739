// Topology micro-benchmarks: the incremental domain update every reservation pays
// (TopologyIndex::OnReserve + OnRelease), against rebuilding the domain sums from scratch,
// which is what it replaces; and whole gangs with a required rack on a large cluster.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "engine/engine.h"
#include "placement/topology.h"
#include "testing/cluster_builder.h"

namespace tessera {
namespace {

constexpr char kBlock[] = "block";
constexpr char kRack[] = "rack";
constexpr char kHost[] = "kubernetes.io/hostname";

// Blocks of 8 racks of 32 nodes (the scale-10k shape), 8 GPUs per node, plus `pods` pods.
model::Snapshot Cluster(int nodes, int gang_pods, int gangs) {
  testing::ClusterBuilder b;
  for (int n = 0; n < nodes; ++n) {
    const std::string name = fmt::format("node-{:05}", n);
    b.Node(name).Cpu("64").Memory("512Gi").Pods("110").Extended("nvidia.com/gpu", "8")
        .Label(kBlock, fmt::format("b{}", n / 256)).Label(kRack, fmt::format("r{}", n / 32))
        .Label(kHost, name);
  }
  for (int g = 0; g < gangs; ++g) {
    for (int p = 0; p < gang_pods; ++p) {
      b.Pod(fmt::format("g{}-{}", g, p)).Cpu("4").Extended("nvidia.com/gpu", "4").Created(g);
    }
  }
  return std::move(b).Build();
}

void BM_Topology_ReserveAndRelease(benchmark::State& state) {
  const model::Snapshot s = Cluster(static_cast<int>(state.range(0)), 1, 1);
  model::Overlay overlay(s);
  placement::TopologyIndex t(s, {kBlock, kRack, kHost}, overlay);
  const model::PodId pod = model::PodId::FromIndex(0);
  size_t n = 0;
  for (auto _ : state) {
    const model::NodeId node = model::NodeId::FromIndex(n++ % s.num_nodes());
    t.OnReserve(pod, node);
    t.OnRelease(pod, node);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_Topology_ReserveAndRelease)->Arg(1024)->Arg(10240);

// The baseline the incremental update avoids: the domain sums rebuilt from the overlay.
void BM_Topology_Rebuild(benchmark::State& state) {
  const model::Snapshot s = Cluster(static_cast<int>(state.range(0)), 1, 1);
  model::Overlay overlay(s);
  for (auto _ : state) {
    placement::TopologyIndex t(s, {kBlock, kRack, kHost}, overlay);
    benchmark::DoNotOptimize(t.free(0, 0).data());
  }
}
BENCHMARK(BM_Topology_Rebuild)->Arg(1024)->Arg(10240)->Unit(benchmark::kMillisecond);

// Gangs of 16 pods x 4 GPUs, each required in one rack, on 1,024 nodes: per gang.
void BM_Gang_RequiredRack(benchmark::State& state) {
  const int gangs = static_cast<int>(state.range(1));
  const model::Snapshot s = Cluster(static_cast<int>(state.range(0)), 16, gangs);
  model::GangObjects objects;
  objects.topologies.push_back({.name = "t", .levels = {kBlock, kRack, kHost}});
  for (int g = 0; g < gangs; ++g) {
    model::GangSpec gang{.name = fmt::format("g{}", g)};
    model::GangMemberSpec m{.name = "main"};
    for (int p = 0; p < 16; ++p) m.pod_names.push_back(fmt::format("g{}-{}", g, p));
    m.topology.required_level = kRack;
    gang.members.push_back(std::move(m));
    objects.gangs.push_back(std::move(gang));
  }
  for (auto _ : state) {
    model::Overlay overlay(s);
    auto engine = engine::Engine::Create(s, engine::Options{.gangs = &objects}, &overlay);
    auto result = (*engine)->ScheduleAll();
    benchmark::DoNotOptimize(result.decisions.data());
  }
  state.SetItemsProcessed(state.iterations() * gangs);
}
BENCHMARK(BM_Gang_RequiredRack)->Args({1024, 256})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tessera

// Google Benchmark runs of the DRA scenarios `tessera bench` uses (apps/tessera/
// bench_scenarios.cc: clusters in the shape of Kubernetes scheduler_perf's DRA cases), so the
// two measure exactly the same clusters. items_per_second is pods per second; the snapshot
// is built outside the timed loop, the engine (selector compilation included) inside.
#include <benchmark/benchmark.h>

#include "apps/tessera/bench_scenarios.h"
#include "base/check.h"
#include "engine/engine.h"

namespace tessera {
namespace {

void RunScenario(benchmark::State& state, const char* name, bool filter_cache = true) {
  const cli::BenchScenario* scenario = cli::FindBenchScenario(name);
  TESSERA_CHECK(scenario != nullptr) << name;
  const model::Snapshot snapshot = scenario->build();
  int64_t pending = 0;
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    pending += snapshot.pod(model::PodId::FromIndex(p)).node.valid() ? 0 : 1;
  }
  for (auto _ : state) {
    auto engine = engine::Engine::Create(snapshot, engine::Options{.filter_cache = filter_cache});
    TESSERA_CHECK(engine.ok()) << engine.error().ToString();
    auto result = (*engine)->ScheduleAll();
    benchmark::DoNotOptimize(result.decisions.data());
  }
  state.SetItemsProcessed(state.iterations() * pending);
}

void BM_Dra_Fill100(benchmark::State& state) { RunScenario(state, "dra-fill-100"); }
void BM_Dra_Fill500(benchmark::State& state) { RunScenario(state, "dra-fill-500"); }
// The same fill with every node evaluated for every pod: the baseline for the filter cache.
void BM_Dra_Fill500_Uncached(benchmark::State& state) {
  RunScenario(state, "dra-fill-500", /*filter_cache=*/false);
}
void BM_Dra_NoSolution500(benchmark::State& state) { RunScenario(state, "dra-no-solution-500"); }
void BM_Dra_PartitionableBacktracking(benchmark::State& state) {
  RunScenario(state, "dra-partitionable-backtracking");
}
BENCHMARK(BM_Dra_Fill100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dra_Fill500)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dra_Fill500_Uncached)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dra_NoSolution500)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dra_PartitionableBacktracking)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tessera

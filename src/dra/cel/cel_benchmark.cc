// Micro-benchmarks for compiled DRA selectors: one evaluation per item, on the fixture's
// gpu-0. BM_Cel_CachedLookup measures a SelectorCache hit, the baseline every uncached case
// should be compared with in the same run.
//   ./build/release/src/dra/tessera_dra_benchmarks --benchmark_filter=BM_Cel_
#include <benchmark/benchmark.h>

#include "base/check.h"
#include "dra/cel/cel.h"
#include "dra/cel/cel_test_fixture.h"
#include "dra/cel/selector_cache.h"

namespace tessera::dra::cel {
namespace {

void RunSelector(benchmark::State& state, const char* expression, bool expected) {
  model::Snapshot snapshot = testing::BuildCelFixture();
  Result<Program> program = Compile(expression, snapshot);
  TESSERA_CHECK(program.ok()) << program.error().message();
  model::DeviceId device = testing::FixtureDevice(snapshot, "gpu-0");
  EvalScratch scratch;
  for (auto _ : state) {
    Result<bool> r = Evaluate(*program, snapshot, device, scratch);
    benchmark::DoNotOptimize(r);
  }
  Result<bool> r = Evaluate(*program, snapshot, device, scratch);
  TESSERA_CHECK(r.ok() && *r == expected) << expression;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["cost"] = static_cast<double>(scratch.last_cost());
}

void BM_Cel_TypicalSelector(benchmark::State& state) {
  RunSelector(state,
              "device.driver == 'gpu.nvidia.com' && "
              "device.attributes['gpu.nvidia.com'].type == 'gpu'",
              true);
}
BENCHMARK(BM_Cel_TypicalSelector);

void BM_Cel_QuantityCompare(benchmark::State& state) {
  RunSelector(state, "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('10Gi')) >= 0",
              true);
}
BENCHMARK(BM_Cel_QuantityCompare);

void BM_Cel_MatchesRegex(benchmark::State& state) {
  RunSelector(state,
              "device.attributes['gpu.nvidia.com'].productName.lowerAscii().matches('^.*a100.*$')",
              true);
}
BENCHMARK(BM_Cel_MatchesRegex);

void BM_Cel_ExistsOverAttributes(benchmark::State& state) {
  RunSelector(state, "device.attributes['gpu.nvidia.com'].exists(k, k == 'index')", true);
}
BENCHMARK(BM_Cel_ExistsOverAttributes);

void BM_Cel_CachedLookup(benchmark::State& state) {
  model::Snapshot snapshot = testing::BuildCelFixture();
  SelectorCache cache(snapshot);
  Result<SelectorId> id = cache.Add(
      "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'");
  TESSERA_CHECK(id.ok());
  EvalScratch scratch;
  const size_t devices = snapshot.devices().size();
  size_t d = 0;
  for (auto _ : state) {
    Result<bool> r = cache.Matches(*id, model::DeviceId::FromIndex(d), scratch);
    benchmark::DoNotOptimize(r);
    if (++d == devices) d = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["evaluations"] = static_cast<double>(cache.evaluations());
}
BENCHMARK(BM_Cel_CachedLookup);

}  // namespace
}  // namespace tessera::dra::cel

// Micro-benchmarks for compiled DRA selectors on one device of a node with 8 H100s, as the
// NVIDIA DRA driver publishes them: compiling a selector, evaluating it (what a SelectorCache
// miss costs), and a SelectorCache hit (what the allocator pays for every later ask of the
// same (selector, device) pair). One item is one compilation or one evaluation. Compare
// BM_Cel_Evaluate/<case> with BM_Cel_CachedMatches/<case> from the same run:
//   ./build/release/bench/tessera_benchmarks --benchmark_filter='BM_Cel_'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/check.h"
#include "dra/cel/cel.h"
#include "dra/cel/cel_test_fixture.h"
#include "dra/cel/selector_cache.h"
#include "model/snapshot.h"

namespace tessera::dra::cel {
namespace {

using testing::Attr;
using testing::Cap;
using testing::kGi;
using testing::Version;

// The typical selectors: what a DeviceClass or a claim asks of a GPU. Each is true for gpu-0.
constexpr char kDriverAndModel[] =
    "device.driver == \"gpu.nvidia.com\" && "
    "device.attributes[\"gpu.nvidia.com\"].model == \"H100\"";
constexpr char kQuantity[] =
    "device.capacity[\"gpu.nvidia.com\"].memory.compareTo(quantity(\"40Gi\")) >= 0";
constexpr char kSemver[] =
    "device.attributes[\"gpu.nvidia.com\"].driverVersion.isGreaterThan(semver(\"535.0.0\"))";
constexpr char kMatches[] =
    "device.attributes[\"gpu.nvidia.com\"].productName.matches(\"^NVIDIA H100.*HBM3$\")";
// A comprehension over the attribute map: the most expensive shape DRA selectors use.
constexpr char kExists[] = "device.attributes[\"gpu.nvidia.com\"].exists(k, k == \"index\")";

// One node with 8 H100 GPUs in two NVLink domains, the attributes NVIDIA's driver publishes.
model::Snapshot H100Node() {
  model::SnapshotBuilder b;
  b.AddNode({.name = "node-0"});
  model::ResourceSliceSpec slice;
  slice.name = "node-0-gpu.nvidia.com";
  slice.driver = "gpu.nvidia.com";
  slice.pool = "node-0";
  slice.node_name = "node-0";
  for (int i = 0; i < 8; ++i) {
    model::DeviceSpec d;
    d.name = "gpu-" + std::to_string(i);
    d.attributes = {Attr("type", "gpu"),
                    Attr("model", "H100"),
                    Attr("productName", "NVIDIA H100 80GB HBM3"),
                    Attr("brand", "Nvidia"),
                    Attr("architecture", "Hopper"),
                    Attr("uuid", ("GPU-" + std::to_string(1000 + i)).c_str()),
                    Attr("index", int64_t{i}),
                    Attr("minor", int64_t{i}),
                    Version("driverVersion", "550.54.15"),
                    Version("cudaComputeCapability", "9.0.0"),
                    Version("cudaDriverVersion", "12.4.0"),
                    Attr("resource.kubernetes.io/pcieRoot", i < 4 ? "pci0000:00" : "pci0000:80")};
    d.capacity = {Cap("memory", 80 * kGi)};
    slice.devices.push_back(std::move(d));
  }
  b.AddResourceSlice(slice);
  Result<model::Snapshot> s = std::move(b).Build();
  TESSERA_CHECK(s.ok()) << s.error().ToString();
  return std::move(s).value();
}

// Compile: parse, type-check, resolve attribute ids, estimate cost (and build the RE2 for
// matches()). Done once per selector per snapshot, so this is an ingest cost.
void BM_Cel_Compile(benchmark::State& state, const char* expression) {
  const model::Snapshot snapshot = H100Node();
  for (auto _ : state) {
    Result<Program> program = Compile(expression, snapshot);
    TESSERA_CHECK(program.ok()) << program.error().message();
    benchmark::DoNotOptimize(program);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// Evaluate: one walk of the compiled program for gpu-0, the cost of every SelectorCache miss.
void BM_Cel_Evaluate(benchmark::State& state, const char* expression) {
  const model::Snapshot snapshot = H100Node();
  Result<Program> program = Compile(expression, snapshot);
  TESSERA_CHECK(program.ok()) << program.error().message();
  const model::DeviceId device = model::DeviceId::FromIndex(0);
  EvalScratch scratch;
  int64_t matched = 0;
  for (auto _ : state) {
    Result<bool> r = Evaluate(*program, snapshot, device, scratch);
    matched += (r.ok() && *r) ? 1 : 0;
    benchmark::DoNotOptimize(r);
  }
  TESSERA_CHECK(matched == static_cast<int64_t>(state.iterations())) << expression;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["cost"] = static_cast<double>(scratch.last_cost());
}

// SelectorCache::Matches for a pair already evaluated: the 2-bit table lookup the allocator
// pays for every (selector, device) after the first.
void BM_Cel_CachedMatches(benchmark::State& state, const char* expression) {
  const model::Snapshot snapshot = H100Node();
  SelectorCache cache(snapshot);
  Result<SelectorId> id = cache.Add(expression);
  TESSERA_CHECK(id.ok()) << id.error().message();
  const model::DeviceId device = model::DeviceId::FromIndex(0);
  EvalScratch scratch;
  TESSERA_CHECK(cache.Matches(*id, device, scratch).ok());  // the one miss, outside the loop
  int64_t matched = 0;
  for (auto _ : state) {
    Result<bool> r = cache.Matches(*id, device, scratch);
    matched += (r.ok() && *r) ? 1 : 0;
    benchmark::DoNotOptimize(r);
  }
  TESSERA_CHECK(matched == static_cast<int64_t>(state.iterations())) << expression;
  TESSERA_CHECK(cache.evaluations() == 1) << cache.evaluations();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(BM_Cel_Compile, DriverAndModel, kDriverAndModel);
BENCHMARK_CAPTURE(BM_Cel_Compile, Quantity, kQuantity);
BENCHMARK_CAPTURE(BM_Cel_Compile, Semver, kSemver);
BENCHMARK_CAPTURE(BM_Cel_Compile, Matches, kMatches);
BENCHMARK_CAPTURE(BM_Cel_Compile, Exists, kExists);

BENCHMARK_CAPTURE(BM_Cel_Evaluate, DriverAndModel, kDriverAndModel);
BENCHMARK_CAPTURE(BM_Cel_Evaluate, Quantity, kQuantity);
BENCHMARK_CAPTURE(BM_Cel_Evaluate, Semver, kSemver);
BENCHMARK_CAPTURE(BM_Cel_Evaluate, Matches, kMatches);
BENCHMARK_CAPTURE(BM_Cel_Evaluate, Exists, kExists);

BENCHMARK_CAPTURE(BM_Cel_CachedMatches, DriverAndModel, kDriverAndModel);
BENCHMARK_CAPTURE(BM_Cel_CachedMatches, Quantity, kQuantity);
BENCHMARK_CAPTURE(BM_Cel_CachedMatches, Semver, kSemver);
BENCHMARK_CAPTURE(BM_Cel_CachedMatches, Matches, kMatches);
BENCHMARK_CAPTURE(BM_Cel_CachedMatches, Exists, kExists);

}  // namespace
}  // namespace tessera::dra::cel

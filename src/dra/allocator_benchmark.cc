// Micro-benchmarks for dra::Allocator::Allocate on one node with 8 GPUs: one pod's claim per
// item, rolled back after every call so each iteration starts from the same overlay. The
// snapshot, device index, claim catalog (selectors compiled) and any committed background
// allocations are built outside the timed loop; the SelectorCache is warm after the first
// call, as it is in the engine after the first pod. Compare the infeasible case with the
// feasible ones from the same run:
//   ./build/release/bench/tessera_benchmarks --benchmark_filter='BM_DraAllocator_'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/check.h"
#include "dra/allocator.h"
#include "model/overlay.h"
#include "model/snapshot.h"

namespace tessera::dra {
namespace {

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int kGpus = 8;
constexpr char kNode[] = "node-0";

// 8 GPUs, gpu-0..3 on NVLink domain / PCIe root 0 and gpu-4..7 on 1. `shareable`: each GPU
// allows multiple allocations and hands out its 80Gi of memory in 1Gi steps (consumable
// capacity); otherwise whole GPUs are exclusive.
model::ResourceSliceSpec GpuSlice(bool shareable) {
  model::ResourceSliceSpec s;
  s.name = std::string(kNode) + "-gpu.nvidia.com";
  s.driver = "gpu.nvidia.com";
  s.pool = kNode;
  s.node_name = kNode;
  for (int i = 0; i < kGpus; ++i) {
    model::DeviceSpec d;
    d.name = "gpu-" + std::to_string(i);
    d.attributes = {{"type", std::string("gpu")},
                    {"model", std::string("H100")},
                    {"uuid", "GPU-" + std::to_string(1000 + i)},
                    {"index", int64_t{i}},
                    {"nvlinkDomain", int64_t{i / 4}},
                    {"resource.kubernetes.io/pcieRoot", std::string(i < 4 ? "pci0" : "pci1")},
                    {"driverVersion", model::SemVer{"550.54.15"}}};
    d.capacity = {{"memory", Quantity(80 * kGi), std::nullopt}};
    if (shareable) {
      d.allow_multiple_allocations = true;
      model::CapacityRequestPolicySpec policy;
      policy.default_value = Quantity(kGi);
      policy.valid_range =
          model::CapacityRequestPolicySpec::ValidRange{Quantity(kGi), {}, Quantity(kGi)};
      d.capacity[0].request_policy = policy;
    }
    s.devices.push_back(std::move(d));
  }
  return s;
}

model::DeviceRequestSpec GpuRequest(int64_t count) {
  return {.name = "gpus",
          .device_class_name = "gpu.nvidia.com",
          .selectors = {"device.attributes['gpu.nvidia.com'].model == 'H100'"},
          .count = count};
}

// The allocator stack for one node: the claims of `claims` each belong to a pod named
// "pod-<claim>"; the first `background` claims are allocated and committed at Build (the
// node's existing load), the next one is the claim under test.
class OneNode {
 public:
  OneNode(bool shareable, std::vector<model::ResourceClaimSpec> claims, size_t background) {
    model::SnapshotBuilder b;
    b.AddNode({.name = kNode, .allocatable = {{"pods", Quantity(110)}}});
    b.AddResourceSlice(GpuSlice(shareable));
    b.AddDeviceClass(
        {.name = "gpu.nvidia.com", .selectors = {"device.driver == 'gpu.nvidia.com'"}});
    std::vector<std::string> pods;
    for (model::ResourceClaimSpec& c : claims) {
      pods.push_back("pod-" + c.name);
      b.AddPod({.name = pods.back(), .claims = {{"gpu", c.name, ""}}});
      b.AddResourceClaim(std::move(c));
    }
    auto s = std::move(b).Build();
    TESSERA_CHECK(s.ok()) << s.error().ToString();
    snapshot_ = std::make_unique<model::Snapshot>(std::move(s).value());
    selectors_ = std::make_unique<cel::SelectorCache>(*snapshot_);
    std::vector<std::string> warnings;
    auto index = DeviceIndex::Build(*snapshot_, *selectors_, warnings);
    TESSERA_CHECK(index.ok()) << index.error().ToString();
    index_ = std::make_unique<DeviceIndex>(std::move(index).value());
    auto catalog = ClaimCatalog::Build(*snapshot_, *index_, *selectors_);
    TESSERA_CHECK(catalog.ok()) << catalog.error().ToString();
    catalog_ = std::make_unique<ClaimCatalog>(std::move(catalog).value());
    allocator_ = std::make_unique<Allocator>(*index_, *catalog_, *selectors_);
    overlay_ = std::make_unique<model::Overlay>(*snapshot_);
    overlay_->ResizeLedger(allocator_->ledger_size());
    node_ = *snapshot_->FindNode(kNode);
    for (size_t i = 0; i < background; ++i) {
      DraFailureInfo failure;
      TESSERA_CHECK(allocator_->Allocate(*overlay_, Pod(pods[i]), node_, failure))
          << pods[i] << " kind " << static_cast<int>(failure.kind);
      overlay_->Commit();
    }
    pod_ = Pod(pods.at(background));
  }

  // Allocates the claim under test and rolls it back; returns whether it was allocated.
  bool AllocateAndRollBack(DraFailureInfo& failure) {
    const model::Overlay::Mark mark = overlay_->mark();
    const bool ok = allocator_->Allocate(*overlay_, pod_, node_, failure);
    overlay_->RollbackTo(mark);
    return ok;
  }
  const Allocator& allocator() const { return *allocator_; }
  const model::Overlay& overlay() const { return *overlay_; }
  const model::Snapshot& snapshot() const { return *snapshot_; }
  // The device names the claim under test gets, for checking the benchmark's premise.
  std::string Devices() {
    DraFailureInfo failure;
    const model::Overlay::Mark mark = overlay_->mark();
    std::string out;
    if (allocator_->Allocate(*overlay_, pod_, node_, failure)) {
      const uint32_t instance = catalog_->instances_of(pod_)[0];
      for (const DeviceResult& r : allocator_->results(*overlay_, instance)) {
        if (!out.empty()) out += ",";
        out += snapshot_->devices().name[r.device.index()];
      }
    } else {
      out = "!" + std::to_string(static_cast<int>(failure.kind));
    }
    overlay_->RollbackTo(mark);
    return out;
  }

 private:
  model::PodId Pod(const std::string& name) const {
    auto pod = snapshot_->FindPod("default", name);
    TESSERA_CHECK(pod.has_value()) << name;
    return *pod;
  }

  std::unique_ptr<model::Snapshot> snapshot_;
  std::unique_ptr<cel::SelectorCache> selectors_;
  std::unique_ptr<DeviceIndex> index_;
  std::unique_ptr<ClaimCatalog> catalog_;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<model::Overlay> overlay_;
  model::NodeId node_;
  model::PodId pod_;
};

model::ResourceClaimSpec Claim(std::string name, model::DeviceRequestSpec request,
                               std::vector<model::DeviceConstraintSpec> constraints = {}) {
  model::ResourceClaimSpec c;
  c.name = std::move(name);
  c.requests = {std::move(request)};
  c.constraints = std::move(constraints);
  return c;
}

model::DeviceRequestSpec MemoryRequest(int64_t memory_bytes) {
  model::DeviceRequestSpec r = GpuRequest(1);
  r.capacity_requests = {{"memory", Quantity(memory_bytes)}};
  return r;
}

void Run(benchmark::State& state, OneNode& node, bool expect_ok,
         const std::string& expect_devices) {
  const std::string devices = node.Devices();
  TESSERA_CHECK(devices == expect_devices) << devices << " != " << expect_devices;
  const std::vector<int64_t> before(node.overlay().ledger().begin(), node.overlay().ledger().end());
  const uint64_t picks_before = node.allocator().picks_tried();
  DraFailureInfo failure;
  int64_t allocated = 0;
  for (auto _ : state) {
    const bool ok = node.AllocateAndRollBack(failure);
    allocated += ok ? 1 : 0;
    benchmark::DoNotOptimize(failure);
  }
  TESSERA_CHECK(allocated == (expect_ok ? static_cast<int64_t>(state.iterations()) : 0));
  const std::vector<int64_t> after(node.overlay().ledger().begin(), node.overlay().ledger().end());
  TESSERA_CHECK(before == after) << "the overlay changed across rollbacks";
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["picks_per_item"] =
      benchmark::Counter(static_cast<double>(node.allocator().picks_tried() - picks_before),
                         benchmark::Counter::kAvgIterations);
}

// One whole GPU on an empty node: the common case of the dra-fill scenarios.
void BM_DraAllocator_OneGpuEmptyNode(benchmark::State& state) {
  OneNode node(/*shareable=*/false, {Claim("one", GpuRequest(1))}, 0);
  Run(state, node, true, "gpu-0");
}
BENCHMARK(BM_DraAllocator_OneGpuEmptyNode);

// 4 GPUs that must share an NVLink domain (matchAttribute), with gpu-0 already taken: the
// first domain has only 3 free, so the claim must land on gpu-4..7.
void BM_DraAllocator_FourGpusMatchAttribute(benchmark::State& state) {
  OneNode node(/*shareable=*/false,
               {Claim("busy", GpuRequest(1)),
                Claim("four", GpuRequest(4), {{.match_attribute = "gpu.nvidia.com/nvlinkDomain"}})},
               1);
  Run(state, node, true, "gpu-4,gpu-5,gpu-6,gpu-7");
}
BENCHMARK(BM_DraAllocator_FourGpusMatchAttribute);

// Consumable capacity: 10Gi of GPU memory on a half-full node. Eight background claims of
// 30Gi pack two to a GPU (gpu-0..3 at 60 of 80Gi, gpu-4..7 empty: 240 of 640Gi in use); the
// new claim goes to the fullest GPU that still fits it, gpu-0.
void BM_DraAllocator_FractionalHalfFullNode(benchmark::State& state) {
  std::vector<model::ResourceClaimSpec> claims;
  for (int i = 0; i < 8; ++i) {
    claims.push_back(Claim("bg-" + std::to_string(i), MemoryRequest(30 * kGi)));
  }
  claims.push_back(Claim("fraction", MemoryRequest(10 * kGi)));
  OneNode node(/*shareable=*/true, std::move(claims), 8);
  Run(state, node, true, "gpu-0");
}
BENCHMARK(BM_DraAllocator_FractionalHalfFullNode);

// 9 GPUs on an 8-GPU node: refused by the necessary condition (too few free matching
// devices) before any search; the baseline for what a node that cannot fit costs.
void BM_DraAllocator_Infeasible(benchmark::State& state) {
  OneNode node(/*shareable=*/false, {Claim("nine", GpuRequest(9))}, 0);
  Run(state, node, false, "!" + std::to_string(static_cast<int>(DraFailure::kNotEnoughFree)));
}
BENCHMARK(BM_DraAllocator_Infeasible);

}  // namespace
}  // namespace tessera::dra

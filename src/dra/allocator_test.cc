#include "dra/allocator.h"

#include <gtest/gtest.h>

#include <memory>

#include "base/check.h"

namespace tessera::dra {
namespace {

using model::AllocationMode;
using model::DeviceSpec;
using model::DeviceRequestSpec;
using model::ResourceClaimSpec;
using model::ResourceSliceSpec;

constexpr int64_t kGi = int64_t{1} << 30;

DeviceSpec Gpu(std::string name, std::string pcie_root = "pci0", int64_t numa = 0) {
  DeviceSpec d;
  d.name = std::move(name);
  d.attributes = {{"model", std::string("A100")},
                  {"resource.kubernetes.io/pcieRoot", std::move(pcie_root)},
                  {"numa", numa}};
  d.capacity = {{"memory", Quantity(40 * kGi)}};
  return d;
}

DeviceRequestSpec Request(std::string name, int64_t count, std::vector<std::string> selectors = {},
                          std::string device_class = "gpu") {
  DeviceRequestSpec r;
  r.name = std::move(name);
  r.device_class_name = std::move(device_class);
  r.count = count;
  r.selectors = std::move(selectors);
  return r;
}

// A cluster of nodes with GPU slices, device classes, claims and pods, plus the allocator
// stack built from it.
class DraFixture {
 public:
  ResourceSliceSpec& Slice(std::string node, std::vector<DeviceSpec> devices) {
    builder_.AddNode({.name = node, .allocatable = {{"pods", Quantity(110)}}});
    ResourceSliceSpec s;
    s.name = node + "-gpu.example.com";
    s.driver = "gpu.example.com";
    s.pool = node;
    s.node_name = node;
    s.devices = std::move(devices);
    slices_.push_back(std::move(s));
    return slices_.back();
  }
  void Claim(std::string name, std::vector<DeviceRequestSpec> requests,
             std::vector<model::DeviceConstraintSpec> constraints = {}) {
    ResourceClaimSpec c;
    c.name = name;
    c.requests = std::move(requests);
    c.constraints = std::move(constraints);
    builder_.AddResourceClaim(std::move(c));
    pod_claims_.push_back(std::move(name));
  }
  // One pod per claim, named "pod-<claim>".
  void Build() {
    for (auto& s : slices_) builder_.AddResourceSlice(s);
    builder_.AddDeviceClass({.name = "gpu", .selectors = {"device.driver == 'gpu.example.com'"}});
    for (const auto& c : pod_claims_) {
      builder_.AddPod({.name = "pod-" + c, .claims = {{"gpu", c, ""}}});
    }
    auto s = std::move(builder_).Build();
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
    allocator_ = std::make_unique<Allocator>(*index_, *catalog_, *selectors_, options_);
    overlay_ = std::make_unique<model::Overlay>(*snapshot_);
    overlay_->ResizeLedger(allocator_->ledger_size());
  }

  // Allocates the claim's pod on `node`; returns the device names ("gpu-0,gpu-1") or the
  // failure kind as "!<n>". Commits on success.
  std::string Allocate(const std::string& claim, const std::string& node) {
    auto pod = snapshot_->FindPod("default", "pod-" + claim);
    TESSERA_CHECK(pod.has_value()) << claim;
    DraFailureInfo failure;
    if (!allocator_->Allocate(*overlay_, *pod, *snapshot_->FindNode(node), failure)) {
      last_failure = failure;
      return "!" + std::to_string(static_cast<int>(failure.kind));
    }
    overlay_->Commit();
    return Devices(claim);
  }
  std::string Devices(const std::string& claim) {
    std::string out;
    uint32_t inst = Instance(claim);
    for (const DeviceResult& r : allocator_->results(*overlay_, inst)) {
      if (!out.empty()) out += ",";
      out += snapshot_->devices().name[r.device.index()];
    }
    return out;
  }
  uint32_t Instance(const std::string& claim) {
    for (uint32_t i = 0; i < catalog_->instances().size(); ++i) {
      if (catalog_->instances()[i].name == claim) return i;
    }
    TESSERA_CHECK(false) << claim;
    return 0;
  }
  std::string Fail(DraFailure kind) { return "!" + std::to_string(static_cast<int>(kind)); }

  model::SnapshotBuilder builder_;
  std::vector<ResourceSliceSpec> slices_;
  std::vector<std::string> pod_claims_;
  AllocatorOptions options_;
  std::unique_ptr<model::Snapshot> snapshot_;
  std::unique_ptr<cel::SelectorCache> selectors_;
  std::unique_ptr<DeviceIndex> index_;
  std::unique_ptr<ClaimCatalog> catalog_;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<model::Overlay> overlay_;
  DraFailureInfo last_failure;
};

TEST(AllocatorTest, ExactCountTakesFreeDevicesInCanonicalOrder) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0"), Gpu("gpu-1"), Gpu("gpu-2"), Gpu("gpu-3")});
  f.Claim("a", {Request("gpus", 2)});
  f.Claim("b", {Request("gpus", 2)});
  f.Claim("c", {Request("gpus", 1)});
  f.Build();
  EXPECT_EQ(f.Allocate("a", "n1"), "gpu-0,gpu-1");
  EXPECT_EQ(f.Allocate("b", "n1"), "gpu-2,gpu-3");
  EXPECT_EQ(f.Allocate("c", "n1"), f.Fail(DraFailure::kNotEnoughFree));
}

// Regression: a claim for more devices than the node has, with no taints anywhere, was
// reported as "untolerated taints" (found with examples/dra/pods.yaml's big-job).
TEST(AllocatorTest, TooFewMatchingDevicesIsNotBlamedOnTaints) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0"), Gpu("gpu-1"), Gpu("gpu-2"), Gpu("gpu-3")});
  f.Claim("five", {Request("gpus", 5)});
  f.Build();
  EXPECT_EQ(f.Allocate("five", "n1"), f.Fail(DraFailure::kNotEnoughFree));
}

TEST(AllocatorTest, SelectorsFilterAndNoMatchIsReported) {
  DraFixture f;
  auto h100 = Gpu("gpu-1");
  h100.attributes[0].value = std::string("H100");
  f.Slice("n1", {Gpu("gpu-0"), h100});
  f.Claim("h100", {Request("gpu", 1, {"device.attributes['gpu.example.com'].model == 'H100'"})});
  f.Claim("b200", {Request("gpu", 1, {"device.attributes['gpu.example.com'].model == 'B200'"})});
  f.Build();
  EXPECT_EQ(f.Allocate("h100", "n1"), "gpu-1");
  EXPECT_EQ(f.Allocate("b200", "n1"), f.Fail(DraFailure::kNoMatchingDevice));
  EXPECT_EQ(f.last_failure.request, 0u);
}

TEST(AllocatorTest, MatchAttributeKeepsAllDevicesUnderOnePcieRoot) {
  // gpu-0 and gpu-1 under pci0, gpu-2 and gpu-3 under pci1. With gpu-0 taken, two GPUs that
  // share a root can only be gpu-2 and gpu-3 (gpu-1 + gpu-2 would straddle two roots).
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0", "pci0"), Gpu("gpu-1", "pci0"), Gpu("gpu-2", "pci1"),
                 Gpu("gpu-3", "pci1")});
  f.Claim("one", {Request("gpu", 1)});
  f.Claim("pair", {Request("gpus", 2)}, {{.match_attribute = "resource.kubernetes.io/pcieRoot"}});
  f.Build();
  EXPECT_EQ(f.Allocate("one", "n1"), "gpu-0");
  EXPECT_EQ(f.Allocate("pair", "n1"), "gpu-2,gpu-3");
}

TEST(AllocatorTest, DistinctAttributeComparesValuesAcrossRequests) {
  // Two requests of one device each must land on different NUMA nodes. Kubernetes 1.34
  // compared pointers (never detecting duplicates) and later only within one request.
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0", "pci0", 0), Gpu("gpu-1", "pci0", 0), Gpu("gpu-2", "pci1", 1)});
  f.Claim("spread", {Request("a", 1), Request("b", 1)},
          {{.distinct_attribute = "gpu.example.com/numa"}});
  f.Build();
  EXPECT_EQ(f.Allocate("spread", "n1"), "gpu-0,gpu-2");
}

TEST(AllocatorTest, ImpossibleConstraintFailsFastOnIdenticalDevices) {
  // 30 devices all on NUMA 0 and a claim for 4 with distinct NUMA: no solution. Without
  // collapsing identical devices the search would try C(30,2)... pairs; with it, each
  // position tries one representative.
  DraFixture f;
  std::vector<DeviceSpec> devices;
  for (int i = 0; i < 30; ++i) devices.push_back(Gpu("gpu-" + std::to_string(i), "pci0", 0));
  f.Slice("n1", devices);
  f.Claim("c", {Request("gpus", 4)}, {{.distinct_attribute = "gpu.example.com/numa"}});
  f.Build();
  EXPECT_EQ(f.Allocate("c", "n1"), f.Fail(DraFailure::kConstraint));
  EXPECT_LE(f.allocator_->picks_tried(), 3u);
}

TEST(AllocatorTest, BudgetTurnsAnExplodingSearchIntoTooComplex) {
  // Distinct uuids make every device unique, so symmetry cannot help; 24 devices with a
  // distinct constraint on numa (two values) and a claim for 3: C(24,3) orders to refute.
  DraFixture f;
  std::vector<DeviceSpec> devices;
  for (int i = 0; i < 24; ++i) {
    auto d = Gpu("gpu-" + std::to_string(i), "pci0", i % 2);
    d.attributes.push_back({"uuid", "GPU-" + std::to_string(i)});
    devices.push_back(d);
  }
  f.Slice("n1", devices);
  f.Claim("c", {Request("gpus", 3)}, {{.distinct_attribute = "gpu.example.com/numa"}});
  f.options_.search_budget = 50;
  f.Build();
  // The uuid attribute is not used by any selector or constraint, so devices with the same
  // numa are still interchangeable: the search proves infeasibility within the budget.
  EXPECT_EQ(f.Allocate("c", "n1"), f.Fail(DraFailure::kConstraint));
  EXPECT_LE(f.allocator_->picks_tried(), 50u);
}

TEST(AllocatorTest, FirstAvailableFallsBackAndNamesTheSubrequest) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0"), Gpu("gpu-1")});
  DeviceRequestSpec r;
  r.name = "gpu";
  r.first_available = {Request("four", 4), Request("two", 2), Request("one", 1)};
  f.Claim("c", {r});
  f.Build();
  EXPECT_EQ(f.Allocate("c", "n1"), "gpu-0,gpu-1");
  auto results = f.allocator_->results(*f.overlay_, f.Instance("c"));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].subrequest, 1u);
  EXPECT_EQ(f.catalog_->claims()[0].requests[0].subrequests[1].name, "gpu/two");
}

TEST(AllocatorTest, AllModeTakesEveryMatchingDeviceOrNothing) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0"), Gpu("gpu-1"), Gpu("gpu-2")});
  f.Claim("one", {Request("gpu", 1)});
  auto all = Request("all", 0);
  all.allocation_mode = AllocationMode::kAll;
  f.Claim("all", {all});
  f.Claim("all2", {all});
  f.Build();
  EXPECT_EQ(f.Allocate("all", "n1"), "gpu-0,gpu-1,gpu-2");
  EXPECT_EQ(f.Allocate("one", "n1"), f.Fail(DraFailure::kNotEnoughFree));
  EXPECT_EQ(f.Allocate("all2", "n1"), f.Fail(DraFailure::kNotEnoughFree));
}

TEST(AllocatorTest, AdminAccessSeesBusyDevicesAndUsesNothing) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0")});
  f.Claim("user", {Request("gpu", 1)});
  auto admin = Request("monitor", 1);
  admin.admin_access = true;
  f.Claim("admin", {admin});
  f.Build();
  EXPECT_EQ(f.Allocate("user", "n1"), "gpu-0");
  EXPECT_EQ(f.Allocate("admin", "n1"), "gpu-0");
  EXPECT_EQ(f.overlay_->ledger(DeviceIndex::use_slot(model::DeviceId(0))), 1);
}

TEST(AllocatorTest, TaintsBlockUnlessTolerated) {
  DraFixture f;
  auto sick = Gpu("gpu-0");
  sick.taints = {{"example.com/unhealthy", "ecc", model::TaintEffect::kNoSchedule}};
  f.Slice("n1", {sick});
  f.Claim("plain", {Request("gpu", 1)});
  auto tolerant = Request("gpu", 1);
  tolerant.tolerations = {{"example.com/unhealthy", model::TolerationOperator::kExists, "", {}}};
  f.Claim("tolerant", {tolerant});
  f.Build();
  EXPECT_EQ(f.Allocate("plain", "n1"), f.Fail(DraFailure::kUntoleratedTaint));
  EXPECT_EQ(f.Allocate("tolerant", "n1"), "gpu-0");
}

// Partitionable devices: one GPU with a counter set {memory: 80, slices: 8}. The full GPU
// consumes everything; "small" partitions consume 10 memory + 1 slice; "big" 40 + 4.
ResourceSliceSpec& PartitionedGpu(DraFixture& f) {
  auto part = [](std::string name, int64_t memory, int64_t slices) {
    DeviceSpec d;
    d.name = name;
    d.attributes = {{"model", std::string("A100")},
                    {"profile", name.substr(6, name.find('-', 6) - 6)}};
    d.consumes_counters = {{"gpu-0-counters", {{"memory", Quantity(memory)},
                                               {"slices", Quantity(slices)}}}};
    return d;
  };
  auto& s = f.Slice("n1", {part("gpu-0-full", 80, 8), part("gpu-0-big-0", 40, 4),
                           part("gpu-0-big-1", 40, 4), part("gpu-0-small-0", 10, 1),
                           part("gpu-0-small-1", 10, 1), part("gpu-0-small-2", 10, 1),
                           part("gpu-0-small-3", 10, 1)});
  s.shared_counters = {{"gpu-0-counters", {{"memory", Quantity(80)}, {"slices", Quantity(8)}}}};
  return s;
}

TEST(AllocatorTest, PartitionsAndTheirParentConflictThroughCounters) {
  DraFixture f;
  PartitionedGpu(f);
  auto profile = [](std::string p) {
    return std::vector<std::string>{"device.attributes['gpu.example.com'].profile == '" + p + "'"};
  };
  f.Claim("any", {Request("gpu", 1)});
  f.Claim("big", {Request("gpu", 1, profile("big"))});
  f.Claim("big2", {Request("gpu", 1, profile("big"))});
  f.Claim("full", {Request("gpu", 1, profile("full"))});
  f.Claim("small", {Request("gpus", 3, profile("small"))});
  f.Build();
  // Any device will do: the smallest partition that fits (10 of 80), not the whole GPU.
  EXPECT_EQ(f.Allocate("any", "n1"), "gpu-0-small-0");
  // 70 memory and 7 slices left: a big partition (40, 4) fits...
  EXPECT_EQ(f.Allocate("big", "n1"), "gpu-0-big-0");
  // ...but with 30 and 3 left neither the second big one nor the whole GPU does.
  EXPECT_EQ(f.Allocate("big2", "n1"), f.Fail(DraFailure::kNotEnoughFree));
  EXPECT_EQ(f.Allocate("full", "n1"), f.Fail(DraFailure::kNotEnoughFree));
  // Three small partitions use exactly what is left: 30 memory, 3 slices.
  EXPECT_EQ(f.Allocate("small", "n1"), "gpu-0-small-1,gpu-0-small-2,gpu-0-small-3");
}

TEST(AllocatorTest, ConsumableCapacityRoundsUpAndPacksTheFullestDevice) {
  // Two shareable GPUs with 40Gi memory and validRange {min 1Gi, step 1Gi}. A request for
  // 1.5Gi consumes 2Gi. The second claim goes to the same (fullest) device, not the empty one.
  DraFixture f;
  auto shared = [](std::string name) {
    DeviceSpec d = Gpu(std::move(name));
    d.allow_multiple_allocations = true;
    model::CapacityRequestPolicySpec policy;
    policy.default_value = Quantity(kGi);
    policy.valid_range = model::CapacityRequestPolicySpec::ValidRange{Quantity(kGi), {}, Quantity(kGi)};
    d.capacity[0].request_policy = policy;
    return d;
  };
  f.Slice("n1", {shared("gpu-0"), shared("gpu-1")});
  auto half = Request("gpu", 1);
  half.capacity_requests = {{"memory", Quantity(3 * kGi / 2)}};
  f.Claim("a", {half});
  f.Claim("b", {half});
  auto whole = Request("gpu", 1);
  whole.capacity_requests = {{"memory", Quantity(40 * kGi)}};
  f.Claim("whole", {whole});
  f.Claim("too-much", {whole});
  f.Build();
  EXPECT_EQ(f.Allocate("a", "n1"), "gpu-0");
  EXPECT_EQ(f.Allocate("b", "n1"), "gpu-0");
  auto slot = f.index_->capacity_slot(f.snapshot_->devices().capacities[0].begin);
  EXPECT_EQ(f.overlay_->ledger(slot), 4 * kGi);
  std::vector<int64_t> consumed;
  f.allocator_->ConsumedCapacity(f.Instance("a"), f.allocator_->results(*f.overlay_, f.Instance("a"))[0], consumed);
  EXPECT_EQ(consumed, std::vector<int64_t>{2 * kGi});
  EXPECT_TRUE(f.allocator_->results(*f.overlay_, f.Instance("a"))[0].shared);
  EXPECT_EQ(f.Allocate("whole", "n1"), "gpu-1");
  EXPECT_EQ(f.Allocate("too-much", "n1"), f.Fail(DraFailure::kNotEnoughFree));
}

TEST(AllocatorTest, SharedClaimIsAllocatedOnceAndOnlyUsableWhereItsDevicesAre) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0")});
  f.Slice("n2", {Gpu("gpu-0")});
  f.Claim("shared", {Request("gpu", 1)});
  f.Build();
  // Two pods of one claim: a second pod, added by hand.
  EXPECT_EQ(f.Allocate("shared", "n1"), "gpu-0");
  EXPECT_EQ(f.allocator_->consumers(*f.overlay_, f.Instance("shared")), 1);
  // Re-allocating for the same pod on n2 is refused: the devices are on n1.
  DraFailureInfo failure;
  EXPECT_FALSE(f.allocator_->Allocate(*f.overlay_, model::PodId(0), *f.snapshot_->FindNode("n2"),
                                      failure));
  EXPECT_EQ(failure.kind, DraFailure::kAllocatedElsewhere);
}

TEST(AllocatorTest, ClaimsThatArriveAllocatedHoldTheirDevices) {
  // "running" arrives allocated to gpu-1 (read from a live cluster); a new claim for two
  // GPUs must then take gpu-0 and gpu-2, not gpu-1.
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0"), Gpu("gpu-1"), Gpu("gpu-2")});
  f.Claim("running", {Request("gpu", 1)});
  f.Claim("new", {Request("gpus", 2)});
  f.Claim("more", {Request("gpu", 1)});
  f.Build();
  // Mark "running" allocated as the reader would, then replay it onto the ledger.
  auto& spec = const_cast<model::ResourceClaimSpec&>(*f.catalog_->claims()[0].spec);
  spec.allocated = true;
  spec.allocation = {{.request = "gpu", .driver = "gpu.example.com", .pool = "n1", .device = "gpu-1"},
                     {.request = "gpu", .driver = "gpu.example.com", .pool = "n1", .device = "ghost"}};
  spec.reserved_for = {"pod-running"};
  std::vector<std::string> warnings;
  f.allocator_->Preallocate(*f.overlay_, f.Instance("running"), warnings);
  f.overlay_->Commit();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("gpu.example.com/n1/ghost is not published"), std::string::npos);
  EXPECT_EQ(f.Devices("running"), "gpu-1");
  EXPECT_EQ(f.allocator_->consumers(*f.overlay_, f.Instance("running")), 1);
  EXPECT_EQ(f.Allocate("new", "n1"), "gpu-0,gpu-2");
  EXPECT_EQ(f.Allocate("more", "n1"), f.Fail(DraFailure::kNotEnoughFree));
}

TEST(AllocatorTest, FailedAttemptLeavesTheOverlayBitForBitUnchanged) {
  DraFixture f;
  f.Slice("n1", {Gpu("gpu-0", "pci0"), Gpu("gpu-1", "pci1"), Gpu("gpu-2", "pci2")});
  f.Claim("one", {Request("gpu", 1)});
  f.Claim("pair", {Request("a", 1), Request("b", 1)},
          {{.match_attribute = "resource.kubernetes.io/pcieRoot"}});
  f.Build();
  EXPECT_EQ(f.Allocate("one", "n1"), "gpu-0");
  std::vector<int64_t> before(f.overlay_->ledger().begin(), f.overlay_->ledger().end());
  EXPECT_EQ(f.Allocate("pair", "n1"), f.Fail(DraFailure::kConstraint));
  std::vector<int64_t> after(f.overlay_->ledger().begin(), f.overlay_->ledger().end());
  EXPECT_EQ(before, after);
  EXPECT_EQ(f.overlay_->mark(), 0u);
}

}  // namespace
}  // namespace tessera::dra

#include "dra/invariants.h"

#include <gtest/gtest.h>

#include "dra/allocator.h"
#include "dra/cel/selector_cache.h"
#include "dra/claims.h"
#include "dra/device_index.h"
#include "model/overlay.h"
#include "model/snapshot.h"

namespace tessera::dra {
namespace {

// One node with two shareable GPUs (capacity milli 1000) and two pods, each with a claim
// for 600 milli of one GPU.
model::Snapshot TwoShares() {
  model::SnapshotBuilder b;
  b.AddNode({.name = "n0", .allocatable = {{"cpu", Quantity(4000)}, {"pods", Quantity(10)}}});
  model::ResourceSliceSpec slice{.name = "n0-gpus", .driver = "gpu.example.com", .pool = "n0",
                                 .node_name = "n0"};
  for (int g = 0; g < 2; ++g) {
    slice.devices.push_back({.name = "gpu-" + std::to_string(g),
                             .capacity = {{"milli", Quantity(1000)}},
                             .allow_multiple_allocations = true});
  }
  b.AddResourceSlice(slice);
  b.AddDeviceClass({.name = "gpu", .selectors = {"device.driver == 'gpu.example.com'"}});
  b.AddResourceClaim({.name = "share",
                      .is_template = true,
                      .requests = {{.name = "gpu",
                                    .device_class_name = "gpu",
                                    .capacity_requests = {{"milli", Quantity(600)}}}}});
  for (const char* pod : {"a", "b"}) {
    b.AddPod({.name = pod,
              .requests = {{"cpu", Quantity(1000)}},
              .claims = {{.name = "gpu", .resource_claim_template_name = "share"}}});
  }
  auto s = std::move(b).Build();
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return std::move(s).value();
}

TEST(InvariantsTest, HoldAfterRealAllocationsAndCatchACorruptedLedger) {
  const model::Snapshot s = TwoShares();
  cel::SelectorCache selectors(s);
  std::vector<std::string> warnings;
  auto index = DeviceIndex::Build(s, selectors, warnings);
  ASSERT_TRUE(index.ok());
  auto catalog = ClaimCatalog::Build(s, *index, selectors);
  ASSERT_TRUE(catalog.ok());
  Allocator allocator(*index, *catalog, selectors);
  model::Overlay overlay(s);
  overlay.ResizeLedger(allocator.ledger_size());
  const model::NodeId node = model::NodeId::FromIndex(0);
  for (size_t p = 0; p < 2; ++p) {
    const model::PodId pod = model::PodId::FromIndex(p);
    overlay.Reserve(pod, node);
    DraFailureInfo failure;
    ASSERT_TRUE(allocator.Allocate(overlay, pod, node, failure));
    overlay.Commit();
  }
  EXPECT_EQ(CheckAll(allocator, overlay), "");
  EXPECT_EQ(CheckNodes(overlay), "");
  auto devices = index->devices_for(node);
  EXPECT_EQ(CheckDevices(allocator, overlay, devices), "");

  // 600 more milli on GPU 0 than any claim holds: over capacity, and out of step with claims.
  const model::DeviceTable& dt = s.devices();
  const size_t slot = index->capacity_slot(dt.capacities[devices[0].index()].begin);
  overlay.AddToLedger(slot, 600);
  EXPECT_NE(CheckDevices(allocator, overlay, devices).find("more than its 1000"), std::string::npos)
      << CheckDevices(allocator, overlay, devices);
  EXPECT_NE(CheckAll(allocator, overlay).find("the claims hold 600"), std::string::npos)
      << CheckAll(allocator, overlay);
  overlay.RollbackTo(0);
  EXPECT_EQ(CheckAll(allocator, overlay), "");
}

TEST(InvariantsTest, CheckNodesFlagsOnlyWhatDecisionsAddedBeyondAllocatable) {
  model::SnapshotBuilder b;
  b.AddNode({.name = "n0", .allocatable = {{"cpu", Quantity(1000)}, {"pods", Quantity(10)}}});
  // Already running and already over the node's CPU: the input's business, not ours.
  b.AddPod({.name = "running", .requests = {{"cpu", Quantity(1500)}}, .node_name = "n0"});
  b.AddPod({.name = "pending", .requests = {{"cpu", Quantity(500)}}});
  auto s = std::move(b).Build();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  model::Overlay overlay(*s);
  EXPECT_EQ(CheckNodes(overlay), "");
  overlay.Reserve(*s->FindPod("default", "pending"), model::NodeId::FromIndex(0));
  EXPECT_EQ(CheckNodes(overlay), "node n0: cpu in use is 2000, more than allocatable 1000");
}

}  // namespace
}  // namespace tessera::dra

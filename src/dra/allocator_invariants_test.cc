// Invariants of the fast Allocator on a larger seeded random cluster (50 nodes x 8 devices,
// 500 pods placed one after another, first node that fits): after every commit no exclusive
// device is in two claims, consumed capacity stays within capacity and no shared counter
// goes negative. The state is recomputed from the committed result rows by the
// ReferenceAllocator (not read from the allocator's ledger), then compared with the ledger.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/check.h"
#include "dra/allocator.h"
#include "dra/reference_allocator.h"

namespace tessera::dra {
namespace {

using model::AllocationMode;
using model::DeviceRequestSpec;
using model::DeviceSpec;
using model::ResourceClaimSpec;
using model::ResourceSliceSpec;

constexpr int kNodes = 50;
constexpr int kDevicesPerNode = 8;
constexpr int kPods = 500;

class Rand {
 public:
  explicit Rand(uint32_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

 private:
  std::mt19937 rng_;
};

// One node's slice: whole GPUs (some shareable with request policies), partitions of one
// GPU through a counter set {mem: 8, slots: 4}, and now and then a tainted device.
ResourceSliceSpec NodeSlice(Rand& r, const std::string& node) {
  ResourceSliceSpec s;
  s.name = node + "-gpu";
  s.driver = "gpu.example.com";
  s.pool = node;
  s.node_name = node;
  s.shared_counters = {{"gpu-counters", {{"mem", Quantity(8)}, {"slots", Quantity(4)}}}};
  for (int i = 0; i < kDevicesPerNode; ++i) {
    DeviceSpec d;
    d.name = fmt::format("{}-d{}", node, i);
    d.attributes = {{"model", std::string(r.Chance(0.5) ? "A" : "B")},
                    {"numa", int64_t{i % 2}},
                    {"pcie", std::string(i < 4 ? "p0" : "p1")}};
    const int kind = r.Int(0, 2);
    if (kind == 0) {
      d.capacity = {{"memory", Quantity(r.Chance(0.5) ? 20 : 40), {}}};
    } else if (kind == 1) {
      d.allow_multiple_allocations = true;
      model::CapacityRequestPolicySpec p;
      p.default_value = Quantity(5);
      if (r.Chance(0.5)) {
        p.valid_values = {Quantity(5), Quantity(10), Quantity(20)};
      } else {
        p.valid_range = model::CapacityRequestPolicySpec::ValidRange{Quantity(5), Quantity(30),
                                                                     Quantity(5)};
      }
      d.capacity = {{"memory", Quantity(40), p}};
    } else {
      d.attributes.push_back({"profile", std::string("part")});
      d.capacity = {{"memory", Quantity(10), {}}};
      d.consumes_counters = {{"gpu-counters", {{"mem", Quantity(r.Chance(0.5) ? 2 : 4)},
                                               {"slots", Quantity(r.Int(1, 2))}}}};
    }
    if (r.Chance(0.1)) d.taints = {{"health", "ecc", model::TaintEffect::kNoSchedule}};
    s.devices.push_back(std::move(d));
  }
  return s;
}

DeviceRequestSpec RandomRequest(Rand& r, const std::string& name) {
  DeviceRequestSpec q;
  q.name = name;
  q.device_class_name = "gpu";
  q.count = r.Chance(0.7) ? 1 : 2;
  if (r.Chance(0.05)) {
    q.allocation_mode = AllocationMode::kAll;
    q.count = 0;
    q.selectors = {"device.attributes['gpu.example.com'].numa == 1"};
  }
  if (r.Chance(0.3)) q.capacity_requests = {{"memory", Quantity(r.Int(1, 6) * 5)}};
  if (r.Chance(0.2)) q.selectors.push_back("device.attributes['gpu.example.com'].model == 'A'");
  if (r.Chance(0.1)) q.tolerations = {{"health", model::TolerationOperator::kExists, "", {}}};
  return q;
}

TEST(AllocatorInvariantTest, NoDeviceOverAllocatedAcrossFiveHundredCommits) {
  Rand r(20240611);
  model::SnapshotBuilder b;
  for (int n = 0; n < kNodes; ++n) {
    const std::string node = fmt::format("n{:02}", n);
    b.AddNode({.name = node, .allocatable = {{"pods", Quantity(110)}}});
    b.AddResourceSlice(NodeSlice(r, node));
  }
  b.AddDeviceClass({.name = "gpu", .selectors = {"device.driver == 'gpu.example.com'"}});
  for (int p = 0; p < kPods; ++p) {
    model::PodSpec pod;
    pod.name = fmt::format("pod{}", p);
    const int claims = r.Chance(0.7) ? 1 : 2;
    for (int k = 0; k < claims; ++k) {
      ResourceClaimSpec c;
      c.name = fmt::format("{}-c{}", pod.name, k);
      c.is_template = true;
      const int requests = r.Chance(0.6) ? 1 : 2;
      for (int i = 0; i < requests; ++i) {
        const std::string name = fmt::format("r{}", i);
        if (r.Chance(0.15)) {
          DeviceRequestSpec q;
          q.name = name;
          q.first_available = {RandomRequest(r, "big"), RandomRequest(r, "small")};
          q.first_available[0].count = 2;
          c.requests.push_back(q);
        } else {
          c.requests.push_back(RandomRequest(r, name));
          c.requests.back().admin_access = requests == 1 && r.Chance(0.05);
        }
      }
      if (r.Chance(0.2)) {
        model::DeviceConstraintSpec k2;
        k2.match_attribute = "gpu.example.com/pcie";
        c.constraints.push_back(k2);
      } else if (r.Chance(0.1)) {
        model::DeviceConstraintSpec k2;
        k2.distinct_attribute = "gpu.example.com/numa";
        c.constraints.push_back(k2);
      }
      pod.claims.push_back({fmt::format("c{}", k), "", c.name});
      b.AddResourceClaim(std::move(c));
    }
    b.AddPod(std::move(pod));
  }
  auto built = std::move(b).Build();
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  const model::Snapshot snapshot = std::move(built).value();
  cel::SelectorCache selectors(snapshot);
  std::vector<std::string> warnings;
  auto index = DeviceIndex::Build(snapshot, selectors, warnings);
  ASSERT_TRUE(index.ok());
  auto catalog = ClaimCatalog::Build(snapshot, *index, selectors);
  ASSERT_TRUE(catalog.ok());
  Allocator fast(*index, *catalog, selectors);
  model::Overlay overlay(snapshot);
  overlay.ResizeLedger(fast.ledger_size());
  testing_reference::ReferenceAllocator ref(snapshot, *catalog, selectors);

  const model::DeviceTable& dt = snapshot.devices();
  int placed = 0, unplaced = 0;
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    const model::PodId pod = model::PodId::FromIndex(p);
    bool ok = false;
    const int start = r.Int(0, kNodes - 1);
    for (int i = 0; i < kNodes && !ok; ++i) {
      const model::NodeId node = model::NodeId::FromIndex(static_cast<size_t>((start + i) % kNodes));
      DraFailureInfo failure;
      ok = fast.Allocate(overlay, pod, node, failure);
      if (!ok) {
        ASSERT_NE(failure.kind, DraFailure::kTooComplex) << "pod " << p;
        ASSERT_EQ(overlay.mark(), 0u);
      }
    }
    if (!ok) {
      ++unplaced;
      continue;
    }
    ++placed;
    overlay.Commit();
    testing_reference::Assignment a;
    for (uint32_t inst : catalog->instances_of(pod)) {
      testing_reference::InstanceRows ir{inst, {}};
      for (const DeviceResult& row : fast.results(overlay, inst)) {
        ir.rows.push_back({row.request, row.subrequest, row.device, row.admin_access});
      }
      a.push_back(std::move(ir));
    }
    ref.Commit(pod, a);
    ASSERT_EQ(ref.CheckCommitted(), "") << "after pod " << p;
    // The ledger agrees with the state recomputed from the result rows.
    for (size_t d = 0; d < dt.size(); ++d) {
      const model::DeviceId id = model::DeviceId::FromIndex(d);
      ASSERT_EQ(overlay.ledger(DeviceIndex::use_slot(id)), ref.exclusive_uses(id)) << dt.name[d];
      for (uint32_t k = 0; k < dt.capacities[d].size(); ++k) {
        ASSERT_EQ(overlay.ledger(index->capacity_slot(dt.capacities[d].begin + k)),
                  ref.consumed(id, k))
            << dt.name[d];
      }
    }
  }
  std::printf("invariants: %d pods placed, %d did not fit anywhere\n", placed, unplaced);
  EXPECT_GT(placed, kPods / 4);
  EXPECT_GT(unplaced, 0);  // the cluster was driven to full
}

}  // namespace
}  // namespace tessera::dra

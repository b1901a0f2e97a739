// The filter cache must not change a single decision: random clusters (node taints of every
// effect, labels, cordons, node-local shared and exclusive GPUs, a network-attached pool that
// every node can use) and random place / release / gang sequences, decided by two engines,
// one with the cache and one without, give the same node and score for every pod and leave
// the same overlay.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "engine/engine.h"
#include "model/snapshot.h"

namespace tessera::engine {
namespace {

using model::NodeId;
using model::PodId;

constexpr std::string_view kDriver = "gpu.example.com";

model::DeviceSpec Gpu(int i, bool shared) {
  model::DeviceSpec d;
  d.name = "gpu-" + std::to_string(i);
  d.attributes = {{"kind", std::string("gpu")},
                  {"model", std::string(i % 2 == 0 ? "A100" : "H100")},
                  {"nvlink", int64_t{i / 2}}};
  model::DeviceCapacitySpec memory{.name = "memory", .value = Quantity(int64_t{80} << 30)};
  if (shared) {
    d.allow_multiple_allocations = true;
    memory.request_policy = model::CapacityRequestPolicySpec{
        .valid_range = model::CapacityRequestPolicySpec::ValidRange{
            .min = Quantity(int64_t{10} << 30), .step = Quantity(int64_t{10} << 30)}};
  }
  d.capacity = {memory};
  return d;
}

struct Cluster {
  model::Snapshot snapshot;
  int pods = 0;
  std::vector<uint64_t> shape;  // per pod: pods with equal values have equal specs
};

// `nodes` nodes; pods of a few shapes so that classes form, plus pods sharing a claim.
Cluster RandomCluster(uint64_t seed, int nodes, int pods, bool network_pool) {
  Rng rng(seed);
  model::SnapshotBuilder b;
  for (int n = 0; n < nodes; ++n) {
    model::NodeSpec node{.name = "node-" + std::to_string(n)};
    node.allocatable = {{"cpu", Quantity(int64_t{8'000} * (1 + rng.Uniform(3)))},
                        {"memory", Quantity(int64_t{32} << 30)},
                        {"pods", Quantity(int64_t{20})}};
    node.labels = {{"zone", rng.Uniform(2) == 0 ? "a" : "b"},
                   {"rack", "r" + std::to_string(n / 4)},
                   {"kubernetes.io/hostname", "node-" + std::to_string(n)}};
    const uint64_t t = rng.Uniform(10);
    if (t == 0) node.taints.push_back({"dedicated", "infra", model::TaintEffect::kNoSchedule});
    if (t == 1) node.taints.push_back({"spot", "true", model::TaintEffect::kPreferNoSchedule});
    if (t == 2) node.taints.push_back({"old", "true", model::TaintEffect::kPreferNoSchedule});
    if (t == 3) node.unschedulable = true;
    b.AddNode(node);
    model::ResourceSliceSpec slice{.name = node.name + "-gpus",
                                   .driver = std::string(kDriver),
                                   .pool = node.name,
                                   .node_name = node.name};
    for (int i = 0; i < 4; ++i) slice.devices.push_back(Gpu(i, i < 2));
    b.AddResourceSlice(slice);
  }
  if (network_pool) {
    model::ResourceSliceSpec fabric{.name = "fabric",
                                    .driver = std::string(kDriver),
                                    .pool = "fabric",
                                    .all_nodes = true};
    for (int i = 0; i < 6; ++i) {
      model::DeviceSpec d;
      d.name = "nic-" + std::to_string(i);
      d.attributes = {{"kind", std::string("nic")}};
      fabric.devices.push_back(d);
    }
    b.AddResourceSlice(fabric);
  }
  b.AddDeviceClass({.name = "gpu", .selectors = {"device.attributes[\"gpu.example.com\"].kind == \"gpu\""}});
  b.AddDeviceClass({.name = "nic", .selectors = {"device.attributes[\"gpu.example.com\"].kind == \"nic\""}});
  auto claim_template = [&](std::string name, model::DeviceRequestSpec request,
                            std::vector<model::DeviceConstraintSpec> constraints = {}) {
    model::ResourceClaimSpec c{.name = std::move(name), .is_template = true};
    c.requests = {std::move(request)};
    c.constraints = std::move(constraints);
    b.AddResourceClaim(c);
  };
  claim_template("one-gpu", {.name = "gpu", .device_class_name = "gpu"});
  claim_template("two-gpus", {.name = "gpu", .device_class_name = "gpu", .count = 2},
                 {{.match_attribute = "gpu.example.com/nvlink"}});
  claim_template("slice", {.name = "gpu",
                           .device_class_name = "gpu",
                           .capacity_requests = {{"memory", Quantity(int64_t{25} << 30)}}});
  claim_template("nic", {.name = "nic", .device_class_name = "nic"});
  for (int s = 0; s < 3; ++s) {
    model::ResourceClaimSpec shared{.name = "shared-" + std::to_string(s)};
    shared.requests = {{.name = "gpu", .device_class_name = "gpu"}};
    b.AddResourceClaim(shared);
  }
  const char* templates[] = {"", "one-gpu", "two-gpus", "slice", "nic"};
  std::vector<uint64_t> shapes;
  for (int p = 0; p < pods; ++p) {
    model::PodSpec pod{.name = "pod-" + std::to_string(p), .creation_unix_seconds = p};
    const uint64_t shape = rng.Uniform(5);
    pod.requests = {{"cpu", Quantity(int64_t{1'000} * (1 + static_cast<int64_t>(shape % 3)))}};
    if (shape != 0) pod.claims = {{"gpu", "", templates[shape]}};
    if (shape == 4 && !network_pool) pod.claims = {{"gpu", "", "slice"}};
    const uint64_t extra = rng.Uniform(8);
    shapes.push_back(shape * 8 + extra);
    if (extra == 0) pod.node_selector = {{"zone", "a"}};
    if (extra == 1) pod.tolerations.push_back({.key = "dedicated", .value = "infra"});
    if (extra == 2) pod.tolerations.push_back({.key = "spot", .value = "true"});
    if (extra == 3) pod.claims.push_back({"shared", "shared-" + std::to_string(p % 3), ""});
    b.AddPod(pod);
  }
  auto s = std::move(b).Build();
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return {std::move(s).value(), pods, std::move(shapes)};
}

// Runs the same random sequence on both engines, checking every decision.
void Compare(uint64_t seed, int nodes, int pods, bool network_pool) {
  Cluster c = RandomCluster(seed, nodes, pods, network_pool);
  const model::GangObjects topology{
      .topologies = {{.name = "racks", .levels = {"rack", "kubernetes.io/hostname"}}}};
  auto cached = Engine::Create(c.snapshot, {.gangs = &topology});
  auto plain = Engine::Create(c.snapshot, {.gangs = &topology, .filter_cache = false});
  ASSERT_TRUE(cached.ok() && plain.ok());
  Rng rng(seed * 7 + 1);
  std::vector<PodId> placed;
  std::vector<PodId> pending;
  for (int p = 0; p < c.pods; ++p) pending.push_back(PodId::FromIndex(p));
  std::vector<NodeId> zone_a;
  for (size_t n = 0; n < c.snapshot.num_nodes(); ++n) {
    if (n % 3 != 0) zone_a.push_back(NodeId::FromIndex(n));  // some nodes, for gangs
  }
  int decisions = 0;
  int gangs_placed = 0, gangs_failed = 0;
  for (int step = 0; step < 3 * c.pods && !(pending.empty() && placed.empty()); ++step) {
    const uint64_t action = rng.Uniform(10);
    if (action < 3 && !placed.empty()) {
      // A placed pod leaves, unless it allocated a claim others still use: release the
      // newest placed pod, which never precedes a sharer placed after it.
      const PodId pod = placed.back();
      placed.pop_back();
      (*cached)->Release(pod);
      (*plain)->Release(pod);
      pending.push_back(pod);
      continue;
    }
    if (pending.empty()) continue;
    const size_t gang_size = 2 + rng.Uniform(5);
    if (action == 3 && pending.size() >= 2) {
      // A gang of pending pods, on two thirds of the nodes (the scan over entries) or on
      // every node (the tree); one that does not fit leaves its attempt rolled back.
      model::GangSpec gang{.name = "g" + std::to_string(step)};
      model::GangMemberSpec member{.name = "m"};
      // A third in one rack, a third preferring one (pods counted per node: the gang room
      // cache), the rest anywhere.
      const uint64_t where = rng.Uniform(3);
      if (where == 0) member.topology = {.topology = "racks", .required_level = "rack"};
      if (where == 1) member.topology = {.topology = "racks", .preferred_level = "rack"};
      // Pods alike (the gang room cache serves those) or, one time in four, any pods.
      std::vector<PodId> trio;
      const uint64_t like = c.shape[pending[rng.Uniform(pending.size())].index()];
      const bool mixed = rng.Uniform(4) == 0;
      for (size_t k = pending.size(); k-- > 0 && trio.size() < gang_size;) {
        if (mixed || c.shape[pending[k].index()] == like) trio.push_back(pending[k]);
      }
      if (trio.size() < 2) continue;
      for (PodId p : trio) {
        member.pod_names.push_back(c.snapshot.pod(p).name);
        pending.erase(std::find(pending.begin(), pending.end(), p));
      }
      gang.members = {member};
      const bool everywhere = rng.Uniform(2) == 0;
      const Engine::GangOutcome a =
          (*cached)->PlaceGang(gang, everywhere ? std::span<const NodeId>() : zone_a);
      const Engine::GangOutcome b =
          (*plain)->PlaceGang(gang, everywhere ? std::span<const NodeId>() : zone_a);
      gangs_placed += a.placed;
      gangs_failed += !a.placed;
      ASSERT_EQ(a.placed, b.placed) << "step " << step;
      ASSERT_EQ(a.decisions.size(), b.decisions.size());
      for (size_t i = 0; i < a.decisions.size(); ++i) {
        EXPECT_EQ(a.decisions[i].node, b.decisions[i].node) << "gang step " << step;
      }
      for (PodId p : trio) {
        if ((*cached)->overlay().node_of(p).valid()) {
          placed.push_back(p);
        } else {
          pending.insert(pending.begin(), p);
        }
      }
      ++decisions;
      continue;
    }
    const size_t i = rng.Uniform(pending.size());
    const PodId pod = pending[i];
    const model::Decision a = (*cached)->PlacePod(pod);
    const model::Decision b = (*plain)->PlacePod(pod);
    ++decisions;
    ASSERT_EQ(a.outcome, b.outcome) << "step " << step << " pod " << c.snapshot.pod(pod).name;
    ASSERT_EQ(a.node, b.node) << "step " << step << " pod " << c.snapshot.pod(pod).name;
    ASSERT_EQ(a.score, b.score) << "step " << step;
    ASSERT_EQ(a.reasons, b.reasons) << "step " << step;
    if (a.outcome == model::Outcome::kPlaced) {
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
      placed.push_back(pod);
    }
  }
  EXPECT_GT(decisions, c.pods);
  EXPECT_GT(gangs_placed, 0);
  EXPECT_GT(gangs_failed, 0);
  const model::Overlay& x = (*cached)->overlay();
  const model::Overlay& y = (*plain)->overlay();
  EXPECT_TRUE(std::equal(x.used_for_test().begin(), x.used_for_test().end(),
                         y.used_for_test().begin()));
  EXPECT_TRUE(std::equal(x.ledger().begin(), x.ledger().end(), y.ledger().begin()));
  EXPECT_EQ((*cached)->CheckInvariants(), "");
}

TEST(FilterCacheTest, SameDecisionsAsEvaluatingEveryNode) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Compare(seed, 8 + static_cast<int>(seed % 24), 120, /*network_pool=*/false);
  }
}

TEST(FilterCacheTest, SameDecisionsWithDevicesEveryNodeCanUse) {
  for (uint64_t seed = 100; seed <= 120; ++seed) {
    SCOPED_TRACE(seed);
    Compare(seed, 12, 100, /*network_pool=*/true);
  }
}

// A fill decides one node anew per pod: the other nodes' verdicts come from the cache, and
// the cluster ends exactly as full as without it.
TEST(FilterCacheTest, FillOfOneClassReusesVerdicts) {
  Cluster c = RandomCluster(7, 64, 600, /*network_pool=*/false);
  auto cached = Engine::Create(c.snapshot, {});
  auto plain = Engine::Create(c.snapshot, {.filter_cache = false});
  ASSERT_TRUE(cached.ok() && plain.ok());
  ScheduleResult a = (*cached)->ScheduleAll();
  ScheduleResult b = (*plain)->ScheduleAll();
  ASSERT_EQ(a.decisions.size(), b.decisions.size());
  int placed = 0;
  for (size_t i = 0; i < a.decisions.size(); ++i) {
    EXPECT_EQ(a.decisions[i].node, b.decisions[i].node) << i;
    EXPECT_EQ(a.decisions[i].outcome, b.decisions[i].outcome) << i;
    placed += a.decisions[i].outcome == model::Outcome::kPlaced;
  }
  EXPECT_GT(placed, 100);
  EXPECT_LT(placed, 600);  // the cluster fills up: some pods wait, with the same reasons
}

}  // namespace
}  // namespace tessera::engine

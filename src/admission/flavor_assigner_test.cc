#include "admission/flavor_assigner.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admission/test_objects.h"

namespace tessera::admission {
namespace {

using testing::Compile;
using testing::CpuQueue;
using testing::Flavor;
using testing::FlavorQuotas;
using testing::Group;
using testing::Quota;

PodSetRequest Cpu(const QueueModel& m, int32_t count, int64_t cpu_milli) {
  PodSetRequest ps;
  ps.name = "main";
  ps.count = count;
  ps.per_pod.push_back(ResourceAmount{m.FindResource("cpu"), cpu_milli});
  return ps;
}

// ClusterQueue "a": one group {cpu} with flavors on-demand (nominal 4 cpu), then spot (8).
model::QueueObjects OnDemandThenSpot() {
  model::QueueObjects o;
  o.flavors = {Flavor("on-demand"), Flavor("spot")};
  model::ClusterQueueSpec cq;
  cq.name = "a";
  cq.resource_groups = {Group({"cpu"}, {FlavorQuotas("on-demand", {Quota("cpu", 4000)}),
                                        FlavorQuotas("spot", {Quota("cpu", 8000)})})};
  o.cluster_queues = {cq};
  return o;
}

TEST(FlavorAssignerTest, FallsBackToNextFlavor) {
  const QueueModel m = Compile(OnDemandThenSpot());
  QuotaState s(m);
  // 3 pods x 2 cpu = 6 cpu: on-demand (4) can never hold it, spot (8) can.
  const PodSetRequest ps = Cpu(m, 3, 2000);
  const Assignment a = AssignFlavors(s, m.FindClusterQueue("a"), {&ps, 1});
  EXPECT_EQ(a.mode, AssignmentMode::kFit);
  EXPECT_FALSE(a.borrows);
  ASSERT_EQ(a.pod_sets.size(), 1u);
  ASSERT_EQ(a.pod_sets[0].usage.size(), 1u);
  EXPECT_EQ(m.flavor(m.FlavorOf(a.pod_sets[0].usage[0].fr)).name, "spot");
  EXPECT_EQ(a.pod_sets[0].usage[0].amount, 6000);
  // 5 pods x 2 cpu = 10 fit nowhere.
  const PodSetRequest big = Cpu(m, 5, 2000);
  const Assignment b = AssignFlavors(s, m.FindClusterQueue("a"), {&big, 1});
  EXPECT_EQ(b.mode, AssignmentMode::kNoFit);
  EXPECT_EQ(b.reason,
            "couldn't assign flavors to pod set main: insufficient quota for cpu in flavor "
            "on-demand, request > maximum capacity of 4, insufficient quota for cpu in flavor "
            "spot, request > maximum capacity of 8");
}

// Kueue's PodSet group (kueue.x-k8s.io/podset-group-name): one flavor for the group's summed
// request, as flavor_assigner.h's worked example.
TEST(FlavorAssignerTest, APodSetGroupGetsOneFlavorForItsSummedRequest) {
  const QueueModel m = Compile(OnDemandThenSpot());
  QuotaState s(m);
  // A leader of 1 cpu and `workers` pods of 1 cpu, in group `group` ("" for none): the flavor
  // each PodSet gets, and its usage.
  auto assign = [&](int32_t workers, const std::string& group) {
    std::vector<PodSetRequest> sets = {Cpu(m, 1, 1000), Cpu(m, workers, 1000)};
    sets[0].name = "leader";
    sets[1].name = "workers";
    sets[0].group = sets[1].group = group;
    const Assignment a = AssignFlavors(s, m.FindClusterQueue("a"), sets);
    EXPECT_EQ(a.mode, AssignmentMode::kFit);
    std::vector<std::string> out;
    for (const PodSetAssignment& ps : a.pod_sets) {
      EXPECT_EQ(ps.usage.size(), 1u);
      out.push_back(fmt::format("{} {}", m.flavor(m.FlavorOf(ps.usage[0].fr)).name,
                                ps.usage[0].amount));
    }
    return out;
  };
  using V = std::vector<std::string>;
  // 1 + 3 = 4 cpu: on-demand holds the group.
  EXPECT_EQ(assign(3, "serve"), (V{"on-demand 1000", "on-demand 3000"}));
  // 1 + 4 = 5 cpu: too much for on-demand; the whole group goes to spot.
  EXPECT_EQ(assign(4, "serve"), (V{"spot 1000", "spot 4000"}));
  // Apart, the leader takes on-demand and the workers (4 > 3 left there) spot.
  EXPECT_EQ(assign(4, ""), (V{"on-demand 1000", "spot 4000"}));
}

TEST(FlavorAssignerTest, ReportsUnusedQuotaShortfallInKueueWording) {
  model::QueueObjects o;
  o.flavors = {Flavor("default-flavor")};
  model::ClusterQueueSpec cq;
  cq.name = "a";
  cq.resource_groups = {Group({"cpu"}, {FlavorQuotas("default-flavor", {Quota("cpu", 4000)})})};
  o.cluster_queues = {cq};
  const QueueModel m = Compile(o);
  QuotaState s(m);
  s.Add(m.FindClusterQueue("a"), m.Fr(m.FindFlavor("default-flavor"), m.FindResource("cpu")), 3000);
  // 2 cpu asked, 1 available: 1 more needed. No preemption policy -> NoFit.
  const PodSetRequest ps = Cpu(m, 1, 2000);
  const Assignment a = AssignFlavors(s, m.FindClusterQueue("a"), {&ps, 1});
  EXPECT_EQ(a.mode, AssignmentMode::kNoFit);
  EXPECT_EQ(a.reason,
            "couldn't assign flavors to pod set main: insufficient unused quota for cpu in "
            "flavor default-flavor, 1 more needed");
}

TEST(FlavorAssignerTest, UncoveredResourceIsNoFitNamingIt) {
  model::QueueObjects o;
  o.flavors = {Flavor("default")};
  o.cluster_queues = {CpuQueue("a", "", 4000)};
  QueueModel m = Compile(o);
  const ResourceId gpu = m.InternResource("nvidia.com/gpu");
  QuotaState s(m);
  PodSetRequest ps = Cpu(m, 1, 1000);
  ps.per_pod.push_back(ResourceAmount{gpu, 1});
  const Assignment a = AssignFlavors(s, m.FindClusterQueue("a"), {&ps, 1});
  EXPECT_EQ(a.mode, AssignmentMode::kNoFit);
  EXPECT_EQ(a.reason,
            "couldn't assign flavors to pod set main: resource nvidia.com/gpu unavailable in "
            "ClusterQueue");
}

TEST(FlavorAssignerTest, SkipsFlavorsConflictingWithNodeSelector) {
  model::QueueObjects o;
  o.flavors = {Flavor("x86", {{"arch", "amd64"}}), Flavor("arm", {{"arch", "arm64"}})};
  model::ClusterQueueSpec cq;
  cq.name = "a";
  cq.resource_groups = {Group({"cpu"}, {FlavorQuotas("x86", {Quota("cpu", 8000)}),
                                        FlavorQuotas("arm", {Quota("cpu", 8000)})})};
  o.cluster_queues = {cq};
  const QueueModel m = Compile(o);
  QuotaState s(m);
  PodSetRequest ps = Cpu(m, 1, 1000);
  ps.node_selector = {{"arch", "arm64"}};
  const Assignment a = AssignFlavors(s, m.FindClusterQueue("a"), {&ps, 1});
  ASSERT_EQ(a.mode, AssignmentMode::kFit);
  EXPECT_EQ(m.flavor(m.FlavorOf(a.pod_sets[0].usage[0].fr)).name, "arm");
}

TEST(FlavorAssignerTest, CountsPodsWhenCoveredAndLaterPodSetsSeeEarlierOnes) {
  model::QueueObjects o;
  o.flavors = {Flavor("default")};
  model::ClusterQueueSpec cq;
  cq.name = "a";
  cq.resource_groups = {
      Group({"cpu", "pods"}, {FlavorQuotas("default", {Quota("cpu", 10000), Quota("pods", 5)})})};
  o.cluster_queues = {cq};
  const QueueModel m = Compile(o);
  QuotaState s(m);
  // Two PodSets of 3 pods (1 cpu each): 3 + 3 = 6 pods > 5.
  std::vector<PodSetRequest> sets = {Cpu(m, 3, 1000), Cpu(m, 3, 1000)};
  sets[1].name = "workers";
  const Assignment a = AssignFlavors(s, m.FindClusterQueue("a"), sets);
  EXPECT_EQ(a.mode, AssignmentMode::kNoFit);
  EXPECT_EQ(a.reason,
            "couldn't assign flavors to pod set workers: insufficient quota for pods in flavor "
            "default, request > maximum capacity of 5");
  sets[1].count = 2;  // 5 pods, 5 cpu
  const Assignment b = AssignFlavors(s, m.FindClusterQueue("a"), sets);
  EXPECT_EQ(b.mode, AssignmentMode::kFit);
  const FlavorResource pods = m.Fr(m.FindFlavor("default"), m.FindResource("pods"));
  const FlavorResource cpu = m.Fr(m.FindFlavor("default"), m.FindResource("cpu"));
  EXPECT_EQ(b.total, (std::vector<FlavorResourceAmount>{{cpu, 5000}, {pods, 5}}));
}

// Two flavors in a cohort: on "a" the workload fits only by borrowing; on "b" it is within
// nominal but needs preemption.
class FungibilityTest : public ::testing::Test {
 protected:
  QueueModel Make(model::FlavorFungibilitySpec fungibility) {
    model::QueueObjects o;
    o.flavors = {Flavor("a"), Flavor("b")};
    model::ClusterQueueSpec cq;
    cq.name = "q";
    cq.cohort = "c";
    // q: flavor a nominal 2, flavor b nominal 6; "other" lends 10 of flavor a.
    cq.resource_groups = {Group(
        {"cpu"}, {FlavorQuotas("a", {Quota("cpu", 2)}), FlavorQuotas("b", {Quota("cpu", 6)})})};
    cq.preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
    cq.flavor_fungibility = fungibility;
    model::ClusterQueueSpec other;
    other.name = "other";
    other.cohort = "c";
    other.resource_groups = {Group(
        {"cpu"}, {FlavorQuotas("a", {Quota("cpu", 10)}), FlavorQuotas("b", {Quota("cpu", 0)})})};
    o.cluster_queues = {cq, other};
    return Compile(o);
  }

  std::string Chosen(const QueueModel& m) {
    QuotaState s(m);
    // q already uses 4 of flavor b: a request of 4 does not fit b (6 - 4 = 2 left) but is
    // within b's nominal (Preempt, no borrow); it fits a by borrowing (2 own + 10 lent).
    s.Add(m.FindClusterQueue("q"), m.Fr(m.FindFlavor("b"), m.FindResource("cpu")), 4);
    PodSetRequest ps;
    ps.name = "main";
    ps.count = 1;
    ps.per_pod.push_back(ResourceAmount{m.FindResource("cpu"), 4});
    const Assignment a = AssignFlavors(s, m.FindClusterQueue("q"), {&ps, 1});
    if (a.mode == AssignmentMode::kNoFit) return "none";
    return m.flavor(m.FlavorOf(a.pod_sets[0].usage[0].fr)).name +
           (a.mode == AssignmentMode::kFit ? "/fit" : "/preempt") + (a.borrows ? "/borrow" : "");
  }
};

TEST_F(FungibilityTest, MayStopSearchTakesFirstBorrowingFlavor) {
  model::FlavorFungibilitySpec f;  // whenCanBorrow: MayStopSearch
  EXPECT_EQ(Chosen(Make(f)), "a/fit/borrow");
}

TEST_F(FungibilityTest, BorrowingOverPreemptionPrefersBorrowing) {
  model::FlavorFungibilitySpec f;
  f.when_can_borrow_try_next = true;
  f.when_can_preempt_try_next = true;
  EXPECT_EQ(Chosen(Make(f)), "a/fit/borrow");
}

TEST_F(FungibilityTest, PreemptionOverBorrowingPrefersPreemption) {
  model::FlavorFungibilitySpec f;
  f.when_can_borrow_try_next = true;
  f.when_can_preempt_try_next = true;
  f.preemption_over_borrowing = true;
  EXPECT_EQ(Chosen(Make(f)), "b/preempt");
}

}  // namespace
}  // namespace tessera::admission

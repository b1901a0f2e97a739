// The no-preemption-loop rule (admission/admitter.h) in the simulator's cycle driver
// (sim::AdmissionLoop), which keeps one Admitter for the whole run. The queues are those of
// AdmitterPreemptionLoopTest: cohort r with 4 cpu of its own, ClusterQueues a and b with
// nominal 4 and fairSharing weight 0, so any borrowing gives share +infinity and
// LessThanOrEqualToFinalShare allows inf <= inf. A1 (a, 6), B1 (b, 5) and B2 (b, 1) arrive at
// 0 and never leave: 12 of 12 used, both borrowing. A2 (a, 1) arrives at 5. At 10 A2 preempts
// B2, which is requeued; at 20 B2 would preempt A2 back (and so on forever, since every
// preemption requeues a victim and so makes the loop run another cycle), but the rule refuses:
// B2 waits, nothing changes, and the run ends.
#include <gtest/gtest.h>

#include <vector>

#include "admission/admitter.h"
#include "sim/admission_loop.h"

namespace tessera {
namespace {

model::ClusterQueueSpec Queue(const char* name) {
  model::ClusterQueueSpec cq;
  cq.name = name;
  cq.cohort = "r";
  cq.fair_sharing_weight = 0;
  cq.preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
  model::ResourceQuotaSpec q;
  q.name = "cpu";
  q.nominal_quota = Quantity(4000);
  cq.resource_groups = {
      model::ResourceGroupSpec{{"cpu"}, {model::FlavorQuotasSpec{"default", {q}}}}};
  return cq;
}

class Departures final : public sim::LoopListener {
 public:
  void Departed(uint32_t, int64_t) override {}
};

TEST(PreemptionLoopTest, SimulatorRunSettlesAfterOnePreemption) {
  model::QueueObjects o;
  model::ResourceFlavorSpec flavor;
  flavor.name = "default";
  o.flavors = {flavor};
  model::CohortSpec root;
  root.name = "r";
  model::ResourceQuotaSpec q;
  q.name = "cpu";
  q.nominal_quota = Quantity(4000);
  root.resource_groups = {
      model::ResourceGroupSpec{{"cpu"}, {model::FlavorQuotasSpec{"default", {q}}}}};
  o.cohorts = {root};
  o.cluster_queues = {Queue("a"), Queue("b")};
  Result<admission::QueueModel> m = admission::QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  admission::Admitter admitter(
      *m,
      {.fair_sharing = true,
       .preemption_strategies = {admission::FairPreemptionStrategy::kLessThanOrEqualToFinalShare}});
  auto workload = [&](const char* name, const char* cq, int64_t cpu_milli, int64_t arrival) {
    sim::LoopWorkload w;
    w.arrival = arrival;
    w.spec.name = name;
    w.spec.cluster_queue = m->FindClusterQueue(cq);
    w.spec.creation_unix_seconds = arrival;
    admission::PodSetRequest ps;
    ps.name = "main";
    ps.count = 1;
    ps.per_pod.push_back(admission::ResourceAmount{m->FindResource("cpu"), cpu_milli});
    w.spec.pod_sets.push_back(ps);
    return w;
  };
  std::vector<sim::LoopWorkload> workloads = {
      workload("A1", "a", 6000, 0), workload("B1", "b", 5000, 0), workload("B2", "b", 1000, 0),
      workload("A2", "a", 1000, 5)};
  sim::AdmissionLoop loop(admitter, workloads, 10);
  admission::AlwaysPlace oracle;
  Departures listener;
  const sim::LoopStats stats = loop.Run(oracle, listener);
  EXPECT_EQ(stats.preemptions, 1);
  EXPECT_EQ(stats.admissions, 4);
  EXPECT_EQ(stats.never_admitted, 1);  // B2, waiting for quota
  EXPECT_EQ(stats.cycles, 3);          // at 0, 10 and 20
  EXPECT_EQ(admitter.remembered_preemptions(), 1u);
}

}  // namespace
}  // namespace tessera

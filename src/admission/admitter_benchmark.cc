// Micro-benchmarks for queue admission without placement: one Admitter::RunCycle over
// ClusterQueues x pending workloads with an oracle that places everything (so every decision
// is a quota decision), classic and fair-sharing order; and AssignFlavors, the flavor
// assignment each attempt starts with, alone. items_per_second is decisions (one per
// pending workload) or assignments per second. The queue model and the pending workloads
// are built outside the timed loop; each cycle starts from a fresh Admitter (no admitted
// workloads), constructed with the timer paused.
//   ./build/release/bench/tessera_benchmarks --benchmark_filter='BM_Admitter_|BM_FlavorAssigner_'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admission/admitter.h"
#include "admission/flavor_assigner.h"
#include "admission/queue_model.h"
#include "admission/quota_state.h"
#include "base/check.h"
#include "model/queue_specs.h"

namespace tessera::admission {
namespace {

constexpr int kQueuesPerCohort = 10;
constexpr int64_t kGi = int64_t{1} << 30;

model::ResourceQuotaSpec Quota(const char* resource, int64_t nominal, int64_t borrowing) {
  return {.name = resource,
          .nominal_quota = Quantity(nominal),
          .borrowing_limit = Quantity(borrowing),
          .lending_limit = std::nullopt};
}

// Cohorts of 10 ClusterQueues; each ClusterQueue has one group {cpu, memory} with flavors
// on-demand (8 cpu, 32Gi, may borrow as much again) and spot (4 cpu, 16Gi, likewise).
std::unique_ptr<QueueModel> Model(int queues) {
  model::QueueObjects o;
  o.flavors = {{.name = "on-demand"}, {.name = "spot"}};
  for (int q = 0; q < queues; ++q) {
    model::ClusterQueueSpec cq;
    cq.name = "cq-" + std::to_string(q);
    cq.cohort = "cohort-" + std::to_string(q / kQueuesPerCohort);
    cq.resource_groups = {
        {.covered_resources = {"cpu", "memory"},
         .flavors = {{"on-demand", {Quota("cpu", 8000, 8000), Quota("memory", 32 * kGi, 32 * kGi)}},
                     {"spot", {Quota("cpu", 4000, 4000), Quota("memory", 16 * kGi, 16 * kGi)}}}}};
    o.cluster_queues.push_back(std::move(cq));
  }
  Result<QueueModel> m = QueueModel::Build(o);
  TESSERA_CHECK(m.ok()) << m.error().ToString();
  return std::make_unique<QueueModel>(std::move(m).value());
}

PodSetRequest Pods(const QueueModel& m, int32_t count, int64_t cpu_milli) {
  return {.name = "main",
          .count = count,
          .per_pod = {{m.FindResource("cpu"), cpu_milli},
                      {m.FindResource("memory"), cpu_milli * 4 * kGi / 1000}},
          .node_selector = {}};
}

// `per_queue` single-pod workloads per ClusterQueue asking 1, 2 or 4 cpu (4Gi per cpu), three
// priorities (the 4-cpu ones highest), distinct creation times. Demand (23 cpu per 10
// workloads) is about twice what a cohort's quota holds (12 cpu per ClusterQueue, lent and
// borrowed inside the cohort), so about half the cpu asked for is admitted: 30% of the
// workloads, the big high-priority ones first; the rest wait on quota (NoFit).
std::vector<PendingWorkload> Pending(const QueueModel& m, int queues, int per_queue) {
  constexpr int64_t kCpu[] = {1000, 2000, 4000};
  std::vector<PendingWorkload> out;
  for (int q = 0; q < queues; ++q) {
    for (int i = 0; i < per_queue; ++i) {
      const int k = q * per_queue + i;
      out.push_back({.name = "ns/w-" + std::to_string(k),
                     .cluster_queue = m.FindClusterQueue("cq-" + std::to_string(q)),
                     .priority = k % 3,
                     .creation_unix_seconds = k,
                     .pod_sets = {Pods(m, 1, kCpu[k % 3])},
                     .placement_class = 0});
    }
  }
  return out;
}

void BM_Admitter_RunCycle(benchmark::State& state) {
  const int queues = static_cast<int>(state.range(0));
  const int per_queue = static_cast<int>(state.range(1));
  const bool fair_sharing = state.range(2) != 0;
  const std::unique_ptr<QueueModel> m = Model(queues);
  const std::vector<PendingWorkload> pending = Pending(*m, queues, per_queue);
  AlwaysPlace oracle;
  std::optional<Admitter> admitter;
  size_t admitted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    admitter.reset();
    admitter.emplace(*m, AdmissionOptions{.fair_sharing = fair_sharing});
    state.ResumeTiming();
    CycleResult result = admitter->RunCycle(pending, oracle, /*now_unix_seconds=*/1'000'000);
    admitted = result.admitted.size();
    benchmark::DoNotOptimize(result.decisions.data());
  }
  TESSERA_CHECK(admitted > 0 && admitted < pending.size()) << admitted;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pending.size()));
  state.counters["admitted_fraction"] =
      static_cast<double>(admitted) / static_cast<double>(pending.size());
}
// {ClusterQueues, pending workloads per ClusterQueue, fair sharing}
BENCHMARK(BM_Admitter_RunCycle)
    ->ArgNames({"queues", "per_queue", "fair"})
    ->Args({100, 10, 0})
    ->Args({100, 10, 1})
    ->Args({1000, 10, 0})
    ->Unit(benchmark::kMicrosecond);

// AssignFlavors for a 4-pod PodSet of 2 cpu in cq-0, whose cohort has: 0, all quota free
// (the first flavor, on-demand, fits); 1, every on-demand cpu in use (on-demand is NoFit,
// spot fits: two flavors tried); 2, every cpu of both flavors in use (NoFit, with the reason
// in Kueue's wording, as each waiting workload gets at every nomination).
void BM_FlavorAssigner_AssignFlavors(benchmark::State& state) {
  const int64_t quota_used = state.range(0);
  const std::unique_ptr<QueueModel> m = Model(kQueuesPerCohort);
  QuotaState quota(*m);
  const ClusterQueueId cq = m->FindClusterQueue("cq-0");
  const FlavorResource on_demand_cpu = m->Fr(m->FindFlavor("on-demand"), m->FindResource("cpu"));
  const FlavorResource spot_cpu = m->Fr(m->FindFlavor("spot"), m->FindResource("cpu"));
  for (int q = 0; q < kQueuesPerCohort; ++q) {
    const ClusterQueueId other = m->FindClusterQueue("cq-" + std::to_string(q));
    if (quota_used >= 1) quota.Add(other, on_demand_cpu, 8000);
    if (quota_used >= 2) quota.Add(other, spot_cpu, 4000);
  }
  const PodSetRequest pod_set = Pods(*m, 4, 2000);
  const AssignmentMode want_mode = quota_used == 2 ? AssignmentMode::kNoFit : AssignmentMode::kFit;
  const FlavorId want = m->FindFlavor(quota_used == 1 ? "spot" : "on-demand");
  int64_t expected = 0;
  for (auto _ : state) {
    Assignment a = AssignFlavors(quota, cq, {&pod_set, 1});
    const bool as_expected =
        a.mode == want_mode &&
        (a.mode != AssignmentMode::kFit || m->FlavorOf(a.pod_sets[0].usage[0].fr) == want);
    expected += as_expected ? 1 : 0;
    benchmark::DoNotOptimize(a);
  }
  TESSERA_CHECK(expected == static_cast<int64_t>(state.iterations()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FlavorAssigner_AssignFlavors)->ArgName("quota_used")->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace tessera::admission

#include "bench_queues.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "admission/admitter.h"
#include "admission/queue_model.h"
#include "base/check.h"
#include "base/rng.h"
#include "model/overlay.h"
#include "model/queue_specs.h"
#include "model/snapshot.h"
#include "placement/filters.h"
#include "placement/scorers.h"
#include "sim/admission_loop.h"

namespace tessera::cli {

// Kueue's large-scale generator (kueue f6517b0c, configs/large-scale/generator.yaml): per
// ClusterQueue 35 small (1 cpu, priority 50, 150 ms, one every 60 ms), 11 medium (5 cpu, 100,
// 350 ms, every 300 ms) and 4 large (20 cpu, 200, 700 ms, every 700 ms) workloads; nominal
// quota 20, borrowingLimit 100, reclaimWithinCohort Any, withinClusterQueue LowerPriority.
// Ours splits the quota over two flavors (12 on-demand + 8 spot, borrowing 60 + 40) and puts
// 400 + 270 nodes of 32 cpu under them: 12,800 + 8,640 cpu for 12,000 + 8,000 of quota. The
// nodes hold the quota, but spreading the small pods leaves few nodes with 20 cpu free, so
// placement, not only quota, decides many admissions of the large workloads.
QueuesShape QueuesLargeScale() {
  QueuesShape s;
  s.cohorts = 10;
  s.queues_per_cohort = 100;
  s.classes = {{"small", 35, 60, 150, 50, 1000},
               {"medium", 11, 300, 350, 100, 5000},
               {"large", 4, 700, 700, 200, 20000}};
  s.on_demand_cpu = 12;
  s.spot_cpu = 8;
  s.on_demand_borrowing_cpu = 60;
  s.spot_borrowing_cpu = 40;
  s.on_demand_nodes = 400;
  s.spot_nodes = 270;
  s.node_cpu = 32;
  s.cycle_ms = 10;
  s.seed = 20260;
  return s;
}

QueuesShape QueuesSmall() {
  QueuesShape s = QueuesLargeScale();
  s.cohorts = 2;
  s.queues_per_cohort = 50;
  s.on_demand_nodes = 40;
  s.spot_nodes = 27;
  return s;
}

namespace {

constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kQuotaMemoryPerCpu = 2 * kGiB;
constexpr int64_t kPodMemoryPerCpu = 2 * kGiB;
constexpr int64_t kNodeMemoryPerCpu = 4 * kGiB;
constexpr const char* kPoolLabel = "tessera.dev/pool";
constexpr const char* kCohortLabel = "tessera.dev/cohort";
constexpr const char* kFlavors[2] = {"on-demand", "spot"};

std::string CohortName(int k) { return fmt::format("cohort-{:02d}", k); }
std::string NamespaceName(int k) { return fmt::format("team-{:02d}", k); }
std::string QueueName(int k, int j) { return fmt::format("cq-{:02d}-{:03d}", k, j); }

model::ResourceQuotaSpec CpuQuota(int64_t cpu, int64_t borrowing_cpu) {
  return {.name = "cpu",
          .nominal_quota = Quantity(cpu * 1000),
          .borrowing_limit = Quantity(borrowing_cpu * 1000),
          .lending_limit = std::nullopt};
}

model::ResourceQuotaSpec MemoryQuota(int64_t cpu, int64_t borrowing_cpu) {
  return {.name = "memory",
          .nominal_quota = Quantity(cpu * kQuotaMemoryPerCpu),
          .borrowing_limit = Quantity(borrowing_cpu * kQuotaMemoryPerCpu),
          .lending_limit = std::nullopt};
}

// Flavors, one Namespace per cohort (labelled with it), and per ClusterQueue a LocalQueue of
// the same name in its cohort's namespace; each ClusterQueue selects its cohort's namespace.
model::QueueObjects Objects(const QueuesShape& s) {
  model::QueueObjects o;
  for (const char* flavor : kFlavors) {
    o.flavors.push_back({.name = flavor, .node_labels = {{kPoolLabel, flavor}}});
  }
  for (const QueueWorkloadClass& c : s.classes) {
    o.workload_priority_classes.push_back({.name = std::string(c.name), .value = c.priority});
  }
  for (int k = 0; k < s.cohorts; ++k) {
    o.namespaces.push_back({.name = NamespaceName(k), .labels = {{kCohortLabel, CohortName(k)}}});
    for (int j = 0; j < s.queues_per_cohort; ++j) {
      model::ClusterQueueSpec cq;
      cq.name = QueueName(k, j);
      cq.cohort = CohortName(k);
      cq.namespace_selector = model::LabelSelectorSpec{{{kCohortLabel, CohortName(k)}}, {}};
      cq.resource_groups = {
          {.covered_resources = {"cpu", "memory"},
           .flavors = {{kFlavors[0],
                        {CpuQuota(s.on_demand_cpu, s.on_demand_borrowing_cpu),
                         MemoryQuota(s.on_demand_cpu, s.on_demand_borrowing_cpu)}},
                       {kFlavors[1],
                        {CpuQuota(s.spot_cpu, s.spot_borrowing_cpu),
                         MemoryQuota(s.spot_cpu, s.spot_borrowing_cpu)}}}}};
      cq.preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
      cq.preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
      o.cluster_queues.push_back(std::move(cq));
      o.local_queues.push_back({.namespace_name = NamespaceName(k),
                                .name = QueueName(k, j),
                                .cluster_queue = QueueName(k, j)});
    }
  }
  return o;
}

// One generated workload: where it queues, its class, when it arrives and how long it runs.
struct Generated {
  int cohort = 0;
  int queue = 0;  // within the cohort
  size_t class_index = 0;
  int64_t arrival_ms = 0;
  int64_t runtime_ms = 0;
  std::string name;  // within the namespace of its cohort; its pod is "<name>-0"
};

// Per ClusterQueue and class, arrivals every interval_ms from a seeded phase in
// [0, interval_ms), runtimes with a seeded +-20% jitter.
std::vector<Generated> Generate(const QueuesShape& s) {
  std::vector<Generated> out;
  Rng rng(s.seed);
  for (int k = 0; k < s.cohorts; ++k) {
    for (int j = 0; j < s.queues_per_cohort; ++j) {
      for (size_t c = 0; c < s.classes.size(); ++c) {
        const QueueWorkloadClass& cls = s.classes[c];
        const auto phase =
            static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(cls.interval_ms)));
        for (int i = 0; i < cls.per_queue; ++i) {
          const auto jitter = static_cast<int64_t>(rng.Uniform(401)) - 200;  // per mille
          out.push_back(
              {.cohort = k,
               .queue = j,
               .class_index = c,
               .arrival_ms = phase + i * cls.interval_ms,
               .runtime_ms = std::max<int64_t>(1, cls.runtime_ms + cls.runtime_ms * jitter / 1000),
               .name = fmt::format("{}-{}-{:02d}", QueueName(k, j), cls.name, i)});
        }
      }
    }
  }
  return out;
}

// The nodes, then one pending pod per generated workload (pod i is workload i's: snapshot
// pods keep input order).
model::SnapshotBuilder Cluster(const QueuesShape& s, const std::vector<Generated>& generated) {
  model::SnapshotBuilder b;
  const int pools[2] = {s.on_demand_nodes, s.spot_nodes};
  for (int f = 0; f < 2; ++f) {
    for (int n = 0; n < pools[f]; ++n) {
      b.AddNode({.name = fmt::format("{}-{:04d}", kFlavors[f], n),
                 .labels = {{kPoolLabel, kFlavors[f]}},
                 .allocatable = {{"cpu", Quantity(s.node_cpu * 1000)},
                                 {"memory", Quantity(s.node_cpu * kNodeMemoryPerCpu)},
                                 {"pods", Quantity(110)}}});
    }
  }
  for (const Generated& g : generated) {
    const QueueWorkloadClass& c = s.classes[g.class_index];
    b.AddPod({.namespace_name = NamespaceName(g.cohort),
              .name = g.name + "-0",
              .priority = c.priority,
              .creation_unix_seconds = g.arrival_ms,
              .requests = {{"cpu", Quantity(c.cpu_milli)},
                           {"memory", Quantity(c.cpu_milli * kPodMemoryPerCpu / 1000)}}});
  }
  return b;
}

// Everything a run needs, built before the timed part.
struct Setup {
  model::QueueObjects objects;
  std::optional<admission::QueueModel> model;
  std::optional<model::Snapshot> snapshot;
  // Workload i is pod i of the snapshot; arrival and runtime in milliseconds.
  std::vector<sim::LoopWorkload> workloads;
  std::vector<std::vector<model::NodeId>> nodes_of_flavor;  // by admission::FlavorId
};

void Build(const QueuesShape& s, Setup& out) {
  out.objects = Objects(s);
  auto compiled = admission::QueueModel::Build(out.objects);
  TESSERA_CHECK(compiled.ok()) << compiled.error().ToString();
  out.model.emplace(std::move(compiled).value());
  const admission::QueueModel& m = *out.model;
  const admission::ResourceId cpu = m.FindResource("cpu");
  const admission::ResourceId memory = m.FindResource("memory");

  const std::vector<Generated> generated = Generate(s);
  auto snapshot = Cluster(s, generated).Build();
  TESSERA_CHECK(snapshot.ok()) << snapshot.error().ToString();
  out.snapshot.emplace(std::move(snapshot).value());
  const model::Snapshot& snap = *out.snapshot;
  TESSERA_CHECK(snap.num_pods() == generated.size());

  out.workloads.reserve(generated.size());
  for (size_t i = 0; i < generated.size(); ++i) {
    const Generated& g = generated[i];
    const QueueWorkloadClass& c = s.classes[g.class_index];
    const std::string ns = NamespaceName(g.cohort);
    // As the engine resolves a workload: LocalQueue -> ClusterQueue, whose namespaceSelector
    // must select the workload's namespace.
    const admission::LocalQueueId lq = m.FindLocalQueue(ns, QueueName(g.cohort, g.queue));
    TESSERA_CHECK(lq.valid());
    const admission::ClusterQueueId cq = m.local_queues()[lq.index()].cluster_queue;
    TESSERA_CHECK(m.NamespaceAllowed(cq, ns)) << m.cluster_queue(cq).name;
    const std::optional<int32_t> priority = m.FindPriorityClass(c.name);
    TESSERA_CHECK(priority.has_value());
    sim::LoopWorkload w;
    w.arrival = g.arrival_ms;
    w.runtime = g.runtime_ms;
    // The admitter's clock counts milliseconds in this scenario (creation, admission and `now`
    // are only compared with each other; aging is off).
    w.spec = {.name = ns + "/" + g.name,
              .cluster_queue = cq,
              .priority = *priority,
              .creation_unix_seconds = g.arrival_ms,
              .pod_sets = {{.name = "main",
                            .count = 1,
                            .per_pod = {{cpu, c.cpu_milli},
                                        {memory, c.cpu_milli * kPodMemoryPerCpu / 1000}},
                            .node_selector = {}}},
              // Pods of one class differ only in name and namespace.
              .placement_class = g.class_index + 1};
    out.workloads.push_back(std::move(w));
  }

  // The nodes each flavor's nodeLabels select, in NodeId order.
  out.nodes_of_flavor.resize(m.num_flavors());
  for (size_t f = 0; f < m.num_flavors(); ++f) {
    const admission::FlavorInfo& flavor = m.flavor(admission::FlavorId::FromIndex(f));
    for (size_t n = 0; n < snap.num_nodes(); ++n) {
      const model::NodeId node = model::NodeId::FromIndex(n);
      bool matches = true;
      for (const auto& [key, value] : flavor.node_labels) {
        const auto k = snap.FindLabelKey(key);
        const auto v = snap.FindLabelValue(value);
        const auto have = k ? snap.NodeLabel(node, *k) : std::nullopt;
        matches = matches && v && have && *have == *v;
      }
      if (matches) out.nodes_of_flavor[f].push_back(node);
    }
  }
}

// Placement as the engine does it for a pod without claims (engine.cc DecideOne): every
// node the PodSet's flavor selects through the static filters and the resource fit, then
// 1 x LeastAllocated + 3 x normalised PreferNoSchedule score, the lowest NodeId on a tie,
// reserved on the overlay. Victims' pods leave first; a failure rolls everything back.
class NodeOracle final : public admission::PlacementOracle {
 public:
  NodeOracle(const Setup& setup, model::Overlay& overlay, const sim::AdmissionLoop& loop)
      : setup_(setup), snapshot_(*setup.snapshot), overlay_(overlay), loop_(loop) {
    feasible_.reserve(snapshot_.num_nodes());
    taint_counts_.reserve(snapshot_.num_nodes());
  }

  admission::PlaceResult TryPlace(const admission::PendingWorkload& workload,
                                  const admission::Assignment& assignment,
                                  std::span<const admission::WorkloadHandle> victims) override {
    ++attempts;
    const model::PodId pod = model::PodId::FromIndex(loop_.WorkloadOf(workload));
    const model::Overlay::Mark mark = overlay_.mark();
    for (admission::WorkloadHandle v : victims) {
      overlay_.Unreserve(model::PodId::FromIndex(loop_.WorkloadOf(v)));
    }
    TESSERA_CHECK(assignment.pod_sets.size() == 1 && !assignment.pod_sets[0].usage.empty());
    const admission::QueueModel& m = *setup_.model;
    const admission::FlavorId flavor = m.FlavorOf(assignment.pod_sets[0].usage[0].fr);
    const model::NodeId node = Best(pod, setup_.nodes_of_flavor[flavor.index()]);
    if (!node.valid()) {
      overlay_.RollbackTo(mark);
      const model::Pod& p = snapshot_.pod(pod);
      return {false, fmt::format("pod {}/{} fits no node", p.namespace_name, p.name)};
    }
    overlay_.Reserve(pod, node);
    return {true, {}};
  }

  int64_t attempts = 0;

 private:
  model::NodeId Best(model::PodId pod, std::span<const model::NodeId> nodes) {
    feasible_.clear();
    placement::Rejections rejections;
    for (model::NodeId node : nodes) {
      rejections.Clear();
      if (!placement::PassesStaticFilters(snapshot_, pod, node, rejections)) continue;
      if (!placement::FitsResources(snapshot_, pod, node, overlay_.used(node), rejections)) {
        continue;
      }
      feasible_.push_back(node);
    }
    taint_counts_.resize(feasible_.size());
    int64_t max_taints = 0;
    for (size_t i = 0; i < feasible_.size(); ++i) {
      taint_counts_[i] = placement::CountPreferNoScheduleTaints(snapshot_, pod, feasible_[i]);
      max_taints = std::max(max_taints, taint_counts_[i]);
    }
    int64_t best_score = -1;
    model::NodeId best;
    for (size_t i = 0; i < feasible_.size(); ++i) {
      const model::NodeId node = feasible_[i];
      const int64_t score =
          placement::kResourceWeight *
              placement::ResourceScore(snapshot_, pod, node, overlay_.used(node),
                                       placement::ScorePolicy::kLeastAllocated) +
          placement::kTaintWeight * placement::NormalizedTaintScore(taint_counts_[i], max_taints);
      if (score > best_score) {
        best_score = score;
        best = node;
      }
    }
    return best;
  }

  const Setup& setup_;
  const model::Snapshot& snapshot_;
  model::Overlay& overlay_;
  const sim::AdmissionLoop& loop_;
  std::vector<model::NodeId> feasible_;
  std::vector<int64_t> taint_counts_;
};

// Times each decision from the previous one (or the start of the cycle).
class LatencyObserver final : public admission::DecisionObserver {
 public:
  LatencyObserver(const std::function<double()>& clock, std::vector<double>& samples)
      : clock_(clock), samples_(samples) {}
  void StartCycle() { last_ = clock_(); }
  void Decided(const admission::AdmissionDecision&) override {
    const double now = clock_();
    samples_.push_back(now - last_);
    last_ = now;
  }

 private:
  const std::function<double()>& clock_;
  std::vector<double>& samples_;
  double last_ = 0;
};

// The loop's events applied to the nodes: a departing workload's pod leaves its node; the
// overlay's tentative reservations become permanent before and after every cycle.
class NodeListener final : public sim::LoopListener {
 public:
  NodeListener(model::Overlay& overlay, LatencyObserver& observer)
      : overlay_(overlay), observer_(observer) {}
  void Departed(uint32_t workload, int64_t) override {
    overlay_.Unreserve(model::PodId::FromIndex(workload));
  }
  void CycleStarting(int64_t) override {
    overlay_.Commit();
    observer_.StartCycle();
  }
  void Stepped(int64_t) override { overlay_.Commit(); }

 private:
  model::Overlay& overlay_;
  LatencyObserver& observer_;
};

}  // namespace

QueuesBurst BuildQueuesBurst(const QueuesShape& shape) {
  const std::vector<Generated> generated = Generate(shape);
  model::QueueObjects objects = Objects(shape);
  for (const Generated& g : generated) {
    const QueueWorkloadClass& c = shape.classes[g.class_index];
    model::WorkloadSpec w;
    w.namespace_name = NamespaceName(g.cohort);
    w.name = g.name;
    w.queue_name = QueueName(g.cohort, g.queue);
    w.priority = c.priority;
    w.priority_class_name = std::string(c.name);
    w.creation_unix_seconds = g.arrival_ms;
    w.owner = {.api_version = "batch/v1", .kind = "Job", .name = g.name};
    w.pod_sets = {{.name = "main", .count = 1, .pod_names = {g.name + "-0"}}};
    objects.workloads.push_back(std::move(w));
  }
  auto snapshot = Cluster(shape, generated).Build();
  TESSERA_CHECK(snapshot.ok()) << snapshot.error().ToString();
  return QueuesBurst{std::move(objects), std::move(snapshot).value()};
}

QueuesRun RunQueues(const QueuesShape& shape, const std::function<double()>& cpu_clock,
                    const std::function<double()>& latency_clock) {
  TESSERA_CHECK(shape.cycle_ms > 0);
  QueuesRun run;
  const double setup_start = cpu_clock();
  Setup setup;
  Build(shape, setup);
  const admission::QueueModel& model = *setup.model;
  model::Overlay overlay(*setup.snapshot);
  run.cluster_queues = static_cast<int64_t>(model.num_cluster_queues());
  run.nodes = static_cast<int64_t>(setup.snapshot->num_nodes());
  run.workloads = static_cast<int64_t>(setup.workloads.size());
  run.decision_seconds.reserve(setup.workloads.size() * 4);
  LatencyObserver observer(latency_clock, run.decision_seconds);
  admission::Admitter admitter(model, {.observer = &observer});
  sim::AdmissionLoop loop(admitter, setup.workloads, shape.cycle_ms);
  NodeOracle oracle(setup, overlay, loop);
  NodeListener listener(overlay, observer);
  run.setup_seconds = cpu_clock() - setup_start;

  const double decide_start = cpu_clock();
  const sim::LoopStats stats = loop.Run(oracle, listener);
  run.decide_seconds = cpu_clock() - decide_start;
  TESSERA_CHECK(stats.departed == run.workloads)
      << stats.never_admitted << " workloads can never be admitted";
  run.cycles = stats.cycles;
  run.admissions = stats.admissions;
  run.borrowing_admissions = stats.borrowing_admissions;
  run.preemptions = stats.preemptions;
  run.no_placement = stats.no_placement;
  run.decisions = static_cast<int64_t>(run.decision_seconds.size());
  run.placement_attempts = oracle.attempts;
  run.makespan_ms = stats.last_departure - stats.first_arrival;

  // Everything left: no quota in use anywhere, no pod on any node.
  for (int64_t u : admitter.state().usage_for_test()) TESSERA_CHECK(u == 0);
  for (Quantity q : overlay.used_for_test()) TESSERA_CHECK(q.value() == 0);
  return run;
}

}  // namespace tessera::cli

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

// A workload of the run: one pod, arriving at `arrival_ms`, running `runtime_ms` once admitted.
struct Workload {
  int64_t arrival_ms = 0;
  int64_t runtime_ms = 0;
  model::PodId pod;
  // The admitter's view; moved into the pending list while the workload waits.
  admission::PendingWorkload spec;
  admission::WorkloadHandle handle;  // while admitted
  uint32_t generation = 0;           // bumped on preemption: its departure is cancelled
};

// Everything a run needs, built before the timed part.
struct Setup {
  model::QueueObjects objects;
  std::optional<admission::QueueModel> model;
  std::optional<model::Snapshot> snapshot;
  std::vector<Workload> workloads;
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
    Workload w;
    w.arrival_ms = g.arrival_ms;
    w.runtime_ms = g.runtime_ms;
    w.pod = model::PodId::FromIndex(i);
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
  NodeOracle(const Setup& setup, model::Overlay& overlay, std::vector<Workload>& workloads,
             const std::vector<admission::PendingWorkload>& pending,
             const std::vector<uint32_t>& pending_id,
             const std::vector<uint32_t>& workload_of_handle)
      : setup_(setup),
        snapshot_(*setup.snapshot),
        overlay_(overlay),
        workloads_(workloads),
        pending_(pending),
        pending_id_(pending_id),
        workload_of_handle_(workload_of_handle) {
    feasible_.reserve(snapshot_.num_nodes());
    taint_counts_.reserve(snapshot_.num_nodes());
  }

  admission::PlaceResult TryPlace(const admission::PendingWorkload& workload,
                                  const admission::Assignment& assignment,
                                  std::span<const admission::WorkloadHandle> victims) override {
    ++attempts;
    const auto index = static_cast<size_t>(&workload - pending_.data());
    const Workload& w = workloads_[pending_id_[index]];
    const model::Overlay::Mark mark = overlay_.mark();
    for (admission::WorkloadHandle v : victims) {
      overlay_.Unreserve(workloads_[workload_of_handle_[v.index()]].pod);
    }
    TESSERA_CHECK(assignment.pod_sets.size() == 1 && !assignment.pod_sets[0].usage.empty());
    const admission::QueueModel& m = *setup_.model;
    const admission::FlavorId flavor = m.FlavorOf(assignment.pod_sets[0].usage[0].fr);
    const model::NodeId node = Best(w.pod, setup_.nodes_of_flavor[flavor.index()]);
    if (!node.valid()) {
      overlay_.RollbackTo(mark);
      const model::Pod& pod = snapshot_.pod(w.pod);
      return {false, fmt::format("pod {}/{} fits no node", pod.namespace_name, pod.name)};
    }
    overlay_.Reserve(w.pod, node);
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
  std::vector<Workload>& workloads_;
  const std::vector<admission::PendingWorkload>& pending_;
  const std::vector<uint32_t>& pending_id_;
  const std::vector<uint32_t>& workload_of_handle_;
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

struct Departure {
  int64_t time_ms;
  uint32_t workload;
  uint32_t generation;
  bool operator>(const Departure& o) const {
    return time_ms != o.time_ms ? time_ms > o.time_ms : workload > o.workload;
  }
};

int64_t RoundUp(int64_t t, int64_t step) { return (t + step - 1) / step * step; }

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
  std::vector<Workload>& workloads = setup.workloads;
  const admission::QueueModel& model = *setup.model;
  model::Overlay overlay(*setup.snapshot);
  run.cluster_queues = static_cast<int64_t>(model.num_cluster_queues());
  run.nodes = static_cast<int64_t>(setup.snapshot->num_nodes());
  run.workloads = static_cast<int64_t>(workloads.size());
  std::vector<uint32_t> arrivals(workloads.size());
  for (uint32_t i = 0; i < arrivals.size(); ++i) arrivals[i] = i;
  std::stable_sort(arrivals.begin(), arrivals.end(), [&](uint32_t a, uint32_t b) {
    return workloads[a].arrival_ms < workloads[b].arrival_ms;
  });
  run.decision_seconds.reserve(workloads.size() * 4);
  LatencyObserver observer(latency_clock, run.decision_seconds);
  admission::Admitter admitter(model, {.observer = &observer});
  std::vector<admission::PendingWorkload> pending;
  std::vector<uint32_t> pending_id;
  std::vector<uint32_t> workload_of_handle;
  pending.reserve(workloads.size());
  pending_id.reserve(workloads.size());
  NodeOracle oracle(setup, overlay, workloads, pending, pending_id, workload_of_handle);
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> departures;
  auto enqueue = [&](uint32_t id) {
    pending.push_back(std::move(workloads[id].spec));
    pending_id.push_back(id);
  };
  run.setup_seconds = cpu_clock() - setup_start;

  const double decide_start = cpu_clock();
  const int64_t first_arrival = workloads[arrivals.front()].arrival_ms;
  int64_t now = RoundUp(first_arrival, shape.cycle_ms);
  int64_t last_departure = first_arrival;
  size_t next_arrival = 0;
  size_t finished = 0;
  bool changed = false;  // since the last cycle: a new arrival, departure or requeued victim
  while (finished < workloads.size()) {
    while (!departures.empty() && departures.top().time_ms <= now) {
      const Departure d = departures.top();
      departures.pop();
      Workload& w = workloads[d.workload];
      if (d.generation != w.generation) continue;  // preempted before it finished
      admitter.Remove(w.handle);
      overlay.Unreserve(w.pod);
      last_departure = d.time_ms;
      ++finished;
      changed = true;
    }
    overlay.Commit();
    while (next_arrival < arrivals.size() && workloads[arrivals[next_arrival]].arrival_ms <= now) {
      enqueue(arrivals[next_arrival++]);
      changed = true;
    }
    if (changed && !pending.empty()) {
      changed = false;
      ++run.cycles;
      observer.StartCycle();
      const admission::CycleResult result = admitter.RunCycle(pending, oracle, now);
      overlay.Commit();
      for (uint32_t index : result.admitted) {
        const admission::AdmissionDecision& d = result.decisions[index];
        const uint32_t id = pending_id[index];
        Workload& w = workloads[id];
        w.handle = d.handle;
        if (workload_of_handle.size() <= d.handle.index()) {
          workload_of_handle.resize(d.handle.index() + 1);
        }
        workload_of_handle[d.handle.index()] = id;
        departures.push({now + w.runtime_ms, id, w.generation});
        ++run.admissions;
        run.borrowing_admissions += d.assignment.borrows ? 1 : 0;
      }
      for (const admission::AdmissionDecision& d : result.decisions) {
        if (d.outcome == admission::AdmissionOutcome::kPending &&
            d.reason.starts_with("quota available")) {
          ++run.no_placement;
        }
      }
      // Admitted workloads leave the pending list (their specs go home); the rest keep
      // their order.
      size_t kept = 0;
      for (size_t i = 0; i < pending.size(); ++i) {
        if (result.decisions[i].outcome == admission::AdmissionOutcome::kAdmitted) {
          workloads[pending_id[i]].spec = std::move(pending[i]);
          continue;
        }
        if (kept != i) {
          pending[kept] = std::move(pending[i]);
          pending_id[kept] = pending_id[i];
        }
        ++kept;
      }
      pending.resize(kept);
      pending_id.resize(kept);
      // Victims were evicted (the oracle took their pods off the nodes); like Kueue, they
      // go back to their queue with their original creation time.
      for (admission::WorkloadHandle h : result.preempted) {
        const uint32_t id = workload_of_handle[h.index()];
        ++workloads[id].generation;
        enqueue(id);
        ++run.preemptions;
        changed = true;
      }
    }
    // The next cycle: on the grid, at the next event (a requeued victim is one now).
    int64_t next = INT64_MAX;
    if (next_arrival < arrivals.size()) next = workloads[arrivals[next_arrival]].arrival_ms;
    if (!departures.empty()) next = std::min(next, departures.top().time_ms);
    if (changed) next = now;
    TESSERA_CHECK(next != INT64_MAX || finished == workloads.size())
        << pending.size() << " workloads can never be admitted";
    now = std::max(now + shape.cycle_ms, RoundUp(next, shape.cycle_ms));
  }
  run.decide_seconds = cpu_clock() - decide_start;
  run.decisions = static_cast<int64_t>(run.decision_seconds.size());
  run.placement_attempts = oracle.attempts;
  run.makespan_ms = last_departure - first_arrival;

  // Everything left: no quota in use anywhere, no pod on any node.
  for (int64_t u : admitter.state().usage_for_test()) TESSERA_CHECK(u == 0);
  for (Quantity q : overlay.used_for_test()) TESSERA_CHECK(q.value() == 0);
  return run;
}

}  // namespace tessera::cli

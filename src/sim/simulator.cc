#include "sim/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>

#include "base/check.h"
#include "base/rng.h"
#include "sim/cluster.h"
#include "sim/frag.h"
#include "sim/packing_bound.h"
#include "sim/policies.h"
#include "sim/replay_common.h"
#include "sim/tenant_replay.h"

namespace tessera::sim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Shared progress accounting: each run adds its finished tasks.
struct ProgressSink {
  const Progress* callback = nullptr;
  int64_t total = 1;
  std::atomic<int64_t> done{0};
  std::mutex mu;
  void Add(int64_t n) {
    const int64_t now = done.fetch_add(n) + n;
    if (callback == nullptr || !*callback) return;
    std::lock_guard<std::mutex> lock(mu);
    (*callback)(std::min(1.0, static_cast<double>(now) / static_cast<double>(total)));
  }
};

}  // namespace

std::vector<int64_t> RandomRanks(size_t n, Rng& rng) {
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.Uniform(i)]);
  return perm;
}

Choice ChooseNode(const World& world, Policy& policy, size_t t, std::span<const int64_t> rank,
                  Rng& rng, std::vector<uint32_t>& feasible) {
  const Task& task = world.tasks()[t];
  std::span<const NodeState> nodes = world.nodes();
  if (policy.picks_at_random()) {
    feasible.clear();
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (nodes[n].Fits(task)) feasible.push_back(static_cast<uint32_t>(n));
    }
    if (feasible.empty()) return {};
    const size_t n = feasible[rng.Uniform(feasible.size())];
    return {static_cast<int64_t>(n), policy.Evaluate(world, n, task).gpu};
  }
  Choice best;
  int64_t best_score = std::numeric_limits<int64_t>::min();
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!nodes[n].Fits(task)) continue;
    const Score s = policy.Evaluate(world, n, task);
    if (s.value > best_score || (s.value == best_score && rank[n] < rank[best.node])) {
      best_score = s.value;
      best = {static_cast<int64_t>(n), s.gpu};
    }
  }
  return best;
}

namespace {

// The invariant check after decision `decisions` touched node `n` (see SimConfig::check).
Status CheckAfter(const World& world, size_t n, int64_t decisions, std::string_view policy,
                  uint64_t seed, bool at_end = false) {
  const bool full = at_end || decisions % 1024 == 0;
  const std::string problem = world.Check(n, full);
  if (problem.empty()) return Status();
  return Error(ErrorCode::kInternal,
               fmt::format("invariant broken ({} seed {}, after decision {}): {}", policy, seed,
                           decisions, problem));
}

// Sums per arrived percent, for the authors' "mean of the samples that round to x".
struct Buckets {
  std::vector<double> sum = std::vector<double>(kMaxArrivedPct + 1, 0);
  std::vector<int64_t> count = std::vector<int64_t>(kMaxArrivedPct + 1, 0);
  void Add(int bucket, double value) {
    sum[static_cast<size_t>(bucket)] += value;
    ++count[static_cast<size_t>(bucket)];
  }
  std::vector<double> Means() const {
    std::vector<double> out(sum.size(), kNaN);
    for (size_t i = 0; i < sum.size(); ++i) {
      if (count[i] > 0) out[i] = sum[i] / static_cast<double>(count[i]);
    }
    return out;
  }
};

// The fill experiment's arrival order for `seed`: --arrivals as given, else FillOrder.
std::vector<model::TraceTask> OrderOf(const SimConfig& config, int64_t capacity, uint64_t seed) {
  if (config.arrivals.empty()) return FillOrder(config.tasks, capacity, config.tune, seed);
  std::vector<model::TraceTask> order;
  order.reserve(config.arrivals.size());
  for (const model::ArrivalRow& row : config.arrivals) order.push_back(row.task);
  return order;
}

tessera::Result<Run> RunFill(const SimConfig& config, const std::string& policy_name, uint64_t seed,
                             ProgressSink& progress, const WallClock& clock) {
  const double start = clock ? clock() : 0;
  Run run{.policy = policy_name, .seed = seed};
  Rng rng(seed);
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<Policy> policy, MakePolicy(policy_name));

  int64_t capacity = 0;
  for (const model::TraceNode& n : config.nodes) capacity += int64_t{n.gpus} * kGpuMilli;
  const bool explicit_order = !config.arrivals.empty();
  const std::vector<model::TraceTask> order = OrderOf(config, capacity, seed);
  // Tasks the rng already used for the order; the node ranks come next.
  Rng rank_rng(seed ^ 0x5bd1e995u);
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<World> world,
                           World::Build(config.nodes, order, {.whole_gpu = policy->whole_gpu()}));
  const std::vector<int64_t> rank = RandomRanks(world->num_nodes(), rank_rng);
  policy->Begin(*world, config.tasks, rng);
  // The fragmentation the report shows is always measured against the FGD target workload
  // of the original list, whatever the policy.
  const std::vector<TaskType> report_workload = TypicalTasks(config.tasks, world->model_names());
  std::vector<double> node_frag(world->num_nodes());
  double cluster_frag = 0;
  for (size_t n = 0; n < world->num_nodes(); ++n) {
    node_frag[n] = NodeFragmentation(world->node(n), report_workload);
    cluster_frag += node_frag[n];
  }

  const std::string* reference_column = nullptr;
  if (explicit_order && (policy_name == "fgd" || policy_name == "best-fit")) {
    run.same_node_as_reference = 0;
  }
  std::unordered_map<std::string, size_t> node_index;
  if (run.same_node_as_reference == 0) {
    for (size_t n = 0; n < world->num_nodes(); ++n) node_index.emplace(world->node_name(n), n);
  }
  (void)reference_column;

  const double decide_start = clock ? clock() : 0;
  run.setup_seconds = decide_start - start;
  Buckets allocated, fragmented;
  int64_t arrived_milli = 0, allocated_milli = 0;
  const double cap = static_cast<double>(std::max<int64_t>(capacity, 1));
  std::vector<uint32_t> feasible;
  std::span<const Task> tasks = world->tasks();
  int64_t pending_progress = 0;
  for (size_t t = 0; t < tasks.size(); ++t) {
    const Task& task = tasks[t];
    policy->Arrived(*world, t);
    const Choice c = ChooseNode(*world, *policy, t, rank, rng, feasible);
    arrived_milli += task.demand_milli;
    if (c.node < 0) {
      ++run.failed;
    } else {
      const auto n = static_cast<size_t>(c.node);
      world->Place(t, n, c.gpu);
      policy->Placed(*world, t, n);
      if (config.check) {
        TESSERA_RETURN_IF_ERROR(
            CheckAfter(*world, n, static_cast<int64_t>(t) + 1, policy_name, seed));
      }
      allocated_milli += task.demand_milli;
      cluster_frag -= node_frag[n];
      node_frag[n] = NodeFragmentation(world->node(n), report_workload);
      cluster_frag += node_frag[n];
    }
    if (run.same_node_as_reference >= 0) {
      const model::ArrivalRow& row = config.arrivals[t];
      const std::string& expected = policy_name == "fgd" ? row.fgd_node : row.bestfit_node;
      if (!expected.empty()) {
        ++run.reference_compared;
        const bool same = c.node < 0 ? expected == "FAILED"
                                     : expected == world->node_name(static_cast<size_t>(c.node));
        run.same_node_as_reference += same ? 1 : 0;
      }
    }
    const double arrived_pct = static_cast<double>(arrived_milli) * 100 / cap;
    const int bucket = std::clamp(static_cast<int>(std::lround(arrived_pct)), 0, kMaxArrivedPct);
    allocated.Add(bucket, static_cast<double>(allocated_milli) * 100 / cap);
    fragmented.Add(bucket, cluster_frag * 100 / cap);
    if (++pending_progress == 1024) {
      progress.Add(pending_progress);
      pending_progress = 0;
    }
  }
  progress.Add(pending_progress);
  if (config.check && world->num_nodes() > 0) {
    TESSERA_RETURN_IF_ERROR(CheckAfter(*world, 0, static_cast<int64_t>(tasks.size()), policy_name,
                                       seed, /*at_end=*/true));
  }
  if (run.reference_compared == 0) run.same_node_as_reference = -1;
  run.tasks = static_cast<int64_t>(tasks.size());
  run.decisions = run.tasks;
  run.allocated_gpu_pct = allocated.Means();
  run.fragmented_gpu_pct = fragmented.Means();
  run.allocated_gpu_pct_final = static_cast<double>(allocated_milli) * 100 / cap;
  const double end = clock ? clock() : 0;
  run.decide_seconds = end - decide_start;
  run.wall_seconds = end - start;
  return run;
}

}  // namespace

double Percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  const size_t k = std::min(
      values.size() - 1,
      static_cast<size_t>(std::ceil(q * static_cast<double>(values.size()))) - (q > 0 ? 1 : 0));
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(k), values.end());
  return values[k];
}

namespace {

tessera::Result<Run> RunReplay(const SimConfig& config, const std::string& policy_name,
                               uint64_t seed, ProgressSink& progress, const WallClock& clock) {
  const double start = clock ? clock() : 0;
  Run run{.policy = policy_name, .seed = seed};
  Rng rng(seed);
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<Policy> policy, MakePolicy(policy_name));

  // Arrival order: creation time, then name; tasks without a creation time arrive at 0.
  std::vector<model::TraceTask> order = config.tasks;
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    const int64_t ta = std::max<int64_t>(a.creation_s, 0), tb = std::max<int64_t>(b.creation_s, 0);
    return ta != tb ? ta < tb : a.name < b.name;
  });
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<World> world,
                           World::Build(config.nodes, order, {.whole_gpu = policy->whole_gpu()}));
  Rng rank_rng(seed ^ 0x5bd1e995u);
  const std::vector<int64_t> rank = RandomRanks(world->num_nodes(), rank_rng);
  policy->Begin(*world, config.tasks, rng);
  const double cap = static_cast<double>(std::max<int64_t>(world->gpu_capacity_milli(), 1));
  const double decide_start = clock ? clock() : 0;
  run.setup_seconds = decide_start - start;

  // Departures: (time, task), earliest first.
  using Departure = std::pair<int64_t, size_t>;
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> departures;
  std::vector<size_t> pending;  // in arrival order
  std::vector<double> waits;
  RunningMedian median;
  std::vector<uint32_t> feasible;
  std::vector<uint32_t> failed_shapes;  // shapes that did not fit in the current pass
  std::vector<TimePoint> timeline;
  int64_t allocated_milli = 0, running = 0;
  std::span<const Task> tasks = world->tasks();

  int64_t decisions = 0;
  Status broken;
  auto check = [&](size_t n) {
    ++decisions;
    if (config.check && broken.ok()) broken = CheckAfter(*world, n, decisions, policy_name, seed);
  };
  auto try_start = [&](size_t t, int64_t now) {
    const Choice c = ChooseNode(*world, *policy, t, rank, rng, feasible);
    if (c.node < 0) return false;
    const auto n = static_cast<size_t>(c.node);
    world->Place(t, n, c.gpu);
    policy->Placed(*world, t, n);
    check(n);
    allocated_milli += tasks[t].demand_milli;
    ++running;
    const model::TraceTask& tt = order[t];
    const double wait = static_cast<double>(now - std::max<int64_t>(tt.creation_s, 0));
    waits.push_back(wait);
    median.Add(wait);
    if (tt.deletion_s >= 0) {
      const int64_t duration =
          std::max<int64_t>(tt.deletion_s - std::max<int64_t>(tt.creation_s, 0), 0);
      departures.emplace(now + duration, t);
    }
    return true;
  };
  auto retry_pending = [&](int64_t now) {
    failed_shapes.clear();
    size_t kept = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
      const size_t t = pending[i];
      const uint32_t shape = tasks[t].shape;
      const bool known_failure =
          std::find(failed_shapes.begin(), failed_shapes.end(), shape) != failed_shapes.end();
      if (!known_failure && try_start(t, now)) continue;
      if (!known_failure) failed_shapes.push_back(shape);
      pending[kept++] = t;
    }
    pending.resize(kept);
  };
  auto sample = [&](int64_t now) {
    TimePoint p{.time_s = now,
                .allocated_gpu_pct = static_cast<double>(allocated_milli) * 100 / cap,
                .pending = static_cast<int64_t>(pending.size()),
                .running = running,
                .wait_p50_s = median.Get()};
    if (!timeline.empty() && timeline.back().time_s == now) {
      timeline.back() = p;
    } else {
      timeline.push_back(p);
    }
  };

  size_t next = 0;
  int64_t done_progress = 0;
  while (next < tasks.size() || !departures.empty()) {
    const int64_t next_arrival = next < tasks.size() ? std::max<int64_t>(order[next].creation_s, 0)
                                                     : std::numeric_limits<int64_t>::max();
    const int64_t next_departure =
        departures.empty() ? std::numeric_limits<int64_t>::max() : departures.top().first;
    if (next_departure <= next_arrival) {
      const int64_t now = next_departure;
      while (!departures.empty() && departures.top().first == now) {
        const size_t t = departures.top().second;
        departures.pop();
        const auto n = static_cast<size_t>(world->node_of(t));
        world->Remove(t);
        policy->Removed(*world, t, n);
        check(n);
        allocated_milli -= tasks[t].demand_milli;
        --running;
      }
      retry_pending(now);
      sample(now);
      continue;
    }
    const int64_t now = next_arrival;
    while (next < tasks.size() && std::max<int64_t>(order[next].creation_s, 0) == now) {
      policy->Arrived(*world, next);
      if (!try_start(next, now)) pending.push_back(next);
      ++next;
      if (++done_progress == 1024) {
        progress.Add(done_progress);
        done_progress = 0;
      }
    }
    sample(now);
  }
  progress.Add(done_progress);
  TESSERA_RETURN_IF_ERROR(broken);
  if (config.check && world->num_nodes() > 0) {
    TESSERA_RETURN_IF_ERROR(CheckAfter(*world, 0, decisions, policy_name, seed, /*at_end=*/true));
  }
  run.decisions = decisions;
  run.tasks = static_cast<int64_t>(tasks.size());
  run.failed = static_cast<int64_t>(pending.size());
  run.wait_max_s = waits.empty() ? 0 : *std::max_element(waits.begin(), waits.end());
  run.wait_p99_s = Percentile(waits, 0.99);
  run.wait_p50_s = Percentile(waits, 0.5);
  // Keep at most ~2000 points: the first of every stride, and the last.
  const size_t stride = std::max<size_t>(1, timeline.size() / 2000);
  for (size_t i = 0; i < timeline.size(); i += stride) run.timeline.push_back(timeline[i]);
  if (!timeline.empty() && (timeline.size() - 1) % stride != 0)
    run.timeline.push_back(timeline.back());
  // Replay's headline allocation: the time-weighted mean from the first arrival to the last
  // event (the end itself is empty once every task has left).
  double area = 0;
  for (size_t i = 0; i + 1 < timeline.size(); ++i) {
    area += timeline[i].allocated_gpu_pct *
            static_cast<double>(timeline[i + 1].time_s - timeline[i].time_s);
  }
  const double span = timeline.size() > 1
                          ? static_cast<double>(timeline.back().time_s - timeline.front().time_s)
                          : 0;
  run.allocated_gpu_pct_final =
      span > 0 ? area / span : (timeline.empty() ? 0 : timeline[0].allocated_gpu_pct);
  run.wall_seconds = clock ? clock() - start : 0;
  return run;
}

}  // namespace

Stat MeanSd(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  if (v.size() > 1) {
    double sq = 0;
    for (double x : v) sq += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(sq / static_cast<double>(v.size() - 1));
  }
  return s;
}

std::vector<model::TraceTask> FillOrder(std::span<const model::TraceTask> original,
                                        int64_t gpu_capacity_milli, double tune, uint64_t seed) {
  Rng rng(seed);
  std::vector<model::TraceTask> by_name(original.begin(), original.end());
  std::stable_sort(by_name.begin(), by_name.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<model::TraceTask> order = by_name;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Uniform(i)]);
  int64_t total = 0;
  for (const model::TraceTask& t : order) total += int64_t{t.num_gpu} * t.gpu_milli;
  const double target = tune * static_cast<double>(gpu_capacity_milli);
  // As the authors' tuneUpPods: draw from the name-sorted list; stop at the first draw whose
  // per-GPU milli would pass the target (their check uses milli per GPU, not the total).
  std::map<std::string, int64_t> copies;
  if (!by_name.empty() && static_cast<double>(total) < target) {
    for (;;) {
      const model::TraceTask& pick = by_name[rng.Uniform(by_name.size())];
      if (static_cast<double>(total + pick.gpu_milli) > target) break;
      total += int64_t{pick.num_gpu} * pick.gpu_milli;
      model::TraceTask copy = pick;
      copy.name = fmt::format("{}-tuned-{}", pick.name, copies[pick.name]++);
      order.push_back(std::move(copy));
    }
  }
  return order;
}

void Summarize(SimResult& result) {
  result.summary.clear();
  std::vector<std::string> policies;
  for (const Run& r : result.runs) {
    if (std::find(policies.begin(), policies.end(), r.policy) == policies.end()) {
      policies.push_back(r.policy);
    }
  }
  for (const std::string& p : policies) {
    PolicySummary s{.policy = p};
    std::vector<const Run*> runs;
    for (const Run& r : result.runs) {
      if (r.policy == p) runs.push_back(&r);
    }
    s.seeds = static_cast<int64_t>(runs.size());
    auto collect = [&](auto field) {
      std::vector<double> v;
      for (const Run* r : runs) v.push_back(field(*r));
      return MeanSd(v);
    };
    if (result.experiment == Experiment::kFill) {
      for (int pct = 0; pct <= kMaxArrivedPct; pct += 10) {
        std::vector<double> un, fr;
        for (const Run* r : runs) {
          const auto i = static_cast<size_t>(pct);
          if (i < r->allocated_gpu_pct.size() && !std::isnan(r->allocated_gpu_pct[i])) {
            un.push_back(100 - r->allocated_gpu_pct[i]);
          }
          if (i < r->fragmented_gpu_pct.size() && !std::isnan(r->fragmented_gpu_pct[i])) {
            fr.push_back(r->fragmented_gpu_pct[i]);
          }
        }
        if (!un.empty()) s.unallocated_gpu_pct_at_arrived.emplace_back(pct, MeanSd(un));
        if (!fr.empty()) s.fragmented_gpu_pct_at_arrived.emplace_back(pct, MeanSd(fr));
      }
    }
    s.allocated_gpu_pct_final = collect([](const Run& r) { return r.allocated_gpu_pct_final; });
    s.failed = collect([](const Run& r) { return static_cast<double>(r.failed); });
    s.wait_p50_s = collect([](const Run& r) { return r.wait_p50_s; });
    s.wait_p99_s = collect([](const Run& r) { return r.wait_p99_s; });
    s.wait_max_s = collect([](const Run& r) { return r.wait_max_s; });
    if (!runs.empty() && !runs.front()->queues.empty()) SummarizeQueues(runs, s);
    result.summary.push_back(std::move(s));
  }
  std::vector<double> any_run, every_share, packed;
  for (const SimResult::SeedFloor& f : result.packing_floor) {
    any_run.push_back(f.any_run_pct);
    every_share.push_back(f.every_share_placed_pct);
    packed.push_back(f.best_fit_decreasing_pct);
  }
  result.packing_floor_pct = MeanSd(any_run);
  result.packing_floor_every_share_pct = MeanSd(every_share);
  result.packing_floor_bfd_pct = MeanSd(packed);
}

tessera::Result<SimResult> Simulate(const SimConfig& config, const Progress& progress,
                                    const WallClock& clock) {
  if (config.policies.empty()) return Error(ErrorCode::kInvalidArgument, "no policies to simulate");
  for (const std::string& p : config.policies) TESSERA_RETURN_IF_ERROR(MakePolicy(p).status());
  if (config.seeds.empty()) return Error(ErrorCode::kInvalidArgument, "no seeds to simulate");
  if (!(config.tune > 0 && config.tune <= 100)) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--tune {}: must be in (0, 100]", config.tune));
  }
  int64_t gpus = 0;
  for (const model::TraceNode& n : config.nodes) gpus += n.gpus;
  if (config.nodes.empty()) return Error(ErrorCode::kInvalidArgument, "the cluster has no nodes");
  if (gpus == 0) return Error(ErrorCode::kInvalidArgument, "the cluster has no GPUs");
  if (config.tasks.empty() && config.arrivals.empty())
    return Error(ErrorCode::kInvalidArgument, "no tasks to simulate");
  if (config.experiment == Experiment::kReplay && !config.arrivals.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--arrivals applies to the fill experiment only");
  }
  if (config.queues && config.experiment != Experiment::kReplay) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} has queues: they apply to --experiment replay", config.workload));
  }
  SimResult result{.experiment = config.experiment,
                   .workload = config.workload,
                   .nodes = static_cast<int64_t>(config.nodes.size()),
                   .gpus = gpus,
                   .tune = config.tune};
  struct Job {
    std::string policy;
    uint64_t seed;
  };
  std::vector<Job> jobs;
  for (const std::string& p : config.policies) {
    for (uint64_t s : config.seeds) jobs.push_back({p, s});
  }
  const size_t num_runs = jobs.size();
  result.runs.resize(num_runs);
  // Fill: one more job per seed for the packing floor of its order (policy empty).
  std::vector<PackingFloor> floors;
  int64_t capacity = 0;
  for (const model::TraceNode& n : config.nodes) capacity += int64_t{n.gpus} * kGpuMilli;
  if (config.experiment == Experiment::kFill) {
    for (uint64_t s : config.seeds) jobs.push_back({"", s});
    floors.resize(config.seeds.size());
  }
  if (config.queues) result.queue_resources = config.queues->resources;
  ProgressSink sink;
  sink.callback = &progress;
  const double per_run =
      config.experiment == Experiment::kFill && config.arrivals.empty()
          ? static_cast<double>(config.tasks.size()) * config.tune * 1.1
          : static_cast<double>(std::max(config.tasks.size(), config.arrivals.size()));
  sink.total =
      std::max<int64_t>(1, static_cast<int64_t>(per_run * static_cast<double>(num_runs)));
  std::atomic<size_t> next{0};
  std::vector<std::optional<Error>> errors(jobs.size());
  auto worker = [&] {
    for (size_t j = next.fetch_add(1); j < jobs.size(); j = next.fetch_add(1)) {
      if (j >= num_runs) {
        floors[j - num_runs] = UnallocatedFloor(OrderOf(config, capacity, jobs[j].seed), capacity);
        continue;
      }
      auto run = config.experiment == Experiment::kFill
                     ? RunFill(config, jobs[j].policy, jobs[j].seed, sink, clock)
                 : config.queues ? RunTenantReplay(
                                       config, jobs[j].policy, jobs[j].seed,
                                       [&sink](int64_t n) { sink.Add(n); }, clock)
                                 : RunReplay(config, jobs[j].policy, jobs[j].seed, sink, clock);
      if (run.ok()) {
        result.runs[j] = std::move(run).value();
      } else {
        errors[j] = run.error();
        next = jobs.size();  // input errors are the same for every run: stop early
      }
    }
  };
  const int threads = std::clamp<int>(config.threads, 1, static_cast<int>(jobs.size()));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const auto& e : errors) {
    if (e) return *e;
  }
  for (size_t i = 0; i < floors.size(); ++i) {
    if (std::isnan(floors[i].any_run_pct)) continue;
    result.packing_floor.push_back({.seed = config.seeds[i],
                                    .any_run_pct = floors[i].any_run_pct,
                                    .every_share_placed_pct = floors[i].every_share_placed_pct,
                                    .best_fit_decreasing_pct = floors[i].best_fit_decreasing_pct});
  }
  Summarize(result);
  return result;
}

}  // namespace tessera::sim

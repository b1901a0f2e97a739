#include "sim/backfill_experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "base/rng.h"
#include "sim/simulator.h"

namespace tessera::sim {
namespace {

// Seconds to the next event of a Poisson process with `per_hour` events an hour.
int64_t Exponential(Rng& rng, double per_hour) {
  const double u = rng.UniformReal();
  return static_cast<int64_t>(std::llround(-std::log1p(-u) * 3600.0 / per_hour));
}

int64_t UniformIn(Rng& rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(hi - lo + 1)));
}

// duration x U[1, factor], rounded up to a multiple of `round_s`.
int64_t Declared(Rng& rng, int64_t duration_s, double factor, int64_t round_s) {
  const double raw = static_cast<double>(duration_s) * (1.0 + (factor - 1.0) * rng.UniformReal());
  const auto s = static_cast<int64_t>(std::ceil(raw));
  return round_s > 0 ? (s + round_s - 1) / round_s * round_s : s;
}

}  // namespace

GangWorkload BackfillScenario(uint64_t seed, const BackfillScenarioOptions& o) {
  GangWorkload w;
  w.name = "backfill-gangs";
  w.cluster = o.cluster;
  // Two independent streams, so that the gangs do not change when the small jobs do.
  Rng small_rng(seed);
  Rng gang_rng(seed ^ 0x6a09e667f3bcc908ULL);
  std::vector<GangJob> jobs;
  int64_t t = 0;
  for (int i = 0; o.small_jobs_per_hour > 0; ++i) {
    t += Exponential(small_rng, o.small_jobs_per_hour);
    if (t >= o.arrival_window_s) break;
    // Total GPUs 1, 2, 4 or 8 (30/25/25/20%), in 1, 2 or 4 pods that divide it evenly.
    const uint64_t pick = small_rng.Uniform(100);
    const int32_t gpus = pick < 30 ? 1 : pick < 55 ? 2 : pick < 80 ? 4 : 8;
    const int32_t max_pods = std::min(gpus, 4);
    const int32_t pods = int32_t{1} << small_rng.Uniform(max_pods == 1 ? 1 : max_pods == 2 ? 2 : 3);
    GangJob j;
    j.name = fmt::format("small-{:05d}", i);
    j.pods = pods;
    j.gpus_per_pod = gpus / pods;
    j.cpu_milli_per_pod = o.cpu_milli_per_gpu * j.gpus_per_pod;
    j.arrival_s = t;
    j.duration_s = UniformIn(small_rng, o.small_min_s, o.small_max_s);
    j.declared_s = Declared(small_rng, j.duration_s, o.small_overestimate_max, o.declared_round_s);
    jobs.push_back(std::move(j));
  }
  t = 0;
  for (int i = 0; o.gangs_per_hour > 0; ++i) {
    t += Exponential(gang_rng, o.gangs_per_hour);
    if (t >= o.arrival_window_s) break;
    GangJob j;
    j.name = fmt::format("gang-{:03d}", i);
    j.pods = 8;
    j.gpus_per_pod = 8;
    j.cpu_milli_per_pod = o.cpu_milli_per_gpu * 8;
    j.required = gang_rng.UniformReal() < o.gang_rack_required_fraction ? RequiredDomain::kRack
                                                                        : RequiredDomain::kNone;
    j.arrival_s = t;
    j.duration_s = UniformIn(gang_rng, o.gang_min_s, o.gang_max_s);
    j.declared_s = Declared(gang_rng, j.duration_s, o.gang_overestimate_max, o.declared_round_s);
    jobs.push_back(std::move(j));
  }
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const GangJob& a, const GangJob& b) { return a.arrival_s < b.arrival_s; });
  w.jobs = std::move(jobs);
  return w;
}

Result<JobSetShape> ParseJobSetShape(std::string_view name) {
  if (name == "gang") return JobSetShape::kGang;
  if (name == "leader-workers") return JobSetShape::kLeaderWorkers;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown JobSet shape \"{}\" (valid: gang, leader-workers)", name));
}

std::string_view JobSetShapeName(JobSetShape shape) {
  return shape == JobSetShape::kGang ? "gang" : "leader-workers";
}

GangJobSet LeaderWorkersJobSet(int32_t pods, int32_t max_restarts) {
  GangJobSet js;
  js.spec.replicated_jobs = {
      ReplicatedJobSpec{
          .name = "leader", .replicas = 1, .parallelism = 1, .completions = 1, .backoff_limit = 0},
      ReplicatedJobSpec{.name = "workers",
                        .replicas = 1,
                        .parallelism = pods - 1,
                        .completions = pods - 1,
                        .backoff_limit = 0,
                        .depends_on = DependsOnSpec{.name = "leader"}}};
  js.spec.failure_policy =
      FailurePolicySpec{.max_restarts = max_restarts,
                        .rules = {FailurePolicyRule{.name = "restart-workers",
                                                    .action = FailurePolicyAction::kRestartJob,
                                                    .target_replicated_jobs = {"workers"}}}};
  js.spec.success_policy = {.op = SuccessOperator::kAll, .target_replicated_jobs = {"workers"}};
  js.timing = {GangPodTiming{.run_s = kUntilJobSetEnds}, GangPodTiming{}};
  return js;
}

Result<BackfillResult> RunBackfillExperiment(const BackfillConfig& config, const Progress& progress,
                                             const WallClock& clock) {
  if (config.policies.empty()) return Error(ErrorCode::kInvalidArgument, "no policies to run");
  std::vector<GangPolicy> policies;
  for (const std::string& p : config.policies) {
    TESSERA_ASSIGN_OR_RETURN(GangPolicy policy, ParseGangPolicy(p));
    policies.push_back(policy);
  }
  if (config.seeds.empty()) return Error(ErrorCode::kInvalidArgument, "no seeds to run");
  if (config.wait_for_pods_ready_s < 0 || config.pod_startup_max_s < 0 ||
      config.backoff_limit_count < -1) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("waitForPodsReady timeout {} s and pod start-up {} s must be >= 0, "
                             "backoffLimitCount {} >= -1 (-1: none)",
                             config.wait_for_pods_ready_s, config.pod_startup_max_s,
                             config.backoff_limit_count));
  }
  WaitForPodsReadyConfig wait{.enable = config.wait_for_pods_ready_s > 0,
                              .timeout_s = config.wait_for_pods_ready_s};
  if (config.backoff_limit_count >= 0) {
    wait.requeuing_strategy.backoff_limit_count = config.backoff_limit_count;
  }
  BackfillResult result{.workload = "backfill-gangs",
                        .nodes = config.scenario.cluster.nodes(),
                        .gpus = config.scenario.cluster.gpus(),
                        .reservation_depth = config.reservation_depth,
                        .lifecycle = config.lifecycle(),
                        .pod_failure_probability = config.pod_failure_probability,
                        .node_mtbf_hours = config.node_mtbf_hours,
                        .max_restarts = config.max_restarts,
                        .stages = config.stages(),
                        .jobset_shape = config.jobset_shape,
                        .wait_for_pods_ready_s = config.wait_for_pods_ready_s,
                        .backoff_limit_count = config.backoff_limit_count,
                        .pod_startup_max_s = config.pod_startup_max_s};
  struct Task {
    size_t policy;
    uint64_t seed;
  };
  std::vector<Task> tasks;
  for (size_t p = 0; p < policies.size(); ++p) {
    for (uint64_t s : config.seeds) tasks.push_back({p, s});
  }
  result.runs.resize(tasks.size());
  std::vector<std::optional<Error>> errors(tasks.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < tasks.size(); i = next.fetch_add(1)) {
      const double start = clock ? clock() : 0;
      GangWorkload workload = BackfillScenario(tasks[i].seed, config.scenario);
      if (config.jobset_shape == JobSetShape::kLeaderWorkers) {
        for (GangJob& g : workload.jobs) {  // the big gangs, as the statistics count them
          if (g.gpus() >= GangReplayOptions{}.big_gang_gpus && g.pods >= 2) {
            g.jobset = LeaderWorkersJobSet(g.pods, config.max_restarts);
          }
        }
      }
      const GangReplayOptions options{
          .policy = policies[tasks[i].policy],
          .reservation_depth = config.reservation_depth,
          .check = config.check,
          .keep_events = false,
          .lifecycle = {.enable = config.lifecycle(),
                        .max_restarts = config.max_restarts,
                        .pod_failure_probability = config.pod_failure_probability,
                        .node_mtbf_s = config.node_mtbf_hours * 3600,
                        .seed = tasks[i].seed,
                        .wait_for_pods_ready = wait,
                        .startup_max_s = config.pod_startup_max_s}};
      auto replay = ReplayGangs(workload, options);
      if (!replay.ok()) {
        errors[i] = replay.error();
        next = tasks.size();
        continue;
      }
      const GangReplayResult& r = *replay;
      BackfillRun& run = result.runs[i];
      run.policy = config.policies[tasks[i].policy];
      run.seed = tasks[i].seed;
      run.jobs = static_cast<int64_t>(workload.jobs.size());
      for (size_t j = 0; j < workload.jobs.size(); ++j) {
        if (workload.jobs[j].gpus() >= options.big_gang_gpus) ++run.big_gangs;
        const GangJobOutcome& o = r.jobs[j];
        if (o.head_reservation_s >= 0 && o.start_s > o.head_reservation_s) {
          ++run.head_reservations_broken;
        }
      }
      run.big = r.big;
      run.small = r.small;
      run.gpu_utilisation_pct = r.gpu_utilisation_pct;
      run.gpu_utilisation_arriving_pct = r.gpu_utilisation_arriving_pct;
      run.makespan_s = r.makespan_s;
      run.completed = r.completed;
      run.event_counts = r.event_counts;
      run.passes = r.passes;
      run.engine_calls = r.engine_calls;
      run.checked = r.checked;
      run.lifecycle_counts = r.lifecycle_counts;
      run.failed = r.failed;
      run.pod_failures = r.pod_failures;
      run.node_failures = r.node_failures;
      run.node_failures_hit = r.node_failures_hit;
      run.replacements = r.replacements;
      run.evictions = r.evictions;
      run.deactivated = r.deactivated;
      run.stuck = r.stuck;
      run.big_ready = r.big_ready;
      run.wall_seconds = clock ? clock() - start : 0;
      const size_t finished = done.fetch_add(1) + 1;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        progress(static_cast<double>(finished) / static_cast<double>(tasks.size()));
      }
    }
  };
  const int threads = std::clamp<int>(config.threads, 1, static_cast<int>(tasks.size()));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const auto& e : errors) {
    if (e) return *e;
  }
  for (const std::string& p : config.policies) {
    BackfillSummary s{.policy = p};
    std::vector<const BackfillRun*> runs;
    for (const BackfillRun& r : result.runs) {
      if (r.policy == p) runs.push_back(&r);
    }
    s.seeds = static_cast<int64_t>(runs.size());
    auto collect = [&](auto field) {
      std::vector<double> v;
      for (const BackfillRun* r : runs) v.push_back(static_cast<double>(field(*r)));
      return MeanSd(v);
    };
    s.big_p50_s = collect([](const BackfillRun& r) { return r.big.p50_s; });
    s.big_p99_s = collect([](const BackfillRun& r) { return r.big.p99_s; });
    s.big_max_s = collect([](const BackfillRun& r) { return r.big.max_s; });
    s.big_mean_s = collect([](const BackfillRun& r) { return r.big.mean_s; });
    s.small_p50_s = collect([](const BackfillRun& r) { return r.small.p50_s; });
    s.small_p99_s = collect([](const BackfillRun& r) { return r.small.p99_s; });
    s.small_mean_s = collect([](const BackfillRun& r) { return r.small.mean_s; });
    s.gpu_utilisation_pct = collect([](const BackfillRun& r) { return r.gpu_utilisation_pct; });
    s.gpu_utilisation_arriving_pct =
        collect([](const BackfillRun& r) { return r.gpu_utilisation_arriving_pct; });
    s.makespan_s = collect([](const BackfillRun& r) { return r.makespan_s; });
    // Only runs in which some gang got ready have a ready wait.
    std::vector<double> ready;
    for (const BackfillRun* r : runs) {
      if (r->big_ready.jobs > 0) ready.push_back(static_cast<double>(r->big_ready.p50_s));
    }
    s.big_ready_p50_s = MeanSd(ready);
    s.big_ready_seeds = static_cast<int64_t>(ready.size());
    result.summary.push_back(std::move(s));
  }
  return result;
}

}  // namespace tessera::sim

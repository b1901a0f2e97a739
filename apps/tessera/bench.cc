#include "bench.h"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "base/rng.h"
#include "bench_queues.h"
#include "bench_scale.h"
#include "bench_scenarios.h"
#include "engine/engine.h"
#include "exit_status.h"
#include "io/trace.h"
#include "model/decision.h"
#include "model/snapshot.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace tessera::cli {
namespace {

using Clock = std::chrono::steady_clock;

// One scenario's figures. Latencies are absent when the scenario has no single-pod pass.
struct BenchResult {
  std::string_view name;
  std::string_view anchor;
  int64_t pods = 0;    // pending pods in one run
  int64_t placed = 0;  // of those, placed by one run
  int runs = 0;
  double pods_per_second = 0;
  std::optional<double> p50_ms, p99_ms, max_ms;
  double peak_rss_mib = 0;
  double cpu_us_per_placement = 0;  // user + sys CPU per decided pod
  // Decisions made in all runs and the CPU they took. For pod scenarios every decision is a
  // pod's; a queue scenario decides a workload once per cycle it is tried in.
  int64_t decisions = 0;
  double cpu_seconds = 0;
  double decisions_per_second = 0;
  // Queue scenarios: their counts (JSON "queues") and a line of them for stderr (scale
  // scenarios use the line too).
  std::optional<nlohmann::json> queue_counts;
  std::string queue_summary;
  std::optional<nlohmann::json> scale_counts;  // scale scenarios: JSON "scale"
};

// Scenarios that run the simulator rather than one engine pass: a fill of many tasks, timed
// as a whole (cluster build included), one run per policy.
struct SimScenario {
  std::string_view name;
  std::string_view anchor;
  sim::SimConfig (*config)();
};

// One fill of tessera and fgd on the openb trace when ../shared/traces/openb is there (seed
// 42, the paper's protocol), else on the built-in scenario.
sim::SimConfig OpenbFillConfig() {
  sim::SimConfig c;
  const std::string dir = "../shared/traces/openb/";
  auto nodes = io::LoadTraceNodes(dir + "openb_node_list_gpu_node.csv");
  auto tasks = io::LoadTraceTasks(dir + "openb_pod_list_default.csv");
  if (nodes.ok() && tasks.ok()) {
    c.nodes = std::move(nodes).value();
    c.tasks = std::move(tasks).value();
    c.workload = "openb_pod_list_default";
  } else {
    const model::Scenario builtin = sim::BuiltinScenario();
    c.nodes = builtin.nodes;
    c.tasks = sim::ScenarioTasks(builtin, 1);
    c.workload = "builtin";
  }
  c.policies = {"tessera", "fgd"};
  c.seeds = {42};
  return c;
}

// The shape measured with Slurm 22.05 on this machine: 1,024 nodes x 8 GPUs filled from a
// queue of 5,000 jobs that never finish; 90% ask for 1, 2, 4 or 8 whole GPUs, 10% for half
// a GPU. Every job is decided once, in queue order.
sim::SimConfig SlurmFillConfig() {
  sim::SimConfig c;
  for (int n = 0; n < 1024; ++n) {
    c.nodes.push_back({.name = fmt::format("node-{:04d}", n),
                       .cpu_milli = 128'000,
                       .memory_mib = 1024 * 1024,
                       .gpus = 8,
                       .gpu_model = "A100"});
  }
  Rng rng(2205);
  for (int j = 0; j < 5000; ++j) {
    model::TraceTask t{
        .name = fmt::format("job-{:04d}", j), .cpu_milli = 4000, .memory_mib = 16384};
    if (rng.Uniform(10) == 0) {
      t.num_gpu = 1;
      t.gpu_milli = 500;
    } else {
      t.num_gpu = int32_t{1} << rng.Uniform(4);
      t.gpu_milli = 1000;
      t.cpu_milli *= t.num_gpu;
    }
    c.arrivals.push_back({.task = t, .source_task = t.name});
  }
  c.tasks.reserve(c.arrivals.size());
  for (const auto& a : c.arrivals) c.tasks.push_back(a.task);
  c.policies = {"tessera"};
  c.seeds = {42};
  return c;
}

constexpr std::array<SimScenario, 2> kSimScenarios = {{
    {.name = "openb-fill",
     .anchor = "FGD paper's simulator: over 20 minutes for one such run on this machine",
     .config = OpenbFillConfig},
    {.name = "slurm-fill",
     .anchor = "Slurm 22.05 here: 15.2 ms controller CPU per job by default, 7.4 ms tuned; "
               "target <= 10 us per placement",
     .config = SlurmFillConfig},
}};

// Scenarios that run queued workloads through admission in simulated time
// (bench_queues.h): one run, timed by the thread's CPU clock.
struct QueueScenario {
  std::string_view name;
  std::string_view anchor;
  QueuesShape (*shape)();
  // Every workload pending at once in one engine::Engine::ScheduleAll (Options::queues),
  // instead of arrivals, departures and cycles in simulated time.
  bool burst = false;
};

constexpr std::array<QueueScenario, 3> kQueueScenarios = {{
    {.name = "queues",
     .anchor = "Kueue scheduler_perf large-scale (1,000 ClusterQueues, 50,000 workloads): ~1,179 s "
               "wall (~42 workloads/s); target < 5 s scheduler CPU",
     .shape = QueuesLargeScale},
    {.name = "queues-100",
     .anchor = "Quick queues at 100 ClusterQueues and 5,000 workloads; Kueue's ~1,179 s is for "
               "1,000 and 50,000",
     .shape = QueuesSmall},
    {.name = "queues-burst",
     .anchor = "The queues shape, all 50,000 pending in one engine cycle (no Kueue figure; "
               "guards the engine's queued path)",
     .shape = QueuesLargeScale,
     .burst = true},
}};

// Scenarios that replay pods through the engine's incremental API in simulated time
// (bench_scale.h): one run, timed by the thread's CPU clock.
struct ScaleScenario {
  std::string_view name;
  std::string_view anchor;
  ScaleShape (*shape)();
};

constexpr std::array<ScaleScenario, 2> kScaleScenarios = {{
    {.name = "scale-10k",
     .anchor = "10,000 nodes x 8 DRA GPUs, 1,000,000 pods kept ~90% full; target >= 50,000 "
               "decisions/s, p99 <= 1 ms, peak <= 4 GiB",
     .shape = Scale10k},
    {.name = "scale-1k",
     .anchor = "Quick scale-10k at 1,000 nodes and 100,000 pods; the targets are for 10,000 "
               "nodes",
     .shape = Scale1k},
}};

// The scenario called `name` in one of the tables above, or null.
template <class Scenario, size_t N>
const Scenario* FindIn(const std::array<Scenario, N>& table, std::string_view name) {
  for (const Scenario& s : table) {
    if (s.name == name) return &s;
  }
  return nullptr;
}
const ScaleScenario* FindScaleScenario(std::string_view name) {
  return FindIn(kScaleScenarios, name);
}
const QueueScenario* FindQueueScenario(std::string_view name) {
  return FindIn(kQueueScenarios, name);
}
const SimScenario* FindSimScenario(std::string_view name) { return FindIn(kSimScenarios, name); }

std::string ValidNames() {
  std::vector<std::string_view> names = {"all"};
  for (const BenchScenario& s : BenchScenarios()) names.push_back(s.name);
  for (const SimScenario& s : kSimScenarios) names.push_back(s.name);
  for (const QueueScenario& s : kQueueScenarios) names.push_back(s.name);
  for (const ScaleScenario& s : kScaleScenarios) names.push_back(s.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// User + system CPU time of this process so far, in microseconds.
int64_t CpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& t) { return int64_t{t.tv_sec} * 1'000'000 + t.tv_usec; };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

// Returns freed heap to the OS and resets the peak-RSS high-water mark (Linux >= 4.0), so
// each scenario reports its own peak rather than the largest so far. Where the reset is not
// possible the peak is process-wide.
void ResetPeakRss() {
  malloc_trim(0);
  std::ofstream clear_refs("/proc/self/clear_refs");
  if (clear_refs) clear_refs << "5";
}

double PeakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// One timed ScheduleAll on a fresh engine; creating the engine (compiling selectors and
// claims) is setup and not timed.
struct TimedRun {
  double seconds = 0;
  int64_t cpu_micros = 0;
  int64_t decided = 0;  // pods not already bound
  int64_t placed = 0;
};

TimedRun RunOnce(const model::Snapshot& snapshot) {
  auto engine = engine::Engine::Create(snapshot, engine::Options{});
  TESSERA_CHECK(engine.ok()) << engine.error().ToString();
  const int64_t cpu_start = CpuMicros();
  const Clock::time_point start = Clock::now();
  engine::ScheduleResult result = (*engine)->ScheduleAll();
  const Clock::time_point end = Clock::now();
  TimedRun run;
  run.cpu_micros = CpuMicros() - cpu_start;
  run.seconds = std::chrono::duration<double>(end - start).count();
  for (const model::Decision& d : result.decisions) {
    if (d.outcome == model::Outcome::kBound) continue;
    ++run.decided;
    if (d.outcome == model::Outcome::kPlaced) ++run.placed;
  }
  return run;
}

// Nearest-rank percentile of sorted `samples`, in milliseconds.
double PercentileMs(const std::vector<double>& sorted_seconds, double fraction) {
  const auto n = static_cast<double>(sorted_seconds.size());
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(fraction * n)));
  return sorted_seconds[rank - 1] * 1e3;
}

// P50/P99/MAX of per-decision `samples` (seconds; sorted here) into `result`; none when empty.
void SetLatencies(std::vector<double>& samples, BenchResult& result) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  result.p50_ms = PercentileMs(samples, 0.50);
  result.p99_ms = PercentileMs(samples, 0.99);
  result.max_ms = samples.back() * 1e3;
}

// A steady state: the pending pods placed one by one and released, round after round, on
// one engine. Engine::Create is setup; each PlacePod is timed alone; CPU covers placements
// and releases.
BenchResult RunSteadyScenario(const BenchScenario& scenario, const model::Snapshot& snapshot) {
  BenchResult result{.name = scenario.name, .anchor = scenario.anchor, .runs = 1};
  auto engine = engine::Engine::Create(snapshot, engine::Options{});
  TESSERA_CHECK(engine.ok()) << engine.error().ToString();
  std::vector<model::PodId> pods;
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    if (!snapshot.pod(model::PodId::FromIndex(p)).node.valid()) {
      pods.push_back(model::PodId::FromIndex(p));
    }
  }
  std::vector<double> samples;
  samples.reserve(pods.size() * static_cast<size_t>(scenario.steady_rounds));
  int64_t placed = 0;
  const int64_t cpu_start = CpuMicros();
  for (int round = 0; round < scenario.steady_rounds; ++round) {
    for (model::PodId pod : pods) {
      const Clock::time_point start = Clock::now();
      const model::Decision d = (*engine)->PlacePod(pod);
      samples.push_back(std::chrono::duration<double>(Clock::now() - start).count());
      placed += d.outcome == model::Outcome::kPlaced ? 1 : 0;
    }
    for (model::PodId pod : pods) {
      if ((*engine)->overlay().node_of(pod).valid()) (*engine)->Release(pod);
    }
  }
  const int64_t cpu_micros = CpuMicros() - cpu_start;
  TESSERA_CHECK((*engine)->CheckInvariants().empty()) << (*engine)->CheckInvariants();
  const auto decided = static_cast<int64_t>(samples.size());
  result.pods = decided;
  result.placed = placed;
  result.decisions = decided;
  result.cpu_seconds = static_cast<double>(cpu_micros) * 1e-6;
  result.pods_per_second = cpu_micros > 0 ? static_cast<double>(decided) * 1e6 /
                                                static_cast<double>(cpu_micros)
                                          : 0;
  result.decisions_per_second = result.pods_per_second;
  result.cpu_us_per_placement =
      decided > 0 ? static_cast<double>(cpu_micros) / static_cast<double>(decided) : 0;
  SetLatencies(samples, result);
  result.peak_rss_mib = PeakRssMib();
  return result;
}

BenchResult RunScenario(const BenchScenario& scenario) {
  ResetPeakRss();
  const model::Snapshot snapshot = scenario.build();
  if (scenario.steady_rounds > 0) return RunSteadyScenario(scenario, snapshot);
  BenchResult result{.name = scenario.name, .anchor = scenario.anchor, .runs = scenario.runs};

  double seconds = 0;
  int64_t cpu_micros = 0;
  int64_t decided = 0;
  std::vector<double> run_seconds;
  for (int i = 0; i < scenario.runs; ++i) {
    const TimedRun run = RunOnce(snapshot);
    seconds += run.seconds;
    cpu_micros += run.cpu_micros;
    decided += run.decided;
    run_seconds.push_back(run.seconds);
    // Every run decides the same pods the same way: the engine is deterministic.
    result.pods = run.decided;
    result.placed = run.placed;
  }
  result.pods_per_second = seconds > 0 ? static_cast<double>(decided) / seconds : 0;
  result.cpu_us_per_placement =
      decided > 0 ? static_cast<double>(cpu_micros) / static_cast<double>(decided) : 0;
  result.decisions = decided;
  result.cpu_seconds = static_cast<double>(cpu_micros) * 1e-6;
  result.decisions_per_second = result.pods_per_second;

  // Per-pod latency: a pod decided alone on a fresh engine, so ScheduleAll's time is that
  // one decision. A single-pod scenario's runs are such samples already.
  std::vector<double> samples;
  if (result.pods == 1) {
    samples = run_seconds;
  } else if (scenario.build_one != nullptr) {
    const model::Snapshot one = scenario.build_one();
    for (int i = 0; i < scenario.latency_runs; ++i) samples.push_back(RunOnce(one).seconds);
  }
  SetLatencies(samples, result);
  result.peak_rss_mib = PeakRssMib();
  return result;
}

// `value` rounded to `digits` decimals, so JSON does not print 17 significant digits.
double Round(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

// This thread's CPU time in seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Each policy of the scenario is one run on one thread; every task is a decision. The
// simulator is given this thread's CPU clock, so its decide phase (every task chosen and
// placed, after the cluster is built) is measured in CPU time: PODS/S is decisions per CPU
// second and CPU US/POD its inverse. Building the cluster is setup, not measured, as for
// the engine scenarios.
BenchResult RunSimScenario(const SimScenario& scenario) {
  ResetPeakRss();
  sim::SimConfig config = scenario.config();
  config.threads = 1;
  BenchResult result{.name = scenario.name, .anchor = scenario.anchor};
  const sim::WallClock thread_cpu = ThreadCpuSeconds;
  auto simulated = sim::Simulate(config, {}, thread_cpu);
  TESSERA_CHECK(simulated.ok()) << simulated.error().ToString();
  int64_t decided = 0, placed = 0;
  double cpu_seconds = 0;
  for (const sim::Run& run : simulated->runs) {
    decided += run.tasks;
    placed += run.tasks - run.failed;
    cpu_seconds += run.decide_seconds;
  }
  result.runs = static_cast<int>(simulated->runs.size());
  result.pods = decided / std::max(result.runs, 1);
  result.placed = placed / std::max(result.runs, 1);
  result.pods_per_second = cpu_seconds > 0 ? static_cast<double>(decided) / cpu_seconds : 0;
  result.cpu_us_per_placement = decided > 0 ? cpu_seconds * 1e6 / static_cast<double>(decided) : 0;
  result.decisions = decided;
  result.cpu_seconds = cpu_seconds;
  result.decisions_per_second = result.pods_per_second;
  result.peak_rss_mib = PeakRssMib();
  return result;
}

// One run of a queue scenario in simulated time. CPU figures use the thread's CPU clock
// around the cycles (building the queues, nodes and workloads is setup and not counted);
// PODS/S is workloads (one pod each) admitted and run per CPU second, CPU US/POD its inverse,
// and decisions_per_second counts every attempt (a workload is tried in each cycle until it is
// admitted). P50/P99/MAX time each decision on the monotonic clock as the run makes it.
BenchResult RunQueueCycles(const QueueScenario& scenario) {
  ResetPeakRss();
  const Clock::time_point epoch = Clock::now();
  const std::function<double()> wall = [epoch] {
    return std::chrono::duration<double>(Clock::now() - epoch).count();
  };
  QueuesRun run = RunQueues(scenario.shape(), ThreadCpuSeconds, wall);
  BenchResult result{.name = scenario.name, .anchor = scenario.anchor, .runs = 1};
  result.pods = run.workloads;
  result.placed = run.workloads;  // every workload is admitted and finishes (RunQueues checks)
  const double cpu = run.decide_seconds;
  result.cpu_seconds = cpu;
  result.decisions = run.decisions;
  result.pods_per_second = cpu > 0 ? static_cast<double>(run.workloads) / cpu : 0;
  result.decisions_per_second = cpu > 0 ? static_cast<double>(run.decisions) / cpu : 0;
  result.cpu_us_per_placement =
      run.workloads > 0 ? cpu * 1e6 / static_cast<double>(run.workloads) : 0;
  std::vector<double>& samples = run.decision_seconds;
  SetLatencies(samples, result);
  result.queue_counts = nlohmann::json{{"cluster_queues", run.cluster_queues},
                                       {"nodes", run.nodes},
                                       {"workloads", run.workloads},
                                       {"cycles", run.cycles},
                                       {"admissions", run.admissions},
                                       {"borrowing_admissions", run.borrowing_admissions},
                                       {"preemptions", run.preemptions},
                                       {"no_placement", run.no_placement},
                                       {"placement_attempts", run.placement_attempts},
                                       {"makespan_ms", run.makespan_ms},
                                       {"setup_seconds", Round(run.setup_seconds, 3)}};
  result.queue_summary = fmt::format(
      "{} ClusterQueues, {} nodes, {} workloads: {} cycles, {} decisions ({:.0f}/s), {} "
      "admissions ({} borrowing), {} preemptions, {} quota-fit-but-no-placement ({} placements "
      "tried); simulated makespan {:.1f} s; scheduler CPU {:.3f} s (setup {:.3f} s not counted)",
      run.cluster_queues, run.nodes, run.workloads, run.cycles, run.decisions,
      result.decisions_per_second, run.admissions, run.borrowing_admissions, run.preemptions,
      run.no_placement, run.placement_attempts, static_cast<double>(run.makespan_ms) / 1000.0, cpu,
      run.setup_seconds);
  result.peak_rss_mib = PeakRssMib();
  return result;
}

// Every workload of the shape pending at once, decided by one engine::Engine::ScheduleAll:
// the engine's own queued path (admission, flavor node selection, placement, status), one
// cycle. Building the snapshot and creating the engine are setup; the thread's CPU clock
// brackets ScheduleAll. Every workload is decided once, so decisions are workloads; the
// engine has no per-decision hook, so P50/P99/MAX are n/a.
BenchResult RunQueueBurst(const QueueScenario& scenario) {
  ResetPeakRss();
  const double setup_start = ThreadCpuSeconds();
  const QueuesBurst burst = BuildQueuesBurst(scenario.shape());
  engine::Options options;
  options.queues = &burst.objects;
  auto engine = engine::Engine::Create(burst.snapshot, options);
  TESSERA_CHECK(engine.ok()) << engine.error().ToString();
  const double setup = ThreadCpuSeconds() - setup_start;
  const double start = ThreadCpuSeconds();
  const engine::ScheduleResult scheduled = (*engine)->ScheduleAll();
  const double cpu = ThreadCpuSeconds() - start;
  int64_t admitted = 0, no_placement = 0, pods_placed = 0;
  for (const model::WorkloadDecision& w : scheduled.workloads) {
    admitted += w.admitted ? 1 : 0;
    no_placement += !w.admitted && w.message.starts_with("quota available") ? 1 : 0;
  }
  for (const model::Decision& d : scheduled.decisions) {
    pods_placed += d.outcome == model::Outcome::kPlaced ? 1 : 0;
  }
  const auto workloads = static_cast<int64_t>(burst.objects.workloads.size());
  BenchResult result{.name = scenario.name, .anchor = scenario.anchor, .runs = 1};
  result.pods = static_cast<int64_t>(burst.snapshot.num_pods());
  result.placed = pods_placed;
  result.cpu_seconds = cpu;
  result.decisions = workloads;
  result.pods_per_second = cpu > 0 ? static_cast<double>(result.pods) / cpu : 0;
  result.decisions_per_second = cpu > 0 ? static_cast<double>(workloads) / cpu : 0;
  result.cpu_us_per_placement = result.pods > 0 ? cpu * 1e6 / static_cast<double>(result.pods) : 0;
  result.queue_counts = nlohmann::json{{"cluster_queues", burst.objects.cluster_queues.size()},
                                       {"nodes", burst.snapshot.num_nodes()},
                                       {"workloads", workloads},
                                       {"cycles", 1},
                                       {"admissions", admitted},
                                       {"no_placement", no_placement},
                                       {"setup_seconds", Round(setup, 3)}};
  result.queue_summary = fmt::format(
      "{} ClusterQueues, {} nodes, {} workloads in one engine cycle: {} admitted, {} "
      "quota-fit-but-no-placement, {} waiting for quota; engine CPU {:.3f} s (setup {:.3f} s "
      "not counted)",
      burst.objects.cluster_queues.size(), burst.snapshot.num_nodes(), workloads, admitted,
      no_placement, workloads - admitted - no_placement, cpu, setup);
  result.peak_rss_mib = PeakRssMib();
  return result;
}

// One replay of a scale scenario. Building the cluster and Engine::Create are setup, not
// counted; the thread's CPU clock brackets the event loop (decisions, releases and the
// bookkeeping between them). DECISIONS/S counts every PlacePod and PlaceGang call, retries
// included; PODS/S is pods placed per CPU second and CPU US/POD its inverse. P50/P99/MAX
// time each decision alone on the monotonic clock. Progress (every 10% of the arrivals) goes
// to `err`.
BenchResult RunScaleScenario(const ScaleScenario& scenario, std::ostream& err) {
  ResetPeakRss();
  const Clock::time_point epoch = Clock::now();
  const std::function<double()> wall = [epoch] {
    return std::chrono::duration<double>(Clock::now() - epoch).count();
  };
  ScaleRun run = RunScale(scenario.shape(), ThreadCpuSeconds, wall,
                          [&err](int percent) { err << ' ' << percent << '%' << std::flush; });
  BenchResult result{.name = scenario.name, .anchor = scenario.anchor, .runs = 1};
  result.pods = run.pods;
  result.placed = run.placed_pods;
  const double cpu = run.decide_seconds;
  result.cpu_seconds = cpu;
  result.decisions = run.decisions;
  result.decisions_per_second = cpu > 0 ? static_cast<double>(run.decisions) / cpu : 0;
  result.pods_per_second = cpu > 0 ? static_cast<double>(run.placed_pods) / cpu : 0;
  result.cpu_us_per_placement =
      run.placed_pods > 0 ? cpu * 1e6 / static_cast<double>(run.placed_pods) : 0;
  std::vector<double>& samples = run.decision_seconds;
  SetLatencies(samples, result);
  std::vector<double>& gang_samples = run.gang_decision_seconds;
  std::sort(gang_samples.begin(), gang_samples.end());
  double gang_seconds = 0;
  for (double g : gang_samples) gang_seconds += g;
  const auto gang_ms = [&](double fraction) {
    return gang_samples.empty() ? 0.0 : PercentileMs(gang_samples, fraction);
  };
  result.scale_counts =
      nlohmann::json{{"nodes", run.nodes},
                     {"gpus", run.gpus},
                     {"fractional_pods", run.fractional_pods},
                     {"whole_pods", run.whole_pods},
                     {"gang_pods", run.gang_pods},
                     {"gangs", run.gangs},
                     {"gang_decisions", run.gang_decisions},
                     {"retries", run.retries},
                     {"placed_gangs", run.placed_gangs},
                     {"dropped_pods", run.dropped_pods},
                     {"dropped_gangs", run.dropped_gangs},
                     {"waiting_at_end", run.waiting_at_end},
                     {"occupancy_mean", Round(run.occupancy_mean, 4)},
                     {"occupancy_min", Round(run.occupancy_min, 4)},
                     {"occupancy_max", Round(run.occupancy_max, 4)},
                     {"simulated_hours", Round(static_cast<double>(run.simulated_ms) / 3.6e6, 2)},
                     {"gang_p50_ms", Round(gang_ms(0.50), 3)},
                     {"gang_p99_ms", Round(gang_ms(0.99), 3)},
                     {"gang_max_ms", Round(gang_ms(1.0), 3)},
                     {"gang_seconds", Round(gang_seconds, 3)},
                     {"release_seconds", Round(run.release_seconds, 3)},
                     {"build_seconds", Round(run.build_seconds, 3)},
                     {"create_seconds", Round(run.create_seconds, 3)},
                     {"rss_after_build_mib", Round(run.rss_after_build_mib, 1)},
                     {"rss_after_create_mib", Round(run.rss_after_create_mib, 1)},
                     {"rss_after_loop_mib", Round(run.rss_after_loop_mib, 1)},
                     {"fingerprint", fmt::format("{:016x}", run.fingerprint)}};
  result.queue_summary = fmt::format(
      "{} nodes, {} GPUs, {} pods ({} gangs): {} decisions ({:.0f}/s; {} retries, {} of gangs), "
      "{} pods placed ({} gangs), {} dropped ({} gangs), {} waiting at the end; GPU occupancy "
      "after warm-up {:.1f}% (min {:.1f}%, max {:.1f}%) over {:.1f} simulated hours; gang "
      "decisions p50 {:.3f} / p99 {:.3f} / max {:.3f} ms, {:.3f} s in all; releases {:.3f} s; "
      "loop CPU {:.3f} s (snapshot {:.3f} s and Engine::Create {:.3f} s not counted)",
      run.nodes, run.gpus, run.pods, run.gangs, run.decisions, result.decisions_per_second,
      run.retries, run.gang_decisions, run.placed_pods, run.placed_gangs, run.dropped_pods,
      run.dropped_gangs, run.waiting_at_end, run.occupancy_mean * 100, run.occupancy_min * 100,
      run.occupancy_max * 100, static_cast<double>(run.simulated_ms) / 3.6e6, gang_ms(0.50),
      gang_ms(0.99), gang_ms(1.0), gang_seconds, run.release_seconds, cpu, run.build_seconds,
      run.create_seconds);
  result.peak_rss_mib = PeakRssMib();
  return result;
}

nlohmann::json OptionalMs(const std::optional<double>& ms) {
  return ms ? nlohmann::json(Round(*ms, 4)) : nlohmann::json(nullptr);
}

void WriteJson(const std::vector<BenchResult>& results, std::ostream& out) {
  nlohmann::json rows = nlohmann::json::array();
  for (const BenchResult& r : results) {
    // Every decision here is a pod's, so decisions and pods per second are the same figure.
    rows.push_back({{"name", r.name},
                    {"pods", r.pods},
                    {"placed", r.placed},
                    {"runs", r.runs},
                    {"decisions", r.decisions},
                    {"decisions_per_second", Round(r.decisions_per_second, 1)},
                    {"pods_per_second", Round(r.pods_per_second, 1)},
                    {"cpu_seconds", Round(r.cpu_seconds, 4)},
                    {"p50_ms", OptionalMs(r.p50_ms)},
                    {"p99_ms", OptionalMs(r.p99_ms)},
                    {"max_ms", OptionalMs(r.max_ms)},
                    {"peak_rss_mib", Round(r.peak_rss_mib, 1)},
                    {"cpu_us_per_placement", Round(r.cpu_us_per_placement, 3)},
                    {"anchor", r.anchor}});
    if (r.queue_counts) rows.back()["queues"] = *r.queue_counts;
    if (r.scale_counts) rows.back()["scale"] = *r.scale_counts;
  }
  out << nlohmann::json{{"scenarios", rows}}.dump(2) << '\n';
}

// Three decimals, four below 0.1 ms (queue decisions take a fraction of a microsecond).
std::string FormatMs(const std::optional<double>& ms) {
  if (!ms) return "n/a";
  return *ms < 0.1 ? fmt::format("{:.4f}", *ms) : fmt::format("{:.3f}", *ms);
}

// Columns left-aligned, two spaces apart, like kubectl; the anchor is last and unpadded.
void WriteTable(const std::vector<BenchResult>& results, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"SCENARIO", "PODS", "PODS/S", "DECISIONS/S",
                                                 "P50 MS", "P99 MS", "MAX MS", "PEAK RSS MIB",
                                                 "CPU US/POD", "ANCHOR"}};
  for (const BenchResult& r : results) {
    rows.push_back({std::string(r.name), fmt::format("{}", r.pods),
                    fmt::format("{:.0f}", r.pods_per_second),
                    fmt::format("{:.0f}", r.decisions_per_second), FormatMs(r.p50_ms),
                    FormatMs(r.p99_ms), FormatMs(r.max_ms), fmt::format("{:.1f}", r.peak_rss_mib),
                    fmt::format("{:.2f}", r.cpu_us_per_placement), std::string(r.anchor)});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c + 1 < row.size(); ++c) line += fmt::format("{:<{}}  ", row[c], widths[c]);
    line += row.back();
    out << line << '\n';
  }
}

}  // namespace

CLI::App* AddBenchCommand(CLI::App& app, BenchFlags& flags) {
  CLI::App* command = app.add_subcommand(
      "bench", "Time named scenarios through the engine against Kubernetes figures.");
  command
      ->add_option("scenarios", flags.scenarios,
                   fmt::format("Scenarios to run (default all): {}", ValidNames()))
      ->type_name("SCENARIO")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            if (name == "all" || FindBenchScenario(name) != nullptr || FindSimScenario(name) ||
                FindQueueScenario(name) || FindScaleScenario(name)) {
              return {};
            }
            return fmt::format("unknown scenario \"{}\"; valid names: {}", name, ValidNames());
          },
          /*validator_desc=*/"", "SCENARIO"));
  command->add_option("-o,--output", flags.output, "Output format: table or json")
      ->type_name("FORMAT")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json"}));
  command->footer(
      R"(Each scenario builds its cluster (not timed), then schedules every pending pod with
a fresh engine, several runs, timing ScheduleAll. PODS/S is pods decided per second of
scheduling, and DECISIONS/S the same (one decision per pod) except where said below;
CPU US/POD is user+system CPU per decided pod; PEAK RSS MIB is the scenario's peak
resident memory, cluster included. P50/P99/MAX MS time one pod decided alone and are
n/a (null in JSON) for fills, where each pod sees a fuller cluster than the last. Progress
goes to stderr.

The queues scenarios (Kueue's large-scale shape: 1,000 ClusterQueues, 50,000 one-pod
workloads) run admission cycles in simulated time as workloads arrive, run and leave:
PODS/S is workloads admitted and run per CPU second of scheduling, CPU US/POD its inverse,
DECISIONS/S every admission decision (a waiting workload is decided again each cycle),
P50/P99/MAX MS the time of each admission decision; stderr adds cycles, decisions,
admissions, borrowing, preemptions and the total CPU. queues-burst decides all 50,000 in
one engine cycle instead.

The scale scenarios replay pods on a cluster of DRA GPUs (scale-10k: 10,000 nodes x 8 GPUs,
1,000,000 pods; scale-1k: 1,000 and 100,000) in simulated time through the engine's
incremental API, arrivals and departures keeping it about 90% full: DECISIONS/S counts
every PlacePod and PlaceGang call, PODS/S is pods placed per CPU second of the loop, P50/P99/MAX
MS time each decision; stderr adds occupancy, retries, dropped pods and setup times.

Exit status: 0, or 2 on usage errors (an unknown scenario lists the valid names).

Examples:
  # Every scenario, as a table
  tessera bench
  # The quick fill and the backtracking case, as JSON
  tessera bench dra-fill-100 dra-partitionable-backtracking -o json
  # 1,000 ClusterQueues and 50,000 workloads through admission
  tessera bench queues
  # 1,000 nodes of DRA GPUs kept 90% full by 100,000 pods
  tessera bench scale-1k)");
  return command;
}

int RunBench(const BenchFlags& flags, std::ostream& out, std::ostream& err) {
  struct Chosen {
    const BenchScenario* engine = nullptr;
    const SimScenario* sim = nullptr;
    const QueueScenario* queue = nullptr;
    const ScaleScenario* scale = nullptr;
    std::string_view name() const {
      return engine ? engine->name : sim ? sim->name : queue ? queue->name : scale->name;
    }
  };
  std::vector<Chosen> chosen;
  const bool run_all =
      flags.scenarios.empty() ||
      std::find(flags.scenarios.begin(), flags.scenarios.end(), "all") != flags.scenarios.end();
  if (run_all) {
    for (const BenchScenario& s : BenchScenarios()) chosen.push_back({.engine = &s});
    for (const SimScenario& s : kSimScenarios) chosen.push_back({.sim = &s});
    for (const QueueScenario& s : kQueueScenarios) chosen.push_back({.queue = &s});
    for (const ScaleScenario& s : kScaleScenarios) chosen.push_back({.scale = &s});
  } else {
    for (const std::string& name : flags.scenarios) {
      const BenchScenario* s = FindBenchScenario(name);
      if (const SimScenario* sim = FindSimScenario(name)) {
        chosen.push_back({.sim = sim});
        continue;
      }
      if (const QueueScenario* queue = FindQueueScenario(name)) {
        chosen.push_back({.queue = queue});
        continue;
      }
      if (const ScaleScenario* scale = FindScaleScenario(name)) {
        chosen.push_back({.scale = scale});
        continue;
      }
      if (s == nullptr) {
        err << fmt::format("error: unknown scenario \"{}\"; valid names: {}\n", name, ValidNames());
        return kExitUsage;
      }
      chosen.push_back({.engine = s});
    }
  }

  std::vector<BenchResult> results;
  for (const Chosen& s : chosen) {
    err << "running " << s.name() << " ..." << std::flush;
    const Clock::time_point start = Clock::now();
    results.push_back(s.engine         ? RunScenario(*s.engine)
                      : s.sim          ? RunSimScenario(*s.sim)
                      : s.scale        ? RunScaleScenario(*s.scale, err)
                      : s.queue->burst ? RunQueueBurst(*s.queue)
                                       : RunQueueCycles(*s.queue));
    err << fmt::format(" done in {:.1f} s\n",
                       std::chrono::duration<double>(Clock::now() - start).count());
    if (const BenchResult& r = results.back(); !r.queue_summary.empty()) {
      err << "  " << r.queue_summary << '\n';
    }
  }
  if (flags.output == "json") {
    WriteJson(results, out);
  } else {
    WriteTable(results, out);
  }
  out.flush();
  return out.good() ? kExitOk : kExitInvalidInput;
}

}  // namespace tessera::cli

// The simulator's experiments (docs/simulate.md):
//  - fill: the FGD paper's protocol. The task list is sorted by name and shuffled with the
//    seed, then inflated by drawing tasks with replacement until the GPU demand would pass
//    `tune` x capacity; tasks only arrive, each gets one placement attempt, and allocation
//    and fragmentation are sampled after every task against the arrived GPU demand.
//    With an explicit arrival order the list is replayed as given instead.
//  - replay: tasks arrive at creation time and leave after (deletion - creation); a task
//    that does not fit waits and is retried, in arrival order, whenever capacity frees.
// Every (policy, seed) run is independent and deterministic; Simulate runs them on up to
// `threads` threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/trace.h"
#include "sim/result.h"

namespace tessera::sim {

struct SimConfig {
  Experiment experiment = Experiment::kFill;
  std::string workload;  // a name for reports
  std::vector<model::TraceNode> nodes;
  std::vector<model::TraceTask> tasks;      // the trace's task list, as given
  std::vector<model::ArrivalRow> arrivals;  // fill: an explicit order instead of shuffling
  std::vector<std::string> policies = {"fgd"};
  std::vector<uint64_t> seeds = {42};
  double tune = 1.3;
  int threads = 1;
  // Run the invariant checker after every placement and departure (the node it touched)
  // and every 1024 decisions and at the end (the whole cluster, recomputed from the claims).
  // A broken invariant ends Simulate with an internal error naming it.
  bool check = false;
  // A scenario's queues (replay only): every task names one of its ClusterQueues, and the
  // replay admits tasks through admission cycles (tenant_replay.h) instead of in arrival order.
  std::optional<model::ScenarioQueues> queues;
};

// Called from worker threads (serialised) with the fraction of all work done, 0..1.
using Progress = std::function<void(double)>;
// Seconds since some fixed point; the core reads no clock itself. Any clock works: the
// command line passes wall time, `tessera bench` the thread's CPU time.
using WallClock = std::function<double()>;

// Validates the config (known policies, a cluster with GPUs, tasks) and runs every
// (policy, seed) combination. Errors name the offending setting.
tessera::Result<SimResult> Simulate(const SimConfig& config, const Progress& progress = {},
                                    const WallClock& clock = {});

// Mean and sample standard deviation of per-seed figures (sd 0 for one value).
Stat MeanSd(const std::vector<double>& v);

// The fill protocol's arrival order for one seed: shuffled originals, then the tuned
// copies named "<source>-tuned-<k>". Exposed for tests.
std::vector<model::TraceTask> FillOrder(std::span<const model::TraceTask> original,
                                        int64_t gpu_capacity_milli, double tune, uint64_t seed);

}  // namespace tessera::sim

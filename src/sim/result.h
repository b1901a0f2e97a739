// What a simulation produces: one Run per (policy, seed), each with its curves, and a
// per-policy summary (mean and sample standard deviation over seeds). Plain data, so that
// the command line can print it as a table, JSON or an HTML report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::sim {

enum class Experiment : uint8_t { kFill, kReplay };

// Fill curves are indexed by arrived GPU demand in whole percent of cluster GPU capacity,
// 0..kMaxArrivedPct; each value is the mean of the samples taken after every task whose
// arrived demand rounds to that percent, as the FGD authors' analysis does. A percent no
// sample rounded to holds NaN.
inline constexpr int kMaxArrivedPct = 130;

// One sample of a replay over simulated time.
struct TimePoint {
  int64_t time_s = 0;
  double allocated_gpu_pct = 0;  // GPU milli in use / capacity
  int64_t pending = 0;           // tasks waiting
  int64_t running = 0;
  double wait_p50_s = 0;  // of the tasks started so far
};

// Tenant replay (a scenario with queues): one queue's state at a point of simulated time.
// Amounts are per quota resource (SimResult::queue_resources), in display units: cpu in
// cores, memory in GiB, gpu in GPUs.
struct QueuePoint {
  int64_t time_s = 0;
  int64_t pending = 0;           // workloads waiting
  int64_t running = 0;           // workloads admitted
  std::vector<double> used;      // quota usage of the ClusterQueue
  std::vector<double> borrowed;  // max(0, used - nominal)
  // Kueue's dominant resource share of what the queue borrows, divided by its fairSharing
  // weight, as a fraction (Kueue's per-mille value / 1000); 0 without a cohort.
  double weighted_share = 0;
};

// Tenant replay: one ClusterQueue over one run.
struct QueueRun {
  std::string name;
  std::string cohort;  // empty: none
  double weight = 1;
  std::vector<double> nominal;          // per quota resource, display units
  std::vector<double> borrowing_limit;  // per quota resource; < 0: none
  int64_t tasks = 0;                    // submitted to this queue
  int64_t admissions = 0;               // a preempted and readmitted task counts again
  int64_t borrowing_admissions = 0;     // admitted while the queue borrowed
  int64_t preemptions = 0;              // evictions of this queue's workloads
  int64_t never_started = 0;
  double wait_p50_s = 0, wait_p99_s = 0;  // arrival to first admission, of those admitted
  // Time-weighted means from the first arrival to the end of the run.
  std::vector<double> used_mean;
  std::vector<double> borrowed_mean;
  double weighted_share_mean = 0;
  std::vector<QueuePoint> timeline;  // at most ~2000 points, the same times for every queue
};

// Tenant replay: Jain's fairness index over the queues with demand (docs/simulate.md).
struct FairnessPoint {
  int64_t time_s = 0;
  int64_t queues_with_demand = 0;
  double index = 1;
};

struct Run {
  std::string policy;
  uint64_t seed = 0;
  int64_t tasks = 0;      // tasks submitted
  int64_t failed = 0;     // fill: dropped; replay: never started
  int64_t decisions = 0;  // placements attempted (fill) or placements and departures (replay)
  // By the clock Simulate was given (0 without one): building the cluster and the order,
  // then deciding every task; wall_seconds is both.
  double setup_seconds = 0;
  double decide_seconds = 0;
  double wall_seconds = 0;
  // Fill: per arrived percent (size kMaxArrivedPct + 1).
  std::vector<double> allocated_gpu_pct;
  std::vector<double> fragmented_gpu_pct;  // FGD's fragmentation amount, % of all GPUs
  // Fill: allocation after the last task. Replay: the time-weighted mean allocation.
  double allocated_gpu_pct_final = 0;
  // Replay.
  std::vector<TimePoint> timeline;
  double wait_p50_s = 0, wait_p99_s = 0, wait_max_s = 0;
  // Exact replay (--arrivals with expected nodes): tasks placed on the same node as the
  // paper's policy of the same name; -1 when there is nothing to compare with.
  int64_t same_node_as_reference = -1;
  int64_t reference_compared = 0;
  // Tenant replay only (a scenario with queues).
  std::vector<QueueRun> queues;
  std::vector<FairnessPoint> fairness;  // sampled like QueueRun::timeline
  double fairness_mean = 1;             // time-weighted over the times some queue has demand
  int64_t cycles = 0, admissions = 0, preemptions = 0;
};

struct Stat {
  double mean = 0;
  double sd = 0;  // sample standard deviation; 0 for one seed
};

struct PolicySummary {
  std::string policy;
  int64_t seeds = 0;
  // At arrived = every 10 percent from 0 to 130 (fill); key = percent.
  std::vector<std::pair<int, Stat>> unallocated_gpu_pct_at_arrived;
  std::vector<std::pair<int, Stat>> fragmented_gpu_pct_at_arrived;
  Stat allocated_gpu_pct_final;
  Stat failed;
  Stat wait_p50_s, wait_p99_s, wait_max_s;  // replay
  // Tenant replay: per ClusterQueue (in the scenario's order), over seeds.
  struct Queue {
    std::string name;
    Stat admissions, preemptions, borrowing_admissions, never_started, wait_p50_s, wait_p99_s;
    std::vector<Stat> used_mean, borrowed_mean;  // per quota resource
    Stat weighted_share_mean;
  };
  std::vector<Queue> queues;
  Stat fairness_mean, preemptions;
};

struct SimResult {
  Experiment experiment = Experiment::kFill;
  std::string workload;  // scenario or pod-list name
  int64_t nodes = 0;
  int64_t gpus = 0;
  double tune = 1.3;
  // Tenant replay: the quota resources ("cpu", "memory", "gpu"; those the queues cover).
  std::vector<std::string> queue_resources;
  std::vector<Run> runs;               // ordered by policy (as asked), then seed
  std::vector<PolicySummary> summary;  // one per policy, in the order asked
  // Fill: per seed (as asked), the packing floor at arrived = 100% of that seed's order
  // (sim/packing_bound.h): the least unallocated GPU % of any run, of a run that places
  // every share, and of an offline best-fit-decreasing packer. The same for every policy;
  // empty for replay and when no sample rounds to 100.
  struct SeedFloor {
    uint64_t seed = 0;
    double any_run_pct = 0;
    double every_share_placed_pct = 0;  // NaN when no run can place every share
    double best_fit_decreasing_pct = 0;
  };
  std::vector<SeedFloor> packing_floor;
  // Over packing_floor.
  Stat packing_floor_pct, packing_floor_every_share_pct, packing_floor_bfd_pct;
};

// Fills `result.summary` from `result.runs`.
void Summarize(SimResult& result);

}  // namespace tessera::sim

// The backfill experiment (`tessera simulate --experiment backfill`, docs/backfill.md): a
// built-in scenario of 64-GPU gangs among a stream of small jobs on a 32-node, 256-GPU
// cluster, replayed under fifo, greedy and backfill (sim/gang_replay.h) for several seeds,
// with each policy's gang and small-job waits, GPU utilisation and makespan summarised over
// the seeds. Invariant: every policy of one seed replays exactly the same jobs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/gang_specs.h"
#include "model/snapshot.h"
#include "sim/gang_replay.h"
#include "sim/result.h"
#include "sim/simulator.h"

namespace tessera::sim {

// The scenario's generator settings. Defaults: 2 blocks x 2 racks x 8 nodes x 8 GPUs; for
// 24 hours, small jobs at 60 an hour (1, 2, 4 or 8 GPUs in 1, 2 or 4 pods, 10-90 minutes)
// and a 64-GPU gang (8 pods x 8 GPUs, half of them required to sit in one rack, 1-3 hours)
// every 2 hours on average; both Poisson. Offered GPU load is about 90% of capacity while
// jobs arrive. Declared runtimes overestimate: the actual duration times 1-2.5 (small) or
// 1-1.5 (gangs), rounded up to 15 minutes, as users pick round limits.
struct BackfillScenarioOptions {
  GangCluster cluster{.blocks = 2,
                      .racks_per_block = 2,
                      .nodes_per_rack = 8,
                      .gpus_per_node = 8,
                      .cpu_milli_per_node = 128'000,
                      .pods_per_node = 110};
  int64_t arrival_window_s = 24 * 3600;
  double small_jobs_per_hour = 60;
  double gangs_per_hour = 0.5;
  int64_t small_min_s = 10 * 60, small_max_s = 90 * 60;
  int64_t gang_min_s = 3600, gang_max_s = 3 * 3600;
  double small_overestimate_max = 2.5;  // declared = duration x U[1, this], rounded up
  double gang_overestimate_max = 1.5;
  int64_t declared_round_s = 15 * 60;
  double gang_rack_required_fraction = 0.5;
  int64_t cpu_milli_per_gpu = 12'000;
};

// The jobs for one seed, in arrival order, named "small-<i>" and "gang-<i>".
GangWorkload BackfillScenario(uint64_t seed, const BackfillScenarioOptions& options = {});

// How the experiment describes its big gangs to the JobSet lifecycle.
//  - kGang: one replicatedJob, one Job of all the gang's pods (the default; small jobs are
//    always described so).
//  - kLeaderWorkers: LeaderWorkersJobSet.
enum class JobSetShape : uint8_t { kGang, kLeaderWorkers };
Result<JobSetShape> ParseJobSetShape(std::string_view name);  // "gang", "leader-workers"
std::string_view JobSetShapeName(JobSetShape shape);

// A gang of `pods` pods (>= 2) as a leader and its workers, in the manner of upstream's
// success-policy example:
//   replicatedJobs: leader (1 Job x 1 pod), runs until the JobSet ends;
//                   workers (1 Job x pods-1 pods), dependsOn {leader, Ready}, run the job's
//                   duration; both backoffLimit 0.
//   successPolicy: {All, targetReplicatedJobs: [workers]}: done when the workers are.
//   failurePolicy: {maxRestarts, rules: [{RestartJob, targetReplicatedJobs: [workers]}]}: a
//                  failed worker restarts the workers Job alone; a failed leader falls to
//                  the default rule and restarts the whole JobSet.
// Placed in two stages: the leader when the gang is admitted, the workers once it is Ready.
GangJobSet LeaderWorkersJobSet(int32_t pods, int32_t max_restarts);

// A JobSet read from a manifest (io::LoadManifests), as the experiment's big gangs take it
// (docs/backfill.md, "JobSets from YAML"): its replicatedJobs, failurePolicy, successPolicy,
// dependsOn (startupPolicy InOrder as dependsOn Ready on the previous replicatedJob), each
// Job's backoffLimit and disruption rule, and each pod template's termination grace, in
// `jobset`; its pods' common requests and required topology in the other fields.
struct BackfillJobSet {
  std::string name;  // "<file>: JobSet <namespace>/<name>", for reports and messages
  GangJobSet jobset;
  int32_t pods = 0;
  int32_t gpus_per_pod = 0;
  int64_t cpu_milli_per_pod = 0;
  RequiredDomain required = RequiredDomain::kNone;
  // A replicatedJob's pods run the gang's duration divided by this: 1 + the most dependsOn
  // Complete links on one chain (the chain then runs about the gang's duration in all).
  int32_t duration_parts = 1;
};

// Every JobSet of `gangs` (with the pods of `snapshot`), in input order, for `cluster`.
// Errors, located at the file, the JobSet and the field: no JobSet at all; what the replay
// cannot honour — exclusive placement, restartStrategy InPlaceRestart,
// onJobFailureMessagePatterns, rules on per-index failure reasons, Job fields the lifecycle
// does not model (backoffLimitPerIndex, activeDeadlineSeconds, podFailurePolicy rules on exit
// codes, ...), completions != parallelism, a replicatedJob without pods, pods of one JobSet
// asking different cpu or GPUs, DRA claims, resources other than cpu, memory,
// ephemeral-storage and nvidia.com/gpu, a topology other than a required block or rack, or
// one that differs between replicatedJobs, startupPolicy InOrder together with dependsOn, a
// pod larger than a node or a JobSet larger than the cluster (or its block or rack).
// Appends to `warnings` what is read but not modelled: memory and ephemeral-storage requests,
// node selectors and affinity, pod priorities, restartPolicy OnFailure.
Result<std::vector<BackfillJobSet>> BackfillJobSetsFrom(const model::GangObjects& gangs,
                                                        const model::Snapshot& snapshot,
                                                        const GangCluster& cluster,
                                                        std::vector<std::string>& warnings);

// Gang `g` (one of the scenario's big gangs) as `js`: its pods, requests, topology and
// JobSet; arrival, duration and declared runtime stay the gang's. Replicated jobs that end by
// themselves run duration / duration_parts (at least 1 s); the others run until the JobSet
// ends.
void ApplyJobSet(const BackfillJobSet& js, GangJob& g);

struct BackfillConfig {
  std::vector<std::string> policies = {"fifo", "greedy", "backfill"};
  std::vector<uint64_t> seeds = {42};
  int threads = 1;
  bool check = false;  // GangReplayOptions::check on every run
  int32_t reservation_depth = 1;
  BackfillScenarioOptions scenario;
  // Failure injection through the JobSet lifecycle (GangLifecycleOptions): each pod run
  // fails with this probability; each node fails with this mean time between failures.
  // Both 0 (the default): no lifecycle, the replay is the plain one. The failures' seed is
  // the run's seed.
  double pod_failure_probability = 0;
  double node_mtbf_hours = 0;
  int32_t max_restarts = 3;  // the JobSets' failurePolicy.maxRestarts
  // The JobSet lifecycle beyond failures (all off by default): the big gangs' JobSet shape;
  // Kueue waitForPodsReady with this timeout (0: off; backoff 60 s doubling to 3600 s) and
  // backoffLimitCount (-1: none); and pods Ready a uniform 0 to pod_startup_max_s seconds
  // after their placement (seeded by the run's seed).
  JobSetShape jobset_shape = JobSetShape::kGang;
  int64_t wait_for_pods_ready_s = 0;
  int32_t backoff_limit_count = -1;
  int64_t pod_startup_max_s = 0;
  // Kueue's waitForPodsReady.blockAdmission (needs wait_for_pods_ready_s > 0).
  bool block_admission = false;
  // Kueue's waitForPodsReady.requeuingStrategy: the n-th requeue waits
  // min(base * 2^(n-1), max) seconds (Kueue's defaults 60 and 3600; no jitter, unlike Kueue)
  // and queues by the eviction or the creation time; and recoveryTimeout (-1: none, Kueue
  // v1beta1's default). All need wait_for_pods_ready_s > 0 unless left at their defaults.
  int64_t requeue_backoff_base_s = 60;
  int64_t requeue_backoff_max_s = 3600;
  RequeuingTimestamp requeue_timestamp = RequeuingTimestamp::kEviction;
  int64_t recovery_timeout_s = -1;
  bool requeuing_is_default() const {
    return requeue_backoff_base_s == 60 && requeue_backoff_max_s == 3600 &&
           requeue_timestamp == RequeuingTimestamp::kEviction && recovery_timeout_s == -1;
  }
  // JobSets read from YAML (BackfillJobSetsFrom): the i-th big gang of a seed becomes
  // jobsets[i % size]. Empty: the big gangs take jobset_shape.
  std::vector<BackfillJobSet> jobsets;
  bool stages() const {
    return jobset_shape != JobSetShape::kGang || wait_for_pods_ready_s > 0 ||
           pod_startup_max_s > 0 || !jobsets.empty();
  }
  bool lifecycle() const { return pod_failure_probability > 0 || node_mtbf_hours > 0 || stages(); }
};

struct BackfillRun {
  std::string policy;
  uint64_t seed = 0;
  int64_t jobs = 0;
  int64_t big_gangs = 0;
  WaitStats big, small;
  double gpu_utilisation_pct = 0;
  double gpu_utilisation_arriving_pct = 0;
  int64_t makespan_s = 0;
  int64_t completed = 0;
  std::array<int64_t, kGangEventKinds> event_counts{};
  int64_t passes = 0;
  int64_t engine_calls = 0;
  int64_t checked = 0;
  // Backfill: jobs whose start came later than the first reservation made for them as head
  // of the queue. Always 0 when every priority is equal (the property docs/backfill.md proves).
  int64_t head_reservations_broken = 0;
  // With failure injection (BackfillConfig::lifecycle()): as GangReplayResult.
  EventCounts lifecycle_counts{};
  int64_t failed = 0;
  int64_t pod_failures = 0;
  int64_t node_failures = 0;
  int64_t node_failures_hit = 0;
  int64_t replacements = 0;
  int64_t evictions = 0;
  int64_t deactivated = 0;
  int64_t stuck = 0;
  int64_t admissions_held = 0;  // blockAdmission: as GangReplayResult
  WaitStats big_ready;      // big gangs: arrival to the first PodsReady
  double wall_seconds = 0;  // by the clock given (0 without one)
};

struct BackfillSummary {
  std::string policy;
  int64_t seeds = 0;
  // Mean and sample sd over seeds of each run's figure.
  Stat big_p50_s, big_p99_s, big_max_s, big_mean_s;
  Stat small_p50_s, small_p99_s, small_mean_s;
  Stat gpu_utilisation_pct, gpu_utilisation_arriving_pct, makespan_s;
  // With the lifecycle: big gangs' wait from arrival to their first PodsReady, over the
  // seeds in which some gang got there (big_ready_seeds of them).
  Stat big_ready_p50_s;
  int64_t big_ready_seeds = 0;
};

struct BackfillResult {
  std::string workload;
  int64_t nodes = 0;
  int64_t gpus = 0;
  int32_t reservation_depth = 1;
  bool lifecycle = false;  // failure injection was on (the three knobs below)
  double pod_failure_probability = 0;
  double node_mtbf_hours = 0;
  int32_t max_restarts = 0;
  bool stages = false;  // BackfillConfig::stages(): the four knobs below
  JobSetShape jobset_shape = JobSetShape::kGang;
  int64_t wait_for_pods_ready_s = 0;
  int32_t backoff_limit_count = -1;
  int64_t pod_startup_max_s = 0;
  bool block_admission = false;
  int64_t requeue_backoff_base_s = 60;  // as BackfillConfig
  int64_t requeue_backoff_max_s = 3600;
  RequeuingTimestamp requeue_timestamp = RequeuingTimestamp::kEviction;
  int64_t recovery_timeout_s = -1;       // -1: none
  std::vector<std::string> jobsets;      // BackfillJobSet::name of each, in order
  std::vector<BackfillRun> runs;         // by policy (as asked), then seed
  std::vector<BackfillSummary> summary;  // one per policy, in the order asked
};

// Runs every (policy, seed) on up to `threads` threads. Errors: an unknown policy, no seeds,
// a negative timeout or start-up, a backoffLimitCount below -1, blockAdmission or a
// non-default requeuingStrategy or recoveryTimeout without a timeout, a backoff base or
// maximum outside [0, 2^31-1] (ValidateWaitForPodsReady), a recoveryTimeout below -1,
// JobSets together with the leader-workers shape, or a replay error (see ReplayGangs).
Result<BackfillResult> RunBackfillExperiment(const BackfillConfig& config,
                                             const Progress& progress = {},
                                             const WallClock& clock = {});

}  // namespace tessera::sim

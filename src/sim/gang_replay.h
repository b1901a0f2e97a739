// A discrete-event replay of gang jobs on a GPU cluster, driven through the engine's
// incremental API (Engine::PlaceGang / Engine::Release), under three queueing policies:
//  - fifo: strict head of line; nothing behind a blocked job starts.
//  - greedy: first fit; any job that fits starts, in queue order. Big gangs can starve.
//  - backfill: EASY backfill with reservations, as Slurm's sched/backfill. When a job does
//    not fit, it gets a reservation: the earliest time T at which, releasing the running jobs
//    in order of their declared end (start + declared runtime), it would fit, and the whole
//    nodes it would use then. A later job starts now only if it stays off every reservation
//    whose T falls before its own declared end. Recomputed at every scheduling pass.
// Invariant: the node-level fit model here is exact for the jobs it accepts (homogeneous
// pods asking cpu and nvidia.com/gpu, optionally all in one block or rack): it says "fits"
// exactly when Engine::PlaceGang places the gang. With `check` every attempt is asked of both
// and a disagreement ends the replay with an internal error. That exactness is what makes
// the backfill guarantee hold: the job at the head of the queue never starts later than the
// first reservation made for it (docs/backfill.md has the argument).
//
// Worked example (GangReplayTest.BackfillStartsWhatEndsBeforeTheReservationAndTheGangExactlyThen):
// 2 nodes x 8 GPUs; job a (1 pod x 8 GPUs, runtime 10) runs from t=0 on node 0. Gang g
// (2 pods x 8 GPUs) arrives at t=1 and does not fit: releasing a at its declared end, g fits
// at T=10 on both nodes, which are reserved for [10, 20). 4-GPU jobs declaring 4 s arrive
// every 2 s from t=2: those arriving at 2, 4 and 6 end by 10 and start at once on node 1;
// the one arriving at 8 would run past 10 on a reserved node and waits. At t=10 a leaves and
// g starts, exactly at T. Under fifo none of the small jobs starts before g; under greedy
// node 1 is never empty while the stream lasts and g waits until t=34.
// With the lifecycle (GangLifecycleOptions) a job is a JobSet whose pods are placed in
// stages, each stage a gang of its own: all of it at once without dependsOn, the leader and
// then its workers with dependsOn, a restarted Job alone (docs/lifecycle.md, "How the
// simulator drives it"). The fit model stays exact because a stage is a gang of identical
// pods; the backfill guarantee above holds only without the lifecycle.
// Not thread-safe; ReplayGangs keeps all of its state local, so runs may go on many threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "placement/scorers.h"
#include "sim/lifecycle.h"

namespace tessera::sim {

enum class GangPolicy : uint8_t { kFifo, kGreedy, kBackfill };

// "fifo", "greedy" or "backfill"; an error lists the valid names.
Result<GangPolicy> ParseGangPolicy(std::string_view name);
std::string_view GangPolicyName(GangPolicy policy);
std::span<const std::string_view> GangPolicyNames();

// The topology labels every node carries: block and rack (values unique cluster-wide, e.g.
// "b00" and "b00-r01") and kubernetes.io/hostname.
inline constexpr std::string_view kBlockLabel = "cloud.provider.com/topology-block";
inline constexpr std::string_view kRackLabel = "cloud.provider.com/topology-rack";
inline constexpr std::string_view kGpuResource = "nvidia.com/gpu";

// A regular cluster: blocks x racks per block x nodes per rack identical GPU nodes, named
// "b00-r00-n00" in (block, rack, node) order, which is also NodeId order.
struct GangCluster {
  int32_t blocks = 1;
  int32_t racks_per_block = 4;
  int32_t nodes_per_rack = 8;
  int32_t gpus_per_node = 8;
  int64_t cpu_milli_per_node = 128'000;
  int32_t pods_per_node = 110;

  int32_t racks() const { return blocks * racks_per_block; }
  int32_t nodes() const { return racks() * nodes_per_rack; }
  int64_t gpus() const { return int64_t{nodes()} * gpus_per_node; }
};

// Where all pods of a job must be (Kueue podset-required-topology, KAI
// requiredTopologyLevel): anywhere, one block, or one rack.
enum class RequiredDomain : uint8_t { kNone, kBlock, kRack };

// How the replay runs the pods of one replicatedJob of a GangJobSet.
inline constexpr int64_t kUntilJobSetEnds = -1;
struct GangPodTiming {
  // How long each pod runs once placed, its start-up included; then it succeeds. 0: the
  // job's duration_s. kUntilJobSetEnds: it never ends by itself (a driver or a server); the
  // JobSet ends it when its successPolicy is met through other replicatedJobs.
  int64_t run_s = 0;
  // Seconds from placement to Ready; -1: drawn from GangLifecycleOptions' start-up range.
  // A pod whose run ends first succeeds without having been Ready.
  int64_t startup_s = -1;
  // terminationGracePeriodSeconds, as the replay applies it: a deleted pod keeps its node
  // this long before it is gone (OldJobGone). 0: gone at once. Pods of a JobSet that
  // finished or was evicted leave at once.
  int64_t termination_s = 0;
};

// A job described as a JobSet (docs/lifecycle.md, "How the simulator drives it"). Every
// replicatedJob has parallelism == completions (each Job runs all its pods at once), and
// replicas x parallelism over all replicatedJobs adds up to the job's pods, numbered Job by
// Job as JobSetLifecycle numbers them: with {leader: 1 x 1, workers: 1 x 7}, pod 0 is the
// leader's, pods 1-7 the workers'. Every pod asks the job's cpu and GPUs. The spec's name
// is replaced by the job's.
struct GangJobSet {
  JobSetSpec spec;
  std::vector<GangPodTiming> timing;  // per replicatedJob; empty: every default
};

// A job: a gang of `pods` identical pods, placed all or nothing.
struct GangJob {
  std::string name;  // unique; its pods are "<name>-<i>"
  int32_t pods = 1;
  int32_t gpus_per_pod = 0;
  int64_t cpu_milli_per_pod = 1000;
  RequiredDomain required = RequiredDomain::kNone;
  int32_t priority = 0;  // higher first; equal priorities go by arrival
  int64_t arrival_s = 0;
  int64_t duration_s = 1;  // how long it actually runs once started (> 0)
  // Its runtime limit, as Kueue's maximumExecutionTimeSeconds or Slurm's --time: the
  // planner's only knowledge of when it ends. Requires >= duration_s.
  int64_t declared_s = 1;
  // With the lifecycle (GangLifecycleOptions::enable): the job as a JobSet of several
  // replicatedJobs (GangJobSet). Absent: one replicatedJob with one Job of all its pods.
  std::optional<GangJobSet> jobset;
  // Whether the wait statistics count it as a big gang; nullopt: when gpus() >=
  // GangReplayOptions::big_gang_gpus (a JobSet read from YAML may ask for fewer GPUs).
  std::optional<bool> is_big_gang;

  int64_t gpus() const { return int64_t{pods} * gpus_per_pod; }
};

struct GangWorkload {
  std::string name;  // for reports
  GangCluster cluster;
  std::vector<GangJob> jobs;
};

// A pod failure injected at a known time: pod `pod` of job `job` (numbered as in
// GangJobSet) fails `after_s` seconds into its run number `run` (0: the pod's first
// placement, 1: its second...). A failure at or past the run's end does not happen.
struct GangPodFailure {
  int32_t job = 0;
  int32_t pod = 0;
  int32_t run = 0;
  int64_t after_s = 1;
};

// Drives one JobSetLifecycle (sim/lifecycle.h) per job. A job without a GangJobSet is a
// JobSet of one Job with parallelism = completions = its pods, backoffLimit 0 (a gang with a
// failed member is failed) and failurePolicy {maxRestarts, no rules: RestartJobSet}; with
// one, its own spec. The replay carries out the lifecycle's actions:
//  - the pods the lifecycle creates together (at admission, when dependsOn lets the next
//    replicatedJob start, when a Job is recreated) are one stage, placed through the engine
//    as one gang (all or nothing) in the job's queue place; the first stage's placement is
//    the workload's admission (Admitted);
//  - a placed pod becomes Ready after its start-up delay and succeeds after its run; a pod
//    that succeeds or fails leaves its node at once; injected failures fail pods (kError)
//    or every pod on a failed node (kDisruption);
//  - DeleteJob releases the Job's pods (after its termination grace) and reports them gone;
//    CompleteJobSet and FailJobSet release everything and end the job;
//  - with waitForPodsReady, the lifecycle's timer runs in simulated time: EvictWorkload
//    releases every pod and queues the job again at the requeue time, ordered by the queue
//    key; DeactivateWorkload releases every pod and ends the job.
// Without a GangJobSet, start-up delays or waitForPodsReady, and without failures, the
// replay's numbers are those of the plain replay (a test checks it).
struct GangLifecycleOptions {
  bool enable = false;
  int32_t max_restarts = 3;  // jobs without a GangJobSet
  // Each pod of each run fails with this probability, at a uniform time inside the run.
  double pod_failure_probability = 0;
  // Mean time between failures of one node (0: none). Failures hit the cluster as a Poisson
  // stream of rate nodes / MTBF, each on a uniformly drawn node that is replaced at once.
  double node_mtbf_s = 0;
  uint64_t seed = 1;
  std::vector<GangPodFailure> injected;
  // Kueue's waitForPodsReady for every workload (off by default). With its block_admission,
  // a job whose next placement is an admission (its first stage, or its first after an
  // eviction) waits while any admitted job is not PodsReady (not yet, or not any more after a
  // pod failed: Kueue's PodsReady=False while it recovers); stages of admitted
  // jobs (dependsOn, restarts) are not admissions and go on. A held job neither starts nor
  // gets a reservation, and does not stop the walk under fifo.
  WaitForPodsReadyConfig wait_for_pods_ready;
  // A pod's start-up delay (GangPodTiming::startup_s -1): uniform in [min, max] seconds,
  // seeded, drawn once per placement. Both 0: Ready as soon as it is placed.
  int64_t startup_min_s = 0;
  int64_t startup_max_s = 0;
};

struct GangReplayOptions {
  GangPolicy policy = GangPolicy::kBackfill;
  // backfill: how many blocked jobs, in queue order, get a reservation in each pass (Slurm
  // reserves for every job it tests; EASY backfill for the head only). At least 1.
  int32_t reservation_depth = 1;
  // Jobs with at least this many GPUs count as big gangs in the wait statistics.
  int64_t big_gang_gpus = 64;
  // The engine's node scorer (pods of a gang that has no topology constraint, and the nodes
  // inside a domain): most-allocated packs small jobs onto busy nodes and keeps whole nodes
  // free for whole-node pods, as GPU clusters are usually run.
  placement::ScorePolicy score = placement::ScorePolicy::kMostAllocated;
  // After every start: no node over its allocatable (dra::CheckNodes), every pod of the job
  // placed, the required domain honoured; every 256 starts and at the end, the engine's
  // full check, and at the end every node empty again. Every fit the model answers, yes or
  // no, is asked of the engine as well. A failure ends the replay with an internal error.
  bool check = false;
  bool keep_events = true;  // fill GangReplayResult::events (counts are always kept)
  GangLifecycleOptions lifecycle;
};

enum class GangEventKind : uint8_t {
  kArrive,
  kStart,
  kEnd,
  kReserve,       // a job got its first reservation
  kReserveMoved,  // a later pass gave it a different time or different nodes
  // waitForPodsReady.blockAdmission: job `job` is admitted and not PodsReady (not yet, or it
  // lost it), so no other workload is admitted (kAdmissionBlocked), until it is PodsReady
  // (again) or leaves: evicted, deactivated, finished (kAdmissionUnblocked).
  kAdmissionBlocked,
  kAdmissionUnblocked,
};
inline constexpr int kGangEventKinds = 7;
std::string_view GangEventKindName(GangEventKind kind);

struct GangEvent {
  int64_t time_s = 0;
  GangEventKind kind = GangEventKind::kArrive;
  int32_t job = 0;                // index into GangWorkload::jobs
  int64_t reserved_start_s = -1;  // kReserve, kReserveMoved: the reservation's time T
  std::vector<int32_t> nodes;     // kStart: the nodes its pods went to; kReserve*: reserved
  int32_t pods = 0;               // kStart, kReserve*: pods of the stage (all, without stages)
};

struct GangJobOutcome {
  int64_t start_s = -1;  // -1: never started
  int64_t end_s = -1;
  std::vector<int32_t> nodes;  // distinct node indices its pods ran on, ascending
  // backfill: T of the first reservation made for it while it was the first blocked job of
  // the queue (-1: never); with equal priorities it never starts later than this.
  int64_t head_reservation_s = -1;
  int32_t reservations = 0;  // reservations made or moved for it
  // With the lifecycle: start_s is the first placement (the admission), end_s when the
  // JobSet finished (-1: never, see stuck).
  int32_t runs = 0;          // stages placed: 1 + re-placements for a one-stage JobSet
  int64_t ready_s = -1;      // first PodsReady (without the lifecycle: start_s)
  bool failed = false;       // the JobSet Failed (e.g. maxRestarts used up)
  bool deactivated = false;  // waitForPodsReady timed out past backoffLimitCount
  // Nothing more could happen to it: its remaining pods wait for nodes that pods of its own
  // or of other stuck jobs hold for ever (a dependsOn deadlock that waitForPodsReady breaks).
  bool stuck = false;
};

// One lifecycle transition in the replay's log: the job and the lifecycle's Event, and
// (with keep_events) the event as JobSetLifecycle::FormatEvent renders it, e.g.
// "10 JobFailed workers-0 BackoffLimitExceeded".
struct GangLifecycleEvent {
  int32_t job = 0;
  Event event;
  std::string text;
};

struct WaitStats {
  int64_t jobs = 0;  // jobs that started
  double mean_s = 0;
  int64_t p50_s = 0, p99_s = 0, max_s = 0;  // nearest rank
};

struct GangReplayResult {
  GangPolicy policy = GangPolicy::kBackfill;
  std::vector<GangJobOutcome> jobs;  // per job, in workload order
  std::vector<GangEvent> events;     // in time order (options.keep_events)
  std::array<int64_t, kGangEventKinds> event_counts{};
  WaitStats big;    // jobs with >= big_gang_gpus GPUs (or GangJob::is_big_gang)
  WaitStats small;  // the others
  // Time-weighted GPUs allocated / cluster GPUs, from the first arrival to the last end.
  double gpu_utilisation_pct = 0;
  // The same from the first arrival to the last: while work keeps arriving, before the
  // queue drains (0 when every job arrives at once).
  double gpu_utilisation_arriving_pct = 0;
  int64_t makespan_s = 0;  // first arrival to last end
  int64_t completed = 0;
  int64_t passes = 0;        // scheduling passes (one per distinct event time)
  int64_t engine_calls = 0;  // Engine::PlaceGang calls
  int64_t checked = 0;       // starts verified (options.check)
  // Lifecycle (options.lifecycle.enable): every transition of every job's JobSetLifecycle,
  // counted by kind and (options.keep_events) logged in time order.
  EventCounts lifecycle_counts{};
  std::vector<GangLifecycleEvent> lifecycle_events;
  int64_t failed = 0;             // jobs whose JobSet Failed
  int64_t pod_failures = 0;       // injected pod failures that hit a running pod
  int64_t node_failures = 0;      // node failures drawn
  int64_t node_failures_hit = 0;  // of them, on a node with running pods
  int64_t replacements = 0;       // stages with a pod placed before (after a restart...)
  int64_t evictions = 0;          // waitForPodsReady timeouts that requeued a workload
  int64_t deactivated = 0;        // workloads deactivated (GangJobOutcome::deactivated)
  int64_t stuck = 0;              // jobs left stuck at the end (GangJobOutcome::stuck)
  WaitStats big_ready;            // big gangs: arrival to the first PodsReady
  // blockAdmission: how often a pass held back a job that waited to be admitted.
  int64_t admissions_held = 0;
};

// Builds the cluster and a pending pod for every pod of every job, creates one engine and
// replays the jobs. Errors (kInvalidArgument, naming the job): a job with no pods, negative
// resources, duration <= 0, declared < duration, a duplicate name, or one that could not
// fit even on the empty cluster; with options.lifecycle, a probability outside [0, 1], a
// negative MTBF or maxRestarts, an injected failure naming no pod, a start-up range out of
// order, blockAdmission without waitForPodsReady.enable, a GangJobSet the lifecycle rejects (ValidateJobSetSpec) or the replay cannot run
// (parallelism != completions, pods that do not add up, a successPolicy no pod can ever
// meet), or a job placed more than 10,000 times (a failurePolicy that never gives up on
// pods that keep failing). An internal error means the
// fit model and the engine disagreed or a check failed (a bug). Deterministic: same workload and
// options, same result.
Result<GangReplayResult> ReplayGangs(const GangWorkload& workload,
                                     const GangReplayOptions& options);

}  // namespace tessera::sim

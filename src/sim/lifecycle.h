// The lifecycle of one JobSet after it is queued: Kueue admission and waitForPodsReady
// (timeout, eviction, requeue with exponential backoff, deactivation), the JobSet controller
// (dependsOn start order, successPolicy, failurePolicy rules with maxRestarts, the Recreate and
// BlockingRecreate restart strategies) and, underneath, the batch/v1 Job controller
// (parallelism, completions, backoffLimit, a podFailurePolicy rule for disruptions).
// It is a pure state machine: the simulator feeds it inputs stamped with simulated time (pod
// became ready, pod failed, old pods gone, a timer fired) and carries out the actions it
// returns (create a Job or a pod, delete a Job, evict and requeue the workload, ...).
// docs/lifecycle.md describes the semantics, the evidence behind them and what is simplified.
//
// Invariants: inputs arrive at non-decreasing times, and no input other than Tick arrives
// after NextDeadline(); every transition appends exactly one Event and bumps exactly one
// counter; actions come out in the order the simulator must apply them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tessera::sim {

// ---------------------------------------------------------------------------------------
// Specs: the parts of a JobSet and of Kueue's configuration the lifecycle needs. Defaults are
// the APIs' own (jobset.x-k8s.io/v1alpha2, batch/v1, Kueue's Configuration).

// dependsOn[].status: start a replicatedJob once the named earlier one is Ready (every Job
// has all its pods ready or succeeded) or Complete (every Job succeeded).
enum class DependsOnStatus : uint8_t { kReady, kComplete };

struct DependsOnSpec {
  std::string name;  // an earlier replicatedJob
  DependsOnStatus status = DependsOnStatus::kReady;
};

// What the Job's podFailurePolicy does with a pod that failed because of a disruption (the
// pod carries the DisruptionTarget condition: node failure, drain, preemption).
enum class DisruptionPolicy : uint8_t {
  kCount,    // no matching rule: counts against backoffLimit like any failure (the default)
  kFailJob,  // rule `action: FailJob, onPodConditions: [DisruptionTarget]`: the Job fails
             // at once with reason PodFailurePolicy
  kIgnore,   // rule `action: Ignore`: replaced without counting against backoffLimit
};

struct ReplicatedJobSpec {
  std::string name;
  int32_t replicas = 1;       // Jobs made from the template; JobSet defaults it to 1
  int32_t parallelism = 1;    // pods of one Job running at once; Kubernetes defaults it to 1
  int32_t completions = -1;   // pods that must succeed (Indexed: one per index); -1: parallelism
  int32_t backoff_limit = 6;  // failed pods a Job tolerates; one more fails it. Default 6.
  DisruptionPolicy on_disruption = DisruptionPolicy::kCount;
  // Upstream allows exactly one entry, and none on the first replicatedJob.
  std::optional<DependsOnSpec> depends_on;

  int32_t EffectiveCompletions() const { return completions < 0 ? parallelism : completions; }
};

enum class FailurePolicyAction : uint8_t {
  kFailJobSet,
  kRestartJobSet,
  kRestartJobSetAndIgnoreMaxRestarts,
  kRestartJob,
  kRestartJobAndIgnoreMaxRestarts,
};

// The reason on a failed Job's Failed condition, which onJobFailureReasons matches.
enum class JobFailureReason : uint8_t {
  kBackoffLimitExceeded,
  kDeadlineExceeded,
  kPodFailurePolicy,
};

enum class RestartStrategy : uint8_t {
  kRecreate,          // each Job is recreated as soon as its own old copy is gone (default)
  kBlockingRecreate,  // no Job is created while any Job of an older copy still has pods
};

struct FailurePolicyRule {
  std::string name;
  FailurePolicyAction action = FailurePolicyAction::kRestartJobSet;
  std::vector<std::string> target_replicated_jobs;       // empty: every replicatedJob
  std::vector<JobFailureReason> on_job_failure_reasons;  // empty: any reason
};

struct FailurePolicySpec {
  int32_t max_restarts = 0;
  RestartStrategy restart_strategy = RestartStrategy::kRecreate;
  std::vector<FailurePolicyRule> rules;  // first match wins; no match: RestartJobSet
};

enum class SuccessOperator : uint8_t { kAll, kAny };

struct SuccessPolicySpec {
  SuccessOperator op = SuccessOperator::kAll;
  std::vector<std::string> target_replicated_jobs;  // empty: every replicatedJob
};

struct JobSetSpec {
  std::string name;
  std::vector<ReplicatedJobSpec> replicated_jobs;
  // Absent: the first failed Job fails the JobSet (upstream executeFailurePolicy). Present
  // with no matching rule: RestartJobSet.
  std::optional<FailurePolicySpec> failure_policy;
  SuccessPolicySpec success_policy;
};

// Kueue Configuration waitForPodsReady.requeuingStrategy.
enum class RequeuingTimestamp : uint8_t {
  kEviction,  // an evicted workload queues by its eviction time: the back of its priority
  kCreation,  // by its creation time: back where it was
};

struct RequeuingStrategy {
  RequeuingTimestamp timestamp = RequeuingTimestamp::kEviction;
  int64_t backoff_base_s = 60;
  int64_t backoff_max_s = 3600;
  // Requeues allowed; one more timeout deactivates the workload. nullopt: unlimited.
  std::optional<int32_t> backoff_limit_count;
};

struct WaitForPodsReadyConfig {
  bool enable = false;
  int64_t timeout_s = 300;  // Kueue defaults it to 5 minutes
  RequeuingStrategy requeuing_strategy;
  // After the workload was PodsReady once and lost it (a pod failed, a restart): how long it
  // may take to recover. nullopt: no limit (Kueue's default).
  std::optional<int64_t> recovery_timeout_s;
  // blockAdmission: admit nothing while an admitted workload is not PodsReady (before its
  // first PodsReady, or after losing it) unless it leaves (evicted by the timeout, finished).
  // An admission-loop setting: JobSetLifecycle ignores it; the simulator asks pods_ready() of
  // every admitted workload.
  bool block_admission = false;
};

// Checks what the APIs' validation would reject: empty or duplicate names, counts out of
// range, dependsOn on the first replicatedJob or on a later or unknown one, rule or success
// targets that name no replicatedJob, RestartJob with more than 1024 replicas, negative
// backoff settings. Errors name the JobSet and the field, e.g.
// `JobSet train: spec.replicatedJobs[1].dependsOn[0].name: "x" is not an earlier replicatedJob`.
Status ValidateJobSetSpec(const JobSetSpec& spec);
Status ValidateWaitForPodsReady(const WaitForPodsReadyConfig& config);

// ---------------------------------------------------------------------------------------
// Inputs, outputs and state.

// Why a pod failed. A disruption is a failure the pod did not cause (its node failed or was
// drained): the pod gets the DisruptionTarget condition that podFailurePolicy can match.
enum class PodFailureCause : uint8_t { kError, kDisruption };

// A pod by its Job (an index from JobSetLifecycle::JobIndex) and completion index.
struct PodRef {
  int32_t job = 0;
  int32_t pod = 0;
};

enum class ActionKind : uint8_t {
  kCreateJob,           // job, generation: the Job object exists; its pods follow as kCreatePod
  kCreatePod,           // job, generation, pod: a pod for completion index `pod` wants a node
  kDeleteJob,           // job, generation: delete the Job and its pods (foreground); once they
                        // are gone, say so with OldJobGone or OldPodsGone
  kCompleteJobSet,      // the JobSet Completed: delete every pod it still has, release quota
  kFailJobSet,          // the JobSet Failed: the same
  kEvictWorkload,       // PodsReadyTimeout: delete every pod (terminating ones too), release
                        // quota; queue it again from requeue_at_s, ordered by queue_key_time_s
  kDeactivateWorkload,  // PodsReadyTimeout past backoffLimitCount: delete every pod, release
                        // quota, never queue it again
};

struct Action {
  ActionKind kind = ActionKind::kCreateJob;
  int64_t time_s = 0;
  int32_t job = -1;
  int32_t generation = -1;
  int32_t pod = -1;
  int64_t requeue_at_s = 0;      // kEvictWorkload
  int64_t queue_key_time_s = 0;  // kEvictWorkload: Eviction or Creation timestamp

  bool operator==(const Action&) const = default;
};

// Every transition the lifecycle makes. `job`, `pod`, `detail` and `value` mean what the
// comment says for each kind; -1 / 0 otherwise.
enum class EventKind : uint8_t {
  // The workload (Kueue).
  kAdmitted,
  kPodsReady,     // every Job is ready or succeeded
  kPodsNotReady,  // no longer so after it was (a pod failed, a restart)
  kEvicted,       // PodsReadyTimeout; detail: requeue count n, value: requeue time
  kDeactivated,   // PodsReadyTimeout after backoffLimitCount requeues; detail: requeues
  // The JobSet.
  kJobSetRestarted,  // job: the failed Job; detail: rule index (-1: default rule);
                     // value: 1 if it counts toward maxRestarts
  kJobRestarted,     // RestartJob: the same fields
  kJobSetCompleted,
  kJobSetFailed,  // job: the failed Job (-1 if none); detail: a JobSetFailureReason
  // One Job.
  kJobCreated,   // detail: generation
  kJobReady,     // every pod of the Job is ready or succeeded
  kJobNotReady,  // a ready Job lost a pod but keeps running
  kJobSucceeded,
  kJobFailed,     // detail: a JobFailureReason
  kJobDeleted,    // detail: generation of the deleted copy
  kJobGone,       // its old copy's pods are gone; detail: that generation
  kJobSuspended,  // the workload was evicted; its pods are deleted
  kJobResumed,    // re-admitted; its unfinished pods are created again
  // One pod.
  kPodCreated,
  kPodScheduled,
  kPodReady,
  kPodSucceeded,
  kPodFailed,  // detail: a PodFailureCause
};
inline constexpr int kEventKindCount = static_cast<int>(EventKind::kPodFailed) + 1;
using EventCounts = std::array<int64_t, kEventKindCount>;

enum class JobSetFailureReason : uint8_t {
  kFailedJobs,          // no failurePolicy: a Job failed
  kFailJobSetAction,    // a FailJobSet rule matched
  kReachedMaxRestarts,  // a counted restart was due with maxRestarts used up
};

struct Event {
  int64_t time_s = 0;
  EventKind kind = EventKind::kAdmitted;
  int32_t job = -1;
  int32_t pod = -1;
  int32_t detail = 0;
  int64_t value = 0;

  bool operator==(const Event&) const = default;
};

enum class WorkloadState : uint8_t {
  kQueued,    // waiting for admission: never admitted yet, or evicted and requeued
  kAdmitted,  // running
  kCompleted,
  kFailed,
  kDeactivated,
};

enum class JobState : uint8_t {
  kPending,  // not created in this run: waiting for admission, dependsOn or its old copy
  kActive,   // created, not finished
  kSucceeded,
  kFailed,       // only between a failure and the failurePolicy acting on it (same input)
  kSuspended,    // the workload was evicted; resumes on the next admission
  kTerminating,  // deleted; waiting for OldJobGone / OldPodsGone
};

std::string_view EventKindName(EventKind kind);
std::string_view ActionKindName(ActionKind kind);
std::string_view FailurePolicyActionName(FailurePolicyAction action);
std::string_view JobFailureReasonName(JobFailureReason reason);
std::string_view JobSetFailureReasonName(JobSetFailureReason reason);
std::string_view PodFailureCauseName(PodFailureCause cause);

struct LifecycleOptions {
  // Keep every Event (events()). Counts are always kept; a long simulation of many JobSets
  // may turn the log off and read only counts().
  bool keep_event_log = true;
};

// One JobSet's lifecycle. Jobs are numbered replicatedJob by replicatedJob, replica by
// replica: with replicatedJobs {leader: 1, workers: 2}, job 0 is leader-0, jobs 1 and 2 are
// workers-0 and workers-1. Pods are numbered by completion index within their Job.
//
// A typical run with waitForPodsReady, timeout 300 s: Admitted(0) creates every Job and its
// pods; the pods are never all ready, so Tick(300) evicts the workload and asks for a requeue
// at 360 (base 60 s); Admitted(400) resumes every Job; the pods become ready (PodsReady), then
// succeed; the last success completes the JobSet.
//
// Inputs about a Job that is not active (being deleted, suspended, or finished) and inputs
// after the JobSet finished are ignored and return false: they are old pods reporting late.
// Inputs that contradict the state (a pod that is not running becomes ready, an index out of
// range, time going backwards) are bugs in the caller and fail a TESSERA_CHECK.
// Not thread-safe; owned by the simulator's thread. Copyable: a copy is an independent run.
class JobSetLifecycle {
 public:
  // Validates both specs (ValidateJobSetSpec, ValidateWaitForPodsReady). `creation_time_s`
  // is the workload's creation timestamp, the queue key under RequeuingTimestamp::kCreation.
  static Result<JobSetLifecycle> Create(JobSetSpec spec, WaitForPodsReadyConfig config,
                                        int64_t creation_time_s, LifecycleOptions options = {});

  // --- Inputs. Each applies the change, then reconciles like the controllers do: failed Jobs
  // go through the failurePolicy, then the successPolicy is checked, then Jobs whose turn has
  // come are created or resumed, then the workload's PodsReady condition is updated.

  // Kueue admitted the workload (first time or after an eviction). Requires kQueued.
  void Admitted(int64_t now_s);
  // A pod was bound to a node.
  bool PodScheduled(int64_t now_s, int32_t job, int32_t pod);
  bool PodReady(int64_t now_s, int32_t job, int32_t pod);
  bool PodSucceeded(int64_t now_s, int32_t job, int32_t pod);
  bool PodFailed(int64_t now_s, int32_t job, int32_t pod, PodFailureCause cause);
  // A node failed: every listed pod (the pods bound to it, each once) fails with a disruption,
  // then one reconcile sees all the Jobs that failed together (the rules pick among them in
  // failure order). Returns how many pods were affected.
  int NodeFailed(int64_t now_s, std::span<const PodRef> pods);
  // The Job failed for a reason the lifecycle does not model itself (activeDeadlineSeconds:
  // kDeadlineExceeded), or an injected failure.
  bool JobFailed(int64_t now_s, int32_t job, JobFailureReason reason);
  // The deleted copy of `job` has no pods left.
  bool OldJobGone(int64_t now_s, int32_t job);
  // Every deleted copy has no pods left. Returns how many Jobs that released.
  int OldPodsGone(int64_t now_s);
  // Fires the waitForPodsReady timer if it is due (now_s >= NextDeadline()).
  void Tick(int64_t now_s);
  // When the simulator must call Tick next; nullopt: no timer runs.
  std::optional<int64_t> NextDeadline() const;

  // --- Outputs.
  const std::vector<Action>& actions() const { return actions_; }
  void ClearActions() { actions_.clear(); }
  const std::vector<Event>& events() const { return events_; }
  const EventCounts& counts() const { return counts_; }
  int64_t count(EventKind kind) const { return counts_[static_cast<size_t>(kind)]; }

  // --- State.
  const JobSetSpec& spec() const { return spec_; }
  WorkloadState state() const { return state_; }
  bool finished() const;
  int32_t job_count() const { return static_cast<int32_t>(jobs_.size()); }
  JobState job_state(int32_t job) const;
  int32_t job_generation(int32_t job) const;
  // The Job for replica `replica` of replicatedJob `replicated_job` (an index into spec).
  int32_t JobIndex(int32_t replicated_job, int32_t replica) const;
  // "<replicatedJob>-<replica>", the suffix of the Job name JobSet makes.
  std::string JobName(int32_t job) const;
  int32_t restarts() const { return restarts_; }  // whole-JobSet restarts (status.restarts)
  // Restarts that count toward maxRestarts, whole-JobSet and single-Job together.
  int32_t restarts_count_towards_max() const;
  int32_t job_restarts(int32_t job) const;  // RestartJob restarts of one Job
  int32_t requeue_count() const { return requeue_count_; }
  // Admitted and every Job ready or succeeded (Kueue's PodsReady condition).
  bool pods_ready() const { return state_ == WorkloadState::kAdmitted && pods_ready_; }
  // Admitted and not PodsReady even once since: what Kueue's waitForPodsReady.blockAdmission
  // waits on before it admits the next workload.
  bool waiting_for_pods_ready() const {
    return state_ == WorkloadState::kAdmitted && !was_pods_ready_;
  }

  // "t Kind [job[/pod]] [detail]", e.g. "10 JobFailed workers-1 BackoffLimitExceeded".
  std::string FormatEvent(const Event& event) const;
  // "t Kind ...", e.g. "10 DeleteJob workers-1 gen=0", "300 EvictWorkload at=360 key=300".
  std::string FormatAction(const Action& action) const;

 private:
  enum class PodPhase : uint8_t { kNotStarted, kPending, kScheduled, kReady, kSucceeded };

  struct JobRun {
    int32_t replicated_job = 0;
    JobState state = JobState::kPending;
    int32_t generation = -1;  // of the current or last copy; -1: never created
    int32_t failed_pods = 0;
    int32_t succeeded_pods = 0;
    int32_t ready_pods = 0;
    int32_t running_pods = 0;  // pending, scheduled or ready
    bool ready = false;
    int64_t failure_seq = 0;
    JobFailureReason failure_reason = JobFailureReason::kBackoffLimitExceeded;
    int32_t restarts = 0;
    int32_t restarts_counted = 0;
    std::vector<PodPhase> pods;  // by completion index
  };

  JobSetLifecycle(JobSetSpec spec, WaitForPodsReadyConfig config, int64_t creation_time_s,
                  LifecycleOptions options);

  // Moves the clock to now_s for an input other than Tick.
  void Advance(int64_t now_s);
  int32_t FindReplicatedJob(std::string_view name) const;
  void Record(EventKind kind, int32_t job = -1, int32_t pod = -1, int32_t detail = 0,
              int64_t value = 0);
  void Emit(ActionKind kind, int32_t job = -1, int32_t pod = -1);
  JobRun* ActiveJob(int32_t job);
  PodPhase& RunningPod(JobRun& run, int32_t job, int32_t pod);

  void FailPod(int32_t job, int32_t pod, PodFailureCause cause);
  void FailJob(int32_t job, JobFailureReason reason);
  void StartPods(int32_t job);
  void UpdateJobReady(int32_t job);
  void CreateJob(int32_t job);
  void DeleteJob(int32_t job);
  void SuspendJob(int32_t job);
  void ResumeJob(int32_t job);

  void Reconcile();
  void ApplyFailurePolicy();
  void ApplyAction(FailurePolicyAction action, int32_t rule, int32_t job);
  void FailJobSet(JobSetFailureReason reason, int32_t job);
  bool RuleMatches(const FailurePolicyRule& rule, const JobRun& run) const;
  bool SuccessPolicyMet() const;
  bool DependencyReached(int32_t replicated_job) const;
  void CreateOrResumeJobs();
  void UpdatePodsReady();
  void TimeOut();

  JobSetSpec spec_;
  WaitForPodsReadyConfig config_;
  int64_t creation_time_s_ = 0;
  LifecycleOptions options_;

  std::vector<JobRun> jobs_;
  std::vector<int32_t> first_job_;   // by replicatedJob: its first job index, then the total
  std::vector<int32_t> depends_on_;  // by replicatedJob: the one it depends on, or -1
  std::vector<std::string> job_names_;

  WorkloadState state_ = WorkloadState::kQueued;
  int64_t now_s_ = 0;
  int64_t failure_seq_ = 0;
  int32_t restarts_ = 0;
  int32_t restarts_counted_ = 0;
  int32_t requeue_count_ = 0;
  bool pods_ready_ = false;
  bool was_pods_ready_ = false;  // PodsReady was true at some point since the last admission
  std::optional<int64_t> deadline_s_;

  std::vector<Action> actions_;
  std::vector<Event> events_;
  EventCounts counts_{};
};

}  // namespace tessera::sim

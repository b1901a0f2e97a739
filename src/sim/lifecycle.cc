#include "sim/lifecycle.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "base/check.h"

namespace tessera::sim {
namespace {

// Upstream validation: RestartJob and RestartJobAndIgnoreMaxRestarts keep a restart count per
// Job in the JobSet status, so no replicatedJob may have more Jobs than this.
constexpr int32_t kMaxReplicasForRestartJob = 1024;
// The lifecycle keeps one byte per pod; this keeps a malformed spec from asking for gigabytes.
constexpr int64_t kMaxPods = int64_t{1} << 24;
// Kueue's backoffBaseSeconds and backoffMaxSeconds are int32 fields.
constexpr int64_t kMaxBackoffSeconds = std::numeric_limits<int32_t>::max();

Error FieldError(std::string_view object, std::string field, std::string message) {
  Error error = InvalidArgument(std::move(message));
  error.UnderField(field);
  if (!object.empty()) error.WithObject("JobSet", object);
  return error;
}

bool IsRestartJob(FailurePolicyAction action) {
  return action == FailurePolicyAction::kRestartJob ||
         action == FailurePolicyAction::kRestartJobAndIgnoreMaxRestarts;
}

// Kueue's requeue delay for the n-th requeue (n >= 1): base * 2^(n-1), capped at max. Kueue
// adds a jitter of up to 0.01% of the step (wait.Backoff, Jitter 0.0001); we add none, so a
// run is reproducible. Worked example with the defaults (60, 3600): 60, 120, 240, 480, 960,
// 1920, then 3600 for every later requeue.
int64_t RequeueDelay(int64_t base_s, int64_t max_s, int32_t n) {
  int64_t delay = base_s;
  for (int32_t i = 1; i < n && delay > 0 && delay < max_s; ++i) delay *= 2;
  return std::min(delay, max_s);
}

}  // namespace

Status ValidateJobSetSpec(const JobSetSpec& spec) {
  const std::string& js = spec.name;
  if (js.empty()) return FieldError(js, "metadata.name", "must not be empty");
  if (spec.replicated_jobs.empty()) {
    return FieldError(js, "spec.replicatedJobs", "must not be empty");
  }
  auto index_of = [&spec](std::string_view name) {
    for (size_t i = 0; i < spec.replicated_jobs.size(); ++i) {
      if (spec.replicated_jobs[i].name == name) return static_cast<int64_t>(i);
    }
    return int64_t{-1};
  };
  int64_t total_pods = 0;
  for (size_t i = 0; i < spec.replicated_jobs.size(); ++i) {
    const ReplicatedJobSpec& rj = spec.replicated_jobs[i];
    const std::string field = fmt::format("spec.replicatedJobs[{}]", i);
    if (rj.name.empty()) return FieldError(js, field + ".name", "must not be empty");
    if (index_of(rj.name) != static_cast<int64_t>(i)) {
      return FieldError(js, field + ".name", fmt::format("duplicate name \"{}\"", rj.name));
    }
    if (rj.replicas < 1) return FieldError(js, field + ".replicas", "must be >= 1");
    if (rj.parallelism < 1) {
      return FieldError(js, field + ".template.spec.parallelism", "must be >= 1");
    }
    if (rj.completions != -1 && rj.completions < 1) {
      return FieldError(js, field + ".template.spec.completions", "must be >= 1");
    }
    if (rj.backoff_limit < 0) {
      return FieldError(js, field + ".template.spec.backoffLimit", "must be >= 0");
    }
    total_pods += int64_t{rj.replicas} * rj.EffectiveCompletions();
    if (total_pods > kMaxPods) {
      return FieldError(js, field + ".replicas",
                        fmt::format("the JobSet asks for more than {} pods", kMaxPods));
    }
    if (rj.depends_on) {
      if (i == 0) {
        return FieldError(js, field + ".dependsOn", "not allowed on the first replicatedJob");
      }
      const int64_t target = index_of(rj.depends_on->name);
      if (target < 0 || target >= static_cast<int64_t>(i)) {
        return FieldError(
            js, field + ".dependsOn[0].name",
            fmt::format("\"{}\" is not an earlier replicatedJob", rj.depends_on->name));
      }
    }
  }
  if (spec.failure_policy) {
    const FailurePolicySpec& policy = *spec.failure_policy;
    if (policy.max_restarts < 0) {
      return FieldError(js, "spec.failurePolicy.maxRestarts", "must be >= 0");
    }
    for (size_t k = 0; k < policy.rules.size(); ++k) {
      const FailurePolicyRule& rule = policy.rules[k];
      const std::string field = fmt::format("spec.failurePolicy.rules[{}]", k);
      for (size_t m = 0; m < rule.target_replicated_jobs.size(); ++m) {
        if (index_of(rule.target_replicated_jobs[m]) < 0) {
          return FieldError(
              js, fmt::format("{}.targetReplicatedJobs[{}]", field, m),
              fmt::format("\"{}\" names no replicatedJob", rule.target_replicated_jobs[m]));
        }
      }
      if (IsRestartJob(rule.action)) {
        for (const ReplicatedJobSpec& rj : spec.replicated_jobs) {
          if (rj.replicas > kMaxReplicasForRestartJob) {
            return FieldError(js, field + ".action",
                              fmt::format("{} allows at most {} replicas per replicatedJob; "
                                          "\"{}\" has {}",
                                          FailurePolicyActionName(rule.action),
                                          kMaxReplicasForRestartJob, rj.name, rj.replicas));
          }
        }
      }
    }
  }
  for (size_t m = 0; m < spec.success_policy.target_replicated_jobs.size(); ++m) {
    if (index_of(spec.success_policy.target_replicated_jobs[m]) < 0) {
      return FieldError(js, fmt::format("spec.successPolicy.targetReplicatedJobs[{}]", m),
                        fmt::format("\"{}\" names no replicatedJob",
                                    spec.success_policy.target_replicated_jobs[m]));
    }
  }
  return OkStatus();
}

Status ValidateWaitForPodsReady(const WaitForPodsReadyConfig& config) {
  const RequeuingStrategy& strategy = config.requeuing_strategy;
  if (config.timeout_s < 0) return FieldError("", "waitForPodsReady.timeout", "must be >= 0");
  if (config.recovery_timeout_s && *config.recovery_timeout_s < 0) {
    return FieldError("", "waitForPodsReady.recoveryTimeout", "must be >= 0");
  }
  if (strategy.backoff_base_s < 0 || strategy.backoff_base_s > kMaxBackoffSeconds) {
    return FieldError("", "waitForPodsReady.requeuingStrategy.backoffBaseSeconds",
                      fmt::format("must be in [0, {}]", kMaxBackoffSeconds));
  }
  if (strategy.backoff_max_s < 0 || strategy.backoff_max_s > kMaxBackoffSeconds) {
    return FieldError("", "waitForPodsReady.requeuingStrategy.backoffMaxSeconds",
                      fmt::format("must be in [0, {}]", kMaxBackoffSeconds));
  }
  if (strategy.backoff_limit_count && *strategy.backoff_limit_count < 0) {
    return FieldError("", "waitForPodsReady.requeuingStrategy.backoffLimitCount", "must be >= 0");
  }
  return OkStatus();
}

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kAdmitted:
      return "Admitted";
    case EventKind::kPodsReady:
      return "PodsReady";
    case EventKind::kPodsNotReady:
      return "PodsNotReady";
    case EventKind::kEvicted:
      return "Evicted";
    case EventKind::kDeactivated:
      return "Deactivated";
    case EventKind::kJobSetRestarted:
      return "JobSetRestarted";
    case EventKind::kJobRestarted:
      return "JobRestarted";
    case EventKind::kJobSetCompleted:
      return "JobSetCompleted";
    case EventKind::kJobSetFailed:
      return "JobSetFailed";
    case EventKind::kJobCreated:
      return "JobCreated";
    case EventKind::kJobReady:
      return "JobReady";
    case EventKind::kJobNotReady:
      return "JobNotReady";
    case EventKind::kJobSucceeded:
      return "JobSucceeded";
    case EventKind::kJobFailed:
      return "JobFailed";
    case EventKind::kJobDeleted:
      return "JobDeleted";
    case EventKind::kJobGone:
      return "JobGone";
    case EventKind::kJobSuspended:
      return "JobSuspended";
    case EventKind::kJobResumed:
      return "JobResumed";
    case EventKind::kPodCreated:
      return "PodCreated";
    case EventKind::kPodScheduled:
      return "PodScheduled";
    case EventKind::kPodReady:
      return "PodReady";
    case EventKind::kPodSucceeded:
      return "PodSucceeded";
    case EventKind::kPodFailed:
      return "PodFailed";
  }
  return "Unknown";
}

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreateJob:
      return "CreateJob";
    case ActionKind::kCreatePod:
      return "CreatePod";
    case ActionKind::kDeleteJob:
      return "DeleteJob";
    case ActionKind::kCompleteJobSet:
      return "CompleteJobSet";
    case ActionKind::kFailJobSet:
      return "FailJobSet";
    case ActionKind::kEvictWorkload:
      return "EvictWorkload";
    case ActionKind::kDeactivateWorkload:
      return "DeactivateWorkload";
  }
  return "Unknown";
}

std::string_view FailurePolicyActionName(FailurePolicyAction action) {
  switch (action) {
    case FailurePolicyAction::kFailJobSet:
      return "FailJobSet";
    case FailurePolicyAction::kRestartJobSet:
      return "RestartJobSet";
    case FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts:
      return "RestartJobSetAndIgnoreMaxRestarts";
    case FailurePolicyAction::kRestartJob:
      return "RestartJob";
    case FailurePolicyAction::kRestartJobAndIgnoreMaxRestarts:
      return "RestartJobAndIgnoreMaxRestarts";
  }
  return "Unknown";
}

std::string_view JobFailureReasonName(JobFailureReason reason) {
  switch (reason) {
    case JobFailureReason::kBackoffLimitExceeded:
      return "BackoffLimitExceeded";
    case JobFailureReason::kDeadlineExceeded:
      return "DeadlineExceeded";
    case JobFailureReason::kPodFailurePolicy:
      return "PodFailurePolicy";
  }
  return "Unknown";
}

std::string_view JobSetFailureReasonName(JobSetFailureReason reason) {
  switch (reason) {
    case JobSetFailureReason::kFailedJobs:
      return "FailedJobs";
    case JobSetFailureReason::kFailJobSetAction:
      return "FailJobSetAction";
    case JobSetFailureReason::kReachedMaxRestarts:
      return "ReachedMaxRestarts";
  }
  return "Unknown";
}

std::string_view PodFailureCauseName(PodFailureCause cause) {
  switch (cause) {
    case PodFailureCause::kError:
      return "Error";
    case PodFailureCause::kDisruption:
      return "DisruptionTarget";
  }
  return "Unknown";
}

// ---------------------------------------------------------------------------------------

Result<JobSetLifecycle> JobSetLifecycle::Create(JobSetSpec spec, WaitForPodsReadyConfig config,
                                                int64_t creation_time_s, LifecycleOptions options) {
  Status status = ValidateJobSetSpec(spec);
  if (!status.ok()) return std::move(status).error();
  status = ValidateWaitForPodsReady(config);
  if (!status.ok()) return std::move(status).error();
  // Upstream defaults an unnamed rule to failurePolicyRule<N>, N its index.
  if (spec.failure_policy) {
    std::vector<FailurePolicyRule>& rules = spec.failure_policy->rules;
    for (size_t k = 0; k < rules.size(); ++k) {
      if (rules[k].name.empty()) rules[k].name = fmt::format("failurePolicyRule{}", k);
    }
  }
  return JobSetLifecycle(std::move(spec), config, creation_time_s, options);
}

JobSetLifecycle::JobSetLifecycle(JobSetSpec spec, WaitForPodsReadyConfig config,
                                 int64_t creation_time_s, LifecycleOptions options)
    : spec_(std::move(spec)),
      config_(config),
      creation_time_s_(creation_time_s),
      options_(options),
      now_s_(creation_time_s) {
  for (size_t r = 0; r < spec_.replicated_jobs.size(); ++r) {
    const ReplicatedJobSpec& rj = spec_.replicated_jobs[r];
    first_job_.push_back(static_cast<int32_t>(jobs_.size()));
    depends_on_.push_back(rj.depends_on ? FindReplicatedJob(rj.depends_on->name) : -1);
    for (int32_t i = 0; i < rj.replicas; ++i) {
      JobRun run;
      run.replicated_job = static_cast<int32_t>(r);
      run.pods.assign(static_cast<size_t>(rj.EffectiveCompletions()), PodPhase::kNotStarted);
      jobs_.push_back(std::move(run));
      job_names_.push_back(fmt::format("{}-{}", rj.name, i));
    }
  }
  first_job_.push_back(static_cast<int32_t>(jobs_.size()));
}

int32_t JobSetLifecycle::FindReplicatedJob(std::string_view name) const {
  for (size_t r = 0; r < spec_.replicated_jobs.size(); ++r) {
    if (spec_.replicated_jobs[r].name == name) return static_cast<int32_t>(r);
  }
  return -1;
}

bool JobSetLifecycle::finished() const {
  return state_ == WorkloadState::kCompleted || state_ == WorkloadState::kFailed ||
         state_ == WorkloadState::kDeactivated;
}

JobState JobSetLifecycle::job_state(int32_t job) const {
  TESSERA_CHECK(job >= 0 && job < job_count()) << "no job " << job;
  return jobs_[static_cast<size_t>(job)].state;
}

int32_t JobSetLifecycle::job_generation(int32_t job) const {
  TESSERA_CHECK(job >= 0 && job < job_count()) << "no job " << job;
  return jobs_[static_cast<size_t>(job)].generation;
}

int32_t JobSetLifecycle::job_restarts(int32_t job) const {
  TESSERA_CHECK(job >= 0 && job < job_count()) << "no job " << job;
  return jobs_[static_cast<size_t>(job)].restarts;
}

int32_t JobSetLifecycle::JobIndex(int32_t replicated_job, int32_t replica) const {
  TESSERA_CHECK(replicated_job >= 0 &&
                replicated_job < static_cast<int32_t>(spec_.replicated_jobs.size()))
      << "no replicatedJob " << replicated_job;
  const auto r = static_cast<size_t>(replicated_job);
  TESSERA_CHECK(replica >= 0 && replica < spec_.replicated_jobs[r].replicas)
      << "no replica " << replica << " of " << spec_.replicated_jobs[r].name;
  return first_job_[r] + replica;
}

std::string JobSetLifecycle::JobName(int32_t job) const {
  TESSERA_CHECK(job >= 0 && job < job_count()) << "no job " << job;
  return job_names_[static_cast<size_t>(job)];
}

int32_t JobSetLifecycle::restarts_count_towards_max() const {
  int32_t total = restarts_counted_;
  for (const JobRun& run : jobs_) total += run.restarts_counted;
  return total;
}

std::optional<int64_t> JobSetLifecycle::NextDeadline() const {
  if (state_ != WorkloadState::kAdmitted) return std::nullopt;
  return deadline_s_;
}

// --- Bookkeeping --------------------------------------------------------------------------

void JobSetLifecycle::Advance(int64_t now_s) {
  TESSERA_CHECK(now_s >= now_s_) << "time went backwards: " << now_s << " < " << now_s_;
  const std::optional<int64_t> deadline = NextDeadline();
  TESSERA_CHECK(!deadline || now_s <= *deadline)
      << "input at " << now_s << " after the deadline " << *deadline
      << "; call Tick(NextDeadline()) first";
  now_s_ = now_s;
}

void JobSetLifecycle::Record(EventKind kind, int32_t job, int32_t pod, int32_t detail,
                             int64_t value) {
  ++counts_[static_cast<size_t>(kind)];
  if (options_.keep_event_log) {
    events_.push_back(Event{
        .time_s = now_s_, .kind = kind, .job = job, .pod = pod, .detail = detail, .value = value});
  }
}

void JobSetLifecycle::Emit(ActionKind kind, int32_t job, int32_t pod) {
  Action action{.kind = kind, .time_s = now_s_, .job = job, .pod = pod};
  if (job >= 0) action.generation = jobs_[static_cast<size_t>(job)].generation;
  actions_.push_back(action);
}

JobSetLifecycle::JobRun* JobSetLifecycle::ActiveJob(int32_t job) {
  TESSERA_CHECK(job >= 0 && job < job_count()) << "no job " << job;
  if (state_ != WorkloadState::kAdmitted) return nullptr;
  JobRun& run = jobs_[static_cast<size_t>(job)];
  return run.state == JobState::kActive ? &run : nullptr;
}

JobSetLifecycle::PodPhase& JobSetLifecycle::RunningPod(JobRun& run, int32_t job, int32_t pod) {
  TESSERA_CHECK(pod >= 0 && pod < static_cast<int32_t>(run.pods.size()))
      << "no pod " << pod << " in " << JobName(job);
  PodPhase& phase = run.pods[static_cast<size_t>(pod)];
  TESSERA_CHECK(phase == PodPhase::kPending || phase == PodPhase::kScheduled ||
                phase == PodPhase::kReady)
      << "pod " << JobName(job) << "/" << pod << " is not running";
  return phase;
}

// --- Inputs -------------------------------------------------------------------------------

void JobSetLifecycle::Admitted(int64_t now_s) {
  Advance(now_s);
  TESSERA_CHECK(state_ == WorkloadState::kQueued) << spec_.name << " is not waiting for admission";
  state_ = WorkloadState::kAdmitted;
  Record(EventKind::kAdmitted);
  pods_ready_ = false;
  was_pods_ready_ = false;
  deadline_s_.reset();
  if (config_.enable) deadline_s_ = now_s_ + config_.timeout_s;
  Reconcile();
}

bool JobSetLifecycle::PodScheduled(int64_t now_s, int32_t job, int32_t pod) {
  Advance(now_s);
  JobRun* run = ActiveJob(job);
  if (run == nullptr) return false;
  PodPhase& phase = RunningPod(*run, job, pod);
  TESSERA_CHECK(phase == PodPhase::kPending)
      << "pod " << JobName(job) << "/" << pod << " is already scheduled";
  phase = PodPhase::kScheduled;
  Record(EventKind::kPodScheduled, job, pod);
  return true;
}

bool JobSetLifecycle::PodReady(int64_t now_s, int32_t job, int32_t pod) {
  Advance(now_s);
  JobRun* run = ActiveJob(job);
  if (run == nullptr) return false;
  PodPhase& phase = RunningPod(*run, job, pod);
  TESSERA_CHECK(phase != PodPhase::kReady)
      << "pod " << JobName(job) << "/" << pod << " is already ready";
  phase = PodPhase::kReady;
  ++run->ready_pods;
  Record(EventKind::kPodReady, job, pod);
  UpdateJobReady(job);
  Reconcile();
  return true;
}

bool JobSetLifecycle::PodSucceeded(int64_t now_s, int32_t job, int32_t pod) {
  Advance(now_s);
  JobRun* run = ActiveJob(job);
  if (run == nullptr) return false;
  PodPhase& phase = RunningPod(*run, job, pod);
  if (phase == PodPhase::kReady) --run->ready_pods;
  phase = PodPhase::kSucceeded;
  --run->running_pods;
  ++run->succeeded_pods;
  Record(EventKind::kPodSucceeded, job, pod);
  if (run->succeeded_pods == static_cast<int32_t>(run->pods.size())) {
    run->state = JobState::kSucceeded;
    run->ready = false;
    Record(EventKind::kJobSucceeded, job);
  } else {
    StartPods(job);
    UpdateJobReady(job);
  }
  Reconcile();
  return true;
}

bool JobSetLifecycle::PodFailed(int64_t now_s, int32_t job, int32_t pod, PodFailureCause cause) {
  Advance(now_s);
  JobRun* run = ActiveJob(job);
  if (run == nullptr) return false;
  RunningPod(*run, job, pod);
  FailPod(job, pod, cause);
  Reconcile();
  return true;
}

int JobSetLifecycle::NodeFailed(int64_t now_s, std::span<const PodRef> pods) {
  Advance(now_s);
  int affected = 0;
  for (const PodRef& ref : pods) {
    // An earlier pod in the list may have failed this pod's Job already; the Job controller
    // then terminates the rest of its pods, so they are not counted again.
    JobRun* run = ActiveJob(ref.job);
    if (run == nullptr) continue;
    RunningPod(*run, ref.job, ref.pod);
    FailPod(ref.job, ref.pod, PodFailureCause::kDisruption);
    ++affected;
  }
  Reconcile();
  return affected;
}

bool JobSetLifecycle::JobFailed(int64_t now_s, int32_t job, JobFailureReason reason) {
  Advance(now_s);
  if (ActiveJob(job) == nullptr) return false;
  FailJob(job, reason);
  Reconcile();
  return true;
}

bool JobSetLifecycle::OldJobGone(int64_t now_s, int32_t job) {
  Advance(now_s);
  TESSERA_CHECK(job >= 0 && job < job_count()) << "no job " << job;
  JobRun& run = jobs_[static_cast<size_t>(job)];
  if (state_ != WorkloadState::kAdmitted || run.state != JobState::kTerminating) return false;
  run.state = JobState::kPending;
  Record(EventKind::kJobGone, job, -1, run.generation);
  Reconcile();
  return true;
}

int JobSetLifecycle::OldPodsGone(int64_t now_s) {
  Advance(now_s);
  if (state_ != WorkloadState::kAdmitted) return 0;
  int released = 0;
  for (int32_t job = 0; job < job_count(); ++job) {
    JobRun& run = jobs_[static_cast<size_t>(job)];
    if (run.state != JobState::kTerminating) continue;
    run.state = JobState::kPending;
    Record(EventKind::kJobGone, job, -1, run.generation);
    ++released;
  }
  if (released > 0) Reconcile();
  return released;
}

void JobSetLifecycle::Tick(int64_t now_s) {
  TESSERA_CHECK(now_s >= now_s_) << "time went backwards: " << now_s << " < " << now_s_;
  now_s_ = now_s;
  const std::optional<int64_t> deadline = NextDeadline();
  if (deadline && now_s_ >= *deadline) TimeOut();
}

// --- Jobs and pods (the batch/v1 Job controller) ------------------------------------------

void JobSetLifecycle::FailPod(int32_t job, int32_t pod, PodFailureCause cause) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  PodPhase& phase = run.pods[static_cast<size_t>(pod)];
  if (phase == PodPhase::kReady) --run.ready_pods;
  phase = PodPhase::kNotStarted;
  --run.running_pods;
  Record(EventKind::kPodFailed, job, pod, static_cast<int32_t>(cause));
  const DisruptionPolicy policy =
      spec_.replicated_jobs[static_cast<size_t>(run.replicated_job)].on_disruption;
  const bool disruption = cause == PodFailureCause::kDisruption;
  if (disruption && policy == DisruptionPolicy::kFailJob) {
    FailJob(job, JobFailureReason::kPodFailurePolicy);
    return;
  }
  if (!(disruption && policy == DisruptionPolicy::kIgnore)) {
    ++run.failed_pods;
    const int32_t limit =
        spec_.replicated_jobs[static_cast<size_t>(run.replicated_job)].backoff_limit;
    if (run.failed_pods > limit) {
      FailJob(job, JobFailureReason::kBackoffLimitExceeded);
      return;
    }
  }
  StartPods(job);  // the replacement for this index
  UpdateJobReady(job);
}

void JobSetLifecycle::FailJob(int32_t job, JobFailureReason reason) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  run.state = JobState::kFailed;
  run.failure_seq = ++failure_seq_;
  run.failure_reason = reason;
  run.ready = false;
  // The Job controller terminates the pods still running; the failurePolicy's action (delete
  // the Job, or finish the JobSet) is what tells the simulator to remove them.
  for (PodPhase& phase : run.pods) {
    if (phase != PodPhase::kSucceeded) phase = PodPhase::kNotStarted;
  }
  run.running_pods = 0;
  run.ready_pods = 0;
  Record(EventKind::kJobFailed, job, -1, static_cast<int32_t>(reason));
}

// An Indexed Job keeps min(parallelism, completions) pods running, lowest unfinished index
// first: with parallelism 2 and completions 4 it starts indexes 0 and 1, and index 2 when
// one of them succeeds. A failed index is started again before any new one.
void JobSetLifecycle::StartPods(int32_t job) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  const int32_t parallelism =
      spec_.replicated_jobs[static_cast<size_t>(run.replicated_job)].parallelism;
  for (size_t index = 0; index < run.pods.size() && run.running_pods < parallelism; ++index) {
    if (run.pods[index] != PodPhase::kNotStarted) continue;
    run.pods[index] = PodPhase::kPending;
    ++run.running_pods;
    const auto pod = static_cast<int32_t>(index);
    Record(EventKind::kPodCreated, job, pod);
    Emit(ActionKind::kCreatePod, job, pod);
  }
}

// JobSet counts a Job ready when its ready and succeeded pods reach min(parallelism,
// completions) (ReplicatedJobStatus.ready).
void JobSetLifecycle::UpdateJobReady(int32_t job) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  if (run.state != JobState::kActive) return;
  const ReplicatedJobSpec& rj = spec_.replicated_jobs[static_cast<size_t>(run.replicated_job)];
  const int32_t needed = std::min(rj.parallelism, rj.EffectiveCompletions());
  const bool ready = run.ready_pods + run.succeeded_pods >= needed;
  if (ready && !run.ready) Record(EventKind::kJobReady, job);
  if (!ready && run.ready) Record(EventKind::kJobNotReady, job);
  run.ready = ready;
}

void JobSetLifecycle::CreateJob(int32_t job) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  ++run.generation;
  run.state = JobState::kActive;
  run.failed_pods = 0;
  run.succeeded_pods = 0;
  run.ready_pods = 0;
  run.running_pods = 0;
  run.ready = false;
  std::fill(run.pods.begin(), run.pods.end(), PodPhase::kNotStarted);
  Record(EventKind::kJobCreated, job, -1, run.generation);
  Emit(ActionKind::kCreateJob, job);
  StartPods(job);
  UpdateJobReady(job);
}

void JobSetLifecycle::DeleteJob(int32_t job) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  if (run.state == JobState::kPending || run.state == JobState::kTerminating) return;
  Record(EventKind::kJobDeleted, job, -1, run.generation);
  Emit(ActionKind::kDeleteJob, job);
  run.state = JobState::kTerminating;
  run.ready = false;
  run.running_pods = 0;
  run.ready_pods = 0;
}

void JobSetLifecycle::SuspendJob(int32_t job) {
  JobRun& run = jobs_[static_cast<size_t>(job)];
  for (PodPhase& phase : run.pods) {
    if (phase != PodPhase::kSucceeded) phase = PodPhase::kNotStarted;
  }
  run.state = JobState::kSuspended;
  run.ready = false;
  run.running_pods = 0;
  run.ready_pods = 0;
  Record(EventKind::kJobSuspended, job);
}

void JobSetLifecycle::ResumeJob(int32_t job) {
  jobs_[static_cast<size_t>(job)].state = JobState::kActive;
  Record(EventKind::kJobResumed, job);
  StartPods(job);
  UpdateJobReady(job);
}

// --- The JobSet controller ----------------------------------------------------------------

// One reconcile, in the order of upstream's JobSetReconciler.reconcile: a failed Job is
// handled before success is considered, and Jobs are created only when neither happened.
void JobSetLifecycle::Reconcile() {
  if (state_ != WorkloadState::kAdmitted) return;
  // Each round removes at least one failed Job (restarted, or the JobSet fails), so this ends.
  while (std::any_of(jobs_.begin(), jobs_.end(),
                     [](const JobRun& run) { return run.state == JobState::kFailed; })) {
    ApplyFailurePolicy();
    if (state_ != WorkloadState::kAdmitted) return;
  }
  if (SuccessPolicyMet()) {
    state_ = WorkloadState::kCompleted;
    deadline_s_.reset();
    Record(EventKind::kJobSetCompleted);
    Emit(ActionKind::kCompleteJobSet);
    return;
  }
  CreateOrResumeJobs();
  UpdatePodsReady();
}

// For each rule in order, the earliest-failed Job it matches; the first rule with a match
// acts on that Job. No rule matches: RestartJobSet on the earliest-failed Job. No
// failurePolicy at all: the JobSet fails.
void JobSetLifecycle::ApplyFailurePolicy() {
  auto earliest = [this](auto&& accept) {
    int32_t best = -1;
    for (int32_t job = 0; job < job_count(); ++job) {
      const JobRun& run = jobs_[static_cast<size_t>(job)];
      if (run.state != JobState::kFailed || !accept(run)) continue;
      if (best < 0 || run.failure_seq < jobs_[static_cast<size_t>(best)].failure_seq) best = job;
    }
    return best;
  };
  const int32_t first = earliest([](const JobRun&) { return true; });
  if (!spec_.failure_policy) {
    FailJobSet(JobSetFailureReason::kFailedJobs, first);
    return;
  }
  const std::vector<FailurePolicyRule>& rules = spec_.failure_policy->rules;
  for (size_t k = 0; k < rules.size(); ++k) {
    const int32_t job = earliest([&](const JobRun& run) { return RuleMatches(rules[k], run); });
    if (job >= 0) {
      ApplyAction(rules[k].action, static_cast<int32_t>(k), job);
      return;
    }
  }
  ApplyAction(FailurePolicyAction::kRestartJobSet, -1, first);
}

bool JobSetLifecycle::RuleMatches(const FailurePolicyRule& rule, const JobRun& run) const {
  const std::vector<JobFailureReason>& reasons = rule.on_job_failure_reasons;
  if (!reasons.empty() &&
      std::find(reasons.begin(), reasons.end(), run.failure_reason) == reasons.end()) {
    return false;
  }
  const std::vector<std::string>& targets = rule.target_replicated_jobs;
  const std::string& name = spec_.replicated_jobs[static_cast<size_t>(run.replicated_job)].name;
  return targets.empty() || std::find(targets.begin(), targets.end(), name) != targets.end();
}

// maxRestarts is one budget shared by every counted restart, whole-JobSet (RestartJobSet) and
// single-Job (RestartJob): a counted restart that finds it used up fails the JobSet instead.
// With maxRestarts 2 the third counted restart fails it, whichever kind it is.
void JobSetLifecycle::ApplyAction(FailurePolicyAction action, int32_t rule, int32_t job) {
  const bool budget_used_up = restarts_count_towards_max() >= spec_.failure_policy->max_restarts;
  JobRun& run = jobs_[static_cast<size_t>(job)];
  switch (action) {
    case FailurePolicyAction::kFailJobSet:
      FailJobSet(JobSetFailureReason::kFailJobSetAction, job);
      return;
    case FailurePolicyAction::kRestartJobSet:
    case FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts: {
      const bool counted = action == FailurePolicyAction::kRestartJobSet;
      if (counted && budget_used_up) {
        FailJobSet(JobSetFailureReason::kReachedMaxRestarts, job);
        return;
      }
      ++restarts_;
      if (counted) ++restarts_counted_;
      Record(EventKind::kJobSetRestarted, job, -1, rule, counted ? 1 : 0);
      for (int32_t other = 0; other < job_count(); ++other) DeleteJob(other);
      return;
    }
    case FailurePolicyAction::kRestartJob:
    case FailurePolicyAction::kRestartJobAndIgnoreMaxRestarts: {
      const bool counted = action == FailurePolicyAction::kRestartJob;
      if (counted && budget_used_up) {
        FailJobSet(JobSetFailureReason::kReachedMaxRestarts, job);
        return;
      }
      ++run.restarts;
      if (counted) ++run.restarts_counted;
      Record(EventKind::kJobRestarted, job, -1, rule, counted ? 1 : 0);
      DeleteJob(job);
      return;
    }
  }
}

void JobSetLifecycle::FailJobSet(JobSetFailureReason reason, int32_t job) {
  state_ = WorkloadState::kFailed;
  deadline_s_.reset();
  Record(EventKind::kJobSetFailed, job, -1, static_cast<int32_t>(reason));
  Emit(ActionKind::kFailJobSet);
}

// All: every Job of the target replicatedJobs succeeded. Any: one of them did. No targets:
// every replicatedJob is a target.
bool JobSetLifecycle::SuccessPolicyMet() const {
  const std::vector<std::string>& targets = spec_.success_policy.target_replicated_jobs;
  int64_t succeeded = 0;
  int64_t expected = 0;
  for (size_t r = 0; r < spec_.replicated_jobs.size(); ++r) {
    const std::string& name = spec_.replicated_jobs[r].name;
    if (!targets.empty() && std::find(targets.begin(), targets.end(), name) == targets.end()) {
      continue;
    }
    expected += spec_.replicated_jobs[r].replicas;
    for (int32_t job = first_job_[r]; job < first_job_[r + 1]; ++job) {
      if (jobs_[static_cast<size_t>(job)].state == JobState::kSucceeded) ++succeeded;
    }
  }
  if (spec_.success_policy.op == SuccessOperator::kAny) expected = 1;
  return succeeded >= expected;
}

// Upstream isJobReachedStatus: Complete when every Job of the dependency succeeded; Ready
// when every Job of it is ready, succeeded or failed.
bool JobSetLifecycle::DependencyReached(int32_t replicated_job) const {
  const int32_t dependency = depends_on_[static_cast<size_t>(replicated_job)];
  if (dependency < 0) return true;
  const auto d = static_cast<size_t>(dependency);
  const DependsOnStatus wanted =
      spec_.replicated_jobs[static_cast<size_t>(replicated_job)].depends_on->status;
  int32_t succeeded = 0;
  int32_t ready_or_failed = 0;
  for (int32_t job = first_job_[d]; job < first_job_[d + 1]; ++job) {
    const JobRun& run = jobs_[static_cast<size_t>(job)];
    if (run.state == JobState::kSucceeded) ++succeeded;
    if (run.state == JobState::kFailed || (run.state == JobState::kActive && run.ready)) {
      ++ready_or_failed;
    }
  }
  const int32_t replicas = spec_.replicated_jobs[d].replicas;
  if (wanted == DependsOnStatus::kComplete) return succeeded == replicas;
  return succeeded + ready_or_failed == replicas;
}

// Creates Jobs not yet created in this run and resumes suspended ones, replicatedJob by
// replicatedJob, each only once its dependsOn is reached. Under BlockingRecreate nothing is
// created while any deleted copy still has pods (upstream constructJobsFromTemplate).
void JobSetLifecycle::CreateOrResumeJobs() {
  const bool blocked =
      spec_.failure_policy &&
      spec_.failure_policy->restart_strategy == RestartStrategy::kBlockingRecreate &&
      std::any_of(jobs_.begin(), jobs_.end(),
                  [](const JobRun& run) { return run.state == JobState::kTerminating; });
  for (size_t r = 0; r < spec_.replicated_jobs.size(); ++r) {
    if (!DependencyReached(static_cast<int32_t>(r))) continue;
    for (int32_t job = first_job_[r]; job < first_job_[r + 1]; ++job) {
      const JobState state = jobs_[static_cast<size_t>(job)].state;
      if (state == JobState::kSuspended) ResumeJob(job);
      if (state == JobState::kPending && !blocked) CreateJob(job);
    }
  }
}

// --- Kueue waitForPodsReady ---------------------------------------------------------------

// PodsReady as Kueue's JobSet integration computes it: every Job of every replicatedJob is
// ready or succeeded (Jobs not created yet, e.g. waiting for dependsOn, are not). The timer
// counts from admission until the first PodsReady; after PodsReady is lost it restarts from
// that moment, with recoveryTimeout, if one is set (Kueue's WaitForStart and WaitForRecovery).
void JobSetLifecycle::UpdatePodsReady() {
  const bool ready = std::all_of(jobs_.begin(), jobs_.end(), [](const JobRun& run) {
    return run.state == JobState::kSucceeded || (run.state == JobState::kActive && run.ready);
  });
  if (ready == pods_ready_) return;
  pods_ready_ = ready;
  if (ready) {
    was_pods_ready_ = true;
    deadline_s_.reset();
    Record(EventKind::kPodsReady);
    return;
  }
  Record(EventKind::kPodsNotReady);
  if (config_.enable && was_pods_ready_ && config_.recovery_timeout_s) {
    deadline_s_ = now_s_ + *config_.recovery_timeout_s;
  }
}

// Kueue's triggerDeactivationOrBackoffRequeue: the n-th timeout requeues with the n-th delay
// unless n exceeds backoffLimitCount, which deactivates the workload instead. With
// backoffLimitCount 2: requeue after 60 s, requeue after 120 s, deactivate.
void JobSetLifecycle::TimeOut() {
  deadline_s_.reset();
  const RequeuingStrategy& strategy = config_.requeuing_strategy;
  const int32_t n = requeue_count_ + 1;
  if (strategy.backoff_limit_count && n > *strategy.backoff_limit_count) {
    state_ = WorkloadState::kDeactivated;
    Record(EventKind::kDeactivated, -1, -1, requeue_count_);
    Emit(ActionKind::kDeactivateWorkload);
  } else {
    requeue_count_ = n;
    const int64_t requeue_at_s =
        now_s_ + RequeueDelay(strategy.backoff_base_s, strategy.backoff_max_s, n);
    state_ = WorkloadState::kQueued;
    Record(EventKind::kEvicted, -1, -1, n, requeue_at_s);
    actions_.push_back(Action{
        .kind = ActionKind::kEvictWorkload,
        .time_s = now_s_,
        .requeue_at_s = requeue_at_s,
        .queue_key_time_s =
            strategy.timestamp == RequeuingTimestamp::kEviction ? now_s_ : creation_time_s_});
  }
  // Either way Kueue stops the JobSet: its Jobs are suspended and every pod, including those
  // of deleted copies, goes away.
  for (int32_t job = 0; job < job_count(); ++job) {
    JobRun& run = jobs_[static_cast<size_t>(job)];
    if (run.state == JobState::kActive) {
      SuspendJob(job);
    } else if (run.state == JobState::kTerminating) {
      run.state = JobState::kPending;
      Record(EventKind::kJobGone, job, -1, run.generation);
    }
  }
  pods_ready_ = false;
  was_pods_ready_ = false;
}

// --- Formatting ---------------------------------------------------------------------------

std::string JobSetLifecycle::FormatEvent(const Event& event) const {
  std::string out = fmt::format("{} {}", event.time_s, EventKindName(event.kind));
  if (event.job >= 0) out += " " + JobName(event.job);
  if (event.pod >= 0) out += fmt::format("/{}", event.pod);
  auto rule_name = [this](int32_t rule) -> std::string {
    if (rule < 0) return "default";
    return spec_.failure_policy->rules[static_cast<size_t>(rule)].name;
  };
  switch (event.kind) {
    case EventKind::kEvicted:
      out += fmt::format(" n={} at={}", event.detail, event.value);
      break;
    case EventKind::kDeactivated:
      out += fmt::format(" requeues={}", event.detail);
      break;
    case EventKind::kJobSetRestarted:
    case EventKind::kJobRestarted:
      out += fmt::format(" rule={} {}", rule_name(event.detail),
                         event.value != 0 ? "counted" : "ignored");
      break;
    case EventKind::kJobSetFailed:
      out += fmt::format(" {}",
                         JobSetFailureReasonName(static_cast<JobSetFailureReason>(event.detail)));
      break;
    case EventKind::kJobCreated:
    case EventKind::kJobDeleted:
    case EventKind::kJobGone:
      out += fmt::format(" gen={}", event.detail);
      break;
    case EventKind::kJobFailed:
      out += fmt::format(" {}", JobFailureReasonName(static_cast<JobFailureReason>(event.detail)));
      break;
    case EventKind::kPodFailed:
      out += fmt::format(" {}", PodFailureCauseName(static_cast<PodFailureCause>(event.detail)));
      break;
    default:
      break;
  }
  return out;
}

std::string JobSetLifecycle::FormatAction(const Action& action) const {
  std::string out = fmt::format("{} {}", action.time_s, ActionKindName(action.kind));
  if (action.job >= 0) out += " " + JobName(action.job);
  if (action.pod >= 0) out += fmt::format("/{}", action.pod);
  if (action.generation >= 0) out += fmt::format(" gen={}", action.generation);
  if (action.kind == ActionKind::kEvictWorkload) {
    out += fmt::format(" at={} key={}", action.requeue_at_s, action.queue_key_time_s);
  }
  return out;
}

}  // namespace tessera::sim

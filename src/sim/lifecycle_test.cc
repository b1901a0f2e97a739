#include "sim/lifecycle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace tessera::sim {
namespace {

using Lines = std::vector<std::string>;

// The small JobSet most tests use: replicatedJobs leader and workers, 2 Jobs each, 2 pods per
// Job (parallelism = completions = 2), backoffLimit 0 so one failed pod fails its Job.
constexpr int32_t kLeader0 = 0;
constexpr int32_t kLeader1 = 1;
constexpr int32_t kWorkers0 = 2;
constexpr int32_t kWorkers1 = 3;

ReplicatedJobSpec Rj(std::string name, int32_t replicas = 2, int32_t parallelism = 2,
                     int32_t backoff_limit = 0) {
  return {.name = std::move(name),
          .replicas = replicas,
          .parallelism = parallelism,
          .backoff_limit = backoff_limit};
}

JobSetSpec Small(std::optional<FailurePolicySpec> policy = std::nullopt) {
  return {.name = "train",
          .replicated_jobs = {Rj("leader"), Rj("workers")},
          .failure_policy = std::move(policy)};
}

FailurePolicyRule Rule(std::string name, FailurePolicyAction action,
                       std::vector<std::string> targets = {},
                       std::vector<JobFailureReason> reasons = {}) {
  return {.name = std::move(name),
          .action = action,
          .target_replicated_jobs = std::move(targets),
          .on_job_failure_reasons = std::move(reasons)};
}

JobSetLifecycle Make(JobSetSpec spec, WaitForPodsReadyConfig config = {}, int64_t created = 0,
                     LifecycleOptions options = {}) {
  auto lc = JobSetLifecycle::Create(std::move(spec), config, created, options);
  EXPECT_TRUE(lc.ok()) << lc.error().ToString();
  return std::move(lc).value();
}

bool IsPodProgress(EventKind kind) {
  return kind == EventKind::kPodCreated || kind == EventKind::kPodScheduled ||
         kind == EventKind::kPodReady || kind == EventKind::kPodSucceeded;
}

// The log from event `from` on, formatted. Without `pods`, pod creation, scheduling, readiness
// and success are left out (pod failures stay: they are causes), which keeps the Job-level
// story readable; a few tests check the full log.
Lines Log(const JobSetLifecycle& lc, size_t from = 0, bool pods = false) {
  Lines out;
  for (size_t i = from; i < lc.events().size(); ++i) {
    const Event& event = lc.events()[i];
    if (!pods && IsPodProgress(event.kind)) continue;
    out.push_back(lc.FormatEvent(event));
  }
  return out;
}

// The actions since the last call, formatted, leaving out pod creations unless `pods`.
Lines TakeActions(JobSetLifecycle& lc, bool pods = false) {
  Lines out;
  for (const Action& action : lc.actions()) {
    if (!pods && action.kind == ActionKind::kCreatePod) continue;
    out.push_back(lc.FormatAction(action));
  }
  lc.ClearActions();
  return out;
}

void ReadyJob(JobSetLifecycle& lc, int64_t t, int32_t job, int32_t pods = 2) {
  for (int32_t pod = 0; pod < pods; ++pod) EXPECT_TRUE(lc.PodReady(t, job, pod));
}

void SucceedJob(JobSetLifecycle& lc, int64_t t, int32_t job, int32_t pods = 2) {
  for (int32_t pod = 0; pod < pods; ++pod) EXPECT_TRUE(lc.PodSucceeded(t, job, pod));
}

void ReadyAll(JobSetLifecycle& lc, int64_t t, int32_t pods = 2) {
  for (int32_t job = 0; job < lc.job_count(); ++job) {
    if (lc.job_state(job) == JobState::kActive) ReadyJob(lc, t, job, pods);
  }
}

// The upstream example manifests are transcribed by hand into each test below (the lifecycle
// may not depend on io). When ../shared is present, check the manifest still says what we
// copied; the transcription stands on its own when it is absent.
void ExpectManifestSays(const std::string& file, std::initializer_list<std::string> snippets) {
  std::ifstream in(std::string(TESSERA_SHARED_DIR) + "/reference/k8s-examples/jobset/" + file);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  for (const std::string& snippet : snippets) {
    EXPECT_NE(text.str().find(snippet), std::string::npos)
        << file << " no longer contains \"" << snippet << "\"";
  }
}

// ---------------------------------------------------------------------------------------
// Start, run, finish.

TEST(JobSetLifecycleTest, AdmissionCreatesEveryJobWithItsPodsAndTheLastSuccessCompletes) {
  JobSetLifecycle lc = Make(Small());
  EXPECT_EQ(lc.state(), WorkloadState::kQueued);
  EXPECT_TRUE(lc.actions().empty());
  EXPECT_EQ(lc.job_count(), 4);
  EXPECT_EQ(lc.JobIndex(1, 1), kWorkers1);
  EXPECT_EQ(lc.JobName(kWorkers1), "workers-1");
  EXPECT_EQ(lc.job_generation(kLeader0), -1);  // never created yet
  lc.Admitted(0);
  EXPECT_EQ(TakeActions(lc, /*pods=*/true),
            (Lines{"0 CreateJob leader-0 gen=0", "0 CreatePod leader-0/0 gen=0",
                   "0 CreatePod leader-0/1 gen=0", "0 CreateJob leader-1 gen=0",
                   "0 CreatePod leader-1/0 gen=0", "0 CreatePod leader-1/1 gen=0",
                   "0 CreateJob workers-0 gen=0", "0 CreatePod workers-0/0 gen=0",
                   "0 CreatePod workers-0/1 gen=0", "0 CreateJob workers-1 gen=0",
                   "0 CreatePod workers-1/0 gen=0", "0 CreatePod workers-1/1 gen=0"}));
  EXPECT_TRUE(lc.PodScheduled(1, kLeader0, 0));
  ReadyAll(lc, 5);
  for (int32_t job = 0; job < 4; ++job) SucceedJob(lc, 10, job);
  EXPECT_EQ(Log(lc, 0, /*pods=*/true), (Lines{"0 Admitted",
                                              "0 JobCreated leader-0 gen=0",
                                              "0 PodCreated leader-0/0",
                                              "0 PodCreated leader-0/1",
                                              "0 JobCreated leader-1 gen=0",
                                              "0 PodCreated leader-1/0",
                                              "0 PodCreated leader-1/1",
                                              "0 JobCreated workers-0 gen=0",
                                              "0 PodCreated workers-0/0",
                                              "0 PodCreated workers-0/1",
                                              "0 JobCreated workers-1 gen=0",
                                              "0 PodCreated workers-1/0",
                                              "0 PodCreated workers-1/1",
                                              "1 PodScheduled leader-0/0",
                                              "5 PodReady leader-0/0",
                                              "5 PodReady leader-0/1",
                                              "5 JobReady leader-0",
                                              "5 PodReady leader-1/0",
                                              "5 PodReady leader-1/1",
                                              "5 JobReady leader-1",
                                              "5 PodReady workers-0/0",
                                              "5 PodReady workers-0/1",
                                              "5 JobReady workers-0",
                                              "5 PodReady workers-1/0",
                                              "5 PodReady workers-1/1",
                                              "5 JobReady workers-1",
                                              "5 PodsReady",
                                              "10 PodSucceeded leader-0/0",
                                              "10 PodSucceeded leader-0/1",
                                              "10 JobSucceeded leader-0",
                                              "10 PodSucceeded leader-1/0",
                                              "10 PodSucceeded leader-1/1",
                                              "10 JobSucceeded leader-1",
                                              "10 PodSucceeded workers-0/0",
                                              "10 PodSucceeded workers-0/1",
                                              "10 JobSucceeded workers-0",
                                              "10 PodSucceeded workers-1/0",
                                              "10 PodSucceeded workers-1/1",
                                              "10 JobSucceeded workers-1",
                                              "10 JobSetCompleted"}));
  EXPECT_EQ(TakeActions(lc), (Lines{"10 CompleteJobSet"}));
  EXPECT_EQ(lc.state(), WorkloadState::kCompleted);
  EXPECT_TRUE(lc.finished());
}

TEST(JobSetLifecycleTest, AJobRunsMoreIndexesThanItsParallelismOneAfterAnother) {
  // parallelism 2, completions 4: indexes 0 and 1 first, index 2 when 0 succeeds, 3 after 1.
  JobSetSpec spec{.name = "idx", .replicated_jobs = {Rj("w", 1, 2)}};
  spec.replicated_jobs[0].completions = 4;
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  ReadyJob(lc, 1, 0);
  EXPECT_TRUE(lc.PodSucceeded(5, 0, 0));
  EXPECT_TRUE(lc.PodSucceeded(6, 0, 1));
  EXPECT_TRUE(lc.PodSucceeded(9, 0, 2));
  EXPECT_TRUE(lc.PodSucceeded(9, 0, 3));
  EXPECT_EQ(Log(lc, 0, true),
            (Lines{"0 Admitted", "0 JobCreated w-0 gen=0", "0 PodCreated w-0/0",
                   "0 PodCreated w-0/1", "1 PodReady w-0/0", "1 PodReady w-0/1", "1 JobReady w-0",
                   "1 PodsReady", "5 PodSucceeded w-0/0", "5 PodCreated w-0/2",
                   "6 PodSucceeded w-0/1", "6 PodCreated w-0/3", "9 PodSucceeded w-0/2",
                   "9 PodSucceeded w-0/3", "9 JobSucceeded w-0", "9 JobSetCompleted"}));
}

// ---------------------------------------------------------------------------------------
// Jobs fail by backoffLimit; without a failurePolicy that fails the JobSet.

TEST(JobSetLifecycleTest, AJobToleratesBackoffLimitFailedPodsAndFailsOnTheNext) {
  JobSetSpec spec = Small();
  spec.replicated_jobs[0].backoff_limit = 2;
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  lc.ClearActions();
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(5, kLeader0, 1, PodFailureCause::kError));
  EXPECT_TRUE(lc.PodFailed(6, kLeader0, 1, PodFailureCause::kError));
  EXPECT_EQ(TakeActions(lc, true),
            (Lines{"5 CreatePod leader-0/1 gen=0", "6 CreatePod leader-0/1 gen=0"}));
  EXPECT_TRUE(lc.PodFailed(8, kLeader0, 0, PodFailureCause::kError));
  EXPECT_EQ(Log(lc, mark, true),
            (Lines{"5 PodFailed leader-0/1 Error", "5 PodCreated leader-0/1",
                   "6 PodFailed leader-0/1 Error", "6 PodCreated leader-0/1",
                   "8 PodFailed leader-0/0 Error", "8 JobFailed leader-0 BackoffLimitExceeded",
                   "8 JobSetFailed leader-0 FailedJobs"}));
  EXPECT_EQ(TakeActions(lc), (Lines{"8 FailJobSet"}));
  EXPECT_EQ(lc.state(), WorkloadState::kFailed);
  // The other Jobs' pods are deleted with the JobSet; their late reports change nothing.
  EXPECT_FALSE(lc.PodReady(9, kWorkers0, 0));
  EXPECT_EQ(lc.events().size(), mark + 7);
}

TEST(JobSetLifecycleTest, WithoutAFailurePolicyTheFirstFailedJobFailsTheJobSet) {
  JobSetLifecycle lc = Make(Small());
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.JobFailed(7, kWorkers1, JobFailureReason::kDeadlineExceeded));
  EXPECT_EQ(Log(lc, mark), (Lines{"7 JobFailed workers-1 DeadlineExceeded",
                                  "7 JobSetFailed workers-1 FailedJobs"}));
  EXPECT_EQ(lc.restarts(), 0);
}

// ---------------------------------------------------------------------------------------
// Each failurePolicy action.

TEST(JobSetLifecycleTest, FailJobSetFailsTheJobSetAtOnce) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 5,
      .rules = {Rule("fail-on-leader", FailurePolicyAction::kFailJobSet, {"leader"})}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(5, kLeader1, 0, PodFailureCause::kError));
  EXPECT_EQ(Log(lc, mark),
            (Lines{"5 PodFailed leader-1/0 Error", "5 JobFailed leader-1 BackoffLimitExceeded",
                   "5 JobSetFailed leader-1 FailJobSetAction"}));
  EXPECT_EQ(lc.restarts(), 0);
  EXPECT_EQ(lc.state(), WorkloadState::kFailed);
}

TEST(JobSetLifecycleTest, RestartJobSetDeletesEveryJobAndCountsTowardMaxRestarts) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 2, .rules = {Rule("restart", FailurePolicyAction::kRestartJobSet)}}));
  lc.Admitted(0);
  ReadyAll(lc, 5);
  lc.ClearActions();
  size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers1, 0, PodFailureCause::kError));
  EXPECT_EQ(
      Log(lc, mark),
      (Lines{"10 PodFailed workers-1/0 Error", "10 JobFailed workers-1 BackoffLimitExceeded",
             "10 JobSetRestarted workers-1 rule=restart counted", "10 JobDeleted leader-0 gen=0",
             "10 JobDeleted leader-1 gen=0", "10 JobDeleted workers-0 gen=0",
             "10 JobDeleted workers-1 gen=0", "10 PodsNotReady"}));
  EXPECT_EQ(TakeActions(lc),
            (Lines{"10 DeleteJob leader-0 gen=0", "10 DeleteJob leader-1 gen=0",
                   "10 DeleteJob workers-0 gen=0", "10 DeleteJob workers-1 gen=0"}));
  EXPECT_EQ(lc.restarts(), 1);
  EXPECT_EQ(lc.restarts_count_towards_max(), 1);
  mark = lc.events().size();
  EXPECT_EQ(lc.OldPodsGone(12), 4);
  EXPECT_EQ(Log(lc, mark),
            (Lines{"12 JobGone leader-0 gen=0", "12 JobGone leader-1 gen=0",
                   "12 JobGone workers-0 gen=0", "12 JobGone workers-1 gen=0",
                   "12 JobCreated leader-0 gen=1", "12 JobCreated leader-1 gen=1",
                   "12 JobCreated workers-0 gen=1", "12 JobCreated workers-1 gen=1"}));
}

TEST(JobSetLifecycleTest, RestartJobSetAndIgnoreMaxRestartsRestartsWithoutUsingTheBudget) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 0,
      .rules = {Rule("ignore", FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts)}}));
  lc.Admitted(0);
  size_t mark = 0;
  for (int64_t t = 10; t <= 30; t += 10) {
    mark = lc.events().size();
    EXPECT_TRUE(lc.PodFailed(t, kLeader0, 0, PodFailureCause::kError));
    EXPECT_EQ(lc.OldPodsGone(t + 1), 4);
  }
  EXPECT_EQ(Log(lc, mark),
            (Lines{"30 PodFailed leader-0/0 Error", "30 JobFailed leader-0 BackoffLimitExceeded",
                   "30 JobSetRestarted leader-0 rule=ignore ignored",
                   "30 JobDeleted leader-0 gen=2", "30 JobDeleted leader-1 gen=2",
                   "30 JobDeleted workers-0 gen=2", "30 JobDeleted workers-1 gen=2",
                   "31 JobGone leader-0 gen=2", "31 JobGone leader-1 gen=2",
                   "31 JobGone workers-0 gen=2", "31 JobGone workers-1 gen=2",
                   "31 JobCreated leader-0 gen=3", "31 JobCreated leader-1 gen=3",
                   "31 JobCreated workers-0 gen=3", "31 JobCreated workers-1 gen=3"}));
  EXPECT_EQ(lc.restarts(), 3);
  EXPECT_EQ(lc.restarts_count_towards_max(), 0);
  EXPECT_EQ(lc.state(), WorkloadState::kAdmitted);
}

TEST(JobSetLifecycleTest, RestartJobRecreatesOnlyTheFailedJobAndCounts) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 2, .rules = {Rule("one", FailurePolicyAction::kRestartJob, {"workers"})}}));
  lc.Admitted(0);
  ReadyAll(lc, 5);
  lc.ClearActions();
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 1, PodFailureCause::kError));
  EXPECT_EQ(TakeActions(lc), (Lines{"10 DeleteJob workers-0 gen=0"}));
  EXPECT_TRUE(lc.OldJobGone(11, kWorkers0));
  EXPECT_EQ(TakeActions(lc, true),
            (Lines{"11 CreateJob workers-0 gen=1", "11 CreatePod workers-0/0 gen=1",
                   "11 CreatePod workers-0/1 gen=1"}));
  ReadyJob(lc, 12, kWorkers0);
  EXPECT_EQ(Log(lc, mark),
            (Lines{"10 PodFailed workers-0/1 Error", "10 JobFailed workers-0 BackoffLimitExceeded",
                   "10 JobRestarted workers-0 rule=one counted", "10 JobDeleted workers-0 gen=0",
                   "10 PodsNotReady", "11 JobGone workers-0 gen=0", "11 JobCreated workers-0 gen=1",
                   "12 JobReady workers-0", "12 PodsReady"}));
  EXPECT_EQ(lc.job_restarts(kWorkers0), 1);
  EXPECT_EQ(lc.restarts(), 0);  // status.restarts counts whole-JobSet restarts only
  EXPECT_EQ(lc.restarts_count_towards_max(), 1);
  EXPECT_EQ(lc.job_generation(kLeader0), 0);
  EXPECT_EQ(lc.job_generation(kWorkers1), 0);
}

TEST(JobSetLifecycleTest, RestartJobAndIgnoreMaxRestartsRecreatesOnlyTheFailedJobForFree) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 0,
      .rules = {Rule("free", FailurePolicyAction::kRestartJobAndIgnoreMaxRestarts)}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers1, 0, PodFailureCause::kError));
  EXPECT_TRUE(lc.OldJobGone(11, kWorkers1));
  EXPECT_TRUE(lc.PodFailed(20, kWorkers1, 1, PodFailureCause::kError));
  EXPECT_TRUE(lc.OldJobGone(21, kWorkers1));
  EXPECT_EQ(Log(lc, mark),
            (Lines{"10 PodFailed workers-1/0 Error", "10 JobFailed workers-1 BackoffLimitExceeded",
                   "10 JobRestarted workers-1 rule=free ignored", "10 JobDeleted workers-1 gen=0",
                   "11 JobGone workers-1 gen=0", "11 JobCreated workers-1 gen=1",
                   "20 PodFailed workers-1/1 Error", "20 JobFailed workers-1 BackoffLimitExceeded",
                   "20 JobRestarted workers-1 rule=free ignored", "20 JobDeleted workers-1 gen=1",
                   "21 JobGone workers-1 gen=1", "21 JobCreated workers-1 gen=2"}));
  EXPECT_EQ(lc.job_restarts(kWorkers1), 2);
  EXPECT_EQ(lc.restarts_count_towards_max(), 0);
  EXPECT_EQ(lc.state(), WorkloadState::kAdmitted);
}

// ---------------------------------------------------------------------------------------
// Rule matching.

TEST(JobSetLifecycleTest, RulesMatchByTargetReplicatedJobs) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 3,
      .rules = {Rule("leader-fails", FailurePolicyAction::kFailJobSet, {"leader"}),
                Rule("workers-restart", FailurePolicyAction::kRestartJob, {"workers"})}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers1, 1, PodFailureCause::kError));
  EXPECT_TRUE(lc.OldJobGone(11, kWorkers1));
  EXPECT_TRUE(lc.PodFailed(20, kLeader0, 0, PodFailureCause::kError));
  EXPECT_EQ(Log(lc, mark),
            (Lines{"10 PodFailed workers-1/1 Error", "10 JobFailed workers-1 BackoffLimitExceeded",
                   "10 JobRestarted workers-1 rule=workers-restart counted",
                   "10 JobDeleted workers-1 gen=0", "11 JobGone workers-1 gen=0",
                   "11 JobCreated workers-1 gen=1", "20 PodFailed leader-0/0 Error",
                   "20 JobFailed leader-0 BackoffLimitExceeded",
                   "20 JobSetFailed leader-0 FailJobSetAction"}));
}

TEST(JobSetLifecycleTest, RulesMatchByOnJobFailureReasons) {
  JobSetSpec spec = Small(FailurePolicySpec{
      .max_restarts = 1,
      .rules = {Rule("disrupted", FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts, {},
                     {JobFailureReason::kPodFailurePolicy}),
                Rule("too-slow", FailurePolicyAction::kFailJobSet, {},
                     {JobFailureReason::kDeadlineExceeded})}});
  spec.replicated_jobs[1].on_disruption = DisruptionPolicy::kFailJob;
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  // A disruption fails the worker Job through its podFailurePolicy: reason PodFailurePolicy.
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 0, PodFailureCause::kDisruption));
  EXPECT_EQ(lc.OldPodsGone(11), 4);
  // An error is BackoffLimitExceeded: neither rule matches, so the default RestartJobSet.
  EXPECT_TRUE(lc.PodFailed(20, kWorkers0, 0, PodFailureCause::kError));
  EXPECT_EQ(lc.OldPodsGone(21), 4);
  EXPECT_TRUE(lc.JobFailed(30, kLeader1, JobFailureReason::kDeadlineExceeded));
  Lines expected = {"10 PodFailed workers-0/0 DisruptionTarget",
                    "10 JobFailed workers-0 PodFailurePolicy",
                    "10 JobSetRestarted workers-0 rule=disrupted ignored"};
  for (const char* job : {"leader-0", "leader-1", "workers-0", "workers-1"}) {
    expected.push_back(std::string("10 JobDeleted ") + job + " gen=0");
  }
  for (const char* job : {"leader-0", "leader-1", "workers-0", "workers-1"}) {
    expected.push_back(std::string("11 JobGone ") + job + " gen=0");
  }
  for (const char* job : {"leader-0", "leader-1", "workers-0", "workers-1"}) {
    expected.push_back(std::string("11 JobCreated ") + job + " gen=1");
  }
  expected.insert(expected.end(),
                  {"20 PodFailed workers-0/0 Error", "20 JobFailed workers-0 BackoffLimitExceeded",
                   "20 JobSetRestarted workers-0 rule=default counted"});
  for (const char* job : {"leader-0", "leader-1", "workers-0", "workers-1"}) {
    expected.push_back(std::string("20 JobDeleted ") + job + " gen=1");
  }
  for (const char* job : {"leader-0", "leader-1", "workers-0", "workers-1"}) {
    expected.push_back(std::string("21 JobGone ") + job + " gen=1");
  }
  for (const char* job : {"leader-0", "leader-1", "workers-0", "workers-1"}) {
    expected.push_back(std::string("21 JobCreated ") + job + " gen=2");
  }
  expected.insert(expected.end(), {"30 JobFailed leader-1 DeadlineExceeded",
                                   "30 JobSetFailed leader-1 FailJobSetAction"});
  EXPECT_EQ(Log(lc, mark), expected);
  EXPECT_EQ(lc.restarts(), 2);
  EXPECT_EQ(lc.restarts_count_towards_max(), 1);
}

TEST(JobSetLifecycleTest, TheFirstMatchingRuleWinsEvenIfALaterOneIsNarrower) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 0,
      .rules = {Rule("anything", FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts),
                Rule("leader", FailurePolicyAction::kFailJobSet, {"leader"})}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kLeader0, 0, PodFailureCause::kError));
  EXPECT_EQ(Log(lc, mark),
            (Lines{"10 PodFailed leader-0/0 Error", "10 JobFailed leader-0 BackoffLimitExceeded",
                   "10 JobSetRestarted leader-0 rule=anything ignored",
                   "10 JobDeleted leader-0 gen=0", "10 JobDeleted leader-1 gen=0",
                   "10 JobDeleted workers-0 gen=0", "10 JobDeleted workers-1 gen=0"}));
}

TEST(JobSetLifecycleTest, NoMatchingRuleRestartsTheJobSetAndCountsIt) {
  JobSetLifecycle lc = Make(
      Small(FailurePolicySpec{.max_restarts = 1,
                              .rules = {Rule("only-deadlines", FailurePolicyAction::kFailJobSet, {},
                                             {JobFailureReason::kDeadlineExceeded})}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 1, PodFailureCause::kError));
  EXPECT_EQ(lc.OldPodsGone(11), 4);
  EXPECT_TRUE(lc.PodFailed(20, kWorkers0, 1, PodFailureCause::kError));
  const Lines log = Log(lc, mark);
  ASSERT_EQ(log.size(), 18u);
  EXPECT_EQ(log[2], "10 JobSetRestarted workers-0 rule=default counted");
  EXPECT_EQ(Lines(log.end() - 3, log.end()),
            (Lines{"20 PodFailed workers-0/1 Error", "20 JobFailed workers-0 BackoffLimitExceeded",
                   "20 JobSetFailed workers-0 ReachedMaxRestarts"}));
}

TEST(JobSetLifecycleTest, MaxRestartsIsOneBudgetForJobSetAndJobRestarts) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 2,
      .rules = {Rule("leader", FailurePolicyAction::kRestartJobSet, {"leader"}),
                Rule("workers", FailurePolicyAction::kRestartJob, {"workers"})}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 0, PodFailureCause::kError));  // 1 of 2
  EXPECT_TRUE(lc.OldJobGone(11, kWorkers0));
  EXPECT_TRUE(lc.PodFailed(20, kLeader1, 0, PodFailureCause::kError));  // 2 of 2
  EXPECT_EQ(lc.OldPodsGone(21), 4);
  EXPECT_TRUE(lc.PodFailed(30, kWorkers1, 1, PodFailureCause::kError));  // none left
  Lines restarts;
  for (const std::string& line : Log(lc, mark)) {
    if (line.find("Restarted") != std::string::npos ||
        line.find("JobSetFailed") != std::string::npos) {
      restarts.push_back(line);
    }
  }
  EXPECT_EQ(restarts, (Lines{"10 JobRestarted workers-0 rule=workers counted",
                             "20 JobSetRestarted leader-1 rule=leader counted",
                             "30 JobSetFailed workers-1 ReachedMaxRestarts"}));
  EXPECT_EQ(lc.restarts_count_towards_max(), 2);
  EXPECT_EQ(TakeActions(lc).back(), "30 FailJobSet");
}

// ---------------------------------------------------------------------------------------
// Success policies.

TEST(JobSetLifecycleTest, SuccessPolicyAllWaitsForEveryJob) {
  JobSetLifecycle lc = Make(Small());
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  SucceedJob(lc, 20, kLeader0);
  SucceedJob(lc, 21, kWorkers1);
  SucceedJob(lc, 22, kLeader1);
  EXPECT_EQ(lc.state(), WorkloadState::kAdmitted);
  SucceedJob(lc, 23, kWorkers0);
  EXPECT_EQ(Log(lc, mark),
            (Lines{"20 JobSucceeded leader-0", "21 JobSucceeded workers-1",
                   "22 JobSucceeded leader-1", "23 JobSucceeded workers-0", "23 JobSetCompleted"}));
}

TEST(JobSetLifecycleTest, SuccessPolicyAnyCompletesWithTheFirstJob) {
  JobSetSpec spec = Small();
  spec.success_policy.op = SuccessOperator::kAny;
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  lc.ClearActions();
  const size_t mark = lc.events().size();
  SucceedJob(lc, 20, kLeader1);
  EXPECT_EQ(Log(lc, mark), (Lines{"20 JobSucceeded leader-1", "20 JobSetCompleted"}));
  EXPECT_EQ(TakeActions(lc), (Lines{"20 CompleteJobSet"}));
  EXPECT_FALSE(lc.PodSucceeded(21, kWorkers0, 0));  // deleted with the JobSet
}

TEST(JobSetLifecycleTest, SuccessPolicyAnyCountsOnlyTargetReplicatedJobs) {
  JobSetSpec spec = Small();
  spec.success_policy = {.op = SuccessOperator::kAny, .target_replicated_jobs = {"workers"}};
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  SucceedJob(lc, 20, kLeader0);
  SucceedJob(lc, 21, kLeader1);
  EXPECT_EQ(lc.state(), WorkloadState::kAdmitted);
  SucceedJob(lc, 22, kWorkers1);
  EXPECT_EQ(Log(lc, mark), (Lines{"20 JobSucceeded leader-0", "21 JobSucceeded leader-1",
                                  "22 JobSucceeded workers-1", "22 JobSetCompleted"}));
}

TEST(JobSetLifecycleTest, SuccessPolicyAllWithTargetsIgnoresTheOtherJobs) {
  JobSetSpec spec = Small();
  spec.success_policy.target_replicated_jobs = {"leader"};
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  SucceedJob(lc, 20, kLeader0);
  SucceedJob(lc, 21, kWorkers0);
  SucceedJob(lc, 22, kLeader1);
  EXPECT_EQ(Log(lc, mark), (Lines{"20 JobSucceeded leader-0", "21 JobSucceeded workers-0",
                                  "22 JobSucceeded leader-1", "22 JobSetCompleted"}));
}

// ---------------------------------------------------------------------------------------
// dependsOn.

TEST(JobSetLifecycleTest, DependsOnReadyCreatesJobsOnceEveryJobOfTheDependencyIsReady) {
  JobSetSpec spec = Small();
  spec.replicated_jobs[1].depends_on = DependsOnSpec{"leader", DependsOnStatus::kReady};
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  ReadyJob(lc, 5, kLeader0);
  EXPECT_EQ(lc.job_state(kWorkers0), JobState::kPending);
  ReadyJob(lc, 6, kLeader1);
  ReadyJob(lc, 8, kWorkers0);
  ReadyJob(lc, 9, kWorkers1);
  EXPECT_EQ(Log(lc),
            (Lines{"0 Admitted", "0 JobCreated leader-0 gen=0", "0 JobCreated leader-1 gen=0",
                   "5 JobReady leader-0", "6 JobReady leader-1", "6 JobCreated workers-0 gen=0",
                   "6 JobCreated workers-1 gen=0", "8 JobReady workers-0", "9 JobReady workers-1",
                   "9 PodsReady"}));
}

TEST(JobSetLifecycleTest, DependsOnCompleteCreatesJobsOnceEveryJobOfTheDependencySucceeded) {
  JobSetSpec spec = Small();
  spec.replicated_jobs[1].depends_on = DependsOnSpec{"leader", DependsOnStatus::kComplete};
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  ReadyAll(lc, 5);
  SucceedJob(lc, 10, kLeader0);
  SucceedJob(lc, 12, kLeader1);
  ReadyAll(lc, 15);
  EXPECT_EQ(Log(lc),
            (Lines{"0 Admitted", "0 JobCreated leader-0 gen=0", "0 JobCreated leader-1 gen=0",
                   "5 JobReady leader-0", "5 JobReady leader-1", "10 JobSucceeded leader-0",
                   "12 JobSucceeded leader-1", "12 JobCreated workers-0 gen=0",
                   "12 JobCreated workers-1 gen=0", "15 JobReady workers-0",
                   "15 JobReady workers-1", "15 PodsReady"}));
}

TEST(JobSetLifecycleTest, ARestartStartsTheDependsOnSequenceAgain) {
  JobSetSpec spec = Small(FailurePolicySpec{.max_restarts = 1});
  spec.replicated_jobs[1].depends_on = DependsOnSpec{"leader", DependsOnStatus::kReady};
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  ReadyAll(lc, 5);  // the workers are created when the last leader is ready, and readied too
  EXPECT_TRUE(lc.pods_ready());
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 0, PodFailureCause::kError));
  const size_t mark = lc.events().size();
  EXPECT_EQ(lc.OldPodsGone(11), 4);
  ReadyJob(lc, 13, kLeader0);
  ReadyJob(lc, 14, kLeader1);
  EXPECT_EQ(
      Log(lc, mark),
      (Lines{"11 JobGone leader-0 gen=0", "11 JobGone leader-1 gen=0", "11 JobGone workers-0 gen=0",
             "11 JobGone workers-1 gen=0", "11 JobCreated leader-0 gen=1",
             "11 JobCreated leader-1 gen=1", "13 JobReady leader-0", "14 JobReady leader-1",
             "14 JobCreated workers-0 gen=1", "14 JobCreated workers-1 gen=1"}));
}

// ---------------------------------------------------------------------------------------
// Restart strategies.

TEST(JobSetLifecycleTest, RecreateCreatesEachJobAsSoonAsItsOwnOldCopyIsGone) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{.max_restarts = 1}));
  lc.Admitted(0);
  EXPECT_TRUE(lc.PodFailed(10, kLeader0, 0, PodFailureCause::kError));
  lc.ClearActions();
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.OldJobGone(12, kLeader1));
  EXPECT_TRUE(lc.OldJobGone(13, kWorkers0));
  EXPECT_FALSE(lc.OldJobGone(13, kWorkers0));  // reported twice: nothing left to release
  EXPECT_TRUE(lc.OldJobGone(14, kLeader0));
  EXPECT_TRUE(lc.OldJobGone(15, kWorkers1));
  EXPECT_EQ(Log(lc, mark), (Lines{"12 JobGone leader-1 gen=0", "12 JobCreated leader-1 gen=1",
                                  "13 JobGone workers-0 gen=0", "13 JobCreated workers-0 gen=1",
                                  "14 JobGone leader-0 gen=0", "14 JobCreated leader-0 gen=1",
                                  "15 JobGone workers-1 gen=0", "15 JobCreated workers-1 gen=1"}));
  EXPECT_EQ(TakeActions(lc),
            (Lines{"12 CreateJob leader-1 gen=1", "13 CreateJob workers-0 gen=1",
                   "14 CreateJob leader-0 gen=1", "15 CreateJob workers-1 gen=1"}));
}

TEST(JobSetLifecycleTest, BlockingRecreateCreatesNothingUntilEveryOldPodIsGone) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 1, .restart_strategy = RestartStrategy::kBlockingRecreate}));
  lc.Admitted(0);
  EXPECT_TRUE(lc.PodFailed(10, kLeader0, 0, PodFailureCause::kError));
  lc.ClearActions();
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.OldJobGone(12, kLeader1));
  EXPECT_TRUE(lc.OldJobGone(13, kWorkers0));
  EXPECT_TRUE(lc.OldJobGone(14, kLeader0));
  EXPECT_TRUE(lc.actions().empty());
  EXPECT_TRUE(lc.OldJobGone(15, kWorkers1));
  EXPECT_EQ(Log(lc, mark),
            (Lines{"12 JobGone leader-1 gen=0", "13 JobGone workers-0 gen=0",
                   "14 JobGone leader-0 gen=0", "15 JobGone workers-1 gen=0",
                   "15 JobCreated leader-0 gen=1", "15 JobCreated leader-1 gen=1",
                   "15 JobCreated workers-0 gen=1", "15 JobCreated workers-1 gen=1"}));
}

TEST(JobSetLifecycleTest, BlockingRecreateHoldsBackOneJobWhileAnotherOldCopyHasPods) {
  // Two single-Job restarts in a row. Under Recreate workers-1 is back at 12, as soon as its
  // own old copy is gone; under BlockingRecreate it also waits for workers-0's old copy.
  for (const RestartStrategy strategy :
       {RestartStrategy::kRecreate, RestartStrategy::kBlockingRecreate}) {
    JobSetLifecycle lc =
        Make(Small(FailurePolicySpec{.max_restarts = 2,
                                     .restart_strategy = strategy,
                                     .rules = {Rule("one", FailurePolicyAction::kRestartJob)}}));
    lc.Admitted(0);
    EXPECT_TRUE(lc.PodFailed(10, kWorkers1, 0, PodFailureCause::kError));
    EXPECT_TRUE(lc.PodFailed(11, kWorkers0, 0, PodFailureCause::kError));
    const size_t mark = lc.events().size();
    EXPECT_TRUE(lc.OldJobGone(12, kWorkers1));
    EXPECT_TRUE(lc.OldJobGone(13, kWorkers0));
    if (strategy == RestartStrategy::kRecreate) {
      EXPECT_EQ(Log(lc, mark),
                (Lines{"12 JobGone workers-1 gen=0", "12 JobCreated workers-1 gen=1",
                       "13 JobGone workers-0 gen=0", "13 JobCreated workers-0 gen=1"}));
    } else {
      EXPECT_EQ(Log(lc, mark),
                (Lines{"12 JobGone workers-1 gen=0", "13 JobGone workers-0 gen=0",
                       "13 JobCreated workers-0 gen=1", "13 JobCreated workers-1 gen=1"}));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Failure injection: node failures and disruptions.

TEST(JobSetLifecycleTest, ANodeFailureFailsEveryPodOnItAndTheRulesSeeEveryFailedJob) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 1,
      .rules = {Rule("workers-alone", FailurePolicyAction::kRestartJobAndIgnoreMaxRestarts,
                     {"workers"})}}));
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  const std::vector<PodRef> on_node = {{kLeader1, 0}, {kWorkers0, 1}};
  EXPECT_EQ(lc.NodeFailed(10, on_node), 2);
  // leader-1 failed first, but rules are tried in order: the first rule takes workers-0, then
  // leader-1, which no rule matches, restarts the whole JobSet.
  EXPECT_EQ(
      Log(lc, mark),
      (Lines{
          "10 PodFailed leader-1/0 DisruptionTarget", "10 JobFailed leader-1 BackoffLimitExceeded",
          "10 PodFailed workers-0/1 DisruptionTarget",
          "10 JobFailed workers-0 BackoffLimitExceeded",
          "10 JobRestarted workers-0 rule=workers-alone ignored", "10 JobDeleted workers-0 gen=0",
          "10 JobSetRestarted leader-1 rule=default counted", "10 JobDeleted leader-0 gen=0",
          "10 JobDeleted leader-1 gen=0", "10 JobDeleted workers-1 gen=0"}));
}

TEST(JobSetLifecycleTest, DisruptionsIgnoredByThePodFailurePolicyDoNotCountAgainstBackoffLimit) {
  JobSetSpec spec = Small();
  spec.replicated_jobs[1].on_disruption = DisruptionPolicy::kIgnore;
  JobSetLifecycle lc = Make(spec);
  lc.Admitted(0);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 0, PodFailureCause::kDisruption));
  EXPECT_TRUE(lc.PodFailed(11, kWorkers0, 0, PodFailureCause::kDisruption));
  EXPECT_EQ(lc.job_state(kWorkers0), JobState::kActive);
  EXPECT_TRUE(lc.PodFailed(12, kWorkers0, 0, PodFailureCause::kError));  // backoffLimit 0
  EXPECT_EQ(Log(lc, mark, true),
            (Lines{"10 PodFailed workers-0/0 DisruptionTarget", "10 PodCreated workers-0/0",
                   "11 PodFailed workers-0/0 DisruptionTarget", "11 PodCreated workers-0/0",
                   "12 PodFailed workers-0/0 Error", "12 JobFailed workers-0 BackoffLimitExceeded",
                   "12 JobSetFailed workers-0 FailedJobs"}));
}

// ---------------------------------------------------------------------------------------
// Kueue waitForPodsReady.

WaitForPodsReadyConfig PodsReady(std::optional<int32_t> limit = std::nullopt) {
  WaitForPodsReadyConfig config{.enable = true, .timeout_s = 300};
  config.requeuing_strategy.backoff_limit_count = limit;
  return config;
}

TEST(JobSetLifecycleTest, PodsReadyTimeoutEvictsAndRequeuesWithDoublingBackoffUpToTheCap) {
  JobSetLifecycle lc = Make(Small(), PodsReady());
  lc.Admitted(0);
  EXPECT_EQ(lc.NextDeadline(), 300);
  lc.ClearActions();
  std::vector<int64_t> delays;
  int64_t admitted = 0;
  for (int n = 1; n <= 8; ++n) {
    ASSERT_EQ(lc.NextDeadline(), admitted + 300);
    lc.Tick(admitted + 300);
    ASSERT_EQ(lc.actions().size(), 1u);
    const Action evict = lc.actions()[0];
    EXPECT_EQ(evict.kind, ActionKind::kEvictWorkload);
    EXPECT_EQ(evict.queue_key_time_s, admitted + 300);  // Eviction: queued by eviction time
    delays.push_back(evict.requeue_at_s - evict.time_s);
    EXPECT_EQ(lc.requeue_count(), n);
    EXPECT_FALSE(lc.NextDeadline().has_value());
    lc.ClearActions();
    admitted = evict.requeue_at_s;
    lc.Admitted(admitted);
    lc.ClearActions();
  }
  // backoffBaseSeconds 60 doubling per requeue, capped by backoffMaxSeconds 3600.
  EXPECT_EQ(delays, (std::vector<int64_t>{60, 120, 240, 480, 960, 1920, 3600, 3600}));
  const Lines log = Log(lc);
  EXPECT_EQ(
      Lines(log.begin(), log.begin() + 16),
      (Lines{"0 Admitted", "0 JobCreated leader-0 gen=0", "0 JobCreated leader-1 gen=0",
             "0 JobCreated workers-0 gen=0", "0 JobCreated workers-1 gen=0",
             "300 Evicted n=1 at=360", "300 JobSuspended leader-0", "300 JobSuspended leader-1",
             "300 JobSuspended workers-0", "300 JobSuspended workers-1", "360 Admitted",
             "360 JobResumed leader-0", "360 JobResumed leader-1", "360 JobResumed workers-0",
             "360 JobResumed workers-1", "660 Evicted n=2 at=780"}));
  EXPECT_EQ(lc.count(EventKind::kEvicted), 8);
  EXPECT_EQ(lc.count(EventKind::kAdmitted), 9);
}

TEST(JobSetLifecycleTest, PodsReadyTimeoutDeactivatesAfterBackoffLimitCountRequeues) {
  JobSetLifecycle lc = Make(Small(), PodsReady(2));
  lc.Admitted(0);
  lc.Tick(300);
  lc.Admitted(360);
  lc.Tick(660);
  lc.Admitted(780);
  lc.ClearActions();
  const size_t mark = lc.events().size();
  lc.Tick(1080);
  EXPECT_EQ(Log(lc, mark), (Lines{"1080 Deactivated requeues=2", "1080 JobSuspended leader-0",
                                  "1080 JobSuspended leader-1", "1080 JobSuspended workers-0",
                                  "1080 JobSuspended workers-1"}));
  EXPECT_EQ(TakeActions(lc), (Lines{"1080 DeactivateWorkload"}));
  EXPECT_EQ(lc.state(), WorkloadState::kDeactivated);
  EXPECT_FALSE(lc.NextDeadline().has_value());

  // backoffLimitCount 0: the first timeout deactivates.
  JobSetLifecycle never = Make(Small(), PodsReady(0));
  never.Admitted(0);
  never.Tick(300);
  EXPECT_EQ(never.state(), WorkloadState::kDeactivated);
  EXPECT_EQ(never.count(EventKind::kEvicted), 0);
}

TEST(JobSetLifecycleTest, RequeuingTimestampPicksTheQueueKey) {
  WaitForPodsReadyConfig config = PodsReady();
  for (const RequeuingTimestamp timestamp :
       {RequeuingTimestamp::kEviction, RequeuingTimestamp::kCreation}) {
    config.requeuing_strategy.timestamp = timestamp;
    JobSetLifecycle lc = Make(Small(), config, /*created=*/100);
    lc.Admitted(150);
    lc.ClearActions();
    lc.Tick(450);
    EXPECT_EQ(TakeActions(lc), (Lines{timestamp == RequeuingTimestamp::kEviction
                                          ? "450 EvictWorkload at=510 key=450"
                                          : "450 EvictWorkload at=510 key=100"}));
  }
}

// requeuingStrategy {backoffBaseSeconds 10, backoffMaxSeconds 25}, timeout 300: the n-th
// requeue waits min(10 * 2^(n-1), 25) = 10, 20, 25, 25 s, so the workload is admitted at 0,
// evicted at 300 (back at 310), 610 (630), 930 (955) and 1255 (1280). With base 0 every
// requeue is immediate; with a maximum below the base (Kueue accepts it) every delay is the
// maximum.
TEST(JobSetLifecycleTest, BackoffBaseAndMaxSetTheRequeueTimes) {
  const auto run = [](int64_t base_s, int64_t max_s) {
    WaitForPodsReadyConfig config = PodsReady();
    config.requeuing_strategy.backoff_base_s = base_s;
    config.requeuing_strategy.backoff_max_s = max_s;
    JobSetLifecycle lc = Make(Small(), config);
    int64_t admitted = 0;
    for (int n = 1; n <= 4; ++n) {
      lc.Admitted(admitted);
      lc.ClearActions();
      lc.Tick(admitted + 300);
      EXPECT_EQ(lc.actions().size(), 1u);
      admitted = lc.actions().empty() ? 0 : lc.actions()[0].requeue_at_s;
      lc.ClearActions();
    }
    Lines log;
    for (const std::string& line : Log(lc)) {
      if (line.find("Admitted") != std::string::npos || line.find("Evicted") != std::string::npos) {
        log.push_back(line);
      }
    }
    return log;
  };
  EXPECT_EQ(run(10, 25), (Lines{"0 Admitted", "300 Evicted n=1 at=310", "310 Admitted",
                                "610 Evicted n=2 at=630", "630 Admitted", "930 Evicted n=3 at=955",
                                "955 Admitted", "1255 Evicted n=4 at=1280"}));
  // Kueue's defaults for comparison: 60, 120, 240, 480.
  EXPECT_EQ(run(60, 3600),
            (Lines{"0 Admitted", "300 Evicted n=1 at=360", "360 Admitted", "660 Evicted n=2 at=780",
                   "780 Admitted", "1080 Evicted n=3 at=1320", "1320 Admitted",
                   "1620 Evicted n=4 at=2100"}));
  EXPECT_EQ(run(0, 3600), (Lines{"0 Admitted", "300 Evicted n=1 at=300", "300 Admitted",
                                 "600 Evicted n=2 at=600", "600 Admitted", "900 Evicted n=3 at=900",
                                 "900 Admitted", "1200 Evicted n=4 at=1200"}));
  EXPECT_EQ(run(100, 30), (Lines{"0 Admitted", "300 Evicted n=1 at=330", "330 Admitted",
                                 "630 Evicted n=2 at=660", "660 Admitted", "960 Evicted n=3 at=990",
                                 "990 Admitted", "1290 Evicted n=4 at=1320"}));
}

TEST(JobSetLifecycleTest, PodsReadyInTimeStopsTheTimer) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{.max_restarts = 1}), PodsReady());
  EXPECT_FALSE(lc.waiting_for_pods_ready());
  lc.Admitted(0);
  EXPECT_TRUE(lc.waiting_for_pods_ready());
  ReadyAll(lc, 299);
  EXPECT_TRUE(lc.pods_ready());
  EXPECT_FALSE(lc.waiting_for_pods_ready());
  EXPECT_TRUE(lc.PodFailed(400, kLeader0, 0, PodFailureCause::kError));  // a restart
  EXPECT_FALSE(lc.pods_ready());
  EXPECT_FALSE(lc.waiting_for_pods_ready());  // it was PodsReady once; it does not block
  EXPECT_FALSE(lc.NextDeadline().has_value());
  lc.Tick(10'000);  // no recoveryTimeout: nothing times out
  EXPECT_EQ(lc.state(), WorkloadState::kAdmitted);
  EXPECT_EQ(lc.count(EventKind::kEvicted), 0);
}

TEST(JobSetLifecycleTest, InputsAtTheDeadlineComeBeforeTheTimeout) {
  JobSetLifecycle lc = Make(Small(), PodsReady());
  lc.Admitted(0);
  ReadyAll(lc, 300);  // exactly at the deadline: in time
  lc.Tick(300);
  EXPECT_EQ(lc.state(), WorkloadState::kAdmitted);
  EXPECT_TRUE(lc.pods_ready());
}

TEST(JobSetLifecycleTest, RecoveryTimeoutLimitsHowLongALostPodsReadyMayLast) {
  JobSetSpec spec = Small();
  spec.replicated_jobs[1].backoff_limit = 3;
  WaitForPodsReadyConfig config = PodsReady();
  config.recovery_timeout_s = 120;
  JobSetLifecycle lc = Make(spec, config);
  lc.Admitted(0);
  ReadyAll(lc, 20);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(50, kWorkers0, 0, PodFailureCause::kError));
  EXPECT_EQ(lc.NextDeadline(), 170);
  lc.Tick(170);
  EXPECT_EQ(Log(lc, mark), (Lines{"50 PodFailed workers-0/0 Error", "50 JobNotReady workers-0",
                                  "50 PodsNotReady", "170 Evicted n=1 at=230",
                                  "170 JobSuspended leader-0", "170 JobSuspended leader-1",
                                  "170 JobSuspended workers-0", "170 JobSuspended workers-1"}));

  // Without recoveryTimeout a workload that was PodsReady once is never timed out again.
  JobSetLifecycle patient = Make(spec, PodsReady());
  patient.Admitted(0);
  ReadyAll(patient, 20);
  EXPECT_TRUE(patient.PodFailed(50, kWorkers0, 0, PodFailureCause::kError));
  EXPECT_FALSE(patient.NextDeadline().has_value());
}

TEST(JobSetLifecycleTest, EvictionKeepsSucceededPodsAndReadmissionStartsOnlyTheRest) {
  JobSetLifecycle lc = Make(Small(), PodsReady());
  lc.Admitted(0);
  SucceedJob(lc, 100, kLeader1);                   // a whole Job done
  EXPECT_TRUE(lc.PodSucceeded(120, kLeader0, 0));  // half a Job done
  lc.Tick(300);
  lc.ClearActions();
  const size_t mark = lc.events().size();
  lc.Admitted(360);
  EXPECT_EQ(Log(lc, mark, true),
            (Lines{"360 Admitted", "360 JobResumed leader-0", "360 PodCreated leader-0/1",
                   "360 JobResumed workers-0", "360 PodCreated workers-0/0",
                   "360 PodCreated workers-0/1", "360 JobResumed workers-1",
                   "360 PodCreated workers-1/0", "360 PodCreated workers-1/1"}));
  EXPECT_EQ(lc.job_state(kLeader1), JobState::kSucceeded);
  EXPECT_EQ(lc.NextDeadline(), 660);
}

TEST(JobSetLifecycleTest, EvictionReleasesDeletedCopiesAndReadmissionCreatesThem) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{.max_restarts = 1}), PodsReady());
  lc.Admitted(0);
  EXPECT_TRUE(lc.PodFailed(10, kLeader0, 0, PodFailureCause::kError));
  EXPECT_TRUE(lc.OldJobGone(20, kLeader1));  // leader-1 recreated; the rest still terminating
  const size_t mark = lc.events().size();
  lc.Tick(300);
  lc.Admitted(360);
  EXPECT_EQ(
      Log(lc, mark),
      (Lines{"300 Evicted n=1 at=360", "300 JobGone leader-0 gen=0", "300 JobSuspended leader-1",
             "300 JobGone workers-0 gen=0", "300 JobGone workers-1 gen=0", "360 Admitted",
             "360 JobCreated leader-0 gen=1", "360 JobResumed leader-1",
             "360 JobCreated workers-0 gen=1", "360 JobCreated workers-1 gen=1"}));
  EXPECT_FALSE(lc.OldJobGone(361, kLeader0));  // already released by the eviction
}

// ---------------------------------------------------------------------------------------
// Inputs from the past, counting, and bugs in the caller.

TEST(JobSetLifecycleTest, ReportsFromDeletedOrFinishedJobsAreIgnored) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{.max_restarts = 1}));
  lc.Admitted(0);
  EXPECT_TRUE(lc.PodFailed(10, kLeader0, 0, PodFailureCause::kError));
  const size_t mark = lc.events().size();
  EXPECT_FALSE(lc.PodReady(11, kLeader1, 0));  // leader-1 is being deleted
  EXPECT_FALSE(lc.PodFailed(11, kWorkers0, 0, PodFailureCause::kError));
  EXPECT_FALSE(lc.JobFailed(11, kWorkers0, JobFailureReason::kDeadlineExceeded));
  EXPECT_EQ(lc.NodeFailed(11, std::vector<PodRef>{{kWorkers1, 0}}), 0);
  EXPECT_EQ(lc.events().size(), mark);
  EXPECT_EQ(lc.restarts(), 1);
}

TEST(JobSetLifecycleTest, CountsTallyTheLogAndAreKeptWithoutIt) {
  auto run = [](LifecycleOptions options) {
    JobSetLifecycle lc = Make(Small(FailurePolicySpec{.max_restarts = 3}), {}, 0, options);
    lc.Admitted(0);
    ReadyAll(lc, 5);
    EXPECT_TRUE(lc.PodFailed(10, kWorkers1, 0, PodFailureCause::kError));
    EXPECT_EQ(lc.OldPodsGone(11), 4);
    ReadyAll(lc, 15);
    for (int32_t job = 0; job < 4; ++job) SucceedJob(lc, 20, job);
    return lc;
  };
  const JobSetLifecycle logged = run({});
  const JobSetLifecycle quiet = run({.keep_event_log = false});
  EXPECT_TRUE(quiet.events().empty());
  EXPECT_EQ(quiet.counts(), logged.counts());
  EventCounts tally{};
  for (const Event& event : logged.events()) ++tally[static_cast<size_t>(event.kind)];
  EXPECT_EQ(tally, logged.counts());
  EXPECT_EQ(logged.count(EventKind::kJobCreated), 8);
  EXPECT_EQ(logged.count(EventKind::kPodCreated), 16);
  EXPECT_EQ(logged.count(EventKind::kPodsReady), 2);
  EXPECT_EQ(logged.count(EventKind::kJobSetRestarted), 1);
  EXPECT_EQ(logged.count(EventKind::kJobSetCompleted), 1);
}

TEST(JobSetLifecycleDeathTest, ContradictoryInputsAreBugsInTheCaller) {
  JobSetLifecycle lc = Make(Small(), PodsReady());
  lc.Admitted(10);
  EXPECT_DEATH(lc.PodReady(5, kLeader0, 0), "time went backwards");
  EXPECT_DEATH(lc.PodReady(311, kLeader0, 0), "call Tick");
  EXPECT_DEATH(lc.PodReady(20, kLeader0, 7), "no pod 7");
  EXPECT_TRUE(lc.PodReady(20, kLeader0, 0));
  EXPECT_DEATH(lc.PodReady(21, kLeader0, 0), "already ready");
  EXPECT_DEATH(lc.Admitted(22), "not waiting for admission");
}

// ---------------------------------------------------------------------------------------
// Validation.

TEST(JobSetLifecycleTest, ValidationNamesTheJobSetAndTheField) {
  auto error_of = [](JobSetSpec spec) {
    Status status = ValidateJobSetSpec(spec);
    return status.ok() ? std::string("ok") : status.error().ToString();
  };
  EXPECT_EQ(error_of(Small()), "ok");
  JobSetSpec spec = Small();
  spec.replicated_jobs[1].depends_on = DependsOnSpec{"nope", DependsOnStatus::kReady};
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.replicatedJobs[1].dependsOn[0].name: \"nope\" "
            "is not an earlier replicatedJob");
  spec = Small();
  spec.replicated_jobs[0].depends_on = DependsOnSpec{"workers", DependsOnStatus::kReady};
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.replicatedJobs[0].dependsOn: not allowed on the "
            "first replicatedJob");
  spec = Small();
  spec.replicated_jobs[1].name = "leader";
  EXPECT_EQ(error_of(spec), "JobSet train: spec.replicatedJobs[1].name: duplicate name \"leader\"");
  spec = Small();
  spec.replicated_jobs[0].parallelism = 0;
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.replicatedJobs[0].template.spec.parallelism: must be >= 1");
  spec = Small();
  spec.replicated_jobs[1].backoff_limit = -1;
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.replicatedJobs[1].template.spec.backoffLimit: must be >= 0");
  spec = Small(FailurePolicySpec{
      .rules = {Rule("r", FailurePolicyAction::kRestartJob, {"leader", "ghost"})}});
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.failurePolicy.rules[0].targetReplicatedJobs[1]: "
            "\"ghost\" names no replicatedJob");
  spec = Small(FailurePolicySpec{.rules = {Rule("r", FailurePolicyAction::kRestartJob)}});
  spec.replicated_jobs[1].replicas = 1025;
  spec.replicated_jobs[1].parallelism = 1;
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.failurePolicy.rules[0].action: RestartJob allows "
            "at most 1024 replicas per replicatedJob; \"workers\" has 1025");
  spec = Small(FailurePolicySpec{.max_restarts = -1});
  EXPECT_EQ(error_of(spec), "JobSet train: spec.failurePolicy.maxRestarts: must be >= 0");
  spec = Small();
  spec.success_policy.target_replicated_jobs = {"ghost"};
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.successPolicy.targetReplicatedJobs[0]: "
            "\"ghost\" names no replicatedJob");
  spec = Small();
  spec.replicated_jobs[0].replicas = 1 << 20;
  spec.replicated_jobs[0].parallelism = 1 << 10;
  EXPECT_EQ(error_of(spec),
            "JobSet train: spec.replicatedJobs[0].replicas: the JobSet asks for "
            "more than 16777216 pods");

  WaitForPodsReadyConfig config = PodsReady(-1);
  EXPECT_EQ(ValidateWaitForPodsReady(config).error().ToString(),
            "waitForPodsReady.requeuingStrategy.backoffLimitCount: must be >= 0");
  auto made = JobSetLifecycle::Create(Small(), config, 0);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code(), ErrorCode::kInvalidArgument);
}

TEST(JobSetLifecycleTest, UnnamedRulesGetUpstreamsDefaultNames) {
  JobSetLifecycle lc = Make(Small(FailurePolicySpec{
      .max_restarts = 0,
      .rules = {Rule("", FailurePolicyAction::kFailJobSet, {"leader"}),
                Rule("", FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts)}}));
  EXPECT_EQ(lc.spec().failure_policy->rules[0].name, "failurePolicyRule0");
  lc.Admitted(0);
  EXPECT_TRUE(lc.PodFailed(10, kWorkers0, 0, PodFailureCause::kError));
  EXPECT_EQ(lc.FormatEvent(lc.events()[lc.events().size() - 5]),
            "10 JobSetRestarted workers-0 rule=failurePolicyRule1 ignored");
}

// ---------------------------------------------------------------------------------------
// The upstream example manifests, transcribed (../shared/reference/k8s-examples/jobset/).

// failure-policy.yaml: maxRestarts 3, restartStrategy BlockingRecreate, no rules; leader and
// workers, 1 replica each, parallelism = completions = 2, backoffLimit 0. The leader's index 0
// exits 1 after 10 s, so every run fails 10 s after its Jobs are created.
TEST(JobSetLifecycleTest, UpstreamFailurePolicyExampleRestartsThreeTimesThenFails) {
  ExpectManifestSays("failure-policy.yaml",
                     {"restartStrategy: BlockingRecreate", "maxRestarts: 3", "backoffLimit: 0",
                      "completions: 2", "parallelism: 2", "- name: leader", "- name: workers"});
  JobSetLifecycle lc = Make(
      JobSetSpec{.name = "failure-policy",
                 .replicated_jobs = {Rj("leader", 1), Rj("workers", 1)},
                 .failure_policy = FailurePolicySpec{
                     .max_restarts = 3, .restart_strategy = RestartStrategy::kBlockingRecreate}});
  lc.Admitted(0);
  int64_t started = 0;
  while (!lc.finished()) {
    EXPECT_TRUE(lc.PodFailed(started + 10, 0, 0, PodFailureCause::kError));
    if (lc.finished()) break;
    EXPECT_TRUE(lc.OldJobGone(started + 11, 1));  // workers-0 first: nothing is created
    EXPECT_EQ(lc.job_state(1), JobState::kPending);
    EXPECT_TRUE(lc.OldJobGone(started + 11, 0));  // then both are created together
    started += 11;
  }
  Lines outcome;
  for (const std::string& line : Log(lc)) {
    if (line.find("JobSet") != std::string::npos) outcome.push_back(line);
  }
  EXPECT_EQ(outcome, (Lines{"10 JobSetRestarted leader-0 rule=default counted",
                            "21 JobSetRestarted leader-0 rule=default counted",
                            "32 JobSetRestarted leader-0 rule=default counted",
                            "43 JobSetFailed leader-0 ReachedMaxRestarts"}));
  EXPECT_EQ(lc.count(EventKind::kJobCreated), 8);
}

// failure-policy-host-maintenance.yaml: maxRestarts 0; rules [RestartJobSetAndIgnoreMaxRestarts
// on PodFailurePolicy, RestartJobSet targeting leader]; the leader's podFailurePolicy fails the
// Job on DisruptionTarget; leader and workers 1 replica, parallelism = completions = 2,
// backoffLimit 0. A host maintenance restarts for free; any other leader failure uses the
// (empty) budget and fails the JobSet; a worker failure matches neither rule.
TEST(JobSetLifecycleTest, UpstreamHostMaintenanceExampleRestartsForFreeOnlyOnDisruptions) {
  ExpectManifestSays("failure-policy-host-maintenance.yaml",
                     {"maxRestarts: 0", "- action: RestartJobSetAndIgnoreMaxRestarts",
                      "- PodFailurePolicy", "- action: RestartJobSet", "- leader",
                      "- action: FailJob", "- type: DisruptionTarget", "backoffLimit: 0"});
  auto make = [] {
    JobSetSpec spec{.name = "host-maintenance-event-model",
                    .replicated_jobs = {Rj("leader", 1), Rj("workers", 1)},
                    .failure_policy = FailurePolicySpec{
                        .max_restarts = 0,
                        .rules = {Rule("", FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts,
                                       {}, {JobFailureReason::kPodFailurePolicy}),
                                  Rule("", FailurePolicyAction::kRestartJobSet, {"leader"})}}};
    spec.replicated_jobs[0].on_disruption = DisruptionPolicy::kFailJob;
    return Make(spec);
  };
  JobSetLifecycle lc = make();
  lc.Admitted(0);
  const std::vector<PodRef> maintained = {{0, 1}};
  EXPECT_EQ(lc.NodeFailed(100, maintained), 1);
  EXPECT_EQ(lc.OldPodsGone(101), 2);
  EXPECT_TRUE(lc.PodFailed(221, 0, 0, PodFailureCause::kError));  // index 0 exits 1 after 120 s
  Lines outcome;
  for (const std::string& line : Log(lc)) {
    if (line.find("Failed") != std::string::npos || line.find("JobSet") != std::string::npos) {
      outcome.push_back(line);
    }
  }
  EXPECT_EQ(
      outcome,
      (Lines{"100 PodFailed leader-0/1 DisruptionTarget", "100 JobFailed leader-0 PodFailurePolicy",
             "100 JobSetRestarted leader-0 rule=failurePolicyRule0 ignored",
             "221 PodFailed leader-0/0 Error", "221 JobFailed leader-0 BackoffLimitExceeded",
             "221 JobSetFailed leader-0 ReachedMaxRestarts"}));

  // The workers have no podFailurePolicy: their disruption is BackoffLimitExceeded, which the
  // first rule does not take and the second does not target, so the default RestartJobSet
  // finds maxRestarts 0 used up.
  JobSetLifecycle workers = make();
  workers.Admitted(0);
  const std::vector<PodRef> worker_node = {{1, 0}};
  EXPECT_EQ(workers.NodeFailed(50, worker_node), 1);
  EXPECT_EQ(workers.FormatEvent(workers.events().back()),
            "50 JobSetFailed workers-0 ReachedMaxRestarts");
}

// failure-policy-restartjob-action.yaml: maxRestarts 2; rules r_leader RestartJobSet targeting
// rj-leader, r_worker RestartJob targeting rj-worker; 1 replica each, parallelism =
// completions = 2, backoffLimit 0.
TEST(JobSetLifecycleTest, UpstreamRestartJobExampleRestartsWorkersAloneAndTheLeaderWithAll) {
  ExpectManifestSays("failure-policy-restartjob-action.yaml",
                     {"maxRestarts: 2", "- name: r_leader", "action: RestartJobSet", "- rj-leader",
                      "- name: r_worker", "action: RestartJob", "- rj-worker",
                      "backoffLimit: 0 # Job fails if any Pod fails"});
  JobSetLifecycle lc = Make(JobSetSpec{
      .name = "js",
      .replicated_jobs = {Rj("rj-leader", 1), Rj("rj-worker", 1)},
      .failure_policy = FailurePolicySpec{
          .max_restarts = 2,
          .rules = {Rule("r_leader", FailurePolicyAction::kRestartJobSet, {"rj-leader"}),
                    Rule("r_worker", FailurePolicyAction::kRestartJob, {"rj-worker"})}}});
  lc.Admitted(0);
  ReadyAll(lc, 5);
  const size_t mark = lc.events().size();
  EXPECT_TRUE(lc.PodFailed(10, 1, 1, PodFailureCause::kError));  // touch /tmp/fail in a worker
  EXPECT_TRUE(lc.OldJobGone(11, 1));
  EXPECT_EQ(lc.job_generation(0), 0);                            // the leader kept running
  EXPECT_TRUE(lc.PodFailed(20, 0, 0, PodFailureCause::kError));  // then in the leader
  EXPECT_EQ(lc.OldPodsGone(21), 2);
  EXPECT_TRUE(lc.PodFailed(30, 1, 0, PodFailureCause::kError));  // a third failure
  EXPECT_EQ(
      Log(lc, mark),
      (Lines{"10 PodFailed rj-worker-0/1 Error", "10 JobFailed rj-worker-0 BackoffLimitExceeded",
             "10 JobRestarted rj-worker-0 rule=r_worker counted", "10 JobDeleted rj-worker-0 gen=0",
             "10 PodsNotReady", "11 JobGone rj-worker-0 gen=0", "11 JobCreated rj-worker-0 gen=1",
             "20 PodFailed rj-leader-0/0 Error", "20 JobFailed rj-leader-0 BackoffLimitExceeded",
             "20 JobSetRestarted rj-leader-0 rule=r_leader counted",
             "20 JobDeleted rj-leader-0 gen=0", "20 JobDeleted rj-worker-0 gen=1",
             "21 JobGone rj-leader-0 gen=0", "21 JobGone rj-worker-0 gen=1",
             "21 JobCreated rj-leader-0 gen=1", "21 JobCreated rj-worker-0 gen=2",
             "30 PodFailed rj-worker-0/0 Error", "30 JobFailed rj-worker-0 BackoffLimitExceeded",
             "30 JobSetFailed rj-worker-0 ReachedMaxRestarts"}));
}

// success-policy.yaml: successPolicy operator All, targetReplicatedJobs [workers]; leader
// 1 replica, parallelism = completions = 1 (sleeps 10000 s); workers 1 replica,
// parallelism = completions = 2 (sleep 10 s).
TEST(JobSetLifecycleTest, UpstreamSuccessPolicyExampleCompletesWhenTheWorkersFinish) {
  ExpectManifestSays("success-policy.yaml",
                     {"operator: All", "targetReplicatedJobs:", "- workers", "completions: 1",
                      "parallelism: 1", "completions: 2", "parallelism: 2", "sleep 10000"});
  JobSetLifecycle lc = Make(JobSetSpec{
      .name = "success-policy",
      .replicated_jobs = {Rj("leader", 1, 1), Rj("workers", 1, 2)},
      .success_policy = {.op = SuccessOperator::kAll, .target_replicated_jobs = {"workers"}}});
  lc.Admitted(0);
  ReadyJob(lc, 2, 0, 1);
  ReadyJob(lc, 2, 1, 2);
  lc.ClearActions();
  SucceedJob(lc, 12, 1, 2);
  EXPECT_EQ(Log(lc),
            (Lines{"0 Admitted", "0 JobCreated leader-0 gen=0", "0 JobCreated workers-0 gen=0",
                   "2 JobReady leader-0", "2 JobReady workers-0", "2 PodsReady",
                   "12 JobSucceeded workers-0", "12 JobSetCompleted"}));
  EXPECT_EQ(TakeActions(lc), (Lines{"12 CompleteJobSet"}));  // deletes the leader's pod
  EXPECT_FALSE(lc.PodSucceeded(10'000, 0, 0));
}

// depends-on.yaml: initializer (1 pod, runs 10 s); launcher dependsOn initializer Complete
// (1 pod, ready after its 5 s startupProbe, runs 20 s); worker dependsOn launcher Ready
// (parallelism = completions = 4, runs 20 s). Replicas and backoffLimit take the defaults.
TEST(JobSetLifecycleTest, UpstreamDependsOnExampleStartsInitializerLauncherWorker) {
  ExpectManifestSays("depends-on.yaml",
                     {"- name: initializer", "- name: launcher", "- name: worker",
                      "status: Complete", "status: Ready", "parallelism: 4", "completions: 4"});
  JobSetSpec spec{
      .name = "depends-on",
      .replicated_jobs = {{.name = "initializer"},
                          {.name = "launcher",
                           .depends_on = DependsOnSpec{"initializer", DependsOnStatus::kComplete}},
                          {.name = "worker",
                           .parallelism = 4,
                           .completions = 4,
                           .depends_on = DependsOnSpec{"launcher", DependsOnStatus::kReady}}}};
  JobSetLifecycle lc = Make(spec);
  EXPECT_EQ(lc.spec().replicated_jobs[2].backoff_limit, 6);
  lc.Admitted(0);
  EXPECT_TRUE(lc.PodReady(1, 0, 0));
  EXPECT_TRUE(lc.PodSucceeded(11, 0, 0));
  EXPECT_TRUE(lc.PodReady(16, 1, 0));
  ReadyJob(lc, 17, 2, 4);
  EXPECT_TRUE(lc.PodSucceeded(31, 1, 0));
  SucceedJob(lc, 37, 2, 4);
  EXPECT_EQ(Log(lc),
            (Lines{"0 Admitted", "0 JobCreated initializer-0 gen=0", "1 JobReady initializer-0",
                   "11 JobSucceeded initializer-0", "11 JobCreated launcher-0 gen=0",
                   "16 JobReady launcher-0", "16 JobCreated worker-0 gen=0", "17 JobReady worker-0",
                   "17 PodsReady", "31 JobSucceeded launcher-0", "37 JobSucceeded worker-0",
                   "37 JobSetCompleted"}));
}

}  // namespace
}  // namespace tessera::sim

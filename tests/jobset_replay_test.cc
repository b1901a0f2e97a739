// JobSets from YAML in the backfill replay (issue #6): the upstream JobSet examples
// (../shared/reference/k8s-examples/jobset, read at test time) and the hand-written ones in
// examples/jobsets/, read by io::LoadManifests, turned into the replay's JobSets by
// sim::BackfillJobSetsFrom, and replayed with hand-computed event sequences
// (docs/backfill.md, "JobSets from YAML").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/manifests.h"
#include "sim/backfill_experiment.h"
#include "sim/gang_replay.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;
using sim::BackfillJobSet;
using sim::GangJob;
using sim::GangReplayOptions;
using sim::GangWorkload;

const fs::path kUpstream = fs::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples" / "jobset";
const fs::path kExamples = fs::path(TESSERA_SOURCE_DIR) / "examples" / "jobsets";

// 1 block x 1 rack x `nodes` nodes of 8 GPUs and 64 cores.
sim::GangCluster Cluster(int32_t nodes) {
  return {.blocks = 1,
          .racks_per_block = 1,
          .nodes_per_rack = nodes,
          .gpus_per_node = 8,
          .cpu_milli_per_node = 64'000,
          .pods_per_node = 110};
}

// The JobSets of `files`, or the error (with `warnings` filled).
Result<std::vector<BackfillJobSet>> Read(const std::vector<std::string>& paths,
                                         std::vector<std::string>& warnings,
                                         const sim::GangCluster& cluster = Cluster(8)) {
  TESSERA_ASSIGN_OR_RETURN(io::LoadedManifests loaded, io::LoadManifests(paths));
  warnings = loaded.warnings;
  return sim::BackfillJobSetsFrom(loaded.gangs, loaded.snapshot, cluster, warnings);
}
Result<std::vector<BackfillJobSet>> Read(const fs::path& file, std::vector<std::string>& warnings,
                                         const sim::GangCluster& cluster = Cluster(8)) {
  return Read(std::vector<std::string>{file.generic_string()}, warnings, cluster);
}

BackfillJobSet ReadOne(const fs::path& file) {
  std::vector<std::string> warnings;
  auto js = Read(file, warnings);
  EXPECT_TRUE(js.ok()) << js.error().ToString();
  if (!js.ok()) return {};
  EXPECT_EQ(js->size(), 1u);
  return js->front();
}

// A job arriving at 0 that runs `duration_s` (declared 1.5x) as `js`.
GangWorkload OneJob(const BackfillJobSet& js, int64_t duration_s, int32_t nodes = 8) {
  GangJob g{.name = "js", .arrival_s = 0, .duration_s = duration_s,
            .declared_s = duration_s * 3 / 2};
  sim::ApplyJobSet(js, g);
  return {.name = "jobset", .cluster = Cluster(nodes), .jobs = {g}};
}

GangReplayOptions Driven(std::vector<sim::GangPodFailure> injected = {}) {
  return {.policy = sim::GangPolicy::kFifo,
          .check = true,
          .lifecycle = {.enable = true, .injected = std::move(injected)}};
}

std::vector<std::string> Texts(const sim::GangReplayResult& r) {
  std::vector<std::string> lines;
  for (const sim::GangLifecycleEvent& e : r.lifecycle_events) lines.push_back(e.text);
  return lines;
}

// Whether `want` appears in `got` in this order (other lines may come between).
::testing::AssertionResult InOrder(const std::vector<std::string>& got,
                                   const std::vector<std::string>& want) {
  size_t at = 0;
  for (const std::string& line : got) {
    if (at < want.size() && line == want[at]) ++at;
  }
  if (at == want.size()) return ::testing::AssertionSuccess();
  std::string log;
  for (const std::string& line : got) log += "\n  " + line;
  return ::testing::AssertionFailure()
         << "missing \"" << want[at] << "\" (after the " << at << " before it) in:" << log;
}

std::vector<std::pair<int64_t, int32_t>> Stages(const sim::GangReplayResult& r) {
  std::vector<std::pair<int64_t, int32_t>> stages;
  for (const sim::GangEvent& e : r.events) {
    if (e.kind == sim::GangEventKind::kStart) stages.emplace_back(e.time_s, e.pods);
  }
  return stages;
}

class UpstreamJobSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kUpstream)) {
      GTEST_SKIP() << "upstream JobSet examples not found at " << kUpstream
                   << " (TESSERA_SHARED_DIR; they live in ../shared beside the repository)";
    }
  }
};

// What each upstream example becomes; the two the replay cannot honour are refused with the
// field named.
TEST_F(UpstreamJobSetTest, EveryExampleIsReadOrRefusedWithTheField) {
  BackfillJobSet d = ReadOne(kUpstream / "depends-on.yaml");
  ASSERT_EQ(d.jobset.spec.replicated_jobs.size(), 3u);
  EXPECT_FALSE(d.jobset.spec.replicated_jobs[0].depends_on.has_value());
  EXPECT_EQ(d.jobset.spec.replicated_jobs[1].depends_on->name, "initializer");
  EXPECT_EQ(d.jobset.spec.replicated_jobs[1].depends_on->status, sim::DependsOnStatus::kComplete);
  EXPECT_EQ(d.jobset.spec.replicated_jobs[2].depends_on->name, "launcher");
  EXPECT_EQ(d.jobset.spec.replicated_jobs[2].depends_on->status, sim::DependsOnStatus::kReady);
  EXPECT_EQ(d.pods, 1 + 1 + 4);
  EXPECT_EQ(d.duration_parts, 2);  // initializer, then launcher and worker
  EXPECT_FALSE(d.jobset.spec.failure_policy.has_value());

  BackfillJobSet f = ReadOne(kUpstream / "failure-policy.yaml");
  ASSERT_TRUE(f.jobset.spec.failure_policy.has_value());
  EXPECT_EQ(f.jobset.spec.failure_policy->max_restarts, 3);
  EXPECT_EQ(f.jobset.spec.failure_policy->restart_strategy,
            sim::RestartStrategy::kBlockingRecreate);
  EXPECT_TRUE(f.jobset.spec.failure_policy->rules.empty());
  EXPECT_EQ(f.jobset.spec.replicated_jobs[0].backoff_limit, 0);
  EXPECT_EQ(f.pods, 4);
  EXPECT_EQ(f.gpus_per_pod, 0);

  BackfillJobSet rj = ReadOne(kUpstream / "failure-policy-restartjob-action.yaml");
  ASSERT_EQ(rj.jobset.spec.failure_policy->rules.size(), 2u);
  EXPECT_EQ(rj.jobset.spec.failure_policy->rules[0].name, "r_leader");
  EXPECT_EQ(rj.jobset.spec.failure_policy->rules[0].action,
            sim::FailurePolicyAction::kRestartJobSet);
  EXPECT_EQ(rj.jobset.spec.failure_policy->rules[1].action, sim::FailurePolicyAction::kRestartJob);
  EXPECT_EQ(rj.jobset.spec.failure_policy->rules[1].target_replicated_jobs,
            std::vector<std::string>{"rj-worker"});
  EXPECT_EQ(rj.jobset.timing[0].termination_s, 0);  // terminationGracePeriodSeconds: 0

  BackfillJobSet h = ReadOne(kUpstream / "failure-policy-host-maintenance.yaml");
  EXPECT_EQ(h.jobset.spec.failure_policy->max_restarts, 0);
  EXPECT_EQ(h.jobset.spec.failure_policy->rules[0].action,
            sim::FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts);
  EXPECT_EQ(h.jobset.spec.failure_policy->rules[0].on_job_failure_reasons,
            std::vector<sim::JobFailureReason>{sim::JobFailureReason::kPodFailurePolicy});
  EXPECT_EQ(h.jobset.spec.replicated_jobs[0].on_disruption, sim::DisruptionPolicy::kFailJob);
  EXPECT_EQ(h.jobset.spec.replicated_jobs[1].on_disruption, sim::DisruptionPolicy::kCount);

  BackfillJobSet s = ReadOne(kUpstream / "success-policy.yaml");
  EXPECT_EQ(s.jobset.spec.success_policy.target_replicated_jobs,
            std::vector<std::string>{"workers"});
  EXPECT_EQ(s.jobset.timing[0].run_s, sim::kUntilJobSetEnds);  // the leader
  EXPECT_EQ(s.jobset.timing[1].run_s, 0);                      // the workers: the duration

  // startupPolicy InOrder: the workers wait for the driver to be Ready.
  BackfillJobSet o = ReadOne(kUpstream / "startup-driver-ready.yaml");
  EXPECT_EQ(o.jobset.spec.replicated_jobs[1].depends_on->name, "driver");
  EXPECT_EQ(o.jobset.spec.replicated_jobs[1].depends_on->status, sim::DependsOnStatus::kReady);
  EXPECT_EQ(o.pods, 5);

  // The Workload-Aware-Scheduling example, with the PriorityClass it names: its JobSet (cpu 3
  // a pod) is read, the scheduling.k8s.io objects are kept with the loader's warnings, and
  // the pods' priority is said to be unused.
  const fs::path classes = fs::temp_directory_path() / "tessera_jobset_replay_classes.yaml";
  {
    std::ofstream out(classes);
    out << "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: "
           "low-priority}\nvalue: 100\n";
  }
  std::vector<std::string> warnings;
  auto was = Read({classes.generic_string(),
                   (kUpstream / "was-gang-preemption-low-priority.yaml").generic_string()},
                  warnings);
  fs::remove(classes);
  ASSERT_TRUE(was.ok()) << was.error().ToString();
  EXPECT_EQ(was->front().pods, 4);
  EXPECT_EQ(was->front().cpu_milli_per_pod, 3000);
  const bool said = std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find("JobSet default/lp-js: spec.replicatedJobs[0].template.spec.template.spec."
                  "priorityClassName: the backfill replay queues every job at priority 0; "
                  "priority 100 is not used") != std::string::npos;
  });
  EXPECT_TRUE(said) << ::testing::PrintToString(warnings);

  auto exclusive = Read(kUpstream / "exclusive-placement.yaml", warnings);
  ASSERT_FALSE(exclusive.ok());
  EXPECT_NE(exclusive.error().message().find(
                "JobSet default/exclusive-placement: "
                "metadata.annotations.alpha.jobset.sigs.k8s.io/exclusive-topology: exclusive "
                "placement (one Job per domain) is not modelled"),
            std::string::npos)
      << exclusive.error().message();
  auto in_place = Read(kUpstream / "in-place-restart-sidecar.yaml", warnings);
  ASSERT_FALSE(in_place.ok());
  EXPECT_NE(in_place.error().message().find(
                "in-place-restart-sidecar.yaml: JobSet default/js: "
                "spec.failurePolicy.restartStrategy: InPlaceRestart"),
            std::string::npos)
      << in_place.error().message();
}

// Upstream failure-policy.yaml, whose leader pod 0 fails 10 s into its run (the example's
// script does exactly that), replayed as a job of 100 s on an empty cluster: no rule, so the
// default RestartJobSet (counted, 1 of maxRestarts 3); BlockingRecreate; no grace period, so
// the old pods are gone at once and both Jobs come back as generation 1 at 10, placed again
// at once. Everything runs 100 s from there: done at 110.
TEST_F(UpstreamJobSetTest, FailurePolicyRestartsTheWholeJobSetOnceAndCompletes) {
  const GangWorkload w = OneJob(ReadOne(kUpstream / "failure-policy.yaml"), 100, 1);
  auto r = sim::ReplayGangs(w, Driven({{.job = 0, .pod = 0, .run = 0, .after_s = 10}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Stages(*r), (std::vector<std::pair<int64_t, int32_t>>{{0, 4}, {10, 4}}));
  EXPECT_TRUE(InOrder(Texts(*r), {"0 Admitted", "0 JobCreated leader-0 gen=0",
                                  "0 JobCreated workers-0 gen=0", "0 PodsReady",
                                  "10 PodFailed leader-0/0 Error",
                                  "10 JobFailed leader-0 BackoffLimitExceeded",
                                  "10 JobSetRestarted leader-0 rule=default counted",
                                  "10 JobDeleted leader-0 gen=0", "10 JobDeleted workers-0 gen=0",
                                  "10 JobCreated leader-0 gen=1", "10 JobCreated workers-0 gen=1",
                                  "10 PodsReady", "110 JobSucceeded leader-0",
                                  "110 JobSucceeded workers-0", "110 JobSetCompleted"}));
  EXPECT_EQ(r->jobs[0].end_s, 110);
  EXPECT_FALSE(r->jobs[0].failed);
}

// Upstream depends-on.yaml as a job of 100 s: one Complete link splits it in two parts of
// 50 s. The initializer runs 0-50; the launcher is created when it completes and is Ready at
// once (start-up 0), so the worker Job follows in the same pass; both run 50 s.
TEST_F(UpstreamJobSetTest, DependsOnRunsTheChainInOrder) {
  const GangWorkload w = OneJob(ReadOne(kUpstream / "depends-on.yaml"), 100, 1);
  auto r = sim::ReplayGangs(w, Driven());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Stages(*r), (std::vector<std::pair<int64_t, int32_t>>{{0, 1}, {50, 1}, {50, 4}}));
  EXPECT_TRUE(InOrder(Texts(*r), {"0 JobCreated initializer-0 gen=0",
                                  "50 JobSucceeded initializer-0", "50 JobCreated launcher-0 gen=0",
                                  "50 JobReady launcher-0", "50 JobCreated worker-0 gen=0",
                                  "50 PodsReady", "100 JobSucceeded launcher-0",
                                  "100 JobSucceeded worker-0", "100 JobSetCompleted"}));
  EXPECT_EQ(r->jobs[0].end_s, 100);
}

// Upstream success-policy.yaml: the leader runs until the JobSet ends; the workers' success
// at 60 completes the JobSet and stops the leader.
TEST_F(UpstreamJobSetTest, SuccessPolicyOnTheWorkersStopsTheLeader) {
  const GangWorkload w = OneJob(ReadOne(kUpstream / "success-policy.yaml"), 60, 1);
  auto r = sim::ReplayGangs(w, Driven());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(InOrder(Texts(*r), {"0 PodsReady", "60 JobSucceeded workers-0",
                                  "60 JobSetCompleted"}));
  for (const std::string& line : Texts(*r)) EXPECT_NE(line, "60 JobSucceeded leader-0");
  EXPECT_EQ(r->jobs[0].end_s, 60);
}

// examples/jobsets/train-pipeline.yaml (initializer -> trainer on Complete, 8 GPUs a pod,
// one rack; trainer backoffLimit 1, grace 30 s; rule RestartJob on trainer, maxRestarts 2,
// BlockingRecreate) as a 100-s job on one rack of 8 nodes: two parts of 50 s.
//    0  initializer placed (stage of 1)          50  it succeeds; trainer placed (7)
//   70  trainer-0/2 (pod 3) fails: 1 failure <= backoffLimit 1, replaced and placed at once
//   80  the replacement fails too: 2 > 1, trainer-0 fails; rule trainer-only restarts it
//       alone (counted); its 6 other pods terminate for 30 s
//  110  the old pods are gone; trainer-0 gen 1 is created and placed (7)
//  160  it succeeds: the JobSet completes.
TEST(ExampleJobSetTest, TrainPipelineRestartsTheTrainerAloneAfterItsBackoffLimit) {
  const BackfillJobSet js = ReadOne(kExamples / "train-pipeline.yaml");
  EXPECT_EQ(js.pods, 8);
  EXPECT_EQ(js.gpus_per_pod, 8);
  EXPECT_EQ(js.cpu_milli_per_pod, 32'000);
  EXPECT_EQ(js.required, sim::RequiredDomain::kRack);
  EXPECT_EQ(js.jobset.timing[1].termination_s, 30);
  EXPECT_EQ(js.jobset.spec.replicated_jobs[1].backoff_limit, 1);
  const GangWorkload w = OneJob(js, 100);
  auto r = sim::ReplayGangs(w, Driven({{.job = 0, .pod = 3, .run = 0, .after_s = 20},
                                       {.job = 0, .pod = 3, .run = 1, .after_s = 10}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Stages(*r),
            (std::vector<std::pair<int64_t, int32_t>>{{0, 1}, {50, 7}, {70, 1}, {110, 7}}));
  EXPECT_TRUE(InOrder(
      Texts(*r),
      {"0 JobCreated initializer-0 gen=0", "50 JobSucceeded initializer-0",
       "50 JobCreated trainer-0 gen=0", "70 PodFailed trainer-0/2 Error",
       "80 PodFailed trainer-0/2 Error", "80 JobFailed trainer-0 BackoffLimitExceeded",
       "80 JobRestarted trainer-0 rule=trainer-only counted", "80 JobDeleted trainer-0 gen=0",
       "110 JobGone trainer-0 gen=0", "110 JobCreated trainer-0 gen=1",
       "160 JobSucceeded trainer-0", "160 JobSetCompleted"}));
  EXPECT_EQ(r->jobs[0].end_s, 160);
  EXPECT_EQ(r->jobs[0].runs, 4);
}

// examples/jobsets/leader-workers.yaml on the experiment: every big gang becomes it, with
// waitForPodsReady and blockAdmission; every job completes, the gangs run as two stages, and
// the admission blocks are logged and balanced.
TEST(ExampleJobSetTest, LeaderWorkersRunsInTheBackfillExperiment) {
  std::vector<std::string> warnings;
  auto js = Read(kExamples / "leader-workers.yaml", warnings,
                 sim::BackfillScenarioOptions{}.cluster);
  ASSERT_TRUE(js.ok()) << js.error().ToString();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(js->front().jobset.spec.replicated_jobs[1].on_disruption,
            sim::DisruptionPolicy::kIgnore);
  sim::BackfillConfig config;
  config.policies = {"backfill"};
  config.seeds = {42};
  config.check = true;
  config.jobsets = *js;
  config.wait_for_pods_ready_s = 1800;
  config.pod_startup_max_s = 30;
  config.block_admission = true;
  auto result = sim::RunBackfillExperiment(config);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const sim::BackfillRun& run = result->runs[0];
  EXPECT_EQ(run.completed + run.deactivated, run.jobs);
  EXPECT_GT(run.big_gangs, 0);
  EXPECT_EQ(run.big_ready.jobs + run.deactivated, run.big_gangs);
  const auto blocked = run.event_counts[static_cast<size_t>(sim::GangEventKind::kAdmissionBlocked)];
  EXPECT_GT(blocked, 0);
  EXPECT_EQ(blocked,
            run.event_counts[static_cast<size_t>(sim::GangEventKind::kAdmissionUnblocked)]);
  EXPECT_EQ(result->jobsets.size(), 1u);
}

// What the replay cannot honour is refused, located at the file, the JobSet and the field.
TEST(ExampleJobSetTest, RefusesWhatTheReplayCannotHonour) {
  const std::string head = R"(apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: x}
spec:
)";
  auto error = [&](const std::string& spec) {
    const fs::path file = fs::temp_directory_path() / "tessera_jobset_replay_test.yaml";
    {
      std::ofstream out(file);
      out << head << spec;
    }
    std::vector<std::string> warnings;
    auto js = Read(file, warnings);
    fs::remove(file);
    return js.ok() ? std::string("OK") : js.error().message();
  };
  auto job = [](const std::string& name, const std::string& requests,
                const std::string& extra = "") {
    return "  - name: " + name + "\n    template:\n      spec:\n" + extra +
           "        template:\n          spec:\n            containers:\n            - name: c\n"
           "              image: busybox\n              resources:\n                requests: " +
           requests + "\n";
  };
  EXPECT_NE(error("  replicatedJobs:\n" + job("a", "{nvidia.com/gpu: 8}") +
                  job("b", "{nvidia.com/gpu: 4}"))
                .find("spec.replicatedJobs[1].template.spec.template.spec.containers: asks 0m "
                      "cpu and 4 GPUs a pod"),
            std::string::npos);
  EXPECT_NE(error("  replicatedJobs:\n" +
                  job("a", "{nvidia.com/gpu: 8}", "        activeDeadlineSeconds: 100\n"))
                .find("spec.replicatedJobs[0].template.spec.activeDeadlineSeconds: not modelled"),
            std::string::npos);
  EXPECT_NE(error("  replicatedJobs:\n" +
                  job("a", "{nvidia.com/gpu: 8}",
                      "        parallelism: 4\n        completions: 8\n"))
                .find("spec.replicatedJobs[0].template.spec.completions: 8 != parallelism 4"),
            std::string::npos);
  EXPECT_NE(error("  replicatedJobs:\n" + job("a", "{example.com/fpga: 1}"))
                .find("asks for example.com/fpga"),
            std::string::npos);
  EXPECT_NE(error("  failurePolicy:\n    rules:\n    - action: FailJobSet\n"
                  "      onJobFailureReasons: [FailedIndexes]\n  replicatedJobs:\n" +
                  job("a", "{nvidia.com/gpu: 8}"))
                .find("spec.failurePolicy.rules[0].onJobFailureReasons[0]: FailedIndexes"),
            std::string::npos);
  EXPECT_NE(error("  replicatedJobs:\n" + job("a", "{nvidia.com/gpu: 8}", "        parallelism: 40\n"))
                .find("40 pods of 0m cpu and 8 GPUs do not fit the replay's 8 nodes"),
            std::string::npos);
  EXPECT_EQ(error("  replicatedJobs:\n" + job("a", "{nvidia.com/gpu: 8, memory: 1Gi}")), "OK");

  // Read but not modelled: a warning each, and the JobSet runs.
  const fs::path file = fs::temp_directory_path() / "tessera_jobset_replay_warn.yaml";
  {
    std::ofstream out(file);
    out << head << R"(  replicatedJobs:
  - name: a
    template:
      spec:
        template:
          spec:
            restartPolicy: OnFailure
            containers:
            - {name: c, image: busybox, resources: {requests: {nvidia.com/gpu: 8, memory: 1Gi}}}
)";
  }
  std::vector<std::string> warnings;
  auto js = Read(file, warnings);
  fs::remove(file);
  ASSERT_TRUE(js.ok()) << js.error().ToString();
  ASSERT_EQ(warnings.size(), 2u) << ::testing::PrintToString(warnings);
  EXPECT_NE(warnings[0].find("JobSet default/x: spec.replicatedJobs[0].template.spec.template."
                             "spec.restartPolicy: OnFailure restarts a failed container in place"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("spec.replicatedJobs[0].template.spec.template.spec.containers: "
                             "memory requests are not modelled by the backfill replay"),
            std::string::npos)
      << warnings[1];
}

}  // namespace
}  // namespace tessera

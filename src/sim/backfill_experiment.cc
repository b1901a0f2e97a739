#include "sim/backfill_experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "base/check.h"
#include "base/quote.h"
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

namespace {

// The replay's RequiredDomain for a required topology level; nullopt for any other level.
std::optional<RequiredDomain> DomainOfLevel(const std::string& level) {
  if (level.empty()) return RequiredDomain::kNone;
  if (level == kBlockLabel) return RequiredDomain::kBlock;
  if (level == kRackLabel) return RequiredDomain::kRack;
  return std::nullopt;
}

std::optional<FailurePolicyAction> RuleAction(std::string_view action) {
  if (action == "FailJobSet") return FailurePolicyAction::kFailJobSet;
  if (action == "RestartJobSet") return FailurePolicyAction::kRestartJobSet;
  if (action == "RestartJobSetAndIgnoreMaxRestarts") {
    return FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts;
  }
  if (action == "RestartJob") return FailurePolicyAction::kRestartJob;
  if (action == "RestartJobAndIgnoreMaxRestarts") {
    return FailurePolicyAction::kRestartJobAndIgnoreMaxRestarts;
  }
  return std::nullopt;
}

std::optional<JobFailureReason> FailureReason(std::string_view reason) {
  if (reason == "BackoffLimitExceeded") return JobFailureReason::kBackoffLimitExceeded;
  if (reason == "DeadlineExceeded") return JobFailureReason::kDeadlineExceeded;
  if (reason == "PodFailurePolicy") return JobFailureReason::kPodFailurePolicy;
  return std::nullopt;  // FailedIndexes, MaxFailedIndexesExceeded: per-index limits
}

// One JobSet gang of the intake as a BackfillJobSet; `where` is "<file>: JobSet ns/name".
Result<BackfillJobSet> FromGang(const model::GangSpec& gang, const model::Snapshot& snapshot,
                                const GangCluster& cluster, const std::string& where,
                                std::vector<std::string>& warnings) {
  auto bad = [&](const std::string& field, const std::string& what) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("{}: {}: {}", where, field, what));
  };
  const model::JobSetLifecycleSpec& in = *gang.jobset;
  if (!gang.exclusive_topology.empty()) {
    return bad("metadata.annotations.alpha.jobset.sigs.k8s.io/exclusive-topology",
               "exclusive placement (one Job per domain) is not modelled by the backfill replay");
  }
  BackfillJobSet out;
  out.name = where;
  JobSetSpec& spec = out.jobset.spec;
  spec.name = gang.name;
  if (in.has_failure_policy) {
    FailurePolicySpec fp{.max_restarts = in.max_restarts};
    if (in.restart_strategy == "InPlaceRestart") {
      return bad("spec.failurePolicy.restartStrategy",
                 "InPlaceRestart (containers restart in place) is not modelled; use Recreate or "
                 "BlockingRecreate");
    }
    fp.restart_strategy = in.restart_strategy == "BlockingRecreate"
                              ? RestartStrategy::kBlockingRecreate
                              : RestartStrategy::kRecreate;
    for (const model::JobSetFailureRuleSpec& r : in.rules) {
      if (r.has_message_patterns) {
        return bad(r.path + ".onJobFailureMessagePatterns",
                   "the replay's failed Jobs carry no condition message to match");
      }
      FailurePolicyRule rule{.name = r.name, .target_replicated_jobs = r.target_replicated_jobs};
      const std::optional<FailurePolicyAction> action = RuleAction(r.action);
      TESSERA_CHECK(action.has_value()) << "the intake let through action " << r.action;
      rule.action = *action;
      for (size_t i = 0; i < r.on_job_failure_reasons.size(); ++i) {
        const std::optional<JobFailureReason> reason = FailureReason(r.on_job_failure_reasons[i]);
        if (!reason) {
          return bad(fmt::format("{}.onJobFailureReasons[{}]", r.path, i),
                     fmt::format("{} comes from backoffLimitPerIndex, which the replay does not "
                                 "model",
                                 r.on_job_failure_reasons[i]));
        }
        rule.on_job_failure_reasons.push_back(*reason);
      }
      fp.rules.push_back(std::move(rule));
    }
    spec.failure_policy = std::move(fp);
  }
  spec.success_policy = {.op = in.success_operator == "Any" ? SuccessOperator::kAny
                                                            : SuccessOperator::kAll,
                         .target_replicated_jobs = in.success_targets};
  const bool in_order = in.startup_policy_order == "InOrder";

  // Requests and topology: every pod of the JobSet alike.
  std::optional<std::pair<int64_t, int64_t>> request;  // (cpu milli, GPUs) of the first pod
  std::string first_path;
  std::optional<RequiredDomain> required;
  bool warned_memory = false, warned_selector = false, warned_priority = false;
  for (size_t r = 0; r < in.replicated_jobs.size(); ++r) {
    const model::JobSetReplicatedJobLifecycle& rj = in.replicated_jobs[r];
    if (!rj.unmodelled.empty()) {
      return bad(rj.path + "." + rj.unmodelled.front(),
                 "not modelled by the JobSet lifecycle of the backfill replay");
    }
    if (rj.replicas < 1 || rj.parallelism < 1) {
      return bad(rj.path, fmt::format("{} replicas x parallelism {}: the replay needs at least "
                                      "one pod",
                                      rj.replicas, rj.parallelism));
    }
    if (rj.completions != -1 && rj.completions != rj.parallelism) {
      return bad(rj.path + ".template.spec.completions",
                 fmt::format("{} != parallelism {}: the replay runs every pod of a Job at once",
                             rj.completions, rj.parallelism));
    }
    if (in_order && !rj.depends_on.empty()) {
      return bad(rj.path + ".dependsOn", "startupPolicy InOrder together with dependsOn");
    }
    ReplicatedJobSpec job{.name = rj.name,
                          .replicas = rj.replicas,
                          .parallelism = rj.parallelism,
                          .completions = rj.parallelism,
                          .backoff_limit = rj.backoff_limit};
    if (rj.on_disruption == "FailJob") job.on_disruption = DisruptionPolicy::kFailJob;
    if (rj.on_disruption == "Ignore") job.on_disruption = DisruptionPolicy::kIgnore;
    if (!rj.depends_on.empty()) {
      job.depends_on = DependsOnSpec{.name = rj.depends_on,
                                     .status = rj.depends_on_status == "Complete"
                                                   ? DependsOnStatus::kComplete
                                                   : DependsOnStatus::kReady};
    } else if (in_order && r > 0) {
      job.depends_on = DependsOnSpec{.name = in.replicated_jobs[r - 1].name};
    }
    if (rj.restart_policy == "OnFailure") {
      warnings.push_back(fmt::format(
          "{}: {}.template.spec.template.spec.restartPolicy: OnFailure restarts a failed "
          "container in place; the backfill replay fails the pod instead (counted against "
          "backoffLimit, replaced by a new pod)",
          where, rj.path));
    }
    spec.replicated_jobs.push_back(std::move(job));
    out.jobset.timing.push_back(GangPodTiming{
        .run_s = 0, .startup_s = -1, .termination_s = std::max<int64_t>(rj.termination_grace_s, 0)});
    out.pods += rj.replicas * rj.parallelism;

    const auto member = std::find_if(gang.members.begin(), gang.members.end(),
                                     [&](const model::GangMemberSpec& m) { return m.name == rj.name; });
    TESSERA_CHECK(member != gang.members.end() && !member->pod_names.empty())
        << where << ": no pods for replicatedJob " << rj.name;
    const std::string pod_path = rj.path + ".template.spec.template";
    const model::TopologyConstraintSpec& topo = member->topology;
    if (!topo.preferred_level.empty() || topo.unconstrained || !topo.slices.empty()) {
      return bad(pod_path + ".metadata.annotations",
                 "the replay places a JobSet anywhere or in one required block or rack; "
                 "preferred, unconstrained and slice topologies are not modelled");
    }
    const std::optional<RequiredDomain> domain = DomainOfLevel(topo.required_level);
    if (!domain) {
      return bad(pod_path + ".metadata.annotations.kueue.x-k8s.io/podset-required-topology",
                 fmt::format("{}: the replay's cluster has the levels {} and {} (and hosts)",
                             Quote(topo.required_level), kBlockLabel, kRackLabel));
    }
    if (required && *required != *domain) {
      return bad(pod_path + ".metadata.annotations.kueue.x-k8s.io/podset-required-topology",
                 "differs from the first replicatedJob's: the replay gives one JobSet one "
                 "required level");
    }
    required = domain;
    for (const std::string& name : member->pod_names) {
      const std::optional<model::PodId> id = snapshot.FindPod(gang.namespace_name, name);
      TESSERA_CHECK(id.has_value()) << where << ": pod " << name << " not in the snapshot";
      const model::Pod& pod = snapshot.pod(*id);
      if (!pod.claims.empty()) {
        return bad(pod_path + ".spec.resourceClaims",
                   fmt::format("DRA claims are not modelled by the backfill replay; ask for {} in "
                               "the containers' resources",
                               kGpuResource));
      }
      int64_t cpu = 0, gpus = 0;
      for (const model::ResourceAmount& ra : snapshot.pod_requests(*id)) {
        const std::string& res = snapshot.resource_name(ra.resource);
        if (res == "cpu") {
          cpu = ra.amount.value();
        } else if (res == kGpuResource) {
          gpus = ra.amount.value();
        } else if (res == "memory" || res == "ephemeral-storage") {
          if (!warned_memory && ra.amount.value() > 0) {
            warnings.push_back(fmt::format("{}: {}.spec.containers: {} requests are not modelled "
                                           "by the backfill replay (its nodes have cpu, GPUs "
                                           "and pods only)",
                                           where, pod_path, res));
            warned_memory = true;
          }
        } else if (res != "pods" && ra.amount.value() > 0) {
          return bad(pod_path + ".spec.containers",
                     fmt::format("asks for {}: the replay's nodes have only cpu, {} and pods", res,
                                 kGpuResource));
        }
      }
      if (!warned_selector &&
          (!snapshot.pod_node_selector(*id).empty() || pod.has_required_affinity)) {
        warnings.push_back(fmt::format("{}: {}.spec: node selectors and affinity are not "
                                       "modelled by the backfill replay; its pods go anywhere",
                                       where, pod_path));
        warned_selector = true;
      }
      if (!warned_priority && pod.priority != 0) {
        warnings.push_back(fmt::format("{}: {}.spec.priorityClassName: the backfill replay "
                                       "queues every job at priority 0; priority {} is not used",
                                       where, pod_path, pod.priority));
        warned_priority = true;
      }
      if (!request) {
        request = std::make_pair(cpu, gpus);
        first_path = pod_path;
      } else if (*request != std::make_pair(cpu, gpus)) {
        return bad(pod_path + ".spec.containers",
                   fmt::format("asks {}m cpu and {} GPUs a pod, {} asks {}m and {}: the replay "
                               "needs every pod of a JobSet to ask the same",
                               cpu, gpus, first_path, request->first, request->second));
      }
    }
  }
  out.cpu_milli_per_pod = request->first;
  out.gpus_per_pod = static_cast<int32_t>(std::min<int64_t>(request->second, 1'000'000));
  out.required = required.value_or(RequiredDomain::kNone);

  // Which replicatedJobs end by themselves: the success policy's targets (all when it has
  // none) and every one a later one waits on with dependsOn Complete. The others (a driver,
  // a leader) run until the JobSet ends. Chains of Complete links split the duration.
  const size_t rjs = spec.replicated_jobs.size();
  std::vector<int32_t> parts(rjs, 1);
  std::vector<uint8_t> ends(rjs, 0);
  for (size_t r = 0; r < rjs; ++r) {
    const std::vector<std::string>& targets = spec.success_policy.target_replicated_jobs;
    ends[r] = targets.empty() ||
                      std::find(targets.begin(), targets.end(), spec.replicated_jobs[r].name) !=
                          targets.end()
                  ? 1
                  : 0;
  }
  for (size_t r = 0; r < rjs; ++r) {
    const auto& dep = spec.replicated_jobs[r].depends_on;
    if (!dep) continue;
    for (size_t d = 0; d < r; ++d) {
      if (spec.replicated_jobs[d].name != dep->name) continue;
      const bool complete = dep->status == DependsOnStatus::kComplete;
      if (complete) ends[d] = 1;
      parts[r] = parts[d] + (complete ? 1 : 0);
    }
  }
  for (size_t r = 0; r < rjs; ++r) {
    if (ends[r] == 0) out.jobset.timing[r].run_s = kUntilJobSetEnds;
    if (ends[r] != 0) out.duration_parts = std::max(out.duration_parts, parts[r]);
  }

  // It must fit the empty cluster (in one domain of its required level).
  const int64_t per_node =
      std::min({out.gpus_per_pod > 0 ? int64_t{cluster.gpus_per_node} / out.gpus_per_pod
                                     : int64_t{1} << 40,
                out.cpu_milli_per_pod > 0 ? cluster.cpu_milli_per_node / out.cpu_milli_per_pod
                                          : int64_t{1} << 40,
                int64_t{cluster.pods_per_node}});
  const int64_t nodes = out.required == RequiredDomain::kRack    ? cluster.nodes_per_rack
                        : out.required == RequiredDomain::kBlock ? int64_t{cluster.racks_per_block} *
                                                                       cluster.nodes_per_rack
                                                                 : cluster.nodes();
  if (per_node * nodes < out.pods) {
    return bad("spec.replicatedJobs",
               fmt::format("{} pods of {}m cpu and {} GPUs do not fit the replay's {}{} nodes of "
                           "{}m cpu and {} GPUs",
                           out.pods, out.cpu_milli_per_pod, out.gpus_per_pod, nodes,
                           out.required == RequiredDomain::kRack    ? " (one rack)"
                           : out.required == RequiredDomain::kBlock ? " (one block)"
                                                                    : "",
                           cluster.cpu_milli_per_node, cluster.gpus_per_node));
  }
  return out;
}

}  // namespace

Result<std::vector<BackfillJobSet>> BackfillJobSetsFrom(const model::GangObjects& gangs,
                                                        const model::Snapshot& snapshot,
                                                        const GangCluster& cluster,
                                                        std::vector<std::string>& warnings) {
  std::vector<BackfillJobSet> out;
  for (const model::GangSpec& gang : gangs.gangs) {
    if (gang.kind != model::GangKind::kJobSet || !gang.jobset) continue;
    const std::string where =
        fmt::format("{}: JobSet {}/{}", gang.source.empty() ? "-" : gang.source,
                    gang.namespace_name, gang.name);
    TESSERA_ASSIGN_OR_RETURN(BackfillJobSet js, FromGang(gang, snapshot, cluster, where, warnings));
    out.push_back(std::move(js));
  }
  if (out.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the files hold no jobset.x-k8s.io/v1alpha2 JobSet");
  }
  return out;
}

void ApplyJobSet(const BackfillJobSet& js, GangJob& g) {
  g.pods = js.pods;
  g.gpus_per_pod = js.gpus_per_pod;
  g.cpu_milli_per_pod = js.cpu_milli_per_pod;
  g.required = js.required;
  g.is_big_gang = true;
  g.jobset = js.jobset;
  const int64_t run = std::max<int64_t>(1, g.duration_s / js.duration_parts);
  for (GangPodTiming& t : g.jobset->timing) {
    if (t.run_s != kUntilJobSetEnds) t.run_s = run;
  }
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
  if (config.block_admission && config.wait_for_pods_ready_s <= 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "blockAdmission needs a waitForPodsReady timeout (it is part of "
                 "waitForPodsReady)");
  }
  if (!config.requeuing_is_default() && config.wait_for_pods_ready_s <= 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "requeuingStrategy and recoveryTimeout need a waitForPodsReady timeout (they "
                 "are part of waitForPodsReady)");
  }
  if (config.recovery_timeout_s < -1) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("recoveryTimeout {} s must be >= 0 (-1: none)",
                             config.recovery_timeout_s));
  }
  if (!config.jobsets.empty() && config.jobset_shape != JobSetShape::kGang) {
    return Error(ErrorCode::kInvalidArgument,
                 "JobSets from YAML replace the big gangs' preset shape; give one or the other");
  }
  if (config.wait_for_pods_ready_s < 0 || config.pod_startup_max_s < 0 ||
      config.backoff_limit_count < -1) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("waitForPodsReady timeout {} s and pod start-up {} s must be >= 0, "
                             "backoffLimitCount {} >= -1 (-1: none)",
                             config.wait_for_pods_ready_s, config.pod_startup_max_s,
                             config.backoff_limit_count));
  }
  WaitForPodsReadyConfig wait{.enable = config.wait_for_pods_ready_s > 0,
                              .timeout_s = config.wait_for_pods_ready_s,
                              .block_admission = config.block_admission};
  if (config.backoff_limit_count >= 0) {
    wait.requeuing_strategy.backoff_limit_count = config.backoff_limit_count;
  }
  wait.requeuing_strategy.timestamp = config.requeue_timestamp;
  wait.requeuing_strategy.backoff_base_s = config.requeue_backoff_base_s;
  wait.requeuing_strategy.backoff_max_s = config.requeue_backoff_max_s;
  if (config.recovery_timeout_s >= 0) wait.recovery_timeout_s = config.recovery_timeout_s;
  TESSERA_RETURN_IF_ERROR(ValidateWaitForPodsReady(wait));
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
                        .pod_startup_max_s = config.pod_startup_max_s,
                        .block_admission = config.block_admission,
                        .requeue_backoff_base_s = config.requeue_backoff_base_s,
                        .requeue_backoff_max_s = config.requeue_backoff_max_s,
                        .requeue_timestamp = config.requeue_timestamp,
                        .recovery_timeout_s = config.recovery_timeout_s};
  for (const BackfillJobSet& js : config.jobsets) result.jobsets.push_back(js.name);
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
      if (!config.jobsets.empty()) {
        size_t big = 0;
        for (GangJob& g : workload.jobs) {  // the big gangs, in arrival order
          if (g.gpus() < GangReplayOptions{}.big_gang_gpus) continue;
          ApplyJobSet(config.jobsets[big++ % config.jobsets.size()], g);
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
        const GangJob& g = workload.jobs[j];
        if (g.is_big_gang.value_or(g.gpus() >= options.big_gang_gpus)) ++run.big_gangs;
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
      run.admissions_held = r.admissions_held;
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

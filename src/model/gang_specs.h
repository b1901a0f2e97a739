// Gangs and topologies as they arrive from io: groups of pods that are placed all or nothing,
// and the node-label hierarchies (blocks, racks, hosts) that topology constraints name.
// Sources: batch/v1 Jobs and JobSets (every one is a gang), KAI PodGroups
// (scheduling.run.ai/v2alpha2, with subgroups) and Volcano PodGroups and Jobs
// (scheduling.volcano.sh/v1beta1, batch.volcano.sh/v1alpha1); Kueue and KAI Topology objects.
// The placement module compiles them; `source` names the file an object came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::model {

// kueue.x-k8s.io Topology or kai.scheduler Topology: node label keys from coarse to fine,
// e.g. block, rack, kubernetes.io/hostname.
struct TopologySpec {
  std::string name;
  std::string source;
  std::string api_group;  // "kueue.x-k8s.io" or "kai.scheduler"
  std::vector<std::string> levels;
};

// One layer of Kueue's PodSet slices: the pods go in groups of `size`, each group inside one
// domain of `level` (a node label key).
struct SliceLayerSpec {
  std::string level;
  int32_t size = 0;
  bool operator==(const SliceLayerSpec&) const = default;
};

// Where a set of pods may go. Levels are node label keys. All fields empty: no constraint
// (the engine's ordinary per-pod placement).
struct TopologyConstraintSpec {
  // A TopologySpec name (KAI topologyConstraint.topology). Empty: the topology of the Kueue
  // flavor the workload was admitted to, else the one Topology whose levels include the
  // named level, else the implicit two levels {level, kubernetes.io/hostname}.
  std::string topology;
  std::string required_level;   // every pod in one domain of this level, or none placed
  std::string preferred_level;  // one domain of this level if possible, else walk up
  bool unconstrained = false;   // Kueue podset-unconstrained-topology: fill the fullest nodes
  // Slices, outermost first (Kueue podset-slice-required-topology + podset-slice-size: one
  // layer; podset-slice-required-topology-constraints: up to 3): the pods in groups of
  // slices[0].size, each in one domain of slices[0].level; each of those in groups of
  // slices[1].size, each in one domain of slices[1].level; and so on. io checks that every
  // size divides the one before; the engine, that every level is finer than the one before.
  std::vector<SliceLayerSpec> slices;

  bool empty() const {
    return required_level.empty() && preferred_level.empty() && !unconstrained &&
           slices.empty();
  }
};

// A member of a gang: a Job's pods, a JobSet replicatedJob, a KAI subgroup, a Volcano task.
struct GangMemberSpec {
  std::string name;
  // KAI subgroup parent (another member's name); empty: a child of the gang itself. A member
  // with children may have no pods of its own (KAI subgroup-ab in the upstream example).
  std::string parent;
  std::vector<std::string> pod_names;  // pods in the snapshot, same namespace as the gang
  // Pods of this member that must be placed for the gang to start; -1: all of them.
  int32_t min_count = -1;
  TopologyConstraintSpec topology;
  // JobSet: pods per child Job. With GangSpec::exclusive_topology set, each consecutive run
  // of this many pods (one Job) needs a domain of its own. 0: the member is one Job.
  int32_t pods_per_job = 0;
  // Added for KAI subgroups with children (minSubGroup): how many direct child members must
  // be satisfied for this one to be; -1: all of them. Only set on members with children.
  int32_t min_subgroups = -1;
};

enum class GangKind : uint8_t { kJob, kJobSet, kKaiPodGroup, kVolcanoPodGroup, kVolcanoJob };

// The lifecycle fields of a JobSet (jobset.x-k8s.io/v1alpha2) as the intake read them, for the
// simulator's JobSet lifecycle (sim/lifecycle.h; docs/gang-intake.md lists them). Enumerated
// values are kept as the API spells them, already checked against the API's set; names of
// replicatedJobs they refer to are checked to exist. `path` fields locate each part in its
// file for messages from later stages ("spec.replicatedJobs[1]").
struct JobSetFailureRuleSpec {
  std::string name;
  std::string action;  // FailJobSet, RestartJobSet, RestartJobSetAndIgnoreMaxRestarts,
                       // RestartJob, RestartJobAndIgnoreMaxRestarts
  std::vector<std::string> target_replicated_jobs;
  std::vector<std::string> on_job_failure_reasons;  // BackoffLimitExceeded, DeadlineExceeded,
                                                    // PodFailurePolicy, ... as written
  bool has_message_patterns = false;                // onJobFailureMessagePatterns is set
  std::string path;                                 // "spec.failurePolicy.rules[i]"
};

struct JobSetReplicatedJobLifecycle {
  std::string name;
  std::string path;  // "spec.replicatedJobs[i]"
  int32_t replicas = 1;
  int32_t parallelism = 1;
  int32_t completions = -1;   // -1: not set
  int32_t backoff_limit = 6;  // the Job's spec.backoffLimit (batch/v1 default 6)
  std::string depends_on;     // dependsOn[0].name; "" for none
  std::string depends_on_status;  // "Ready" or "Complete"
  // The Job's podFailurePolicy for pods with the DisruptionTarget condition: "" (no rule:
  // counted), "FailJob", "Ignore" or "Count".
  std::string on_disruption;
  // Fields the Job has that the simulator's lifecycle does not model, as paths below the
  // replicatedJob ("template.spec.backoffLimitPerIndex"), for it to reject.
  std::vector<std::string> unmodelled;
  // The pod template's spec.terminationGracePeriodSeconds; -1: not set.
  int64_t termination_grace_s = -1;
  // The pod template's spec.restartPolicy as written ("" when absent).
  std::string restart_policy;
};

struct JobSetLifecycleSpec {
  std::vector<JobSetReplicatedJobLifecycle> replicated_jobs;
  bool has_failure_policy = false;
  int32_t max_restarts = 0;
  std::string restart_strategy = "Recreate";  // Recreate, BlockingRecreate, InPlaceRestart
  std::vector<JobSetFailureRuleSpec> rules;
  std::string success_operator = "All";  // All or Any
  std::vector<std::string> success_targets;
  std::string startup_policy_order = "AnyOrder";  // AnyOrder or InOrder
};

struct GangSpec {
  std::string namespace_name = "default";
  std::string name;  // the Job, JobSet or PodGroup name
  std::string source;
  GangKind kind = GangKind::kJob;
  // Pods over all members that must be placed (KAI and Volcano minMember, Volcano Job
  // minAvailable); -1: all of them.
  int32_t min_member = -1;
  // Added for KAI PodGroup spec.minSubGroup: how many top-level members (those without a
  // parent) must be satisfied; -1: all of them.
  int32_t min_subgroups = -1;
  TopologyConstraintSpec topology;  // on the whole gang (KAI PodGroup.spec.topologyConstraint)
  // JobSet annotation alpha.jobset.sigs.k8s.io/exclusive-topology: a node label key; every
  // child Job gets a domain of that label to itself.
  std::string exclusive_topology;
  std::vector<GangMemberSpec> members;
  // JobSets only: failure, success and start-up policies, per replicatedJob counts,
  // backoffLimit, dependsOn and termination grace.
  std::optional<JobSetLifecycleSpec> jobset;
};

struct GangObjects {
  std::vector<TopologySpec> topologies;
  std::vector<GangSpec> gangs;
};

}  // namespace tessera::model

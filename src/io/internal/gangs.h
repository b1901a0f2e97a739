// Gangs and topologies from Kubernetes objects, into model::GangObjects (model/gang_specs.h):
// - Topology (kueue.x-k8s.io v1beta2/v1beta1/v1alpha1, kai.scheduler/v1alpha1): node label
//   keys from coarse to fine;
// - every batch/v1 Job and JobSet: one gang, a member per PodSet (NewWorkloadGang);
// - KAI PodGroups (scheduling.run.ai/v2alpha2) with subgroups, and Volcano PodGroups
//   (scheduling.volcano.sh/v1beta1): the pods that name them (GangAssembler);
// - Volcano Jobs (batch.volcano.sh/v1alpha1): expanded into pods like batch Jobs, one member
//   per task (ParseVolcanoJob, ExpandVolcanoJob);
// - a JobSet's exclusive placement (ParseExclusiveTopology) and its node-selector strategy,
//   which turns it into a nodeSelector and a toleration on the pods (NodeSelectorStrategy).
// docs/gang-intake.md lists every field read, the defaults and the evidence for them.
// Invariant: a pod of the snapshot is in at most one gang. The pods of a Volcano Job belong
// to it; otherwise a pod that names an existing KAI PodGroup (annotation pod-group-name)
// joins it, else one that names an existing Volcano PodGroup (annotation
// scheduling.k8s.io/group-name) joins that, else the pod stays in its Job's or JobSet's gang
// (if any). Like workloads.h, nothing here allocates per pod while parsing, and Volcano Jobs
// share the kMaxPodsPerWorkload / kMaxExpandedPods bounds with Jobs and JobSets.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/internal/common.h"
#include "io/internal/fields.h"
#include "io/internal/workloads.h"
#include "model/gang_specs.h"
#include "model/snapshot.h"

namespace tessera::io::internal {

inline constexpr char kKaiPodGroupAnnotation[] = "pod-group-name";
inline constexpr char kKaiSubGroupLabel[] = "kai.scheduler/subgroup-name";
inline constexpr char kVolcanoGroupAnnotation[] = "scheduling.k8s.io/group-name";
inline constexpr char kVolcanoTaskAnnotation[] = "volcano.sh/task-spec";
inline constexpr char kExclusiveTopologyAnnotation[] =
    "alpha.jobset.sigs.k8s.io/exclusive-topology";
// JobSet's node-selector strategy for exclusive placement (kubernetes-sigs/jobset,
// api/jobset/v1alpha2: NodeSelectorStrategyKey, NamespacedJobKey, NoScheduleTaintKey).
inline constexpr char kNodeSelectorStrategyAnnotation[] = "alpha.jobset.sigs.k8s.io/node-selector";
inline constexpr char kNamespacedJobLabel[] = "alpha.jobset.sigs.k8s.io/namespaced-job";
inline constexpr char kNoScheduleTaintKey[] = "alpha.jobset.sigs.k8s.io/no-schedule";
inline constexpr char kHostnameLabel[] = "kubernetes.io/hostname";
// Kueue's and KAI's Topology CRDs allow 1 to 16 levels.
inline constexpr size_t kMaxTopologyLevels = 16;
// The member of a KAI PodGroup without subgroups (KAI's scheduler calls it "default" too),
// and the Volcano task of pods without a volcano.sh/task-spec annotation.
inline constexpr char kDefaultMember[] = "default";

// A Topology: spec.levels[].nodeLabel in order. 1 to 16 levels, each a qualified label key,
// no repeats, kubernetes.io/hostname only as the last. `api_group` is "kueue.x-k8s.io" or
// "kai.scheduler"; source is left for the caller.
Result<model::TopologySpec> ParseTopology(const Field& object, ObjectMeta meta,
                                          std::string_view api_group);

// A JobSet's metadata.annotations[alpha.jobset.sigs.k8s.io/exclusive-topology] (a qualified
// label key); "" when absent.
Result<std::string> ParseExclusiveTopology(const Field& object);

// JobSet's node-selector strategy: a JobSet with both the exclusive-topology annotation
// (`exclusive` is true) and alpha.jobset.sigs.k8s.io/node-selector (any value: the JobSet
// controller only checks that the key is there) uses it. The nodes are labelled ahead of time
// (alpha.jobset.sigs.k8s.io/namespaced-job: <namespace>_<Job name>) and tainted
// alpha.jobset.sigs.k8s.io/no-schedule; the JobSet controller gives each Job's pods that
// nodeSelector and a toleration of the taint, and the pod webhook adds no affinities. So there
// is no exclusive domain search: the caller leaves the gang's exclusive_topology empty and
// applies NodeSelectorStrategy to every pod it makes.
Result<bool> ParseNodeSelectorStrategy(const Field& object, bool exclusive);

// Adds the strategy's nodeSelector and toleration to the pods of a JobSet that uses it, in
// the PodSpec and in the Pod object. The Pod objects of one Job share one spec node (a copy
// of the template's spec with the two added), as the pods of a template share its spec.
class NodeSelectorStrategy {
 public:
  // `pod` is a pod of Job `job` (its batch.kubernetes.io/job-name); `object` its Pod object,
  // whose "spec" is still the template's (shared: it is replaced, never changed).
  void Apply(const std::string& job, model::PodSpec& pod, YAML::Node object);

 private:
  std::map<std::string, YAML::Node> spec_of_job_;
};

// The lifecycle fields of a JobSet (model::JobSetLifecycleSpec), checked as JobSet's
// validating webhook does: spec.failurePolicy {maxRestarts >= 0, restartStrategy Recreate |
// BlockingRecreate | InPlaceRestart, rules[] {name, action, targetReplicatedJobs (existing),
// onJobFailureReasons (Job failure reasons), onJobFailureMessagePatterns}}; spec.successPolicy
// {operator All | Any, targetReplicatedJobs (existing)}; spec.startupPolicy.startupPolicyOrder
// AnyOrder | InOrder; per replicatedJob: dependsOn (at most one entry, naming an earlier
// replicatedJob, status Ready | Complete; none on the first), replicas, the Job's parallelism,
// completions, backoffLimit (default 6) and podFailurePolicy rules on the DisruptionTarget pod
// condition, and the pod template's terminationGracePeriodSeconds. Job fields the lifecycle
// does not model (backoffLimitPerIndex, maxFailedIndexes, activeDeadlineSeconds, the Job's own
// successPolicy, podFailurePolicy rules on exit codes or other conditions) are listed in
// `unmodelled`, not rejected: `tessera schedule` places such JobSets like any other.
// Requires: ParseJobSet accepted `object`.
Result<model::JobSetLifecycleSpec> ParseJobSetLifecycle(const Field& object);

// A KAI or Volcano PodGroup before pods join it: the gang with its members (no pod names yet)
// and what the caller should warn about.
struct PodGroupIntake {
  model::GangSpec gang;  // source left for the caller
  // Volcano: the batch.volcano.sh Job named by the PodGroup's controller ownerReference (the
  // Volcano job controller creates one PodGroup per Job); "" for none.
  std::string owner_volcano_job;
  std::vector<std::string> warnings;  // "<field path>: <message>"
  bool has_subgroups = false;         // KAI: spec.subGroups lists subgroups
  // KAI: whether member i has child members (pods only join leaves).
  std::vector<bool> has_children;
};

// A KAI PodGroup (scheduling.run.ai/v2alpha2), checked as KAI's CRD and webhook do:
// - spec.minMember (>= 1; default 1 without subgroups) and spec.minSubGroup (>= 1, at most
//   the number of top-level subgroups) are mutually exclusive;
// - spec.subGroups (also read when spelt `subgroups`, with a warning: the CRD field is
//   subGroups): names unique and non-empty, parents exist, no cycles; a leaf needs minMember
//   (>= 0), a subgroup with children takes minSubGroup instead;
// - topologyConstraint {topology, requiredTopologyLevel, preferredTopologyLevel} on the
//   PodGroup and on each subgroup.
// Without subgroups the gang has one member "default" with min_count = minMember.
Result<PodGroupIntake> ParseKaiPodGroup(const Field& object, ObjectMeta meta);

// A Volcano PodGroup (scheduling.volcano.sh/v1beta1): spec.minMember (>= 0; absent: 0, as
// Volcano reads it) and spec.minTaskMember {task: n >= 0}, one member per listed task in
// the order written (pods of other tasks get members with min_count 0 as they join). As in
// Volcano's scheduler, the task minimums count only when minMember is at least their sum;
// otherwise every member's min_count is 0. Example: minMember 2, minTaskMember {a: 2, b: 1}:
// any 2 pods. spec.networkTopology is not read (a warning says so).
Result<PodGroupIntake> ParseVolcanoPodGroup(const Field& object, ObjectMeta meta);

struct VolcanoTaskIntake {
  std::string name;  // spec.tasks[i].name, default "default<i>" as Volcano's webhook sets it
  std::string path;  // "spec.tasks[i]"
  int32_t replicas = 0;
  int32_t min_available = 0;  // tasks[i].minAvailable, default replicas
  PodTemplateIntake tmpl;
};

struct VolcanoJobIntake {
  std::string namespace_name;
  std::string name;
  std::optional<int64_t> creation_unix_seconds;
  std::string creation_timestamp;  // as written, copied to the pod objects
  std::string uid;                 // metadata.uid, copied to the pods' ownerReferences
  std::string queue;               // spec.queue, default "default"
  std::string scheduler_name;      // spec.schedulerName, default "volcano"
  int32_t min_available = 0;       // spec.minAvailable, default: sum of the tasks' minAvailable
  std::vector<VolcanoTaskIntake> tasks;
  int64_t num_pods = 0;
  std::vector<std::string> warnings;  // "<field path>: <message>"
};

// A Volcano Job, checked as Volcano's webhooks do (at least one task; task names DNS labels,
// unique; replicas, minAvailable >= 0; a task's minAvailable <= its replicas; the Job's
// minAvailable <= all replicas) and bounded like Jobs: at most kMaxPodsPerWorkload pods, and
// `pods_before` + its pods at most kMaxExpandedPods. spec.networkTopology is not read (a
// warning says so).
Result<VolcanoJobIntake> ParseVolcanoJob(const Field& object, ObjectMeta meta, int64_t pods_before);

// Whether the input already has a pod of a given name (in the Job's namespace), and its phase.
enum class ExistingPod { kNone, kActive, kSucceeded, kFailed };

// Makes the pods of `job` as Volcano's job controller names them, `<job>-<task>-<index>`, in
// task order: calls `add_pod` with each spec (priority `task_priorities[task]`, source
// `source`) and its Pod object (labels and annotations as the controller sets them), and
// returns the gang: kVolcanoJob, min_member = minAvailable, a member per task with min_count =
// the task's minAvailable, or 0 for every task when minAvailable is below their sum (the
// PodGroup rule above; the upstream vcjob.yaml: minAvailable 3, one task of 6 replicas whose
// minAvailable defaults to 6, so any 3 pods). Like the controller, it makes only the pods the input
// lacks
// (`existing`): an active pod of that name is the task's pod; a Succeeded one is done and
// counts towards minAvailable and the task's minAvailable (both are lowered by one, as
// Volcano counts succeeded pods as ready); a Failed one is left out and not made again (the
// Job's restart policies are not modelled).
model::GangSpec ExpandVolcanoJob(const VolcanoJobIntake& job,
                                 std::span<const int32_t> task_priorities,
                                 const std::string& source,
                                 const std::function<ExistingPod(const std::string&)>& existing,
                                 const std::function<void(model::PodSpec, YAML::Node)>& add_pod);

// The gang of a Job (kJob, member "main") or JobSet (kJobSet, a member per replicatedJob with
// pods_per_job), from the PodSets ExpandWorkload returned: every pod, min_count and min_member
// -1 (all), and each PodSet's Kueue topology annotations as the member's topology.
model::GangSpec NewWorkloadGang(const WorkloadIntake& w,
                                std::span<const model::PodSetSpec> pod_sets,
                                std::string exclusive_topology);

// The gang-related metadata of a pod or of a pod template.
struct GangKeys {
  std::string kai_pod_group;                // annotation pod-group-name
  std::optional<std::string> kai_subgroup;  // label kai.scheduler/subgroup-name
  std::string volcano_group;                // annotation scheduling.k8s.io/group-name
  std::optional<std::string> volcano_task;  // annotation volcano.sh/task-spec
  bool empty() const {
    return kai_pod_group.empty() && !kai_subgroup && volcano_group.empty() && !volcano_task;
  }
};
// Reads GangKeys from `annotations` (a metadata.annotations field; values must be strings)
// and `labels` (already validated).
Result<GangKeys> ReadGangKeys(const Field& annotations, const model::Labels& labels);

// Collects the gangs of one load and decides which gang each pod joins (see the invariant at
// the top). Not thread-safe; owned by the loader.
class GangAssembler {
 public:
  // Where a pod's (or a template's) keys were written, for messages: "<file>: <kind> <object>:
  // <metadata_path>.labels...".
  struct Origin {
    std::string file;
    std::string kind;           // "Pod", "Job", "JobSet"
    std::string object_label;   // "ns/name"
    std::string metadata_path;  // "metadata", "spec.template.metadata", ...
  };

  // `order` sorts gangs in the output (the input position of the defining object).
  void AddTopology(model::TopologySpec topology) { topologies_.push_back(std::move(topology)); }
  void AddKaiPodGroup(PodGroupIntake pg, size_t order);
  void AddVolcanoPodGroup(PodGroupIntake pg, size_t order);
  void AddWorkloadGang(model::GangSpec gang, size_t order);
  void AddVolcanoJobGang(model::GangSpec gang, size_t order);

  // Registers keys (returns their handle for AddPod); empty keys need not be registered.
  uint32_t AddKeys(GangKeys keys, Origin origin);
  // The next pod of the snapshot, in PodId order: its keys handle, or kNoKeys.
  static constexpr uint32_t kNoKeys = 0;
  void AddPod(uint32_t keys) { pod_keys_.push_back(keys); }

  // Places every pod of `snapshot` (whose pods are the AddPod calls, in order) and returns the
  // gangs in input order. Fails when a pod names a KAI subgroup that does not exist or is not
  // a leaf, or names none in a PodGroup that has subgroups. Appends to `warnings`: PodGroups
  // that pods name but the input lacks (once per PodGroup), and PodGroups and Volcano Jobs
  // with fewer pods than their minimums.
  Result<model::GangObjects> Finish(const model::Snapshot& snapshot,
                                    std::vector<std::string>& warnings) &&;

 private:
  enum class Source { kKaiPodGroup, kVolcanoPodGroup, kWorkload, kVolcanoJob };
  struct PendingGang {
    model::GangSpec gang;
    size_t order = 0;
    Source source = Source::kWorkload;
    bool kai_subgroups = false;      // a KAI PodGroup with spec.subGroups
    std::vector<bool> has_children;  // KAI: per member
    std::string owner_volcano_job;   // Volcano PodGroup: its controller Job
    // PodGroups: member name -> index, so that placing a pod costs O(log members).
    std::map<std::string, size_t, std::less<>> member_index;
    bool dropped = false;  // a Job whose pods all joined PodGroups, or a replaced PodGroup
  };
  struct KeysEntry {
    GangKeys keys;
    Origin origin;
    uint8_t warned = 0;  // 1: missing KAI PodGroup reported, 2: missing Volcano PodGroup
  };

  std::vector<model::TopologySpec> topologies_;
  std::vector<PendingGang> gangs_;
  std::vector<KeysEntry> keys_ = std::vector<KeysEntry>(1);  // [0]: no keys
  std::vector<uint32_t> pod_keys_;
};

}  // namespace tessera::io::internal

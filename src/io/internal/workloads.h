// Jobs (batch/v1) and JobSets (jobset.x-k8s.io/v1alpha2) as the pods their controllers
// would create, and the Kueue-style Workloads of queued Jobs, JobSets and Pods.
//
// Naming (deterministic; Kubernetes would add random suffixes):
// - a Job `train` with count pods makes pods `train-0` .. `train-<count-1>`, labelled with the
//   template's labels plus job-name, batch.kubernetes.io/job-name and
//   batch.kubernetes.io/job-completion-index (controller-uid is left out);
// - a JobSet `js` with replicatedJob `rj` makes Jobs `js-rj-<jobIndex>` and pods
//   `js-rj-<jobIndex>-<podIndex>`, with the Job labels above plus jobset.sigs.k8s.io/
//   jobset-name, replicatedjob-name, job-index, job-global-index and replicatedjob-replicas;
// - the Workload of a queued Job, JobSet or Pod is `job-<name>`, `jobset-<name>` or
//   `pod-<name>` (Kueue appends a hash; we do not).
// A Job's PodSet is "main" with count = parallelism (default 1) capped by completions; a
// JobSet has one PodSet per replicatedJob with count = replicas x that. Invariant: parsing
// never allocates per pod, and no workload expands to more than kMaxPodsPerWorkload pods nor
// the input to more than kMaxExpandedPods, so a hostile `parallelism: 2000000000` fails with
// an error before any pod exists.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/internal/common.h"
#include "io/internal/core_objects.h"
#include "io/internal/fields.h"
#include "model/queue_specs.h"

namespace tessera::io::internal {

inline constexpr char kQueueNameLabel[] = "kueue.x-k8s.io/queue-name";
inline constexpr char kKaiQueueLabel[] = "kai.scheduler/queue";
inline constexpr char kWorkloadPriorityClassLabel[] = "kueue.x-k8s.io/priority-class";
// Kueue's partial admission for a batch/v1 Job: the Job may start with fewer pods (its
// parallelism lowered), down to this many, when all of them cannot be admitted.
inline constexpr char kJobMinParallelismAnnotation[] = "kueue.x-k8s.io/job-min-parallelism";

// Kubernetes caps an Indexed Job at 100,000 completions; we cap every workload there. The
// total is lower than a simulator might like because every expanded pod also gets a
// yaml-cpp Pod object in LoadedManifests::pod_objects, about 20 KB each (200,000 pods:
// ~4 GB and ~50 s in a debug build); synthesizing pod objects lazily at output would lift it.
inline constexpr int64_t kMaxPodsPerWorkload = 100'000;
inline constexpr int64_t kMaxExpandedPods = 200'000;  // over all Jobs and JobSets of a load

// The queueing labels of a Job, JobSet or Pod.
struct QueueLabels {
  std::string queue_name;               // kueue.x-k8s.io/queue-name
  std::string kai_queue;                // kai.scheduler/queue
  std::string workload_priority_class;  // kueue.x-k8s.io/priority-class
  bool queued() const { return !queue_name.empty() || !kai_queue.empty(); }
};
QueueLabels ReadQueueLabels(const model::Labels& labels);

// Kueue's topology annotations (kueue.x-k8s.io/podset-required-topology, -preferred-topology,
// -unconstrained-topology, -slice-required-topology, -slice-size, the multi-layer
// -slice-required-topology-constraints, -group-name) from `annotations` (a pod template's or
// a Pod's metadata.annotations) into the topology fields of `pod_set`. Either slice form
// becomes `pod_set.slices` (one layer, or one to three). Errors are located at the
// annotation; those about a layer name its index ("layer [1] ...").
Status ParseTopologyAnnotations(const Field& annotations, model::PodSetSpec& pod_set);

// A pod template (spec.template of a Job), parsed once for all of its pods.
struct PodTemplateIntake {
  PodIntake pod;           // requests, selectors, tolerations, claims, priority class
  model::Labels labels;    // metadata.labels
  YAML::Node annotations;  // metadata.annotations as read (a mapping, or null)
  YAML::Node spec;         // spec as read; every pod object shares it (never mutate it)
  std::string path;        // "spec.template", for errors about the template
};

// Reads a pod template (`tmpl`, e.g. spec.template of a Job or spec.tasks[i].template of a
// Volcano Job) of a workload in `namespace_name`: labels (validated), annotations (strings),
// and the pod spec through ParsePod, with error paths below tmpl's path.
Result<PodTemplateIntake> ParsePodTemplate(const Field& tmpl, const std::string& namespace_name);

// One PodSet: `replicas` Jobs of `pods_per_job` pods each.
struct PodSetIntake {
  std::string name;  // "main" for a Job, the replicatedJob name for a JobSet
  std::string path;  // "spec" for a Job, "spec.replicatedJobs[i]" for a JobSet
  int32_t replicas = 1;
  int32_t pods_per_job = 0;
  bool indexed = false;  // completionMode: Indexed
  std::optional<int32_t> min_count;  // a queued Job's kueue.x-k8s.io/job-min-parallelism
  PodTemplateIntake tmpl;
  model::PodSetSpec topology;  // only the topology fields are set
};

enum class WorkloadKind { kJob, kJobSet };

struct WorkloadIntake {
  WorkloadKind kind = WorkloadKind::kJob;
  std::string namespace_name;
  std::string name;           // empty while generate_name is still to be resolved
  std::string generate_name;  // metadata.generateName
  std::optional<int64_t> creation_unix_seconds;
  std::string creation_timestamp;  // as written, copied to the pod objects
  std::string uid;                 // metadata.uid, copied to the pods' ownerReferences
  QueueLabels queue;
  std::vector<PodSetIntake> pod_sets;
  int64_t num_pods = 0;
};

// kueue.x-k8s.io/podset-group-name across a workload's PodSets: every group has at least two
// PodSets, and they ask for the same required or preferred topology level.
Status CheckPodSetGroups(std::span<const PodSetIntake> pod_sets);

// A Job. `pods_before` counts the pods of earlier Jobs and JobSets in the input, for the
// kMaxExpandedPods bound.
Result<WorkloadIntake> ParseJob(const Field& object, ObjectMeta meta, int64_t pods_before);
// A JobSet (jobset.x-k8s.io/v1alpha2).
Result<WorkloadIntake> ParseJobSet(const Field& object, ObjectMeta meta, int64_t pods_before);

// A pod of the input that a Job already has (its ownerReference or job-name label names
// the Job), as in `kubectl get jobs,pods` of a live cluster.
struct ExistingJobPod {
  std::string name;
  int32_t completion_index = -1;  // batch.kubernetes.io/job-completion-index; -1: none
};

// Makes the pods of `w` (whose name is resolved) in order (PodSet, Job index, pod index):
// calls `add_pod` with the PodSet's index, each pod's spec (priority `pod_priorities[podset]`,
// source `source`) and its synthesized Pod object, and returns the PodSets with their pod
// names. Like the Job
// controller, it only tops up: the pods `existing(job name)` returns count towards the Job's
// pods and keep their names and indices. Fails only when a resolved name makes a Job name
// longer than a label value may be (63).
Result<std::vector<model::PodSetSpec>> ExpandWorkload(
    const WorkloadIntake& w, std::span<const int32_t> pod_priorities, const std::string& source,
    const std::function<std::vector<ExistingJobPod>(const std::string&)>& existing,
    const std::function<void(size_t, model::PodSpec, YAML::Node)>& add_pod);

// The Pod object a controller (the Job controller, Volcano's job controller) would create for
// `pod`, built in `object` (a node of the caller's shared yaml-cpp pool): apiVersion, kind,
// metadata name, namespace, creationTimestamp (when not empty), labels, the pod template's
// annotations, and one controller ownerReference to `owner` (`uid` only when not empty).
// The spec is the caller's. Returns the metadata.annotations node, for the caller's own
// annotations (it is only materialised when something is written to it).
struct ControllerRef {
  std::string_view api_version;
  std::string_view kind;
  std::string_view name;
  std::string_view uid;
};
YAML::Node WriteControllerPodObject(YAML::Node object, const model::PodSpec& pod,
                                    const std::string& creation_timestamp,
                                    const YAML::Node& template_annotations,
                                    const ControllerRef& owner);

// The Workload of a queued Job or JobSet, without priority and source.
model::WorkloadSpec NewWorkloadSpec(const WorkloadIntake& w,
                                    std::vector<model::PodSetSpec> pod_sets);
// The Workload of a queued Pod: one PodSet "main" of count 1 with the pod's topology
// annotations (`topology`), without priority and source.
model::WorkloadSpec NewPodWorkloadSpec(const model::PodSpec& pod, const QueueLabels& queue,
                                       model::PodSetSpec topology);

}  // namespace tessera::io::internal

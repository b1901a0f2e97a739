// Parsers for the queueing objects: Kueue (kueue.x-k8s.io v1beta1 and v1beta2; Cohort also
// v1alpha1) ResourceFlavor, ClusterQueue, Cohort, LocalQueue and WorkloadPriorityClass, KAI's
// scheduling.run.ai/v2 Queue, v1 Namespace (for ClusterQueue namespaceSelectors) and the
// device class mappings of Kueue's Configuration (config.kueue.x-k8s.io).
// Each takes the whole object and its parsed metadata and returns a model spec; errors carry
// field paths relative to the object, and the caller adds the file and the object. Checks are
// those the Kueue CRDs and webhooks make on one object (enums, quantities, resource group
// shape, limits that need a cohort); references between objects (a LocalQueue's ClusterQueue,
// a cohort's parent, cycles) are left to the admission module. Unknown fields are ignored, as
// elsewhere in io, except a cohort field spelt as another apiVersion spells it, which would
// otherwise silently drop the cohort, and an unknown key in a Kueue Configuration's device class
// mapping, which would silently drop device quota.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/internal/common.h"
#include "io/internal/fields.h"
#include "model/queue_specs.h"

namespace tessera::io::internal {

// The kueue.x-k8s.io version an object was written in; field names differ between them
// (ClusterQueue spec.cohort in v1beta1, spec.cohortName in v1beta2; Cohort spec.parent in
// v1alpha1, spec.parentName in v1beta2, either in v1beta1).
enum class KueueVersion { kV1Alpha1, kV1Beta1, kV1Beta2 };

Result<model::ResourceFlavorSpec> ParseResourceFlavor(const Field& object, ObjectMeta meta);
Result<model::ClusterQueueSpec> ParseClusterQueue(const Field& object, ObjectMeta meta,
                                                  KueueVersion version);
Result<model::CohortSpec> ParseCohort(const Field& object, ObjectMeta meta, KueueVersion version);
Result<model::LocalQueueSpec> ParseLocalQueue(const Field& object, ObjectMeta meta);
Result<model::WorkloadPriorityClassSpec> ParseWorkloadPriorityClass(const Field& object,
                                                                    ObjectMeta meta);
// A KAI Queue: spec.parentQueue, spec.priority and spec.resources.{gpu,cpu,memory} with
// quota (-1: unlimited), limit (-1: none; else at least quota unless quota is -1) and
// overQuotaWeight (>= 0), listed in the order gpu, cpu, memory for the resources the object
// names. Parents that exist and cycles are checked by admission::QueueModel::Build.
Result<model::KaiQueueSpec> ParseKaiQueue(const Field& object, ObjectMeta meta);
// resources.deviceClassMappings of a Kueue Configuration (config.kueue.x-k8s.io v1beta1 or
// v1beta2; fairSharing is read by ParseKueueFairSharing, every other section is ignored):
// each entry needs `name` (the quota resource) and a
// non-empty `deviceClassNames`; other keys in an entry are errors (a misspelt key would
// otherwise silently drop the quota), and so is a DeviceClass listed twice (Kueue maps a
// class to one resource). `source` is recorded in each mapping.
Result<std::vector<model::DeviceClassMappingSpec>> ParseKueueConfiguration(
    const Field& object, const std::string& source);
// fairSharing of a Kueue Configuration, or nullopt when the section is absent: `enable`
// (bool; default false in v1beta1, true in v1beta2 where the section's presence turns fair
// sharing on) and `preemptionStrategies`, a list that must be one of Kueue's allowed ones:
// [LessThanOrEqualToFinalShare], [LessThanInitialShare] or [LessThanOrEqualToFinalShare,
// LessThanInitialShare] (absent or empty: Kueue's default, the last). Other keys are errors
// (a misspelt key would silently change preemption), e.g. `fairSharing.preemptionStrategies[0]:
// "LessThanFinalShare" is not a preemption strategy: must be LessThanOrEqualToFinalShare or
// LessThanInitialShare`.
Result<std::optional<model::KueueFairSharingSpec>> ParseKueueFairSharing(
    const Field& object, bool v1beta2, const std::string& source);
// admissionFairSharing of a Kueue Configuration, or nullopt when absent: usageHalfLifeTime and
// usageSamplingInterval (Go durations such as "168h", "5m"; absent: 0) and resourceWeights
// (resource name -> number >= 0). Other keys are errors.
Result<std::optional<model::AdmissionFairSharingSpec>> ParseAdmissionFairSharing(
    const Field& object, const std::string& source);
// The references between KAI Queues of one input: every spec.parentQueue names a Queue, and
// parents form no cycle. Errors are located at the Queue (file, object, spec.parentQueue), e.g.
// `Queue team-a: spec.parentQueue: Queue research not found` or `Queue a: spec.parentQueue:
// cycle a -> b -> a` (reported at the first Queue of the cycle in input order).
// admission::QueueModel::Build checks the same for queues that do not come from files.
Status CheckKaiQueueParents(const std::vector<model::KaiQueueSpec>& queues);
// A kueue.x-k8s.io Workload object (v1beta1 or v1beta2) as read: who owns it (its first
// ownerReference of kind Job, JobSet or Pod), its queue and PodSets and, when Kueue admitted
// it and it still holds quota, status.admission. A Workload holds quota when it has
// status.admission, no condition QuotaReserved=False and no Finished=True (Kueue clears the
// admission of an evicted workload; a finished one has given its quota back).
struct WorkloadObjectIntake {
  std::string namespace_name;
  std::string name;
  model::OwnerReferenceSpec owner;  // empty kind: no owner
  std::string queue_name;           // spec.queueName
  std::optional<int32_t> priority;  // spec.priority
  std::string priority_class_name;  // spec.priorityClassName
  std::vector<model::PodSetSpec> pod_sets;  // name, count, minCount; no pod names
  std::optional<model::WorkloadAdmissionSpec> admission;
  bool finished = false;
};
// Checks every field it reads and names it in errors, e.g.
// `status.admission.podSetAssignments[0].name: "workers" is not a PodSet of this Workload
// (main)` or `status.admission.podSetAssignments[0].resourceUsage.cpu: "lots" is not a valid
// quantity: ...`. References to ClusterQueues and ResourceFlavors are checked by the loader
// once every object is read.
Result<WorkloadObjectIntake> ParseWorkloadObject(const Field& object, ObjectMeta meta);

// A Namespace and its labels, with kubernetes.io/metadata.name=<name> set as the API server
// sets it.
Result<model::NamespaceSpec> ParseNamespace(ObjectMeta meta);

// The label every Namespace carries.
inline constexpr char kNamespaceNameLabel[] = "kubernetes.io/metadata.name";

}  // namespace tessera::io::internal

// Gangs and topologies as they arrive from io: groups of pods that are placed all or nothing,
// and the node-label hierarchies (blocks, racks, hosts) that topology constraints name.
// Sources: batch/v1 Jobs and JobSets (every one is a gang), KAI PodGroups
// (scheduling.run.ai/v2alpha2, with subgroups) and Volcano PodGroups and Jobs
// (scheduling.volcano.sh/v1beta1, batch.volcano.sh/v1alpha1); Kueue and KAI Topology objects.
// The placement module compiles them; `source` names the file an object came from.
#pragma once

#include <cstdint>
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
  std::string slice_level;      // podset-slice-required-topology: each slice in one domain
  int32_t slice_size = 0;       // podset-slice-size: pods per slice

  bool empty() const {
    return required_level.empty() && preferred_level.empty() && !unconstrained &&
           slice_level.empty();
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
};

struct GangObjects {
  std::vector<TopologySpec> topologies;
  std::vector<GangSpec> gangs;
};

}  // namespace tessera::model

// Reading Kubernetes manifests: files, folders (recursive, *.yaml, *.yml, *.json) and "-"
// (stdin); multi-document YAML and JSON (a single object or a v1 List). Objects of the kinds
// the engine uses become specs in a model::Snapshot (Jobs, JobSets and Volcano Jobs as the
// pods their controllers would create), in model::QueueObjects (Kueue and KAI queues,
// Namespaces, the Workloads of queued Pods, Jobs and JobSets) or in model::GangObjects
// (Kueue and KAI Topologies; the gangs of Jobs, JobSets, Volcano Jobs and KAI and Volcano
// PodGroups); kinds it does not use yet are kept and listed in a warning. Every error names
// the file, the object and the field.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/gang_specs.h"
#include "model/queue_specs.h"
#include "model/snapshot.h"

namespace tessera::io {

// An object the reader kept without using (e.g. a Kueue AdmissionCheck or a Volcano Queue).
struct KeptObject {
  std::string file;
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  YAML::Node object;
};

struct LoadedManifests {
  model::Snapshot snapshot;
  // The Pod objects exactly as read, indexed by PodId, so output can echo them back with
  // spec.nodeName or status.conditions added.
  std::vector<YAML::Node> pod_objects;
  std::vector<KeptObject> kept;       // kinds not used yet
  std::vector<std::string> warnings;  // for the caller to print on stderr
  size_t num_files = 0;
  size_t num_objects = 0;
  // The ResourceClaim and ResourceClaimTemplate objects as read, indexed like
  // Snapshot::resource_claims(), so output can print claims with their status.
  std::vector<YAML::Node> claim_objects;
  // Kueue and KAI queueing objects, Namespaces, and the Workloads of queued Pods, Jobs and
  // JobSets (whose pods are in the snapshot and in pod_objects like any other pod).
  model::QueueObjects queues;
  // Topologies and gangs (every Job, JobSet and Volcano Job; KAI and Volcano PodGroups with
  // the pods that name them), in input order; see docs/gang-intake.md.
  model::GangObjects gangs;
};

struct LoadOptions {
  std::istream* stdin_stream = nullptr;  // where "-" reads from; nullptr: std::cin
  size_t max_file_bytes = 64u << 20;     // larger files are rejected with an error
};

// Loads every path in order. A folder is read recursively in sorted path order.
Result<LoadedManifests> LoadManifests(std::span<const std::string> paths,
                                      const LoadOptions& options = {});

}  // namespace tessera::io

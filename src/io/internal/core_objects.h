// Parsers for the core kinds: Node, Pod (v1) and PriorityClass (scheduling.k8s.io/v1).
// Each takes the whole object and its already-parsed metadata and returns a spec; errors
// carry field paths relative to the object. Pod priority is resolved by the caller once all
// PriorityClasses of the input are known.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "io/internal/common.h"
#include "io/internal/fields.h"
#include "model/specs.h"

namespace tessera::io::internal {

// The kubelet's default --max-pods, used when a Node lists no "pods" capacity.
inline constexpr int64_t kDefaultMaxPods = 110;

// A Node: labels, spec.taints, spec.unschedulable, and status.allocatable (status.capacity
// when allocatable is absent). "pods" missing from allocatable comes from status.capacity,
// else kDefaultMaxPods.
Result<model::NodeSpec> ParseNode(const Field& object, ObjectMeta meta);

// A Pod before priority resolution and name generation.
struct PodIntake {
  model::PodSpec spec;
  std::string generate_name;             // set when spec.name is still to be generated
  std::string priority_class_name;       // spec.priorityClassName
  std::optional<int32_t> spec_priority;  // spec.priority
  std::string phase;                     // status.phase
};

// A Pod: metadata, spec.nodeName, schedulerName, nodeSelector, required node affinity,
// tolerations, resourceClaims and the effective requests (see ComputePodRequests in the .cc
// file for the kube-scheduler rule).
Result<PodIntake> ParsePod(const Field& object, ObjectMeta meta);

struct PriorityClassIntake {
  std::string name;
  int32_t value = 0;
  bool global_default = false;
};

// A PriorityClass: `value` (int32; at most 1e9 unless the name starts with "system-") and
// `globalDefault`.
Result<PriorityClassIntake> ParsePriorityClass(const Field& object, ObjectMeta meta);

// The name Kubernetes would generate for `generate_name`: the prefix (cut to 58 bytes) plus
// 5 characters from the alphabet "bcdfghjklmnpqrstvwxz2456789". Tessera derives them from
// `counter` (base 27, most significant first) instead of a random source, so loads are
// reproducible: counter 0 gives "bbbbb", 1 "bbbbc", 27 "bbbcb".
std::string GeneratedName(std::string_view generate_name, uint64_t counter);

}  // namespace tessera::io::internal

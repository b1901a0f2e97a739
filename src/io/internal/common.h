// Pieces shared by the per-kind parsers: object metadata, quantities, taints, tolerations and
// node selector terms, each validated the way the Kubernetes API server validates them.
// Errors carry field paths relative to the object ("spec.taints[0].effect"); the caller adds
// the file and the object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/quantity.h"
#include "base/status.h"
#include "io/internal/fields.h"
#include "model/specs.h"

namespace tessera::io::internal {

enum class NameRule {
  kDnsSubdomain,  // most kinds (Pod, Node, ResourceSlice, ...): <= 253
  kDnsLabel,      // Namespace: <= 63, no dots
};

struct ObjectMeta {
  std::string name;            // empty only when generate_name is set
  std::string generate_name;   // metadata.generateName when there is no name (Pods)
  std::string namespace_name;  // "default" when absent; empty for cluster-scoped kinds
  model::Labels labels;
  std::optional<int64_t> creation_unix_seconds;
};

// Reads and validates metadata: name (or, with `allow_generate_name`, generateName),
// namespace (namespaced kinds only), labels and creationTimestamp.
Result<ObjectMeta> ParseMetadata(const Field& object, bool namespaced, NameRule rule,
                                 bool allow_generate_name = false);

// Validates a name against `rule`; the message names `value` (quoted, truncated).
Status CheckObjectName(const Field& at, std::string_view value, NameRule rule);

// A quantity for resource `resource_name` in its unit (UnitForResource). Extended resources
// must be whole numbers; negative values are rejected.
Result<Quantity> ParseResourceQuantity(const Field& value, std::string_view resource_name);
// A non-negative quantity in whole units (DRA capacities and counters).
Result<Quantity> ParseWholeQuantity(const Field& value);

// A node taint (NoSchedule, PreferNoSchedule, NoExecute).
Result<model::TaintSpec> ParseNodeTaint(const Field& taint);
// A device taint (NoSchedule, NoExecute). nullopt for effect "None" (Kubernetes 1.35+),
// which never affects scheduling.
Result<std::optional<model::TaintSpec>> ParseDeviceTaint(const Field& taint);
// A pod or DRA request toleration.
Result<model::TolerationSpec> ParseToleration(const Field& toleration);

// One NodeSelectorTerm (matchExpressions and matchFields) with Kubernetes' validation.
Result<model::NodeSelectorTermSpec> ParseNodeSelectorTerm(const Field& term);

}  // namespace tessera::io::internal

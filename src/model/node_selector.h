// Node selector matching shared by pod placement (nodeSelector, required node affinity) and
// DRA (ResourceSlice and device node selectors). Pure reads; allocates nothing.
#pragma once

#include <span>

#include "model/snapshot.h"

namespace tessera::model {

// One requirement: In, NotIn, Exists, DoesNotExist, Gt, Lt on a label, or on the node name
// for `matchFields metadata.name`. Gt/Lt need the label to be an integer.
bool MatchesRequirement(const Snapshot& snapshot, const NodeSelectorRequirement& requirement,
                        NodeId node);

// A term: every requirement holds. An empty term matches no node, as in Kubernetes.
bool MatchesTerm(const Snapshot& snapshot, Range term, NodeId node);

// ORed terms, as in requiredDuringSchedulingIgnoredDuringExecution.
bool MatchesAnyTerm(const Snapshot& snapshot, std::span<const Range> terms, NodeId node);

}  // namespace tessera::model

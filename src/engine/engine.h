// Engine v0: places pending pods one at a time, highest priority first. For each pod it runs
// the filters (node unschedulable, taints, node selector and required affinity, resource
// fit) over every node, scores the nodes that pass, and reserves the best on the overlay.
// Deterministic: ties break by lowest NodeId, which is node-name order.
// Not thread-safe; one engine per thread.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/decision.h"
#include "model/overlay.h"
#include "model/snapshot.h"
#include "placement/scorers.h"

namespace tessera::engine {

using placement::ScorePolicy;

// "least-allocated" or "most-allocated"; an error lists the valid names.
Result<ScorePolicy> ParseScorePolicy(std::string_view name);
std::span<const std::string_view> ScorePolicyNames();

struct Options {
  ScorePolicy policy = ScorePolicy::kLeastAllocated;
};

// The order pods are tried in: priority (high first), then creation timestamp (old first;
// pods without one last), then namespace/name. Bound pods are left out.
std::vector<model::PodId> SchedulingOrder(const model::Snapshot& snapshot);

// Decides every pod of the snapshot. Returns one Decision per pod, indexed by PodId (input
// order); bound pods get kBound. Reservations are committed to `overlay`.
std::vector<model::Decision> ScheduleAll(const model::Snapshot& snapshot, const Options& options,
                                         model::Overlay& overlay);

}  // namespace tessera::engine

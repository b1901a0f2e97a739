// Node scorers with kube-scheduler's arithmetic (integers, 0..100 per plugin).
// NodeResourcesFit: LeastAllocated or MostAllocated over cpu, memory and every extended
// resource the pod requests, each with weight 1. (kube-scheduler scores only cpu and memory
// by default; counting the pod's GPUs too keeps GPU nodes from being picked as if their
// accelerators did not exist.) TaintToleration: fewer untolerated PreferNoSchedule taints is
// better, normalised over the feasible nodes. The engine combines them with kube-scheduler's
// default weights: 1 x resources + 3 x taints.
#pragma once

#include <cstdint>
#include <span>

#include "model/snapshot.h"

namespace tessera::placement {

enum class ScorePolicy : uint8_t {
  kLeastAllocated,  // spread: the node with the most free capacity after placing wins
  kMostAllocated,   // pack: the fullest node that still fits wins
};

inline constexpr int64_t kMaxNodeScore = 100;
inline constexpr int64_t kResourceWeight = 1;
inline constexpr int64_t kTaintWeight = 3;

// Worked example (least-allocated): a node with 4 cpu and 16Gi, 1 cpu and 4Gi in use, and a
// pod asking 1 cpu and 4Gi: cpu (4-2)*100/4 = 50, memory (16-8)*100/16 = 50, score 50.
// Most-allocated gives 2*100/4 = 50 and 8*100/16 = 50 as well; with 3 cpu in use it gives
// cpu 100, memory 50 -> 75 while least-allocated gives 0 and 50 -> 25.
int64_t ResourceScore(const model::Snapshot& snapshot, model::PodId pod, model::NodeId node,
                      std::span<const Quantity> used, ScorePolicy policy);

// How many PreferNoSchedule taints of `node` the pod does not tolerate.
int64_t CountPreferNoScheduleTaints(const model::Snapshot& snapshot, model::PodId pod,
                                    model::NodeId node);

// kube-scheduler's reverse normalisation: 100 - count * 100 / max_count (100 when max is 0).
inline int64_t NormalizedTaintScore(int64_t count, int64_t max_count) {
  return max_count == 0 ? kMaxNodeScore : kMaxNodeScore - count * kMaxNodeScore / max_count;
}

}  // namespace tessera::placement

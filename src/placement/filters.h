// Node filters with kube-scheduler semantics, in its order: NodeUnschedulable,
// TaintToleration, NodeAffinity (nodeSelector + required affinity), NodeResourcesFit.
// A node failing an earlier filter is not checked by later ones, except that resource fit
// reports every insufficient resource of the node, as kube-scheduler does.
// All functions are pure reads of the snapshot and overlay; none allocates.
#pragma once

#include <cstdint>
#include <span>

#include "model/decision.h"
#include "model/overlay.h"
#include "model/snapshot.h"

namespace tessera::placement {

// Where the filters write why a node was rejected. Fixed capacity: a node can fail for at
// most one non-resource reason or for each resource dimension.
struct Rejections {
  static constexpr int kMax = 16;
  model::ReasonCount items[kMax];
  int size = 0;
  void Add(model::RejectReason reason, uint32_t arg = 0, uint32_t arg2 = 0) {
    if (size < kMax) items[size++] = {reason, arg, arg2, 1};
  }
  void Clear() { size = 0; }
};

// True when the pod's tolerations, or one of `extra` (a Kueue flavor's tolerations, which
// admission adds to the pod), tolerate the taint.
bool ToleratedBy(const model::Snapshot& snapshot, model::PodId pod, const model::Taint& taint,
                 std::span<const model::Toleration> extra = {});

// The first NoSchedule/NoExecute taint on `node` the pod does not tolerate, or nullptr.
const model::Taint* FirstUntoleratedTaint(const model::Snapshot& snapshot, model::PodId pod,
                                          model::NodeId node,
                                          std::span<const model::Toleration> extra = {});

// nodeSelector and requiredDuringScheduling node affinity.
bool MatchesNodeAffinity(const model::Snapshot& snapshot, model::PodId pod, model::NodeId node);

// Checks everything except resources. Returns false and records one reason on rejection.
bool PassesStaticFilters(const model::Snapshot& snapshot, model::PodId pod, model::NodeId node,
                         Rejections& out, std::span<const model::Toleration> extra = {});

// Resource fit against `used` (a row of snapshot.num_resources() amounts): the pod's
// requests plus one pod must fit in allocatable - used. Records every shortfall.
bool FitsResources(const model::Snapshot& snapshot, model::PodId pod, model::NodeId node,
                   std::span<const Quantity> used, Rejections& out);

}  // namespace tessera::placement

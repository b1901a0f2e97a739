// A scheduling decision as data: what happened to one pod, and for a pod that cannot go
// anywhere, how many nodes rejected it for each reason. Text is rendered at the edge
// (io::UnschedulableMessage), never built inside the cycle. Decision lives in model (not
// engine) because io renders it and io may depend only on model and base.
#pragma once

#include <cstdint>
#include <vector>

#include "model/snapshot.h"

namespace tessera::model {

enum class Outcome : uint8_t {
  kPlaced,      // bound to `node` by this run
  kBound,       // already had spec.nodeName; counted, not moved
  kWaiting,     // fits no node now, but would fit an empty eligible node (may fit later)
  kInfeasible,  // fits no node even if it were empty, as the cluster stands
};

// Why one node was rejected, in kube-scheduler's filter order.
enum class RejectReason : uint8_t {
  kNodeUnschedulable,     // spec.unschedulable
  kUntoleratedTaint,      // arg: LabelKeyId, arg2: LabelValueId of the first untolerated taint
  kNodeAffinity,          // nodeSelector or required node affinity
  kTooManyPods,           // the "pods" resource is exhausted
  kInsufficientResource,  // arg: ResourceId
  kClaimsUnsupported,     // the pod uses DRA claims; allocation arrives with issue #3
};

struct ReasonCount {
  RejectReason reason;
  uint32_t arg = 0;
  uint32_t arg2 = 0;
  uint32_t nodes = 0;  // how many nodes rejected the pod for this reason

  bool operator==(const ReasonCount&) const = default;
};

struct Decision {
  PodId pod;
  Outcome outcome = Outcome::kWaiting;
  NodeId node;          // kPlaced / kBound
  int64_t score = 0;    // the winning node's total score (kPlaced)
  uint32_t nodes_total = 0;          // nodes in the cluster when decided
  std::vector<ReasonCount> reasons;  // kWaiting / kInfeasible; one entry per distinct reason
};

}  // namespace tessera::model

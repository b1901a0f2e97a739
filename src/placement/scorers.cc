#include "placement/scorers.h"

#include "placement/filters.h"

namespace tessera::placement {
namespace {

__extension__ typedef __int128 Int128;

// One resource's score: capacity and requested (used + the pod's request) in any unit.
int64_t DimensionScore(int64_t capacity, int64_t requested, ScorePolicy policy) {
  if (capacity <= 0 || requested > capacity) return 0;
  if (requested < 0) requested = 0;
  Int128 part = policy == ScorePolicy::kLeastAllocated ? Int128(capacity - requested)
                                                       : Int128(requested);
  return static_cast<int64_t>(part * kMaxNodeScore / capacity);
}

}  // namespace

int64_t ResourceScore(const model::Snapshot& snapshot, model::PodId pod, model::NodeId node,
                      std::span<const Quantity> used, ScorePolicy policy) {
  auto allocatable = snapshot.allocatable(node);
  auto requests = snapshot.pod_requests(pod);
  auto requested_of = [&](size_t r) {
    int64_t request = 0;
    for (const auto& ra : requests) {
      if (ra.resource.index() == r) request = ra.amount.value();
    }
    return used[r].value() + request;
  };
  int64_t total = 0;
  int64_t weights = 0;
  for (size_t r : {model::kCpu.index(), model::kMemory.index()}) {
    total += DimensionScore(allocatable[r].value(), requested_of(r), policy);
    ++weights;
  }
  for (const auto& ra : requests) {
    if (ra.resource.index() < static_cast<size_t>(model::kNumFixedResources)) continue;
    if (ra.amount.value() <= 0) continue;
    const size_t r = ra.resource.index();
    total += DimensionScore(allocatable[r].value(), used[r].value() + ra.amount.value(), policy);
    ++weights;
  }
  return total / weights;
}

int64_t CountPreferNoScheduleTaints(const model::Snapshot& snapshot, model::PodId pod,
                                    model::NodeId node) {
  int64_t count = 0;
  for (const model::Taint& taint : snapshot.node_taints(node)) {
    if (taint.effect != model::TaintEffect::kPreferNoSchedule) continue;
    if (!ToleratedBy(snapshot, pod, taint)) ++count;
  }
  return count;
}

}  // namespace tessera::placement

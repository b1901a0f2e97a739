#include "placement/filters.h"

#include <algorithm>

#include "model/node_selector.h"

namespace tessera::placement {

using model::NodeId;
using model::PodId;
using model::RejectReason;
using model::Snapshot;

bool ToleratedBy(const Snapshot& snapshot, PodId pod, const model::Taint& taint,
                 std::span<const model::Toleration> extra) {
  for (const model::Toleration& t : snapshot.pod_tolerations(pod)) {
    if (model::Tolerates(t, taint)) return true;
  }
  for (const model::Toleration& t : extra) {
    if (model::Tolerates(t, taint)) return true;
  }
  return false;
}

const model::Taint* FirstUntoleratedTaint(const Snapshot& snapshot, PodId pod, NodeId node,
                                          std::span<const model::Toleration> extra) {
  for (const model::Taint& taint : snapshot.node_taints(node)) {
    if (taint.effect == model::TaintEffect::kPreferNoSchedule) continue;
    if (!ToleratedBy(snapshot, pod, taint, extra)) return &taint;
  }
  return nullptr;
}

bool MatchesNodeAffinity(const Snapshot& snapshot, PodId pod, NodeId node) {
  for (const model::Label& want : snapshot.pod_node_selector(pod)) {
    auto have = snapshot.NodeLabel(node, want.key);
    if (!have || *have != want.value) return false;
  }
  if (!snapshot.pod(pod).has_required_affinity) return true;
  // Terms are ORed; requirements in a term ANDed; an empty term matches nothing.
  return model::MatchesAnyTerm(snapshot, snapshot.pod_affinity_terms(pod), node);
}

bool PassesStaticFilters(const Snapshot& snapshot, PodId pod, NodeId node, Rejections& out,
                         std::span<const model::Toleration> extra) {
  // A pod that tolerates node.kubernetes.io/unschedulable:NoSchedule may use a cordoned node.
  if (snapshot.node_unschedulable(node) && !snapshot.pod(pod).tolerates_unschedulable) {
    out.Add(RejectReason::kNodeUnschedulable);
    return false;
  }
  if (const model::Taint* taint = FirstUntoleratedTaint(snapshot, pod, node, extra)) {
    out.Add(RejectReason::kUntoleratedTaint, taint->key.value(), taint->value.value());
    return false;
  }
  if (!MatchesNodeAffinity(snapshot, pod, node)) {
    out.Add(RejectReason::kNodeAffinity);
    return false;
  }
  return true;
}

bool FitsResources(const Snapshot& snapshot, PodId pod, NodeId node,
                   std::span<const Quantity> used, Rejections& out) {
  bool fits = true;
  auto allocatable = snapshot.allocatable(node);
  const auto pods = model::kPods.index();
  if (allocatable[pods] - used[pods] < Quantity(1)) {
    out.Add(RejectReason::kTooManyPods);
    fits = false;
  }
  for (const model::ResourceAmount& ra : snapshot.pod_requests(pod)) {
    if (ra.amount.value() <= 0) continue;
    const size_t r = ra.resource.index();
    // allocatable - used cannot overflow: both are >= 0 except an overcommitted node, where
    // the difference is negative and small.
    if (allocatable[r] - used[r] < ra.amount) {
      out.Add(RejectReason::kInsufficientResource, ra.resource.value());
      fits = false;
    }
  }
  return fits;
}

}  // namespace tessera::placement

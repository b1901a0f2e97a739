#include "model/overlay.h"

#include "base/check.h"

namespace tessera::model {

Overlay::Overlay(const Snapshot& snapshot)
    : snapshot_(&snapshot),
      dims_(snapshot.num_resources()),
      used_(snapshot.bound_usage().begin(), snapshot.bound_usage().end()),
      pod_node_(snapshot.num_pods()) {
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    pod_node_[p] = snapshot.pod(PodId::FromIndex(p)).node;
  }
}

void Overlay::Reserve(PodId pod, NodeId node) {
  TESSERA_CHECK(!pod_node_[pod.index()].valid()) << "pod " << pod.value() << " is already bound";
  TESSERA_CHECK(node.index() < snapshot_->num_nodes()) << "node " << node.value();
  Quantity* row = used_.data() + node.index() * dims_;
  row[kPods.index()] += Quantity(1);
  for (const ResourceAmount& ra : snapshot_->pod_requests(pod)) row[ra.resource.index()] += ra.amount;
  pod_node_[pod.index()] = node;
  undo_.push_back(pod);
}

void Overlay::RollbackTo(Mark mark) {
  TESSERA_CHECK(mark <= undo_.size()) << "mark " << mark << " is past the undo log";
  while (undo_.size() > mark) {
    PodId pod = undo_.back();
    undo_.pop_back();
    NodeId node = pod_node_[pod.index()];
    Quantity* row = used_.data() + node.index() * dims_;
    row[kPods.index()] -= Quantity(1);
    for (const ResourceAmount& ra : snapshot_->pod_requests(pod)) {
      row[ra.resource.index()] -= ra.amount;
    }
    pod_node_[pod.index()] = NodeId();
  }
}

}  // namespace tessera::model

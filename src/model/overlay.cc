#include "model/overlay.h"

#include "base/check.h"

namespace tessera::model {

Overlay::Overlay(const Snapshot& snapshot)
    : snapshot_(&snapshot),
      dims_(snapshot.num_resources()),
      used_(snapshot.bound_usage().begin(), snapshot.bound_usage().end()),
      pod_node_(snapshot.num_pods()),
      versions_(snapshot.num_nodes() + 1, 0) {
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    pod_node_[p] = snapshot.pod(PodId::FromIndex(p)).node;
  }
}

void Overlay::Reserve(PodId pod, NodeId node) {
  TESSERA_CHECK(!pod_node_[pod.index()].valid()) << "pod " << pod.value() << " is already bound";
  TESSERA_CHECK(node.index() < snapshot_->num_nodes()) << "node " << node.value();
  Quantity* row = used_.data() + node.index() * dims_;
  row[kPods.index()] += Quantity(1);
  for (const ResourceAmount& ra : snapshot_->pod_requests(pod))
    row[ra.resource.index()] += ra.amount;
  pod_node_[pod.index()] = node;
  undo_.push_back({UndoEntry::Kind::kReserve, pod.value(), 0, Touch(node.value())});
}

void Overlay::Unreserve(PodId pod) {
  const NodeId node = pod_node_[pod.index()];
  TESSERA_CHECK(node.valid()) << "pod " << pod.value() << " is not bound";
  Quantity* row = used_.data() + node.index() * dims_;
  row[kPods.index()] -= Quantity(1);
  for (const ResourceAmount& ra : snapshot_->pod_requests(pod))
    row[ra.resource.index()] -= ra.amount;
  pod_node_[pod.index()] = NodeId();
  undo_.push_back({UndoEntry::Kind::kUnreserve, pod.value(), node.value(), Touch(node.value())});
}

void Overlay::LedgerChangesSince(Mark mark, std::vector<std::pair<size_t, int64_t>>& out) const {
  for (size_t i = mark; i < undo_.size(); ++i) {
    if (undo_[i].kind == UndoEntry::Kind::kLedger) out.emplace_back(undo_[i].index, undo_[i].delta);
  }
}

void Overlay::ResizeLedger(size_t slots) {
  TESSERA_CHECK(undo_.empty()) << "resizing the ledger with reservations pending";
  ledger_.assign(slots, 0);
  ledger_keys_.clear();
}

void Overlay::AddToLedger(size_t slot, int64_t delta) {
  TESSERA_DCHECK(slot < ledger_.size()) << "ledger slot " << slot;
  ledger_[slot] += delta;
  const uint32_t key = ledger_keys_.empty() ? kNoKey : ledger_keys_[slot];
  undo_.push_back({UndoEntry::Kind::kLedger, static_cast<uint32_t>(slot), delta,
                   key == kNoKey ? 0 : Touch(key)});
}

void Overlay::SetLedgerKeys(std::vector<uint32_t> keys) {
  TESSERA_CHECK(undo_.empty()) << "setting ledger keys with reservations pending";
  TESSERA_CHECK(keys.size() == ledger_.size()) << keys.size() << " keys for " << ledger_.size()
                                               << " ledger slots";
  for (uint32_t k : keys) TESSERA_CHECK(k == kNoKey || k <= shared_key()) << "ledger key " << k;
  ledger_keys_ = std::move(keys);
}

uint64_t Overlay::Touch(uint32_t key) {
  const uint64_t old = versions_[key];
  versions_[key] = ++clock_;
  Log(key);
  return old;
}

void Overlay::Log(uint32_t key) {
  if (log_.capacity() < kChangeLogLimit) log_.reserve(kChangeLogLimit);  // once: no churn later
  if (log_.size() == kChangeLogLimit) {
    log_base_ += log_.size();
    log_.clear();
  }
  log_.push_back(key);
}

void Overlay::RollbackTo(Mark mark) {
  TESSERA_CHECK(mark <= undo_.size()) << "mark " << mark << " is past the undo log";
  while (undo_.size() > mark) {
    UndoEntry entry = undo_.back();
    undo_.pop_back();
    if (entry.kind == UndoEntry::Kind::kLedger) {
      ledger_[entry.index] -= entry.delta;
      const uint32_t key = ledger_keys_.empty() ? kNoKey : ledger_keys_[entry.index];
      if (key != kNoKey) {
        versions_[key] = entry.old_version;
        Log(key);
      }
      continue;
    }
    PodId pod(entry.index);
    const bool unreserve = entry.kind == UndoEntry::Kind::kUnreserve;
    NodeId node = unreserve ? NodeId(static_cast<uint32_t>(entry.delta)) : pod_node_[pod.index()];
    Quantity* row = used_.data() + node.index() * dims_;
    if (unreserve) {
      row[kPods.index()] += Quantity(1);
      for (const ResourceAmount& ra : snapshot_->pod_requests(pod))
        row[ra.resource.index()] += ra.amount;
    } else {
      row[kPods.index()] -= Quantity(1);
      for (const ResourceAmount& ra : snapshot_->pod_requests(pod))
        row[ra.resource.index()] -= ra.amount;
    }
    pod_node_[pod.index()] = unreserve ? node : NodeId();
    versions_[node.index()] = entry.old_version;
    Log(node.value());
  }
}

}  // namespace tessera::model

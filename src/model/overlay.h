// The allocation overlay records what scheduling has reserved on top of the snapshot: per
// node and resource, the amount in use, which node each pod was bound to, and a ledger of
// int64 slots for device state whose layout the DRA module defines (devices in exclusive
// use, consumed capacity, consumed counters). Every Reserve or AddToLedger is undone by
// exactly one RollbackTo a mark taken before it, or made permanent by Commit.
// After RollbackTo(m) the overlay is bit-for-bit what it was when m was taken.
// Not thread-safe; owned by the engine thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/snapshot.h"

namespace tessera::model {

class Overlay {
 public:
  // Starts from what the snapshot's bound pods use. `snapshot` must outlive the overlay.
  explicit Overlay(const Snapshot& snapshot);
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  const Snapshot& snapshot() const { return *snapshot_; }

  // Row of num_resources() amounts in use on `node` (bound pods plus reservations).
  std::span<const Quantity> used(NodeId node) const {
    return {used_.data() + node.index() * dims_, dims_};
  }
  Quantity used(NodeId node, ResourceId r) const { return used_[node.index() * dims_ + r.index()]; }
  // Where `pod` is bound: its spec.nodeName, or a reservation; invalid when nowhere.
  NodeId node_of(PodId pod) const { return pod_node_[pod.index()]; }

  using Mark = size_t;
  Mark mark() const { return undo_.size(); }

  // Binds a pending pod to `node`: adds its requests and one "pods" to the node's usage.
  // Requires: the pod is not bound. Cost: O(pod requests).
  void Reserve(PodId pod, NodeId node);
  // Device ledger: `slots` int64 values, all zero. Requires: nothing pending (mark() == 0).
  void ResizeLedger(size_t slots);
  size_t ledger_size() const { return ledger_.size(); }
  int64_t ledger(size_t slot) const { return ledger_[slot]; }
  std::span<const int64_t> ledger() const { return ledger_; }
  // Adds `delta` to one slot; undoable. Cost: O(1), no allocation once the log has grown.
  void AddToLedger(size_t slot, int64_t delta);

  // Unbinds a bound pod (a pod that left): takes its requests and its "pods" off its node.
  // Undoable like Reserve. Requires: the pod is bound. Device state is the caller's: give
  // back the ledger changes the pod's placement made (see ledger_changes_since).
  void Unreserve(PodId pod);
  // The ledger changes made since `mark` as (slot, delta), oldest first; appended to `out`.
  void LedgerChangesSince(Mark mark, std::vector<std::pair<size_t, int64_t>>& out) const;

  // Undoes every Reserve, Unreserve and AddToLedger made after `mark`, newest first.
  void RollbackTo(Mark mark);
  // Makes every reservation so far permanent (no longer undoable).
  void Commit() { undo_.clear(); }

  // Raw state for tests that compare an overlay bit for bit.
  std::span<const Quantity> used_for_test() const { return used_; }
  std::span<const NodeId> pod_nodes_for_test() const { return pod_node_; }

 private:
  const Snapshot* snapshot_;
  size_t dims_;
  std::vector<Quantity> used_;  // nodes x resources
  struct UndoEntry {
    enum class Kind : uint8_t { kReserve, kUnreserve, kLedger } kind;
    uint32_t index;  // PodId value or ledger slot
    int64_t delta;   // kLedger: the amount; kUnreserve: the NodeId value the pod left
  };

  std::vector<NodeId> pod_node_;  // per pod
  std::vector<int64_t> ledger_;
  std::vector<UndoEntry> undo_;  // in order
};

}  // namespace tessera::model

// The allocation overlay records what scheduling has reserved on top of the snapshot: per
// node and resource, the amount in use, which node each pod was bound to, and a ledger of
// int64 slots for device state whose layout the DRA module defines (devices in exclusive
// use, consumed capacity, consumed counters). Every Reserve or AddToLedger is undone by
// exactly one RollbackTo a mark taken before it, or made permanent by Commit.
// After RollbackTo(m) the overlay is bit-for-bit what it was when m was taken.
// Not thread-safe; owned by the engine thread.
#pragma once

#include <cstdint>
#include <limits>
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

  // --- Change tracking, for caches of per-node results (the engine's filter cache).
  // Every node has a version, and so has the shared key (num_nodes(): device state that
  // several nodes can use). A key's version changes whenever state under it changes, and
  // gets its old value back on RollbackTo, since the state is then bit for bit what it was;
  // otherwise a version is never used twice. Reserve and Unreserve change their node's key;
  // a ledger slot changes the key SetLedgerKeys gave it (by default none). Every change is
  // also appended to a log that readers follow from a position of their own; the log is
  // cleared when it reaches kChangeLogLimit entries (change_log_base() then moves on, and a
  // reader left behind it must look at every key).
  static constexpr uint32_t kNoKey = std::numeric_limits<uint32_t>::max();
  static constexpr size_t kChangeLogLimit = size_t{1} << 16;
  uint32_t shared_key() const { return static_cast<uint32_t>(versions_.size() - 1); }
  // One key (< shared_key() + 1, or kNoKey) per ledger slot. Requires: nothing pending.
  void SetLedgerKeys(std::vector<uint32_t> keys);
  uint64_t version(uint32_t key) const { return versions_[key]; }
  // Log position p is change_log()[p - change_log_base()].
  std::span<const uint32_t> change_log() const { return log_; }
  uint64_t change_log_base() const { return log_base_; }
  uint64_t change_log_end() const { return log_base_ + log_.size(); }

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
    uint64_t old_version = 0;  // of the key the change touched (none: unused)
  };
  // Gives `key` a new version and logs it; returns the old one.
  uint64_t Touch(uint32_t key);
  void Log(uint32_t key);

  std::vector<NodeId> pod_node_;  // per pod
  std::vector<int64_t> ledger_;
  std::vector<UndoEntry> undo_;  // in order
  std::vector<uint64_t> versions_;    // per node, then the shared key
  std::vector<uint32_t> ledger_keys_;  // per ledger slot; empty: no slot has a key
  uint64_t clock_ = 0;                 // the last version handed out
  std::vector<uint32_t> log_;
  uint64_t log_base_ = 0;
};

}  // namespace tessera::model

// QuotaState: the usage of every quota node per flavor-resource, kept incrementally, with an
// undo log. Kueue's resource-node arithmetic (queueing.md 2.1): usage enters at a
// ClusterQueue and moves up to the parent only beyond the node's local (private) quota:
// Usage(parent) += max(0, Usage(child) - localQuota(child)).
//
// Worked example (one flavor-resource): cohort C (no own quota) with CQ a (nominal 10,
// lendingLimit 4, so localQuota 6) and CQ b (nominal 5). SubtreeQuota(C) = 4 + 5 = 9.
// a uses 8: 6 stay local, 2 reach C. available(b) = 0 + min(9 - 2, no cap) = 7, i.e. b can
// use its own 5 and borrow 2 of a's 4 lendable units; a keeps 6 private whatever b does.
//
// Invariant: every change is logged; Rollback(mark) restores usage bit for bit as it was at
// mark(). Not thread-safe; owned by the admission cycle.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "admission/queue_model.h"

namespace tessera::admission {

struct FlavorResourceAmount {
  FlavorResource fr = 0;
  int64_t amount = 0;

  bool operator==(const FlavorResourceAmount&) const = default;
};

class QuotaState {
 public:
  // `model` must outlive the state.
  explicit QuotaState(const QueueModel& model);
  QuotaState(const QuotaState&) = delete;
  QuotaState& operator=(const QuotaState&) = delete;

  const QueueModel& model() const { return *model_; }

  // Adds `amount` (negative to release) of `fr` at ClusterQueue `cq`, propagating up the
  // tree beyond local quota. Does not check limits: callers check Available first.
  // Cost: O(depth).
  void Add(ClusterQueueId cq, FlavorResource fr, int64_t amount);
  void Add(ClusterQueueId cq, std::span<const FlavorResourceAmount> usage, int64_t sign = 1) {
    for (const FlavorResourceAmount& u : usage) Add(cq, u.fr, sign * u.amount);
  }

  int64_t usage(QuotaNodeId n, FlavorResource fr) const { return usage_[n.index() * frs_ + fr]; }
  // What a ClusterQueue (or any node) can still take of `fr`:
  // root: SubtreeQuota - Usage; otherwise max(0, localQuota - Usage) +
  // min(available(parent), (SubtreeQuota - localQuota) - max(0, Usage - localQuota) +
  // borrowingLimit) (no cap when borrowingLimit is nil). Cost: O(depth).
  int64_t Available(QuotaNodeId n, FlavorResource fr) const;
  int64_t Available(ClusterQueueId cq, FlavorResource fr) const {
    return Available(QueueModel::NodeOf(cq), fr);
  }
  // Whether the node uses more of `fr` than its SubtreeQuota (nominal for a ClusterQueue).
  bool Borrowing(QuotaNodeId n, FlavorResource fr) const {
    return usage(n, fr) > model_->subtree_quota(n, fr);
  }
  // Whether the node borrows any of the flavor-resources of `frs`.
  bool BorrowingAny(QuotaNodeId n, std::span<const FlavorResource> frs) const;

  // Dominant resource share (queueing.md 2.3) of a node with a parent, with `extra` usage
  // added at the node: for each resource r, borrowed_r = sum over flavors of
  // max(0, Usage + extra - SubtreeQuota) and the share is max_r(borrowed_r * 1000 /
  // lendable_r) (integer division, as Kueue), 0 when nothing is borrowed or at a root.
  int64_t DominantResourceShare(QuotaNodeId n,
                                std::span<const FlavorResourceAmount> extra = {}) const;
  // DominantResourceShare / fairSharing.weight; +infinity for weight 0 when borrowing.
  double WeightedShare(QuotaNodeId n, std::span<const FlavorResourceAmount> extra = {}) const;

  // --- undo ---
  using Mark = size_t;
  Mark mark() const { return log_.size(); }
  // Restores usage to what it was at `m`. Requires: m <= mark().
  void Rollback(Mark m);
  // Forgets the undo log (changes become permanent). Requires: no outstanding marks.
  void ClearUndoLog() { log_.clear(); }

  // Raw usage, for tests that compare states bit for bit.
  const std::vector<int64_t>& usage_for_test() const { return usage_; }

 private:
  struct UndoEntry {
    uint32_t cell;
    int64_t old_value;
  };

  const QueueModel* model_;
  size_t frs_;
  std::vector<int64_t> usage_;  // nodes x flavor-resources
  std::vector<UndoEntry> log_;
  mutable std::vector<int64_t> borrowed_scratch_;  // per resource, for the share
};

}  // namespace tessera::admission

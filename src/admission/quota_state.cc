#include "admission/quota_state.h"

#include <algorithm>
#include <limits>

#include "base/check.h"

namespace tessera::admission {

QuotaState::QuotaState(const QueueModel& model)
    : model_(&model),
      frs_(model.num_flavor_resources()),
      usage_(model.num_nodes() * model.num_flavor_resources(), 0) {}

void QuotaState::Add(ClusterQueueId cq, FlavorResource fr, int64_t amount) {
  TESSERA_DCHECK(fr < frs_) << "flavor-resource " << fr << " out of range";
  QuotaNodeId n = QueueModel::NodeOf(cq);
  int64_t delta = amount;
  while (delta != 0) {
    const size_t cell = n.index() * frs_ + fr;
    const int64_t old_value = usage_[cell];
    const int64_t new_value = old_value + delta;
    TESSERA_CHECK(new_value >= 0) << "usage of node " << n.value() << " went negative";
    log_.push_back(UndoEntry{static_cast<uint32_t>(cell), old_value});
    usage_[cell] = new_value;
    const QuotaNodeId parent = model_->node(n).parent;
    if (!parent.valid()) break;
    const int64_t local = model_->local_quota(n, fr);
    delta = std::max<int64_t>(0, new_value - local) - std::max<int64_t>(0, old_value - local);
    n = parent;
  }
}

int64_t QuotaState::Available(QuotaNodeId n, FlavorResource fr) const {
  const int64_t used = usage(n, fr);
  const int64_t subtree = model_->subtree_quota(n, fr);
  const QuotaNodeId parent = model_->node(n).parent;
  if (!parent.valid()) return subtree - used;
  const int64_t local = model_->local_quota(n, fr);
  const int64_t local_available = std::max<int64_t>(0, local - used);
  int64_t parent_available = Available(parent, fr);
  const int64_t borrowing_limit = model_->borrowing_limit(n, fr);
  if (borrowing_limit != kNoLimit) {
    const int64_t stored_in_parent = subtree - local;
    const int64_t used_in_parent = std::max<int64_t>(0, used - local);
    parent_available =
        std::min(parent_available, stored_in_parent - used_in_parent + borrowing_limit);
  }
  return local_available + parent_available;
}

bool QuotaState::BorrowingAny(QuotaNodeId n, std::span<const FlavorResource> frs) const {
  for (FlavorResource fr : frs) {
    if (Borrowing(n, fr)) return true;
  }
  return false;
}

int64_t QuotaState::DominantResourceShare(QuotaNodeId n,
                                          std::span<const FlavorResourceAmount> extra) const {
  if (!model_->node(n).parent.valid()) return 0;
  const size_t num_resources = model_->num_quota_resources();
  borrowed_scratch_.assign(num_resources, 0);
  bool any = false;
  for (FlavorResource fr = 0; fr < frs_; ++fr) {
    int64_t used = usage(n, fr);
    for (const FlavorResourceAmount& e : extra) {
      if (e.fr == fr) used += e.amount;
    }
    const int64_t borrowed = used - model_->subtree_quota(n, fr);
    if (borrowed > 0) {
      borrowed_scratch_[fr % num_resources] += borrowed;
      any = true;
    }
  }
  if (!any) return 0;
  int64_t share = 0;
  for (size_t r = 0; r < num_resources; ++r) {
    const int64_t lendable = model_->lendable(n, ResourceId::FromIndex(r));
    if (borrowed_scratch_[r] > 0 && lendable > 0) {
      share = std::max(share, borrowed_scratch_[r] * 1000 / lendable);
    }
  }
  return share;
}

double QuotaState::WeightedShare(QuotaNodeId n, std::span<const FlavorResourceAmount> extra) const {
  const double weight = model_->node(n).fair_sharing_weight;
  if (weight == 0) {
    if (!model_->node(n).parent.valid()) return 0;
    for (FlavorResource fr = 0; fr < frs_; ++fr) {
      int64_t used = usage(n, fr);
      for (const FlavorResourceAmount& e : extra) {
        if (e.fr == fr) used += e.amount;
      }
      if (used > model_->subtree_quota(n, fr)) return std::numeric_limits<double>::infinity();
    }
    return 0;
  }
  return static_cast<double>(DominantResourceShare(n, extra)) / weight;
}

void QuotaState::Rollback(Mark m) {
  TESSERA_CHECK(m <= log_.size()) << "rollback past the log";
  while (log_.size() > m) {
    const UndoEntry& e = log_.back();
    usage_[e.cell] = e.old_value;
    log_.pop_back();
  }
}

}  // namespace tessera::admission

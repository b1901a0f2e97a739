// The engine's filter cache: what the filters said about each node, and its resource score,
// per class of interchangeable pods, kept while the node's state is unchanged.
//
// Two pending pods are interchangeable when every filter and score treats them alike: the
// same requests, nodeSelector, required node affinity, tolerations and cordon toleration,
// and ResourceClaims made from the same templates in the same order (a pod naming a
// ResourceClaim itself, shared or pre-allocated, is in no class: the claim's own state
// matters). A node's verdict for a class depends only on the node's state, which the
// overlay versions (model::Overlay change tracking): its resources, and the devices,
// capacity and counters only it can use; devices several nodes can use fall under the
// overlay's shared key, and a change there voids a claim-holding class's every entry.
//
// So a decision re-evaluates only the nodes that changed since the class last looked, not
// every node: in a fill, one node per pod. For a decision among every node, a tournament
// tree over the nodes (best score first, lowest NodeId on ties, as the uncached scan picks)
// keeps the best node at its root, updated in O(log nodes) per changed node found in the
// overlay's change log; a decision among some nodes (a flavor's, a topology domain's)
// scans their entries, comparing versions.
//
// Invariants: an entry whose version equals the overlay's current version of its node holds
// exactly what evaluating the filters now would say; every leaf of a built tree reflects its
// entry. Not thread-safe; part of Engine::Impl.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "dra/claims.h"
#include "model/decision.h"
#include "model/snapshot.h"

namespace tessera::engine::internal {

inline constexpr uint64_t kStale = std::numeric_limits<uint64_t>::max();
inline constexpr int64_t kInfeasible = -1;

struct CacheEntry {
  uint64_t version = kStale;  // the node's overlay version it was computed at
  int64_t score = kInfeasible;  // resource score; kInfeasible: a filter rejects the node
};

// Why a filter rejected the node, for the reasons of a pod that fits nowhere: up to two
// rejections (a resource check can record one per resource short; more is rare and makes the
// decision fall back to the full scan). A DRA rejection's arg is the claim's position among
// the pod's claims, made the pod's own claim instance when tallied.
struct CachedRejection {
  struct Item {
    model::RejectReason reason = model::RejectReason::kNodeAffinity;
    uint32_t arg = 0;
    uint32_t arg2 = 0;
  };
  Item items[2];
  uint8_t count = 0;
  bool overflow = false;        // more than two: not cached
  bool claim = false;           // items[0] is a DRA rejection (arg is a claim position)
  bool may_fit_later = false;   // the node could take the pod once others leave
};

class ClassCache {
 public:
  // Sized for `nodes`; `taints` are the class's untolerated PreferNoSchedule taints per node
  // (static: node taints and pod tolerations do not change).
  ClassCache(size_t nodes, std::vector<int64_t> taints, bool has_claims);

  CacheEntry& entry(model::NodeId node) { return entries_[node.index()]; }
  CachedRejection& rejection(model::NodeId node) { return rejections_[node.index()]; }
  int64_t taints(model::NodeId node) const { return taints_[node.index()]; }
  bool any_taints() const { return any_taints_; }
  bool has_claims() const { return has_claims_; }

  // Records a fresh verdict for `node`, keeping the tree (when built) in step.
  void Set(model::NodeId node, uint64_t version, int64_t score);
  // Marks every entry stale (the shared key changed).
  void Invalidate();

  // Gangs: how many pods of the class fit on a node at once (GangPlacer::Room), counted up
  // to a limit. Known when computed at the node's current version and shared version, and
  // either below the limit it was counted to (exact) or that limit reaches `limit`.
  std::optional<int64_t> Room(model::NodeId node, uint64_t version, uint64_t shared,
                              int64_t limit) const;
  void SetRoom(model::NodeId node, uint64_t version, uint64_t shared, int64_t room, int64_t limit);

  // The tournament tree over every node; built on first use.
  bool tree_built() const { return !tree_.empty(); }
  void BuildTree();
  // The best node (highest score, lowest NodeId on ties), or an invalid NodeId when every
  // node is infeasible. Requires: tree_built().
  model::NodeId Best() const;

  uint64_t shared_version = kStale;  // the overlay's shared-key version the entries assume
  uint64_t log_position = 0;         // change-log position up to which the tree is current

  size_t bytes() const;

 private:
  uint32_t Better(uint32_t a, uint32_t b) const;

  std::vector<CacheEntry> entries_;
  std::vector<CachedRejection> rejections_;  // meaningful where the entry is kInfeasible
  struct RoomEntry {
    uint64_t version = kStale;
    uint64_t shared = kStale;
    int64_t room = 0;
    int64_t limit = 0;
  };
  std::vector<RoomEntry> rooms_;  // per node, made on the first SetRoom
  std::vector<int64_t> taints_;
  bool any_taints_ = false;
  bool has_claims_ = false;
  size_t leaves_ = 0;
  std::vector<uint32_t> tree_;  // heap layout, 1-based; leaf i at leaves_ + i
};

// Per pod, its class (-1: none), for the pending pods of `snapshot`; a class has at least
// two pods. Cost: O(pods x spec size), one hash per pod.
std::vector<int32_t> PodClasses(const model::Snapshot& snapshot, const dra::ClaimCatalog& catalog,
                                int32_t& num_classes);

}  // namespace tessera::engine::internal

// The DRA allocator: chooses devices on one node for every unallocated claim of a pod, and
// reserves already-allocated claims for it. Semantics follow Kubernetes' structured allocator
// (dra.md section 8): ExactCount, All, firstAvailable (first subrequest that leads to a full
// solution wins), adminAccess, tolerations, consumable capacity with request policies, shared
// counters, matchAttribute / distinctAttribute over all devices of a claim, 32 devices per
// claim, 256 consumers per claim. Where it differs, on purpose:
//  - Candidates are tried in packing order, not first-fit: the fullest shared device that
//    fits, then partitions of GPUs already cut, smallest first, so whole devices stay whole.
//  - Necessary conditions are checked before searching (enough free matching devices), one
//    set of devices is never tried in two orders (combinations, not permutations), devices
//    the rest of the search cannot tell apart are tried once, and the search has a budget:
//    past it the answer is "too complex" instead of a hang (kubernetes#131730).
// All state lives in the overlay's ledger, so a failed attempt leaves it bit-for-bit as it was.
// Not thread-safe; owned by the engine thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dra/cel/selector_cache.h"
#include "dra/claims.h"
#include "dra/device_index.h"
#include "model/overlay.h"

namespace tessera::dra {

enum class DraFailure : uint8_t {
  kNone,
  kClaimProblem,        // the claim cannot be used as written (missing device class)
  kSelectorError,       // a CEL selector failed at run time (e.g. no such key)
  kNoMatchingDevice,    // no device on the node matches the request's selectors
  kUntoleratedTaint,    // matching devices exist but carry taints the request does not tolerate
  kNotEnoughFree,       // matching devices exist but too few are free
  kConstraint,          // enough devices, but no combination satisfies constraints/counters
  kTooComplex,          // the search budget ran out
  kIncompletePool,      // allocationMode All while a visible pool is incomplete or invalid
  kAllocatedElsewhere,  // the claim is already allocated to devices this node cannot use
  kTooManyConsumers,    // the claim is already reserved for 256 pods
  kNoExecute,           // the claim's devices have an untolerated NoExecute taint
};

struct DraFailureInfo {
  DraFailure kind = DraFailure::kNone;
  uint32_t instance = 0;  // claim instance
  uint32_t request = 0;   // request index within the claim
};

// One allocated device: results[] of the claim's status.allocation.devices.
struct DeviceResult {
  uint32_t request = 0;
  uint32_t subrequest = 0;
  model::DeviceId device;
  bool admin_access = false;
  bool shared = false;  // a shareable device: the row carries shareID and consumedCapacity
};

struct AllocatorOptions {
  uint64_t search_budget = 100'000;  // device picks tried per pod and node
};

class Allocator {
 public:
  Allocator(const DeviceIndex& index, const ClaimCatalog& catalog, cel::SelectorCache& selectors,
            AllocatorOptions options = {});
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Ledger slots needed on the overlay: call overlay.ResizeLedger(ledger_size()) once.
  size_t ledger_size() const { return results_size_slot_ + 1; }
  // The one slot that only grows (the end of the results log). A caller that gives a pod's
  // ledger changes back when the pod leaves must leave this slot alone: rows past the
  // released claim's may belong to claims allocated since.
  size_t append_only_slot() const { return results_size_slot_; }
  // Result rows in use, released ones included (what CompactResults can shrink).
  int64_t result_rows(const model::Overlay& overlay) const {
    return overlay.ledger(results_size_slot_);
  }
  // Moves the result rows of allocated claims to the front of the row store, in order, and
  // points their claims at the new places, so that rows of released claims do not pile up in
  // a long run (the simulator, `serve`). The ledger changes are left on `overlay` for the
  // caller to commit. No allocation once its scratch has reached the number of claims.
  void CompactResults(model::Overlay& overlay);

  // Allocates every unallocated claim of `pod` on `node` and adds the pod to every claim's
  // consumers. Returns true and leaves the changes on `overlay` (roll back or commit them);
  // returns false with the reason in `failure` and `overlay` unchanged.
  bool Allocate(model::Overlay& overlay, model::PodId pod, model::NodeId node,
                DraFailureInfo& failure);

  // Devices the next Allocate call tries first, ahead of the packing order (a placement
  // policy's own device choice, e.g. the simulator's FGD). Cleared by Allocate.
  void Prefer(std::span<const model::DeviceId> devices) {
    preferred_.assign(devices.begin(), devices.end());
  }

  // Records a claim that arrived already allocated (status.allocation of a ResourceClaim
  // read from a live cluster): its devices, capacity and counters become used on `overlay`,
  // and pods naming the claim reuse the allocation. Rows naming a device no current slice
  // publishes, or a request the claim does not have, are skipped with a warning.
  // Requires: the instance is not allocated yet.
  void Preallocate(model::Overlay& overlay, uint32_t instance, std::vector<std::string>& warnings);

  // Takes one consumer off an allocated claim (a pod it was reserved for has left) and
  // returns how many remain. Undoable on `overlay` like any ledger change.
  int64_t RemoveConsumer(model::Overlay& overlay, uint32_t instance) {
    overlay.AddToLedger(slot(instance, kUsers), -1);
    return overlay.ledger(slot(instance, kUsers));
  }
  // The ledger slot of a claim's consumer count (a caller giving back a claim's ledger
  // changes leaves it alone, as it leaves append_only_slot()).
  size_t consumers_slot(uint32_t instance) const { return slot(instance, kUsers); }

  // Marks an allocated claim whose devices carry an untolerated NoExecute taint: the
  // scheduler adds no new consumers to it (its pods are being evicted).
  void MarkNoExecute(uint32_t instance) { no_execute_.at(instance) = 1; }

  bool allocated(const model::Overlay& overlay, uint32_t instance) const {
    return overlay.ledger(slot(instance, kState)) != 0;
  }
  // How many pods the claim is reserved for.
  int64_t consumers(const model::Overlay& overlay, uint32_t instance) const {
    return overlay.ledger(slot(instance, kUsers));
  }
  std::span<const DeviceResult> results(const model::Overlay& overlay, uint32_t instance) const;
  // What a result row consumes of each capacity of its device (for consumedCapacity), in the
  // order of the device's capacities. Only for shared rows.
  void ConsumedCapacity(uint32_t instance, const DeviceResult& row,
                        std::vector<int64_t>& out) const;

  const DeviceIndex& index() const { return index_; }
  const ClaimCatalog& catalog() const { return catalog_; }
  uint64_t picks_tried() const { return picks_tried_; }

 private:
  enum InstanceSlot : size_t { kState = 0, kBegin = 1, kCount = 2, kUsers = 3, kSlotsPerInstance };
  static constexpr int64_t kAllocatedAnywhere = INT64_MAX;

  size_t slot(uint32_t instance, InstanceSlot which) const {
    return instance_base_ + instance * kSlotsPerInstance + which;
  }

  struct Step {  // one request of one claim instance being allocated
    uint32_t instance;
    uint32_t request;
  };
  struct Pick {
    uint32_t step;
    uint32_t subrequest;
    model::DeviceId device;
    model::Overlay::Mark mark;  // overlay position before this pick
  };
  enum class Search : uint8_t { kFound, kNotFound, kAbort };

  Search Solve(uint32_t step);
  Search SolveSub(uint32_t step, uint32_t sub);
  Search Choose(uint32_t step, uint32_t sub, uint32_t k, uint32_t start);
  // Fills the step's candidate list for `sub`; returns false (and notes why) when the
  // necessary conditions already fail.
  bool Candidates(uint32_t step, uint32_t sub);
  // Whether the ledger has room for `device` under `sub` now: capacity of a shared device,
  // exclusive use, counters (always true for adminAccess). Picks of this claim and
  // constraints are TryPick's business.
  bool FreeNow(const CompiledSubrequest& sub, model::DeviceId device) const;
  bool TryPick(uint32_t step, uint32_t sub, model::DeviceId device);
  void Unpick();
  bool Eligible(const CompiledSubrequest& sub, model::DeviceId device, bool& selector_error);
  bool CapacityAmount(const CompiledSubrequest& sub, model::DeviceId device, size_t k,
                      int64_t& amount) const;
  bool ConstraintsHold(uint32_t step, uint32_t sub, model::DeviceId device) const;
  // Lower first: the fullest shared device, then partitions of already-cut devices.
  uint64_t PackingKey(const CompiledSubrequest& sub, model::DeviceId device) const;
  // Equal keys: devices the rest of this attempt cannot tell apart. Computed on demand.
  uint64_t SymmetryKey(uint32_t step, uint32_t candidate);
  static constexpr uint64_t kNoKey = ~uint64_t{0};
  void Note(DraFailure kind, uint32_t step);
  const CompiledSubrequest& Sub(uint32_t step, uint32_t sub) const;

  const DeviceIndex& index_;
  const ClaimCatalog& catalog_;
  cel::SelectorCache& selectors_;
  AllocatorOptions options_;
  size_t instance_base_;
  size_t results_size_slot_;
  std::vector<DeviceResult> results_;       // rows beyond ledger(results_size_slot_) are stale
  std::vector<uint32_t> compact_order_;     // CompactResults' scratch
  std::vector<uint8_t> no_execute_;         // per instance: MarkNoExecute
  std::vector<model::DeviceId> preferred_;  // Prefer, for one Allocate call
  cel::EvalScratch scratch_;

  // Per-attempt state, reused.
  model::Overlay* overlay_ = nullptr;
  model::NodeId node_;
  std::vector<Step> steps_;
  std::vector<std::vector<model::DeviceId>> candidates_;  // per step
  std::vector<std::vector<uint64_t>> keys_;               // per step: symmetry keys or kNoKey
  std::vector<Pick> picks_;
  std::vector<uint64_t> failed_keys_;                  // Choose frames, stacked
  std::vector<std::pair<uint64_t, uint64_t>> scored_;  // Candidates scratch
  std::vector<uint32_t> order_;
  std::vector<model::DeviceId> sorted_;
  uint64_t budget_left_ = 0;
  uint64_t picks_tried_ = 0;
  DraFailureInfo failure_;
  int failure_rank_ = -1;
  bool aborted_ = false;
};

}  // namespace tessera::dra

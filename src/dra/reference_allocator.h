// A plain, exhaustive DRA allocator for tests: for one pod on one node it tries every choice
// of subrequest and every subset of candidate devices for every request, and accepts the
// first assignment that passes Check(), which restates every allocation rule from the claim
// specs and the snapshot (dra.md sections 2.2, 2.3, 4 and 8). It shares only the snapshot,
// the SelectorCache (CEL is tested elsewhere) and the claim-instance numbering of
// ClaimCatalog with the fast Allocator; it keeps its own record of committed allocations.
// Invariant: brute force is the point. Do not add pruning beyond "a partial assignment that
// already breaks a monotone rule cannot be completed".
// Not thread-safe; test-only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dra/cel/selector_cache.h"
#include "dra/claims.h"
#include "model/snapshot.h"

namespace tessera::dra::testing_reference {

// One allocated device of one claim instance.
struct Row {
  uint32_t request = 0;
  uint32_t subrequest = 0;
  model::DeviceId device;
  bool admin_access = false;
};

// The devices of one newly allocated claim instance.
struct InstanceRows {
  uint32_t instance = 0;
  std::vector<Row> rows;
};
using Assignment = std::vector<InstanceRows>;

enum class Answer : uint8_t { kFeasible, kInfeasible, kGaveUp };

class ReferenceAllocator {
 public:
  // `snapshot`, `catalog` and `selectors` must outlive this object. Only
  // ClaimCatalog::instances() / instances_of() are used (which claim spec an instance is).
  ReferenceAllocator(const model::Snapshot& snapshot, const ClaimCatalog& catalog,
                     cel::SelectorCache& selectors);
  ReferenceAllocator(const ReferenceAllocator&) = delete;
  ReferenceAllocator& operator=(const ReferenceAllocator&) = delete;

  // Searches every assignment for the pod's unallocated claims on `node`. On kFeasible,
  // `solution` holds one valid assignment. kGaveUp when more than `max_checks` partial
  // assignments were checked (the caller should treat the case as unknown).
  Answer Allocate(model::PodId pod, model::NodeId node, Assignment& solution,
                  uint64_t max_checks = 2'000'000);

  // "" when `assignment` is a complete, valid allocation of the pod's unallocated claims on
  // `node` given what is committed; otherwise what is wrong with it.
  std::string Check(model::PodId pod, model::NodeId node, const Assignment& assignment);

  // Records `assignment` (which must pass Check) and adds the pod to the consumers of each
  // of its claims.
  void Commit(model::PodId pod, const Assignment& assignment);

  // "" when the committed state breaks no invariant (no exclusive device in two claims,
  // consumed capacity <= capacity, counters never negative); otherwise what is broken.
  // Recomputed from the committed rows.
  std::string CheckCommitted() const;

  bool allocated(uint32_t instance) const { return allocated_[instance] != 0; }
  const std::vector<Row>& rows(uint32_t instance) const { return rows_[instance]; }
  int64_t consumers(uint32_t instance) const { return consumers_[instance]; }
  // Exclusive use count of a device and consumed amount per capacity (device capacity order),
  // from committed rows.
  int64_t exclusive_uses(model::DeviceId d) const { return used_[d.index()]; }
  int64_t consumed(model::DeviceId d, size_t k) const { return consumed_[d.index()][k]; }
  // What a row consumes of each capacity of its device (non-admin rows on shareable
  // devices); false when the request is not admissible on the device.
  bool Consumption(uint32_t instance, const Row& row, std::vector<int64_t>& out) const;
  uint64_t checks() const { return checks_; }

 private:
  struct Sub {
    std::string name;  // "req" or "req/sub"
    bool class_missing = false;
    std::vector<cel::SelectorId> selectors;
    model::AllocationMode mode = model::AllocationMode::kExactCount;
    uint32_t count = 1;
    bool admin_access = false;
    const model::DeviceRequestSpec* spec = nullptr;
    mutable std::vector<int8_t> matches;  // per device: 0 unknown, 1 yes, 2 no, 3 error
  };
  struct Request {
    std::string name;
    std::vector<Sub> subs;
  };
  struct Claim {
    std::vector<Request> requests;
    const model::ResourceClaimSpec* spec = nullptr;
    bool broken = false;  // a selector did not compile or a class is missing
  };
  struct Cap {
    std::string name;  // fully qualified
    const model::DeviceCapacitySpec* spec = nullptr;
  };
  struct Device {
    bool usable = false;
    bool shareable = false;
    std::vector<Cap> caps;
    std::vector<std::pair<size_t, int64_t>> counters;  // counter index, amount
    std::vector<model::TaintSpec> taints;
  };

  const Claim& ClaimOf(uint32_t instance) const {
    return claims_[catalog_.instances()[instance].claim];
  }
  bool Visible(model::DeviceId d, model::NodeId node) const;
  // Static eligibility of a device for a subrequest (selectors and capacity filter; not
  // taints, not usage). `error` is set when a selector fails at run time.
  bool Matches(const Sub& sub, model::DeviceId d, bool& error);
  bool MatchesUncached(const Sub& sub, model::DeviceId d, bool& error);
  bool Tolerated(const Sub& sub, model::DeviceId d) const;
  // The devices an All-mode subrequest must take on `node`.
  std::vector<model::DeviceId> AllSet(const Sub& sub, model::NodeId node, bool& error);
  // Validity of a (possibly partial: some requests missing) assignment.
  std::string CheckPartial(model::NodeId node, const Assignment& a);
  std::string CheckReserved(model::PodId pod, model::NodeId node) const;
  bool Search(model::NodeId node, size_t step, Assignment& a);

  const model::Snapshot& snapshot_;
  const ClaimCatalog& catalog_;
  cel::SelectorCache& selectors_;
  cel::EvalScratch scratch_;
  std::vector<Claim> claims_;
  std::vector<Device> devices_;
  std::vector<int64_t> counter_capacity_;
  std::vector<std::string> counter_names_;

  // Committed state.
  std::vector<uint8_t> allocated_;
  std::vector<std::vector<Row>> rows_;
  std::vector<int64_t> consumers_;
  std::vector<int64_t> used_;
  std::vector<std::vector<int64_t>> consumed_;
  std::vector<int64_t> counters_used_;

  // Search state.
  struct Step {
    uint32_t instance;
    uint32_t request;
  };
  std::vector<Step> steps_;
  uint64_t checks_ = 0;
  uint64_t max_checks_ = 0;
  bool gave_up_ = false;
};

}  // namespace tessera::dra::testing_reference

// Compiled claims: every ResourceClaim and ResourceClaimTemplate of the snapshot resolved
// against device classes, with CEL selectors compiled into the shared SelectorCache, and
// the claim instances pods use: one per ResourceClaim (shared by every pod naming it) and
// one per (pod, template reference), named "<pod>-<claim name in pod>" as the resource
// claim controller names them. Invariant: immutable after Build; instance ids are dense.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "dra/cel/selector_cache.h"
#include "dra/device_index.h"
#include "model/snapshot.h"

namespace tessera::dra {

struct CompiledToleration {
  std::optional<uint32_t> key;    // id in DeviceIndex::taint_keys(); nullopt: empty key
  bool key_unknown = false;       // a key no device taint uses: tolerates nothing
  model::TolerationOperator op = model::TolerationOperator::kEqual;
  std::optional<uint32_t> value;  // nullopt: a value no taint uses
  std::optional<model::TaintEffect> effect;
};

// capacity.requests[name]. A bare name means the device driver's domain, so the qualified
// id depends on the device: by_driver[driver id] (UINT32_MAX when no device has it).
struct CapacityRequest {
  std::vector<uint32_t> by_driver;
  int64_t amount;
};

struct CompiledSubrequest {
  std::string name;  // the result's request name: "req" or "req/sub"
  uint32_t device_class = 0;  // index into Snapshot::device_classes()
  std::vector<cel::SelectorId> selectors;  // class selectors first, then the request's
  model::AllocationMode mode = model::AllocationMode::kExactCount;
  uint32_t count = 1;
  bool admin_access = false;
  std::vector<CompiledToleration> tolerations;
  std::vector<CapacityRequest> capacity;
};

struct CompiledRequest {
  std::string name;
  bool first_available = false;
  std::vector<CompiledSubrequest> subrequests;  // one for `exactly`
};

struct CompiledConstraint {
  // (request index, subrequest index or kAnySubrequest); empty: every request. "req" covers
  // every subrequest of req, "req/sub" only that one.
  static constexpr uint32_t kAnySubrequest = UINT32_MAX;
  std::vector<std::pair<uint32_t, uint32_t>> requests;
  bool distinct = false;           // distinctAttribute (else matchAttribute)
  std::string attribute_name;      // fully qualified
  std::optional<uint32_t> attribute;  // id in Snapshot::attribute_names(); nullopt: no device has it
};

struct CompiledClaim {
  const model::ResourceClaimSpec* spec = nullptr;
  std::vector<CompiledRequest> requests;
  std::vector<CompiledConstraint> constraints;
  // Why no pod using this claim can be scheduled now (e.g. a device class that does not
  // exist; Kubernetes keeps such pods pending too). Empty when fine.
  std::string problem;
};

struct ClaimInstance {
  uint32_t claim = 0;  // index into compiled claims
  std::string namespace_name;
  std::string name;
  bool from_template = false;
  model::PodId owner;  // the pod a template instance belongs to
};

class ClaimCatalog {
 public:
  // Compiles every claim and template. Errors (located at the claim): a selector that does not
  // compile, a DeviceClass selector that does not compile (located at the class).
  static Result<ClaimCatalog> Build(const model::Snapshot& snapshot, const DeviceIndex& index,
                                    cel::SelectorCache& selectors);

  std::span<const CompiledClaim> claims() const { return claims_; }
  std::span<const ClaimInstance> instances() const { return instances_; }
  // Instance ids a pod uses, in the order of its spec.resourceClaims.
  std::span<const uint32_t> instances_of(model::PodId pod) const {
    return {pod_instances_.data() + pod_offsets_[pod.index()],
            pod_offsets_[pod.index() + 1] - pod_offsets_[pod.index()]};
  }

 private:
  std::vector<CompiledClaim> claims_;
  std::vector<ClaimInstance> instances_;
  std::vector<uint32_t> pod_offsets_;
  std::vector<uint32_t> pod_instances_;
};

// True when `toleration` tolerates `taint` (Kubernetes' device toleration rule).
bool Tolerates(const CompiledToleration& toleration, const DeviceTaint& taint);

}  // namespace tessera::dra

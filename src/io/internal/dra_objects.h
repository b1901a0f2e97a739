// Parsers for Dynamic Resource Allocation objects (resource.k8s.io): ResourceSlice,
// DeviceClass, ResourceClaim, ResourceClaimTemplate and DeviceTaintRule, in the v1/v1beta2
// shape (request fields under `exactly:`, flat devices) and the older v1beta1/v1alpha3 shape
// (request fields on the request, devices wrapped in `basic:`). The cheap validation limits
// of ../shared/reference/dra.md §7 are enforced; CEL expressions are kept as text, opaque
// config parameters as compact JSON (keys sorted), and slice device taints whose effect is
// None or unknown are validated and dropped, since they never block allocation.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "io/internal/common.h"
#include "io/internal/fields.h"
#include "model/specs.h"

namespace tessera::io::internal {

// Which request/device layout an apiVersion uses.
enum class DraShape {
  kV1,       // resource.k8s.io/v1 and v1beta2
  kV1Beta1,  // resource.k8s.io/v1beta1 and v1alpha3
};

Result<model::ResourceSliceSpec> ParseResourceSlice(const Field& object, ObjectMeta meta,
                                                    DraShape shape);
Result<model::DeviceClassSpec> ParseDeviceClass(const Field& object, ObjectMeta meta);
// A ResourceClaim, or with `is_template` a ResourceClaimTemplate (whose claim spec sits in
// spec.spec).
Result<model::ResourceClaimSpec> ParseResourceClaim(const Field& object, ObjectMeta meta,
                                                    DraShape shape, bool is_template);
struct DeviceTaintRuleIntake {
  std::optional<model::DeviceTaintRuleSpec> rule;  // nullopt: the rule has no effect
  std::string ignored_because;                     // why, when rule is nullopt
};

// A DeviceTaintRule. Without spec.deviceSelector it matches no device (an empty selector
// matches every device), and a taint with effect "None" never affects scheduling; both are
// returned without a rule, with the reason.
Result<DeviceTaintRuleIntake> ParseDeviceTaintRule(const Field& object, ObjectMeta meta);

}  // namespace tessera::io::internal

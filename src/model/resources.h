// Resource names and units. Every snapshot interns its resource names into dense ResourceIds;
// the first four ids are fixed (cpu, memory, pods, ephemeral-storage) so that hot loops can
// name them without a lookup. Invariant: a resource's unit never changes once registered.
#pragma once

#include <string_view>

#include "base/ids.h"
#include "base/quantity.h"

namespace tessera::model {

using ResourceId = StrongId<struct ResourceTag>;

inline constexpr ResourceId kCpu{0};
inline constexpr ResourceId kMemory{1};
inline constexpr ResourceId kPods{2};
inline constexpr ResourceId kEphemeralStorage{3};
inline constexpr int kNumFixedResources = 4;

// The unit a named resource is counted in: millicores for "cpu", whole units (bytes, pods,
// devices) for everything else. Kubernetes extended resources must be whole numbers, so
// "nvidia.com/gpu: 0.5" is rejected at ingest.
QuantityUnit UnitForResource(std::string_view name);

// True for names Kubernetes treats as extended resources (a domain prefix outside
// kubernetes.io, e.g. "nvidia.com/gpu"); these must be integers and requests must equal limits.
bool IsExtendedResourceName(std::string_view name);

}  // namespace tessera::model

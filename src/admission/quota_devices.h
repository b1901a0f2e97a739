// DRA device quota through Kueue's deviceClassMappings (Configuration resources.
// deviceClassMappings): what a pod of a queued workload charges to its ClusterQueue for the
// devices its ResourceClaimTemplates request. Kueue's rule (pkg/dra/claims.go): only claims a
// pod makes from a ResourceClaimTemplate count, once per pod; a shared ResourceClaim
// (spec.resourceClaims[i].resourceClaimName) is not charged. Each ExactCount request whose
// DeviceClass is mapped adds `count` to the mapped quota resource; adminAccess requests and
// requests without a class are free; AllocationMode All, firstAvailable and an unmapped class
// make the workload inadmissible with Kueue's field error as the message.
// Invariant: reads the snapshot only; charges nothing when no Configuration was read.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "admission/flavor_assigner.h"
#include "admission/queue_model.h"
#include "model/snapshot.h"

namespace tessera::admission {

struct DeviceQuota {
  std::vector<ResourceAmount> per_pod;  // one entry per mapped quota resource, summed
  // Non-empty when Kueue would refuse the workload (condition QuotaReserved=False, reason
  // Inadmissible), e.g. `spec.podSets[0].template.spec.resourceClaims[0].devices.requests[0].
  // exactly.allocationMode: Invalid value: "All": ResourceClaimTemplate gpu-all: AllocationMode
  // 'All' is not supported`.
  std::string inadmissible;
};

// The device quota one pod (`pod`, a representative of the PodSet with index `pod_set`)
// charges under `queues`' device class mappings. Worked example: mappings
// {example.com/gpu: [gpu.example.com]}, a pod with claims from templates "one-gpu" (one
// ExactCount request for 1 gpu.example.com) and "two-gpus" (count 2), plus a shared claim
// "scratch" for 4 more: per_pod = [{example.com/gpu, 3}] (the shared claim is not charged).
// Cost: O(claims of the pod x claims in the snapshot); called once per PodSet.
DeviceQuota DeviceQuotaOf(const QueueModel& queues, const model::Snapshot& snapshot,
                          model::PodId pod, size_t pod_set);

}  // namespace tessera::admission

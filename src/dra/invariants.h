// The invariant checker behind `--check`: verifies the device state an allocator left on an
// overlay against the rules no decision may break. Two levels:
//  - CheckDevices: the limits of the given devices (exclusive use at most once, consumed
//    capacity within capacity, every counter they draw on within its capacity). O(devices),
//    cheap enough after every committed decision.
//  - CheckAll: every device, every counter and every claim: the ledger equals the state
//    recomputed from the claims' result rows (so no reservation disagrees with its claim),
//    limits hold, and no claim has more than 256 consumers or consumers without devices.
// Each returns "" when everything holds, else a sentence naming the device or claim.
#pragma once

#include <span>
#include <string>

#include "dra/allocator.h"
#include "model/overlay.h"

namespace tessera::dra {

std::string CheckDevices(const Allocator& allocator, const model::Overlay& overlay,
                         std::span<const model::DeviceId> devices);

std::string CheckAll(const Allocator& allocator, const model::Overlay& overlay);

// Node resources: on every node of `nodes` (all when empty), nothing placed beyond the
// node's allocatable for any resource (pods that arrived bound may overcommit a node by
// themselves; only decisions on top of that are flagged).
std::string CheckNodes(const model::Overlay& overlay, std::span<const model::NodeId> nodes = {});

}  // namespace tessera::dra

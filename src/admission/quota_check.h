// The quota half of `--check`: every quota node within what its limits allow after an
// admission cycle. Rules (queueing.md 2.1): a root within its SubtreeQuota; a node with a
// borrowingLimit within SubtreeQuota + borrowingLimit; a ClusterQueue within its
// potentialAvailable. Usage that arrived with running workloads may already break a limit
// (the cluster said so); only cells that admission made worse than `baseline` are reported.
#pragma once

#include <span>
#include <string>

#include "admission/quota_state.h"

namespace tessera::admission {

// "" when every limit holds, else a sentence naming the node, flavor-resource and amounts.
// `baseline`: usage_for_test() before the cycle (empty: all zero).
std::string CheckQuotaLimits(const QuotaState& state, std::span<const int64_t> baseline = {});

}  // namespace tessera::admission

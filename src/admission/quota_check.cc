#include "admission/quota_check.h"

#include <fmt/format.h>

namespace tessera::admission {

std::string CheckQuotaLimits(const QuotaState& state, std::span<const int64_t> baseline) {
  const QueueModel& m = state.model();
  const size_t frs = m.num_flavor_resources();
  for (size_t i = 0; i < m.num_nodes(); ++i) {
    const QuotaNodeId n = QuotaNodeId::FromIndex(i);
    for (FlavorResource fr = 0; fr < frs; ++fr) {
      const int64_t used = state.usage(n, fr);
      const int64_t before = baseline.empty() ? 0 : baseline[i * frs + fr];
      auto broken = [&](std::string_view what, int64_t limit) {
        return fmt::format("quota node {} uses {} of {} in flavor {}, beyond its {} {}",
                           m.node(n).name, used, m.resource_name(m.ResourceOf(fr)),
                           m.flavor(m.FlavorOf(fr)).name, what, limit);
      };
      if (used < 0) return broken("floor", 0);
      if (used <= before) continue;
      if (!m.node(n).parent.valid()) {
        if (used > m.subtree_quota(n, fr)) return broken("subtree quota", m.subtree_quota(n, fr));
      } else if (m.borrowing_limit(n, fr) != kNoLimit &&
                 used > m.subtree_quota(n, fr) + m.borrowing_limit(n, fr)) {
        return broken("quota plus borrowingLimit", m.subtree_quota(n, fr) + m.borrowing_limit(n, fr));
      }
      if (m.node(n).is_cluster_queue && used > m.potential_available(n, fr)) {
        return broken("potentialAvailable", m.potential_available(n, fr));
      }
    }
  }
  return {};
}

}  // namespace tessera::admission

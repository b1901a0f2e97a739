#include "admission/quota_devices.h"

#include <fmt/format.h>

#include <string_view>

namespace tessera::admission {

namespace {

// Adds `count` to `resource` in `per_pod`, saturating at kNoLimit.
void Charge(std::vector<ResourceAmount>& per_pod, ResourceId resource, int64_t count) {
  for (ResourceAmount& a : per_pod) {
    if (a.resource == resource) {
      a.amount = a.amount > kNoLimit - count ? kNoLimit : a.amount + count;
      return;
    }
  }
  per_pod.push_back(ResourceAmount{resource, count});
}

const model::ResourceClaimSpec* FindTemplate(const model::Snapshot& snapshot,
                                             std::string_view namespace_name,
                                             std::string_view name) {
  for (const model::ResourceClaimSpec& c : snapshot.resource_claims()) {
    if (c.is_template && c.namespace_name == namespace_name && c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace

DeviceQuota DeviceQuotaOf(const QueueModel& queues, const model::Snapshot& snapshot,
                          model::PodId pod, size_t pod_set) {
  DeviceQuota out;
  if (!queues.charges_devices()) return out;
  const model::Pod& p = snapshot.pod(pod);
  for (size_t j = 0; j < p.claims.size(); ++j) {
    const model::PodClaimRefSpec& ref = p.claims[j];
    if (ref.resource_claim_template_name.empty()) continue;  // shared claims are not charged
    const model::ResourceClaimSpec* tmpl =
        FindTemplate(snapshot, p.namespace_name, ref.resource_claim_template_name);
    if (tmpl == nullptr) continue;  // the snapshot refuses pods naming no template
    const std::string at =
        fmt::format("spec.podSets[{}].template.spec.resourceClaims[{}]", pod_set, j);
    // Kueue first classifies every request of the claim, then maps the classes.
    std::vector<std::pair<std::string_view, int64_t>> by_class;
    for (size_t k = 0; k < tmpl->requests.size(); ++k) {
      const model::DeviceRequestSpec& r = tmpl->requests[k];
      if (!r.first_available.empty()) {
        out.inadmissible = fmt::format(
            "{}.devices.requests[{}]: Invalid value: \"null\": ResourceClaimTemplate {}: "
            "FirstAvailable device selection is not supported",
            at, k, tmpl->name);
        return out;
      }
      if (r.admin_access) continue;
      if (r.allocation_mode == model::AllocationMode::kAll) {
        out.inadmissible = fmt::format(
            "{}.devices.requests[{}].exactly.allocationMode: Invalid value: \"All\": "
            "ResourceClaimTemplate {}: AllocationMode 'All' is not supported",
            at, k, tmpl->name);
        return out;
      }
      if (r.device_class_name.empty()) continue;
      by_class.emplace_back(r.device_class_name, r.count);
    }
    for (const auto& [device_class, count] : by_class) {
      const ResourceId resource = queues.DeviceClassResource(device_class);
      if (!resource.valid()) {
        out.inadmissible = fmt::format(
            "{}.resourceClaimTemplateName.deviceClassName: Not found: \"{}\"", at, device_class);
        out.per_pod.clear();
        return out;
      }
      Charge(out.per_pod, resource, count);
    }
  }
  return out;
}

}  // namespace tessera::admission

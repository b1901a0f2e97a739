#include "dra/claims.h"

#include <map>

#include <fmt/format.h>

namespace tessera::dra {

bool Tolerates(const CompiledToleration& t, const DeviceTaint& taint) {
  if (t.effect && *t.effect != taint.effect) return false;
  if (t.key_unknown) return false;
  if (!t.key) return t.op == model::TolerationOperator::kExists;
  if (*t.key != taint.key) return false;
  if (t.op == model::TolerationOperator::kExists) return true;
  return t.value && *t.value == taint.value;
}

namespace {

std::string Qualified(std::string_view name, std::string_view default_domain) {
  if (name.find('/') != std::string_view::npos || default_domain.empty()) return std::string(name);
  return fmt::format("{}/{}", default_domain, name);
}

CompiledToleration CompileToleration(const model::TolerationSpec& spec, const DeviceIndex& index) {
  CompiledToleration t;
  t.op = spec.op;
  t.effect = spec.effect;
  if (!spec.key.empty()) {
    t.key = index.taint_keys().Find(spec.key);
    t.key_unknown = !t.key.has_value();
  }
  t.value = index.taint_values().Find(spec.value);
  return t;
}

}  // namespace

Result<ClaimCatalog> ClaimCatalog::Build(const model::Snapshot& snapshot, const DeviceIndex& index,
                                         cel::SelectorCache& selectors) {
  ClaimCatalog catalog;
  const auto& classes = snapshot.device_classes();
  std::map<std::string, uint32_t, std::less<>> class_ids;
  std::vector<std::vector<cel::SelectorId>> class_selectors(classes.size());
  for (uint32_t c = 0; c < classes.size(); ++c) {
    class_ids.emplace(classes[c].name, c);
    for (size_t i = 0; i < classes[c].selectors.size(); ++i) {
      auto id = selectors.Add(classes[c].selectors[i]);
      if (!id.ok()) {
        return std::move(id).error()
            .UnderField(fmt::format("spec.selectors[{}].cel.expression", i))
            .WithObject("DeviceClass", classes[c].name)
            .WithFile(classes[c].source);
      }
      class_selectors[c].push_back(*id);
    }
  }

  const auto& claims = snapshot.resource_claims();
  std::map<std::pair<std::string, std::string>, uint32_t> claim_ids, template_ids;
  for (uint32_t ci = 0; ci < claims.size(); ++ci) {
    const model::ResourceClaimSpec& spec = claims[ci];
    const std::string kind = spec.is_template ? "ResourceClaimTemplate" : "ResourceClaim";
    const std::string object = fmt::format("{}/{}", spec.namespace_name, spec.name);
    const std::string base = spec.is_template ? "spec.spec.devices" : "spec.devices";
    CompiledClaim claim;
    claim.spec = &spec;
    for (size_t r = 0; r < spec.requests.size(); ++r) {
      const model::DeviceRequestSpec& req = spec.requests[r];
      CompiledRequest out;
      out.name = req.name;
      out.first_available = !req.first_available.empty();
      std::vector<const model::DeviceRequestSpec*> subs;
      if (out.first_available) {
        for (const auto& sub : req.first_available) subs.push_back(&sub);
      } else {
        subs.push_back(&req);
      }
      for (size_t s = 0; s < subs.size(); ++s) {
        const model::DeviceRequestSpec& sub = *subs[s];
        const std::string field =
            out.first_available
                ? fmt::format("{}.requests[{}].firstAvailable[{}]", base, r, s)
                : fmt::format("{}.requests[{}].exactly", base, r);
        CompiledSubrequest cs;
        cs.name = out.first_available ? fmt::format("{}/{}", req.name, sub.name) : req.name;
        auto cls = class_ids.find(sub.device_class_name);
        if (cls == class_ids.end()) {
          if (claim.problem.empty()) {
            claim.problem = fmt::format("request {}: device class \"{}\" does not exist", cs.name,
                                        sub.device_class_name);
          }
        } else {
          cs.device_class = cls->second;
          cs.selectors = class_selectors[cls->second];
        }
        for (size_t i = 0; i < sub.selectors.size(); ++i) {
          auto id = selectors.Add(sub.selectors[i]);
          if (!id.ok()) {
            return std::move(id).error()
                .UnderField(fmt::format("{}.selectors[{}].cel.expression", field, i))
                .WithObject(kind, object)
                .WithFile(spec.source);
          }
          cs.selectors.push_back(*id);
        }
        cs.mode = sub.allocation_mode;
        cs.count = static_cast<uint32_t>(std::max<int64_t>(sub.count, 1));
        cs.admin_access = sub.admin_access;
        for (const auto& t : sub.tolerations) cs.tolerations.push_back(CompileToleration(t, index));
        for (const auto& [name, amount] : sub.capacity_requests) {
          CapacityRequest cr{{}, amount.value()};
          for (uint32_t d = 0; d < snapshot.drivers().size(); ++d) {
            auto id = snapshot.attribute_names().Find(Qualified(name, snapshot.drivers().Name(d)));
            cr.by_driver.push_back(id ? *id : UINT32_MAX);
          }
          cs.capacity.push_back(std::move(cr));
        }
        out.subrequests.push_back(std::move(cs));
      }
      claim.requests.push_back(std::move(out));
    }
    for (const model::DeviceConstraintSpec& con : spec.constraints) {
      CompiledConstraint cc;
      cc.distinct = !con.distinct_attribute.empty();
      cc.attribute_name = cc.distinct ? con.distinct_attribute : con.match_attribute;
      if (auto id = snapshot.attribute_names().Find(cc.attribute_name)) cc.attribute = *id;
      for (const std::string& name : con.requests) {
        std::string_view request = name;
        std::string_view subrequest;
        if (auto slash = request.find('/'); slash != std::string_view::npos) {
          subrequest = request.substr(slash + 1);
          request = request.substr(0, slash);
        }
        for (uint32_t r = 0; r < claim.requests.size(); ++r) {
          if (claim.requests[r].name != request) continue;
          if (subrequest.empty()) {
            cc.requests.emplace_back(r, CompiledConstraint::kAnySubrequest);
            continue;
          }
          for (uint32_t sub = 0; sub < claim.requests[r].subrequests.size(); ++sub) {
            if (claim.requests[r].subrequests[sub].name == name) cc.requests.emplace_back(r, sub);
          }
        }
      }
      claim.constraints.push_back(std::move(cc));
    }
    (spec.is_template ? template_ids : claim_ids).emplace(
        std::make_pair(spec.namespace_name, spec.name), ci);
    catalog.claims_.push_back(std::move(claim));
  }

  // Instances: shared claims first (one each), then one per pod template reference.
  std::map<uint32_t, uint32_t> shared_instance;
  for (uint32_t ci = 0; ci < claims.size(); ++ci) {
    if (claims[ci].is_template) continue;
    shared_instance[ci] = static_cast<uint32_t>(catalog.instances_.size());
    catalog.instances_.push_back({ci, claims[ci].namespace_name, claims[ci].name, false, {}});
  }
  catalog.pod_offsets_.push_back(0);
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    const model::Pod& pod = snapshot.pod(model::PodId::FromIndex(p));
    for (const model::PodClaimRefSpec& ref : pod.claims) {
      if (!ref.resource_claim_name.empty()) {
        auto it = claim_ids.find({pod.namespace_name, ref.resource_claim_name});
        if (it != claim_ids.end()) catalog.pod_instances_.push_back(shared_instance[it->second]);
        continue;
      }
      auto it = template_ids.find({pod.namespace_name, ref.resource_claim_template_name});
      if (it == template_ids.end()) continue;  // SnapshotBuilder rejects this already
      catalog.pod_instances_.push_back(static_cast<uint32_t>(catalog.instances_.size()));
      catalog.instances_.push_back({it->second, pod.namespace_name,
                                    fmt::format("{}-{}", pod.name, ref.name), true,
                                    model::PodId::FromIndex(p)});
    }
    catalog.pod_offsets_.push_back(static_cast<uint32_t>(catalog.pod_instances_.size()));
  }
  return catalog;
}

}  // namespace tessera::dra

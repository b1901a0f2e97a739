#include "admission/queue_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <span>
#include <utility>

#include "base/check.h"
#include "model/resources.h"

namespace tessera::admission {

double BaseUnits(std::string_view resource, int64_t amount) {
  return static_cast<double>(amount) * std::pow(10.0, model::UnitForResource(resource).exponent);
}

namespace {

std::string LocalQueueKey(std::string_view namespace_name, std::string_view name) {
  std::string key(namespace_name);
  key += '/';
  key += name;
  return key;
}

Error Located(Error error, std::string_view kind, std::string_view name, std::string_view source,
              std::string_view field) {
  error.UnderField(field);
  error.WithObject(kind, name);
  if (!source.empty()) error.WithFile(source);
  return error;
}

std::string_view OperatorName(model::SelectorOperator op) {
  switch (op) {
    case model::SelectorOperator::kIn:
      return "In";
    case model::SelectorOperator::kNotIn:
      return "NotIn";
    case model::SelectorOperator::kExists:
      return "Exists";
    case model::SelectorOperator::kDoesNotExist:
      return "DoesNotExist";
    case model::SelectorOperator::kGt:
      return "Gt";
    case model::SelectorOperator::kLt:
      return "Lt";
  }
  return "?";
}

// Compiles a metav1.LabelSelector, checked as metav1.LabelSelectorAsSelector does: only In,
// NotIn, Exists and DoesNotExist; values required for In and NotIn, forbidden for the others.
// Errors name the field under `field` (e.g. "spec.namespaceSelector").
Result<std::vector<LabelRequirement>> CompileLabelSelector(const model::LabelSelectorSpec& selector,
                                                           std::string_view field) {
  std::vector<LabelRequirement> out;
  for (const auto& [key, value] : selector.match_labels) {
    out.push_back(LabelRequirement{key, model::SelectorOperator::kIn, {value}});
  }
  for (size_t i = 0; i < selector.match_expressions.size(); ++i) {
    const model::NodeSelectorRequirementSpec& e = selector.match_expressions[i];
    const std::string at = fmt::format("{}.matchExpressions[{}]", field, i);
    auto fail = [&](std::string_view sub, std::string message) {
      Error error = InvalidArgument(std::move(message));
      error.UnderField(fmt::format("{}.{}", at, sub));
      return error;
    };
    if (e.is_field) return fail("key", "matchFields are not allowed in a label selector");
    switch (e.op) {
      case model::SelectorOperator::kIn:
      case model::SelectorOperator::kNotIn:
        if (e.values.empty()) {
          return fail("values",
                      fmt::format("must be non-empty when operator is {}", OperatorName(e.op)));
        }
        break;
      case model::SelectorOperator::kExists:
      case model::SelectorOperator::kDoesNotExist:
        if (!e.values.empty()) {
          return fail("values",
                      fmt::format("must be empty when operator is {}", OperatorName(e.op)));
        }
        break;
      case model::SelectorOperator::kGt:
      case model::SelectorOperator::kLt:
        return fail("operator", fmt::format("\"{}\" is not a valid label selector operator",
                                            OperatorName(e.op)));
    }
    LabelRequirement r{e.key, e.op, e.values};
    std::sort(r.values.begin(), r.values.end());
    r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
    out.push_back(std::move(r));
  }
  return out;
}

// The value of `key` in `labels` (sorted by key), or nullopt.
std::optional<std::string_view> LabelValue(
    std::span<const std::pair<std::string, std::string>> labels, std::string_view key) {
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const auto& label, std::string_view k) { return label.first < k; });
  if (it == labels.end() || it->first != key) return std::nullopt;
  return std::string_view(it->second);
}

bool RequirementMatches(const LabelRequirement& r, std::optional<std::string_view> value) {
  auto listed = [&] {
    return std::binary_search(r.values.begin(), r.values.end(), *value,
                              [](std::string_view a, std::string_view b) { return a < b; });
  };
  switch (r.op) {
    case model::SelectorOperator::kIn:
      return value.has_value() && listed();
    case model::SelectorOperator::kNotIn:
      return !value.has_value() || !listed();
    case model::SelectorOperator::kExists:
      return value.has_value();
    case model::SelectorOperator::kDoesNotExist:
      return !value.has_value();
    case model::SelectorOperator::kGt:
    case model::SelectorOperator::kLt:
      break;  // rejected when compiled
  }
  return false;
}

}  // namespace

// Does the work of Build with access to QueueModel's members.
class QueueModelBuilder {
 public:
  explicit QueueModelBuilder(const model::QueueObjects& objects) : objects_(objects) {}

  Result<QueueModel> Build() {
    TESSERA_RETURN_IF_ERROR(Flavors());
    InternQuotaResources();
    TESSERA_RETURN_IF_ERROR(Nodes());
    TESSERA_RETURN_IF_ERROR(Cycles());
    m_.num_quota_resources_ = m_.resource_names_.size();
    const size_t cells = m_.num_nodes() * m_.num_flavor_resources();
    m_.declared_.assign(cells, 0);
    m_.nominal_.assign(cells, 0);
    m_.borrowing_limit_.assign(cells, kNoLimit);
    m_.lending_limit_.assign(cells, kNoLimit);
    for (size_t i = 0; i < objects_.cluster_queues.size(); ++i) {
      const model::ClusterQueueSpec& cq = objects_.cluster_queues[i];
      TESSERA_RETURN_IF_ERROR(Groups("ClusterQueue", cq.name, cq.source, cq.resource_groups,
                                     QuotaNodeId::FromIndex(i), !cq.cohort.empty(),
                                     &m_.cluster_queues_[i]));
    }
    for (size_t i = 0; i < objects_.cohorts.size(); ++i) {
      const model::CohortSpec& cohort = objects_.cohorts[i];
      TESSERA_RETURN_IF_ERROR(Groups("Cohort", cohort.name, cohort.source, cohort.resource_groups,
                                     QuotaNodeId::FromIndex(objects_.cluster_queues.size() + i),
                                     !cohort.parent.empty(), nullptr));
    }
    DeriveQuotas();
    AdmissionFairSharingSection();
    TESSERA_RETURN_IF_ERROR(LocalQueues());
    TESSERA_RETURN_IF_ERROR(Namespaces());
    m_.charges_devices_ = objects_.has_kueue_configuration;
    for (const model::DeviceClassMappingSpec& mapping : objects_.device_class_mappings) {
      const ResourceId r = m_.InternResource(mapping.name);
      for (size_t i = 0; i < mapping.device_class_names.size(); ++i) {
        if (!m_.device_class_resource_.emplace(mapping.device_class_names[i], r.value()).second) {
          return Located(AlreadyExists(fmt::format("DeviceClass {} is mapped twice",
                                                   mapping.device_class_names[i])),
                         "Configuration", "", mapping.source,
                         fmt::format("resources.deviceClassMappings[{}].deviceClassNames[{}]",
                                     mapping.index, i));
        }
      }
    }
    for (const model::WorkloadPriorityClassSpec& pc : objects_.workload_priority_classes) {
      if (!m_.priority_classes_.emplace(pc.name, pc.value).second) {
        return Located(AlreadyExists("duplicate WorkloadPriorityClass"), "WorkloadPriorityClass",
                       pc.name, pc.source, "");
      }
    }
    return std::move(m_);
  }

 private:
  Status Flavors() {
    for (const model::ResourceFlavorSpec& f : objects_.flavors) {
      const auto id = static_cast<uint32_t>(m_.flavors_.size());
      if (!m_.flavor_index_.emplace(f.name, id).second) {
        return Located(AlreadyExists("duplicate ResourceFlavor"), "ResourceFlavor", f.name,
                       f.source, "");
      }
      m_.flavors_.push_back(FlavorInfo{f.name, f.node_labels});
    }
    return OkStatus();
  }

  void Intern(const std::string& name) {
    if (m_.resource_index_.contains(name)) return;
    m_.resource_index_.emplace(name, static_cast<uint32_t>(m_.resource_names_.size()));
    m_.resource_names_.push_back(name);
  }

  void InternQuotaResources() {
    auto groups = [&](const std::vector<model::ResourceGroupSpec>& gs) {
      for (const model::ResourceGroupSpec& g : gs) {
        for (const std::string& r : g.covered_resources) Intern(r);
        for (const model::FlavorQuotasSpec& f : g.flavors) {
          for (const model::ResourceQuotaSpec& q : f.resources) Intern(q.name);
        }
      }
    };
    for (const model::ClusterQueueSpec& cq : objects_.cluster_queues) groups(cq.resource_groups);
    for (const model::CohortSpec& c : objects_.cohorts) groups(c.resource_groups);
    m_.pods_ = m_.FindResource("pods");
  }

  // Node ids: ClusterQueues, then Cohort objects, then implicit cohorts by first mention.
  QuotaNodeId CohortNode(const std::string& name) {
    auto it = m_.cohort_index_.find(name);
    if (it != m_.cohort_index_.end()) return QuotaNodeId(it->second);
    const auto id = static_cast<uint32_t>(m_.nodes_.size());
    QuotaNodeInfo info;
    info.name = name;
    info.is_implicit = true;
    m_.nodes_.push_back(std::move(info));
    m_.cohort_index_.emplace(name, id);
    return QuotaNodeId(id);
  }

  Status Nodes() {
    for (const model::ClusterQueueSpec& cq : objects_.cluster_queues) {
      const auto id = static_cast<uint32_t>(m_.cluster_queues_.size());
      if (!m_.cluster_queue_index_.emplace(cq.name, id).second) {
        return Located(AlreadyExists("duplicate ClusterQueue"), "ClusterQueue", cq.name, cq.source,
                       "");
      }
      if (!(cq.fair_sharing_weight >= 0)) {
        return Located(InvalidArgument("must be >= 0"), "ClusterQueue", cq.name, cq.source,
                       "spec.fairSharing.weight");
      }
      ClusterQueueInfo info;
      info.name = cq.name;
      info.node = QuotaNodeId(id);
      info.has_cohort = !cq.cohort.empty();
      info.queueing_strategy = cq.queueing_strategy;
      info.preemption = cq.preemption;
      info.flavor_fungibility = cq.flavor_fungibility;
      info.stop_policy = cq.stop_policy;
      if (cq.namespace_selector) {
        auto selector = CompileLabelSelector(*cq.namespace_selector, "spec.namespaceSelector");
        if (!selector.ok()) {
          return Located(std::move(selector).error(), "ClusterQueue", cq.name, cq.source, "");
        }
        info.has_namespace_selector = true;
        info.namespace_selector = std::move(selector).value();
      }
      m_.cluster_queues_.push_back(std::move(info));
      QuotaNodeInfo node;
      node.name = cq.name;
      node.is_cluster_queue = true;
      node.fair_sharing_weight = cq.fair_sharing_weight;
      m_.nodes_.push_back(std::move(node));
    }
    for (const model::CohortSpec& c : objects_.cohorts) {
      const auto id = static_cast<uint32_t>(m_.nodes_.size());
      if (!m_.cohort_index_.emplace(c.name, id).second) {
        return Located(AlreadyExists("duplicate Cohort"), "Cohort", c.name, c.source, "");
      }
      if (!(c.fair_sharing_weight >= 0)) {
        return Located(InvalidArgument("must be >= 0"), "Cohort", c.name, c.source,
                       "spec.fairSharing.weight");
      }
      QuotaNodeInfo node;
      node.name = c.name;
      node.fair_sharing_weight = c.fair_sharing_weight;
      m_.nodes_.push_back(std::move(node));
    }
    for (size_t i = 0; i < objects_.cluster_queues.size(); ++i) {
      const std::string& cohort = objects_.cluster_queues[i].cohort;
      if (!cohort.empty()) m_.nodes_[i].parent = CohortNode(cohort);
    }
    for (size_t i = 0; i < objects_.cohorts.size(); ++i) {
      const model::CohortSpec& c = objects_.cohorts[i];
      if (c.parent.empty()) continue;
      if (c.parent == c.name) {
        return Located(InvalidArgument(fmt::format("cycle {} -> {}", c.name, c.name)), "Cohort",
                       c.name, c.source, "spec.parentName");
      }
      m_.nodes_[objects_.cluster_queues.size() + i].parent = CohortNode(c.parent);
    }
    return OkStatus();
  }

  Status Cycles() {
    const size_t n = m_.nodes_.size();
    // 0: unvisited, 1: on the current walk, 2: known to reach a root.
    std::vector<uint8_t> state(n, 0);
    std::vector<uint32_t> walk;
    for (size_t start = 0; start < n; ++start) {
      walk.clear();
      uint32_t at = static_cast<uint32_t>(start);
      while (true) {
        if (state[at] == 2) break;
        if (state[at] == 1) {
          // A cycle: report it at the Cohort where it closes, in parent order.
          auto first = std::find(walk.begin(), walk.end(), at);
          std::string path;
          for (auto it = first; it != walk.end(); ++it) {
            path += m_.nodes_[*it].name;
            path += " -> ";
          }
          path += m_.nodes_[at].name;
          const size_t spec = at - m_.cluster_queues_.size();
          return Located(InvalidArgument("cycle " + path), "Cohort", m_.nodes_[at].name,
                         objects_.cohorts[spec].source, "spec.parentName");
        }
        state[at] = 1;
        walk.push_back(at);
        const QuotaNodeId parent = m_.nodes_[at].parent;
        if (!parent.valid()) break;
        at = parent.value();
      }
      for (uint32_t w : walk) state[w] = 2;
    }
    // Depths, children and roots.
    for (size_t i = 0; i < n; ++i) {
      uint32_t depth = 0;
      QuotaNodeId root = QuotaNodeId::FromIndex(i);
      for (QuotaNodeId p = m_.nodes_[i].parent; p.valid(); p = m_.nodes_[p.index()].parent) {
        ++depth;
        root = p;
      }
      m_.nodes_[i].depth = depth;
      m_.nodes_[i].root = root;
      if (m_.nodes_[i].parent.valid()) {
        m_.nodes_[m_.nodes_[i].parent.index()].children.push_back(QuotaNodeId::FromIndex(i));
      } else {
        m_.roots_.push_back(QuotaNodeId::FromIndex(i));
      }
    }
    return OkStatus();
  }

  // Validates one object's resourceGroups and records its quotas on node `n`.
  Status Groups(std::string_view kind, const std::string& name, const std::string& source,
                const std::vector<model::ResourceGroupSpec>& groups, QuotaNodeId n, bool has_parent,
                ClusterQueueInfo* cq) {
    auto fail = [&](Error error, const std::string& field) {
      return Located(std::move(error), kind, name, source, field);
    };
    if (groups.size() > static_cast<size_t>(kMaxResourceGroups)) {
      return fail(InvalidArgument(fmt::format("must have at most {} items, has {}",
                                              kMaxResourceGroups, groups.size())),
                  "spec.resourceGroups");
    }
    const size_t num_resources = m_.num_quota_resources_;
    std::vector<int> group_of_resource(num_resources, -1);
    std::vector<int> group_of_flavor(m_.flavors_.size(), -1);
    if (cq != nullptr) cq->group_of_resource.assign(num_resources, -1);
    for (size_t g = 0; g < groups.size(); ++g) {
      const model::ResourceGroupSpec& group = groups[g];
      const std::string gfield = fmt::format("spec.resourceGroups[{}]", g);
      ResourceGroup compiled;
      for (size_t j = 0; j < group.covered_resources.size(); ++j) {
        const ResourceId r = m_.FindResource(group.covered_resources[j]);
        TESSERA_CHECK(r.valid());
        int& owner = group_of_resource[r.index()];
        if (owner >= 0) {
          return fail(
              InvalidArgument(fmt::format("resource {} is already covered by resourceGroups[{}]",
                                          group.covered_resources[j], owner)),
              fmt::format("{}.coveredResources[{}]", gfield, j));
        }
        owner = static_cast<int>(g);
        compiled.covered.push_back(r);
      }
      for (size_t j = 0; j < group.flavors.size(); ++j) {
        const model::FlavorQuotasSpec& fq = group.flavors[j];
        const std::string ffield = fmt::format("{}.flavors[{}]", gfield, j);
        const FlavorId f = m_.FindFlavor(fq.flavor);
        if (!f.valid()) {
          return fail(NotFound(fmt::format("ResourceFlavor {} not found", fq.flavor)),
                      ffield + ".name");
        }
        int& fowner = group_of_flavor[f.index()];
        if (fowner >= 0) {
          return fail(InvalidArgument(fmt::format(
                          "flavor {} is already in resourceGroups[{}]{}", fq.flavor, fowner,
                          fowner == static_cast<int>(g) ? " (listed twice)" : "")),
                      ffield + ".name");
        }
        fowner = static_cast<int>(g);
        compiled.flavors.push_back(f);
        // Every covered resource is declared (nominal 0 unless listed), so the node can borrow it.
        for (ResourceId r : compiled.covered) m_.declared_[m_.At(n, m_.Fr(f, r))] = 1;
        std::vector<uint8_t> seen(num_resources, 0);
        for (size_t k = 0; k < fq.resources.size(); ++k) {
          const model::ResourceQuotaSpec& q = fq.resources[k];
          const std::string rfield = fmt::format("{}.resources[{}]", ffield, k);
          const ResourceId r = m_.FindResource(q.name);
          TESSERA_CHECK(r.valid());
          if (group_of_resource[r.index()] != static_cast<int>(g)) {
            return fail(InvalidArgument(fmt::format(
                            "resource {} is not in coveredResources of this group", q.name)),
                        rfield + ".name");
          }
          if (seen[r.index()] != 0) {
            return fail(AlreadyExists(fmt::format("resource {} is listed twice", q.name)),
                        rfield + ".name");
          }
          seen[r.index()] = 1;
          if (q.nominal_quota.value() < 0) {
            return fail(InvalidArgument("must be >= 0"), rfield + ".nominalQuota");
          }
          if (q.borrowing_limit) {
            if (q.borrowing_limit->value() < 0) {
              return fail(InvalidArgument("must be >= 0"), rfield + ".borrowingLimit");
            }
            if (!has_parent) {
              return fail(InvalidArgument(cq != nullptr ? "must be nil when cohort is empty"
                                                        : "must be nil when parentName is empty"),
                          rfield + ".borrowingLimit");
            }
          }
          if (q.lending_limit) {
            if (q.lending_limit->value() < 0) {
              return fail(InvalidArgument("must be >= 0"), rfield + ".lendingLimit");
            }
            if (q.lending_limit->value() > q.nominal_quota.value()) {
              return fail(InvalidArgument("must be less than or equal to the nominalQuota"),
                          rfield + ".lendingLimit");
            }
          }
          const size_t at = m_.At(n, m_.Fr(f, r));
          m_.nominal_[at] = q.nominal_quota.value();
          if (q.borrowing_limit) m_.borrowing_limit_[at] = q.borrowing_limit->value();
          // A lendingLimit only matters below a parent; at a root everything stays local.
          if (q.lending_limit && has_parent) m_.lending_limit_[at] = q.lending_limit->value();
        }
      }
      if (cq != nullptr) cq->groups.push_back(std::move(compiled));
    }
    if (cq != nullptr) {
      for (size_t r = 0; r < num_resources; ++r) {
        cq->group_of_resource[r] = static_cast<int8_t>(group_of_resource[r]);
      }
      cq->covers_pods = m_.pods_.valid() && group_of_resource[m_.pods_.index()] >= 0;
    }
    return OkStatus();
  }

  void DeriveQuotas() {
    const size_t n = m_.num_nodes();
    const size_t frs = m_.num_flavor_resources();
    m_.subtree_quota_.assign(n * frs, 0);
    m_.local_quota_.assign(n * frs, 0);
    m_.potential_available_.assign(n * frs, 0);
    m_.lendable_.assign(n * m_.num_quota_resources_, 0);
    std::vector<uint32_t> order(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = i;
    // Children before parents for SubtreeQuota, parents before children for potentialAvailable.
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return m_.nodes_[a].depth > m_.nodes_[b].depth;
    });
    for (uint32_t i : order) {
      const QuotaNodeId node(i);
      for (FlavorResource fr = 0; fr < frs; ++fr) {
        const size_t at = m_.At(node, fr);
        int64_t subtree = m_.nominal_[at];
        for (QuotaNodeId child : m_.nodes_[i].children) {
          const size_t c = m_.At(child, fr);
          subtree += m_.subtree_quota_[c] - m_.local_quota_[c];
        }
        m_.subtree_quota_[at] = subtree;
        const int64_t lending = m_.lending_limit_[at];
        m_.local_quota_[at] = lending == kNoLimit ? 0 : std::max<int64_t>(0, subtree - lending);
      }
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const QuotaNodeId node(*it);
      const QuotaNodeId parent = m_.nodes_[node.index()].parent;
      for (FlavorResource fr = 0; fr < frs; ++fr) {
        const size_t at = m_.At(node, fr);
        if (!parent.valid()) {
          m_.potential_available_[at] = m_.subtree_quota_[at];
          continue;
        }
        int64_t potential = m_.local_quota_[at] + m_.potential_available_[m_.At(parent, fr)];
        if (m_.borrowing_limit_[at] != kNoLimit) {
          potential = std::min(potential, m_.subtree_quota_[at] + m_.borrowing_limit_[at]);
        }
        m_.potential_available_[at] = potential;
        m_.lendable_[node.index() * m_.num_quota_resources_ + fr % m_.num_quota_resources_] +=
            m_.potential_available_[m_.At(parent, fr)];
      }
    }
  }

  Status LocalQueues() {
    for (const model::LocalQueueSpec& lq : objects_.local_queues) {
      const std::string key = LocalQueueKey(lq.namespace_name, lq.name);
      const ClusterQueueId cq = m_.FindClusterQueue(lq.cluster_queue);
      if (!cq.valid()) {
        return Located(NotFound(fmt::format("ClusterQueue {} not found", lq.cluster_queue)),
                       "LocalQueue", key, lq.source, "spec.clusterQueue");
      }
      const auto id = static_cast<uint32_t>(m_.local_queues_.size());
      if (!m_.local_queue_index_.emplace(key, id).second) {
        return Located(AlreadyExists("duplicate LocalQueue"), "LocalQueue", key, lq.source, "");
      }
      LocalQueueInfo info{lq.namespace_name, lq.name, cq, lq.stop_policy};
      info.weight = lq.fair_sharing_weight > 0 ? lq.fair_sharing_weight : 1;
      for (const auto& [resource, amount] : lq.consumed_resources) {
        info.consumed += ResourceWeight(resource) * BaseUnits(resource, amount.value());
      }
      m_.local_queues_.push_back(std::move(info));
    }
    return OkStatus();
  }

  // Admission fair sharing: the Configuration's section, and which ClusterQueues use it.
  void AdmissionFairSharingSection() {
    const auto& spec = objects_.admission_fair_sharing;
    if (!spec) return;
    AdmissionFairSharing afs;
    afs.resource_weights = spec->resource_weights;
    if (spec->usage_half_life_seconds > 0) {
      afs.entry_penalty_rate =
          1.0 - std::pow(0.5, spec->usage_sampling_interval_seconds / spec->usage_half_life_seconds);
    }
    m_.admission_fair_sharing_ = std::move(afs);
    for (size_t c = 0; c < objects_.cluster_queues.size(); ++c) {  // same order as the specs
      m_.cluster_queues_[c].admission_fair_sharing =
          objects_.cluster_queues[c].usage_based_admission_fair_sharing;
    }
  }

  double ResourceWeight(std::string_view resource) const {
    return m_.admission_fair_sharing_ ? m_.admission_fair_sharing_->WeightOf(resource) : 1.0;
  }

  Status Namespaces() {
    for (const model::NamespaceSpec& ns : objects_.namespaces) {
      const auto id = static_cast<uint32_t>(m_.namespace_labels_.size());
      if (!m_.namespace_index_.emplace(ns.name, id).second) {
        return Located(AlreadyExists("duplicate Namespace"), "Namespace", ns.name, ns.source, "");
      }
      // The API server sets kubernetes.io/metadata.name to the name, whatever the object says.
      model::Labels labels;
      for (const auto& [key, value] : ns.labels) {
        if (key != kNamespaceNameLabel) labels.emplace_back(key, value);
      }
      labels.emplace_back(std::string(kNamespaceNameLabel), ns.name);
      std::stable_sort(labels.begin(), labels.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 1; i < labels.size(); ++i) {
        if (labels[i].first == labels[i - 1].first) {
          return Located(AlreadyExists(fmt::format("label {} is listed twice", labels[i].first)),
                         "Namespace", ns.name, ns.source, "metadata.labels");
        }
      }
      m_.namespace_labels_.push_back(std::move(labels));
    }
    return OkStatus();
  }

  const model::QueueObjects& objects_;
  QueueModel m_;
};

namespace {

// A quota value past any cluster (2^52 units): what KAI's quota -1 (unlimited) becomes when the
// cluster's capacity is unknown. Sums over thousands of queues stay far below int64's range.
constexpr int64_t kKaiUnlimited = int64_t{1} << 52;

struct KaiResource {
  std::string_view kai_name;    // spec.resources.<kai_name>
  std::string_view quota_name;  // the quota resource it counts
  double units_per_kai_unit;    // gpu: devices; cpu: millicores; memory: MB -> bytes
};
constexpr std::array<KaiResource, 3> kKaiResources = {{
    {"gpu", kKaiGpuResource, 1},
    {"cpu", "cpu", 1},
    {"memory", "memory", 1e6},
}};

// One KAI queue's amounts for one resource, in Tessera's units.
struct KaiAmounts {
  int64_t deserved = 0;
  std::optional<int64_t> limit;  // nullopt: -1 (no limit)
  double weight = 1;
};

int64_t KaiUnits(double value, const KaiResource& r) {
  // Whole GPUs only: a queue allowed 1.5 GPUs can hold 1 whole-GPU pod, as KAI would.
  const double scaled = std::floor(value * r.units_per_kai_unit);
  return scaled >= static_cast<double>(kKaiUnlimited) ? kKaiUnlimited
                                                      : static_cast<int64_t>(scaled);
}

// The Kueue objects the KAI queues of `objects` compile into, appended to `out`; the names of
// the leaf and parent queues in `leaves` and `parents`. Checks what one Queue object cannot:
// parents exist, no cycles, no clash with Kueue names.
Status CompileKaiQueues(const model::QueueObjects& objects, model::QueueObjects& out,
                        std::vector<std::string>& leaves, std::vector<std::string>& parents) {
  const auto& queues = objects.kai_queues;
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < queues.size(); ++i) {
    const model::KaiQueueSpec& q = queues[i];
    if (!index.emplace(q.name, i).second) {
      return Located(AlreadyExists("duplicate Queue"), "Queue", q.name, q.source, "metadata.name");
    }
    auto clash = [&](std::string_view kind) {
      return Located(AlreadyExists(fmt::format(
                         "a Kueue {} has the same name; Tessera keeps KAI Queues and Kueue "
                         "queues in one quota tree, so their names must differ",
                         kind)),
                     "Queue", q.name, q.source, "metadata.name");
    };
    for (const model::ClusterQueueSpec& cq : objects.cluster_queues) {
      if (cq.name == q.name || cq.cohort == q.name) {
        return clash(cq.name == q.name ? "ClusterQueue" : "cohort");
      }
    }
    for (const model::CohortSpec& c : objects.cohorts) {
      if (c.name == q.name) return clash("Cohort");
    }
  }
  std::vector<std::vector<size_t>> children(queues.size());
  for (size_t i = 0; i < queues.size(); ++i) {
    const model::KaiQueueSpec& q = queues[i];
    if (q.parent.empty()) continue;
    auto it = index.find(q.parent);
    if (it == index.end()) {
      return Located(NotFound(fmt::format("Queue {} not found", q.parent)), "Queue", q.name,
                     q.source, "spec.parentQueue");
    }
    children[it->second].push_back(i);
  }
  // Cycles: follow parents from every queue; a walk longer than the number of queues loops.
  for (size_t i = 0; i < queues.size(); ++i) {
    std::vector<size_t> walk = {i};
    for (size_t at = i; !queues[at].parent.empty();) {
      at = index.at(queues[at].parent);
      if (at == i) {
        std::string path = queues[i].name;
        for (size_t k = 1; k < walk.size(); ++k) path += " -> " + queues[walk[k]].name;
        path += " -> " + queues[i].name;
        return Located(InvalidArgument("cycle " + path), "Queue", queues[i].name, queues[i].source,
                       "spec.parentQueue");
      }
      if (walk.size() > queues.size()) break;  // a cycle further up; reported from its member
      walk.push_back(at);
    }
  }

  // Amounts per queue and resource.
  std::array<std::optional<int64_t>, kKaiResources.size()> capacity;
  for (size_t r = 0; r < kKaiResources.size(); ++r) {
    for (const auto& [name, amount] : objects.kai_cluster_capacity) {
      if (name == kKaiResources[r].quota_name) capacity[r] = amount;
    }
  }
  std::vector<std::array<KaiAmounts, kKaiResources.size()>> amounts(queues.size());
  for (size_t i = 0; i < queues.size(); ++i) {
    for (size_t r = 0; r < kKaiResources.size(); ++r) {
      KaiAmounts& a = amounts[i][r];
      // A resource the Queue does not list: no quota, no limit, weight 1.
      for (const model::KaiQueueResourceSpec& spec : queues[i].resources) {
        if (spec.resource != kKaiResources[r].kai_name) continue;
        a.deserved = spec.quota == -1 ? capacity[r].value_or(kKaiUnlimited)
                                      : KaiUnits(spec.quota, kKaiResources[r]);
        if (spec.limit != -1) a.limit = KaiUnits(spec.limit, kKaiResources[r]);
        a.weight = spec.over_quota_weight;
      }
      if (a.limit) a.deserved = std::min(a.deserved, *a.limit);
    }
  }

  auto group = [](std::span<const int64_t> nominal,
                  std::span<const std::optional<int64_t>> borrowing) {
    model::ResourceGroupSpec g;
    model::FlavorQuotasSpec f;
    f.flavor = std::string(kKaiFlavor);
    for (size_t r = 0; r < kKaiResources.size(); ++r) {
      g.covered_resources.emplace_back(kKaiResources[r].quota_name);
      model::ResourceQuotaSpec q;
      q.name = std::string(kKaiResources[r].quota_name);
      q.nominal_quota = Quantity(nominal[r]);
      if (borrowing[r]) q.borrowing_limit = Quantity(*borrowing[r]);
      f.resources.push_back(std::move(q));
    }
    g.flavors.push_back(std::move(f));
    return g;
  };
  out.flavors.push_back(model::ResourceFlavorSpec{.name = std::string(kKaiFlavor)});
  // The root: the cluster's capacity beyond the top-level quotas.
  std::array<int64_t, kKaiResources.size()> root_nominal{};
  for (size_t r = 0; r < kKaiResources.size(); ++r) {
    int64_t top = 0;
    for (size_t i = 0; i < queues.size(); ++i) {
      if (queues[i].parent.empty()) top = std::min(kKaiUnlimited, top + amounts[i][r].deserved);
    }
    root_nominal[r] = capacity[r] ? std::max<int64_t>(0, *capacity[r] - top) : kKaiUnlimited;
  }
  const std::array<std::optional<int64_t>, kKaiResources.size()> no_limits{};
  model::CohortSpec root;
  root.name = std::string(kKaiRootCohort);
  root.resource_groups.push_back(group(root_nominal, no_limits));
  out.cohorts.push_back(std::move(root));

  for (size_t i = 0; i < queues.size(); ++i) {
    const model::KaiQueueSpec& q = queues[i];
    const std::string parent = q.parent.empty() ? std::string(kKaiRootCohort) : q.parent;
    std::array<int64_t, kKaiResources.size()> nominal{};
    std::array<std::optional<int64_t>, kKaiResources.size()> borrowing{};
    for (size_t r = 0; r < kKaiResources.size(); ++r) {
      const KaiAmounts& a = amounts[i][r];
      // A parent's own quota is what its children's quotas leave of its deserved share, so
      // that its subtree holds max(deserved, sum of the children's).
      int64_t below = 0;
      for (size_t c : children[i]) below = std::min(kKaiUnlimited, below + amounts[c][r].deserved);
      nominal[r] = std::max<int64_t>(0, a.deserved - below);
      const int64_t subtree = std::max(a.deserved, below);
      if (a.limit) borrowing[r] = std::max<int64_t>(0, *a.limit - subtree);
    }
    const double weight = amounts[i][0].weight;  // gpu's overQuotaWeight (see docs/queues.md)
    if (children[i].empty()) {
      model::ClusterQueueSpec cq;
      cq.name = q.name;
      cq.source = q.source;
      cq.cohort = parent;
      cq.namespace_selector = model::LabelSelectorSpec{};  // KAI queues are not per namespace
      cq.resource_groups.push_back(group(nominal, borrowing));
      // KAI's Preempt (same queue, by priority) and Reclaim (from queues over their quota).
      cq.preemption.within_cluster_queue = model::PreemptionPolicy::kLowerPriority;
      cq.preemption.reclaim_within_cohort = model::PreemptionPolicy::kAny;
      cq.fair_sharing_weight = weight;
      out.cluster_queues.push_back(std::move(cq));
      leaves.push_back(q.name);
    } else {
      model::CohortSpec cohort;
      cohort.name = q.name;
      cohort.source = q.source;
      cohort.parent = parent;
      cohort.resource_groups.push_back(group(nominal, borrowing));
      cohort.fair_sharing_weight = weight;
      out.cohorts.push_back(std::move(cohort));
      parents.push_back(q.name);
    }
  }
  return OkStatus();
}

}  // namespace

Result<QueueModel> QueueModel::Build(const model::QueueObjects& objects) {
  if (objects.kai_queues.empty()) return QueueModelBuilder(objects).Build();
  // The Kueue objects plus the KAI queues compiled into Kueue's shape (workloads are not
  // needed to build the model and are left out of the copy).
  model::QueueObjects merged;
  merged.flavors = objects.flavors;
  merged.cluster_queues = objects.cluster_queues;
  merged.cohorts = objects.cohorts;
  merged.local_queues = objects.local_queues;
  merged.workload_priority_classes = objects.workload_priority_classes;
  merged.namespaces = objects.namespaces;
  merged.has_kueue_configuration = objects.has_kueue_configuration;
  merged.device_class_mappings = objects.device_class_mappings;
  std::vector<std::string> leaves;
  std::vector<std::string> parents;
  TESSERA_RETURN_IF_ERROR(CompileKaiQueues(objects, merged, leaves, parents));
  TESSERA_ASSIGN_OR_RETURN(QueueModel m, QueueModelBuilder(merged).Build());
  for (const std::string& name : leaves) {
    m.kai_queue_index_.emplace(name, m.FindClusterQueue(name).value());
  }
  for (const std::string& name : parents) {
    m.kai_parents_.emplace(name, m.FindCohort(name).value());
  }
  for (const model::KaiQueueSpec& q : objects.kai_queues) {
    const ClusterQueueId cq = m.FindKaiQueue(q.name);
    const QuotaNodeId node = cq.valid() ? NodeOf(cq) : m.FindCohort(q.name);
    m.nodes_[node.index()].kai_priority = q.priority;
  }
  return m;
}

ClusterQueueId QueueModel::FindKaiQueue(std::string_view name) const {
  auto it = kai_queue_index_.find(name);
  return it == kai_queue_index_.end() ? ClusterQueueId() : ClusterQueueId(it->second);
}

bool QueueModel::IsKaiParentQueue(std::string_view name) const {
  return kai_parents_.find(name) != kai_parents_.end();
}

FlavorId QueueModel::FindFlavor(std::string_view name) const {
  auto it = flavor_index_.find(std::string(name));
  return it == flavor_index_.end() ? FlavorId() : FlavorId(it->second);
}

ResourceId QueueModel::FindResource(std::string_view name) const {
  auto it = resource_index_.find(std::string(name));
  return it == resource_index_.end() ? ResourceId() : ResourceId(it->second);
}

ClusterQueueId QueueModel::FindClusterQueue(std::string_view name) const {
  auto it = cluster_queue_index_.find(std::string(name));
  return it == cluster_queue_index_.end() ? ClusterQueueId() : ClusterQueueId(it->second);
}

QuotaNodeId QueueModel::FindCohort(std::string_view name) const {
  auto it = cohort_index_.find(std::string(name));
  return it == cohort_index_.end() ? QuotaNodeId() : QuotaNodeId(it->second);
}

LocalQueueId QueueModel::FindLocalQueue(std::string_view namespace_name,
                                        std::string_view name) const {
  auto it = local_queue_index_.find(LocalQueueKey(namespace_name, name));
  return it == local_queue_index_.end() ? LocalQueueId() : LocalQueueId(it->second);
}

std::optional<int32_t> QueueModel::FindPriorityClass(std::string_view name) const {
  auto it = priority_classes_.find(std::string(name));
  if (it == priority_classes_.end()) return std::nullopt;
  return it->second;
}

std::span<const std::pair<std::string, std::string>> QueueModel::namespace_labels(
    std::string_view namespace_name) const {
  auto it = namespace_index_.find(namespace_name);
  if (it == namespace_index_.end()) return {};
  return namespace_labels_[it->second];
}

bool QueueModel::NamespaceAllowed(ClusterQueueId cq, std::string_view namespace_name) const {
  const ClusterQueueInfo& info = cluster_queue(cq);
  if (!info.has_namespace_selector) return false;
  auto it = namespace_index_.find(namespace_name);
  for (const LabelRequirement& r : info.namespace_selector) {
    std::optional<std::string_view> value;
    if (it != namespace_index_.end()) {
      value = LabelValue(namespace_labels_[it->second], r.key);
    } else if (r.key == kNamespaceNameLabel) {
      value = namespace_name;  // a namespace without an object has only this label
    }
    if (!RequirementMatches(r, value)) return false;
  }
  return true;
}

ResourceId QueueModel::DeviceClassResource(std::string_view device_class) const {
  auto it = device_class_resource_.find(device_class);
  return it == device_class_resource_.end() ? ResourceId() : ResourceId(it->second);
}

ResourceId QueueModel::InternResource(std::string_view name) {
  const ResourceId found = FindResource(name);
  if (found.valid()) return found;
  const auto id = static_cast<uint32_t>(resource_names_.size());
  resource_names_.emplace_back(name);
  resource_index_.emplace(std::string(name), id);
  return ResourceId(id);
}

}  // namespace tessera::admission

#include "admission/queue_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>
#include <utility>

#include "base/check.h"

namespace tessera::admission {

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
    TESSERA_RETURN_IF_ERROR(LocalQueues());
    TESSERA_RETURN_IF_ERROR(Namespaces());
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
      m_.local_queues_.push_back(LocalQueueInfo{lq.namespace_name, lq.name, cq, lq.stop_policy});
    }
    return OkStatus();
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

Result<QueueModel> QueueModel::Build(const model::QueueObjects& objects) {
  return QueueModelBuilder(objects).Build();
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

ResourceId QueueModel::InternResource(std::string_view name) {
  const ResourceId found = FindResource(name);
  if (found.valid()) return found;
  const auto id = static_cast<uint32_t>(resource_names_.size());
  resource_names_.emplace_back(name);
  resource_index_.emplace(std::string(name), id);
  return ResourceId(id);
}

}  // namespace tessera::admission

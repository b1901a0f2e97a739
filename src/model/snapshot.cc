#include "model/snapshot.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "base/check.h"

namespace tessera::model {
namespace {

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string ObjectName(std::string_view ns, std::string_view name) {
  return fmt::format("{}/{}", ns, name);
}

// Qualifies a DRA attribute or capacity name with the driver's domain when it is bare.
std::string QualifiedName(std::string_view driver, std::string_view name) {
  if (name.find('/') != std::string_view::npos) return std::string(name);
  return fmt::format("{}/{}", driver, name);
}

uint32_t ToU32(size_t n) {
  TESSERA_CHECK(n <= std::numeric_limits<uint32_t>::max()) << "table too large: " << n;
  return static_cast<uint32_t>(n);
}

}  // namespace

bool Tolerates(const Toleration& toleration, const Taint& taint) {
  if (!toleration.any_effect && toleration.effect != taint.effect) return false;
  if (!toleration.key.valid()) return toleration.op == TolerationOperator::kExists;
  if (toleration.key != taint.key) return false;
  return toleration.op == TolerationOperator::kExists || toleration.value == taint.value;
}

std::optional<ResourceId> Snapshot::FindResource(std::string_view name) const {
  if (auto id = resource_names_.Find(name)) return ResourceId(*id);
  return std::nullopt;
}

std::optional<NodeId> Snapshot::FindNode(std::string_view name) const {
  auto it = std::lower_bound(node_names_.begin(), node_names_.end(), name);
  if (it == node_names_.end() || *it != name) return std::nullopt;
  return NodeId::FromIndex(static_cast<size_t>(it - node_names_.begin()));
}

std::optional<LabelValueId> Snapshot::NodeLabel(NodeId node, LabelKeyId key) const {
  auto labels = node_labels(node);
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const Label& l, LabelKeyId k) { return l.key < k; });
  if (it == labels.end() || it->key != key) return std::nullopt;
  return it->value;
}

std::optional<LabelKeyId> Snapshot::FindLabelKey(std::string_view key) const {
  if (auto id = label_keys_.Find(key)) return LabelKeyId(*id);
  return std::nullopt;
}

std::optional<LabelValueId> Snapshot::FindLabelValue(std::string_view value) const {
  if (auto id = label_values_.Find(value)) return LabelValueId(*id);
  return std::nullopt;
}

std::optional<PodId> Snapshot::FindPod(std::string_view namespace_name,
                                       std::string_view name) const {
  auto key = [this](PodId id) {
    return std::pair<std::string_view, std::string_view>(pods_[id.index()].namespace_name,
                                                         pods_[id.index()].name);
  };
  const std::pair<std::string_view, std::string_view> want(namespace_name, name);
  auto it = std::lower_bound(pods_by_name_.begin(), pods_by_name_.end(), want,
                             [&](PodId id, const auto& w) { return key(id) < w; });
  if (it == pods_by_name_.end() || key(*it) != want) return std::nullopt;
  return *it;
}

namespace internal {

// Holds the snapshot under construction and the helpers that intern into it.
class SnapshotAssembler {
 public:
  explicit SnapshotAssembler(Snapshot& s) : s_(s) {}

  Range AddLabels(const Labels& labels) {
    auto begin = ToU32(s_.labels_.size());
    for (const auto& [k, v] : labels) {
      s_.labels_.push_back({LabelKeyId(s_.label_keys_.Intern(k)), Value(v)});
    }
    std::sort(s_.labels_.begin() + begin, s_.labels_.end(),
              [](const Label& a, const Label& b) { return a.key < b.key; });
    return {begin, ToU32(s_.labels_.size())};
  }

  Range AddTaints(const std::vector<TaintSpec>& taints) {
    auto begin = ToU32(s_.taints_.size());
    for (const auto& t : taints) {
      s_.taints_.push_back({LabelKeyId(s_.label_keys_.Intern(t.key)), Value(t.value), t.effect});
    }
    return {begin, ToU32(s_.taints_.size())};
  }

  Range AddTolerations(const std::vector<TolerationSpec>& tolerations) {
    auto begin = ToU32(s_.tolerations_.size());
    for (const auto& t : tolerations) {
      Toleration out;
      if (!t.key.empty()) out.key = LabelKeyId(s_.label_keys_.Intern(t.key));
      out.op = t.op;
      out.value = Value(t.value);
      out.any_effect = !t.effect.has_value();
      if (t.effect) out.effect = *t.effect;
      s_.tolerations_.push_back(out);
    }
    return {begin, ToU32(s_.tolerations_.size())};
  }

  // Adds the terms of a required node affinity. Errors carry the field path below
  // "nodeSelectorTerms".
  Result<Range> AddTerms(const std::vector<NodeSelectorTermSpec>& terms) {
    auto begin = ToU32(s_.terms_.size());
    for (size_t t = 0; t < terms.size(); ++t) {
      auto req_begin = ToU32(s_.requirements_.size());
      for (size_t r = 0; r < terms[t].requirements.size(); ++r) {
        const auto& spec = terms[t].requirements[r];
        NodeSelectorRequirement req;
        req.op = spec.op;
        req.is_field = spec.is_field;
        if (!spec.is_field) req.key = LabelKeyId(s_.label_keys_.Intern(spec.key));
        if (spec.op == SelectorOperator::kGt || spec.op == SelectorOperator::kLt) {
          std::optional<int64_t> n;
          if (spec.values.size() == 1) n = ParseInt64(spec.values[0]);
          if (!n) {
            return InvalidArgument(
                       fmt::format("operator {} needs exactly one integer value",
                                   spec.op == SelectorOperator::kGt ? "Gt" : "Lt"))
                .UnderField("values")
                .UnderField(fmt::format("[{}]", r))
                .UnderField(spec.is_field ? "matchFields" : "matchExpressions")
                .UnderField(fmt::format("[{}]", t));
          }
          req.number = *n;
        }
        auto vbegin = ToU32(s_.selector_values_.size());
        for (const auto& v : spec.values) s_.selector_values_.push_back(Value(v));
        std::sort(s_.selector_values_.begin() + vbegin, s_.selector_values_.end());
        req.values = {vbegin, ToU32(s_.selector_values_.size())};
        s_.requirements_.push_back(req);
      }
      s_.terms_.push_back({req_begin, ToU32(s_.requirements_.size())});
    }
    return Range{begin, ToU32(s_.terms_.size())};
  }

  // Interns resource amounts, sorted by resource id; a name listed twice is summed.
  Result<Range> AddAmounts(const ResourceList& list) {
    auto begin = ToU32(s_.resource_amounts_.size());
    for (const auto& [name, amount] : list) {
      s_.resource_amounts_.push_back({ResourceId(s_.resource_names_.Intern(name)), amount});
    }
    auto first = s_.resource_amounts_.begin() + begin;
    std::sort(first, s_.resource_amounts_.end(),
              [](const ResourceAmount& a, const ResourceAmount& b) { return a.resource < b.resource; });
    // Merge duplicates in place.
    auto out = first;
    for (auto it = first; it != s_.resource_amounts_.end(); ++it) {
      if (out != first && (out - 1)->resource == it->resource) {
        TESSERA_ASSIGN_OR_RETURN((out - 1)->amount, CheckedAdd((out - 1)->amount, it->amount));
      } else {
        *out++ = *it;
      }
    }
    s_.resource_amounts_.erase(out, s_.resource_amounts_.end());
    return Range{begin, ToU32(s_.resource_amounts_.size())};
  }

  LabelValueId Value(std::string_view v) { return LabelValueId(s_.label_values_.Intern(v)); }

 private:
  Snapshot& s_;
};

}  // namespace internal

Result<Snapshot> SnapshotBuilder::Build() && {
  Snapshot s;
  internal::SnapshotAssembler a(s);
  for (std::string_view fixed : {"cpu", "memory", "pods", "ephemeral-storage"}) {
    s.resource_names_.Intern(fixed);
  }

  // Nodes, in name order so that NodeId order is deterministic whatever the input order.
  std::vector<size_t> order(nodes_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return nodes_[x].name < nodes_[y].name; });
  for (size_t i = 1; i < order.size(); ++i) {
    const NodeSpec& prev = nodes_[order[i - 1]];
    const NodeSpec& node = nodes_[order[i]];
    if (prev.name == node.name) {
      return AlreadyExists(fmt::format("duplicate Node \"{}\" (first defined in {})", node.name,
                                       prev.source.empty() ? "the input" : prev.source))
          .UnderField("metadata.name")
          .WithObject("Node", node.name)
          .WithFile(node.source);
    }
  }
  std::vector<Range> allocatable_ranges;
  for (size_t i : order) {
    NodeSpec& node = nodes_[i];
    s.node_names_.push_back(node.name);
    s.node_sources_.push_back(node.source);
    s.node_name_values_.push_back(a.Value(node.name));
    s.node_labels_.push_back(a.AddLabels(node.labels));
    s.node_taints_.push_back(a.AddTaints(node.taints));
    s.node_unschedulable_.push_back(node.unschedulable ? 1 : 0);
    auto range = a.AddAmounts(node.allocatable);
    if (!range.ok()) {
      return std::move(range).error().UnderField("status.allocatable").WithObject("Node", node.name).WithFile(node.source);
    }
    allocatable_ranges.push_back(*range);
  }

  // Claims and templates by namespace/name, for pod references.
  std::set<std::pair<std::string, std::string>> claims, templates;
  for (const auto& c : claims_) {
    auto& set = c.is_template ? templates : claims;
    if (!set.emplace(c.namespace_name, c.name).second) {
      return AlreadyExists(fmt::format("duplicate {} \"{}\"",
                                       c.is_template ? "ResourceClaimTemplate" : "ResourceClaim",
                                       ObjectName(c.namespace_name, c.name)))
          .UnderField("metadata.name")
          .WithObject(c.is_template ? "ResourceClaimTemplate" : "ResourceClaim",
                      ObjectName(c.namespace_name, c.name))
          .WithFile(c.source);
    }
  }

  // Pods, in input order.
  std::unordered_map<std::string, const PodSpec*> pod_names;
  for (PodSpec& spec : pods_) {
    std::string full = ObjectName(spec.namespace_name, spec.name);
    auto fail = [&](Error e) { return std::move(e).WithObject("Pod", full).WithFile(spec.source); };
    if (auto [it, added] = pod_names.emplace(full, &spec); !added) {
      return fail(AlreadyExists(fmt::format("duplicate Pod \"{}\" (first defined in {})", full,
                                            it->second->source.empty() ? "the input"
                                                                       : it->second->source))
                      .UnderField("metadata.name"));
    }
    Pod pod;
    pod.namespace_name = spec.namespace_name;
    pod.name = spec.name;
    pod.source = spec.source;
    pod.priority = spec.priority;
    pod.creation_unix_seconds = spec.creation_unix_seconds;
    if (!spec.node_name.empty()) {
      auto node = s.FindNode(spec.node_name);
      if (!node) {
        return fail(NotFound(fmt::format("node \"{}\" does not exist", spec.node_name))
                        .UnderField("spec.nodeName"));
      }
      pod.node = *node;
    }
    auto requests = a.AddAmounts(spec.requests);
    if (!requests.ok()) return fail(std::move(requests).error().UnderField("spec.containers"));
    pod.requests = *requests;
    pod.node_selector = a.AddLabels(spec.node_selector);
    pod.labels = a.AddLabels(spec.labels);
    pod.tolerations = a.AddTolerations(spec.tolerations);
    for (const TolerationSpec& t : spec.tolerations) {
      bool effect_ok = !t.effect || *t.effect == TaintEffect::kNoSchedule;
      bool key_ok = t.key.empty() ? t.op == TolerationOperator::kExists
                                  : t.key == "node.kubernetes.io/unschedulable" &&
                                        (t.op == TolerationOperator::kExists || t.value.empty());
      if (effect_ok && key_ok) pod.tolerates_unschedulable = true;
    }
    if (spec.required_node_affinity) {
      pod.has_required_affinity = true;
      auto terms = a.AddTerms(*spec.required_node_affinity);
      if (!terms.ok()) {
        return fail(std::move(terms).error().UnderField(
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
            "nodeSelectorTerms"));
      }
      pod.affinity_terms = *terms;
    }
    for (size_t i = 0; i < spec.claims.size(); ++i) {
      const PodClaimRefSpec& ref = spec.claims[i];
      std::string field = fmt::format("spec.resourceClaims[{}]", i);
      if (!ref.resource_claim_name.empty() &&
          !claims.contains({spec.namespace_name, ref.resource_claim_name})) {
        return fail(NotFound(fmt::format("ResourceClaim \"{}\" does not exist",
                                         ObjectName(spec.namespace_name, ref.resource_claim_name)))
                        .UnderField(field + ".resourceClaimName"));
      }
      if (!ref.resource_claim_template_name.empty() &&
          !templates.contains({spec.namespace_name, ref.resource_claim_template_name})) {
        return fail(
            NotFound(fmt::format("ResourceClaimTemplate \"{}\" does not exist",
                                 ObjectName(spec.namespace_name, ref.resource_claim_template_name)))
                .UnderField(field + ".resourceClaimTemplateName"));
      }
    }
    pod.claims = std::move(spec.claims);
    s.pods_.push_back(std::move(pod));
  }

  // Dense node rows, now that every resource name is known.
  const size_t dims = s.num_resources();
  s.allocatable_.assign(s.num_nodes() * dims, Quantity());
  s.bound_usage_.assign(s.num_nodes() * dims, Quantity());
  for (size_t n = 0; n < s.num_nodes(); ++n) {
    for (uint32_t i = allocatable_ranges[n].begin; i < allocatable_ranges[n].end; ++i) {
      const ResourceAmount& ra = s.resource_amounts_[i];
      s.allocatable_[n * dims + ra.resource.index()] = ra.amount;
    }
  }
  for (const Pod& pod : s.pods_) {
    if (!pod.node.valid()) continue;
    Quantity* row = s.bound_usage_.data() + pod.node.index() * dims;
    auto add = [&](ResourceId r, Quantity q) -> Status {
      auto sum = CheckedAdd(row[r.index()], q);
      if (!sum.ok()) {
        return std::move(sum).error()
            .UnderField("spec.nodeName")
            .WithObject("Pod", ObjectName(pod.namespace_name, pod.name))
            .WithFile(pod.source);
      }
      row[r.index()] = *sum;
      return OkStatus();
    };
    TESSERA_RETURN_IF_ERROR(add(kPods, Quantity(1)));
    for (uint32_t i = pod.requests.begin; i < pod.requests.end; ++i) {
      TESSERA_RETURN_IF_ERROR(
          add(s.resource_amounts_[i].resource, s.resource_amounts_[i].amount));
    }
  }

  // Devices as columns.
  DeviceTable& d = s.devices_;
  for (size_t si = 0; si < slices_.size(); ++si) {
    const ResourceSliceSpec& slice = slices_[si];
    uint32_t driver = s.drivers_.Intern(slice.driver);
    uint32_t pool = s.pools_.Intern(slice.pool);
    Range slice_terms;
    if (slice.node_selector) {
      auto terms = a.AddTerms({*slice.node_selector});
      if (!terms.ok()) {
        return std::move(terms).error().UnderField("spec.nodeSelector.nodeSelectorTerms")
            .WithObject("ResourceSlice", slice.name).WithFile(slice.source);
      }
      slice_terms = *terms;
    }
    for (size_t di = 0; di < slice.devices.size(); ++di) {
      const DeviceSpec& dev = slice.devices[di];
      // With perDeviceNodeSelection each device says where it is usable.
      const bool own = slice.per_device_node_selection;
      const std::string& node_name = own ? dev.node_name : slice.node_name;
      const bool all_nodes = own ? dev.all_nodes : slice.all_nodes;
      Range terms = slice_terms;
      if (own && dev.node_selector) {
        auto t = a.AddTerms({*dev.node_selector});
        if (!t.ok()) {
          return std::move(t).error()
              .UnderField(fmt::format("spec.devices[{}].nodeSelector.nodeSelectorTerms", di))
              .WithObject("ResourceSlice", slice.name).WithFile(slice.source);
        }
        terms = *t;
      }
      NodeId node;
      DeviceVisibility visibility = DeviceVisibility::kNode;
      if (!node_name.empty()) {
        if (auto n = s.FindNode(node_name)) node = *n;
      } else if (all_nodes) {
        visibility = DeviceVisibility::kAllNodes;
      } else if (!terms.empty()) {
        visibility = DeviceVisibility::kNodeSelector;
      }
      d.visibility.push_back(visibility);
      d.selector_terms.push_back(visibility == DeviceVisibility::kNodeSelector ? terms : Range{});
      d.index_in_slice.push_back(ToU32(di));
      d.node.push_back(node);
      d.driver.push_back(driver);
      d.pool.push_back(pool);
      d.name.push_back(dev.name);
      d.slice.push_back(ToU32(si));
      auto abegin = ToU32(d.attribute_values.size());
      for (const auto& attr : dev.attributes) {
        DeviceAttribute out;
        out.name = s.attribute_names_.Intern(QualifiedName(slice.driver, attr.name));
        if (const auto* i = std::get_if<int64_t>(&attr.value)) {
          out.kind = DeviceAttribute::Kind::kInt;
          out.int_value = *i;
        } else if (const auto* b = std::get_if<bool>(&attr.value)) {
          out.kind = DeviceAttribute::Kind::kBool;
          out.int_value = *b ? 1 : 0;
        } else if (const auto* str = std::get_if<std::string>(&attr.value)) {
          out.kind = DeviceAttribute::Kind::kString;
          out.string_value = s.attribute_strings_.Intern(*str);
        } else {
          out.kind = DeviceAttribute::Kind::kVersion;
          out.string_value = s.attribute_strings_.Intern(std::get<SemVer>(attr.value).text);
        }
        d.attribute_values.push_back(out);
      }
      d.attributes.push_back({abegin, ToU32(d.attribute_values.size())});
      auto cbegin = ToU32(d.capacity_values.size());
      for (const auto& cap : dev.capacity) {
        d.capacity_values.push_back(
            {s.attribute_names_.Intern(QualifiedName(slice.driver, cap.name)), cap.value});
      }
      d.capacities.push_back({cbegin, ToU32(d.capacity_values.size())});
      d.taints.push_back(a.AddTaints(dev.taints));
      d.allow_multiple_allocations.push_back(dev.allow_multiple_allocations ? 1 : 0);
    }
  }
  s.slices_ = std::move(slices_);
  s.device_classes_ = std::move(device_classes_);
  s.claims_ = std::move(claims_);
  s.taint_rules_ = std::move(taint_rules_);

  s.pods_by_name_.resize(s.pods_.size());
  for (size_t p = 0; p < s.pods_.size(); ++p) s.pods_by_name_[p] = PodId::FromIndex(p);
  std::sort(s.pods_by_name_.begin(), s.pods_by_name_.end(), [&](PodId l, PodId r) {
    const Pod& x = s.pods_[l.index()];
    const Pod& y = s.pods_[r.index()];
    return std::tie(x.namespace_name, x.name) < std::tie(y.namespace_name, y.name);
  });

  s.label_value_ints_.reserve(s.label_values_.size());
  for (uint32_t i = 0; i < s.label_values_.size(); ++i) {
    s.label_value_ints_.push_back(ParseInt64(s.label_values_.Name(i)));
  }
  return s;
}

}  // namespace tessera::model

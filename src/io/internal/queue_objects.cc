#include "io/internal/queue_objects.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "io/internal/names.h"
#include "model/resources.h"

namespace tessera::io::internal {
namespace {

// Kueue's CRD limits on resourceGroups.
constexpr size_t kMaxResourceGroups = 16;
constexpr size_t kMaxCoveredResources = 64;  // per group
constexpr size_t kMaxFlavorsPerGroup = 64;
constexpr size_t kMaxFlavorsPerQueue = 256;  // across groups
// ResourceFlavor: at most 8 node labels, node taints and tolerations.
constexpr size_t kMaxFlavorListItems = 8;

Status FailIf(const Field& at, std::string message) {
  if (message.empty()) return OkStatus();
  return at.Fail(std::move(message));
}

// "must be A or B" / "must be one of A, B, C".
std::string MustBeOneOf(const std::vector<std::string_view>& names) {
  if (names.size() == 2) return fmt::format("must be {} or {}", names[0], names[1]);
  std::string list;
  for (std::string_view n : names) {
    if (!list.empty()) list += ", ";
    list += n;
  }
  return "must be one of " + list;
}

// The enum value `field` names, or `fallback` when it is absent. Unknown values are errors
// that list the valid ones: `"Sometimes" is not a valid <what>: must be A or B`.
template <class E>
Result<E> ParseEnum(const Field& field, std::string_view what,
                    std::initializer_list<std::pair<std::string_view, E>> values, E fallback) {
  if (!field.present()) return fallback;
  TESSERA_ASSIGN_OR_RETURN(std::string text, field.AsString());
  std::vector<std::string_view> names;
  for (const auto& [name, value] : values) {
    if (name == text) return value;
    names.push_back(name);
  }
  return field.Fail(fmt::format("{} is not a valid {}: {}", Quote(text), what, MustBeOneOf(names)));
}

Result<model::StopPolicy> ParseStopPolicy(const Field& field) {
  using P = model::StopPolicy;
  return ParseEnum<P>(field, "stop policy",
                      {{"None", P::kNone}, {"Hold", P::kHold}, {"HoldAndDrain", P::kHoldAndDrain}},
                      P::kNone);
}

// A fair-sharing weight: a non-negative quantity ("1", "0.5", "2"), read in thousandths.
Result<double> ParseWeight(const Field& fair_sharing) {
  TESSERA_RETURN_IF_ERROR(fair_sharing.ExpectMap());
  Field weight = fair_sharing.Get("weight");
  if (!weight.present()) return 1.0;
  if (!weight.is_scalar()) return weight.WrongType("a quantity");
  const std::string& text = weight.node().Scalar();
  auto parsed = ParseQuantity(text, QuantityUnit::Milli());
  if (!parsed.ok()) return std::move(parsed).error().UnderField(weight.path());
  if (parsed->value() < 0) {
    return weight.Fail(fmt::format("must not be negative, got {}", Quote(text)));
  }
  return static_cast<double>(parsed->value()) / 1000.0;
}

// A name that must be an RFC 1123 subdomain (ClusterQueue, cohort and flavor references).
Result<std::string> GetReference(const Field& parent, std::string_view key, bool required) {
  std::string value;
  if (required) {
    TESSERA_ASSIGN_OR_RETURN(value, parent.GetRequiredString(key));
  } else {
    TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> v, parent.GetString(key));
    if (v) value = std::move(*v);
  }
  if (!value.empty()) TESSERA_RETURN_IF_ERROR(FailIf(parent.Get(key), CheckDnsSubdomain(value)));
  return value;
}

// Reads the field `name` of `spec`, refusing `other_name`, the spelling of another apiVersion
// (ignoring it would silently drop the reference).
Result<std::string> GetRenamedReference(const Field& spec, std::string_view name,
                                        std::string_view other_name, std::string_view version) {
  if (spec.Has(other_name)) {
    return spec.Get(other_name)
        .Fail(fmt::format("is not a field in kueue.x-k8s.io/{}; use {}", version, name));
  }
  return GetReference(spec, name, /*required=*/false);
}

Result<model::Labels> ParseLabelMap(const Field& map) {
  TESSERA_RETURN_IF_ERROR(map.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(model::Labels labels, map.StringMap());
  for (const auto& [key, value] : labels) {
    TESSERA_RETURN_IF_ERROR(FailIf(map.Get(key), CheckQualifiedName(key)));
    TESSERA_RETURN_IF_ERROR(FailIf(map.Get(key), CheckLabelValue(value)));
  }
  return labels;
}

// A metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist).
Result<model::LabelSelectorSpec> ParseLabelSelector(const Field& selector) {
  TESSERA_RETURN_IF_ERROR(selector.ExpectMap());
  model::LabelSelectorSpec out;
  TESSERA_ASSIGN_OR_RETURN(out.match_labels, ParseLabelMap(selector.Get("matchLabels")));
  TESSERA_ASSIGN_OR_RETURN(Field expressions, selector.GetList("matchExpressions"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, expressions.Items());
  using Op = model::SelectorOperator;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::NodeSelectorRequirementSpec req;
    TESSERA_ASSIGN_OR_RETURN(req.key, item.GetRequiredString("key"));
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("key"), CheckQualifiedName(req.key)));
    TESSERA_ASSIGN_OR_RETURN(std::string op, item.GetRequiredString("operator"));
    TESSERA_ASSIGN_OR_RETURN(req.op, ParseEnum<Op>(item.Get("operator"), "label selector operator",
                                                   {{"In", Op::kIn},
                                                    {"NotIn", Op::kNotIn},
                                                    {"Exists", Op::kExists},
                                                    {"DoesNotExist", Op::kDoesNotExist}},
                                                   Op::kIn));
    TESSERA_ASSIGN_OR_RETURN(Field values_field, item.GetList("values"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> values, values_field.Items());
    for (const Field& v : values) {
      TESSERA_ASSIGN_OR_RETURN(std::string text, v.AsString());
      TESSERA_RETURN_IF_ERROR(FailIf(v, CheckLabelValue(text)));
      req.values.push_back(std::move(text));
    }
    const bool needs_values = req.op == Op::kIn || req.op == Op::kNotIn;
    if (needs_values && req.values.empty()) {
      return values_field.Fail(fmt::format("must be non-empty when operator is {}", op));
    }
    if (!needs_values && !req.values.empty()) {
      return values_field.Fail(fmt::format("must be empty when operator is {}", op));
    }
    out.match_expressions.push_back(std::move(req));
  }
  return out;
}

// Whether borrowingLimit and lendingLimit may be set, and what to say when they may not.
struct LimitRule {
  bool allowed = false;
  std::string why_not;  // "spec.cohortName is empty"
};

// spec.resourceGroups of a ClusterQueue or Cohort, checked as Kueue's CRD and webhook do:
// at most 16 groups; each covers 1..64 resources and lists 1..64 flavors (256 in all); a
// resource or flavor belongs to at most one group; every flavor lists exactly the covered
// resources, in the same order; quotas and limits are non-negative quantities in the
// resource's unit; lendingLimit <= nominalQuota.
Result<std::vector<model::ResourceGroupSpec>> ParseResourceGroups(const Field& spec,
                                                                  const LimitRule& limits) {
  TESSERA_ASSIGN_OR_RETURN(Field groups_field, spec.GetList("resourceGroups"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> groups, groups_field.Items());
  if (groups.size() > kMaxResourceGroups) {
    return groups_field.Fail(
        fmt::format("must have at most {} items, got {}", kMaxResourceGroups, groups.size()));
  }
  std::map<std::string, std::string, std::less<>> resource_groups;  // resource -> where
  std::map<std::string, std::string, std::less<>> flavor_groups;    // flavor -> where
  size_t total_flavors = 0;
  std::vector<model::ResourceGroupSpec> out;
  for (const Field& group : groups) {
    if (!group.is_map()) return group.WrongType("a mapping");
    model::ResourceGroupSpec rg;
    TESSERA_ASSIGN_OR_RETURN(Field covered_field, group.GetList("coveredResources"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> covered, covered_field.Items());
    if (covered.empty()) return covered_field.Fail("must list at least one resource");
    if (covered.size() > kMaxCoveredResources) {
      return covered_field.Fail(
          fmt::format("must have at most {} items, got {}", kMaxCoveredResources, covered.size()));
    }
    for (const Field& c : covered) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, c.AsString());
      TESSERA_RETURN_IF_ERROR(FailIf(c, CheckQualifiedName(name)));
      auto [it, added] = resource_groups.emplace(name, c.path());
      if (!added) {
        return c.Fail(
            fmt::format("resource {} is already covered at {}; a resource may be in "
                        "only one resource group",
                        Quote(name), it->second));
      }
      rg.covered_resources.push_back(std::move(name));
    }
    TESSERA_ASSIGN_OR_RETURN(Field flavors_field, group.GetList("flavors"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> flavors, flavors_field.Items());
    if (flavors.empty()) return flavors_field.Fail("must list at least one flavor");
    if (flavors.size() > kMaxFlavorsPerGroup) {
      return flavors_field.Fail(
          fmt::format("must have at most {} items, got {}", kMaxFlavorsPerGroup, flavors.size()));
    }
    total_flavors += flavors.size();
    if (total_flavors > kMaxFlavorsPerQueue) {
      return flavors_field.Fail(
          fmt::format("the resource groups list more than {} flavors in all", kMaxFlavorsPerQueue));
    }
    for (const Field& flavor : flavors) {
      if (!flavor.is_map()) return flavor.WrongType("a mapping");
      model::FlavorQuotasSpec fq;
      TESSERA_ASSIGN_OR_RETURN(fq.flavor, GetReference(flavor, "name", /*required=*/true));
      auto [it, added] = flavor_groups.emplace(fq.flavor, flavor.Get("name").path());
      if (!added) {
        return flavor.Get("name").Fail(
            fmt::format("flavor {} is already listed at {}; a flavor may be in only one "
                        "resource group",
                        Quote(fq.flavor), it->second));
      }
      TESSERA_ASSIGN_OR_RETURN(Field resources_field, flavor.GetList("resources"));
      TESSERA_ASSIGN_OR_RETURN(std::vector<Field> resources, resources_field.Items());
      if (resources.size() != rg.covered_resources.size()) {
        return resources_field.Fail(
            fmt::format("must list the {} covered resources ({}), got {} item{}",
                        rg.covered_resources.size(), fmt::join(rg.covered_resources, ", "),
                        resources.size(), resources.size() == 1 ? "" : "s"));
      }
      for (size_t k = 0; k < resources.size(); ++k) {
        const Field& r = resources[k];
        if (!r.is_map()) return r.WrongType("a mapping");
        model::ResourceQuotaSpec quota;
        TESSERA_ASSIGN_OR_RETURN(quota.name, r.GetRequiredString("name"));
        if (quota.name != rg.covered_resources[k]) {
          return r.Get("name").Fail(
              fmt::format("{} must be {}: flavors list the covered resources in the order of "
                          "coveredResources",
                          Quote(quota.name), Quote(rg.covered_resources[k])));
        }
        Field nominal = r.Get("nominalQuota");
        if (!nominal.present()) return nominal.Fail("required field is missing");
        TESSERA_ASSIGN_OR_RETURN(quota.nominal_quota, ParseResourceQuantity(nominal, quota.name));
        for (const char* key : {"borrowingLimit", "lendingLimit"}) {
          Field limit = r.Get(key);
          if (!limit.present()) continue;
          if (!limits.allowed) {
            return limit.Fail(fmt::format("must not be set when {}", limits.why_not));
          }
          TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseResourceQuantity(limit, quota.name));
          if (std::string_view(key) == "borrowingLimit") {
            quota.borrowing_limit = q;
          } else {
            if (q > quota.nominal_quota) {
              return limit.Fail(
                  fmt::format("must be less than or equal to nominalQuota ({}), "
                              "got {}",
                              Quote(nominal.node().Scalar()), Quote(limit.node().Scalar())));
            }
            quota.lending_limit = q;
          }
        }
        fq.resources.push_back(std::move(quota));
      }
      rg.flavors.push_back(std::move(fq));
    }
    out.push_back(std::move(rg));
  }
  return out;
}

using Policy = model::PreemptionPolicy;

Result<model::PreemptionSpec> ParsePreemption(const Field& preemption) {
  TESSERA_RETURN_IF_ERROR(preemption.ExpectMap());
  model::PreemptionSpec out;
  TESSERA_ASSIGN_OR_RETURN(
      out.within_cluster_queue,
      ParseEnum<Policy>(preemption.Get("withinClusterQueue"), "withinClusterQueue policy",
                        {{"Never", Policy::kNever},
                         {"LowerPriority", Policy::kLowerPriority},
                         {"LowerOrNewerEqualPriority", Policy::kLowerOrNewerEqualPriority}},
                        Policy::kNever));
  TESSERA_ASSIGN_OR_RETURN(
      out.reclaim_within_cohort,
      ParseEnum<Policy>(preemption.Get("reclaimWithinCohort"), "reclaimWithinCohort policy",
                        {{"Never", Policy::kNever},
                         {"LowerPriority", Policy::kLowerPriority},
                         {"Any", Policy::kAny}},
                        Policy::kNever));
  TESSERA_ASSIGN_OR_RETURN(Field borrow, preemption.GetMap("borrowWithinCohort"));
  TESSERA_ASSIGN_OR_RETURN(
      out.borrow_within_cohort,
      ParseEnum<Policy>(borrow.Get("policy"), "borrowWithinCohort policy",
                        {{"Never", Policy::kNever}, {"LowerPriority", Policy::kLowerPriority}},
                        Policy::kNever));
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> threshold, borrow.GetInt("maxPriorityThreshold"));
  if (threshold) {
    if (*threshold < std::numeric_limits<int32_t>::min() ||
        *threshold > std::numeric_limits<int32_t>::max()) {
      return borrow.Get("maxPriorityThreshold")
          .Fail(fmt::format("must fit in 32 bits, got {}", *threshold));
    }
    out.borrow_max_priority_threshold = static_cast<int32_t>(*threshold);
  }
  if (out.reclaim_within_cohort == Policy::kNever && out.borrow_within_cohort != Policy::kNever) {
    return borrow.Get("policy").Fail(
        "must be Never when reclaimWithinCohort is Never (a workload that may not reclaim its "
        "own quota may not preempt to borrow)");
  }
  return out;
}

Result<model::FlavorFungibilitySpec> ParseFlavorFungibility(const Field& fungibility,
                                                            KueueVersion version) {
  TESSERA_RETURN_IF_ERROR(fungibility.ExpectMap());
  model::FlavorFungibilitySpec out;
  // true: TryNextFlavor. v1beta1 still accepts the deprecated names Borrow and Preempt for
  // MayStopSearch.
  const bool beta1 = version != KueueVersion::kV1Beta2;
  if (beta1) {
    TESSERA_ASSIGN_OR_RETURN(
        out.when_can_borrow_try_next,
        ParseEnum<bool>(fungibility.Get("whenCanBorrow"), "flavor fungibility",
                        {{"MayStopSearch", false}, {"TryNextFlavor", true}, {"Borrow", false}},
                        false));
    TESSERA_ASSIGN_OR_RETURN(
        out.when_can_preempt_try_next,
        ParseEnum<bool>(fungibility.Get("whenCanPreempt"), "flavor fungibility",
                        {{"MayStopSearch", false}, {"TryNextFlavor", true}, {"Preempt", false}},
                        true));
  } else {
    TESSERA_ASSIGN_OR_RETURN(
        out.when_can_borrow_try_next,
        ParseEnum<bool>(fungibility.Get("whenCanBorrow"), "flavor fungibility",
                        {{"MayStopSearch", false}, {"TryNextFlavor", true}}, false));
    TESSERA_ASSIGN_OR_RETURN(
        out.when_can_preempt_try_next,
        ParseEnum<bool>(fungibility.Get("whenCanPreempt"), "flavor fungibility",
                        {{"MayStopSearch", false}, {"TryNextFlavor", true}}, true));
  }
  Field preference = fungibility.Get("preference");
  TESSERA_ASSIGN_OR_RETURN(
      out.preemption_over_borrowing,
      ParseEnum<bool>(preference, "flavor fungibility preference",
                      {{"BorrowingOverPreemption", false}, {"PreemptionOverBorrowing", true}},
                      false));
  if (preference.present() && !(out.when_can_borrow_try_next && out.when_can_preempt_try_next)) {
    return preference.Fail(
        "may only be set when both whenCanBorrow and whenCanPreempt are TryNextFlavor");
  }
  return out;
}

// A plain number (KAI quotas and weights): an integer or decimal, not quoted.
Result<double> ParseNumber(const Field& field) {
  if (!field.is_scalar()) return field.WrongType("a number");
  const std::string& text = field.node().Scalar();
  double value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (!IsPlainScalar(field.node()) || text.empty() || ec != std::errc() ||
      end != text.data() + text.size() || !std::isfinite(value)) {
    return field.Fail(fmt::format("must be a number, got {}", Quote(text)));
  }
  return value;
}

}  // namespace

Result<model::ResourceFlavorSpec> ParseResourceFlavor(const Field& object, ObjectMeta meta) {
  model::ResourceFlavorSpec out;
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  Field labels = spec.Get("nodeLabels");
  TESSERA_ASSIGN_OR_RETURN(out.node_labels, ParseLabelMap(labels));
  if (out.node_labels.size() > kMaxFlavorListItems) {
    return labels.Fail(fmt::format("must have at most {} entries, got {}", kMaxFlavorListItems,
                                   out.node_labels.size()));
  }
  TESSERA_ASSIGN_OR_RETURN(Field taints_field, spec.GetList("nodeTaints"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> taints, taints_field.Items());
  if (taints.size() > kMaxFlavorListItems) {
    return taints_field.Fail(
        fmt::format("must have at most {} items, got {}", kMaxFlavorListItems, taints.size()));
  }
  for (const Field& t : taints) {
    TESSERA_ASSIGN_OR_RETURN(model::TaintSpec taint, ParseNodeTaint(t));
    out.node_taints.push_back(std::move(taint));
  }
  TESSERA_ASSIGN_OR_RETURN(Field tolerations_field, spec.GetList("tolerations"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> tolerations, tolerations_field.Items());
  if (tolerations.size() > kMaxFlavorListItems) {
    return tolerations_field.Fail(
        fmt::format("must have at most {} items, got {}", kMaxFlavorListItems, tolerations.size()));
  }
  for (const Field& t : tolerations) {
    TESSERA_ASSIGN_OR_RETURN(model::TolerationSpec tol, ParseToleration(t));
    out.tolerations.push_back(std::move(tol));
  }
  TESSERA_ASSIGN_OR_RETURN(out.topology_name,
                           GetReference(spec, "topologyName", /*required=*/false));
  if (!out.topology_name.empty() && out.node_labels.empty()) {
    return spec.Get("nodeLabels").Fail("must have at least one label when topologyName is set");
  }
  return out;
}

Result<model::ClusterQueueSpec> ParseClusterQueue(const Field& object, ObjectMeta meta,
                                                  KueueVersion version) {
  model::ClusterQueueSpec out;
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  const bool beta2 = version == KueueVersion::kV1Beta2;
  const std::string_view cohort_key = beta2 ? "cohortName" : "cohort";
  TESSERA_ASSIGN_OR_RETURN(out.cohort,
                           GetRenamedReference(spec, cohort_key, beta2 ? "cohort" : "cohortName",
                                               beta2 ? "v1beta2" : "v1beta1"));
  TESSERA_ASSIGN_OR_RETURN(Field selector, spec.GetMap("namespaceSelector"));
  if (selector.present()) {
    TESSERA_ASSIGN_OR_RETURN(model::LabelSelectorSpec s, ParseLabelSelector(selector));
    out.namespace_selector = std::move(s);
  }
  using QS = model::QueueingStrategy;
  TESSERA_ASSIGN_OR_RETURN(
      out.queueing_strategy,
      ParseEnum<QS>(spec.Get("queueingStrategy"), "queueing strategy",
                    {{"StrictFIFO", QS::kStrictFIFO}, {"BestEffortFIFO", QS::kBestEffortFIFO}},
                    QS::kBestEffortFIFO));
  TESSERA_ASSIGN_OR_RETURN(
      out.resource_groups,
      ParseResourceGroups(
          spec, LimitRule{!out.cohort.empty(), fmt::format("spec.{} is empty", cohort_key)}));
  TESSERA_ASSIGN_OR_RETURN(out.preemption, ParsePreemption(spec.Get("preemption")));
  TESSERA_ASSIGN_OR_RETURN(out.flavor_fungibility,
                           ParseFlavorFungibility(spec.Get("flavorFungibility"), version));
  TESSERA_ASSIGN_OR_RETURN(out.fair_sharing_weight, ParseWeight(spec.Get("fairSharing")));
  TESSERA_ASSIGN_OR_RETURN(out.stop_policy, ParseStopPolicy(spec.Get("stopPolicy")));
  TESSERA_ASSIGN_OR_RETURN(Field scope, spec.GetMap("admissionScope"));
  if (scope.present()) {
    TESSERA_ASSIGN_OR_RETURN(std::string mode, scope.GetRequiredString("admissionMode"));
    if (mode == "UsageBasedAdmissionFairSharing") {
      out.usage_based_admission_fair_sharing = true;
    } else if (mode != "NoAdmissionFairSharing") {
      return scope.Get("admissionMode")
          .Fail(fmt::format("{} is not an admission mode: must be UsageBasedAdmissionFairSharing "
                            "or NoAdmissionFairSharing",
                            Quote(mode)));
    }
  }
  return out;
}

Result<model::CohortSpec> ParseCohort(const Field& object, ObjectMeta meta, KueueVersion version) {
  model::CohortSpec out;
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  std::string_view parent_key = "parentName";
  switch (version) {
    case KueueVersion::kV1Alpha1: {
      parent_key = "parent";
      TESSERA_ASSIGN_OR_RETURN(out.parent,
                               GetRenamedReference(spec, "parent", "parentName", "v1alpha1"));
      break;
    }
    case KueueVersion::kV1Beta2: {
      TESSERA_ASSIGN_OR_RETURN(out.parent,
                               GetRenamedReference(spec, "parentName", "parent", "v1beta2"));
      break;
    }
    case KueueVersion::kV1Beta1: {
      // Kueue releases differ: v1beta1 Cohorts were written with either name.
      TESSERA_ASSIGN_OR_RETURN(std::string parent, GetReference(spec, "parent", false));
      TESSERA_ASSIGN_OR_RETURN(std::string parent_name, GetReference(spec, "parentName", false));
      if (!parent.empty() && !parent_name.empty()) {
        return spec.Get("parent").Fail("must not be set together with parentName");
      }
      if (!parent.empty()) parent_key = "parent";
      out.parent = parent.empty() ? std::move(parent_name) : std::move(parent);
      break;
    }
  }
  if (out.parent == out.name) {
    return spec.Get(parent_key).Fail("a Cohort must not be its own parent");
  }
  TESSERA_ASSIGN_OR_RETURN(
      out.resource_groups,
      ParseResourceGroups(
          spec, LimitRule{!out.parent.empty(), fmt::format("the Cohort has no parent (spec.{} is "
                                                           "empty)",
                                                           parent_key)}));
  TESSERA_ASSIGN_OR_RETURN(out.fair_sharing_weight, ParseWeight(spec.Get("fairSharing")));
  return out;
}

Result<model::LocalQueueSpec> ParseLocalQueue(const Field& object, ObjectMeta meta) {
  model::LocalQueueSpec out;
  out.namespace_name = std::move(meta.namespace_name);
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  TESSERA_ASSIGN_OR_RETURN(out.cluster_queue, GetReference(spec, "clusterQueue", true));
  TESSERA_ASSIGN_OR_RETURN(out.stop_policy, ParseStopPolicy(spec.Get("stopPolicy")));
  // spec.fairSharing.weight and the usage Kueue recorded: admission fair sharing.
  TESSERA_ASSIGN_OR_RETURN(out.fair_sharing_weight, ParseWeight(spec.Get("fairSharing")));
  if (out.fair_sharing_weight <= 0) {
    return spec.Get("fairSharing").Get("weight").Fail("must be above 0 for a LocalQueue");
  }
  TESSERA_ASSIGN_OR_RETURN(Field status, object.GetMap("status"));
  TESSERA_ASSIGN_OR_RETURN(Field fair_sharing, status.GetMap("fairSharing"));
  TESSERA_ASSIGN_OR_RETURN(Field afs, fair_sharing.GetMap("admissionFairSharingStatus"));
  TESSERA_ASSIGN_OR_RETURN(Field consumed, afs.GetMap("consumedResources"));
  TESSERA_ASSIGN_OR_RETURN(auto entries, consumed.Entries());
  for (const auto& [resource, value] : entries) {
    TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseResourceQuantity(value, resource));
    out.consumed_resources.emplace_back(resource, q);
  }
  return out;
}

namespace {

// A Go duration as Kubernetes writes them ("168h", "5m", "1h30m", "2.5s", "0"): one or more
// decimal numbers each with a unit h, m, s, ms, us or ns; in seconds.
Result<double> ParseDuration(const Field& field) {
  TESSERA_ASSIGN_OR_RETURN(std::string text, field.AsString());
  auto bad = [&field, &text] {
    return field.Fail(fmt::format("{} is not a duration such as 168h, 5m or 1h30m", Quote(text)));
  };
  if (text == "0") return 0.0;
  if (text.empty() || text.size() > 64) return bad();
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return bad();
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, number);
    if (ec != std::errc() || end != text.data() + i) return bad();
    const size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    const std::string_view unit(text.data() + unit_start, i - unit_start);
    double scale = 0;
    if (unit == "h") scale = 3600;
    else if (unit == "m") scale = 60;
    else if (unit == "s") scale = 1;
    else if (unit == "ms") scale = 1e-3;
    else if (unit == "us" || unit == "\u00b5s") scale = 1e-6;
    else if (unit == "ns") scale = 1e-9;
    else return bad();
    total += number * scale;
  }
  return total;
}

}  // namespace

Result<std::optional<model::AdmissionFairSharingSpec>> ParseAdmissionFairSharing(
    const Field& object, const std::string& source) {
  const Field section = object.Get("admissionFairSharing");
  if (!section.present()) return std::optional<model::AdmissionFairSharingSpec>();
  TESSERA_RETURN_IF_ERROR(section.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(auto entries, section.Entries());
  for (const auto& [key, value] : entries) {
    if (key != "usageHalfLifeTime" && key != "usageSamplingInterval" &&
        key != "resourceWeights") {
      return value.Fail(fmt::format("unknown field {}; admissionFairSharing has "
                                    "usageHalfLifeTime, usageSamplingInterval and "
                                    "resourceWeights",
                                    Quote(key)));
    }
  }
  model::AdmissionFairSharingSpec out;
  out.source = source;
  if (section.Has("usageHalfLifeTime")) {
    TESSERA_ASSIGN_OR_RETURN(out.usage_half_life_seconds,
                             ParseDuration(section.Get("usageHalfLifeTime")));
  }
  if (section.Has("usageSamplingInterval")) {
    TESSERA_ASSIGN_OR_RETURN(out.usage_sampling_interval_seconds,
                             ParseDuration(section.Get("usageSamplingInterval")));
  }
  TESSERA_ASSIGN_OR_RETURN(Field weights, section.GetMap("resourceWeights"));
  TESSERA_ASSIGN_OR_RETURN(auto weight_entries, weights.Entries());
  for (const auto& [resource, value] : weight_entries) {
    if (!value.is_scalar()) return value.WrongType("a number");
    const std::string& text = value.node().Scalar();
    double w = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), w);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || w < 0 ||
        !std::isfinite(w)) {
      return value.Fail(fmt::format("must be a number of at least 0, got {}", Quote(text)));
    }
    out.resource_weights.emplace_back(resource, w);
  }
  return std::optional<model::AdmissionFairSharingSpec>(std::move(out));
}

Result<model::WorkloadPriorityClassSpec> ParseWorkloadPriorityClass(const Field& object,
                                                                    ObjectMeta meta) {
  model::WorkloadPriorityClassSpec out;
  out.name = std::move(meta.name);
  Field value = object.Get("value");
  if (!value.present()) return value.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(int64_t v, value.AsInt());
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return value.Fail(fmt::format("must fit in 32 bits, got {}", v));
  }
  out.value = static_cast<int32_t>(v);
  return out;
}

namespace {

Result<int32_t> GetPodCount(const Field& parent, std::string_view key, int32_t fallback) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> value, parent.GetInt(key));
  if (!value) return fallback;
  if (*value < 0 || *value > std::numeric_limits<int32_t>::max()) {
    return parent.Get(key).Fail(
        fmt::format("must be between 0 and {}, got {}", std::numeric_limits<int32_t>::max(),
                    *value));
  }
  return static_cast<int32_t>(*value);
}

// status.admission: clusterQueue and podSetAssignments (names among `pod_sets` when the
// Workload lists any).
Result<model::WorkloadAdmissionSpec> ParseWorkloadAdmission(
    const Field& admission, const std::vector<model::PodSetSpec>& pod_sets) {
  model::WorkloadAdmissionSpec out;
  TESSERA_ASSIGN_OR_RETURN(out.cluster_queue,
                           GetReference(admission, "clusterQueue", /*required=*/true));
  TESSERA_ASSIGN_OR_RETURN(Field list, admission.GetList("podSetAssignments"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  std::set<std::string, std::less<>> seen;
  for (const Field& item : items) {
    TESSERA_RETURN_IF_ERROR(item.ExpectMap());
    model::PodSetAssignmentSpec a;
    TESSERA_ASSIGN_OR_RETURN(a.name, item.GetRequiredString("name"));
    if (!seen.insert(a.name).second) {
      return item.Get("name").Fail(fmt::format("duplicate PodSet {}", Quote(a.name)));
    }
    if (!pod_sets.empty() &&
        std::none_of(pod_sets.begin(), pod_sets.end(),
                     [&a](const model::PodSetSpec& ps) { return ps.name == a.name; })) {
      std::string names;
      for (const model::PodSetSpec& ps : pod_sets) names += (names.empty() ? "" : ", ") + ps.name;
      return item.Get("name").Fail(
          fmt::format("{} is not a PodSet of this Workload ({})", Quote(a.name), names));
    }
    TESSERA_ASSIGN_OR_RETURN(Field flavors, item.GetMap("flavors"));
    TESSERA_ASSIGN_OR_RETURN(a.flavors, flavors.StringMap());
    for (const auto& [resource, flavor] : a.flavors) {
      TESSERA_RETURN_IF_ERROR(FailIf(flavors.Get(resource), CheckDnsSubdomain(flavor)));
    }
    TESSERA_ASSIGN_OR_RETURN(Field usage, item.GetMap("resourceUsage"));
    TESSERA_ASSIGN_OR_RETURN(auto entries, usage.Entries());
    for (const auto& [resource, value] : entries) {
      TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseResourceQuantity(value, resource));
      a.resource_usage.emplace_back(resource, q);
    }
    if (item.Has("count")) {
      TESSERA_ASSIGN_OR_RETURN(int32_t count, GetPodCount(item, "count", 0));
      a.count = count;
    }
    out.pod_sets.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Result<WorkloadObjectIntake> ParseWorkloadObject(const Field& object, ObjectMeta meta) {
  WorkloadObjectIntake out;
  out.namespace_name = std::move(meta.namespace_name);
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field owners, object.Get("metadata").GetList("ownerReferences"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> refs, owners.Items());
  for (const Field& ref : refs) {
    TESSERA_RETURN_IF_ERROR(ref.ExpectMap());
    TESSERA_ASSIGN_OR_RETURN(std::string kind, ref.GetRequiredString("kind"));
    if (kind != "Job" && kind != "JobSet" && kind != "Pod") continue;
    out.owner.kind = std::move(kind);
    TESSERA_ASSIGN_OR_RETURN(out.owner.name, ref.GetRequiredString("name"));
    TESSERA_ASSIGN_OR_RETURN(auto api_version, ref.GetString("apiVersion"));
    if (api_version) out.owner.api_version = std::move(*api_version);
    break;
  }
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  TESSERA_ASSIGN_OR_RETURN(auto queue, spec.GetString("queueName"));
  if (queue) out.queue_name = std::move(*queue);
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> priority, spec.GetInt("priority"));
  if (priority) {
    if (*priority < std::numeric_limits<int32_t>::min() ||
        *priority > std::numeric_limits<int32_t>::max()) {
      return spec.Get("priority").Fail(fmt::format("must fit in 32 bits, got {}", *priority));
    }
    out.priority = static_cast<int32_t>(*priority);
  }
  TESSERA_ASSIGN_OR_RETURN(auto priority_class, spec.GetString("priorityClassName"));
  if (priority_class) out.priority_class_name = std::move(*priority_class);
  TESSERA_ASSIGN_OR_RETURN(Field sets, spec.GetList("podSets"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> set_items, sets.Items());
  for (const Field& item : set_items) {
    TESSERA_RETURN_IF_ERROR(item.ExpectMap());
    model::PodSetSpec ps;
    TESSERA_ASSIGN_OR_RETURN(ps.name, item.GetRequiredString("name"));
    for (const model::PodSetSpec& other : out.pod_sets) {
      if (other.name == ps.name) {
        return item.Get("name").Fail(fmt::format("duplicate PodSet {}", Quote(ps.name)));
      }
    }
    TESSERA_ASSIGN_OR_RETURN(ps.count, GetPodCount(item, "count", 1));
    if (item.Has("minCount")) {
      TESSERA_ASSIGN_OR_RETURN(int32_t min, GetPodCount(item, "minCount", 0));
      if (min > ps.count) {
        return item.Get("minCount")
            .Fail(fmt::format("must not be above count ({}), got {}", ps.count, min));
      }
      ps.min_count = min;
    }
    out.pod_sets.push_back(std::move(ps));
  }
  TESSERA_ASSIGN_OR_RETURN(Field status, object.GetMap("status"));
  TESSERA_ASSIGN_OR_RETURN(Field conditions, status.GetList("conditions"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> condition_items, conditions.Items());
  bool quota_released = false;
  for (const Field& c : condition_items) {
    TESSERA_RETURN_IF_ERROR(c.ExpectMap());
    TESSERA_ASSIGN_OR_RETURN(auto type, c.GetString("type"));
    TESSERA_ASSIGN_OR_RETURN(auto value, c.GetString("status"));
    if (!type || !value) continue;
    if (*type == "Finished" && *value == "True") out.finished = true;
    if (*type == "QuotaReserved" && *value == "False") quota_released = true;
  }
  TESSERA_ASSIGN_OR_RETURN(Field admission, status.GetMap("admission"));
  if (admission.present()) {
    TESSERA_ASSIGN_OR_RETURN(model::WorkloadAdmissionSpec a,
                             ParseWorkloadAdmission(admission, out.pod_sets));
    a.object = out.namespace_name + "/" + out.name;
    if (!out.finished && !quota_released) out.admission = std::move(a);
  }
  return out;
}

Result<model::KaiQueueSpec> ParseKaiQueue(const Field& object, ObjectMeta meta) {
  model::KaiQueueSpec out;
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  TESSERA_ASSIGN_OR_RETURN(out.parent, GetReference(spec, "parentQueue", /*required=*/false));
  if (out.parent == out.name) {
    return spec.Get("parentQueue").Fail("a Queue must not be its own parent");
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> priority, spec.GetInt("priority"));
  if (priority) {
    if (*priority < std::numeric_limits<int32_t>::min() ||
        *priority > std::numeric_limits<int32_t>::max()) {
      return spec.Get("priority").Fail(fmt::format("must fit in 32 bits, got {}", *priority));
    }
    out.priority = static_cast<int32_t>(*priority);
  }
  TESSERA_ASSIGN_OR_RETURN(Field resources, spec.GetMap("resources"));
  for (const char* name : {"gpu", "cpu", "memory"}) {
    TESSERA_ASSIGN_OR_RETURN(Field r, resources.GetMap(name));
    if (!r.present()) continue;
    model::KaiQueueResourceSpec res;
    res.resource = name;
    res.quota = 0;
    for (auto [key, target] : {std::pair<const char*, double*>{"quota", &res.quota},
                               std::pair<const char*, double*>{"limit", &res.limit}}) {
      Field f = r.Get(key);
      if (!f.present()) continue;
      TESSERA_ASSIGN_OR_RETURN(*target, ParseNumber(f));
      if (*target < 0 && *target != -1) {
        return f.Fail(fmt::format("must be -1 ({}) or at least 0, got {}",
                                  std::string_view(key) == "quota" ? "unlimited" : "no limit",
                                  Quote(f.node().Scalar())));
      }
    }
    if (res.limit != -1 && res.quota != -1 && res.limit < res.quota) {
      Field limit = r.Get("limit");
      return limit.Fail(fmt::format("must be -1 (no limit) or at least quota ({}), got {}",
                                    Quote(r.Get("quota").node().Scalar()),
                                    Quote(limit.node().Scalar())));
    }
    Field weight = r.Get("overQuotaWeight");
    if (weight.present()) {
      TESSERA_ASSIGN_OR_RETURN(res.over_quota_weight, ParseNumber(weight));
      if (res.over_quota_weight < 0) {
        return weight.Fail(
            fmt::format("must not be negative, got {}", Quote(weight.node().Scalar())));
      }
    }
    out.resources.push_back(std::move(res));
  }
  return out;
}

Result<std::vector<model::DeviceClassMappingSpec>> ParseKueueConfiguration(
    const Field& object, const std::string& source) {
  std::vector<model::DeviceClassMappingSpec> out;
  TESSERA_ASSIGN_OR_RETURN(Field resources, object.GetMap("resources"));
  TESSERA_ASSIGN_OR_RETURN(Field mappings, resources.GetList("deviceClassMappings"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, mappings.Items());
  std::vector<std::pair<std::string, std::string>> seen;  // class -> the item path naming it
  for (size_t i = 0; i < items.size(); ++i) {
    const Field& item = items[i];
    TESSERA_RETURN_IF_ERROR(item.ExpectMap());
    TESSERA_ASSIGN_OR_RETURN(auto entries, item.Entries());
    for (const auto& [key, value] : entries) {
      if (key != "name" && key != "deviceClassNames") {
        return value.Fail(
            fmt::format("unknown field {}; a device class mapping has name and "
                        "deviceClassNames",
                        Quote(key)));
      }
    }
    model::DeviceClassMappingSpec m;
    m.source = source;
    m.index = i;
    TESSERA_ASSIGN_OR_RETURN(m.name, item.GetRequiredString("name"));
    if (m.name.empty()) return item.Get("name").Fail("must not be empty");
    Field classes = item.Get("deviceClassNames");
    if (!classes.present()) return classes.Fail("required field is missing");
    TESSERA_RETURN_IF_ERROR(classes.ExpectList());
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> names, classes.Items());
    if (names.empty()) return classes.Fail("must list at least one DeviceClass");
    for (const Field& n : names) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, n.AsString());
      if (name.empty()) return n.Fail("must not be empty");
      for (const auto& [other, at] : seen) {
        if (other == name) {
          return n.Fail(fmt::format("DeviceClass {} is already mapped by {}", Quote(name), at));
        }
      }
      seen.emplace_back(name, item.path());
      m.device_class_names.push_back(std::move(name));
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::optional<model::KueueFairSharingSpec>> ParseKueueFairSharing(
    const Field& object, bool v1beta2, const std::string& source) {
  const Field section = object.Get("fairSharing");
  if (!section.present()) return std::optional<model::KueueFairSharingSpec>();
  TESSERA_RETURN_IF_ERROR(section.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(auto entries, section.Entries());
  for (const auto& [key, value] : entries) {
    if (key != "enable" && key != "preemptionStrategies") {
      return value.Fail(fmt::format(
          "unknown field {}; fairSharing has enable and preemptionStrategies", Quote(key)));
    }
  }
  model::KueueFairSharingSpec out;
  out.source = source;
  out.enabled = v1beta2;
  const Field enable = section.Get("enable");
  if (enable.present()) {
    TESSERA_ASSIGN_OR_RETURN(out.enabled, enable.AsBool());
  }
  const Field strategies = section.Get("preemptionStrategies");
  if (strategies.present()) {
    TESSERA_RETURN_IF_ERROR(strategies.ExpectList());
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, strategies.Items());
    for (const Field& item : items) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, item.AsString());
      if (name == "LessThanOrEqualToFinalShare") {
        out.preemption_strategies.push_back(
            model::FairPreemptionStrategySpec::kLessThanOrEqualToFinalShare);
      } else if (name == "LessThanInitialShare") {
        out.preemption_strategies.push_back(
            model::FairPreemptionStrategySpec::kLessThanInitialShare);
      } else {
        return item.Fail(fmt::format(
            "{} is not a preemption strategy: must be LessThanOrEqualToFinalShare or "
            "LessThanInitialShare",
            Quote(name)));
      }
    }
    using S = model::FairPreemptionStrategySpec;
    const std::vector<S>& got = out.preemption_strategies;
    const bool allowed =
        got.empty() || got.size() == 1 ||
        (got.size() == 2 && got[0] == S::kLessThanOrEqualToFinalShare &&
         got[1] == S::kLessThanInitialShare);
    if (!allowed) {
      return strategies.Fail(
          "must be [LessThanOrEqualToFinalShare], [LessThanInitialShare] or "
          "[LessThanOrEqualToFinalShare, LessThanInitialShare]");
    }
  }
  return std::optional<model::KueueFairSharingSpec>(std::move(out));
}

Status CheckKaiQueueParents(const std::vector<model::KaiQueueSpec>& queues) {
  auto located = [](Error error, const model::KaiQueueSpec& q) {
    error.UnderField("spec.parentQueue");
    error.WithObject("Queue", q.name);
    if (!q.source.empty()) error.WithFile(q.source);
    return error;
  };
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < queues.size(); ++i) index.emplace(queues[i].name, i);
  for (const model::KaiQueueSpec& q : queues) {
    if (!q.parent.empty() && !index.contains(q.parent)) {
      return located(NotFound(fmt::format("Queue {} not found", q.parent)), q);
    }
  }
  for (size_t i = 0; i < queues.size(); ++i) {
    std::string path = queues[i].name;
    size_t steps = 0;
    for (size_t at = i; !queues[at].parent.empty() && steps <= queues.size(); ++steps) {
      at = index.at(queues[at].parent);
      path += " -> " + queues[at].name;
      if (at == i) return located(InvalidArgument("cycle " + path), queues[i]);
    }
  }
  return OkStatus();
}

Result<model::NamespaceSpec> ParseNamespace(ObjectMeta meta) {
  model::NamespaceSpec out;
  out.name = std::move(meta.name);
  out.labels = std::move(meta.labels);
  bool found = false;
  for (auto& [key, value] : out.labels) {
    if (key == kNamespaceNameLabel) {
      value = out.name;
      found = true;
    }
  }
  if (!found) out.labels.emplace_back(kNamespaceNameLabel, out.name);
  return out;
}

}  // namespace tessera::io::internal

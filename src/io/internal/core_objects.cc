#include "io/internal/core_objects.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "io/internal/names.h"
#include "model/resources.h"

namespace tessera::io::internal {
namespace {

// Resource amounts by name; std::map keeps the output sorted and deterministic.
using Amounts = std::map<std::string, Quantity, std::less<>>;

Status FailIf(const Field& at, std::string message) {
  if (message.empty()) return OkStatus();
  return at.Fail(std::move(message));
}

Result<Amounts> ParseResourceMap(const Field& map) {
  TESSERA_RETURN_IF_ERROR(map.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(auto entries, map.Entries());
  Amounts out;
  for (const auto& [name, value] : entries) {
    TESSERA_RETURN_IF_ERROR(FailIf(value, CheckQualifiedName(name)));
    TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseResourceQuantity(value, name));
    out[name] = q;
  }
  return out;
}

// What one container asks for: its requests, with limits standing in for absent requests
// (the API server defaults requests to limits). Extended resources must have requests equal
// to limits when both are given.
Result<Amounts> ContainerRequests(const Field& container) {
  TESSERA_ASSIGN_OR_RETURN(Field resources, container.GetMap("resources"));
  TESSERA_ASSIGN_OR_RETURN(Field requests_field, resources.GetMap("requests"));
  TESSERA_ASSIGN_OR_RETURN(Field limits_field, resources.GetMap("limits"));
  TESSERA_ASSIGN_OR_RETURN(Amounts requests, ParseResourceMap(requests_field));
  TESSERA_ASSIGN_OR_RETURN(Amounts limits, ParseResourceMap(limits_field));
  for (const auto& [name, limit] : limits) {
    auto it = requests.find(name);
    if (it == requests.end()) {
      requests.emplace(name, limit);
      continue;
    }
    if (model::IsExtendedResourceName(name) && it->second != limit) {
      return requests_field.Get(name).Fail(
          fmt::format("must equal limits for an extended resource: requests {}, limits {}",
                      Quote(requests_field.Get(name).node().Scalar()),
                      Quote(limits_field.Get(name).node().Scalar())));
    }
  }
  if (requests.contains("pods")) {
    return requests_field.Get("pods").Fail("is not a container resource");
  }
  return requests;
}

Status AddInto(Amounts& sum, const Amounts& add, const Field& where) {
  for (const auto& [name, amount] : add) {
    auto [it, inserted] = sum.emplace(name, amount);
    if (inserted) continue;
    auto total = CheckedAdd(it->second, amount);
    if (!total.ok()) return std::move(total).error().UnderField(where.path());
    it->second = *total;
  }
  return OkStatus();
}

void MaxInto(Amounts& acc, const Amounts& other) {
  for (const auto& [name, amount] : other) {
    auto [it, inserted] = acc.emplace(name, amount);
    if (!inserted) it->second = std::max(it->second, amount);
  }
}

// Effective pod requests as kube-scheduler computes them (k8s.io/component-helpers
// resource.PodRequests, with sidecar containers):
//   sum = Σ containers
//   for each init container in order:
//     sidecar (restartPolicy: Always): sum += it; sidecars += it; peak = sidecars
//     otherwise:                      peak = it + sidecars started before it
//     init = max(init, peak)
//   requests = max(sum, init) + overhead
// Example: containers cpu 1 and 2 (sum 3); init A (regular) cpu 4; sidecar B cpu 1; init C
// (regular) cpu 2. A peaks at 4, B makes sum 4 and peaks at 1, C peaks at 2 + 1 = 3; init is
// max(4, 1, 3) = 4; requests = max(4, 4) = 4 cpu, plus overhead.
Result<model::ResourceList> ComputePodRequests(const Field& spec) {
  TESSERA_ASSIGN_OR_RETURN(Field containers_field, spec.GetList("containers"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> containers, containers_field.Items());
  if (containers.empty()) return containers_field.Fail("must have at least one container");
  TESSERA_ASSIGN_OR_RETURN(Field init_field, spec.GetList("initContainers"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> inits, init_field.Items());

  std::set<std::string, std::less<>> names;
  auto check_container = [&names](const Field& c) -> Status {
    if (!c.is_map()) return c.WrongType("a mapping");
    TESSERA_ASSIGN_OR_RETURN(std::string name, c.GetRequiredString("name"));
    TESSERA_RETURN_IF_ERROR(FailIf(c.Get("name"), CheckDnsLabel(name)));
    if (!names.insert(name).second) {
      return c.Get("name").Fail(fmt::format("duplicate container name {}", Quote(name)));
    }
    return OkStatus();
  };

  Amounts sum;
  for (const Field& c : containers) {
    TESSERA_RETURN_IF_ERROR(check_container(c));
    TESSERA_ASSIGN_OR_RETURN(Amounts r, ContainerRequests(c));
    TESSERA_RETURN_IF_ERROR(AddInto(sum, r, containers_field));
  }
  Amounts init_peak;
  Amounts sidecars;
  for (const Field& c : inits) {
    TESSERA_RETURN_IF_ERROR(check_container(c));
    TESSERA_ASSIGN_OR_RETURN(Amounts r, ContainerRequests(c));
    TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> restart, c.GetString("restartPolicy"));
    if (restart && !restart->empty() && *restart != "Always") {
      return c.Get("restartPolicy")
          .Fail(fmt::format("{} is not valid for an init container: only Always is",
                            Quote(*restart)));
    }
    if (restart && *restart == "Always") {
      TESSERA_RETURN_IF_ERROR(AddInto(sum, r, init_field));
      TESSERA_RETURN_IF_ERROR(AddInto(sidecars, r, init_field));
      MaxInto(init_peak, sidecars);
    } else {
      TESSERA_RETURN_IF_ERROR(AddInto(r, sidecars, init_field));
      MaxInto(init_peak, r);
    }
  }
  MaxInto(sum, init_peak);
  TESSERA_ASSIGN_OR_RETURN(Field overhead_field, spec.GetMap("overhead"));
  TESSERA_ASSIGN_OR_RETURN(Amounts overhead, ParseResourceMap(overhead_field));
  TESSERA_RETURN_IF_ERROR(AddInto(sum, overhead, overhead_field));

  model::ResourceList out;
  for (auto& [name, amount] : sum) {
    if (amount.value() != 0) out.emplace_back(name, amount);
  }
  return out;
}

Result<std::vector<model::NodeSelectorTermSpec>> ParseRequiredAffinity(const Field& required) {
  if (!required.is_map()) return required.WrongType("a mapping");
  TESSERA_ASSIGN_OR_RETURN(Field terms_field, required.GetList("nodeSelectorTerms"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> terms, terms_field.Items());
  if (terms.empty()) return terms_field.Fail("must have at least one term");
  std::vector<model::NodeSelectorTermSpec> out;
  for (const Field& term : terms) {
    TESSERA_ASSIGN_OR_RETURN(model::NodeSelectorTermSpec t, ParseNodeSelectorTerm(term));
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<model::PodClaimRefSpec>> ParsePodClaims(const Field& list) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  std::vector<model::PodClaimRefSpec> out;
  std::set<std::string, std::less<>> names;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::PodClaimRefSpec ref;
    TESSERA_ASSIGN_OR_RETURN(ref.name, item.GetRequiredString("name"));
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(ref.name)));
    if (!names.insert(ref.name).second) {
      return item.Get("name").Fail(fmt::format("duplicate claim name {}", Quote(ref.name)));
    }
    TESSERA_ASSIGN_OR_RETURN(auto claim, item.GetString("resourceClaimName"));
    TESSERA_ASSIGN_OR_RETURN(auto tmpl, item.GetString("resourceClaimTemplateName"));
    if (claim) ref.resource_claim_name = std::move(*claim);
    if (tmpl) ref.resource_claim_template_name = std::move(*tmpl);
    if (ref.resource_claim_name.empty() == ref.resource_claim_template_name.empty()) {
      return item.Fail("must set exactly one of resourceClaimName and resourceClaimTemplateName");
    }
    if (!ref.resource_claim_name.empty()) {
      TESSERA_RETURN_IF_ERROR(
          FailIf(item.Get("resourceClaimName"), CheckDnsSubdomain(ref.resource_claim_name)));
    } else {
      TESSERA_RETURN_IF_ERROR(FailIf(item.Get("resourceClaimTemplateName"),
                                     CheckDnsSubdomain(ref.resource_claim_template_name)));
    }
    out.push_back(std::move(ref));
  }
  return out;
}

Result<int32_t> ToInt32(const Field& at, int64_t value) {
  if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max()) {
    return at.Fail(fmt::format("must fit in 32 bits, got {}", value));
  }
  return static_cast<int32_t>(value);
}

}  // namespace

std::string GeneratedName(std::string_view generate_name, uint64_t counter) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  constexpr size_t kMaxPrefix = 58;  // Kubernetes: 63 - 5
  std::string out(generate_name.substr(0, kMaxPrefix));
  char suffix[5];
  for (int i = 4; i >= 0; --i) {
    suffix[i] = kAlphabet[counter % kAlphabet.size()];
    counter /= kAlphabet.size();
  }
  out.append(suffix, 5);
  return out;
}

Result<model::NodeSpec> ParseNode(const Field& object, ObjectMeta meta) {
  model::NodeSpec node;
  node.name = std::move(meta.name);
  node.labels = std::move(meta.labels);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  TESSERA_ASSIGN_OR_RETURN(Field taints_field, spec.GetList("taints"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> taints, taints_field.Items());
  for (const Field& t : taints) {
    TESSERA_ASSIGN_OR_RETURN(model::TaintSpec taint, ParseNodeTaint(t));
    node.taints.push_back(std::move(taint));
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<bool> unschedulable, spec.GetBool("unschedulable"));
  node.unschedulable = unschedulable.value_or(false);

  TESSERA_ASSIGN_OR_RETURN(Field status, object.GetMap("status"));
  TESSERA_ASSIGN_OR_RETURN(Field allocatable, status.GetMap("allocatable"));
  if (!allocatable.present()) {
    TESSERA_ASSIGN_OR_RETURN(allocatable, status.GetMap("capacity"));
  }
  TESSERA_ASSIGN_OR_RETURN(Amounts amounts, ParseResourceMap(allocatable));
  if (!amounts.contains("pods")) {
    // A kubelet always reports "pods"; hand-written nodes often omit it. Take it from the
    // capacity, else assume the kubelet default (--max-pods=110) rather than zero, which
    // would make the node useless.
    TESSERA_ASSIGN_OR_RETURN(Field capacity, status.GetMap("capacity"));
    Field pods = capacity.Get("pods");
    Quantity max_pods(kDefaultMaxPods);
    if (pods.present()) {
      TESSERA_ASSIGN_OR_RETURN(max_pods, ParseResourceQuantity(pods, "pods"));
    }
    amounts.emplace("pods", max_pods);
  }
  for (auto& [name, amount] : amounts) node.allocatable.emplace_back(name, amount);
  return node;
}

Result<PodIntake> ParsePod(const Field& object, ObjectMeta meta) {
  PodIntake pod;
  pod.spec.namespace_name = std::move(meta.namespace_name);
  pod.spec.name = std::move(meta.name);
  pod.generate_name = std::move(meta.generate_name);
  pod.spec.labels = std::move(meta.labels);
  pod.spec.creation_unix_seconds = meta.creation_unix_seconds;

  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(auto node_name, spec.GetString("nodeName"));
  if (node_name) pod.spec.node_name = std::move(*node_name);
  TESSERA_ASSIGN_OR_RETURN(auto scheduler, spec.GetString("schedulerName"));
  if (scheduler) pod.spec.scheduler_name = std::move(*scheduler);

  TESSERA_ASSIGN_OR_RETURN(Field selector, spec.GetMap("nodeSelector"));
  TESSERA_ASSIGN_OR_RETURN(pod.spec.node_selector, selector.StringMap());
  for (const auto& [key, value] : pod.spec.node_selector) {
    TESSERA_RETURN_IF_ERROR(FailIf(selector.Get(key), CheckQualifiedName(key)));
    TESSERA_RETURN_IF_ERROR(FailIf(selector.Get(key), CheckLabelValue(value)));
  }

  TESSERA_ASSIGN_OR_RETURN(Field affinity, spec.GetMap("affinity"));
  TESSERA_ASSIGN_OR_RETURN(Field node_affinity, affinity.GetMap("nodeAffinity"));
  Field required = node_affinity.Get("requiredDuringSchedulingIgnoredDuringExecution");
  if (required.present()) {
    TESSERA_ASSIGN_OR_RETURN(auto terms, ParseRequiredAffinity(required));
    pod.spec.required_node_affinity = std::move(terms);
  }

  TESSERA_ASSIGN_OR_RETURN(Field tolerations_field, spec.GetList("tolerations"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> tolerations, tolerations_field.Items());
  for (const Field& t : tolerations) {
    TESSERA_ASSIGN_OR_RETURN(model::TolerationSpec tol, ParseToleration(t));
    pod.spec.tolerations.push_back(std::move(tol));
  }

  TESSERA_ASSIGN_OR_RETURN(auto class_name, spec.GetString("priorityClassName"));
  if (class_name) pod.priority_class_name = std::move(*class_name);
  TESSERA_ASSIGN_OR_RETURN(auto priority, spec.GetInt("priority"));
  if (priority) {
    TESSERA_ASSIGN_OR_RETURN(int32_t p, ToInt32(spec.Get("priority"), *priority));
    pod.spec_priority = p;
  }

  TESSERA_ASSIGN_OR_RETURN(pod.spec.requests, ComputePodRequests(spec));

  TESSERA_ASSIGN_OR_RETURN(Field claims, spec.GetList("resourceClaims"));
  TESSERA_ASSIGN_OR_RETURN(pod.spec.claims, ParsePodClaims(claims));

  TESSERA_ASSIGN_OR_RETURN(Field status, object.GetMap("status"));
  TESSERA_ASSIGN_OR_RETURN(auto phase, status.GetString("phase"));
  if (phase) pod.phase = std::move(*phase);
  // status.resourceClaimStatuses: the claim the resource claim controller created for a
  // template reference (a pod read from a live cluster). The pod then uses that claim.
  TESSERA_ASSIGN_OR_RETURN(Field claim_statuses, status.GetList("resourceClaimStatuses"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> statuses, claim_statuses.Items());
  for (const Field& item : statuses) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_ASSIGN_OR_RETURN(std::string name, item.GetRequiredString("name"));
    TESSERA_ASSIGN_OR_RETURN(auto claim_name, item.GetString("resourceClaimName"));
    if (!claim_name || claim_name->empty()) continue;  // no claim needed for this reference
    TESSERA_RETURN_IF_ERROR(
        FailIf(item.Get("resourceClaimName"), CheckDnsSubdomain(*claim_name)));
    for (model::PodClaimRefSpec& ref : pod.spec.claims) {
      if (ref.name == name && !ref.resource_claim_template_name.empty()) {
        ref.resource_claim_name = *claim_name;
        ref.generated_from_template = std::move(ref.resource_claim_template_name);
        ref.resource_claim_template_name.clear();
      }
    }
  }
  return pod;
}

Result<PriorityClassIntake> ParsePriorityClass(const Field& object, ObjectMeta meta) {
  PriorityClassIntake out;
  out.name = std::move(meta.name);
  Field value_field = object.Get("value");
  if (!value_field.present()) return value_field.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(int64_t value, value_field.AsInt());
  TESSERA_ASSIGN_OR_RETURN(out.value, ToInt32(value_field, value));
  // Kubernetes reserves values above one billion for system classes.
  constexpr int64_t kHighestUserDefinablePriority = 1'000'000'000;
  if (value > kHighestUserDefinablePriority && !out.name.starts_with("system-")) {
    return value_field.Fail(fmt::format(
        "must be no more than {} for a class whose name does not start with \"system-\"",
        kHighestUserDefinablePriority));
  }
  TESSERA_ASSIGN_OR_RETURN(auto global_default, object.GetBool("globalDefault"));
  out.global_default = global_default.value_or(false);
  return out;
}

}  // namespace tessera::io::internal

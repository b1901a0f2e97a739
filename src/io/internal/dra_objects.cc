#include "io/internal/dra_objects.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/internal/names.h"

namespace tessera::io::internal {
namespace {

// Limits from Kubernetes 1.34 validation (dra.md §7); where a later release relaxed one
// (device taints 4 -> 16, counter sets) the later, larger value is used so that current
// drivers' output loads.
constexpr size_t kMaxDevicesPerSlice = 128;
constexpr size_t kMaxAttributesAndCapacitiesPerDevice = 32;
constexpr size_t kMaxTaintsPerDevice = 16;
constexpr size_t kMaxCounterSetsPerSlice = 8;
constexpr size_t kMaxCountersPerSet = 32;
constexpr size_t kMaxRequestsPerClaim = 32;
constexpr size_t kMaxSubrequests = 8;
constexpr size_t kMaxSelectors = 32;
constexpr size_t kMaxConstraints = 32;
constexpr size_t kMaxTolerations = 16;
constexpr size_t kMaxStringAttributeLength = 64;
constexpr size_t kMaxCelExpressionBytes = 10 * 1024;

Status FailIf(const Field& at, std::string message) {
  if (message.empty()) return OkStatus();
  return at.Fail(std::move(message));
}

Status CheckCount(const Field& list, size_t count, size_t max, std::string_view what) {
  if (count <= max) return OkStatus();
  return list.Fail(fmt::format("must have at most {} {}, got {}", max, what, count));
}

// `selectors: [{cel: {expression: "..."}}]`.
Result<std::vector<std::string>> ParseSelectors(const Field& parent) {
  TESSERA_ASSIGN_OR_RETURN(Field list, parent.GetList("selectors"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  TESSERA_RETURN_IF_ERROR(CheckCount(list, items.size(), kMaxSelectors, "selectors"));
  std::vector<std::string> out;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_ASSIGN_OR_RETURN(Field cel, item.GetMap("cel"));
    if (!cel.present()) return cel.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(std::string expression, cel.GetRequiredString("expression"));
    if (expression.size() > kMaxCelExpressionBytes) {
      return cel.Get("expression")
          .Fail(fmt::format("must be no more than {} bytes, got {}", kMaxCelExpressionBytes,
                            expression.size()));
    }
    out.push_back(std::move(expression));
  }
  return out;
}

// `counters: {name: {value: Q}}` with DNS-label names.
Result<std::vector<std::pair<std::string, Quantity>>> ParseCounters(const Field& parent) {
  TESSERA_ASSIGN_OR_RETURN(Field map, parent.GetMap("counters"));
  TESSERA_ASSIGN_OR_RETURN(auto entries, map.Entries());
  TESSERA_RETURN_IF_ERROR(CheckCount(map, entries.size(), kMaxCountersPerSet, "counters"));
  std::vector<std::pair<std::string, Quantity>> out;
  for (const auto& [name, counter] : entries) {
    TESSERA_RETURN_IF_ERROR(FailIf(counter, CheckDnsLabel(name)));
    if (!counter.is_map()) return counter.WrongType("a mapping");
    Field value = counter.Get("value");
    if (!value.present()) return value.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseWholeQuantity(value));
    out.emplace_back(name, q);
  }
  return out;
}

Result<model::DeviceAttributeSpec> ParseAttribute(const std::string& name, const Field& attr) {
  if (!attr.is_map()) return attr.WrongType("a mapping");
  model::DeviceAttributeSpec out;
  out.name = name;
  int set = 0;
  for (std::string_view type : {"int", "bool", "string", "version"}) {
    if (attr.Has(type)) ++set;
  }
  if (set != 1) return attr.Fail("must set exactly one of int, bool, string and version");
  if (attr.Has("int")) {
    TESSERA_ASSIGN_OR_RETURN(int64_t v, attr.Get("int").AsInt());
    out.value = v;
  } else if (attr.Has("bool")) {
    TESSERA_ASSIGN_OR_RETURN(bool v, attr.Get("bool").AsBool());
    out.value = v;
  } else if (attr.Has("string")) {
    TESSERA_ASSIGN_OR_RETURN(std::string v, attr.Get("string").AsString());
    if (v.size() > kMaxStringAttributeLength) {
      return attr.Get("string").Fail(
          fmt::format("{} is too long: must be no more than {} characters", Quote(v),
                      kMaxStringAttributeLength));
    }
    out.value = std::move(v);
  } else {
    TESSERA_ASSIGN_OR_RETURN(std::string v, attr.Get("version").AsString());
    TESSERA_RETURN_IF_ERROR(FailIf(attr.Get("version"), CheckSemVer(v)));
    out.value = model::SemVer{std::move(v)};
  }
  return out;
}

// The device fields shared by both shapes; `body` is the device (v1) or its `basic:` (v1beta1).
Status ParseDeviceBody(const Field& body, model::DeviceSpec& device) {
  TESSERA_ASSIGN_OR_RETURN(Field attributes, body.GetMap("attributes"));
  TESSERA_ASSIGN_OR_RETURN(auto attribute_entries, attributes.Entries());
  TESSERA_ASSIGN_OR_RETURN(Field capacity, body.GetMap("capacity"));
  TESSERA_ASSIGN_OR_RETURN(auto capacity_entries, capacity.Entries());
  if (attribute_entries.size() + capacity_entries.size() > kMaxAttributesAndCapacitiesPerDevice) {
    return body.Fail(fmt::format("must have at most {} attributes and capacities together, got {}",
                                 kMaxAttributesAndCapacitiesPerDevice,
                                 attribute_entries.size() + capacity_entries.size()));
  }
  for (const auto& [name, attr] : attribute_entries) {
    TESSERA_RETURN_IF_ERROR(FailIf(attr, CheckDraQualifiedName(name)));
    TESSERA_ASSIGN_OR_RETURN(model::DeviceAttributeSpec a, ParseAttribute(name, attr));
    device.attributes.push_back(std::move(a));
  }
  for (const auto& [name, cap] : capacity_entries) {
    TESSERA_RETURN_IF_ERROR(FailIf(cap, CheckDraQualifiedName(name)));
    model::DeviceCapacitySpec c;
    c.name = name;
    if (cap.is_scalar()) {
      // v1alpha3 wrote the quantity directly; later versions wrap it in {value: ...}.
      TESSERA_ASSIGN_OR_RETURN(c.value, ParseWholeQuantity(cap));
    } else {
      if (!cap.is_map()) return cap.WrongType("a mapping");
      Field value = cap.Get("value");
      if (!value.present()) return value.Fail("required field is missing");
      TESSERA_ASSIGN_OR_RETURN(c.value, ParseWholeQuantity(value));
      TESSERA_RETURN_IF_ERROR(cap.GetMap("requestPolicy").status());
    }
    device.capacity.push_back(std::move(c));
  }
  TESSERA_ASSIGN_OR_RETURN(Field consumes, body.GetList("consumesCounters"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> consumptions, consumes.Items());
  for (const Field& item : consumptions) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::DeviceCounterConsumptionSpec c;
    TESSERA_ASSIGN_OR_RETURN(c.counter_set, item.GetRequiredString("counterSet"));
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("counterSet"), CheckDnsLabel(c.counter_set)));
    TESSERA_ASSIGN_OR_RETURN(c.counters, ParseCounters(item));
    device.consumes_counters.push_back(std::move(c));
  }
  TESSERA_ASSIGN_OR_RETURN(Field taints_field, body.GetList("taints"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> taints, taints_field.Items());
  TESSERA_RETURN_IF_ERROR(CheckCount(taints_field, taints.size(), kMaxTaintsPerDevice, "taints"));
  for (const Field& t : taints) {
    TESSERA_ASSIGN_OR_RETURN(std::optional<model::TaintSpec> taint, ParseDeviceTaint(t));
    if (taint) device.taints.push_back(std::move(*taint));
  }
  TESSERA_ASSIGN_OR_RETURN(auto multiple, body.GetBool("allowMultipleAllocations"));
  device.allow_multiple_allocations = multiple.value_or(false);
  return OkStatus();
}

Result<model::DeviceSpec> ParseDevice(const Field& item, DraShape shape) {
  if (!item.is_map()) return item.WrongType("a mapping");
  model::DeviceSpec device;
  TESSERA_ASSIGN_OR_RETURN(device.name, item.GetRequiredString("name"));
  TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(device.name)));
  if (shape == DraShape::kV1Beta1) {
    TESSERA_ASSIGN_OR_RETURN(Field basic, item.GetMap("basic"));
    if (!basic.present()) return basic.Fail("required field is missing");
    TESSERA_RETURN_IF_ERROR(ParseDeviceBody(basic, device));
  } else {
    TESSERA_RETURN_IF_ERROR(ParseDeviceBody(item, device));
  }
  return device;
}

// The fields of an ExactDeviceRequest (v1 `exactly:`, a v1beta1 request, or a subrequest).
Status ParseExactRequest(const Field& body, bool allow_admin_access,
                         model::DeviceRequestSpec& out) {
  TESSERA_ASSIGN_OR_RETURN(out.device_class_name, body.GetRequiredString("deviceClassName"));
  TESSERA_RETURN_IF_ERROR(
      FailIf(body.Get("deviceClassName"), CheckDnsSubdomain(out.device_class_name)));
  TESSERA_ASSIGN_OR_RETURN(out.selectors, ParseSelectors(body));
  TESSERA_ASSIGN_OR_RETURN(auto mode, body.GetString("allocationMode"));
  if (!mode || mode->empty() || *mode == "ExactCount") {
    out.allocation_mode = model::AllocationMode::kExactCount;
  } else if (*mode == "All") {
    out.allocation_mode = model::AllocationMode::kAll;
  } else {
    return body.Get("allocationMode")
        .Fail(fmt::format("{} is not a valid allocation mode: must be ExactCount or All",
                          Quote(*mode)));
  }
  TESSERA_ASSIGN_OR_RETURN(auto count, body.GetInt("count"));
  if (out.allocation_mode == model::AllocationMode::kExactCount) {
    out.count = count.value_or(1);
    if (out.count <= 0) {
      return body.Get("count").Fail(fmt::format(
          "must be greater than zero when allocationMode is ExactCount, got {}", out.count));
    }
  } else {
    if (count && *count != 0) {
      return body.Get("count").Fail("must not be set when allocationMode is All");
    }
    out.count = 0;
  }
  TESSERA_ASSIGN_OR_RETURN(auto admin, body.GetBool("adminAccess"));
  if (admin && !allow_admin_access) {
    return body.Get("adminAccess").Fail("is not allowed in a subrequest");
  }
  out.admin_access = admin.value_or(false);
  TESSERA_ASSIGN_OR_RETURN(Field tolerations_field, body.GetList("tolerations"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> tolerations, tolerations_field.Items());
  TESSERA_RETURN_IF_ERROR(
      CheckCount(tolerations_field, tolerations.size(), kMaxTolerations, "tolerations"));
  for (const Field& t : tolerations) {
    TESSERA_ASSIGN_OR_RETURN(model::TolerationSpec tol, ParseToleration(t));
    out.tolerations.push_back(std::move(tol));
  }
  TESSERA_ASSIGN_OR_RETURN(Field capacity, body.GetMap("capacity"));
  TESSERA_ASSIGN_OR_RETURN(Field requests, capacity.GetMap("requests"));
  TESSERA_ASSIGN_OR_RETURN(auto entries, requests.Entries());
  for (const auto& [name, value] : entries) {
    TESSERA_RETURN_IF_ERROR(FailIf(value, CheckDraQualifiedName(name)));
    TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseWholeQuantity(value));
    out.capacity_requests.emplace_back(name, q);
  }
  return OkStatus();
}

Result<std::vector<model::DeviceRequestSpec>> ParseSubrequests(const Field& list) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  if (items.empty()) return list.Fail("must have at least one subrequest");
  TESSERA_RETURN_IF_ERROR(CheckCount(list, items.size(), kMaxSubrequests, "subrequests"));
  std::vector<model::DeviceRequestSpec> out;
  std::set<std::string, std::less<>> names;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::DeviceRequestSpec sub;
    TESSERA_ASSIGN_OR_RETURN(sub.name, item.GetRequiredString("name"));
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(sub.name)));
    if (!names.insert(sub.name).second) {
      return item.Get("name").Fail(fmt::format("duplicate subrequest name {}", Quote(sub.name)));
    }
    TESSERA_RETURN_IF_ERROR(ParseExactRequest(item, /*allow_admin_access=*/false, sub));
    out.push_back(std::move(sub));
  }
  return out;
}

Result<model::DeviceRequestSpec> ParseRequest(const Field& item, DraShape shape) {
  if (!item.is_map()) return item.WrongType("a mapping");
  model::DeviceRequestSpec out;
  TESSERA_ASSIGN_OR_RETURN(out.name, item.GetRequiredString("name"));
  TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(out.name)));
  TESSERA_ASSIGN_OR_RETURN(Field first_available, item.GetList("firstAvailable"));
  if (shape == DraShape::kV1) {
    TESSERA_ASSIGN_OR_RETURN(Field exactly, item.GetMap("exactly"));
    if (exactly.present() == first_available.present()) {
      return item.Fail("must set exactly one of exactly and firstAvailable");
    }
    if (exactly.present()) {
      TESSERA_RETURN_IF_ERROR(ParseExactRequest(exactly, /*allow_admin_access=*/true, out));
    } else {
      TESSERA_ASSIGN_OR_RETURN(out.first_available, ParseSubrequests(first_available));
    }
    return out;
  }
  // v1beta1: the ExactDeviceRequest fields sit on the request itself, next to firstAvailable.
  if (first_available.present()) {
    if (item.Has("deviceClassName")) {
      return item.Fail("must set exactly one of deviceClassName and firstAvailable");
    }
    TESSERA_ASSIGN_OR_RETURN(out.first_available, ParseSubrequests(first_available));
  } else {
    TESSERA_RETURN_IF_ERROR(ParseExactRequest(item, /*allow_admin_access=*/true, out));
  }
  return out;
}

Result<std::vector<model::DeviceConstraintSpec>> ParseConstraints(
    const Field& list, const std::vector<model::DeviceRequestSpec>& requests) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  TESSERA_RETURN_IF_ERROR(CheckCount(list, items.size(), kMaxConstraints, "constraints"));
  auto known = [&requests](std::string_view ref) {
    size_t slash = ref.find('/');
    std::string_view req = ref.substr(0, slash);
    for (const auto& r : requests) {
      if (r.name != req) continue;
      if (slash == std::string_view::npos) return true;
      std::string_view sub = ref.substr(slash + 1);
      for (const auto& s : r.first_available) {
        if (s.name == sub) return true;
      }
    }
    return false;
  };
  std::vector<model::DeviceConstraintSpec> out;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::DeviceConstraintSpec c;
    TESSERA_ASSIGN_OR_RETURN(Field refs_field, item.GetList("requests"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> refs, refs_field.Items());
    for (const Field& ref : refs) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, ref.AsString());
      if (!known(name)) {
        return ref.Fail(fmt::format("{} names no request of this claim", Quote(name)));
      }
      c.requests.push_back(std::move(name));
    }
    TESSERA_ASSIGN_OR_RETURN(auto match, item.GetString("matchAttribute"));
    TESSERA_ASSIGN_OR_RETURN(auto distinct, item.GetString("distinctAttribute"));
    if (match.has_value() == distinct.has_value()) {
      return item.Fail("must set exactly one of matchAttribute and distinctAttribute");
    }
    if (match) {
      TESSERA_RETURN_IF_ERROR(
          FailIf(item.Get("matchAttribute"), CheckDraFullyQualifiedName(*match)));
      c.match_attribute = std::move(*match);
    } else {
      TESSERA_RETURN_IF_ERROR(
          FailIf(item.Get("distinctAttribute"), CheckDraFullyQualifiedName(*distinct)));
      c.distinct_attribute = std::move(*distinct);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Result<model::ResourceSliceSpec> ParseResourceSlice(const Field& object, ObjectMeta meta,
                                                    DraShape shape) {
  model::ResourceSliceSpec slice;
  slice.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(slice.driver, spec.GetRequiredString("driver"));
  TESSERA_RETURN_IF_ERROR(FailIf(spec.Get("driver"), CheckDnsSubdomain(slice.driver, 63)));

  TESSERA_ASSIGN_OR_RETURN(Field pool, spec.GetMap("pool"));
  if (!pool.present()) return pool.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(slice.pool, pool.GetRequiredString("name"));
  TESSERA_RETURN_IF_ERROR(FailIf(pool.Get("name"), CheckPoolName(slice.pool)));
  TESSERA_ASSIGN_OR_RETURN(auto generation, pool.GetInt("generation"));
  slice.pool_generation = generation.value_or(0);
  if (slice.pool_generation < 0) {
    return pool.Get("generation")
        .Fail(fmt::format("must not be negative, got {}", slice.pool_generation));
  }
  // resourceSliceCount is required by the API; a hand-written single slice often omits it.
  TESSERA_ASSIGN_OR_RETURN(auto slice_count, pool.GetInt("resourceSliceCount"));
  slice.resource_slice_count = slice_count.value_or(1);
  if (slice.resource_slice_count <= 0) {
    return pool.Get("resourceSliceCount")
        .Fail(fmt::format("must be greater than zero, got {}", slice.resource_slice_count));
  }

  TESSERA_ASSIGN_OR_RETURN(auto node_name, spec.GetString("nodeName"));
  TESSERA_ASSIGN_OR_RETURN(auto all_nodes, spec.GetBool("allNodes"));
  TESSERA_ASSIGN_OR_RETURN(auto per_device, spec.GetBool("perDeviceNodeSelection"));
  TESSERA_ASSIGN_OR_RETURN(Field node_selector, spec.GetMap("nodeSelector"));
  const int selections = (node_name && !node_name->empty() ? 1 : 0) +
                         (all_nodes.value_or(false) ? 1 : 0) +
                         (per_device.value_or(false) ? 1 : 0) + (node_selector.present() ? 1 : 0);
  if (selections != 1) {
    return spec.Fail(
        "must set exactly one of nodeName, nodeSelector, allNodes and perDeviceNodeSelection");
  }
  if (per_device.value_or(false)) {
    return Unsupported("per-device node selection is not supported yet")
        .UnderField(spec.Get("perDeviceNodeSelection").path());
  }
  if (node_name && !node_name->empty()) {
    TESSERA_RETURN_IF_ERROR(FailIf(spec.Get("nodeName"), CheckDnsSubdomain(*node_name)));
    slice.node_name = std::move(*node_name);
  }
  slice.all_nodes = all_nodes.value_or(false);
  if (node_selector.present()) {
    TESSERA_ASSIGN_OR_RETURN(Field terms_field, node_selector.GetList("nodeSelectorTerms"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> terms, terms_field.Items());
    if (terms.size() != 1) {
      return terms_field.Fail(fmt::format("must have exactly one term, got {}", terms.size()));
    }
    TESSERA_ASSIGN_OR_RETURN(model::NodeSelectorTermSpec term, ParseNodeSelectorTerm(terms[0]));
    slice.node_selector = std::move(term);
  }

  TESSERA_ASSIGN_OR_RETURN(Field devices_field, spec.GetList("devices"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> devices, devices_field.Items());
  TESSERA_RETURN_IF_ERROR(
      CheckCount(devices_field, devices.size(), kMaxDevicesPerSlice, "devices"));
  std::set<std::string, std::less<>> device_names;
  for (const Field& item : devices) {
    TESSERA_ASSIGN_OR_RETURN(model::DeviceSpec device, ParseDevice(item, shape));
    if (!device_names.insert(device.name).second) {
      return item.Get("name").Fail(fmt::format("duplicate device name {}", Quote(device.name)));
    }
    slice.devices.push_back(std::move(device));
  }

  TESSERA_ASSIGN_OR_RETURN(Field sets_field, spec.GetList("sharedCounters"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> sets, sets_field.Items());
  TESSERA_RETURN_IF_ERROR(
      CheckCount(sets_field, sets.size(), kMaxCounterSetsPerSlice, "counter sets"));
  std::set<std::string, std::less<>> set_names;
  for (const Field& item : sets) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::CounterSetSpec set;
    TESSERA_ASSIGN_OR_RETURN(set.name, item.GetRequiredString("name"));
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(set.name)));
    if (!set_names.insert(set.name).second) {
      return item.Get("name").Fail(fmt::format("duplicate counter set name {}", Quote(set.name)));
    }
    TESSERA_ASSIGN_OR_RETURN(set.counters, ParseCounters(item));
    slice.shared_counters.push_back(std::move(set));
  }
  return slice;
}

Result<model::DeviceClassSpec> ParseDeviceClass(const Field& object, ObjectMeta meta) {
  model::DeviceClassSpec out;
  out.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  TESSERA_ASSIGN_OR_RETURN(out.selectors, ParseSelectors(spec));
  TESSERA_ASSIGN_OR_RETURN(auto extended, spec.GetString("extendedResourceName"));
  if (extended) {
    TESSERA_RETURN_IF_ERROR(
        FailIf(spec.Get("extendedResourceName"), CheckQualifiedName(*extended)));
    out.extended_resource_name = std::move(*extended);
  }
  TESSERA_RETURN_IF_ERROR(spec.GetList("config").status());
  return out;
}

Result<model::ResourceClaimSpec> ParseResourceClaim(const Field& object, ObjectMeta meta,
                                                    DraShape shape, bool is_template) {
  model::ResourceClaimSpec claim;
  claim.namespace_name = std::move(meta.namespace_name);
  claim.name = std::move(meta.name);
  claim.is_template = is_template;
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (is_template) {
    if (!spec.present()) return spec.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(spec, spec.GetMap("spec"));
  }
  // A claim without devices asks for nothing (spec is immutable but may be empty).
  TESSERA_ASSIGN_OR_RETURN(Field devices, spec.GetMap("devices"));
  TESSERA_ASSIGN_OR_RETURN(Field requests_field, devices.GetList("requests"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> requests, requests_field.Items());
  TESSERA_RETURN_IF_ERROR(
      CheckCount(requests_field, requests.size(), kMaxRequestsPerClaim, "requests"));
  std::set<std::string, std::less<>> names;
  for (const Field& item : requests) {
    TESSERA_ASSIGN_OR_RETURN(model::DeviceRequestSpec request, ParseRequest(item, shape));
    if (!names.insert(request.name).second) {
      return item.Get("name").Fail(fmt::format("duplicate request name {}", Quote(request.name)));
    }
    claim.requests.push_back(std::move(request));
  }
  TESSERA_ASSIGN_OR_RETURN(Field constraints, devices.GetList("constraints"));
  TESSERA_ASSIGN_OR_RETURN(claim.constraints, ParseConstraints(constraints, claim.requests));
  TESSERA_RETURN_IF_ERROR(devices.GetList("config").status());
  return claim;
}

Result<DeviceTaintRuleIntake> ParseDeviceTaintRule(const Field& object, ObjectMeta meta) {
  DeviceTaintRuleIntake out;
  model::DeviceTaintRuleSpec rule;
  rule.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(Field selector, spec.GetMap("deviceSelector"));
  TESSERA_ASSIGN_OR_RETURN(auto device_class, selector.GetString("deviceClassName"));
  TESSERA_ASSIGN_OR_RETURN(auto driver, selector.GetString("driver"));
  TESSERA_ASSIGN_OR_RETURN(auto pool, selector.GetString("pool"));
  TESSERA_ASSIGN_OR_RETURN(auto device, selector.GetString("device"));
  if (device_class) rule.device_class_name = std::move(*device_class);
  if (driver) rule.driver = std::move(*driver);
  if (pool) rule.pool = std::move(*pool);
  if (device) rule.device = std::move(*device);
  TESSERA_ASSIGN_OR_RETURN(rule.selectors, ParseSelectors(selector));
  TESSERA_ASSIGN_OR_RETURN(Field taint_field, spec.GetMap("taint"));
  if (!taint_field.present()) return taint_field.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(std::optional<model::TaintSpec> taint, ParseDeviceTaint(taint_field));
  if (!selector.present()) {
    out.ignored_because = "it has no spec.deviceSelector, so it matches no device";
    return out;
  }
  if (!taint) {
    out.ignored_because = "its taint has effect None, which does not affect scheduling";
    return out;
  }
  rule.taint = std::move(*taint);
  out.rule = std::move(rule);
  return out;
}

}  // namespace tessera::io::internal

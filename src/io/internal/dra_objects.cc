#include "io/internal/dra_objects.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
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
constexpr size_t kMaxValidValues = 10;
constexpr size_t kMaxBindingConditions = 4;
constexpr size_t kMaxConfigs = 32;
constexpr size_t kMaxOpaqueParametersBytes = 10 * 1024;

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

// The quantity as written ("80Gi"), quoted, for messages. Requires: `q` is a scalar (it
// passed ParseWholeQuantity).
std::string QuotedText(const Field& q) { return Quote(q.node().Scalar()); }

// capacity[x].requestPolicy of a shareable device, validated as Kubernetes does: at most
// one of validValues (<= 10, strictly ascending, containing default) and validRange
// ({min, max?, step?}: min <= max, step > 0, max and default on min + k * step, default
// inside [min, max]); no value above the capacity's own `value`.
// Example: value 80Gi, {default: 1Gi, validRange: {min: 1Gi, step: 1Gi}} is valid; a
// default of 1536Mi is not on a step, and one of 512Mi lies below min.
Result<model::CapacityRequestPolicySpec> ParseRequestPolicy(const Field& policy,
                                                            const Field& value_field,
                                                            Quantity capacity) {
  if (!policy.is_map()) return policy.WrongType("a mapping");
  model::CapacityRequestPolicySpec out;
  const std::string capacity_text = QuotedText(value_field);
  auto above_capacity = [&](const Field& at) {
    return at.Fail(
        fmt::format("{} is larger than the capacity value {}", QuotedText(at), capacity_text));
  };
  const Field default_field = policy.Get("default");
  if (default_field.present()) {
    TESSERA_ASSIGN_OR_RETURN(Quantity d, ParseWholeQuantity(default_field));
    if (d > capacity) return above_capacity(default_field);
    out.default_value = d;
  }
  TESSERA_ASSIGN_OR_RETURN(Field values_field, policy.GetList("validValues"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> values, values_field.Items());
  TESSERA_ASSIGN_OR_RETURN(Field range_field, policy.GetMap("validRange"));
  if (!values.empty() && range_field.present()) {
    return policy.Fail("must not set both validValues and validRange");
  }
  TESSERA_RETURN_IF_ERROR(CheckCount(values_field, values.size(), kMaxValidValues, "values"));
  for (size_t i = 0; i < values.size(); ++i) {
    TESSERA_ASSIGN_OR_RETURN(Quantity v, ParseWholeQuantity(values[i]));
    if (i > 0 && v <= out.valid_values.back()) {
      return values[i].Fail(fmt::format(
          "{} is not greater than the previous value {}: validValues must be strictly ascending",
          QuotedText(values[i]), QuotedText(values[i - 1])));
    }
    if (v > capacity) return above_capacity(values[i]);
    out.valid_values.push_back(v);
  }
  if (out.default_value && !out.valid_values.empty() &&
      std::find(out.valid_values.begin(), out.valid_values.end(), *out.default_value) ==
          out.valid_values.end()) {
    return default_field.Fail(
        fmt::format("{} is not one of validValues", QuotedText(default_field)));
  }
  if (!range_field.present()) return out;

  model::CapacityRequestPolicySpec::ValidRange range;
  const Field min_field = range_field.Get("min");
  if (!min_field.present()) return min_field.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(range.min, ParseWholeQuantity(min_field));
  if (range.min > capacity) return above_capacity(min_field);
  const Field max_field = range_field.Get("max");
  if (max_field.present()) {
    TESSERA_ASSIGN_OR_RETURN(Quantity max, ParseWholeQuantity(max_field));
    if (max < range.min) {
      return max_field.Fail(
          fmt::format("{} is less than min {}", QuotedText(max_field), QuotedText(min_field)));
    }
    if (max > capacity) return above_capacity(max_field);
    range.max = max;
  }
  const Field step_field = range_field.Get("step");
  // `value` is on the range's grid: min + k * step for some k >= 0 (value >= min).
  auto off_step = [&](const Field& at, Quantity value) -> Status {
    if (!range.step || (value - range.min).value() % range.step->value() == 0) return OkStatus();
    return at.Fail(fmt::format("{} is not min {} plus a multiple of step {}", QuotedText(at),
                               QuotedText(min_field), QuotedText(step_field)));
  };
  if (step_field.present()) {
    TESSERA_ASSIGN_OR_RETURN(Quantity step, ParseWholeQuantity(step_field));
    if (step.value() == 0) return step_field.Fail("must be greater than zero, got \"0\"");
    // min <= capacity here, so the subtraction cannot overflow.
    if (step > capacity - range.min) {
      return step_field.Fail(fmt::format("min {} plus step {} is larger than the capacity value {}",
                                         QuotedText(min_field), QuotedText(step_field),
                                         capacity_text));
    }
    range.step = step;
    if (range.max) TESSERA_RETURN_IF_ERROR(off_step(max_field, *range.max));
  }
  if (out.default_value) {
    const Quantity d = *out.default_value;
    if (d < range.min) {
      return default_field.Fail(fmt::format("{} is outside validRange: less than min {}",
                                            QuotedText(default_field), QuotedText(min_field)));
    }
    if (range.max && d > *range.max) {
      return default_field.Fail(fmt::format("{} is outside validRange: greater than max {}",
                                            QuotedText(default_field), QuotedText(max_field)));
    }
    TESSERA_RETURN_IF_ERROR(off_step(default_field, d));
  }
  out.valid_range = std::move(range);
  return out;
}

// A device's capacity map. A requestPolicy needs allowMultipleAllocations: true.
Status ParseCapacities(const std::vector<std::pair<std::string, Field>>& entries,
                       bool allow_multiple_allocations, model::DeviceSpec& device) {
  for (const auto& [name, cap] : entries) {
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
      const Field policy = cap.Get("requestPolicy");
      if (policy.present()) {
        if (!allow_multiple_allocations) {
          return policy.Fail("must not be set unless allowMultipleAllocations is true");
        }
        TESSERA_ASSIGN_OR_RETURN(c.request_policy, ParseRequestPolicy(policy, value, c.value));
      }
    }
    device.capacity.push_back(std::move(c));
  }
  return OkStatus();
}

// A device taint from a slice. Effects NoSchedule and NoExecute are returned; None
// (Kubernetes 1.35+) and effects unknown to us never block allocation (dra.md §2.4), so
// they are validated like a None taint and dropped. PreferNoSchedule exists only for
// node taints and is rejected as a likely mistake.
Result<std::optional<model::TaintSpec>> ParseSliceDeviceTaint(const Field& taint) {
  if (!taint.is_map()) return taint.WrongType("a mapping");
  TESSERA_ASSIGN_OR_RETURN(auto effect, taint.GetString("effect"));
  if (!effect || effect->empty() || *effect == "NoSchedule" || *effect == "NoExecute" ||
      *effect == "None") {
    return ParseDeviceTaint(taint);
  }
  if (*effect == "PreferNoSchedule") {
    return taint.Get("effect").Fail(
        "\"PreferNoSchedule\" is a node taint effect: a device taint's effect must be "
        "NoSchedule, NoExecute or None");
  }
  YAML::Node as_none = YAML::Clone(taint.node());
  as_none["effect"] = "None";
  TESSERA_ASSIGN_OR_RETURN(auto none, ParseDeviceTaint(Field(as_none, taint.path())));
  (void)none;
  return std::optional<model::TaintSpec>();
}

// bindingConditions or bindingFailureConditions: <= 4 distinct condition types (label keys).
Result<std::vector<std::string>> ParseConditionTypes(const Field& body, std::string_view key) {
  TESSERA_ASSIGN_OR_RETURN(Field list, body.GetList(key));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  TESSERA_RETURN_IF_ERROR(CheckCount(list, items.size(), kMaxBindingConditions, "conditions"));
  std::vector<std::string> out;
  for (const Field& item : items) {
    TESSERA_ASSIGN_OR_RETURN(std::string type, item.AsString());
    TESSERA_RETURN_IF_ERROR(FailIf(item, CheckQualifiedName(type)));
    if (std::find(out.begin(), out.end(), type) != out.end()) {
      return item.Fail(fmt::format("duplicate condition {}", Quote(type)));
    }
    out.push_back(std::move(type));
  }
  return out;
}

// bindsToNode, bindingConditions and bindingFailureConditions (KEP-5007). As in
// Kubernetes, the two lists are set together and do not overlap.
Status ParseBinding(const Field& body, model::DeviceSpec& device) {
  TESSERA_ASSIGN_OR_RETURN(auto binds, body.GetBool("bindsToNode"));
  device.binds_to_node = binds.value_or(false);
  TESSERA_ASSIGN_OR_RETURN(device.binding_conditions,
                           ParseConditionTypes(body, "bindingConditions"));
  TESSERA_ASSIGN_OR_RETURN(device.binding_failure_conditions,
                           ParseConditionTypes(body, "bindingFailureConditions"));
  const auto& conditions = device.binding_conditions;
  const auto& failure_conditions = device.binding_failure_conditions;
  if (!conditions.empty() && failure_conditions.empty()) {
    return body.Get("bindingFailureConditions").Fail("required when bindingConditions is set");
  }
  if (conditions.empty() && !failure_conditions.empty()) {
    return body.Get("bindingConditions").Fail("required when bindingFailureConditions is set");
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> failure_items,
                           body.Get("bindingFailureConditions").Items());
  for (size_t i = 0; i < failure_conditions.size(); ++i) {
    if (std::find(conditions.begin(), conditions.end(), failure_conditions[i]) !=
        conditions.end()) {
      return failure_items[i].Fail(
          fmt::format("{} is also listed in bindingConditions", Quote(failure_conditions[i])));
    }
  }
  return OkStatus();
}

// A node selector with exactly one term (slices and per-device node selection).
Result<model::NodeSelectorTermSpec> ParseSingleTermNodeSelector(const Field& node_selector) {
  TESSERA_ASSIGN_OR_RETURN(Field terms_field, node_selector.GetList("nodeSelectorTerms"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> terms, terms_field.Items());
  if (terms.size() != 1) {
    return terms_field.Fail(fmt::format("must have exactly one term, got {}", terms.size()));
  }
  return ParseNodeSelectorTerm(terms[0]);
}

// A device's own nodeName / nodeSelector / allNodes: exactly one of them in a slice with
// perDeviceNodeSelection, none in any other slice.
Status ParseDeviceNodeSelection(const Field& body, bool per_device_node_selection,
                                model::DeviceSpec& device) {
  if (!per_device_node_selection) {
    for (std::string_view key : {"nodeName", "nodeSelector", "allNodes"}) {
      if (body.Has(key)) {
        return body.Get(key).Fail("must not be set unless spec.perDeviceNodeSelection is true");
      }
    }
    return OkStatus();
  }
  TESSERA_ASSIGN_OR_RETURN(auto node_name, body.GetString("nodeName"));
  TESSERA_ASSIGN_OR_RETURN(auto all_nodes, body.GetBool("allNodes"));
  TESSERA_ASSIGN_OR_RETURN(Field node_selector, body.GetMap("nodeSelector"));
  const int selections = (node_name && !node_name->empty() ? 1 : 0) +
                         (all_nodes.value_or(false) ? 1 : 0) + (node_selector.present() ? 1 : 0);
  if (selections != 1) {
    return body.Fail(
        "must set exactly one of nodeName, nodeSelector and allNodes when "
        "spec.perDeviceNodeSelection is true");
  }
  if (node_name && !node_name->empty()) {
    TESSERA_RETURN_IF_ERROR(FailIf(body.Get("nodeName"), CheckDnsSubdomain(*node_name)));
    device.node_name = std::move(*node_name);
  }
  device.all_nodes = all_nodes.value_or(false);
  if (node_selector.present()) {
    TESSERA_ASSIGN_OR_RETURN(device.node_selector, ParseSingleTermNodeSelector(node_selector));
  }
  return OkStatus();
}

// Whether `ref` names a request of the claim ("gpu") or a subrequest ("nic/fast").
bool NamesRequest(const std::vector<model::DeviceRequestSpec>& requests, std::string_view ref) {
  const size_t slash = ref.find('/');
  const std::string_view request = ref.substr(0, slash);
  for (const auto& r : requests) {
    if (r.name != request) continue;
    if (slash == std::string_view::npos) return true;
    const std::string_view sub = ref.substr(slash + 1);
    for (const auto& s : r.first_available) {
      if (s.name == sub) return true;
    }
  }
  return false;
}

// JSON for a plain (unquoted) YAML scalar under the YAML 1.2 core schema, which is how
// Tessera reads every other field: null, booleans, integers (decimal, 0x, 0o) and floats
// become JSON values, anything else (".inf" included) a string.
nlohmann::json PlainScalarToJson(const std::string& text) {
  using Json = nlohmann::json;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return Json(nullptr);
  }
  if (text == "true" || text == "True" || text == "TRUE") return Json(true);
  if (text == "false" || text == "False" || text == "FALSE") return Json(false);
  std::string_view digits = text;
  if (digits.front() == '+') digits.remove_prefix(1);
  const char* const end = digits.data() + digits.size();
  const bool is_decimal = !digits.empty() &&
                          std::all_of(digits.begin() + (digits.front() == '-' ? 1 : 0),
                                      digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                          digits != "-";
  if (is_decimal) {
    int64_t i = 0;
    if (auto [p, ec] = std::from_chars(digits.data(), end, i); ec == std::errc() && p == end) {
      return Json(i);
    }
    uint64_t u = 0;
    if (auto [p, ec] = std::from_chars(digits.data(), end, u); ec == std::errc() && p == end) {
      return Json(u);
    }
  }
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    uint64_t u = 0;
    const int base = text[1] == 'x' ? 16 : 8;
    const char* const text_end = text.data() + text.size();
    if (auto [p, ec] = std::from_chars(text.data() + 2, text_end, u, base);
        ec == std::errc() && p == text_end) {
      return Json(u);
    }
  }
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = digits.empty() || digits.front() != '-' ? 0 : 1;
  auto skip_digits = [&] {
    const size_t start = i;
    while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i;
    return i - start;
  };
  size_t mantissa_digits = skip_digits();
  if (i < digits.size() && digits[i] == '.') {
    ++i;
    mantissa_digits += skip_digits();
  }
  bool is_float = mantissa_digits > 0;
  if (is_float && i < digits.size() && (digits[i] == 'e' || digits[i] == 'E')) {
    ++i;
    if (i < digits.size() && (digits[i] == '+' || digits[i] == '-')) ++i;
    is_float = skip_digits() > 0;
  }
  if (is_float && i == digits.size()) {
    double d = 0;
    if (auto [p, ec] = std::from_chars(digits.data(), end, d);
        ec == std::errc() && p == end && std::isfinite(d)) {
      return Json(d);
    }
  }
  return Json(text);
}

// `value` as JSON: mappings become objects (keys sorted, as Kubernetes stores them),
// sequences arrays, quoted scalars strings. Recursion is bounded by kMaxDocumentDepth,
// which every document was checked against when it was read.
Status ToJson(const Field& value, nlohmann::json& out) {
  const YAML::Node& node = value.node();
  if (!value.present()) {
    out = nullptr;
  } else if (node.IsScalar()) {
    out = IsPlainScalar(node) ? PlainScalarToJson(node.Scalar()) : nlohmann::json(node.Scalar());
  } else if (node.IsSequence()) {
    out = nlohmann::json::array();
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, value.Items());
    for (const Field& item : items) {
      nlohmann::json element;
      TESSERA_RETURN_IF_ERROR(ToJson(item, element));
      out.push_back(std::move(element));
    }
  } else {
    out = nlohmann::json::object();
    TESSERA_ASSIGN_OR_RETURN(auto entries, value.Entries());
    for (const auto& [key, child] : entries) {
      TESSERA_RETURN_IF_ERROR(ToJson(child, out[key]));
    }
  }
  return OkStatus();
}

// spec.config (DeviceClass) or spec.devices.config (claims): `{requests?, opaque: {driver,
// parameters}}`. `requests` is nullptr for a DeviceClass, whose entries may not name
// requests; for a claim every name must be one of its requests or subrequests.
Result<std::vector<model::OpaqueConfigSpec>> ParseConfigs(
    const Field& list, const std::vector<model::DeviceRequestSpec>* requests) {
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  TESSERA_RETURN_IF_ERROR(CheckCount(list, items.size(), kMaxConfigs, "config entries"));
  std::vector<model::OpaqueConfigSpec> out;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::OpaqueConfigSpec config;
    TESSERA_ASSIGN_OR_RETURN(Field refs_field, item.GetList("requests"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> refs, refs_field.Items());
    if (requests == nullptr && !refs.empty()) {
      return refs_field.Fail("is not allowed in a DeviceClass");
    }
    for (const Field& ref : refs) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, ref.AsString());
      if (!NamesRequest(*requests, name)) {
        return ref.Fail(fmt::format("{} names no request of this claim", Quote(name)));
      }
      config.requests.push_back(std::move(name));
    }
    TESSERA_ASSIGN_OR_RETURN(Field opaque, item.GetMap("opaque"));
    if (!opaque.present()) return opaque.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(config.driver, opaque.GetRequiredString("driver"));
    TESSERA_RETURN_IF_ERROR(FailIf(opaque.Get("driver"), CheckDnsSubdomain(config.driver, 63)));
    const Field parameters = opaque.Get("parameters");
    if (!parameters.present()) return parameters.Fail("required field is missing");
    if (!parameters.is_map()) return parameters.WrongType("a mapping");
    nlohmann::json json;
    TESSERA_RETURN_IF_ERROR(ToJson(parameters, json));
    // Invalid UTF-8 in a string becomes U+FFFD instead of throwing.
    config.parameters_json = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (config.parameters_json.size() > kMaxOpaqueParametersBytes) {
      return parameters.Fail(fmt::format("must be no more than {} bytes as JSON, got {}",
                                         kMaxOpaqueParametersBytes, config.parameters_json.size()));
    }
    out.push_back(std::move(config));
  }
  return out;
}

// The device fields shared by both shapes; `body` is the device (v1) or its `basic:` (v1beta1).
Status ParseDeviceBody(const Field& body, bool per_device_node_selection,
                       model::DeviceSpec& device) {
  TESSERA_ASSIGN_OR_RETURN(auto multiple, body.GetBool("allowMultipleAllocations"));
  device.allow_multiple_allocations = multiple.value_or(false);
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
  TESSERA_RETURN_IF_ERROR(
      ParseCapacities(capacity_entries, device.allow_multiple_allocations, device));
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
    TESSERA_ASSIGN_OR_RETURN(std::optional<model::TaintSpec> taint, ParseSliceDeviceTaint(t));
    if (taint) device.taints.push_back(std::move(*taint));
  }
  TESSERA_RETURN_IF_ERROR(ParseDeviceNodeSelection(body, per_device_node_selection, device));
  return ParseBinding(body, device);
}

Result<model::DeviceSpec> ParseDevice(const Field& item, DraShape shape,
                                      bool per_device_node_selection) {
  if (!item.is_map()) return item.WrongType("a mapping");
  model::DeviceSpec device;
  TESSERA_ASSIGN_OR_RETURN(device.name, item.GetRequiredString("name"));
  TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(device.name)));
  if (shape == DraShape::kV1Beta1) {
    TESSERA_ASSIGN_OR_RETURN(Field basic, item.GetMap("basic"));
    if (!basic.present()) return basic.Fail("required field is missing");
    TESSERA_RETURN_IF_ERROR(ParseDeviceBody(basic, per_device_node_selection, device));
  } else {
    TESSERA_RETURN_IF_ERROR(ParseDeviceBody(item, per_device_node_selection, device));
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
  std::vector<model::DeviceConstraintSpec> out;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::DeviceConstraintSpec c;
    TESSERA_ASSIGN_OR_RETURN(Field refs_field, item.GetList("requests"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> refs, refs_field.Items());
    for (const Field& ref : refs) {
      TESSERA_ASSIGN_OR_RETURN(std::string name, ref.AsString());
      if (!NamesRequest(requests, name)) {
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
  slice.per_device_node_selection = per_device.value_or(false);
  if (node_name && !node_name->empty()) {
    TESSERA_RETURN_IF_ERROR(FailIf(spec.Get("nodeName"), CheckDnsSubdomain(*node_name)));
    slice.node_name = std::move(*node_name);
  }
  slice.all_nodes = all_nodes.value_or(false);
  if (node_selector.present()) {
    TESSERA_ASSIGN_OR_RETURN(slice.node_selector, ParseSingleTermNodeSelector(node_selector));
  }

  TESSERA_ASSIGN_OR_RETURN(Field devices_field, spec.GetList("devices"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> devices, devices_field.Items());
  TESSERA_RETURN_IF_ERROR(
      CheckCount(devices_field, devices.size(), kMaxDevicesPerSlice, "devices"));
  std::set<std::string, std::less<>> device_names;
  for (const Field& item : devices) {
    TESSERA_ASSIGN_OR_RETURN(model::DeviceSpec device,
                             ParseDevice(item, shape, slice.per_device_node_selection));
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
  TESSERA_ASSIGN_OR_RETURN(Field config, spec.GetList("config"));
  TESSERA_ASSIGN_OR_RETURN(out.config, ParseConfigs(config, /*requests=*/nullptr));
  return out;
}

// status.allocation.devices.results and status.reservedFor of a claim read from a live
// cluster: the devices it holds and the pods it is reserved for.
Status ParseClaimStatus(const Field& object, model::ResourceClaimSpec& claim) {
  TESSERA_ASSIGN_OR_RETURN(Field status, object.GetMap("status"));
  TESSERA_ASSIGN_OR_RETURN(Field allocation, status.GetMap("allocation"));
  if (allocation.present()) {
    claim.allocated = true;
    TESSERA_ASSIGN_OR_RETURN(Field devices, allocation.GetMap("devices"));
    TESSERA_ASSIGN_OR_RETURN(Field results_field, devices.GetList("results"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> results, results_field.Items());
    TESSERA_RETURN_IF_ERROR(
        CheckCount(results_field, results.size(), kMaxRequestsPerClaim, "results"));
    for (const Field& item : results) {
      if (!item.is_map()) return item.WrongType("a mapping");
      model::AllocatedDeviceSpec row;
      TESSERA_ASSIGN_OR_RETURN(row.request, item.GetRequiredString("request"));
      TESSERA_ASSIGN_OR_RETURN(row.driver, item.GetRequiredString("driver"));
      TESSERA_ASSIGN_OR_RETURN(row.pool, item.GetRequiredString("pool"));
      TESSERA_ASSIGN_OR_RETURN(row.device, item.GetRequiredString("device"));
      TESSERA_ASSIGN_OR_RETURN(auto admin, item.GetBool("adminAccess"));
      row.admin_access = admin.value_or(false);
      TESSERA_ASSIGN_OR_RETURN(auto share_id, item.GetString("shareID"));
      if (share_id) row.share_id = std::move(*share_id);
      TESSERA_ASSIGN_OR_RETURN(Field consumed, item.GetMap("consumedCapacity"));
      TESSERA_ASSIGN_OR_RETURN(auto entries, consumed.Entries());
      for (const auto& [name, value] : entries) {
        TESSERA_ASSIGN_OR_RETURN(Quantity q, ParseWholeQuantity(value));
        row.consumed_capacity.emplace_back(name, q);
      }
      claim.allocation.push_back(std::move(row));
    }
  }
  TESSERA_ASSIGN_OR_RETURN(Field reserved_field, status.GetList("reservedFor"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> reserved, reserved_field.Items());
  if (reserved.size() > 256) {
    return reserved_field.Fail(fmt::format("has {} entries; at most 256 are allowed", reserved.size()));
  }
  for (const Field& item : reserved) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_ASSIGN_OR_RETURN(auto resource, item.GetString("resource"));
    TESSERA_ASSIGN_OR_RETURN(std::string name, item.GetRequiredString("name"));
    if (!resource || *resource == "pods") claim.reserved_for.push_back(std::move(name));
  }
  return OkStatus();
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
  TESSERA_ASSIGN_OR_RETURN(Field config, devices.GetList("config"));
  TESSERA_ASSIGN_OR_RETURN(claim.config, ParseConfigs(config, &claim.requests));
  if (!is_template) TESSERA_RETURN_IF_ERROR(ParseClaimStatus(object, claim));
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

#include "io/internal/common.h"

#include <fmt/format.h>

#include <charconv>
#include <system_error>
#include <utility>

#include "io/internal/names.h"
#include "model/resources.h"

namespace tessera::io::internal {
namespace {

Status FailIf(const Field& at, std::string message) {
  if (message.empty()) return OkStatus();
  return at.Fail(std::move(message));
}

bool IsInteger(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

Result<model::TaintEffect> ParseEffect(const Field& at, std::string_view text, bool device) {
  if (text == "NoSchedule") return model::TaintEffect::kNoSchedule;
  if (text == "NoExecute") return model::TaintEffect::kNoExecute;
  if (text == "PreferNoSchedule" && !device) return model::TaintEffect::kPreferNoSchedule;
  return at.Fail(fmt::format("{} is not a valid {} effect: must be one of {}", Quote(text),
                             device ? "device taint" : "taint",
                             device ? "NoSchedule, NoExecute"
                                    : "NoSchedule, PreferNoSchedule, "
                                      "NoExecute"));
}

Result<model::SelectorOperator> ParseSelectorOperator(const Field& at, std::string_view text) {
  using Op = model::SelectorOperator;
  if (text == "In") return Op::kIn;
  if (text == "NotIn") return Op::kNotIn;
  if (text == "Exists") return Op::kExists;
  if (text == "DoesNotExist") return Op::kDoesNotExist;
  if (text == "Gt") return Op::kGt;
  if (text == "Lt") return Op::kLt;
  return at.Fail(fmt::format(
      "{} is not a valid operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt",
      Quote(text)));
}

Result<model::NodeSelectorRequirementSpec> ParseRequirement(const Field& req, bool is_field) {
  TESSERA_RETURN_IF_ERROR(req.ExpectMap());
  if (!req.present()) return req.WrongType("a mapping");
  model::NodeSelectorRequirementSpec out;
  out.is_field = is_field;
  TESSERA_ASSIGN_OR_RETURN(out.key, req.GetRequiredString("key"));
  if (is_field) {
    if (out.key != "metadata.name") {
      return req.Get("key").Fail(fmt::format(
          "{} is not a supported node field: only \"metadata.name\" is", Quote(out.key)));
    }
  } else {
    TESSERA_RETURN_IF_ERROR(FailIf(req.Get("key"), CheckQualifiedName(out.key)));
  }
  const Field op_field = req.Get("operator");
  TESSERA_ASSIGN_OR_RETURN(std::string op_text, req.GetRequiredString("operator"));
  TESSERA_ASSIGN_OR_RETURN(out.op, ParseSelectorOperator(op_field, op_text));
  TESSERA_ASSIGN_OR_RETURN(Field values_field, req.GetList("values"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> values, values_field.Items());
  for (const Field& v : values) {
    TESSERA_ASSIGN_OR_RETURN(std::string text, v.AsString());
    out.values.push_back(std::move(text));
  }
  using Op = model::SelectorOperator;
  switch (out.op) {
    case Op::kIn:
    case Op::kNotIn:
      if (out.values.empty()) {
        return values_field.Fail(fmt::format("must be non-empty when operator is {}", op_text));
      }
      if (is_field && out.values.size() != 1) {
        return values_field.Fail(fmt::format(
            "must have exactly one value when operator is {} for a node field", op_text));
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!out.values.empty()) {
        return values_field.Fail(fmt::format("must be empty when operator is {}", op_text));
      }
      break;
    case Op::kGt:
    case Op::kLt:
      if (out.values.size() != 1) {
        return values_field.Fail(
            fmt::format("must have exactly one value when operator is {}", op_text));
      }
      if (!IsInteger(out.values[0])) {
        return values[0].Fail(fmt::format("must be an integer when operator is {}, got {}", op_text,
                                          Quote(out.values[0])));
      }
      break;
  }
  if (is_field && out.op != Op::kIn && out.op != Op::kNotIn) {
    return op_field.Fail(
        fmt::format("{} is not supported for a node field: must be In or NotIn", Quote(op_text)));
  }
  return out;
}

}  // namespace

Status CheckObjectName(const Field& at, std::string_view value, NameRule rule) {
  return FailIf(at, rule == NameRule::kDnsLabel ? CheckDnsLabel(value) : CheckDnsSubdomain(value));
}

Result<ObjectMeta> ParseMetadata(const Field& object, bool namespaced, NameRule rule,
                                 bool allow_generate_name) {
  ObjectMeta meta;
  TESSERA_ASSIGN_OR_RETURN(Field metadata, object.GetMap("metadata"));
  if (!metadata.present()) return metadata.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> name, metadata.GetString("name"));
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> generate_name,
                           metadata.GetString("generateName"));
  if (name && !name->empty()) {
    TESSERA_RETURN_IF_ERROR(CheckObjectName(metadata.Get("name"), *name, rule));
    meta.name = std::move(*name);
  } else if (allow_generate_name && generate_name && !generate_name->empty()) {
    // Validated as Kubernetes does: as a name whose trailing '-' stands for a character.
    std::string masked = *generate_name;
    if (masked.back() == '-') masked.back() = 'a';
    TESSERA_RETURN_IF_ERROR(CheckObjectName(metadata.Get("generateName"), masked, rule));
    meta.generate_name = std::move(*generate_name);
  } else {
    return metadata.Get("name").Fail("required field is missing");
  }
  if (namespaced) {
    TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> ns, metadata.GetString("namespace"));
    meta.namespace_name = ns && !ns->empty() ? std::move(*ns) : std::string("default");
    TESSERA_RETURN_IF_ERROR(FailIf(metadata.Get("namespace"), CheckDnsLabel(meta.namespace_name)));
  }
  TESSERA_ASSIGN_OR_RETURN(Field labels, metadata.GetMap("labels"));
  TESSERA_ASSIGN_OR_RETURN(meta.labels, labels.StringMap());
  for (const auto& [key, value] : meta.labels) {
    const Field at = labels.Get(key);
    TESSERA_RETURN_IF_ERROR(FailIf(at, CheckQualifiedName(key)));
    TESSERA_RETURN_IF_ERROR(FailIf(at, CheckLabelValue(value)));
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> created,
                           metadata.GetString("creationTimestamp"));
  if (created) {
    meta.creation_unix_seconds = ParseRfc3339(*created);
    if (!meta.creation_unix_seconds) {
      return metadata.Get("creationTimestamp")
          .Fail(fmt::format("{} is not an RFC 3339 time like \"2024-05-01T12:00:00Z\"",
                            Quote(*created)));
    }
  }
  return meta;
}

Result<Quantity> ParseResourceQuantity(const Field& value, std::string_view resource_name) {
  if (!value.is_scalar()) return value.WrongType("a quantity");
  const std::string& text = value.node().Scalar();
  if (model::IsExtendedResourceName(resource_name)) {
    // Parse in thousandths first so that "0.5" reads as a fraction, not as malformed.
    auto milli = ParseQuantity(text, QuantityUnit::Milli());
    if (milli.ok() && milli->value() % 1000 != 0) {
      return value.Fail(
          fmt::format("must be a whole number for an extended resource, got {}", Quote(text)));
    }
  }
  auto parsed = ParseQuantity(text, model::UnitForResource(resource_name));
  if (!parsed.ok()) return std::move(parsed).error().UnderField(value.path());
  if (parsed->value() < 0) {
    return value.Fail(fmt::format("must not be negative, got {}", Quote(text)));
  }
  return *parsed;
}

Result<Quantity> ParseWholeQuantity(const Field& value) {
  if (!value.is_scalar()) return value.WrongType("a quantity");
  const std::string& text = value.node().Scalar();
  auto parsed = ParseQuantity(text, QuantityUnit::Whole());
  if (!parsed.ok()) return std::move(parsed).error().UnderField(value.path());
  if (parsed->value() < 0) {
    return value.Fail(fmt::format("must not be negative, got {}", Quote(text)));
  }
  return *parsed;
}

Result<model::TaintSpec> ParseNodeTaint(const Field& taint) {
  if (!taint.is_map()) return taint.WrongType("a mapping");
  model::TaintSpec out;
  TESSERA_ASSIGN_OR_RETURN(out.key, taint.GetRequiredString("key"));
  TESSERA_RETURN_IF_ERROR(FailIf(taint.Get("key"), CheckQualifiedName(out.key)));
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> value, taint.GetString("value"));
  if (value) out.value = std::move(*value);
  TESSERA_RETURN_IF_ERROR(FailIf(taint.Get("value"), CheckLabelValue(out.value)));
  TESSERA_ASSIGN_OR_RETURN(std::string effect, taint.GetRequiredString("effect"));
  TESSERA_ASSIGN_OR_RETURN(out.effect, ParseEffect(taint.Get("effect"), effect, false));
  return out;
}

Result<std::optional<model::TaintSpec>> ParseDeviceTaint(const Field& taint) {
  if (!taint.is_map()) return taint.WrongType("a mapping");
  model::TaintSpec out;
  TESSERA_ASSIGN_OR_RETURN(out.key, taint.GetRequiredString("key"));
  TESSERA_RETURN_IF_ERROR(FailIf(taint.Get("key"), CheckQualifiedName(out.key)));
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> value, taint.GetString("value"));
  if (value) out.value = std::move(*value);
  TESSERA_RETURN_IF_ERROR(FailIf(taint.Get("value"), CheckLabelValue(out.value)));
  TESSERA_ASSIGN_OR_RETURN(std::string effect, taint.GetRequiredString("effect"));
  if (effect == "None") return std::optional<model::TaintSpec>();
  TESSERA_ASSIGN_OR_RETURN(out.effect, ParseEffect(taint.Get("effect"), effect, true));
  return std::optional<model::TaintSpec>(std::move(out));
}

Result<model::TolerationSpec> ParseToleration(const Field& toleration) {
  if (!toleration.is_map()) return toleration.WrongType("a mapping");
  model::TolerationSpec out;
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> key, toleration.GetString("key"));
  if (key) out.key = std::move(*key);
  if (!out.key.empty()) {
    TESSERA_RETURN_IF_ERROR(FailIf(toleration.Get("key"), CheckQualifiedName(out.key)));
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> op, toleration.GetString("operator"));
  if (!op || op->empty() || *op == "Equal") {
    out.op = model::TolerationOperator::kEqual;
  } else if (*op == "Exists") {
    out.op = model::TolerationOperator::kExists;
  } else {
    return toleration.Get("operator")
        .Fail(fmt::format("{} is not a valid toleration operator: must be Equal or Exists",
                          Quote(*op)));
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> value, toleration.GetString("value"));
  if (value) out.value = std::move(*value);
  if (out.op == model::TolerationOperator::kExists && !out.value.empty()) {
    return toleration.Get("value").Fail("must be empty when operator is Exists");
  }
  TESSERA_RETURN_IF_ERROR(FailIf(toleration.Get("value"), CheckLabelValue(out.value)));
  if (out.key.empty() && out.op != model::TolerationOperator::kExists) {
    return toleration.Get("operator").Fail("must be Exists when key is empty");
  }
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> effect, toleration.GetString("effect"));
  if (effect && !effect->empty()) {
    TESSERA_ASSIGN_OR_RETURN(model::TaintEffect e,
                             ParseEffect(toleration.Get("effect"), *effect, false));
    out.effect = e;
  }
  // tolerationSeconds only matters for eviction; it is kept so that DRA results can copy
  // the request's tolerations unchanged, as Kubernetes does.
  TESSERA_ASSIGN_OR_RETURN(out.toleration_seconds, toleration.GetInt("tolerationSeconds"));
  return out;
}

Result<model::NodeSelectorTermSpec> ParseNodeSelectorTerm(const Field& term) {
  if (!term.is_map()) return term.WrongType("a mapping");
  model::NodeSelectorTermSpec out;
  for (const bool is_field : {false, true}) {
    TESSERA_ASSIGN_OR_RETURN(Field list,
                             term.GetList(is_field ? "matchFields" : "matchExpressions"));
    TESSERA_ASSIGN_OR_RETURN(std::vector<Field> reqs, list.Items());
    for (const Field& req : reqs) {
      TESSERA_ASSIGN_OR_RETURN(model::NodeSelectorRequirementSpec r,
                               ParseRequirement(req, is_field));
      out.requirements.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace tessera::io::internal

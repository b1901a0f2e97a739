#include "io/decision_output.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/check.h"

namespace tessera::io {
namespace {

using model::Decision;
using model::Outcome;
using model::ReasonCount;
using model::RejectReason;
using Json = nlohmann::ordered_json;

// yaml-cpp tags: "?" for plain scalars, "!" for quoted ones, "" for nodes built in code.
constexpr std::string_view kPlainTag = "?";
constexpr std::string_view kQuotedTag = "!";

// --- messages -----------------------------------------------------------------------------

std::string ClaimReasonText(const model::Snapshot& snapshot,
                            std::span<const model::ClaimAllocation> claims,
                            const ReasonCount& reason) {
  std::string claim = "#" + std::to_string(reason.arg);
  std::string request = "#" + std::to_string(reason.arg2);
  if (reason.arg < claims.size()) {
    const model::ClaimAllocation& c = claims[reason.arg];
    claim = c.name;
    const auto& spec = snapshot.resource_claims()[c.claim_spec];
    if (reason.arg2 < spec.requests.size()) request = spec.requests[reason.arg2].name;
    if (reason.reason == RejectReason::kClaimUnusable) {
      return fmt::format("claim {} cannot be used: {}", claim, c.problem);
    }
  }
  std::string_view why;
  switch (reason.reason) {
    case RejectReason::kClaimSelectorError:
      why = "a device selector failed to evaluate";
      break;
    case RejectReason::kClaimNoMatchingDevice:
      why = "no device matches its selectors";
      break;
    case RejectReason::kClaimUntoleratedTaint:
      why = "the matching devices have taints it does not tolerate";
      break;
    case RejectReason::kClaimNotEnoughFree:
      why = "not enough free matching devices";
      break;
    case RejectReason::kClaimConstraint:
      why = "no combination of devices satisfies its constraints";
      break;
    case RejectReason::kClaimTooComplex:
      why = "the device search exceeded its budget";
      break;
    case RejectReason::kClaimIncompletePool:
      why = "a ResourceSlice pool it would use is incomplete";
      break;
    case RejectReason::kClaimAllocatedElsewhere:
      return fmt::format("node(s) cannot use claim {}: it is allocated to devices elsewhere",
                         claim);
    case RejectReason::kClaimTooManyConsumers:
      return fmt::format("node(s) cannot use claim {}: it is already reserved for 256 pods", claim);
    case RejectReason::kClaimNoExecute:
      return fmt::format(
          "node(s) cannot use claim {}: its devices have a NoExecute taint it "
          "does not tolerate",
          claim);
    default:
      why = "cannot be allocated";
  }
  return fmt::format("node(s) cannot allocate claim {} request {}: {}", claim, request, why);
}

std::string ReasonText(const model::Snapshot& snapshot,
                       std::span<const model::ClaimAllocation> claims, const ReasonCount& reason) {
  switch (reason.reason) {
    case RejectReason::kNodeUnschedulable:
      return "node(s) were unschedulable";
    case RejectReason::kUntoleratedTaint: {
      // arg: the taint's LabelKeyId, arg2: its LabelValueId ("" is interned like any value).
      const model::LabelValueId value(reason.arg2);
      return fmt::format("node(s) had untolerated taint {{{}: {}}}",
                         snapshot.label_key(model::LabelKeyId(reason.arg)),
                         value.valid() ? snapshot.label_value(value) : std::string());
    }
    case RejectReason::kNodeAffinity:
      return "node(s) didn't match Pod's node affinity/selector";
    case RejectReason::kTooManyPods:
      return "Too many pods";
    case RejectReason::kInsufficientResource:
      TESSERA_CHECK(reason.arg < snapshot.num_resources()) << "resource id " << reason.arg;
      return "Insufficient " + snapshot.resource_name(model::ResourceId(reason.arg));
    case RejectReason::kClaimUnusable:
    case RejectReason::kClaimSelectorError:
    case RejectReason::kClaimNoMatchingDevice:
    case RejectReason::kClaimUntoleratedTaint:
    case RejectReason::kClaimNotEnoughFree:
    case RejectReason::kClaimConstraint:
    case RejectReason::kClaimTooComplex:
    case RejectReason::kClaimIncompletePool:
    case RejectReason::kClaimAllocatedElsewhere:
    case RejectReason::kClaimTooManyConsumers:
    case RejectReason::kClaimNoExecute:
      return ClaimReasonText(snapshot, claims, reason);
  }
  TESSERA_CHECK(false) << "unknown RejectReason " << static_cast<int>(reason.reason);
  return {};
}

// --- YAML 1.2 core schema -----------------------------------------------------------------

enum class ScalarKind : uint8_t { kNull, kBool, kInt, kFloat, kString };

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), s) != words.end();
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctalDigit(char c) { return c >= '0' && c <= '7'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view StripSign(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s;
}

// [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsCoreFloat(std::string_view s) {
  s = StripSign(s);
  size_t i = 0;
  size_t int_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    return AllOf(StripSign(s.substr(i + 1)), IsDigit);
  }
  return i == s.size();
}

// How a plain scalar reads under the YAML 1.2 core schema.
ScalarKind CoreSchemaKind(std::string_view s) {
  if (IsOneOf(s, {"", "~", "null", "Null", "NULL"})) return ScalarKind::kNull;
  if (IsOneOf(s, {"true", "True", "TRUE", "false", "False", "FALSE"})) return ScalarKind::kBool;
  if (AllOf(StripSign(s), IsDigit)) return ScalarKind::kInt;
  if (s.starts_with("0o") && AllOf(s.substr(2), IsOctalDigit)) return ScalarKind::kInt;
  if (s.starts_with("0x") && AllOf(s.substr(2), IsHexDigit)) return ScalarKind::kInt;
  if (IsCoreFloat(s)) return ScalarKind::kFloat;
  if (IsOneOf(StripSign(s), {".inf", ".Inf", ".INF"}) || IsOneOf(s, {".nan", ".NaN", ".NAN"})) {
    return ScalarKind::kFloat;
  }
  return ScalarKind::kString;
}

// True when a string written unquoted could be read as something else, by a YAML 1.2 reader
// or by a YAML 1.1 one (Kubernetes' own: yes/no/on/off are booleans there, 0777 is octal,
// 1_000 and 1:30 are numbers). Errs on the side of quoting.
bool NeedsQuotesToStayString(std::string_view s) {
  if (CoreSchemaKind(s) != ScalarKind::kString) return true;
  if (IsOneOf(s, {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
                  "off", "Off", "OFF", "=", "<<"})) {
    return true;
  }
  const char first = s.front();  // not empty: "" is null above
  return IsDigit(first) || first == '+' || first == '-' || first == '.';
}

// A string scalar built in code: tagged as quoted, so both writers keep it a string.
YAML::Node StringNode(const std::string& value) {
  YAML::Node node(value);
  node.SetTag(std::string(kQuotedTag));
  return node;
}

// --- Pod objects with the decision applied -------------------------------------------------

// The mapping at parent[key], created when absent or not a mapping.
YAML::Node ChildMap(YAML::Node& parent, const char* key) {
  YAML::Node child = parent[key];
  if (!child.IsDefined() || !child.IsMap()) {
    child = YAML::Node(YAML::NodeType::Map);
    parent[key] = child;
  }
  return child;
}

// Sets the pod's status condition of `type`, replacing one of the same type and keeping the
// others. Conditions are read defensively: input may hold entries without a type.
void SetCondition(YAML::Node& pod, std::string_view type, std::string_view status_value,
                  std::string_view reason, const std::string& message) {
  YAML::Node status = ChildMap(pod, "status");
  YAML::Node conditions(YAML::NodeType::Sequence);
  if (const YAML::Node old = status["conditions"]; old.IsDefined() && old.IsSequence()) {
    for (const YAML::Node& c : old) {
      bool same = false;
      if (c.IsMap()) {
        const YAML::Node t = c["type"];
        same = t.IsDefined() && t.IsScalar() && t.Scalar() == type;
      }
      if (!same) conditions.push_back(c);
    }
  }
  YAML::Node condition(YAML::NodeType::Map);
  condition["type"] = StringNode(std::string(type));
  condition["status"] = StringNode(std::string(status_value));
  condition["reason"] = StringNode(std::string(reason));
  condition["message"] = StringNode(message);
  conditions.push_back(condition);
  status["conditions"] = conditions;
}

// Why a bound pod is evicted: "claim gpu-claim: device gpu.example.com/node-1/gpu-0 has taint
// example.com/ecc=uncorrectable:NoExecute, not tolerated" (or "tolerated for 300s").
std::string EvictionMessage(const model::Snapshot& snapshot, const Decision& decision,
                            std::span<const model::ClaimAllocation> claims) {
  std::vector<std::string> parts;
  const model::DeviceTable& dt = snapshot.devices();
  for (const ReasonCount& reason : decision.reasons) {
    if (reason.reason != RejectReason::kClaimNoExecute || reason.arg >= claims.size()) continue;
    const model::ClaimAllocation& claim = claims[reason.arg];
    for (const model::NoExecuteTaint& t : claim.no_execute) {
      parts.push_back(fmt::format("claim {}: device {}/{}/{} has taint {}={}:NoExecute, {}",
                                  claim.name, snapshot.drivers().Name(dt.driver[t.device.index()]),
                                  snapshot.pools().Name(dt.pool[t.device.index()]),
                                  dt.name[t.device.index()], t.key, t.value,
                                  t.toleration_seconds
                                      ? fmt::format("tolerated for {}s", *t.toleration_seconds)
                                      : std::string("not tolerated")));
    }
  }
  return fmt::format("Device taint manager: deleting the pod: {}", fmt::join(parts, "; "));
}

YAML::Node PodWithDecision(const LoadedManifests& manifests, const Decision& decision,
                           std::span<const model::ClaimAllocation> claims) {
  YAML::Node pod = YAML::Clone(manifests.pod_objects[decision.pod.index()]);
  if (!pod.IsMap()) pod = YAML::Node(YAML::NodeType::Map);
  switch (decision.outcome) {
    case Outcome::kPlaced: {
      YAML::Node spec = ChildMap(pod, "spec");
      spec["nodeName"] = StringNode(manifests.snapshot.node_name(decision.node));
      // Claims made from templates, as the resource claim controller records them; read back,
      // they link the pod to its allocated claim.
      YAML::Node statuses(YAML::NodeType::Sequence);
      for (const model::ClaimAllocation& claim : claims) {
        if (!claim.from_template || claim.owner != decision.pod) continue;
        for (const auto& ref : manifests.snapshot.pod(decision.pod).claims) {
          if (claim.name != manifests.snapshot.pod(decision.pod).name + "-" + ref.name) continue;
          YAML::Node entry(YAML::NodeType::Map);
          entry["name"] = StringNode(ref.name);
          entry["resourceClaimName"] = StringNode(claim.name);
          statuses.push_back(entry);
        }
      }
      if (statuses.size() > 0) ChildMap(pod, "status")["resourceClaimStatuses"] = statuses;
      break;
    }
    case Outcome::kBound:
      break;
    case Outcome::kMoved:
      // Consolidation: the pod is evicted and comes back on `node`; the condition says why.
      ChildMap(pod, "spec")["nodeName"] = StringNode(manifests.snapshot.node_name(decision.node));
      SetCondition(pod, "DisruptionTarget", "True", "Consolidation", decision.message);
      break;
    case Outcome::kPreempted:
      // Kueue evicts the preempted workload; its pods are deleted.
      SetCondition(pod, "DisruptionTarget", "True", "Preempted", decision.message);
      break;
    case Outcome::kEvicted:
      // The condition Kubernetes' device taint manager adds before it deletes the pod.
      SetCondition(pod, "DisruptionTarget", "True", "DeletionByDeviceTaintManager",
                   EvictionMessage(manifests.snapshot, decision, claims));
      break;
    case Outcome::kWaiting:
    case Outcome::kInfeasible:
      // What kube-scheduler writes for a pod that fits no node; a pod of a queued workload
      // that was not admitted is held back the way Kueue's admission gate holds it.
      SetCondition(pod, "PodScheduled", "False",
                   decision.gated ? "SchedulingGated" : "Unschedulable",
                   UnschedulableMessage(manifests.snapshot, decision, claims));
      break;
  }
  return pod;
}

// --- YAML ----------------------------------------------------------------------------------

void EmitYaml(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out << YAML::Null;
      break;
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      const bool is_plain = tag == kPlainTag || tag.empty();
      if (!is_plain && NeedsQuotesToStayString(node.Scalar())) out << YAML::DoubleQuoted;
      out << node.Scalar();
      break;
    }
    case YAML::NodeType::Sequence:
      if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const YAML::Node& item : node) EmitYaml(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Map:
      if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& entry : node) {
        out << YAML::Key;
        EmitYaml(out, entry.first);
        out << YAML::Value;
        EmitYaml(out, entry.second);
      }
      out << YAML::EndMap;
      break;
  }
}

// --- JSON ----------------------------------------------------------------------------------

// A plain scalar as the JSON value the core schema gives it.
Json PlainScalarToJson(const std::string& s) {
  switch (CoreSchemaKind(s)) {
    case ScalarKind::kNull:
      return nullptr;
    case ScalarKind::kBool:
      return s[0] == 't' || s[0] == 'T';
    case ScalarKind::kInt: {
      std::string_view digits = s;
      int base = 10;
      if (digits.starts_with("0o") || digits.starts_with("0x")) {
        base = digits[1] == 'o' ? 8 : 16;
        digits.remove_prefix(2);
      } else if (digits.starts_with('+')) {
        digits.remove_prefix(1);
      }
      const char* end = digits.data() + digits.size();
      int64_t i = 0;
      if (auto r = std::from_chars(digits.data(), end, i, base);
          r.ec == std::errc() && r.ptr == end) {
        return i;
      }
      uint64_t u = 0;
      if (auto r = std::from_chars(digits.data(), end, u, base);
          r.ec == std::errc() && r.ptr == end) {
        return u;
      }
      if (base != 10) return s;  // too large for JSON integers; keep the text
      [[fallthrough]];           // a huge decimal: a float, as the core schema allows
    }
    case ScalarKind::kFloat: {
      std::string_view text = s;
      if (text.starts_with('+')) text.remove_prefix(1);
      double d = 0;
      const char* end = text.data() + text.size();
      // .inf / .nan never parse here (from_chars wants "inf"), and JSON has no such numbers.
      if (auto r = std::from_chars(text.data(), end, d); r.ec == std::errc() && r.ptr == end) {
        return d;
      }
      return s;
    }
    case ScalarKind::kString:
      return s;
  }
  return s;
}

Json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (tag == kPlainTag || tag.empty()) return PlainScalarToJson(node.Scalar());
      return node.Scalar();
    }
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const YAML::Node& item : node) array.push_back(ToJson(item));
      return array;
    }
    case YAML::NodeType::Map: {
      Json object = Json::object();
      for (const auto& entry : node) {
        std::string key = entry.first.IsScalar() ? entry.first.Scalar() : YAML::Dump(entry.first);
        object[key] = ToJson(entry.second);
      }
      return object;
    }
  }
  return nullptr;
}

// --- table ---------------------------------------------------------------------------------

// kubectl's tabwriter: cells padded to the column's widest cell plus 3 spaces (at least 6
// wide); the last column is not padded, and no line ends in spaces.
void WriteTable(const std::vector<std::array<std::string, 5>>& rows, std::ostream& out) {
  constexpr size_t kPadding = 3;
  constexpr size_t kMinWidth = 6;
  std::array<size_t, 5> width{};
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size() + kPadding);
  }
  for (size_t& w : width) w = std::max(w, kMinWidth);
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(width[c] - row[c].size(), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  }
}

std::array<std::string, 5> TableRow(const model::Snapshot& snapshot, const Decision& decision,
                                    std::span<const model::ClaimAllocation> claims) {
  const model::Pod& pod = snapshot.pod(decision.pod);
  switch (decision.outcome) {
    case Outcome::kPlaced:
      return {pod.namespace_name, pod.name, snapshot.node_name(decision.node), "Scheduled", ""};
    case Outcome::kBound:
      return {pod.namespace_name, pod.name, snapshot.node_name(pod.node), "Running", ""};
    case Outcome::kEvicted:
      return {pod.namespace_name, pod.name, snapshot.node_name(pod.node), "Evicting",
              EvictionMessage(snapshot, decision, claims)};
    case Outcome::kMoved:
      return {pod.namespace_name, pod.name, snapshot.node_name(decision.node), "Moved",
              decision.message};
    case Outcome::kPreempted:
      // A pod of the victim that this run placed was never bound: no node.
      return {pod.namespace_name, pod.name,
              pod.node.valid() ? snapshot.node_name(pod.node) : "<none>", "Preempted",
              decision.message};
    case Outcome::kWaiting:
    case Outcome::kInfeasible:
      break;
  }
  return {pod.namespace_name, pod.name, "<none>", "Pending",
          UnschedulableMessage(snapshot, decision, claims)};
}

// --- ResourceClaims -------------------------------------------------------------------------

// A capacity or attribute name as the driver published it: bare when it is in the driver's
// own domain.
std::string PublishedName(std::string_view qualified, std::string_view driver) {
  if (qualified.size() > driver.size() + 1 && qualified.starts_with(driver) &&
      qualified[driver.size()] == '/') {
    return std::string(qualified.substr(driver.size() + 1));
  }
  return std::string(qualified);
}

// metadata.uid of a Pod object, if it has one. Every step checks definedness: yaml-cpp
// throws on member access through a missing key.
std::optional<std::string> PodUid(const YAML::Node& pod) {
  if (!pod.IsDefined() || !pod.IsMap()) return std::nullopt;
  const YAML::Node meta = pod["metadata"];
  if (!meta.IsDefined() || !meta.IsMap()) return std::nullopt;
  const YAML::Node uid = meta["uid"];
  if (!uid.IsDefined() || !uid.IsScalar()) return std::nullopt;
  return uid.Scalar();
}

YAML::Node TolerationNode(const model::TolerationSpec& t) {
  YAML::Node n(YAML::NodeType::Map);
  if (!t.key.empty()) n["key"] = StringNode(t.key);
  n["operator"] = StringNode(t.op == model::TolerationOperator::kExists ? "Exists" : "Equal");
  if (!t.value.empty()) n["value"] = StringNode(t.value);
  if (t.effect) {
    n["effect"] = StringNode(*t.effect == model::TaintEffect::kNoExecute    ? "NoExecute"
                             : *t.effect == model::TaintEffect::kNoSchedule ? "NoSchedule"
                                                                            : "PreferNoSchedule");
  }
  if (t.toleration_seconds) n["tolerationSeconds"] = *t.toleration_seconds;
  return n;
}

// The claim as a resource.k8s.io/v1 ResourceClaim: its spec as read (a template's
// spec.spec for claims made from templates) and status.allocation and reservedFor as
// kube-scheduler would write them.
YAML::Node ClaimObject(const LoadedManifests& manifests, const model::ClaimAllocation& claim) {
  const model::Snapshot& snapshot = manifests.snapshot;
  YAML::Node out(YAML::NodeType::Map);
  out["apiVersion"] = StringNode("resource.k8s.io/v1");
  out["kind"] = StringNode("ResourceClaim");
  YAML::Node meta(YAML::NodeType::Map);
  meta["name"] = StringNode(claim.name);
  meta["namespace"] = StringNode(claim.namespace_name);
  YAML::Node source = claim.claim_spec < manifests.claim_objects.size()
                          ? manifests.claim_objects[claim.claim_spec]
                          : YAML::Node();
  YAML::Node spec;
  if (claim.from_template) {
    const model::Pod& pod = snapshot.pod(claim.owner);
    YAML::Node annotations(YAML::NodeType::Map);
    for (const auto& ref : pod.claims) {
      if (claim.name == pod.name + "-" + ref.name) {
        annotations["resource.kubernetes.io/pod-claim-name"] = StringNode(ref.name);
      }
    }
    meta["annotations"] = annotations;
    YAML::Node owner(YAML::NodeType::Map);
    owner["apiVersion"] = StringNode("v1");
    owner["kind"] = StringNode("Pod");
    owner["name"] = StringNode(pod.name);
    if (auto uid = PodUid(manifests.pod_objects[claim.owner.index()])) {
      owner["uid"] = StringNode(*uid);
    }
    owner["controller"] = true;
    owner["blockOwnerDeletion"] = true;
    YAML::Node owners(YAML::NodeType::Sequence);
    owners.push_back(owner);
    meta["ownerReferences"] = owners;
    if (source.IsDefined() && source.IsMap()) {
      const YAML::Node outer = source["spec"];
      if (outer.IsDefined() && outer.IsMap()) {
        // The reader also accepts templates that put `devices` straight under spec.
        const YAML::Node inner = outer["spec"];
        spec = YAML::Clone(inner.IsDefined() ? inner : outer);
      }
    }
  } else if (source.IsDefined() && source.IsMap()) {
    const YAML::Node outer = source["spec"];
    if (outer.IsDefined()) spec = YAML::Clone(outer);
  }
  out["metadata"] = meta;
  if (spec) out["spec"] = spec;
  if (!claim.allocated) return out;

  const model::DeviceTable& dt = snapshot.devices();
  YAML::Node results(YAML::NodeType::Sequence);
  for (const model::AllocatedDevice& dev : claim.devices) {
    const std::string& driver = snapshot.drivers().Name(dt.driver[dev.device.index()]);
    YAML::Node row(YAML::NodeType::Map);
    row["request"] = StringNode(dev.request);
    row["driver"] = StringNode(driver);
    row["pool"] = StringNode(snapshot.pools().Name(dt.pool[dev.device.index()]));
    row["device"] = StringNode(dt.name[dev.device.index()]);
    if (dev.admin_access) row["adminAccess"] = true;
    if (!dev.tolerations.empty()) {
      YAML::Node tolerations(YAML::NodeType::Sequence);
      for (const auto& t : dev.tolerations) tolerations.push_back(TolerationNode(t));
      row["tolerations"] = tolerations;
    }
    if (dev.shared) {
      row["shareID"] = StringNode(dev.share_id);
      YAML::Node consumed(YAML::NodeType::Map);
      for (const auto& [name, amount] : dev.consumed_capacity) {
        consumed[PublishedName(snapshot.attribute_names().Name(name), driver)] =
            StringNode(FormatQuantity(amount, QuantityUnit::Whole(), QuantityFormat::kBinarySI));
      }
      row["consumedCapacity"] = consumed;
    }
    results.push_back(row);
  }
  YAML::Node devices(YAML::NodeType::Map);
  devices["results"] = results;
  if (!claim.config.empty()) {
    YAML::Node config(YAML::NodeType::Sequence);
    for (const model::AllocatedConfig& c : claim.config) {
      YAML::Node entry(YAML::NodeType::Map);
      entry["source"] = StringNode(c.from_class ? "FromClass" : "FromClaim");
      if (!c.config.requests.empty()) {
        YAML::Node requests(YAML::NodeType::Sequence);
        for (const auto& r : c.config.requests) requests.push_back(StringNode(r));
        entry["requests"] = requests;
      }
      YAML::Node opaque(YAML::NodeType::Map);
      opaque["driver"] = StringNode(c.config.driver);
      if (!c.config.parameters_json.empty()) {
        try {
          opaque["parameters"] = YAML::Load(c.config.parameters_json);
        } catch (const YAML::Exception&) {
          opaque["parameters"] = StringNode(c.config.parameters_json);
        }
      }
      entry["opaque"] = opaque;
      config.push_back(entry);
    }
    devices["config"] = config;
  }
  YAML::Node allocation(YAML::NodeType::Map);
  allocation["devices"] = devices;
  if (claim.node.valid()) {
    YAML::Node values(YAML::NodeType::Sequence);
    values.push_back(StringNode(snapshot.node_name(claim.node)));
    YAML::Node field(YAML::NodeType::Map);
    field["key"] = StringNode("metadata.name");
    field["operator"] = StringNode("In");
    field["values"] = values;
    YAML::Node fields(YAML::NodeType::Sequence);
    fields.push_back(field);
    YAML::Node term(YAML::NodeType::Map);
    term["matchFields"] = fields;
    YAML::Node terms(YAML::NodeType::Sequence);
    terms.push_back(term);
    YAML::Node selector(YAML::NodeType::Map);
    selector["nodeSelectorTerms"] = terms;
    allocation["nodeSelector"] = selector;
  }
  YAML::Node status(YAML::NodeType::Map);
  status["allocation"] = allocation;
  if (!claim.reserved_for.empty()) {
    YAML::Node reserved(YAML::NodeType::Sequence);
    for (model::PodId pod : claim.reserved_for) {
      YAML::Node ref(YAML::NodeType::Map);
      ref["resource"] = StringNode("pods");
      ref["name"] = StringNode(snapshot.pod(pod).name);
      if (auto uid = PodUid(manifests.pod_objects[pod.index()])) ref["uid"] = StringNode(*uid);
      reserved.push_back(ref);
    }
    status["reservedFor"] = reserved;
  }
  out["status"] = status;
  return out;
}

std::array<std::string, 5> ClaimRow(const model::Snapshot& snapshot,
                                    const model::ClaimAllocation& claim) {
  std::string devices;
  for (const model::AllocatedDevice& dev : claim.devices) {
    if (!devices.empty()) devices += ",";
    devices += snapshot.devices().name[dev.device.index()];
    if (dev.shared) devices += "(shared)";
  }
  std::string users;
  for (model::PodId pod : claim.reserved_for) {
    if (!users.empty()) users += ",";
    users += snapshot.pod(pod).name;
  }
  return {claim.namespace_name, claim.name, claim.allocated ? devices : "<none>",
          claim.allocated ? "Allocated" : "Pending", users};
}

// --- Workloads ----------------------------------------------------------------------------

// A condition entry of a Workload's status.conditions.
YAML::Node Condition(std::string_view type, bool status, std::string_view reason,
                     std::string_view message) {
  YAML::Node c(YAML::NodeType::Map);
  c["type"] = std::string(type);
  c["status"] = StringNode(status ? "True" : "False");
  c["reason"] = std::string(reason);
  c["message"] = std::string(message);
  return c;
}

// A workload decision's message, with the first blocked pod's per-node reasons in brackets.
std::string WorkloadMessage(const LoadedManifests& manifests, const model::WorkloadDecision& wd,
                            std::span<const model::ClaimAllocation> claims) {
  if (!wd.blocked) return wd.message;
  return wd.message + " (" + UnschedulableMessage(manifests.snapshot, *wd.blocked, claims) + ")";
}

// Kueue's Workload for one queued Job, JobSet or Pod, with status.admission and the
// QuotaReserved / Admitted conditions.
YAML::Node WorkloadObject(const LoadedManifests& manifests, const model::WorkloadDecision& wd,
                          std::span<const model::ClaimAllocation> claims) {
  const model::WorkloadSpec& spec = manifests.queues.workloads[wd.workload];
  YAML::Node w(YAML::NodeType::Map);
  w["apiVersion"] = "kueue.x-k8s.io/v1beta2";
  w["kind"] = "Workload";
  YAML::Node meta = ChildMap(w, "metadata");
  meta["name"] = StringNode(spec.name);
  meta["namespace"] = StringNode(spec.namespace_name);
  if (!spec.owner.kind.empty()) {
    YAML::Node owner(YAML::NodeType::Map);
    owner["apiVersion"] = spec.owner.api_version;
    owner["kind"] = spec.owner.kind;
    owner["name"] = StringNode(spec.owner.name);
    owner["controller"] = true;
    owner["blockOwnerDeletion"] = true;
    meta["ownerReferences"].push_back(owner);
  }
  YAML::Node wspec = ChildMap(w, "spec");
  wspec["queueName"] = StringNode(spec.queue_name);
  if (!spec.priority_class_name.empty())
    wspec["priorityClassName"] = StringNode(spec.priority_class_name);
  wspec["priority"] = spec.priority;
  for (const model::PodSetSpec& ps : spec.pod_sets) {
    YAML::Node entry(YAML::NodeType::Map);
    entry["name"] = StringNode(ps.name);
    entry["count"] = ps.count;
    if (ps.min_count) entry["minCount"] = *ps.min_count;
    wspec["podSets"].push_back(entry);
  }
  YAML::Node status = ChildMap(w, "status");
  if (wd.admitted) {
    YAML::Node admission = ChildMap(status, "admission");
    admission["clusterQueue"] = StringNode(wd.cluster_queue);
    for (const model::PodSetAdmission& ps : wd.pod_sets) {
      YAML::Node a(YAML::NodeType::Map);
      a["name"] = StringNode(ps.name);
      YAML::Node flavors = ChildMap(a, "flavors");
      for (const auto& [resource, flavor] : ps.flavors) flavors[resource] = StringNode(flavor);
      YAML::Node usage = ChildMap(a, "resourceUsage");
      for (const auto& [resource, amount] : ps.resource_usage) {
        // Memory-like amounts read best in binary SI ("128Gi"), as Kueue prints them.
        const QuantityFormat format = resource == "memory" || resource == "ephemeral-storage"
                                          ? QuantityFormat::kBinarySI
                                          : QuantityFormat::kDecimalSI;
        usage[resource] =
            StringNode(FormatQuantity(amount, model::UnitForResource(resource), format));
      }
      a["count"] = ps.count;
      admission["podSetAssignments"].push_back(a);
    }
    status["conditions"].push_back(Condition("QuotaReserved", true, "QuotaReserved",
                                             "Quota reserved in ClusterQueue " + wd.cluster_queue));
    status["conditions"].push_back(
        Condition("Admitted", true, "Admitted", "The workload is admitted"));
  } else if (wd.evicted) {
    // Kueue's conditions on a preempted workload: evicted, quota released, requeued.
    status["conditions"].push_back(Condition("Evicted", true, "Preempted", wd.message));
    status["conditions"].push_back(Condition("QuotaReserved", false, "Preempted", wd.message));
  } else {
    const std::string message = WorkloadMessage(manifests, wd, claims);
    status["conditions"].push_back(Condition("QuotaReserved", false, "Pending", message));
  }
  return w;
}

std::array<std::string, 5> WorkloadRow(const LoadedManifests& manifests,
                                       const model::WorkloadDecision& wd,
                                       std::span<const model::ClaimAllocation> claims) {
  const model::WorkloadSpec& spec = manifests.queues.workloads[wd.workload];
  const std::string message = WorkloadMessage(manifests, wd, claims);
  return {spec.namespace_name, spec.name, wd.cluster_queue.empty() ? "<none>" : wd.cluster_queue,
          wd.admitted ? "Admitted" : wd.evicted ? "Preempted" : "Pending",
          wd.admitted ? wd.message : message};
}

// The PodGroup KAI's podgrouper makes for a Job, JobSet or Pod in a KAI queue
// (scheduling.run.ai/v2alpha2; KAI names it pg-<owner>-<owner uid>, we leave the uid out),
// with spec.queue and minMember (the whole workload: admission is all or nothing). A PodGroup
// that was not admitted carries KAI's scheduling condition for it, with Tessera's reason.
YAML::Node PodGroupObject(const LoadedManifests& manifests, const model::WorkloadDecision& wd,
                          std::span<const model::ClaimAllocation> claims) {
  const model::WorkloadSpec& spec = manifests.queues.workloads[wd.workload];
  YAML::Node g(YAML::NodeType::Map);
  g["apiVersion"] = "scheduling.run.ai/v2alpha2";
  g["kind"] = "PodGroup";
  YAML::Node meta = ChildMap(g, "metadata");
  meta["name"] = StringNode("pg-" + spec.owner.name);
  meta["namespace"] = StringNode(spec.namespace_name);
  if (!spec.owner.kind.empty()) {
    YAML::Node owner(YAML::NodeType::Map);
    owner["apiVersion"] = spec.owner.api_version;
    owner["kind"] = spec.owner.kind;
    owner["name"] = StringNode(spec.owner.name);
    meta["ownerReferences"].push_back(owner);
  }
  YAML::Node gspec = ChildMap(g, "spec");
  gspec["queue"] = StringNode(spec.kai_queue);
  int64_t pods = 0;
  for (const model::PodSetSpec& ps : spec.pod_sets) pods += ps.count;
  gspec["minMember"] = pods;
  if (!spec.priority_class_name.empty())
    gspec["priorityClassName"] = StringNode(spec.priority_class_name);
  if (!wd.admitted) {
    const std::string message = WorkloadMessage(manifests, wd, claims);
    YAML::Node c(YAML::NodeType::Map);
    c["type"] = "UnschedulableOnNodePool";
    c["status"] = StringNode("True");
    c["reason"] = wd.evicted ? "Preempted" : "Unschedulable";
    c["message"] = message;
    ChildMap(g, "status")["schedulingConditions"].push_back(c);
  }
  return g;
}

std::array<std::string, 5> PodGroupRow(const LoadedManifests& manifests,
                                       const model::WorkloadDecision& wd,
                                       std::span<const model::ClaimAllocation> claims) {
  const model::WorkloadSpec& spec = manifests.queues.workloads[wd.workload];
  const std::string message = WorkloadMessage(manifests, wd, claims);
  return {spec.namespace_name, "pg-" + spec.owner.name, spec.kai_queue,
          wd.admitted ? "Admitted" : wd.evicted ? "Preempted" : "Pending",
          wd.admitted ? wd.message : message};
}

}  // namespace

std::string UnschedulableMessage(const model::Snapshot& snapshot, const Decision& decision,
                                 std::span<const model::ClaimAllocation> claims) {
  if (!decision.message.empty()) {
    if (decision.reasons.empty()) return decision.message;
    Decision tally = decision;
    tally.message.clear();
    return decision.message + " (" + UnschedulableMessage(snapshot, tally, claims) + ")";
  }
  if (decision.nodes_total == 0) return "0/0 nodes are available: no nodes in the cluster.";
  std::map<std::string, uint64_t> nodes_by_text;
  for (const ReasonCount& reason : decision.reasons) {
    nodes_by_text[ReasonText(snapshot, claims, reason)] += reason.nodes;
  }
  std::vector<std::string> entries;
  entries.reserve(nodes_by_text.size());
  for (const auto& [text, nodes] : nodes_by_text)
    entries.push_back(fmt::format("{} {}", nodes, text));
  std::sort(entries.begin(), entries.end());
  if (entries.empty()) return fmt::format("0/{} nodes are available.", decision.nodes_total);
  return fmt::format("0/{} nodes are available: {}.", decision.nodes_total,
                     fmt::join(entries, ", "));
}

std::span<const std::string_view> OutputFormatNames() {
  static constexpr std::array<std::string_view, 3> kNames = {"yaml", "json", "table"};
  return kNames;
}

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "yaml") return OutputFormat::kYaml;
  if (name == "json") return OutputFormat::kJson;
  if (name == "table") return OutputFormat::kTable;
  return InvalidArgument(fmt::format("unknown output format \"{}\" (valid: {})", name,
                                     fmt::join(OutputFormatNames(), ", ")));
}

void WriteDecisions(const LoadedManifests& manifests, std::span<const Decision> decisions,
                    OutputFormat format, std::ostream& out) {
  WriteDecisions(manifests, decisions, {}, format, out);
}

void WriteDecisions(const LoadedManifests& manifests, std::span<const Decision> decisions,
                    std::span<const model::ClaimAllocation> claims, OutputFormat format,
                    std::ostream& out) {
  WriteDecisions(manifests, decisions, claims, {}, format, out);
}

void WriteDecisions(const LoadedManifests& manifests, std::span<const Decision> decisions,
                    std::span<const model::ClaimAllocation> claims,
                    std::span<const model::WorkloadDecision> workloads, OutputFormat format,
                    std::ostream& out) {
  const model::Snapshot& snapshot = manifests.snapshot;
  // Only queued workloads (those naming a LocalQueue) get a Workload object.
  std::vector<const model::WorkloadDecision*> queued;
  // Workloads in KAI queues (when the input has KAI Queues) get a KAI PodGroup instead.
  std::vector<const model::WorkloadDecision*> kai;
  for (const model::WorkloadDecision& wd : workloads) {
    if (wd.workload >= manifests.queues.workloads.size()) continue;
    const model::WorkloadSpec& spec = manifests.queues.workloads[wd.workload];
    if (!spec.queue_name.empty()) {
      queued.push_back(&wd);
    } else if (!spec.kai_queue.empty() && !manifests.queues.kai_queues.empty()) {
      kai.push_back(&wd);
    }
  }
  TESSERA_CHECK(decisions.size() == snapshot.num_pods())
      << decisions.size() << " decisions for " << snapshot.num_pods() << " pods";
  TESSERA_CHECK(manifests.pod_objects.size() == snapshot.num_pods())
      << manifests.pod_objects.size() << " pod objects for " << snapshot.num_pods() << " pods";
  for (size_t i = 0; i < decisions.size(); ++i) {
    TESSERA_CHECK(decisions[i].pod == model::PodId::FromIndex(i)) << "decision " << i;
  }

  switch (format) {
    case OutputFormat::kYaml: {
      if (decisions.empty() && claims.empty() && queued.empty() && kai.empty()) return;
      YAML::Emitter emitter;
      for (const Decision& decision : decisions) {
        EmitYaml(emitter, PodWithDecision(manifests, decision, claims));  // "---" between
      }
      for (const model::ClaimAllocation& claim : claims) {
        EmitYaml(emitter, ClaimObject(manifests, claim));
      }
      for (const model::WorkloadDecision* wd : queued) {
        EmitYaml(emitter, WorkloadObject(manifests, *wd, claims));
      }
      for (const model::WorkloadDecision* wd : kai) {
        EmitYaml(emitter, PodGroupObject(manifests, *wd, claims));
      }
      TESSERA_CHECK(emitter.good()) << emitter.GetLastError();
      out << emitter.c_str() << '\n';
      return;
    }
    case OutputFormat::kJson: {
      Json list = Json::object();
      list["apiVersion"] = "v1";
      list["kind"] = "List";
      list["items"] = Json::array();
      for (const Decision& decision : decisions) {
        list["items"].push_back(ToJson(PodWithDecision(manifests, decision, claims)));
      }
      for (const model::ClaimAllocation& claim : claims) {
        list["items"].push_back(ToJson(ClaimObject(manifests, claim)));
      }
      for (const model::WorkloadDecision* wd : queued) {
        list["items"].push_back(ToJson(WorkloadObject(manifests, *wd, claims)));
      }
      for (const model::WorkloadDecision* wd : kai) {
        list["items"].push_back(ToJson(PodGroupObject(manifests, *wd, claims)));
      }
      out << list.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) << '\n';
      return;
    }
    case OutputFormat::kTable: {
      std::vector<std::array<std::string, 5>> rows;
      rows.reserve(decisions.size() + 1);
      rows.push_back({"NAMESPACE", "POD", "NODE", "STATUS", "REASON"});
      for (const Decision& decision : decisions) {
        rows.push_back(TableRow(snapshot, decision, claims));
      }
      WriteTable(rows, out);
      if (!claims.empty()) {
        std::vector<std::array<std::string, 5>> claim_rows;
        claim_rows.push_back({"NAMESPACE", "CLAIM", "DEVICES", "STATUS", "RESERVED FOR"});
        for (const auto& claim : claims) claim_rows.push_back(ClaimRow(snapshot, claim));
        out << '\n';
        WriteTable(claim_rows, out);
      }
      if (!queued.empty()) {
        std::vector<std::array<std::string, 5>> workload_rows;
        workload_rows.push_back({"NAMESPACE", "WORKLOAD", "CLUSTERQUEUE", "STATUS", "REASON"});
        for (const model::WorkloadDecision* wd : queued) {
          workload_rows.push_back(WorkloadRow(manifests, *wd, claims));
        }
        out << '\n';
        WriteTable(workload_rows, out);
      }
      if (!kai.empty()) {
        std::vector<std::array<std::string, 5>> group_rows;
        group_rows.push_back({"NAMESPACE", "PODGROUP", "QUEUE", "STATUS", "REASON"});
        for (const model::WorkloadDecision* wd : kai) {
          group_rows.push_back(PodGroupRow(manifests, *wd, claims));
        }
        out << '\n';
        WriteTable(group_rows, out);
      }
      return;
    }
  }
}

}  // namespace tessera::io

#include "io/decision_output.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

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

std::string ReasonText(const model::Snapshot& snapshot, const ReasonCount& reason) {
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
    case RejectReason::kClaimsUnsupported:
      return "pod uses DRA resource claims, which this version does not allocate yet (issue #3)";
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

void SetUnschedulableCondition(YAML::Node& pod, const std::string& message) {
  YAML::Node status = pod["status"];
  if (!status.IsMap()) {
    status = YAML::Node(YAML::NodeType::Map);
    pod["status"] = status;
  }
  YAML::Node conditions(YAML::NodeType::Sequence);
  if (const YAML::Node old = status["conditions"]; old.IsSequence()) {
    for (const YAML::Node& c : old) {
      const bool is_pod_scheduled =
          c.IsMap() && c["type"].IsScalar() && c["type"].Scalar() == "PodScheduled";
      if (!is_pod_scheduled) conditions.push_back(c);
    }
  }
  YAML::Node condition(YAML::NodeType::Map);
  condition["type"] = StringNode("PodScheduled");
  condition["status"] = StringNode("False");
  condition["reason"] = StringNode("Unschedulable");
  condition["message"] = StringNode(message);
  conditions.push_back(condition);
  status["conditions"] = conditions;
}

YAML::Node PodWithDecision(const LoadedManifests& manifests, const Decision& decision) {
  YAML::Node pod = YAML::Clone(manifests.pod_objects[decision.pod.index()]);
  if (!pod.IsMap()) pod = YAML::Node(YAML::NodeType::Map);
  switch (decision.outcome) {
    case Outcome::kPlaced: {
      YAML::Node spec = pod["spec"];
      if (!spec.IsMap()) {
        spec = YAML::Node(YAML::NodeType::Map);
        pod["spec"] = spec;
      }
      spec["nodeName"] = StringNode(manifests.snapshot.node_name(decision.node));
      break;
    }
    case Outcome::kBound:
      break;
    case Outcome::kWaiting:
    case Outcome::kInfeasible:
      SetUnschedulableCondition(pod, UnschedulableMessage(manifests.snapshot, decision));
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

std::array<std::string, 5> TableRow(const model::Snapshot& snapshot, const Decision& decision) {
  const model::Pod& pod = snapshot.pod(decision.pod);
  switch (decision.outcome) {
    case Outcome::kPlaced:
      return {pod.namespace_name, pod.name, snapshot.node_name(decision.node), "Scheduled", ""};
    case Outcome::kBound:
      return {pod.namespace_name, pod.name, snapshot.node_name(pod.node), "Running", ""};
    case Outcome::kWaiting:
    case Outcome::kInfeasible:
      break;
  }
  return {pod.namespace_name, pod.name, "<none>", "Pending",
          UnschedulableMessage(snapshot, decision)};
}

}  // namespace

std::string UnschedulableMessage(const model::Snapshot& snapshot, const Decision& decision) {
  if (decision.nodes_total == 0) return "0/0 nodes are available: no nodes in the cluster.";
  std::map<std::string, uint64_t> nodes_by_text;
  for (const ReasonCount& reason : decision.reasons) {
    nodes_by_text[ReasonText(snapshot, reason)] += reason.nodes;
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
  const model::Snapshot& snapshot = manifests.snapshot;
  TESSERA_CHECK(decisions.size() == snapshot.num_pods())
      << decisions.size() << " decisions for " << snapshot.num_pods() << " pods";
  TESSERA_CHECK(manifests.pod_objects.size() == snapshot.num_pods())
      << manifests.pod_objects.size() << " pod objects for " << snapshot.num_pods() << " pods";
  for (size_t i = 0; i < decisions.size(); ++i) {
    TESSERA_CHECK(decisions[i].pod == model::PodId::FromIndex(i)) << "decision " << i;
  }

  switch (format) {
    case OutputFormat::kYaml: {
      if (decisions.empty()) return;
      YAML::Emitter emitter;
      for (const Decision& decision : decisions) {
        EmitYaml(emitter, PodWithDecision(manifests, decision));  // "---" between documents
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
        list["items"].push_back(ToJson(PodWithDecision(manifests, decision)));
      }
      out << list.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) << '\n';
      return;
    }
    case OutputFormat::kTable: {
      std::vector<std::array<std::string, 5>> rows;
      rows.reserve(decisions.size() + 1);
      rows.push_back({"NAMESPACE", "POD", "NODE", "STATUS", "REASON"});
      for (const Decision& decision : decisions) rows.push_back(TableRow(snapshot, decision));
      WriteTable(rows, out);
      return;
    }
  }
}

}  // namespace tessera::io

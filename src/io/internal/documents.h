// From file bytes to bounded YAML documents: Helm-template detection, the YAML stream parser
// (yaml-cpp), a JSON parser (nlohmann SAX straight into YAML nodes, for precise syntax
// errors) and the bounds check every document passes before anything reads it.
// Invariant: no function here throws, and a document that passed CheckDocumentBounds can be
// walked by the object parsers without blowing up time, memory or the stack.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tessera::io::internal {

// Real manifests nest about 15 levels (a CRD schema maybe 40); deeper is hostile input.
inline constexpr size_t kMaxDocumentDepth = 100;
// Node visits allowed per document on top of its byte size. Without aliases a document has
// fewer nodes than bytes, so only alias expansion ("billion laughs") can hit the limit.
inline constexpr size_t kBaseNodeVisitBudget = 100'000;

struct RawDocument {
  YAML::Node root;
  size_t index = 0;  // 1-based position in the file, counting empty documents
};

// The 1-based line of the first "{{" outside comments, quoted scalars and block scalars,
// i.e. where a Helm or Go template action would make the text invalid or wrong as YAML.
// Values that merely contain "{{" inside quotes (Argo, Go templates in ConfigMaps) pass.
std::optional<size_t> FindTemplateLine(std::string_view text);

// Parses a YAML stream into its documents. Errors: "line L, column C: invalid YAML: why".
Result<std::vector<RawDocument>> ParseYamlStream(const std::string& text);

// Parses one JSON value into a single document. Strings become quoted scalars (tag "!"),
// numbers, booleans and null plain ones, as yaml-cpp would read the same text. Errors:
// "line L, column C: invalid JSON: why"; nesting beyond kMaxDocumentDepth and duplicate keys
// are errors too.
Result<std::vector<RawDocument>> ParseJson(std::string_view text);

// Walks `root` iteratively, expanding aliases, and fails once it has visited more than
// `max_node_visits` nodes, on nesting deeper than kMaxDocumentDepth, or on a mapping key
// that appears twice. Cost: O(min(expanded size, max_node_visits)). Messages name the line
// and column when the node has one.
Status CheckDocumentBounds(const YAML::Node& root, size_t max_node_visits);

}  // namespace tessera::io::internal

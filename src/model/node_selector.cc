#include "model/node_selector.h"

#include <algorithm>

namespace tessera::model {

bool MatchesRequirement(const Snapshot& snapshot, const NodeSelectorRequirement& r, NodeId node) {
  std::optional<LabelValueId> value =
      r.is_field ? std::optional<LabelValueId>(snapshot.node_name_value(node))
                 : snapshot.NodeLabel(node, r.key);
  auto values = snapshot.requirement_values(r);
  auto contains = [&](LabelValueId v) { return std::binary_search(values.begin(), values.end(), v); };
  switch (r.op) {
    case SelectorOperator::kIn:
      return value && contains(*value);
    case SelectorOperator::kNotIn:
      return !value || !contains(*value);
    case SelectorOperator::kExists:
      return value.has_value();
    case SelectorOperator::kDoesNotExist:
      return !value.has_value();
    case SelectorOperator::kGt:
    case SelectorOperator::kLt: {
      if (!value) return false;
      auto n = snapshot.label_value_int(*value);
      if (!n) return false;
      return r.op == SelectorOperator::kGt ? *n > r.number : *n < r.number;
    }
  }
  return false;
}

bool MatchesTerm(const Snapshot& snapshot, Range term, NodeId node) {
  auto reqs = snapshot.term_requirements(term);
  if (reqs.empty()) return false;
  for (const auto& r : reqs) {
    if (!MatchesRequirement(snapshot, r, node)) return false;
  }
  return true;
}

bool MatchesAnyTerm(const Snapshot& snapshot, std::span<const Range> terms, NodeId node) {
  for (Range term : terms) {
    if (MatchesTerm(snapshot, term, node)) return true;
  }
  return false;
}

}  // namespace tessera::model

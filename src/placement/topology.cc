#include "placement/topology.h"

#include <map>

#include "model/resources.h"

namespace tessera::placement {

using model::NodeId;
using model::PodId;

TopologyIndex::TopologyIndex(const model::Snapshot& snapshot, std::vector<std::string> levels,
                             const model::Overlay& overlay)
    : snapshot_(&snapshot), dims_(snapshot.num_resources()), keys_(std::move(levels)) {
  const size_t num_nodes = snapshot.num_nodes();
  levels_.resize(keys_.size());
  std::vector<std::optional<model::LabelKeyId>> key_ids;
  for (size_t l = 0; l < keys_.size(); ++l) {
    levels_[l].name = keys_[l];
    levels_[l].domain_of_node.assign(num_nodes, kNone);
    key_ids.push_back(snapshot.FindLabelKey(keys_[l]));
  }
  // A domain is (parent domain, label value); ids in order of first appearance by NodeId.
  std::vector<std::map<std::pair<uint32_t, uint32_t>, uint32_t>> ids(keys_.size());
  for (size_t n = 0; n < num_nodes; ++n) {
    const NodeId node = NodeId::FromIndex(n);
    std::vector<uint32_t> values;
    for (size_t l = 0; l < keys_.size(); ++l) {
      const auto v = key_ids[l] ? snapshot.NodeLabel(node, *key_ids[l]) : std::nullopt;
      if (!v) break;
      values.push_back(v->value());
    }
    if (values.size() != keys_.size()) continue;
    inside_.push_back(node);
    uint32_t parent = kNone;
    for (size_t l = 0; l < keys_.size(); ++l) {
      Level& level = levels_[l];
      auto [it, added] =
          ids[l].emplace(std::make_pair(parent, values[l]), static_cast<uint32_t>(level.parent.size()));
      if (added) {
        level.parent.push_back(parent);
        level.value.push_back(values[l]);
      }
      level.domain_of_node[n] = it->second;
      parent = it->second;
    }
  }
  for (size_t l = 0; l < keys_.size(); ++l) {
    Level& level = levels_[l];
    const size_t domains = level.parent.size();
    // Nodes grouped by domain (counting sort keeps NodeId order inside each domain).
    level.node_begin.assign(domains + 1, 0);
    for (NodeId node : inside_) ++level.node_begin[level.domain_of_node[node.index()] + 1];
    for (size_t d = 0; d < domains; ++d) level.node_begin[d + 1] += level.node_begin[d];
    level.nodes.resize(inside_.size());
    std::vector<uint32_t> fill(level.node_begin.begin(), level.node_begin.end() - 1);
    for (NodeId node : inside_) level.nodes[fill[level.domain_of_node[node.index()]]++] = node;
    // Children: the next level's domains by parent.
    level.child_begin.assign(domains + 1, 0);
    if (l + 1 < keys_.size()) {
      const Level& next = levels_[l + 1];
      for (uint32_t parent : next.parent) ++level.child_begin[parent + 1];
      for (size_t d = 0; d < domains; ++d) level.child_begin[d + 1] += level.child_begin[d];
      level.children.resize(next.parent.size());
      std::vector<uint32_t> at(level.child_begin.begin(), level.child_begin.end() - 1);
      for (uint32_t c = 0; c < next.parent.size(); ++c) level.children[at[next.parent[c]]++] = c;
    }
    // Free resources.
    level.free.assign(domains * dims_, 0);
    for (NodeId node : inside_) {
      int64_t* row = level.free.data() + level.domain_of_node[node.index()] * dims_;
      const auto alloc = snapshot.allocatable(node);
      const auto used = overlay.used(node);
      for (size_t r = 0; r < dims_; ++r) row[r] += alloc[r].value() - used[r].value();
    }
  }
  if (!keys_.empty()) {
    for (uint32_t d = 0; d < levels_[0].parent.size(); ++d) roots_.push_back(d);
  }
}

int TopologyIndex::LevelOf(std::string_view key) const {
  for (size_t l = 0; l < keys_.size(); ++l) {
    if (keys_[l] == key) return static_cast<int>(l);
  }
  return -1;
}

std::span<const NodeId> TopologyIndex::nodes(int level, uint32_t domain) const {
  if (level < 0) return inside_;
  const Level& lv = levels_[level];
  return std::span<const NodeId>(lv.nodes).subspan(lv.node_begin[domain],
                                                    lv.node_begin[domain + 1] - lv.node_begin[domain]);
}

std::span<const uint32_t> TopologyIndex::children(int level, uint32_t domain) const {
  if (level < 0) return roots_;
  const Level& lv = levels_[level];
  return std::span<const uint32_t>(lv.children)
      .subspan(lv.child_begin[domain], lv.child_begin[domain + 1] - lv.child_begin[domain]);
}

const std::string& TopologyIndex::domain_value(int level, uint32_t domain) const {
  return snapshot_->label_value(model::LabelValueId(levels_[level].value[domain]));
}

bool TopologyIndex::MayHold(int level, uint32_t domain, PodId pod, int64_t count) const {
  const auto row = free(level, domain);
  if (row[model::kPods.index()] < count) return false;
  for (const model::ResourceAmount& ra : snapshot_->pod_requests(pod)) {
    const int64_t need = ra.amount.value();
    if (need > 0 && row[ra.resource.index()] / need < count) return false;
  }
  return true;
}

void TopologyIndex::Apply(PodId pod, NodeId node, int64_t sign) {
  if (levels_.empty() || levels_[0].domain_of_node[node.index()] == kNone) return;
  for (Level& level : levels_) {
    int64_t* row = level.free.data() + level.domain_of_node[node.index()] * dims_;
    row[model::kPods.index()] += sign;
    for (const model::ResourceAmount& ra : snapshot_->pod_requests(pod)) {
      row[ra.resource.index()] += sign * ra.amount.value();
    }
  }
}

}  // namespace tessera::placement

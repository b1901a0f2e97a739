// A cluster's topology as a tree of domains: levels are node label keys from coarse to fine
// (block, rack, kubernetes.io/hostname), a domain is one value of a level's label under one
// domain of the level above, and the nodes are the leaves. Nodes lacking any level's label
// are outside the topology. Each domain keeps its free resources (allocatable minus used,
// summed over its nodes) up to date incrementally: OnReserve and OnRelease cost O(levels x
// pod requests) and never allocate, so a gang placer can rule domains out without visiting
// their nodes.
// Not thread-safe; owned by the engine thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/overlay.h"
#include "model/snapshot.h"

namespace tessera::placement {

class TopologyIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Builds the tree over the snapshot's nodes, with free resources as `overlay` has them.
  TopologyIndex(const model::Snapshot& snapshot, std::vector<std::string> levels,
                const model::Overlay& overlay);

  int num_levels() const { return static_cast<int>(levels_.size()); }
  const std::string& level_name(int level) const { return levels_[level].name; }
  // The level whose label key is `key`; -1 when the topology has no such level.
  int LevelOf(std::string_view key) const;
  const std::vector<std::string>& level_keys() const { return keys_; }

  uint32_t num_domains(int level) const {
    return static_cast<uint32_t>(levels_[level].parent.size());
  }
  // The domain of `node` at `level`; kNone when the node is outside the topology.
  uint32_t domain_of(int level, model::NodeId node) const {
    return levels_[level].domain_of_node[node.index()];
  }
  // The domain one level up (level > 0); level 0 domains have parent kNone.
  uint32_t parent(int level, uint32_t domain) const { return levels_[level].parent[domain]; }
  // Nodes of a domain, in NodeId order.
  std::span<const model::NodeId> nodes(int level, uint32_t domain) const;
  // Domains at level + 1 inside `domain`, in index order. Level -1 is the root: the
  // level-0 domains.
  std::span<const uint32_t> children(int level, uint32_t domain) const;
  // The label value naming the domain (e.g. "rack-3").
  const std::string& domain_value(int level, uint32_t domain) const;
  // Nodes inside the topology, in NodeId order.
  std::span<const model::NodeId> all_nodes() const { return inside_; }

  // Free resources of a domain: a row of snapshot.num_resources() raw amounts.
  std::span<const int64_t> free(int level, uint32_t domain) const {
    const size_t dims = dims_;
    return {levels_[level].free.data() + domain * dims, dims};
  }
  // True when the domain's free resources could hold `count` pods of `pod`'s requests (a
  // necessary condition, not a sufficient one: free capacity may be split across nodes).
  bool MayHold(int level, uint32_t domain, model::PodId pod, int64_t count) const;

  // The pod now uses (or stopped using) its requests and one "pods" on `node`.
  void OnReserve(model::PodId pod, model::NodeId node) { Apply(pod, node, -1); }
  void OnRelease(model::PodId pod, model::NodeId node) { Apply(pod, node, +1); }

 private:
  struct Level {
    std::string name;
    std::vector<uint32_t> domain_of_node;  // per node
    std::vector<uint32_t> parent;          // per domain
    std::vector<uint32_t> value;           // per domain: LabelValueId value
    std::vector<uint32_t> node_begin;      // per domain + 1: into nodes
    std::vector<model::NodeId> nodes;      // grouped by domain
    std::vector<uint32_t> child_begin;     // per domain + 1: into children (next level)
    std::vector<uint32_t> children;
    std::vector<int64_t> free;             // domains x dims
  };
  void Apply(model::PodId pod, model::NodeId node, int64_t sign);

  const model::Snapshot* snapshot_;
  size_t dims_;
  std::vector<std::string> keys_;
  std::vector<Level> levels_;
  std::vector<uint32_t> roots_;  // level-0 domains
  std::vector<model::NodeId> inside_;
};

}  // namespace tessera::placement

// A regular racked GPU cluster for gang and topology tests: blocks x racks x nodes, each node
// 64 cpu, 512Gi, 110 pods and 8 nvidia.com/gpu, named "b<block>-r<rack>-n<node>" and labelled
// with its block ("b0"), rack ("b0-r1", unique cluster-wide) and hostname; and the Kueue
// Topology "default" over those three labels. Test-only.
#pragma once

#include <fmt/format.h>

#include <string>

#include "model/gang_specs.h"
#include "testing/cluster_builder.h"

namespace tessera::testing {

inline constexpr char kBlock[] = "cloud.provider.com/topology-block";
inline constexpr char kRack[] = "cloud.provider.com/topology-rack";
inline constexpr char kHost[] = "kubernetes.io/hostname";

inline std::string NodeName(int block, int rack, int node) {
  return fmt::format("b{}-r{}-n{}", block, rack, node);
}

inline void AddRackedCluster(ClusterBuilder& b, int blocks, int racks, int nodes) {
  for (int bl = 0; bl < blocks; ++bl) {
    for (int r = 0; r < racks; ++r) {
      for (int n = 0; n < nodes; ++n) {
        b.Node(NodeName(bl, r, n))
            .Cpu("64")
            .Memory("512Gi")
            .Pods("110")
            .Extended("nvidia.com/gpu", "8")
            .Label(kBlock, fmt::format("b{}", bl))
            .Label(kRack, fmt::format("b{}-r{}", bl, r))
            .Label(kHost, NodeName(bl, r, n));
      }
    }
  }
}

inline model::GangObjects RackedTopology() {
  model::GangObjects objects;
  objects.topologies.push_back({.name = "default",
                                .source = "test",
                                .api_group = "kueue.x-k8s.io",
                                .levels = {kBlock, kRack, kHost}});
  return objects;
}

}  // namespace tessera::testing

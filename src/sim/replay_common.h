// Pieces the replay experiments share (simulator.cc's plain replay and tenant_replay.cc):
// the policy-driven choice of a node for one task, the seeded node order that breaks ties,
// percentiles and a running median. Invariant: ChooseNode only reads the World; the caller places.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <span>
#include <vector>

#include "base/rng.h"
#include "sim/cluster.h"
#include "sim/policies.h"

namespace tessera::sim {

struct Choice {
  int64_t node = -1;  // -1: no node passes the filters
  int gpu = -1;       // the policy's GPU on that node, or -1 for the allocator's choice
};

// The feasible node with the highest score for task `t`, ties to the lowest `rank`; a random
// feasible node for policies that pick at random. `feasible` is scratch.
Choice ChooseNode(const World& world, Policy& policy, size_t t, std::span<const int64_t> rank,
                  Rng& rng, std::vector<uint32_t>& feasible);

// A seeded random permutation of 0..n-1 (node ranks for tie-breaking).
std::vector<int64_t> RandomRanks(size_t n, Rng& rng);

// The q-quantile (nearest rank) of `values`, reordering them; 0 when empty.
double Percentile(std::vector<double>& values, double q);

// A running median: `lower` holds the smaller half (max on top), `upper` the rest; Get() is
// the lower median, 0 when empty.
struct RunningMedian {
  std::priority_queue<double> lower;
  std::priority_queue<double, std::vector<double>, std::greater<>> upper;
  void Add(double x) {
    if (lower.empty() || x <= lower.top()) {
      lower.push(x);
    } else {
      upper.push(x);
    }
    if (lower.size() > upper.size() + 1) {
      upper.push(lower.top());
      lower.pop();
    } else if (upper.size() > lower.size()) {
      lower.push(upper.top());
      upper.pop();
    }
  }
  double Get() const { return lower.empty() ? 0 : lower.top(); }
};

}  // namespace tessera::sim

#include "engine/engine.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "placement/filters.h"

namespace tessera::engine {

using model::Decision;
using model::NodeId;
using model::Outcome;
using model::PodId;
using model::RejectReason;
using model::Snapshot;

namespace {
constexpr std::array<std::string_view, 2> kPolicyNames = {"least-allocated", "most-allocated"};
}  // namespace

Result<ScorePolicy> ParseScorePolicy(std::string_view name) {
  if (name == kPolicyNames[0]) return ScorePolicy::kLeastAllocated;
  if (name == kPolicyNames[1]) return ScorePolicy::kMostAllocated;
  return InvalidArgument(fmt::format("unknown policy \"{}\"; valid policies: {}", name,
                                     fmt::join(kPolicyNames, ", ")));
}

std::span<const std::string_view> ScorePolicyNames() { return kPolicyNames; }

std::vector<PodId> SchedulingOrder(const Snapshot& snapshot) {
  std::vector<PodId> order;
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    PodId id = PodId::FromIndex(p);
    if (!snapshot.pod(id).node.valid()) order.push_back(id);
  }
  std::stable_sort(order.begin(), order.end(), [&](PodId x, PodId y) {
    const model::Pod& a = snapshot.pod(x);
    const model::Pod& b = snapshot.pod(y);
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.creation_unix_seconds.has_value() != b.creation_unix_seconds.has_value()) {
      return a.creation_unix_seconds.has_value();
    }
    if (a.creation_unix_seconds != b.creation_unix_seconds) {
      return *a.creation_unix_seconds < *b.creation_unix_seconds;
    }
    if (a.namespace_name != b.namespace_name) return a.namespace_name < b.namespace_name;
    return a.name < b.name;
  });
  return order;
}

namespace {

// Adds one node's rejections to the decision's per-reason counts.
void Tally(const placement::Rejections& rejections, std::vector<model::ReasonCount>& counts) {
  for (int i = 0; i < rejections.size; ++i) {
    const model::ReasonCount& r = rejections.items[i];
    auto it = std::find_if(counts.begin(), counts.end(), [&](const model::ReasonCount& c) {
      return c.reason == r.reason && c.arg == r.arg && c.arg2 == r.arg2;
    });
    if (it == counts.end()) {
      counts.push_back({r.reason, r.arg, r.arg2, 1});
    } else {
      ++it->nodes;
    }
  }
}

// Per-cycle buffers, sized once and reused by every decision.
struct Scratch {
  std::vector<NodeId> feasible;
  std::vector<int64_t> taint_counts;
  std::vector<Quantity> empty_node;  // a row of zeros: "what if the node were empty"
};

// Decides one pending pod; reserves the chosen node on `overlay`.
Decision DecideOne(const Snapshot& snapshot, const Options& options, model::Overlay& overlay,
                   PodId pod, Scratch& scratch) {
  auto& feasible = scratch.feasible;
  auto& taint_counts = scratch.taint_counts;
  Decision d;
  d.pod = pod;
  d.nodes_total = static_cast<uint32_t>(snapshot.num_nodes());
  const size_t num_nodes = snapshot.num_nodes();

  if (!snapshot.pod(pod).claims.empty()) {
    // TODO(#3): allocate DRA claims; until then no node can satisfy them.
    if (num_nodes > 0) {
      d.reasons.push_back({RejectReason::kClaimsUnsupported, 0, 0, d.nodes_total});
    }
    d.outcome = Outcome::kInfeasible;
    return d;
  }

  feasible.clear();
  placement::Rejections rejections;
  bool fits_some_empty_node = false;
  for (size_t n = 0; n < num_nodes; ++n) {
    NodeId node = NodeId::FromIndex(n);
    rejections.Clear();
    if (!placement::PassesStaticFilters(snapshot, pod, node, rejections)) {
      Tally(rejections, d.reasons);
      continue;
    }
    if (!placement::FitsResources(snapshot, pod, node, overlay.used(node), rejections)) {
      Tally(rejections, d.reasons);
      if (!fits_some_empty_node) {
        placement::Rejections ignored;
        fits_some_empty_node = placement::FitsResources(snapshot, pod, node, scratch.empty_node, ignored);
      }
      continue;
    }
    feasible.push_back(node);
  }

  if (feasible.empty()) {
    d.outcome = fits_some_empty_node ? Outcome::kWaiting : Outcome::kInfeasible;
    return d;
  }

  taint_counts.resize(feasible.size());
  int64_t max_taints = 0;
  for (size_t i = 0; i < feasible.size(); ++i) {
    taint_counts[i] = placement::CountPreferNoScheduleTaints(snapshot, pod, feasible[i]);
    max_taints = std::max(max_taints, taint_counts[i]);
  }
  int64_t best_score = -1;
  NodeId best;
  for (size_t i = 0; i < feasible.size(); ++i) {
    NodeId node = feasible[i];
    int64_t score =
        placement::kResourceWeight *
            placement::ResourceScore(snapshot, pod, node, overlay.used(node), options.policy) +
        placement::kTaintWeight * placement::NormalizedTaintScore(taint_counts[i], max_taints);
    if (score > best_score) {  // strictly greater: ties keep the lowest NodeId
      best_score = score;
      best = node;
    }
  }
  overlay.Reserve(pod, best);
  d.outcome = Outcome::kPlaced;
  d.node = best;
  d.score = best_score;
  return d;
}

}  // namespace

std::vector<Decision> ScheduleAll(const Snapshot& snapshot, const Options& options,
                                  model::Overlay& overlay) {
  std::vector<Decision> decisions(snapshot.num_pods());
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    PodId id = PodId::FromIndex(p);
    decisions[p].pod = id;
    decisions[p].nodes_total = static_cast<uint32_t>(snapshot.num_nodes());
    if (snapshot.pod(id).node.valid()) {
      decisions[p].outcome = Outcome::kBound;
      decisions[p].node = snapshot.pod(id).node;
    }
  }
  Scratch scratch;
  scratch.feasible.reserve(snapshot.num_nodes());
  scratch.taint_counts.reserve(snapshot.num_nodes());
  scratch.empty_node.assign(snapshot.num_resources(), Quantity());
  for (PodId pod : SchedulingOrder(snapshot)) {
    decisions[pod.index()] = DecideOne(snapshot, options, overlay, pod, scratch);
    overlay.Commit();
  }
  return decisions;
}

}  // namespace tessera::engine

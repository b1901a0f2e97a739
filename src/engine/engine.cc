#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "admission/quota_check.h"
#include "admission/quota_devices.h"
#include "base/check.h"
#include "dra/invariants.h"
#include "engine/internal/engine_impl.h"
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

RejectReason ToReason(dra::DraFailure kind) {
  switch (kind) {
    case dra::DraFailure::kClaimProblem:
      return RejectReason::kClaimUnusable;
    case dra::DraFailure::kSelectorError:
      return RejectReason::kClaimSelectorError;
    case dra::DraFailure::kNoMatchingDevice:
      return RejectReason::kClaimNoMatchingDevice;
    case dra::DraFailure::kUntoleratedTaint:
      return RejectReason::kClaimUntoleratedTaint;
    case dra::DraFailure::kNotEnoughFree:
      return RejectReason::kClaimNotEnoughFree;
    case dra::DraFailure::kTooComplex:
      return RejectReason::kClaimTooComplex;
    case dra::DraFailure::kIncompletePool:
      return RejectReason::kClaimIncompletePool;
    case dra::DraFailure::kAllocatedElsewhere:
      return RejectReason::kClaimAllocatedElsewhere;
    case dra::DraFailure::kTooManyConsumers:
      return RejectReason::kClaimTooManyConsumers;
    case dra::DraFailure::kNoExecute:
      return RejectReason::kClaimNoExecute;
    case dra::DraFailure::kConstraint:
    case dra::DraFailure::kNone:
      break;
  }
  return RejectReason::kClaimConstraint;
}

// Device failures that other pods' usage causes: the pod may fit later.
bool MayFitLater(dra::DraFailure kind) {
  return kind == dra::DraFailure::kNotEnoughFree || kind == dra::DraFailure::kConstraint ||
         kind == dra::DraFailure::kTooComplex || kind == dra::DraFailure::kAllocatedElsewhere ||
         kind == dra::DraFailure::kTooManyConsumers;
}

std::string ShareId(uint64_t n) {
  // Deterministic, UUID-shaped (version 4 layout) so that runs are reproducible.
  return fmt::format("00000000-0000-4000-8000-{:012x}", n);
}

// Whether admission decides `spec`: it names a LocalQueue, or a KAI queue while the input has
// KAI Queues (without any, a KAI-labelled workload is placed as before, as a gang).
bool AdmittedThroughQueue(const model::WorkloadSpec& spec, const admission::QueueModel& queues) {
  return !spec.queue_name.empty() || (!spec.kai_queue.empty() && queues.has_kai_queues());
}

// How messages name a queued workload: Kueue's Workload, or for a KAI queue the PodGroup KAI
// makes for it ("pod group ml/pg-train").
std::string WorkloadLabel(const model::WorkloadSpec& spec) {
  if (spec.queue_name.empty()) {
    return fmt::format("pod group {}/pg-{}", spec.namespace_name, spec.owner.name);
  }
  return fmt::format("workload {}/{}", spec.namespace_name, spec.name);
}
}  // namespace

bool Engine::Impl::Running(const model::WorkloadSpec& spec) const {
  if (spec.admission) return true;  // a Workload object says Kueue admitted it
  for (const model::PodSetSpec& ps : spec.pod_sets) {
    for (const std::string& name : ps.pod_names) {
      auto pod = snapshot.FindPod(spec.namespace_name, name);
      if (pod && snapshot.pod(*pod).node.valid()) return true;
    }
  }
  return false;
}

void Engine::Impl::ReservePod(PodId pod, NodeId node) {
  overlay.Reserve(pod, node);
  for (auto& topology : topologies) topology->OnReserve(pod, node);
  journal.push_back({.pod = pod, .node = node});
}

void Engine::Impl::RollbackTo(internal::Mark mark) {
  while (journal.size() > mark.journal) {
    const internal::JournalEntry& e = journal.back();
    if (e.owners != nullptr) {
      (*e.owners)[e.domain] = e.old_owner;
    } else if (e.released) {
      for (auto& topology : topologies) topology->OnReserve(e.pod, e.node);
    } else {
      for (auto& topology : topologies) topology->OnRelease(e.pod, e.node);
      held_begin[e.pod.index()] = held_end[e.pod.index()] = 0;  // its held entries go below
    }
    journal.pop_back();
  }
  held.resize(mark.held);
  overlay.RollbackTo(mark.overlay);
}

void Engine::Impl::Unbind(std::span<const PodId> pods) {
  for (PodId pod : pods) {
    const NodeId node = overlay.node_of(pod);
    if (!node.valid()) continue;
    overlay.Unreserve(pod);
    for (auto& topology : topologies) topology->OnRelease(pod, node);
    journal.push_back({.pod = pod, .node = node, .released = true});
    ReleaseExclusiveDomain(pod, node);
  }
}

void Engine::Impl::ReleaseClaimsOf(std::span<const PodId> pods) {
  for (PodId pod : pods) {
    const std::string& name = snapshot.pod(pod).name;
    const auto claims = catalog->instances_of(pod);
    for (size_t i = 0; i < claims.size(); ++i) {
      const uint32_t instance = claims[i];
      if (std::find(claims.begin(), claims.begin() + static_cast<std::ptrdiff_t>(i), instance) !=
          claims.begin() + static_cast<std::ptrdiff_t>(i)) {
        continue;  // named twice
      }
      const auto recorded = preallocated.find(instance);
      if (recorded == preallocated.end() || !allocator->allocated(overlay, instance)) continue;
      // Only a pod the claim is reserved for counts as one of its consumers.
      const model::ResourceClaimSpec& spec =
          *catalog->claims()[catalog->instances()[instance].claim].spec;
      if (std::find(spec.reserved_for.begin(), spec.reserved_for.end(), name) ==
          spec.reserved_for.end()) {
        continue;
      }
      if (allocator->RemoveConsumer(overlay, instance) > 0) continue;
      // The last consumer left: what recording the claim took is given back (its result rows
      // stay behind the append-only end, unused).
      for (const auto& [slot, delta] : recorded->second) {
        if (slot == allocator->append_only_slot() || slot == allocator->consumers_slot(instance)) {
          continue;
        }
        overlay.AddToLedger(slot, -delta);
      }
    }
  }
}

void Engine::Impl::Evict(const RunningWorkload& victim) {
  // Pods this run placed first: a claim they share with bound pods (a ResourceClaim named
  // by several) then has only the input's consumers left when ReleaseClaimsOf counts them.
  for (PodId pod : victim.placed) {
    if (!overlay.node_of(pod).valid()) continue;
    for (uint32_t i = held_begin[pod.index()]; i < held_end[pod.index()]; ++i) {
      overlay.AddToLedger(held[i].first, -held[i].second);
    }
  }
  Unbind(victim.placed);
  ReleaseClaimsOf(victim.pods);
  Unbind(victim.pods);
}

void Engine::Impl::ForgetHeld(const RunningWorkload& victim) {
  for (PodId pod : victim.placed) {
    held_released += held_end[pod.index()] - held_begin[pod.index()];
    held_begin[pod.index()] = held_end[pod.index()] = 0;
  }
}

std::vector<model::ReasonCount>& Engine::Impl::StartReasons(std::span<const NodeId> nodes) {
  std::vector<model::ReasonCount>& reasons = reasons_scratch;
  reasons.clear();
  if (nodes.size() < snapshot.num_nodes()) {
    // Nodes left out by the caller: a Kueue flavor's nodeLabels (which Kueue puts into the
    // pod's nodeSelector) or a topology domain.
    reasons.push_back({RejectReason::kNodeAffinity, 0, 0,
                       static_cast<uint32_t>(snapshot.num_nodes() - nodes.size())});
  }
  return reasons;
}

std::pair<NodeId, int64_t> Engine::Impl::Scan(PodId pod, std::span<const NodeId> nodes,
                                               bool has_claims, Decision& d) {
  feasible.clear();
  // Why nodes were rejected goes to a reused buffer, and into the decision only when the pod
  // fits nowhere: a placed pod's decision allocates nothing.
  std::vector<model::ReasonCount>& reasons = StartReasons(nodes);
  placement::Rejections rejections;
  bool may_fit_later = false;
  for (NodeId node : nodes) {
    rejections.Clear();
    bool later = false;
    if (Fits(pod, node, has_claims, rejections, later)) {
      feasible.push_back(node);
      continue;
    }
    Tally(rejections, reasons);
    may_fit_later |= later;
  }

  NodeId best;
  int64_t best_score = -1;
  if (feasible.empty()) {
    d.outcome = may_fit_later ? Outcome::kWaiting : Outcome::kInfeasible;
    d.reasons.assign(reasons.begin(), reasons.end());
    return {};
  }

  taint_counts.resize(feasible.size());
  int64_t max_taints = 0;
  for (size_t i = 0; i < feasible.size(); ++i) {
    taint_counts[i] = placement::CountPreferNoScheduleTaints(snapshot, pod, feasible[i]);
    max_taints = std::max(max_taints, taint_counts[i]);
  }
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
  return {best, best_score};
}

internal::ClassCache* Engine::Impl::CacheFor(PodId pod) {
  if (!options.filter_cache || !extra_tolerations.empty()) return nullptr;
  const int32_t cls = pod_class[pod.index()];
  if (cls < 0) return nullptr;
  // A pod's own template claims are unallocated before it is placed, unless they arrived
  // allocated; then their state is the pod's alone and the class does not stand for it.
  const auto claims = catalog->instances_of(pod);
  for (uint32_t instance : claims) {
    if (allocator->allocated(overlay, instance)) return nullptr;
  }
  std::unique_ptr<internal::ClassCache>& cache = class_caches[cls];
  if (cache == nullptr) {
    const size_t n = snapshot.num_nodes();
    size_t leaves = 1;
    while (leaves < n) leaves *= 2;
    const size_t bytes = n * (sizeof(internal::CacheEntry) + sizeof(int64_t)) +
                         2 * leaves * sizeof(uint32_t);
    if (filter_cache_bytes + bytes > kFilterCacheBytes) return nullptr;
    filter_cache_bytes += bytes;
    std::vector<int64_t> taints(n);
    for (size_t i = 0; i < n; ++i) {
      taints[i] = placement::CountPreferNoScheduleTaints(snapshot, pod, NodeId::FromIndex(i));
    }
    cache = std::make_unique<internal::ClassCache>(n, std::move(taints), !claims.empty());
  }
  return cache.get();
}

bool Engine::Impl::Fits(PodId pod, NodeId node, bool has_claims,
                        placement::Rejections& rejections, bool& may_fit_later) {
  if (!placement::PassesStaticFilters(snapshot, pod, node, rejections, extra_tolerations)) {
    return false;
  }
  if (!placement::FitsResources(snapshot, pod, node, overlay.used(node), rejections)) {
    placement::Rejections ignored;
    may_fit_later = placement::FitsResources(snapshot, pod, node, empty_node, ignored);
    return false;
  }
  if (has_claims) {
    dra::DraFailureInfo failure;
    const model::Overlay::Mark mark = overlay.mark();
    if (!allocator->Allocate(overlay, pod, node, failure)) {
      rejections.Add(ToReason(failure.kind), failure.instance, failure.request);
      may_fit_later = MayFitLater(failure.kind);
      return false;
    }
    // Only asking: the chosen node allocates again, and the node's version is back to what it
    // was (the filter cache relies on it).
    overlay.RollbackTo(mark);
  }
  return true;
}

int64_t Engine::Impl::Evaluate(internal::ClassCache& cache, PodId pod, NodeId node,
                               bool has_claims) {
  placement::Rejections rejections;
  bool later = false;
  if (Fits(pod, node, has_claims, rejections, later)) {
    return placement::ResourceScore(snapshot, pod, node, overlay.used(node), options.policy);
  }
  internal::CachedRejection& r = cache.rejection(node);
  r = {};
  r.may_fit_later = later;
  r.overflow = rejections.size > 2;
  r.count = static_cast<uint8_t>(std::min(rejections.size, 2));
  for (int i = 0; i < r.count; ++i) {
    r.items[i] = {rejections.items[i].reason, rejections.items[i].arg, rejections.items[i].arg2};
  }
  if (r.count == 1 && r.items[0].reason >= RejectReason::kClaimUnusable) {
    // A claim instance is the pod's own; keep its position, which every pod of the class
    // shares.
    const auto claims = catalog->instances_of(pod);
    const auto it = std::find(claims.begin(), claims.end(), r.items[0].arg);
    r.overflow |= it == claims.end();
    r.claim = true;
    r.items[0].arg = static_cast<uint32_t>(it - claims.begin());
  }
  return internal::kInfeasible;
}

bool Engine::Impl::CachedReasons(internal::ClassCache& cache, PodId pod,
                                 std::span<const NodeId> nodes, Decision& d) {
  std::vector<model::ReasonCount>& reasons = StartReasons(nodes);
  const auto claims = catalog->instances_of(pod);
  bool may_fit_later = false;
  placement::Rejections rejections;
  for (NodeId node : nodes) {
    const internal::CachedRejection& r = cache.rejection(node);
    if (r.overflow) return false;  // the full scan has the rest
    rejections.Clear();
    for (int i = 0; i < r.count; ++i) {
      const uint32_t arg = r.claim ? claims[r.items[i].arg] : r.items[i].arg;
      rejections.Add(r.items[i].reason, arg, r.items[i].arg2);
    }
    Tally(rejections, reasons);
    may_fit_later |= r.may_fit_later;
  }
  d.outcome = may_fit_later ? Outcome::kWaiting : Outcome::kInfeasible;
  d.reasons.assign(reasons.begin(), reasons.end());
  return true;
}

std::pair<NodeId, int64_t> Engine::Impl::BestCached(internal::ClassCache& cache, PodId pod,
                                                     std::span<const NodeId> nodes,
                                                     bool has_claims) {
  bool everything_stale = false;
  if (cache.has_claims()) {
    // Devices that several nodes can use changed: any node's verdict may have.
    const uint64_t shared = overlay.version(overlay.shared_key());
    if (cache.shared_version != shared) {
      cache.Invalidate();
      cache.shared_version = shared;
      everything_stale = true;
    }
  }
  auto refresh = [&](NodeId node) {
    const uint64_t version = overlay.version(node.value());
    if (cache.entry(node).version != version) {
      cache.Set(node, version, Evaluate(cache, pod, node, has_claims));
    }
  };
  if (nodes.size() == snapshot.num_nodes() && !cache.any_taints()) {
    // Every node, one taint score for all: the tree's best is the scan's best. Nodes that
    // changed since the class last looked are in the overlay's change log.
    bool full = everything_stale || !cache.tree_built() ||
                cache.log_position < overlay.change_log_base();
    if (!full) {
      const uint64_t end = overlay.change_log_end();
      for (uint64_t p = cache.log_position; p < end; ++p) {
        if (p < overlay.change_log_base()) {  // our own probes filled the log and it rolled over
          full = true;
          break;
        }
        const uint32_t key = overlay.change_log()[p - overlay.change_log_base()];
        if (key < snapshot.num_nodes()) refresh(NodeId::FromIndex(key));
      }
    }
    if (full) {
      for (NodeId node : all_nodes) refresh(node);
      if (!cache.tree_built()) cache.BuildTree();
    }
    cache.log_position = overlay.change_log_end();
    const NodeId best = cache.Best();
    if (!best.valid()) return {};
    return {best, placement::kResourceWeight * cache.entry(best).score +
                      placement::kTaintWeight * placement::kMaxNodeScore};
  }
  // Some nodes, or taint scores that depend on which nodes pass: scan the entries.
  int64_t max_taints = 0;
  for (NodeId node : nodes) {
    refresh(node);
    if (cache.entry(node).score != internal::kInfeasible) {
      max_taints = std::max(max_taints, cache.taints(node));
    }
  }
  NodeId best;
  int64_t best_score = -1;
  for (NodeId node : nodes) {
    const int64_t resource = cache.entry(node).score;
    if (resource == internal::kInfeasible) continue;
    const int64_t score =
        placement::kResourceWeight * resource +
        placement::kTaintWeight * placement::NormalizedTaintScore(cache.taints(node), max_taints);
    if (score > best_score) {  // strictly greater: ties keep the first, as Scan does
      best_score = score;
      best = node;
    }
  }
  return {best, best_score};
}

void Engine::Impl::SetLedgerKeys() {
  // A slot belongs to the one node that can use its device, or to the shared key when more
  // than one can; claim bookkeeping slots change no node's verdict for a class (a class's
  // pods own their claims) and get no key.
  std::vector<uint32_t> keys(overlay.ledger_size(), model::Overlay::kNoKey);
  const uint32_t shared = overlay.shared_key();
  auto claim = [&](size_t slot, uint32_t node) {
    uint32_t& k = keys[slot];
    k = (k == model::Overlay::kNoKey || k == node) ? node : shared;
  };
  const model::DeviceTable& devices = snapshot.devices();
  for (NodeId node : all_nodes) {
    for (model::DeviceId d : index->devices_for(node)) {
      claim(dra::DeviceIndex::use_slot(d), node.value());
      const model::Range caps = devices.capacities[d.index()];
      for (uint32_t c = caps.begin; c < caps.end; ++c) claim(index->capacity_slot(c), node.value());
      for (const dra::CounterUse& u : index->counters_of(d)) claim(u.slot, node.value());
    }
  }
  overlay.SetLedgerKeys(std::move(keys));
}

Decision Engine::Impl::DecideAmong(PodId pod, std::span<const NodeId> nodes) {
  Decision d;
  d.pod = pod;
  d.nodes_total = static_cast<uint32_t>(snapshot.num_nodes());
  const bool has_claims = !catalog->instances_of(pod).empty();

  // JobSet exclusive placement, from the other side: a pod with a job key does not go into a
  // domain another Job holds exclusively (that Job's pods' required anti-affinity). Such
  // nodes are left out of the search — lazily: the cached best node is usually not held, and
  // then nothing is filtered. When the pod fits nowhere, the message names the holders and
  // the tally counts only the nodes that were searched.
  // A pod of an exclusive Job that holds a domain stays in it (OwnExclusiveDomain).
  const std::span<const NodeId> asked = nodes;
  bool filtered = !MayBeHeldAgainst(pod);
  const std::pair<int32_t, uint32_t> own =
      filtered ? std::pair<int32_t, uint32_t>{-1, 0} : OwnExclusiveDomain(pod);
  auto kept_out = [&](NodeId node) {
    return ExclusiveHolder(pod, node) >= 0 || OutsideOwnDomain(own, node);
  };
  auto leave_out_held = [&] {
    if (filtered) return;
    filtered = true;
    exclusive_scratch.clear();
    for (NodeId node : nodes) {
      if (!kept_out(node)) exclusive_scratch.push_back(node);
    }
    if (exclusive_scratch.size() < nodes.size()) nodes = exclusive_scratch;
  };
  auto explain_held = [&] {
    leave_out_held();
    const size_t refused = asked.size() - nodes.size();
    if (refused == 0) return;
    d.message = ExclusiveHeldMessage(pod, asked);
    d.outcome = Outcome::kWaiting;  // the holder may finish
    for (auto it = d.reasons.begin(); it != d.reasons.end(); ++it) {
      if (it->reason != RejectReason::kNodeAffinity) continue;
      it->nodes -= static_cast<uint32_t>(std::min<size_t>(refused, it->nodes));
      if (it->nodes == 0) d.reasons.erase(it);
      break;
    }
  };

  NodeId best;
  int64_t best_score = -1;
  if (internal::ClassCache* cache = CacheFor(pod)) {
    std::tie(best, best_score) = BestCached(*cache, pod, nodes, has_claims);
    if (!filtered && (!best.valid() || kept_out(best))) {
      leave_out_held();
      if (best.valid()) std::tie(best, best_score) = BestCached(*cache, pod, nodes, has_claims);
    }
    // Fits nowhere: every node's verdict is current, and so is why it said no.
    if (!best.valid() && CachedReasons(*cache, pod, nodes, d)) {
      explain_held();
      return d;
    }
  }
  if (!best.valid()) {
    leave_out_held();
    std::tie(best, best_score) = Scan(pod, nodes, has_claims, d);
    if (!best.valid()) {
      explain_held();
      return d;
    }
  }
  const model::Overlay::Mark before = overlay.mark();
  if (has_claims) {
    dra::DraFailureInfo failure;
    const bool allocated = allocator->Allocate(overlay, pod, best, failure);
    TESSERA_CHECK(allocated) << "allocation that succeeded on node " << best.value()
                             << " failed when repeated";
    // What the placement took, for Release (the append-only results counter stays).
    ledger_scratch.clear();
    overlay.LedgerChangesSince(before, ledger_scratch);
    held_begin[pod.index()] = static_cast<uint32_t>(held.size());
    for (const auto& change : ledger_scratch) {
      if (change.first != allocator->append_only_slot()) held.push_back(change);
    }
    held_end[pod.index()] = static_cast<uint32_t>(held.size());
  } else {
    held_begin[pod.index()] = held_end[pod.index()] = 0;
  }
  ReservePod(pod, best);
  HoldExclusiveDomain(pod, best);
  d.outcome = Outcome::kPlaced;
  d.node = best;
  d.score = best_score;
  return d;
}

namespace {

// Placement as the admission cycle asks for it: the workload as a gang (every PodSet with
// its topology annotations, resolved against the topology of its flavor), on the nodes that
// carry the nodeLabels of the flavors assigned to each PodSet, reserved on the overlay; if
// any pod cannot be placed, nothing this workload reserved stays.
class EngineOracle final : public admission::PlacementOracle {
 public:
  EngineOracle(Engine::Impl& m, const admission::QueueModel& queues,
               std::span<const admission::PendingWorkload> pending,
               const std::vector<std::vector<std::vector<PodId>>>& pods,
               std::span<const uint32_t> spec_of, std::vector<Decision>& decisions,
               std::vector<std::optional<Decision>>& blocked)
      : m_(m),
        queues_(queues),
        pending_(pending),
        pods_(pods),
        spec_of_(spec_of),
        decisions_(decisions),
        blocked_(blocked) {
    CompileFlavors();
  }

  admission::PlaceResult TryPlace(const admission::PendingWorkload& workload,
                                  const admission::Assignment& assignment,
                                  std::span<const admission::WorkloadHandle> victims) override {
    const auto w = static_cast<size_t>(&workload - pending_.data());
    const model::WorkloadSpec& spec = m_.options.queues->workloads[spec_of_[w]];
    // Every PodSet's pods are restricted to its flavors' nodes; a gang has one scope, so
    // PodSets with different flavors are placed as separate gangs in order, all undone if a
    // later one fails.
    const internal::Mark mark = m_.TakeMark();
    // The workloads this admission preempts leave first: their pods are off their nodes,
    // and their claims' devices free once no other pod uses them.
    ++tries_;
    last_ = {.mark = mark, .workload = w};
    // KAI consolidates for its queued jobs; Kueue does not move running pods.
    const bool consolidate = m_.options.consolidate && spec.queue_name.empty();
    for (admission::WorkloadHandle v : victims) {
      if (const Engine::Impl::RunningWorkload* r = m_.FindRunning(v)) m_.Evict(*r);
    }
    for (size_t i = 0; i < assignment.pod_sets.size(); ++i) {
      const admission::PodSetAssignment& ps = assignment.pod_sets[i];
      const std::string& group = spec.pod_sets[ps.pod_set].group_name;
      // A PodSet group (kueue.x-k8s.io/podset-group-name) is one gang, placed at its first
      // PodSet; its PodSets have the same flavors (the admitter chose them together).
      bool placed_with_group = false;
      for (size_t j = 0; !group.empty() && j < i; ++j) {
        placed_with_group |= spec.pod_sets[assignment.pod_sets[j].pod_set].group_name == group;
      }
      if (placed_with_group) continue;
      AllowFlavors(ps);
      FlavorTolerations(ps);
      model::GangSpec gang = m_.GangOfWorkload(spec, ps.pod_set);
      TrimToCount(gang.members.front(), ps.count);
      if (!group.empty()) {
        // The group's level holds all of its pods: a constraint on the whole gang.
        const model::PodSetSpec& set = spec.pod_sets[ps.pod_set];
        gang.topology.required_level = set.required_topology;
        gang.topology.preferred_level = set.preferred_topology;
        ClearLevels(gang.members.front());
        for (size_t j = i + 1; j < assignment.pod_sets.size(); ++j) {
          const admission::PodSetAssignment& other = assignment.pod_sets[j];
          if (spec.pod_sets[other.pod_set].group_name != group) continue;
          model::GangSpec more = m_.GangOfWorkload(spec, other.pod_set);
          TrimToCount(more.members.front(), other.count);
          ClearLevels(more.members.front());
          if (gang.exclusive_topology.empty()) gang.exclusive_topology = more.exclusive_topology;
          gang.members.push_back(std::move(more.members.front()));
        }
      }
      internal::GangPlan plan = m_.CompileGang(gang, FlavorTopology(ps));
      plan.label.clear();  // the reason is shown as the workload's, which names it already
      std::string reason;
      bool placed = m_.PlaceGang(plan, allowed_, decisions_, reason, blocked_[w]);
      if (!placed && consolidate) {
        // Moves running preemptible pods when the PodSet then lands and they fit again; the
        // moved pods' decisions name the workload.
        plan.label = WorkloadLabel(spec);
        placed = m_.Consolidate(plan, allowed_, decisions_, &last_.moves);
        if (placed) blocked_[w].reset();
      }
      m_.extra_tolerations.clear();
      if (!placed) {
        m_.RollbackTo(mark);
        m_.UndoMoves(last_.moves, decisions_);
        for (const admission::PodSetAssignment& other : assignment.pod_sets) {
          for (PodId p : pods_[w][other.pod_set]) decisions_[p.index()] = Decision{.pod = p};
        }
        return {false, std::move(reason)};
      }
    }
    return {.ok = true, .moved_pods = !last_.moves.empty()};
  }

  // Partial admission: the first `count` pods of the PodSet (the Job's parallelism is
  // lowered to count; its controller creates the lowest indexes).
  static void TrimToCount(model::GangMemberSpec& member, int32_t count) {
    if (count >= 0 && static_cast<size_t>(count) < member.pod_names.size()) {
      member.pod_names.resize(static_cast<size_t>(count));
    }
  }
  // A grouped PodSet's own level is the group's, which the gang holds.
  static void ClearLevels(model::GangMemberSpec& member) {
    member.topology.required_level.clear();
    member.topology.preferred_level.clear();
  }

  // Gives back what the last (successful) TryPlace reserved, evicted and moved.
  bool CanUndo() const override { return true; }
  void Undo() override {
    m_.RollbackTo(last_.mark);
    m_.UndoMoves(last_.moves, decisions_);
    for (const std::vector<PodId>& set : pods_[last_.workload]) {
      for (PodId p : set) decisions_[p.index()] = Decision{.pod = p};
    }
  }

  uint64_t tries() const { return tries_; }

 private:
  // Nodes whose labels include every nodeLabel of every flavor the PodSet was given.
  void AllowFlavors(const admission::PodSetAssignment& ps) {
    const Snapshot& s = m_.snapshot;
    allowed_.clear();
    // The labels to match, looked up once; one that no node has leaves no node.
    labels_.clear();
    for (const admission::FlavorResourceAmount& u : ps.usage) {
      const admission::FlavorInfo& flavor = queues_.flavor(queues_.FlavorOf(u.fr));
      for (const auto& [key, value] : flavor.node_labels) {
        const auto k = s.FindLabelKey(key);
        const auto v = s.FindLabelValue(value);
        if (!k || !v) return;
        labels_.emplace_back(*k, *v);
      }
    }
    for (size_t n = 0; n < s.num_nodes(); ++n) {
      bool ok = true;
      for (const auto& [k, v] : labels_) {
        const auto have = s.NodeLabel(NodeId::FromIndex(n), k);
        if (!have || *have != v) {
          ok = false;
          break;
        }
      }
      if (ok) allowed_.push_back(NodeId::FromIndex(n));
    }
  }
  // Kueue adds the tolerations of the PodSet's flavors to its pods.
  void FlavorTolerations(const admission::PodSetAssignment& ps) {
    m_.extra_tolerations.clear();
    for (const admission::FlavorResourceAmount& u : ps.usage) {
      const auto& add = flavor_tolerations_[queues_.FlavorOf(u.fr).index()];
      m_.extra_tolerations.insert(m_.extra_tolerations.end(), add.begin(), add.end());
    }
  }
  // The topologyName of the first flavor of the PodSet that has one.
  std::string FlavorTopology(const admission::PodSetAssignment& ps) const {
    for (const admission::FlavorResourceAmount& u : ps.usage) {
      const std::string& name = flavor_topology_[queues_.FlavorOf(u.fr).index()];
      if (!name.empty()) return name;
    }
    return {};
  }
  // Per flavor, once: its tolerations against the snapshot's taint keys and values, and
  // its topologyName.
  void CompileFlavors() {
    const Snapshot& s = m_.snapshot;
    flavor_tolerations_.resize(queues_.num_flavors());
    flavor_topology_.resize(queues_.num_flavors());
    for (const model::ResourceFlavorSpec& f : m_.options.queues->flavors) {
      const admission::FlavorId id = queues_.FindFlavor(f.name);
      if (!id.valid()) continue;
      flavor_topology_[id.index()] = f.topology_name;
      for (const model::TolerationSpec& t : f.tolerations) {
        model::Toleration compiled{.op = t.op, .any_effect = !t.effect.has_value()};
        if (t.effect) compiled.effect = *t.effect;
        if (!t.key.empty()) {
          const auto key = s.FindLabelKey(t.key);
          if (!key) continue;  // no taint in the cluster has this key
          compiled.key = *key;
        }
        if (t.op == model::TolerationOperator::kEqual) {
          const auto value = s.FindLabelValue(t.value);
          if (!value) continue;  // no taint has this value
          compiled.value = *value;
        }
        flavor_tolerations_[id.index()].push_back(compiled);
      }
    }
  }

  Engine::Impl& m_;
  const admission::QueueModel& queues_;
  std::span<const admission::PendingWorkload> pending_;
  const std::vector<std::vector<std::vector<PodId>>>& pods_;
  std::span<const uint32_t> spec_of_;
  std::vector<Decision>& decisions_;
  std::vector<std::optional<Decision>>& blocked_;
  std::vector<NodeId> allowed_;
  std::vector<std::pair<model::LabelKeyId, model::LabelValueId>> labels_;
  std::vector<std::vector<model::Toleration>> flavor_tolerations_;  // by FlavorId
  std::vector<std::string> flavor_topology_;                        // by FlavorId
  uint64_t tries_ = 0;                                              // TryPlace calls
  struct LastTry {
    internal::Mark mark;
    size_t workload = 0;        // index into pending_
    internal::MoveLog moves;    // what its consolidation moved (KAI queues)
  } last_;
};

}  // namespace

std::vector<model::PodSetAdmission> Engine::Impl::PodSetAdmissions(
    const model::WorkloadSpec& spec, const admission::Assignment& assignment) const {
  std::vector<model::PodSetAdmission> out;
  for (const admission::PodSetAssignment& ps : assignment.pod_sets) {
    model::PodSetAdmission a{.name = spec.pod_sets[ps.pod_set].name, .count = ps.count};
    for (const admission::FlavorResourceAmount& u : ps.usage) {
      const std::string& resource = queues->resource_name(queues->ResourceOf(u.fr));
      a.flavors.emplace_back(resource, queues->flavor(queues->FlavorOf(u.fr)).name);
      a.resource_usage.emplace_back(resource, Quantity(u.amount));
    }
    out.push_back(std::move(a));
  }
  return out;
}

uint64_t Engine::Impl::PlacementClass(const model::WorkloadSpec& spec,
                                      const std::vector<std::vector<PodId>>& set_pods,
                                      std::unordered_map<std::string, uint64_t>& classes) const {
  if (!options.placement_memo) return 0;
  std::string key;
  auto put = [&key](uint64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto put_text = [&key, &put](const std::string& s) {
    put(s.size());
    key += s;
  };
  put(set_pods.size());
  for (uint32_t s = 0; s < set_pods.size(); ++s) {
    const std::vector<PodId>& ids = set_pods[s];
    put(ids.size());
    if (ids.empty()) continue;
    const int32_t cls = pod_class[ids[0].index()];
    for (PodId pod : ids) {
      if (cls < 0 || pod_class[pod.index()] != cls) return 0;
      // A claim that is allocated already is the pod's own state (CacheFor says the same).
      for (uint32_t instance : catalog->instances_of(pod)) {
        if (allocator->allocated(overlay, instance)) return 0;
      }
    }
    put(static_cast<uint64_t>(cls));
    // What placement takes from the PodSet besides its pods: the gang GangOfWorkload makes.
    const model::GangSpec gang = GangOfWorkload(spec, s);
    put(static_cast<uint64_t>(gang.kind));
    put_text(gang.exclusive_topology);
    put_text(spec.pod_sets[s].group_name);  // placed with the group's other PodSets
    for (const model::GangMemberSpec& member : gang.members) {
      put(static_cast<uint64_t>(member.min_count));
      put(static_cast<uint64_t>(member.pods_per_job));
      const model::TopologyConstraintSpec& topology = member.topology;
      put_text(topology.topology);
      put_text(topology.required_level);
      put_text(topology.preferred_level);
      put(topology.unconstrained);
      put(topology.slices.size());
      for (const model::SliceLayerSpec& layer : topology.slices) {
        put_text(layer.level);
        put(static_cast<uint64_t>(layer.size));
      }
    }
  }
  return classes.try_emplace(key, classes.size() + 1).first->second;
}

void Engine::Impl::PartialAdmission(const model::WorkloadSpec& spec,
                                    const admission::AdmissionDecision& d,
                                    const std::vector<std::vector<PodId>>& set_pods,
                                    model::WorkloadDecision& out,
                                    std::vector<Decision>& decisions) const {
  std::string counts;
  for (const admission::PodSetAssignment& ps : d.assignment.pod_sets) {
    const std::vector<PodId>& ids = set_pods[ps.pod_set];
    if (static_cast<size_t>(ps.count) >= ids.size()) continue;
    const model::PodSetSpec& set = spec.pod_sets[ps.pod_set];
    counts += fmt::format("{}{} of {} pods of {}", counts.empty() ? "" : ", ", ps.count,
                          ids.size(), set.name);
    for (PodId p : ids) {
      if (overlay.node_of(p).valid()) continue;
      Decision& pd = decisions[p.index()];
      pd = Decision{.pod = p,
                    .outcome = Outcome::kWaiting,
                    .nodes_total = static_cast<uint32_t>(snapshot.num_nodes())};
      pd.message = fmt::format(
          "not started: {} is admitted with {} of the {} pods of {} (partial admission, "
          "kueue.x-k8s.io/job-min-parallelism {}); its Job runs with parallelism {}",
          WorkloadLabel(spec), ps.count, ids.size(), set.name, set.min_count.value_or(0),
          ps.count);
    }
  }
  out.message = fmt::format("partially admitted: {}", counts);
}

void Engine::Impl::HoldBackNotStarted(int32_t w) {
  const model::WorkloadSpec& spec = options.queues->workloads[static_cast<size_t>(w)];
  for (const model::PodSetAssignmentSpec& psa : spec.admission->pod_sets) {
    if (!psa.count) continue;
    for (const model::PodSetSpec& ps : spec.pod_sets) {
      if (ps.name != psa.name) continue;
      // The bound pods run; of the others, the first ones up to the admitted count start.
      int32_t room = *psa.count;
      for (const std::string& name : ps.pod_names) {
        auto pod = snapshot.FindPod(spec.namespace_name, name);
        if (pod && snapshot.pod(*pod).node.valid()) --room;
      }
      for (const std::string& name : ps.pod_names) {
        auto pod = snapshot.FindPod(spec.namespace_name, name);
        if (!pod || snapshot.pod(*pod).node.valid()) continue;
        if (room > 0) {
          --room;
        } else {
          workload_of_pod[pod->index()] = w;
        }
      }
    }
  }
}

void Engine::Impl::AdmittedBefore(uint32_t w, admission::Admitter& admitter,
                                  ScheduleResult& result) {
  const model::WorkloadSpec& spec = options.queues->workloads[w];
  const model::WorkloadAdmissionSpec& a = *spec.admission;
  model::WorkloadDecision& out = result.workloads[w];
  out.cluster_queue = a.cluster_queue;
  const admission::ClusterQueueId cq = queues->FindClusterQueue(a.cluster_queue);
  if (!cq.valid()) {  // io checks that the ClusterQueue exists; a caller may not have
    out.message = fmt::format("status.admission of Workload {}: ClusterQueue {} not found",
                              a.object, a.cluster_queue);
    return;
  }
  std::vector<admission::FlavorResourceAmount> usage;
  for (const model::PodSetAssignmentSpec& psa : a.pod_sets) {
    model::PodSetAdmission ps{.name = psa.name, .flavors = psa.flavors,
                              .resource_usage = psa.resource_usage};
    ps.count = psa.count.value_or(0);
    for (const model::PodSetSpec& set : spec.pod_sets) {
      if (set.name == psa.name && !psa.count) ps.count = set.count;
    }
    for (const auto& [resource, amount] : psa.resource_usage) {
      const admission::ResourceId r = queues->FindResource(resource);
      admission::FlavorId f;
      for (const auto& [res, flavor] : psa.flavors) {
        if (res == resource) f = queues->FindFlavor(flavor);
      }
      // A resource without a flavor is not under quota (Kueue lists the covered ones only).
      if (!r.valid() || !f.valid()) continue;
      usage.push_back({queues->Fr(f, r), amount.value()});
    }
    out.pod_sets.push_back(std::move(ps));
  }
  const int64_t created = spec.creation_unix_seconds.value_or(0);
  const admission::WorkloadHandle handle =
      admitter.AddAdmitted({.name = spec.namespace_name + "/" + spec.name,
                            .cluster_queue = cq,
                            .priority = spec.priority,
                            .creation_unix_seconds = created,
                            .admission_unix_seconds = created,
                            .usage = std::move(usage)});
  out.admitted = true;
  std::vector<PodId> bound, placed;
  std::string not_started;
  for (const model::PodSetSpec& set : spec.pod_sets) {
    for (const std::string& name : set.pod_names) {
      auto pod = snapshot.FindPod(spec.namespace_name, name);
      if (!pod) continue;
      if (snapshot.pod(*pod).node.valid()) {
        bound.push_back(*pod);
      } else if (overlay.node_of(*pod).valid()) {
        placed.push_back(*pod);
      } else if (workload_of_pod[pod->index()] == static_cast<int32_t>(w)) {
        Decision& d = result.decisions[pod->index()];
        d = Decision{.pod = *pod,
                     .outcome = Outcome::kWaiting,
                     .nodes_total = static_cast<uint32_t>(snapshot.num_nodes())};
        int32_t count = set.count;
        for (const model::PodSetAdmission& ps : out.pod_sets) {
          if (ps.name == set.name) count = ps.count;
        }
        d.message = fmt::format(
            "not started: {} is admitted with {} of the {} pods of {} (status.admission of "
            "Workload {})",
            WorkloadLabel(spec), count, set.pod_names.size(), set.name, a.object);
      }
    }
  }
  running_workloads.push_back({handle, w, std::move(bound), std::move(placed)});
}

void Engine::Impl::Admit(ScheduleResult& result) {
  const std::vector<model::WorkloadSpec>& specs = options.queues->workloads;
  // Kueue's Configuration may turn fair sharing on and choose its preemption strategies.
  admission::AdmissionOptions admission_options{.fair_sharing = options.fair_sharing,
                                                .aging_seconds = options.aging_seconds};
  if (const auto& fs = options.queues->kueue_fair_sharing; fs && fs->enabled) {
    admission_options.fair_sharing = true;
    for (model::FairPreemptionStrategySpec s : fs->preemption_strategies) {
      admission_options.preemption_strategies.push_back(
          s == model::FairPreemptionStrategySpec::kLessThanInitialShare
              ? admission::FairPreemptionStrategy::kLessThanInitialShare
              : admission::FairPreemptionStrategy::kLessThanOrEqualToFinalShare);
    }
  }
  admission::Admitter admitter(*queues, std::move(admission_options));
  std::vector<admission::PendingWorkload> pending;
  std::vector<std::vector<std::vector<PodId>>> pods;  // per pending workload, per PodSet
  std::vector<uint32_t> spec_of;                      // pending index -> spec index
  // PlacementClass's keys, numbered.
  std::unordered_map<std::string, uint64_t> placement_classes;
  running_workloads.clear();
  result.workloads.resize(specs.size());
  for (uint32_t w = 0; w < specs.size(); ++w) {
    const model::WorkloadSpec& spec = specs[w];
    model::WorkloadDecision& out = result.workloads[w];
    out.workload = w;
    if (!AdmittedThroughQueue(spec, *queues)) continue;
    if (spec.admission) {  // Kueue admitted it already (a Workload object of the input)
      AdmittedBefore(w, admitter, result);
      continue;
    }
    // A KAI workload (label kai.scheduler/queue, no Kueue label) goes to the ClusterQueue its
    // leaf Queue was compiled into.
    const bool kai = spec.queue_name.empty();
    admission::ClusterQueueId cq;
    admission::LocalQueueId local_queue;
    if (kai) {
      cq = queues->FindKaiQueue(spec.kai_queue);
      if (!cq.valid()) {
        out.cluster_queue = spec.kai_queue;
        out.message = queues->IsKaiParentQueue(spec.kai_queue)
                          ? fmt::format("Queue {} is a parent queue; jobs go to leaf queues",
                                        spec.kai_queue)
                          : fmt::format("Queue {} doesn't exist", spec.kai_queue);
        continue;
      }
    } else {
      const admission::LocalQueueId lq =
          queues->FindLocalQueue(spec.namespace_name, spec.queue_name);
      if (!lq.valid()) {
        out.message = fmt::format("LocalQueue {} doesn't exist", spec.queue_name);
        continue;
      }
      const admission::LocalQueueInfo& local = queues->local_queues()[lq.index()];
      cq = local.cluster_queue;
      local_queue = lq;
      if (local.stop_policy != model::StopPolicy::kNone) {
        out.cluster_queue = queues->cluster_queue(cq).name;
        out.message = fmt::format("LocalQueue {} is inactive", spec.queue_name);
        continue;
      }
    }
    out.cluster_queue = queues->cluster_queue(cq).name;
    const admission::ClusterQueueInfo& cq_info = queues->cluster_queue(cq);
    const bool running = Running(spec);
    std::string inadmissible;  // Kueue's DRA field error, when a claim cannot be charged
    admission::PendingWorkload p{.name = spec.namespace_name + "/" + spec.name,
                                 .cluster_queue = cq,
                                 .local_queue = local_queue,
                                 .priority = spec.priority,
                                 .creation_unix_seconds = spec.creation_unix_seconds.value_or(0)};
    std::vector<std::vector<PodId>> set_pods;
    for (const model::PodSetSpec& ps : spec.pod_sets) {
      std::vector<PodId> ids;
      for (const std::string& name : ps.pod_names) {
        if (auto id = snapshot.FindPod(spec.namespace_name, name)) ids.push_back(*id);
      }
      admission::PodSetRequest request{.name = ps.name,
                                       .count = static_cast<int32_t>(ids.size()),
                                       .group = ps.group_name};
      if (ps.min_count && *ps.min_count < request.count) request.min_count = *ps.min_count;
      if (!ids.empty()) {
        for (const model::ResourceAmount& ra : snapshot.pod_requests(ids[0])) {
          // Every requested resource has an id (Create interned them); one that no
          // ClusterQueue covers makes the PodSet fail to fit, as in Kueue.
          const admission::ResourceId r = queues->FindResource(snapshot.resource_name(ra.resource));
          if (!r.valid()) continue;
          // KAI queues hold quota for gpu, cpu and memory only; other resources are free.
          if (kai && (r.index() >= queues->num_quota_resources() ||
                      cq_info.group_of_resource[r.index()] < 0)) {
            continue;
          }
          request.per_pod.push_back({r, ra.amount.value()});
        }
        if (!kai) {
          // DRA devices through Kueue's deviceClassMappings (none without a Configuration).
          admission::DeviceQuota devices =
              admission::DeviceQuotaOf(*queues, snapshot, ids[0], p.pod_sets.size());
          if (!devices.inadmissible.empty() && inadmissible.empty()) {
            inadmissible = std::move(devices.inadmissible);
          }
          for (const admission::ResourceAmount& d : devices.per_pod) request.per_pod.push_back(d);
        }
        for (const model::Label& l : snapshot.pod_node_selector(ids[0])) {
          request.node_selector.emplace_back(snapshot.label_key(l.key),
                                             snapshot.label_value(l.value));
        }
      }
      p.pod_sets.push_back(std::move(request));
      set_pods.push_back(std::move(ids));
    }
    if (running) {
      // Its usage counts against the quotas from the start ("the world said so"), with the
      // flavors assignment would give it now.
      const admission::Assignment a =
          admission::AssignFlavors(admitter.state(), p.cluster_queue, p.pod_sets);
      const admission::WorkloadHandle handle =
          admitter.AddAdmitted({.name = p.name,
                                .cluster_queue = p.cluster_queue,
                                .priority = p.priority,
                                .creation_unix_seconds = p.creation_unix_seconds,
                                .admission_unix_seconds = p.creation_unix_seconds,
                                .usage = a.total});
      out.admitted = true;
      out.pod_sets = PodSetAdmissions(spec, a);
      // Its pods on nodes, which preemption would evict: bound in the input, or placed by
      // this run (before admission, one by one).
      std::vector<PodId> bound, placed;
      for (const auto& set : set_pods) {
        for (PodId pod : set) {
          if (snapshot.pod(pod).node.valid()) {
            bound.push_back(pod);
          } else if (overlay.node_of(pod).valid()) {
            placed.push_back(pod);
          }
        }
      }
      running_workloads.push_back({handle, w, std::move(bound), std::move(placed)});
      continue;
    }
    if (!inadmissible.empty()) {
      out.message = std::move(inadmissible);
      continue;
    }
    // Kueue: a workload whose namespace the ClusterQueue's namespaceSelector does not select
    // is inadmissible (an inactive ClusterQueue is reported first).
    if (queues->cluster_queue(p.cluster_queue).stop_policy == model::StopPolicy::kNone &&
        !queues->NamespaceAllowed(p.cluster_queue, spec.namespace_name)) {
      out.message = std::string(admission::kNamespaceMismatchMessage);
      continue;
    }
    p.placement_class = PlacementClass(spec, set_pods, placement_classes);
    pending.push_back(std::move(p));
    pods.push_back(std::move(set_pods));
    spec_of.push_back(w);
  }

  const std::vector<int64_t> baseline = admitter.state().usage_for_test();
  std::vector<std::optional<Decision>> blocked(pending.size());
  EngineOracle oracle(*this, *queues, pending, pods, spec_of, result.decisions, blocked);
  const admission::CycleResult cycle = admitter.RunCycle(pending, oracle, options.now_unix_seconds);
  Commit();
  result.placement_tries += oracle.tries();
  for (const admission::AdmissionDecision& d : cycle.decisions) {
    result.placement_memo_hits += d.same_refusal_as.has_value() ? 1 : 0;
  }
  for (const admission::AdmissionDecision& d : cycle.decisions) {
    model::WorkloadDecision& out = result.workloads[spec_of[d.workload]];
    const model::WorkloadSpec& spec = specs[spec_of[d.workload]];
    if (d.outcome == admission::AdmissionOutcome::kAdmitted) {
      out.admitted = true;
      out.pod_sets = PodSetAdmissions(spec, d.assignment);
      if (d.partial) PartialAdmission(spec, d, pods[d.workload], out, result.decisions);
      // Its victims: evicted, their pods deleted.
      for (admission::WorkloadHandle v : d.victims) {
        const RunningWorkload* r = FindRunning(v);
        if (r == nullptr) continue;
        model::WorkloadDecision& victim = result.workloads[r->spec];
        victim.admitted = false;
        victim.evicted = true;
        victim.pod_sets.clear();
        victim.message = fmt::format("Preempted to accommodate {}", WorkloadLabel(spec));
        // Pods this run placed were never bound: they are deleted without a node.
        for (const std::vector<PodId>* victim_pods : {&r->pods, &r->placed}) {
          for (PodId pod : *victim_pods) {
            Decision& pd = result.decisions[pod.index()];
            pd.outcome = Outcome::kPreempted;
            pd.message = fmt::format("preempted: {} is evicted to accommodate {}",
                                     WorkloadLabel(specs[r->spec]), WorkloadLabel(spec));
            if (victim_pods == &r->placed) {
              pd.node = NodeId();
              pd.score = 0;
            }
          }
        }
        ForgetHeld(*r);
      }
      continue;
    }
    out.message = d.reason;
    out.blocked = std::move(blocked[d.workload]);
  }
  if (options.check && result.check_error.empty()) {
    // Quotas at every level, every admitted workload placed whole, every preempted one gone.
    result.check_error = admission::CheckQuotaLimits(admitter.state(), baseline);
    for (const RunningWorkload& r : running_workloads) {
      if (!result.check_error.empty() || !result.workloads[r.spec].evicted) continue;
      for (const std::vector<PodId>* victim_pods : {&r.pods, &r.placed}) {
        for (PodId pod : *victim_pods) {
          if (overlay.node_of(pod).valid()) {
            result.check_error = fmt::format("pod {} of a preempted workload still holds its node",
                                             snapshot.pod(pod).name);
          }
        }
      }
      // The claims made for the pods this run placed are theirs alone: all given back.
      for (PodId pod : r.placed) {
        for (uint32_t instance : catalog->instances_of(pod)) {
          if (catalog->instances()[instance].from_template &&
              allocator->allocated(overlay, instance)) {
            result.check_error =
                fmt::format("pod {} of a preempted workload still holds its claim {}",
                            snapshot.pod(pod).name, catalog->instances()[instance].name);
          }
        }
      }
    }
    for (const admission::AdmissionDecision& d : cycle.decisions) {
      if (!result.check_error.empty()) break;
      ++result.checked_decisions;
      std::vector<PodId> all;
      for (const auto& set : pods[d.workload]) all.insert(all.end(), set.begin(), set.end());
      size_t bound = 0;
      for (PodId p : all) bound += overlay.node_of(p).valid() ? 1 : 0;
      const bool admitted = d.outcome == admission::AdmissionOutcome::kAdmitted;
      // Admitted: exactly the admitted counts (all pods unless partially admitted).
      size_t want = 0;
      for (const admission::PodSetAssignment& ps : d.assignment.pod_sets) {
        want += static_cast<size_t>(ps.count);
      }
      if (bound != (admitted ? want : 0)) {
        result.check_error = fmt::format("workload {} is {} with {} of its {} pods placed",
                                         pending[d.workload].name,
                                         admitted ? fmt::format("admitted for {} pods", want)
                                                  : std::string("not admitted"),
                                         bound, all.size());
      } else {
        result.check_error = CheckPlaced(all);
      }
    }
  }
  // Pods of workloads that were not admitted wait, with the workload's reason.
  for (uint32_t w = 0; w < specs.size(); ++w) {
    const model::WorkloadDecision& out = result.workloads[w];
    if (!AdmittedThroughQueue(specs[w], *queues) || out.admitted || out.evicted) continue;
    for (const model::PodSetSpec& ps : specs[w].pod_sets) {
      for (const std::string& name : ps.pod_names) {
        auto id = snapshot.FindPod(specs[w].namespace_name, name);
        if (!id) continue;
        Decision& d = result.decisions[id->index()];
        d = Decision{.pod = *id,
                     .outcome = Outcome::kWaiting,
                     .nodes_total = static_cast<uint32_t>(snapshot.num_nodes())};
        d.message = fmt::format("{} is not admitted: {}", WorkloadLabel(specs[w]), out.message);
        // Kueue holds the pods of a waiting workload with a scheduling gate; KAI does not gate
        // pods, they stay Unschedulable.
        d.gated = !specs[w].queue_name.empty();
      }
    }
  }
}

std::vector<model::ClaimAllocation> Engine::Impl::Claims(
    const std::vector<Decision>& decisions) const {
  std::vector<model::ClaimAllocation> out;
  const auto instances = catalog->instances();
  const auto& specs = snapshot.resource_claims();
  out.resize(instances.size());
  uint64_t share_counter = 0;
  std::vector<int64_t> consumed;
  for (uint32_t i = 0; i < instances.size(); ++i) {
    const dra::ClaimInstance& inst = instances[i];
    const dra::CompiledClaim& claim = catalog->claims()[inst.claim];
    model::ClaimAllocation& c = out[i];
    c.claim_spec = inst.claim;
    c.namespace_name = inst.namespace_name;
    c.name = inst.name;
    c.from_template = inst.from_template;
    c.owner = inst.owner;
    c.problem = claim.problem;
    c.no_execute = no_execute[i];
    c.allocated = allocator->allocated(overlay, i);
    if (!c.allocated) continue;
    const model::DeviceTable& dt = snapshot.devices();
    std::vector<bool> class_used(snapshot.device_classes().size(), false);
    std::vector<std::string> used_requests;
    for (const dra::DeviceResult& row : allocator->results(overlay, i)) {
      const dra::CompiledSubrequest& sub = claim.requests[row.request].subrequests[row.subrequest];
      const model::DeviceRequestSpec& req_spec = specs[inst.claim].requests[row.request];
      const model::DeviceRequestSpec& sub_spec =
          req_spec.first_available.empty() ? req_spec : req_spec.first_available[row.subrequest];
      model::AllocatedDevice dev;
      dev.request = sub.name;
      dev.device = row.device;
      dev.admin_access = row.admin_access;
      dev.shared = row.shared;
      dev.tolerations = sub_spec.tolerations;
      if (row.shared) {
        dev.share_id = ShareId(++share_counter);
        // A claim that arrived allocated keeps the shareID the cluster gave it.
        for (const model::AllocatedDeviceSpec& given : specs[inst.claim].allocation) {
          if (given.device == dt.name[row.device.index()] && !given.share_id.empty() &&
              given.pool == snapshot.pools().Name(dt.pool[row.device.index()])) {
            dev.share_id = given.share_id;
          }
        }
        allocator->ConsumedCapacity(i, row, consumed);
        const model::Range caps = dt.capacities[row.device.index()];
        for (uint32_t k = 0; k < caps.size(); ++k) {
          dev.consumed_capacity.emplace_back(dt.capacity_values[caps.begin + k].name,
                                             Quantity(consumed[k]));
        }
      }
      if (dt.visibility[row.device.index()] == model::DeviceVisibility::kNode) {
        c.node = dt.node[row.device.index()];
      }
      class_used[sub.device_class] = true;
      used_requests.push_back(sub.name);
      c.devices.push_back(std::move(dev));
    }
    // Config: the classes' configs first (FromClass), then the claim's that apply (FromClaim).
    for (size_t k = 0; k < class_used.size(); ++k) {
      if (!class_used[k]) continue;
      for (const auto& cfg : snapshot.device_classes()[k].config) {
        model::AllocatedConfig ac{true, cfg};
        ac.config.requests.clear();  // the (sub)requests that used this class
        for (size_t r = 0; r < c.devices.size(); ++r) {
          const dra::DeviceResult& row = allocator->results(overlay, i)[r];
          if (claim.requests[row.request].subrequests[row.subrequest].device_class == k &&
              std::find(ac.config.requests.begin(), ac.config.requests.end(),
                        c.devices[r].request) == ac.config.requests.end()) {
            ac.config.requests.push_back(c.devices[r].request);
          }
        }
        c.config.push_back(std::move(ac));
      }
    }
    for (const auto& cfg : specs[inst.claim].config) {
      bool applies = cfg.requests.empty();
      for (const std::string& r : cfg.requests) {
        for (const std::string& used : used_requests) {
          applies |= used == r || used.starts_with(r + "/");
        }
      }
      if (applies) c.config.push_back({false, cfg});
    }
  }
  for (uint32_t i = 0; i < instances.size(); ++i) {
    const model::ResourceClaimSpec& spec = specs[instances[i].claim];
    if (instances[i].from_template || !spec.allocated) continue;
    for (const std::string& name : spec.reserved_for) {
      auto pod = snapshot.FindPod(spec.namespace_name, name);
      // A preempted pod no longer holds the claim (ReleaseClaimsOf).
      if (!pod || (pod->index() < decisions.size() &&
                   decisions[pod->index()].outcome == Outcome::kPreempted)) {
        continue;
      }
      out[i].reserved_for.push_back(*pod);
    }
  }
  for (const Decision& d : decisions) {
    if (d.outcome != Outcome::kPlaced) continue;
    for (uint32_t inst : catalog->instances_of(d.pod)) {
      auto& users = out[inst].reserved_for;
      if (std::find(users.begin(), users.end(), d.pod) == users.end()) users.push_back(d.pod);
    }
  }
  return out;
}

void Engine::Impl::FindNoExecute(uint32_t instance) {
  const dra::ClaimInstance& inst = catalog->instances()[instance];
  const dra::CompiledClaim& claim = catalog->claims()[inst.claim];
  const model::ResourceClaimSpec& spec = snapshot.resource_claims()[inst.claim];
  for (const dra::DeviceResult& row : allocator->results(overlay, instance)) {
    const dra::CompiledSubrequest& sub = claim.requests[row.request].subrequests[row.subrequest];
    const model::DeviceRequestSpec& req = spec.requests[row.request];
    const model::DeviceRequestSpec& sub_spec =
        req.first_available.empty() ? req : req.first_available[row.subrequest];
    for (const dra::DeviceTaint& taint : index->taints_of(row.device)) {
      if (taint.effect != model::TaintEffect::kNoExecute) continue;
      bool tolerated_forever = false;
      std::optional<int64_t> seconds;
      for (size_t t = 0; t < sub.tolerations.size(); ++t) {
        if (!dra::Tolerates(sub.tolerations[t], taint)) continue;
        const auto& given = sub_spec.tolerations[t].toleration_seconds;
        if (!given) {
          tolerated_forever = true;
        } else if (!seconds || *given > *seconds) {
          seconds = given;
        }
      }
      if (tolerated_forever) continue;
      no_execute[instance].push_back({row.device, index->taint_keys().Name(taint.key),
                                      index->taint_values().Name(taint.value), seconds});
    }
  }
  if (!no_execute[instance].empty()) allocator->MarkNoExecute(instance);
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const model::Overlay& Engine::overlay() const { return impl_->overlay; }

Result<std::unique_ptr<Engine>> Engine::Create(const Snapshot& snapshot, const Options& options,
                                               model::Overlay* overlay) {
  auto impl = std::make_unique<Impl>(snapshot, options, overlay);
  TESSERA_ASSIGN_OR_RETURN(dra::DeviceIndex index,
                           dra::DeviceIndex::Build(snapshot, impl->selectors, impl->warnings));
  impl->index = std::make_unique<dra::DeviceIndex>(std::move(index));
  TESSERA_ASSIGN_OR_RETURN(dra::ClaimCatalog catalog,
                           dra::ClaimCatalog::Build(snapshot, *impl->index, impl->selectors));
  impl->catalog = std::make_unique<dra::ClaimCatalog>(std::move(catalog));
  impl->allocator =
      std::make_unique<dra::Allocator>(*impl->index, *impl->catalog, impl->selectors,
                                       dra::AllocatorOptions{options.dra_search_budget});
  impl->overlay.ResizeLedger(impl->allocator->ledger_size());
  for (size_t n = 0; n < snapshot.num_nodes(); ++n) impl->all_nodes.push_back(NodeId::FromIndex(n));
  impl->SetLedgerKeys();
  int32_t classes = 0;
  impl->pod_class = internal::PodClasses(snapshot, *impl->catalog, classes);
  impl->class_caches.resize(static_cast<size_t>(classes));
  // Claims that arrive allocated (read from a live cluster) hold their devices already, and
  // may hold devices that have since been tainted NoExecute.
  const auto instances = impl->catalog->instances();
  impl->no_execute.resize(instances.size());
  for (uint32_t i = 0; i < instances.size(); ++i) {
    const dra::CompiledClaim& claim = impl->catalog->claims()[instances[i].claim];
    if (!instances[i].from_template && claim.spec->allocated) {
      const model::Overlay::Mark mark = impl->overlay.mark();
      impl->allocator->Preallocate(impl->overlay, i, impl->warnings);
      impl->overlay.LedgerChangesSince(mark, impl->preallocated[i]);
      impl->FindNoExecute(i);
    }
  }
  impl->overlay.Commit();
  impl->workload_of_pod.assign(snapshot.num_pods(), -1);
  if (options.queues != nullptr) {
    TESSERA_ASSIGN_OR_RETURN(admission::QueueModel queues,
                             admission::QueueModel::Build(*options.queues));
    impl->queues = std::make_unique<admission::QueueModel>(std::move(queues));
    const auto& workloads = options.queues->workloads;
    impl->stays_put.assign(snapshot.num_pods(), 0);
    for (size_t w = 0; w < workloads.size(); ++w) {
      if (AdmittedThroughQueue(workloads[w], *impl->queues) && impl->Running(workloads[w])) {
        // Consolidation leaves a running queued workload's pods where they are, except a
        // KAI workload of one pod (KAI moves such pods; one flavor, so quotas are unchanged).
        std::vector<PodId> ids;
        for (const model::PodSetSpec& ps : workloads[w].pod_sets) {
          for (const std::string& name : ps.pod_names) {
            if (auto pod = snapshot.FindPod(workloads[w].namespace_name, name)) ids.push_back(*pod);
          }
        }
        const bool kai = workloads[w].queue_name.empty() && !workloads[w].admission;
        // A job of several pods moves whole, placed again pod by pod: only when nothing ties
        // them to a domain or to devices, and all of them run.
        bool whole = kai && ids.size() > 1;
        for (const model::PodSetSpec& ps : workloads[w].pod_sets) {
          whole &= model::TopologyOf(ps).empty() && ps.group_name.empty();
        }
        for (PodId pod : ids) {
          whole &= impl->catalog->instances_of(pod).empty() && snapshot.pod(pod).node.valid();
        }
        const bool movable = kai && (ids.size() == 1 || whole);
        for (PodId pod : ids) impl->stays_put[pod.index()] = movable ? 0 : 1;
        if (whole) {
          if (impl->move_unit_of.empty()) impl->move_unit_of.assign(snapshot.num_pods(), -1);
          for (PodId pod : ids) {
            impl->move_unit_of[pod.index()] = static_cast<int32_t>(impl->move_units.size());
          }
          impl->move_units.push_back(std::move(ids));
        }
      }
      if (AdmittedThroughQueue(workloads[w], *impl->queues) && workloads[w].admission) {
        impl->HoldBackNotStarted(static_cast<int32_t>(w));
        for (const model::PodSetAssignmentSpec& psa : workloads[w].admission->pod_sets) {
          for (const auto& [resource, amount] : psa.resource_usage) {
            impl->queues->InternResource(resource);
          }
        }
        continue;
      }
      if (!AdmittedThroughQueue(workloads[w], *impl->queues) || impl->Running(workloads[w])) {
        continue;
      }
      for (const model::PodSetSpec& ps : workloads[w].pod_sets) {
        for (const std::string& name : ps.pod_names) {
          auto pod = snapshot.FindPod(workloads[w].namespace_name, name);
          if (pod) impl->workload_of_pod[pod->index()] = static_cast<int32_t>(w);
        }
      }
      // Resources the queues do not cover still get ids, so that a PodSet asking for one
      // is reported as not fitting rather than silently admitted.
      for (const model::PodSetSpec& ps : workloads[w].pod_sets) {
        for (const std::string& name : ps.pod_names) {
          auto pod = snapshot.FindPod(workloads[w].namespace_name, name);
          if (!pod) continue;
          for (const model::ResourceAmount& ra : snapshot.pod_requests(*pod)) {
            impl->queues->InternResource(snapshot.resource_name(ra.resource));
          }
          break;
        }
      }
    }
  }
  impl->max_allocatable.assign(snapshot.num_resources(), 0);
  for (size_t n = 0; n < snapshot.num_nodes(); ++n) {
    const NodeId node = NodeId::FromIndex(n);
    for (size_t r = 0; r < snapshot.num_resources(); ++r) {
      impl->max_allocatable[r] =
          std::max(impl->max_allocatable[r], snapshot.allocatable(node)[r].value());
    }
  }
  impl->CompileGangs();
  impl->moved.assign(snapshot.num_pods(), 0);
  impl->held_begin.assign(snapshot.num_pods(), 0);
  impl->held_end.assign(snapshot.num_pods(), 0);
  impl->feasible.reserve(snapshot.num_nodes());
  impl->taint_counts.reserve(snapshot.num_nodes());
  impl->empty_node.assign(snapshot.num_resources(), Quantity());
  // Sized here rather than on the first PlaceGang, which would then take the time (about
  // 0.4 s for a million pods).
  impl->gang_decisions.resize(snapshot.num_pods());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::string Engine::Impl::CheckPlaced(std::span<const PodId> pods) const {
  std::vector<NodeId> nodes;
  std::vector<model::DeviceId> devices;
  for (PodId pod : pods) {
    const NodeId node = overlay.node_of(pod);
    if (!node.valid()) continue;
    nodes.push_back(node);
    for (uint32_t inst : catalog->instances_of(pod)) {
      for (const dra::DeviceResult& row : allocator->results(overlay, inst)) {
        devices.push_back(row.device);
      }
    }
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  if (std::string broken = dra::CheckNodes(overlay, nodes); !broken.empty()) return broken;
  return dra::CheckDevices(*allocator, overlay, devices);
}

ScheduleResult Engine::ScheduleAll() {
  Impl& m = *impl_;
  ScheduleResult result;
  result.decisions.resize(m.snapshot.num_pods());
  for (size_t p = 0; p < m.snapshot.num_pods(); ++p) {
    PodId id = PodId::FromIndex(p);
    result.decisions[p].pod = id;
    result.decisions[p].nodes_total = static_cast<uint32_t>(m.snapshot.num_nodes());
    if (m.snapshot.pod(id).node.valid()) {
      Decision& d = result.decisions[p];
      d.outcome = Outcome::kBound;
      d.node = m.snapshot.pod(id).node;
      for (uint32_t inst : m.catalog->instances_of(id)) {
        if (m.no_execute[inst].empty()) continue;
        d.outcome = Outcome::kEvicted;
        d.reasons.push_back({RejectReason::kClaimNoExecute, inst, 0, 0});
      }
    }
  }
  std::vector<uint8_t> gang_tried(m.gangs.size(), 0);
  for (PodId pod : SchedulingOrder(m.snapshot)) {
    if (m.workload_of_pod[pod.index()] >= 0) continue;  // admitted through its queue below
    if (const int32_t g = m.gang_of_pod[pod.index()]; g >= 0) {
      // A gang goes when its first pod in scheduling order does.
      if (gang_tried[g]) continue;
      gang_tried[g] = 1;
      const internal::GangPlan& gang = m.gangs[g];
      std::string reason;
      std::optional<Decision> blocked;
      bool placed = m.PlaceGang(gang, m.all_nodes, result.decisions, reason, blocked);
      if (!placed && m.options.consolidate && m.Consolidate(gang, m.all_nodes, result.decisions)) {
        placed = true;
      }
      if (m.options.check && result.check_error.empty()) {
        ++result.checked_decisions;
        int32_t bound = 0;
        for (PodId p : gang.pods) bound += m.overlay.node_of(p).valid() ? 1 : 0;
        const auto all = static_cast<int32_t>(gang.pods.size());
        const int32_t min = gang.min_total >= 0 ? gang.min_total : all;
        if (bound != 0 && bound < min) {
          result.check_error = fmt::format("{} is partly placed: {} of {} pods, minimum {}",
                                           gang.label, bound, all, min);
        } else if (!placed && bound != 0) {
          result.check_error = fmt::format("{} failed but kept {} pods", gang.label, bound);
        } else {
          std::vector<PodId> touched = gang.pods;
          for (size_t p = 0; p < m.snapshot.num_pods(); ++p) {
            if (result.decisions[p].outcome == Outcome::kMoved) touched.push_back(PodId::FromIndex(p));
          }
          result.check_error = m.CheckPlaced(touched);
        }
      }
      if (!placed) {
        for (PodId p : gang.pods) {
          Decision& d = result.decisions[p.index()];
          d = Decision{.pod = p,
                       .outcome = Outcome::kWaiting,
                       .nodes_total = static_cast<uint32_t>(m.snapshot.num_nodes())};
          d.message = reason;
          if (blocked && blocked->pod == p) d.reasons = blocked->reasons;
        }
      }
      m.Commit();
      continue;
    }
    result.decisions[pod.index()] = m.DecideOne(pod);
    m.Commit();
    if (m.options.check && result.check_error.empty()) {
      ++result.checked_decisions;
      result.check_error = m.CheckPlaced(std::span<const PodId>(&pod, 1));
    }
  }
  if (m.queues) m.Admit(result);
  if (m.options.check && result.check_error.empty()) {
    result.check_error = dra::CheckAll(*m.allocator, m.overlay);
    if (result.check_error.empty()) result.check_error = dra::CheckNodes(m.overlay);
  }
  result.claims = m.Claims(result.decisions);
  result.warnings = m.warnings;
  return result;
}

Decision Engine::PlacePod(PodId pod) {
  Decision d = impl_->DecideOne(pod);
  impl_->Commit();
  return d;
}

Engine::GangOutcome Engine::PlaceGang(const model::GangSpec& gang,
                                      std::span<const NodeId> nodes) {
  Impl& m = *impl_;
  const internal::GangPlan plan = m.CompileGang(gang, {});
  // Decisions by PodId, sized at Create for the engine's life; only the gang's entries are read.
  std::vector<Decision>& decisions = m.gang_decisions;
  for (PodId p : plan.pods) decisions[p.index()] = Decision{.pod = p};
  GangOutcome out;
  std::optional<Decision> blocked;
  out.placed =
      m.PlaceGang(plan, nodes.empty() ? std::span<const NodeId>(m.all_nodes) : nodes, decisions,
                  out.reason, blocked);
  m.Commit();
  if (out.placed) {
    for (PodId p : plan.pods) {
      if (decisions[p.index()].outcome == Outcome::kPlaced) out.decisions.push_back(decisions[p.index()]);
    }
  }
  return out;
}

void Engine::Release(PodId pod) {
  Impl& m = *impl_;
  const NodeId node = m.overlay.node_of(pod);
  TESSERA_CHECK(node.valid()) << "pod " << m.snapshot.pod(pod).name << " is not placed";
  m.overlay.Unreserve(pod);
  for (uint32_t i = m.held_begin[pod.index()]; i < m.held_end[pod.index()]; ++i) {
    m.overlay.AddToLedger(m.held[i].first, -m.held[i].second);
  }
  m.held_released += m.held_end[pod.index()] - m.held_begin[pod.index()];
  m.held_begin[pod.index()] = m.held_end[pod.index()] = 0;
  for (auto& topology : m.topologies) topology->OnRelease(pod, node);
  m.Commit();
  if (m.held_released * 2 > m.held.size() && m.held.size() > 1024) m.CompactHeld();
  // The allocator's result rows of released claims: compacted when they have doubled, so a
  // long run's row store stays within twice what is live.
  const int64_t rows = m.allocator->result_rows(m.overlay);
  if (rows > 2 * m.rows_after_compaction + 1024) {
    m.allocator->CompactResults(m.overlay);
    m.Commit();
    m.rows_after_compaction = m.allocator->result_rows(m.overlay);
  }
}

std::string Engine::CheckInvariants() const {
  std::string broken = dra::CheckAll(*impl_->allocator, impl_->overlay);
  return broken.empty() ? dra::CheckNodes(impl_->overlay) : broken;
}

void Engine::Impl::CompactHeld() {
  // Moves every placed pod's range to the front, in place, in the order of its offset.
  std::vector<uint32_t>& order = compact_scratch;
  order.clear();
  for (uint32_t p = 0; p < held_begin.size(); ++p) {
    if (held_end[p] > held_begin[p]) order.push_back(p);
  }
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return held_begin[x] < held_begin[y]; });
  uint32_t at = 0;
  for (uint32_t p : order) {
    const uint32_t n = held_end[p] - held_begin[p];
    std::copy(held.begin() + held_begin[p], held.begin() + held_end[p], held.begin() + at);
    held_begin[p] = at;
    held_end[p] = at + n;
    at += n;
  }
  held.resize(at);
  held_released = 0;
}

std::vector<Decision> ScheduleAll(const Snapshot& snapshot, const Options& options,
                                  model::Overlay& overlay) {
  auto engine = Engine::Create(snapshot, options, &overlay);
  TESSERA_CHECK(engine.ok()) << engine.error().ToString();
  return (*engine)->ScheduleAll().decisions;
}

}  // namespace tessera::engine

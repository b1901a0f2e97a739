// The engine: places pending pods one at a time, highest priority first. For each pod it runs
// the filters (node unschedulable, taints, node selector and required affinity, resource
// fit, then DRA device allocation for pods with ResourceClaims) over every node, scores the
// nodes that pass, and reserves the best on the overlay: resources, devices and claims.
// Deterministic: ties break by lowest NodeId, which is node-name order. The verdicts of
// nodes whose state did not change since a pod like this one was decided are reused
// (Options::filter_cache; engine/internal/filter_cache.h): the decisions are the same.
// Not thread-safe; one engine per thread.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/decision.h"
#include "model/gang_specs.h"
#include "model/overlay.h"
#include "model/queue_specs.h"
#include "model/snapshot.h"
#include "placement/scorers.h"

namespace tessera::engine {

using placement::ScorePolicy;

// "least-allocated" or "most-allocated"; an error lists the valid names.
Result<ScorePolicy> ParseScorePolicy(std::string_view name);
std::span<const std::string_view> ScorePolicyNames();

struct Options {
  ScorePolicy policy = ScorePolicy::kLeastAllocated;
  // Device picks the DRA search may try per pod and node before answering "too complex".
  uint64_t dra_search_budget = 100'000;
  // Kueue objects and queued workloads (must outlive the engine). Pods of a workload that
  // names a LocalQueue are admitted through the queues, all-or-nothing, and only when the
  // engine can place every one of them now (admission/admitter.h); the rest are placed one
  // by one as before. Null: no queues.
  const model::QueueObjects* queues = nullptr;
  bool fair_sharing = false;     // order across ClusterQueues by the fair-sharing tournament
  int64_t aging_seconds = 0;     // > 0: a waiting workload gains one priority step per this
  int64_t now_unix_seconds = 0;  // the admission time recorded, and the clock for aging
  // Gangs and topologies (must outlive the engine): the pods of a gang are placed all or
  // nothing, with their topology constraints (docs/gangs.md). Null: no gangs.
  const model::GangObjects* gangs = nullptr;
  // The invariant checker (`--check`): after every committed decision, no node resource,
  // device, counter or consumable capacity over-allocated on the nodes and devices it
  // touched, and a gang placed with at least its minimum or not at all; after admission,
  // every quota within its limits at every cohort level and every admitted workload wholly
  // placed; at the end, the device ledger equal to what the claims' results say.
  bool check = false;
  // KAI's consolidation: a gang that does not fit may move running preemptible pods
  // (priority below 100, in no gang, with no DRA claims but their own, not part of a running
  // queued workload other than a KAI job, which moves whole) to other nodes, when every moved
  // pod fits again; moved pods get Outcome::kMoved. Applies to gangs outside the queues and to
  // workloads queued in KAI Queues that have quota but no placement (Kueue's do not move
  // running pods).
  bool consolidate = true;
  // The filter cache (docs/performance.md): a pod's filter verdicts and scores per node are
  // kept per class of interchangeable pods and re-evaluated only on nodes that changed.
  // Decisions are the same either way; false evaluates every node for every pod (tests
  // compare the two).
  bool filter_cache = true;
  // The admitter's placement memo for queued workloads (admission/admitter.h): a workload
  // whose pods are interchangeable for placement with those of one refused a placement
  // earlier in the cycle, with the same flavors, is refused without placing it again. Whether
  // a workload is admitted is the same either way; false asks placement for every workload
  // (tests compare the two).
  bool placement_memo = true;
};

// The order pods are tried in: priority (high first), then creation timestamp (old first;
// pods without one last), then namespace/name. Bound pods are left out.
std::vector<model::PodId> SchedulingOrder(const model::Snapshot& snapshot);

struct ScheduleResult {
  std::vector<model::Decision> decisions;          // one per pod, indexed by PodId
  std::vector<model::ClaimAllocation> claims;      // every claim the pods use, allocated or not
  std::vector<std::string> warnings;               // e.g. ResourceSlice pools that are not used
  std::vector<model::WorkloadDecision> workloads;  // one per queued workload (Options::queues)
  // Options::check: the first broken invariant ("" when all held), and how many committed
  // decisions were checked.
  std::string check_error;
  uint64_t checked_decisions = 0;
  // Admission of queued workloads: the placements it asked the engine to try, and the
  // workloads the placement memo refused without trying (Options::placement_memo).
  uint64_t placement_tries = 0;
  uint64_t placement_memo_hits = 0;
};

class Engine {
 public:
  // Compiles what the run needs beyond the snapshot (device selectors, claims, queues).
  // Errors are input errors located at the object: a CEL selector that does not compile, a
  // ClusterQueue that names a missing flavor, a cohort cycle.
  // `snapshot` (and `overlay`, when given) must outlive the engine. Without `overlay` the
  // engine keeps its own, starting from the snapshot.
  static Result<std::unique_ptr<Engine>> Create(const model::Snapshot& snapshot,
                                                const Options& options,
                                                model::Overlay* overlay = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decides every pod. Bound pods get kBound. Reservations are committed to overlay().
  ScheduleResult ScheduleAll();

  // --- Incremental use (the simulator; later `serve`): each call decides and commits.
  // The pods are the snapshot's; a pod may be placed, released and placed again.
  // Places one pending pod on its best node (filters, DRA, scoring, as in ScheduleAll).
  model::Decision PlacePod(model::PodId pod);
  struct GangOutcome {
    bool placed = false;
    std::string reason;                       // why not, when !placed
    std::vector<model::Decision> decisions;  // placed: one per pod that got a node
  };
  // Places a gang (its pods are the snapshot's, by name), all or nothing (or down to its
  // minimum), with its topology constraints, on `nodes` (sorted; empty: every node).
  GangOutcome PlaceGang(const model::GangSpec& gang, std::span<const model::NodeId> nodes = {});
  // A placed pod leaves: its node resources, and the devices, capacity and counters its own
  // placement allocated, are free again. A ResourceClaim that several pods share is freed
  // with the pod that allocated it, so release sharers before that one.
  // Requires: the pod is placed (by this engine or bound in the snapshot without claims).
  void Release(model::PodId pod);
  // The full invariant check of the committed state (dra::CheckAll and dra::CheckNodes):
  // "" when it holds, else what broke.
  std::string CheckInvariants() const;
  const model::Overlay& overlay() const;

  struct Impl;  // opaque; named here so that engine.cc's helpers can reach it

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Convenience for tests and benchmarks of clusters without DRA objects: decides every pod
// of the snapshot with a fresh engine and returns the decisions, indexed by PodId. Aborts
// if the snapshot's claims do not compile (use Engine::Create for input).
std::vector<model::Decision> ScheduleAll(const model::Snapshot& snapshot, const Options& options,
                                         model::Overlay& overlay);

}  // namespace tessera::engine

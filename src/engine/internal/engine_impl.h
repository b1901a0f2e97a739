// The engine's state, shared by engine.cc (single pods, queues, claims) and gangs.cc (gangs
// and topology). Only the engine module includes this header.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "admission/admitter.h"
#include "admission/queue_model.h"
#include "dra/allocator.h"
#include "dra/cel/selector_cache.h"
#include "dra/claims.h"
#include "dra/device_index.h"
#include "engine/engine.h"
#include "engine/internal/filter_cache.h"
#include "placement/filters.h"
#include "model/gang_specs.h"
#include "placement/topology.h"

namespace tessera::engine {

namespace internal {

// A topology constraint resolved against a TopologyIndex: level indices, or why it cannot be
// honoured.
struct Constraint {
  placement::TopologyIndex* topology = nullptr;  // null: no topology constraint
  int required = -1;
  int preferred = -1;
  // Slice layers, outermost first: each layer's level strictly finer than the one before and
  // each size dividing the one before (Resolve checks both). Empty: no slices.
  struct SliceLayer {
    int level = -1;
    int32_t size = 0;
  };
  std::vector<SliceLayer> slices;
  bool unconstrained = false;
  std::string problem;  // non-empty: the gang cannot be placed, for this reason
};

// One node of a gang's tree: the gang itself (index 0), a member (PodSet, replicatedJob,
// subgroup, task) or a KAI subgroup that only holds other subgroups.
struct GangGroup {
  std::string name;
  int parent = -1;
  std::vector<int> children;      // groups, larger members first
  std::vector<model::PodId> pods;  // this group's own pods, unbound ones only
  int32_t min = 0;                 // own pods that must be placed
  Constraint constraint;
  int32_t pods_per_job = 0;  // exclusive placement: pods per child Job (0: all one Job)
  double size = 0;           // per-pod size relative to the largest node, for ordering
};

struct GangPlan {
  std::string label;  // "JobSet default/train", for reasons
  std::vector<GangGroup> groups;
  int32_t min_total = -1;  // pods over all groups that must be placed; -1: every pod
  placement::TopologyIndex* exclusive_topology = nullptr;
  int exclusive_level = -1;
  std::string exclusive_problem;
  std::vector<model::PodId> pods;  // every unbound pod of the gang
};

// What a committed consolidation changed beyond the overlay and the journal (which a
// rollback to a mark taken before it restores): the moved pods' decisions before the move,
// and the recorded allocations of their claims (Impl::preallocated) before the move replaced
// them. Engine::Impl::UndoMoves puts them back, after the rollback.
struct MoveLog {
  std::vector<model::Decision> decisions;  // as they were before the move, in move order
  std::vector<std::pair<uint32_t, std::vector<std::pair<size_t, int64_t>>>> preallocated;
  bool empty() const { return decisions.empty(); }
  void clear() {
    decisions.clear();
    preallocated.clear();
  }
};

// An undo record for what the overlay does not track: topology free capacity and the
// owners of exclusive domains.
struct JournalEntry {
  model::PodId pod;  // reserve or release: the pod; owner: invalid
  model::NodeId node;
  bool released = false;  // a bound pod taken off its node (consolidation)
  std::vector<int32_t>* owners = nullptr;
  uint32_t domain = 0;
  int32_t old_owner = -1;
};

struct Mark {
  model::Overlay::Mark overlay;
  size_t journal;
  size_t held;
};

}  // namespace internal

struct Engine::Impl {
  Impl(const model::Snapshot& s, const Options& o, model::Overlay* external)
      : snapshot(s),
        options(o),
        selectors(s),
        own_overlay(external ? nullptr : std::make_unique<model::Overlay>(s)),
        overlay(external ? *external : *own_overlay) {}

  const model::Snapshot& snapshot;
  Options options;
  dra::cel::SelectorCache selectors;
  std::unique_ptr<model::Overlay> own_overlay;
  model::Overlay& overlay;
  std::unique_ptr<dra::DeviceIndex> index;
  std::unique_ptr<dra::ClaimCatalog> catalog;
  std::unique_ptr<dra::Allocator> allocator;
  std::vector<std::string> warnings;
  // Per claim instance: untolerated NoExecute taints on its allocated devices.
  std::vector<std::vector<model::NoExecuteTaint>> no_execute;

  // Finds the NoExecute taints of an allocated claim's devices that its requests do not
  // tolerate (or tolerate only for tolerationSeconds).
  void FindNoExecute(uint32_t instance);

  // Queues (Options::queues): the compiled model, and per pod the queued workload it belongs
  // to (-1: none; such pods are placed one by one).
  std::unique_ptr<admission::QueueModel> queues;
  std::vector<int32_t> workload_of_pod;
  // While a queued PodSet is being placed: its flavors' tolerations, which Kueue adds to
  // the pods it admits.
  std::vector<model::Toleration> extra_tolerations;

  // Gangs (Options::gangs) and the topologies their constraints use.
  std::vector<internal::GangPlan> gangs;
  std::vector<int32_t> gang_of_pod;  // -1: not in a gang that is still to be placed
  std::vector<std::unique_ptr<placement::TopologyIndex>> topologies;
  // Owners of exclusive domains (JobSet exclusive-topology), per (topology, level): per
  // domain the Job id (job_of_pod) holding it, -1 for none. A deque, so that the journal's
  // pointers to a table stay valid when another table is added.
  std::deque<std::pair<std::pair<const placement::TopologyIndex*, int>, std::vector<int32_t>>>
      exclusive_owners;
  // The index into exclusive_owners of the table for `level` of `t`, made on first use.
  size_t ExclusiveTable(const placement::TopologyIndex& t, int level);
  // Two-sided exclusive placement (JobSet's required anti-affinity, which the scheduler also
  // checks for the pods already placed): per Job id, how reasons name it ("default/a-w-0")
  // and the index into exclusive_owners of the table its pods hold domains in (-1: not an
  // exclusive Job). Filled by CompileJobKeys, which also records the domains of the bound
  // pods of exclusive Jobs; ids past job_names' start are made by PlaceExclusive for Jobs
  // without one.
  std::vector<std::string> job_names;
  std::vector<int32_t> exclusive_table_of_job;
  std::vector<model::NodeId> exclusive_scratch;  // DecideAmong: the nodes not held against it
  // A new Job id named `name`, for a Job whose pods have none.
  int32_t NewJobId(std::string name);
  // Whether a node may be held against `pod`: there are exclusive tables and it has a job key.
  bool MayBeHeldAgainst(model::PodId pod) const {
    return !exclusive_owners.empty() && !job_of_pod.empty() && job_of_pod[pod.index()] >= 0;
  }
  // The Job id that holds `node`'s domain exclusively against `pod` (a pod with a job key of
  // another Job), or -1 when the pod may go there.
  int32_t ExclusiveHolder(model::PodId pod, model::NodeId node) const;
  // For a pod of an exclusive Job that already holds a domain (pods of the Job run there,
  // bound in the input or placed earlier): JobSet keeps the Job's later pods in that domain
  // (its followers get a nodeSelector for the first pod's domain), so nodes outside it are
  // not the pod's. The table and domain, or {-1, 0} when the pod is not bound to one.
  std::pair<int32_t, uint32_t> OwnExclusiveDomain(model::PodId pod) const;
  // Whether `node` lies outside `own` (OwnExclusiveDomain's answer).
  bool OutsideOwnDomain(std::pair<int32_t, uint32_t> own, model::NodeId node) const;
  // "example.com/rack r0 is held exclusively by Job default/a-workers-0" for the domains of
  // `nodes` held against `pod` (at most a few named), or "" when none is; first, when the
  // pod's own Job keeps it in its domain and some of `nodes` lie outside it, "Job
  // default/a-workers-0 runs in example.com/rack r0 (a Job of an exclusive JobSet stays in
  // one domain)".
  std::string ExclusiveHeldMessage(model::PodId pod, std::span<const model::NodeId> nodes) const;
  // After `pod` is reserved on `node`: an exclusive Job's pod holds the node's domain for its
  // Job (journaled, so RollbackTo gives it back).
  void HoldExclusiveDomain(model::PodId pod, model::NodeId node);
  // After `pod` left `node` (preempted or moved): when it was the last pod of its Job in a
  // domain the Job holds, the domain is free again (journaled).
  void ReleaseExclusiveDomain(model::PodId pod, model::NodeId node);
  // JobSet exclusive placement sees every pod that carries a jobset.sigs.k8s.io/job-key (the
  // label JobSet puts on the pods of each of its Jobs): per pod the Job it belongs to, as a
  // dense id (-1: no job key), and the pods that have one. Filled by CompileGangs when some
  // gang asks for exclusive placement.
  std::vector<int32_t> job_of_pod;
  std::vector<model::PodId> keyed_pods;
  std::vector<internal::JournalEntry> journal;
  // Per pod placed by this engine: the device-ledger changes its placement made
  // (held[held_begin[p], held_end[p])), which Release gives back.
  std::vector<std::pair<size_t, int64_t>> held;
  std::vector<uint32_t> held_begin, held_end;
  std::vector<std::pair<size_t, int64_t>> ledger_scratch;
  size_t held_released = 0;  // entries of `held` no pod owns any more
  int64_t rows_after_compaction = 0;  // the allocator's result rows after the last compaction
  std::vector<uint32_t> compact_scratch;
  // Drops the released entries of `held` in place (Release calls it when they are most).
  void CompactHeld();

  // Per-cycle buffers, sized once and reused by every decision.
  std::vector<model::NodeId> all_nodes;
  std::vector<model::NodeId> feasible;
  std::vector<int64_t> taint_counts;
  std::vector<Quantity> empty_node;  // a row of zeros: "what if the node were empty"
  std::vector<model::ReasonCount> reasons_scratch;
  std::vector<model::Decision> gang_decisions;  // Engine::PlaceGang's, by PodId
  std::vector<int32_t> node_room;    // gangs: per node, pods of the current shape that fit
  std::vector<std::vector<int64_t>> domain_room;  // gangs: per level, per domain
  std::vector<int64_t> max_allocatable;           // per resource, over all nodes
  // A pod's size for "larger first": its largest request relative to the largest node's
  // allocatable, and at least its number of DRA claims.
  double PodSize(model::PodId pod) const;

  // The filter cache (internal/filter_cache.h): per pod its class (-1: none), and per class
  // its cache, made on the class's first decision while the caches stay within
  // kFilterCacheBytes (past that, further classes are decided uncached).
  static constexpr size_t kFilterCacheBytes = size_t{512} << 20;
  std::vector<int32_t> pod_class;
  std::vector<std::unique_ptr<internal::ClassCache>> class_caches;
  size_t filter_cache_bytes = 0;
  // One per ledger slot: the overlay key it changes (Overlay::SetLedgerKeys).
  void SetLedgerKeys();
  // The cache for deciding `pod` now, or null: no class, flavor tolerations in force, or a
  // claim of the pod already allocated.
  internal::ClassCache* CacheFor(model::PodId pod);
  // The filters on one node (static with extra_tolerations, resources, DRA with the probe
  // rolled back): true when the pod fits; otherwise `rejections` says why and
  // `may_fit_later` whether the node could take it once other pods leave.
  bool Fits(model::PodId pod, model::NodeId node, bool has_claims,
            placement::Rejections& rejections, bool& may_fit_later);
  // Fits for the cache: the resource score, or internal::kInfeasible with the node's
  // rejection recorded in `cache`.
  int64_t Evaluate(internal::ClassCache& cache, model::PodId pod, model::NodeId node,
                   bool has_claims);
  // A pod that fits on none of `nodes`, whose entries are current: its outcome and reasons
  // from the cached rejections, as Scan would give them; false when one was not cached.
  bool CachedReasons(internal::ClassCache& cache, model::PodId pod,
                     std::span<const model::NodeId> nodes, model::Decision& d);
  // The cached decision: the best node among `nodes` and its score, or an invalid NodeId
  // when none passes (the caller then runs the uncached scan, for the reasons).
  std::pair<model::NodeId, int64_t> BestCached(internal::ClassCache& cache, model::PodId pod,
                                               std::span<const model::NodeId> nodes,
                                               bool has_claims);

  // The reused reason tally, cleared, holding the nodes the caller left out of `nodes`.
  std::vector<model::ReasonCount>& StartReasons(std::span<const model::NodeId> nodes);
  // The uncached decision: every filter on every node of `nodes`, then the scores. Returns
  // the best node and its score, or an invalid NodeId with `d`'s outcome and reasons set.
  std::pair<model::NodeId, int64_t> Scan(model::PodId pod, std::span<const model::NodeId> nodes,
                                         bool has_claims, model::Decision& d);
  // Decides one pod among `nodes` (every node: all_nodes) and reserves the best one.
  model::Decision DecideAmong(model::PodId pod, std::span<const model::NodeId> nodes);
  model::Decision DecideOne(model::PodId pod) { return DecideAmong(pod, all_nodes); }
  // Binds the pod on the overlay and updates the topologies' free capacity (undoable).
  void ReservePod(model::PodId pod, model::NodeId node);
  internal::Mark TakeMark() const { return {overlay.mark(), journal.size(), held.size()}; }
  void RollbackTo(internal::Mark mark);
  void Commit() {
    overlay.Commit();
    journal.clear();
  }

  // Admit: the queued workloads that were already running, with their pods on nodes, which
  // preemption evicts: the ones bound in the input and the ones this run placed (a running
  // workload's other pods are placed one by one before admission).
  struct RunningWorkload {
    admission::WorkloadHandle handle;
    uint32_t spec = 0;                 // index into QueueObjects::workloads
    std::vector<model::PodId> pods;    // bound in the input
    std::vector<model::PodId> placed;  // placed by this run
  };
  std::vector<RunningWorkload> running_workloads;
  const RunningWorkload* FindRunning(admission::WorkloadHandle handle) const {
    for (const RunningWorkload& r : running_workloads) {
      if (r.handle == handle) return &r;
    }
    return nullptr;
  }
  // Takes bound pods off their nodes (undoable until Commit; topologies follow).
  void Unbind(std::span<const model::PodId> pods);
  // Preempted pods (bound in the input) stop using their claims: each claim that arrived
  // allocated loses them as consumers, and one left with none gives its devices, capacity
  // and counters back (undoable until Commit).
  void ReleaseClaimsOf(std::span<const model::PodId> pods);
  // Per claim that arrived allocated: the ledger changes recording it made (Create).
  std::unordered_map<uint32_t, std::vector<std::pair<size_t, int64_t>>> preallocated;
  // Takes every pod of a preempted workload off its node (undoable until Commit): the pods
  // placed by this run give back what their placement took (as Engine::Release does), then
  // the bound pods stop using their claims (ReleaseClaimsOf) and leave. Pods already off
  // their nodes are skipped.
  void Evict(const RunningWorkload& victim);
  // After the eviction is committed: the victim's pods placed by this run hold nothing.
  void ForgetHeld(const RunningWorkload& victim);

  // The placement memo's class of a pending workload (PendingWorkload::placement_class):
  // equal for two workloads exactly when their PodSets are alike one for one — the same
  // count of pods, all of one filter-cache class (PodClasses: requests, nodeSelector,
  // affinity, tolerations, claims from the same templates) and the same topology
  // annotations and JobSet exclusive placement — so that placement cannot tell them apart.
  // 0 (no memo) when a pod is in no class or a claim of it is allocated already, or when
  // Options::placement_memo is off. `classes` numbers the keys seen so far in this run.
  uint64_t PlacementClass(const model::WorkloadSpec& spec,
                          const std::vector<std::vector<model::PodId>>& set_pods,
                          std::unordered_map<std::string, uint64_t>& classes) const;

  // Admits the queued workloads through the queues and places their pods (all or none).
  void Admit(ScheduleResult& result);
  // A workload that a Workload object of the input says is admitted (spec.admission): pods
  // beyond its admitted counts are held back from placement (workload_of_pod = w).
  void HoldBackNotStarted(int32_t w);
  // Such a workload holds the quota recorded in its admission from the start of the cycle
  // (flavors and usage as given), is printed admitted, and its pods can be preempted like
  // those of any running workload; held-back pods are reported not started.
  void AdmittedBefore(uint32_t w, admission::Admitter& admitter, ScheduleResult& result);
  // A workload admitted with fewer pods than it asked (partial admission): its message, and
  // its pods that do not start wait with the reason.
  void PartialAdmission(const model::WorkloadSpec& spec, const admission::AdmissionDecision& d,
                        const std::vector<std::vector<model::PodId>>& set_pods,
                        model::WorkloadDecision& out,
                        std::vector<model::Decision>& decisions) const;
  // Status.admission's PodSets for `assignment`.
  std::vector<model::PodSetAdmission> PodSetAdmissions(
      const model::WorkloadSpec& spec, const admission::Assignment& assignment) const;
  // A queued workload with a pod already bound is running: it holds its quota, and its
  // other pods are placed one by one like any pod.
  bool Running(const model::WorkloadSpec& spec) const;
  std::vector<model::ClaimAllocation> Claims(const std::vector<model::Decision>& decisions) const;

  // Options::check after a commit: node resources and devices of the placed `pods`.
  std::string CheckPlaced(std::span<const model::PodId> pods) const;

  // --- gangs (gangs.cc)
  // Compiles Options::gangs: pods to PodIds, constraints against topologies.
  void CompileGangs();
  // The constraint `spec` asks for; `flavor_topology` is the Kueue flavor's topologyName.
  internal::Constraint Resolve(const model::TopologyConstraintSpec& spec,
                               std::string_view flavor_topology);
  placement::TopologyIndex* TopologyFor(const std::vector<std::string>& levels);
  // The gang of one PodSet of a queued workload: its pods and Kueue topology annotations,
  // plus the JobSet's exclusive placement when io read one for these pods.
  model::GangSpec GangOfWorkload(const model::WorkloadSpec& spec, uint32_t pod_set) const;
  // Pods to PodIds, constraints against topologies (`flavor_topology`: a Kueue flavor's
  // topologyName, or empty).
  internal::GangPlan CompileGang(const model::GangSpec& spec, std::string_view flavor_topology);
  // Places the gang among `scope` (sorted NodeIds): at least its minimum of pods, with their
  // topology, or none. On failure the overlay and the topologies are as they were, `reason`
  // says why and, when one pod fit no node at all, `blocked` holds that pod's decision.
  // Decisions of the placed pods go to `decisions` (indexed by PodId).
  bool PlaceGang(const internal::GangPlan& gang, std::span<const model::NodeId> scope,
                 std::vector<model::Decision>& decisions, std::string& reason,
                 std::optional<model::Decision>& blocked);
  // Consolidation (KAI): when the gang does not fit, move running preemptible pods (bound,
  // priority below 100, in no gang, and whose DRA claims, if any, are all their own claims
  // made from templates) elsewhere so that it does. Scenarios take victims one more at a
  // time, from the lowest priority and smallest, on nodes where freeing them (devices
  // included) could host a pod of the gang; a scenario commits only if the gang lands and
  // every victim fits again, a victim with claims getting them allocated anew on its new
  // node. On success the gang's decisions and the victims' kMoved decisions are in
  // `decisions`; otherwise nothing changed.
  // With `log`, what the move changed beyond the overlay and the journal is appended to it,
  // so that a caller that rolls back to a mark taken before can UndoMoves(log) too (the
  // admission cycle's oracle does, for a workload it places and then gives up).
  bool Consolidate(const internal::GangPlan& gang, std::span<const model::NodeId> scope,
                   std::vector<model::Decision>& decisions, internal::MoveLog* log = nullptr);
  // After RollbackTo(a mark taken before the moves in `log`): the moved pods' decisions, their
  // moved flags and their claims' recorded allocations as they were; `log` is emptied.
  void UndoMoves(internal::MoveLog& log, std::vector<model::Decision>& decisions);
  std::vector<uint8_t> moved;  // per pod: already moved once in this run
  // Per pod: 1 when it belongs to a queued workload that is running (its quota is charged
  // for it where it is), which consolidation must not move. Only KAI workloads may move
  // (KAI's single flavor: the move changes nothing in the quotas): a single pod, or a whole
  // job of several (move_units).
  std::vector<uint8_t> stays_put;
  // Running KAI jobs of several pods without topology constraints or DRA claims, which
  // consolidation moves whole (KAI evicts a victim job's pods together and places them again):
  // their pods, and per pod its unit (-1: none; it moves alone if at all).
  std::vector<std::vector<model::PodId>> move_units;
  std::vector<int32_t> move_unit_of;
  // Index of gang specs by pod (Options::gangs), for GangOfWorkload: -1 when none.
  std::vector<int32_t> gang_spec_of_pod;
};

}  // namespace tessera::engine

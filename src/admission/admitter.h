// The admission cycle (queueing.md 2.2): which pending workloads may start now, with which
// flavors, and which admitted workloads to preempt for them. The Admitter owns the quota
// state and the table of admitted ("running") workloads across cycles.
//
// One cycle, in rounds: every ClusterQueue that still has untried workloads nominates its
// head (order: effective priority desc, creation time, name); the round's heads are ordered
// across ClusterQueues (classic: not borrowing before borrowing, then priority, then FIFO;
// with fair sharing: a tournament per cohort, see RunCycle) and processed one by one against
// the live state, so a head sees what earlier ones took. Unlike Kueue (kueue#14477) a
// ClusterQueue can admit many workloads per cycle: rounds repeat until every ClusterQueue is
// drained or blocked. StrictFIFO: a head that cannot be admitted blocks its ClusterQueue for
// the rest of the cycle; BestEffortFIFO: it stays pending and the next one is tried.
//
// Admission needs quota and a placement (our change, kueue#4329): after the quota fits, the
// PlacementOracle is asked; if it cannot place the workload the quota is given back and the
// workload waits with "quota available, no placement: <why>".
//
// Placement memo: the oracle's reservations only shrink the free capacity of the nodes during
// a cycle, except when a preemptor's victims leave. So a workload that gets quota but whose
// pods fit nowhere would be refused again by the oracle if another workload with the same
// pods (PendingWorkload::placement_class) and the same flavors asked later in the cycle with
// no victim evicted in between: such a workload waits with "quota available, no placement:
// as <first>, same pods and flavors: <first's reason>" and the oracle is not asked. The memo
// is cleared at the start of every cycle and whenever an admission evicts victims or its
// placement moved running pods (PlaceResult::moved_pods: consolidation frees their nodes). With a
// backlog of alike workloads that the nodes cannot take, this turns one oracle call (a scan
// of the flavor's nodes) per waiting workload per cycle into one per class and flavor.
//
// Preemption (classic, preemption.h): a head in Preempt mode whose targets are found has the
// victims' quota released and, in the same cycle, is admitted if it then places; if it does
// not, the victims are kept (nothing is evicted for a workload that cannot run). Kueue instead
// evicts and waits for the victims to leave; we decide both at once because the caller applies
// the whole decision atomically.
//
// Partial admission (PodSetRequest::min_count, Kueue's minCount from a Job's
// kueue.x-k8s.io/job-min-parallelism): only after the whole workload failed (quota,
// preemption or placement), AdmitPartially binary-searches the pods to give up (from the last
// PodSet first, each down to its min_count): first the fewest that leave quota (a pure
// search), then the fewest that also place, asking the oracle and undoing each trial. The
// decision's assignment then has the admitted counts and `partial` is set. Worked example
// (PartialAdmissionTest.PlacementBoundBinarySearchWithUndo): quota for 10, nodes for 3 pods,
// a Job of 8 with minimum 1: trials of 8 (whole), 7, 1, 4, 2, 3 pods, then 3 for good.
//
// Admission fair sharing (kueue KEP-4136; ClusterQueueInfo::admission_fair_sharing): within
// such a ClusterQueue the head is the pending workload whose LocalQueue has the lowest usage,
// (weighted consumed resources + entry penalties) / LocalQueue weight, then the usual order.
// Every admission adds an entry penalty to its LocalQueue, entry_penalty_rate x its weighted
// requests, so LocalQueues alike in usage take turns within a cycle. Worked example
// (AdmissionFairSharingTest.LocalQueuesTakeTurns): two LocalQueues with no history, rate 0.5,
// four 1-cpu workloads from "a" created before two from "b": admitted a, b, a, b, a, a.
//
// Fair-sharing preemption (AdmissionOptions::fair_sharing, a ClusterQueue in a cohort) uses
// FindFairPreemptionTargets with the configured strategies instead of the classic heuristics.
//
// No preemption loops (kueue#3779; AdmissionOptions::prevent_preemption_loops). The Admitter
// remembers, across cycles, each fair-sharing preemption across ClusterQueues as a pair
// (victim's name, preemptor's handle). Rule: a pending workload named V is never given, as a
// preemption candidate, a running workload P for which (V, P) is remembered, i.e. a workload
// preempted for fair share cannot evict its preemptor back, however often the state repeats.
// It may still preempt others, and be admitted into free quota. A pair is forgotten when P is no
// longer running (it finished, was removed or was preempted; handles are never reused) or when
// the memory holds AdmissionOptions::preemption_memory pairs and a newer one arrives (oldest
// first). Worked example (AdmitterPreemptionLoopTest): two ClusterQueues of weight 0 (any
// borrowing gives share +infinity, so LessThanOrEqualToFinalShare allows inf <= inf) keep
// evicting each other's 1-cpu workload every cycle without the rule; with it, the second
// preemption is refused and the state settles.
//
// Invariants: after RunCycle, usage equals the sum of the admitted workloads' usage propagated
// up the tree, and at every node it is within the limits (quota + borrowing limits); a
// workload is admitted with all its PodSets or not at all, each PodSet with all its pods or,
// with a min_count, at least that many.
// Not thread-safe; owned by the engine thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "admission/flavor_assigner.h"
#include "admission/preemption.h"
#include "admission/quota_state.h"

namespace tessera::admission {

using WorkloadHandle = StrongId<struct WorkloadHandleTag>;

struct PendingWorkload {
  std::string name;              // "namespace/name"
  ClusterQueueId cluster_queue;  // resolved from the LocalQueue (QueueModel::local_queues())
  // The LocalQueue it was submitted to; only admission fair sharing looks at it (invalid:
  // none, usage 0).
  LocalQueueId local_queue;
  int32_t priority = 0;
  int64_t creation_unix_seconds = 0;
  std::vector<PodSetRequest> pod_sets;
  // Optional (0: none). Workloads with the same non-zero class have PodSets whose pods the
  // PlacementOracle treats alike: same requests, node selectors, tolerations, affinity and
  // no per-pod state such as claims. Then, within one cycle, once one of them was refused a
  // placement (without victims) with some flavors, the others are refused with the same
  // flavors without asking the oracle again, until a preemption frees node capacity (see
  // "Placement memo" in admitter.h's header comment).
  uint64_t placement_class = 0;
};

// A workload that already holds quota when the Admitter learns of it.
struct AdmittedWorkload {
  std::string name;
  ClusterQueueId cluster_queue;
  int32_t priority = 0;
  int64_t creation_unix_seconds = 0;
  int64_t admission_unix_seconds = 0;
  std::vector<FlavorResourceAmount> usage;
};

struct PlaceResult {
  bool ok = false;
  std::string reason;  // why not, when !ok
  // ok: the placement moved running pods to other nodes (KAI's consolidation), which may
  // have freed capacity a refused placement lacked; the placement memo is cleared.
  bool moved_pods = false;
};

// Placement, as the admission cycle sees it. TryPlace either reserves a placement for every
// pod of the workload (the assignment's flavors tell which node pools) and returns ok, or
// reserves nothing and says why. `victims` are workloads this admission would preempt: treat
// their pods as gone. A reservation made by a successful TryPlace is final for this cycle;
// within a cycle nothing but victims and moved pods (PlaceResult::moved_pods) gives capacity
// back (the placement memo relies on it).
//
// Partial admission: PodSet i of `assignment` may have fewer pods than the workload's PodSet
// (assignment.pod_sets[i].count < workload.pod_sets[i].count); then the first `count` pods of
// the PodSet are placed and the others are not started. To binary-search the largest counts
// that place, the admitter asks an oracle that CanUndo to Undo a successful TryPlace (always
// the last call): everything that call reserved and evicted comes back as it was. With an
// oracle that cannot undo, it tries counts from the largest down and keeps the first that
// places (more calls; the same answer when fewer pods never place worse).
class PlacementOracle {
 public:
  virtual ~PlacementOracle() = default;
  virtual PlaceResult TryPlace(const PendingWorkload& workload, const Assignment& assignment,
                               std::span<const WorkloadHandle> victims) = 0;
  virtual bool CanUndo() const { return false; }
  virtual void Undo() {}
};

// Admits every workload whose quota fits, without placement.
class AlwaysPlace final : public PlacementOracle {
 public:
  PlaceResult TryPlace(const PendingWorkload&, const Assignment&,
                       std::span<const WorkloadHandle>) override {
    return {true, {}};
  }
  bool CanUndo() const override { return true; }
  void Undo() override {}
};

enum class AdmissionOutcome : uint8_t { kAdmitted, kPending };

struct AdmissionDecision {
  uint32_t workload = 0;  // index into the pending span
  AdmissionOutcome outcome = AdmissionOutcome::kPending;
  WorkloadHandle handle;  // kAdmitted: the workload's handle from now on
  Assignment assignment;  // kAdmitted: flavors and usage per PodSet; else the last attempt
  std::vector<WorkloadHandle> victims;  // kAdmitted: workloads preempted for it
  std::string reason;                   // kPending: why, in Kueue's wording where one exists
  // kAdmitted with fewer pods than asked in some PodSet (partial admission): see the counts
  // in `assignment`.
  bool partial = false;
  // kPending by the placement memo: the pending workload (index into the pending span) whose
  // refused placement this one reuses; the oracle was not asked for this one.
  std::optional<uint32_t> same_refusal_as;
};

// Told about each workload a cycle tries, as soon as its decision for the cycle is final: a
// trace sink for debugging and benchmarks (`tessera bench queues` times the gaps between
// calls). Workloads decided without an attempt (unknown or inactive ClusterQueue, waiting
// behind a StrictFIFO head) are not reported. Called on the cycle's thread; must not call
// back into the Admitter.
class DecisionObserver {
 public:
  virtual ~DecisionObserver() = default;
  virtual void Decided(const AdmissionDecision& decision) = 0;
};

struct AdmissionOptions {
  // Order across ClusterQueues by the fair-sharing tournament instead of the classic order,
  // and preempt across ClusterQueues of a cohort by fair share (FindFairPreemptionTargets).
  bool fair_sharing = false;
  // Kueue's fairSharing.preemptionStrategies; empty: Kueue's default [LessThanOrEqualToFinalShare,
  // LessThanInitialShare]. Only with fair_sharing.
  std::vector<FairPreemptionStrategy> preemption_strategies;
  // The no-preemption-loop rule (see the header comment); only acts with fair_sharing.
  bool prevent_preemption_loops = true;
  // The most (victim, preemptor) pairs remembered for that rule; the oldest goes first.
  size_t preemption_memory = 1024;
  // > 0: effective priority = priority + floor(wait_seconds / aging_seconds), for ordering
  // only (kueue#754). Preemption compares plain priorities.
  int64_t aging_seconds = 0;
  // Null by default; when set, must outlive the Admitter.
  DecisionObserver* observer = nullptr;
};

struct CycleResult {
  std::vector<AdmissionDecision> decisions;  // one per pending workload, in input order
  std::vector<uint32_t> admitted;            // indexes into pending, in admission order
  std::vector<WorkloadHandle> preempted;     // every victim of this cycle
};

class Admitter {
 public:
  // `model` must outlive the Admitter.
  explicit Admitter(const QueueModel& model, AdmissionOptions options = {});
  Admitter(const Admitter&) = delete;
  Admitter& operator=(const Admitter&) = delete;

  // Records a workload that already holds quota (its usage counts from now on, even beyond
  // the limits: the world said so). Requires: a valid cluster queue.
  WorkloadHandle AddAdmitted(const AdmittedWorkload& workload);
  // The workload finished or was evicted: its quota is released. Requires: active.
  void Remove(WorkloadHandle handle);

  // Decides the pending workloads (each should appear once). `now_unix_seconds` is the
  // admission time recorded for admitted workloads and the clock for aging.
  CycleResult RunCycle(std::span<const PendingWorkload> pending, PlacementOracle& oracle,
                       int64_t now_unix_seconds);

  const QueueModel& model() const { return model_; }
  const QuotaState& state() const { return state_; }
  const RunningWorkload& running(WorkloadHandle h) const { return running_[h.index()]; }
  std::span<const RunningWorkload> running() const { return running_; }

 private:
  struct Entry {
    uint32_t workload;
    ClusterQueueId cq;
    Assignment assignment;  // as nominated
    uint64_t state_version;  // tree_version_ of the ClusterQueue's tree when nominated
  };

  WorkloadHandle Register(RunningWorkload workload);
  void Unregister(WorkloadHandle handle);  // does not touch quota
  int64_t EffectivePriority(const PendingWorkload& w) const;
  // Orders two pending workloads of one ClusterQueue, or FIFO ties across queues.
  bool Before(uint32_t a, uint32_t b) const;
  // Admission fair sharing: the usage of LocalQueue `lq`, (consumed + penalties) / weight.
  double LocalQueueUsage(LocalQueueId lq) const;
  // Decides one nominated entry; takes its assignment when the quota state has not changed
  // since the nomination (AssignFlavors is a pure function of it).
  void Process(Entry& entry, PlacementOracle& oracle, CycleResult& result);
  // Whether assignment `a` of `w` in `cq` can have quota: kFit, or kPreempt with victims
  // (returned in `targets`). Else `a.reason` says why.
  bool QuotaFor(const PendingWorkload& w, ClusterQueueId cq, Assignment& a,
                std::vector<uint32_t>& targets);
  // Partial admission after the full counts failed: the largest counts between the PodSets'
  // min_count and count (shrinking the last PodSet first, as Kueue) that have quota and place.
  // Admits with them and returns true, or returns false with `why` set.
  bool AdmitPartially(Entry& entry, PlacementOracle& oracle, CycleResult& result,
                      std::string& why);
  // Records the admission of `w` with `a` (placed) and its victims.
  void Admitted(Entry& entry, Assignment a, std::vector<WorkloadHandle> victims,
                CycleResult& result);
  // Fair sharing: the best remaining entry of the subtree at `n`, or -1.
  int Tournament(QuotaNodeId n, std::span<const Entry> entries) const;
  bool TournamentBefore(QuotaNodeId child_a, const Entry& a, QuotaNodeId child_b,
                        const Entry& b) const;

  const QueueModel& model_;
  AdmissionOptions options_;
  QuotaState state_;
  std::vector<RunningWorkload> running_;
  std::vector<uint32_t> position_;  // per handle: index in by_cq_[cq]
  std::vector<std::vector<uint32_t>> by_cq_;

  // A refused placement (placement memo): the flavor-resources of the assignment, per PodSet,
  // and the refused workload (an index into pending_) and its reason.
  struct Refusal {
    std::vector<FlavorResource> frs;  // PodSet by PodSet, in usage order
    uint32_t workload = 0;
    std::string reason;
  };
  // The refusal of an alike workload with the same flavors, or null.
  const Refusal* FindRefusal(uint64_t placement_class, const Assignment& a) const;

  // The no-preemption-loop memory: victim name and the handle of its preemptor, oldest first.
  struct PreemptionRecord {
    std::string victim;
    WorkloadHandle preemptor;
  };
  std::deque<PreemptionRecord> memory_;
  std::vector<uint32_t> excluded_;  // scratch: the running preemptors of the current preemptor

 public:
  // The remembered pairs whose preemptor still runs (for tests and reports).
  size_t remembered_preemptions() const;

 private:
  // Per-cycle scratch.
  std::span<const PendingWorkload> pending_;
  std::unordered_map<uint64_t, std::vector<Refusal>> refusals_;  // by placement_class
  int64_t now_ = 0;
  uint32_t cycle_first_handle_ = 0;  // handles admitted this cycle start here
  std::vector<int64_t> effective_priority_;
  std::vector<int> entry_of_cq_;  // fair sharing: the round's entry of each ClusterQueue
  // Per quota tree (indexed by its root's node index): bumped whenever an admission changes
  // the tree's usage for good during a cycle. A ClusterQueue's flavor assignment depends only
  // on its own tree (victims come from it too), and a tentative change that is rolled back
  // leaves the state as it was, so an unchanged version means an unchanged assignment.
  std::vector<uint64_t> tree_version_;
  uint64_t TreeVersion(ClusterQueueId cq) const {
    return tree_version_[model_.node(QueueModel::NodeOf(cq)).root.index()];
  }
  // Per ClusterQueue: its pending workloads in order (indexes into pending_), how many have
  // been tried, whether a StrictFIFO head blocks it; sized once, cleared every cycle.
  std::vector<std::vector<uint32_t>> queue_of_cq_;
  std::vector<size_t> cursor_;
  std::vector<uint8_t> blocked_;
  std::vector<ClusterQueueId> active_;
  std::vector<Entry> entries_;
  std::vector<PodSetRequest> reduced_;  // partial admission: the PodSets at trial counts
  // Admission fair sharing: per LocalQueue, the entry penalties of the workloads admitted from
  // it (weighted, base units), kept across cycles.
  std::vector<double> lq_penalty_;
};

}  // namespace tessera::admission

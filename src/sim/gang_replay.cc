#include "sim/gang_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "base/check.h"
#include "base/rng.h"
#include "dra/invariants.h"
#include "engine/engine.h"
#include "model/gang_specs.h"
#include "model/resources.h"
#include "model/snapshot.h"
#include "model/specs.h"

namespace tessera::sim {
namespace {

using model::NodeId;
using model::PodId;

constexpr std::string_view kHostnameLabel = "kubernetes.io/hostname";
constexpr std::array<std::string_view, 3> kPolicyNames = {"fifo", "greedy", "backfill"};
constexpr int64_t kMaxSeconds = 1'000'000'000'000;  // ~31,700 years: no overflow in sums
constexpr int64_t kMaxCpuMilli = 1'000'000'000'000;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

int64_t NearestRank(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

WaitStats Stats(std::vector<int64_t> waits) {
  WaitStats s;
  s.jobs = static_cast<int64_t>(waits.size());
  if (waits.empty()) return s;
  std::sort(waits.begin(), waits.end());
  double sum = 0;
  for (int64_t w : waits) sum += static_cast<double>(w);
  s.mean_s = sum / static_cast<double>(waits.size());
  s.p50_s = NearestRank(waits, 0.5);
  s.p99_s = NearestRank(waits, 0.99);
  s.max_s = waits.back();
  return s;
}

// What the planner knows about one job once the snapshot is built.
struct JobInfo {
  std::vector<std::pair<size_t, int64_t>> demand;  // per pod: (resource dim, amount > 0)
  std::vector<PodId> pods;
  int32_t shape = 0;  // jobs with equal pods, requests and domain share a shape
};

struct Reservation {
  int32_t job = 0;
  int64_t start_s = 0;
  int64_t end_s = 0;  // start + the job's declared runtime
  std::vector<int32_t> nodes;
};

// A pod of a job, as the replay sees it. kPending: it wants a node (the lifecycle created
// it, or it is in the stage the next admission will create). kTerminating: deleted, still on
// its node until `gone_s`.
enum class PodState : uint8_t { kIdle, kPending, kPlaced, kTerminating };

struct PodRun {
  PodState state = PodState::kIdle;
  uint32_t token = 0;  // bumped whenever the pod leaves its node: older events are stale
  int32_t node = -1;
  int64_t placed_s = 0;
  int32_t placements = 0;
};

// How a job's pods map to its JobSetLifecycle (the lifecycle mode only).
struct JobSetInfo {
  std::vector<int32_t> first_pod;   // per lifecycle Job: its first pod; then the pod count
  std::vector<int32_t> job_of_pod;  // the lifecycle Job of each pod
  std::vector<int32_t> rj_of_job;   // the replicatedJob of each lifecycle Job
  std::vector<int64_t> run_s;       // per replicatedJob: seconds, or kUntilJobSetEnds
  std::vector<int64_t> startup_s;   // per replicatedJob: seconds, or -1 (drawn)
  std::vector<int64_t> termination_s;
};

// Timed events, in this order at equal times: pod failures, pods gone after their
// termination, pods ready, pods ending (without the lifecycle: jobs ending), waitForPodsReady
// timers, requeues after a backoff. Node failures come before all of them, arrivals after.
enum class EventType : uint8_t { kPodFailure, kGone, kReady, kEnd, kDeadline, kRequeue };
using Timed = std::tuple<int64_t, EventType, int32_t, int32_t, uint32_t>;  // time, type, job,
                                                                           // pod, token

// A job may not be placed more often than this: a failurePolicy that never gives up on pods
// that keep failing would otherwise run for ever.
constexpr int32_t kMaxPlacementsPerJob = 10'000;

// One replay: the snapshot, the engine and the event loop. Time moves from event to event
// (see Timed for the order at one time), then arrivals, then one scheduling pass per
// distinct time. A pass walks the queue in order and starts what the policy allows; under
// backfill, the first `reservation_depth` jobs that cannot start get reservations, which the
// rest of the walk must respect. Reservations are plans, rebuilt from scratch by every pass.
// With the lifecycle a job is in the queue while it has pending pods (a stage), and leaves
// it when they are placed.
class Replay {
 public:
  Replay(const GangWorkload& w, const GangReplayOptions& o) : w_(w), o_(o) {}

  Status Build();
  Status Run();
  GangReplayResult TakeResult() && { return std::move(result_); }

 private:
  const GangJob& job(int32_t j) const { return w_.jobs[static_cast<size_t>(j)]; }
  GangJobOutcome& outcome(int32_t j) { return result_.jobs[static_cast<size_t>(j)]; }
  size_t num_nodes() const { return static_cast<size_t>(w_.cluster.nodes()); }
  std::vector<PodRun>& pods(int32_t j) { return pods_[static_cast<size_t>(j)]; }
  PodRun& pod(int32_t j, int32_t p) { return pods(j)[static_cast<size_t>(p)]; }
  // Pods job `j` wants placed now: its pending stage, or (without the lifecycle) all.
  int32_t Need(int32_t j) const {
    return lifecycle() ? pending_[static_cast<size_t>(j)] : job(j).pods;
  }

  int32_t DomainOf(RequiredDomain d, size_t node) const {
    const auto n = static_cast<int32_t>(node);
    switch (d) {
      case RequiredDomain::kNone:
        return 0;
      case RequiredDomain::kBlock:
        return n / (w_.cluster.racks_per_block * w_.cluster.nodes_per_rack);
      case RequiredDomain::kRack:
        return n / w_.cluster.nodes_per_rack;
    }
    return 0;
  }
  size_t NumDomains(RequiredDomain d) const {
    switch (d) {
      case RequiredDomain::kNone:
        return 1;
      case RequiredDomain::kBlock:
        return static_cast<size_t>(w_.cluster.blocks);
      case RequiredDomain::kRack:
        return static_cast<size_t>(w_.cluster.racks());
    }
    return 1;
  }

  // Pods of job `j` that fit on `node` given `free` (nodes x dims), as the engine counts
  // room: the smallest free / request over the requested resources and "pods", at most
  // `need`.
  int64_t Room(int32_t j, int64_t need, std::span<const int64_t> free, size_t node) const;
  // Whether the Need(j) pods of job `j` fit on the `usable` nodes given `free`: that many
  // fit on them, in one domain of its required level. With `chosen`, the nodes it would
  // use: the tightest domain that fits (lowest index among equals), and inside it the
  // roomiest nodes first, the last one the tightest that still holds the rest (the engine's
  // BestFit).
  bool Fits(int32_t j, std::span<const int64_t> free, const std::vector<uint8_t>& usable,
            std::vector<int32_t>* chosen);
  // Nodes usable for a job running over [from, to): not in a reservation that overlaps it.
  void Usable(int64_t from, int64_t to, std::vector<uint8_t>& usable) const;
  void ReadFree(std::vector<int64_t>& free) const;

  Status Pass(int64_t now);
  Status Start(int32_t j, int64_t now, const std::vector<uint8_t>& usable);
  void End(int32_t j, int64_t now);
  // The earliest time, releasing running pods at their declared ends and honouring the
  // reservations made so far in this pass, at which job `j` fits, and the nodes it would use.
  void Reserve(int32_t j, int64_t now, bool is_head);
  // The engine's answer for a fit the model said no to (options.check).
  Status CheckRefusal(int32_t j, int64_t now, const std::vector<uint8_t>& usable);
  Status CheckStart(int32_t j, const engine::Engine::GangOutcome& out,
                    std::span<const int32_t> stage, const std::vector<NodeId>& touched);
  // The gang the engine places for job `j`: every pod, or only the pending stage.
  model::GangSpec StageGang(int32_t j, std::span<const int32_t> stage) const;
  void PendingPods(int32_t j, std::vector<int32_t>& stage) const;

  bool Before(int32_t a, int32_t b) const {
    const GangJob& x = job(a);
    const GangJob& y = job(b);
    if (x.priority != y.priority) return x.priority > y.priority;
    const int64_t ka = key_[static_cast<size_t>(a)], kb = key_[static_cast<size_t>(b)];
    if (ka != kb) return ka < kb;
    return a < b;
  }
  void Enqueue(int32_t j) {
    queued_[static_cast<size_t>(j)] = 1;
    queue_.insert(std::upper_bound(queue_.begin(), queue_.end(), j,
                                   [&](int32_t a, int32_t b) { return Before(a, b); }),
                  j);
  }
  void Dequeue(int32_t j) {
    if (queued_[static_cast<size_t>(j)] == 0) return;
    queued_[static_cast<size_t>(j)] = 0;
    queue_.erase(std::find(queue_.begin(), queue_.end(), j));
  }
  void Push(int64_t t, EventType type, int32_t j, int32_t p = -1, uint32_t token = 0) {
    events_.emplace_back(t, type, j, p, token);
    std::push_heap(events_.begin(), events_.end(), std::greater<>());
    if (type == EventType::kPodFailure) ++failure_events_;
    if (type == EventType::kEnd) ++end_events_;
  }
  Timed Pop() {
    std::pop_heap(events_.begin(), events_.end(), std::greater<>());
    const Timed e = events_.back();
    events_.pop_back();
    if (std::get<1>(e) == EventType::kPodFailure) --failure_events_;
    if (std::get<1>(e) == EventType::kEnd) --end_events_;
    return e;
  }
  // Whether the loop must go on: an event other than a pod failure, or a failure of a pod
  // still running (failures of released runs left over at the end change nothing).
  bool MoreEvents();
  void Log(GangEvent e) {
    ++result_.event_counts[static_cast<size_t>(e.kind)];
    if (o_.keep_events) result_.events.push_back(std::move(e));
  }

  // --- The lifecycle (options.lifecycle.enable).
  bool lifecycle() const { return o_.lifecycle.enable; }
  JobSetLifecycle& lc(int32_t j) { return lifecycles_[static_cast<size_t>(j)]; }
  const JobSetInfo& js(int32_t j) const { return jobsets_[static_cast<size_t>(j)]; }
  int32_t PodOf(int32_t j, int32_t lc_job, int32_t index) const {
    return js(j).first_pod[static_cast<size_t>(lc_job)] + index;
  }
  PodRef RefOf(int32_t j, int32_t p) const {
    const int32_t k = js(j).job_of_pod[static_cast<size_t>(p)];
    return {.job = k, .pod = p - js(j).first_pod[static_cast<size_t>(k)]};
  }
  int32_t RjOf(int32_t j, int32_t p) const {
    return js(j).rj_of_job[static_cast<size_t>(RefOf(j, p).job)];
  }
  int64_t RunOf(int32_t j, int32_t p) const { return js(j).run_s[static_cast<size_t>(RjOf(j, p))]; }
  bool Live(int32_t j, int32_t p, uint32_t token, PodState state) {
    const PodRun& r = pod(j, p);
    return r.token == token && r.state == state;
  }
  Status BuildLifecycles();
  Status CheckJobSet(int32_t j, const JobSetSpec& spec, const std::vector<GangPodTiming>& timing);
  // The pods the next admission of job `j` creates become pending, and it queues.
  void PrepareAdmission(int32_t j, int64_t now);
  // Copies the lifecycle's new events into the replay's log.
  void Drain(int32_t j);
  // After an input to job `j`'s lifecycle: log its events, carry out its actions, arm its
  // waitForPodsReady timer, and (options.check) check the engine if pods left.
  Status Settle(int32_t j, int64_t now);
  Status Apply(int32_t j, int64_t now);
  // blockAdmission: whether job `j` now holds admission (admitted and not PodsReady: not
  // yet, or not any more); logs the change.
  void UpdateBlock(int32_t j, int64_t now);
  bool block_admission() const {
    return lifecycle() && o_.lifecycle.wait_for_pods_ready.block_admission;
  }
  // Pod `p` of job `j` leaves its node (it ended, failed, or was deleted).
  void ReleasePod(int32_t j, int32_t p);
  // Every pod of job `j` leaves; nothing of it stays pending.
  void ReleaseAll(int32_t j);
  // Job `j` deleted Job `lc_job`: pending pods are dropped, placed ones leave now or after
  // their termination grace. Returns whether none is left terminating.
  bool DeleteJob(int32_t j, int32_t lc_job, int64_t now);
  void Finish(int32_t j, int64_t now, bool failed, bool deactivated = false);
  // Lifecycle inputs once the pods `stage` of job `j` were placed at `now`, and their ends,
  // readiness and failures.
  Status Placed(int32_t j, int64_t now, std::span<const int32_t> stage);
  int64_t StartupDelay(int32_t j, int32_t p);
  Status Dispatch(const Timed& e, int64_t now);
  Status NodeFailure(int64_t now);
  // The time of the node failure after one at `from`: exponential gaps, mean MTBF / nodes.
  int64_t NextNodeFailure(int64_t from) {
    const double mean = o_.lifecycle.node_mtbf_s / static_cast<double>(num_nodes());
    const double gap = -std::log(1.0 - node_rng_.UniformReal()) * mean;
    return from + std::max<int64_t>(1, std::llround(std::min(gap, 1e15)));
  }

  const GangWorkload& w_;
  const GangReplayOptions& o_;
  GangReplayResult result_;

  std::unique_ptr<model::Snapshot> snapshot_;
  model::GangObjects topology_;  // the one Topology (block, rack, hostname); no gangs
  std::vector<model::GangSpec> gangs_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<JobInfo> info_;
  size_t dims_ = 0;
  int32_t shapes_ = 0;

  // Queue order: priority (high first), queue key (arrival; with the lifecycle, the
  // requeue key after an eviction), index.
  std::vector<int32_t> queue_;
  std::vector<uint8_t> queued_;
  std::vector<int64_t> key_;
  std::vector<int32_t> running_;           // jobs with a pod on a node, in the order they got one
  std::vector<std::vector<PodRun>> pods_;  // per job, per pod
  std::vector<int32_t> placed_;            // per job: pods on nodes (terminating included)
  std::vector<Reservation> reservations_;  // this pass
  std::vector<std::pair<int64_t, std::vector<int32_t>>> last_reservation_;  // per job
  int64_t running_gpus_ = 0;
  int64_t last_finish_ = 0;
  int64_t last_busy_ = 0;  // the last time a GPU was in use

  std::vector<Timed> events_;  // a min-heap
  int64_t failure_events_ = 0;
  int64_t end_events_ = 0;

  // The lifecycle: one per job and how its pods map to it, pods pending per job, the
  // waitForPodsReady timer armed per job, and the failure and start-up generators.
  std::vector<JobSetLifecycle> lifecycles_;
  std::vector<JobSetInfo> jobsets_;
  std::vector<size_t> logged_;
  std::vector<int32_t> pending_;
  std::vector<int64_t> armed_;
  std::vector<uint8_t> blocking_;  // per job: it holds admission (blockAdmission)
  int32_t blockers_ = 0;           // jobs holding admission
  int64_t forever_placed_ = 0;  // placed pods that never end by themselves
  bool released_ = false;       // a pod left since the last check (options.check)
  Rng pod_rng_{1};
  Rng node_rng_{2};
  Rng startup_rng_{3};
  int64_t next_node_failure_ = kNever;

  // Per-pass scratch.
  std::vector<int64_t> free_, work_;
  std::vector<uint8_t> usable_;
  std::vector<int64_t> failed_declared_;  // per shape: smallest declared runtime that failed
  std::vector<int64_t> domain_room_;
  std::vector<int64_t> node_room_;
  std::vector<int32_t> stage_;
};

int64_t Replay::Room(int32_t j, int64_t need, std::span<const int64_t> free, size_t node) const {
  int64_t room = need;
  const int64_t* row = free.data() + node * dims_;
  for (const auto& [dim, amount] : info_[static_cast<size_t>(j)].demand) {
    room = std::min(room, row[dim] / amount);
  }
  return std::max<int64_t>(room, 0);
}

bool Replay::Fits(int32_t j, std::span<const int64_t> free, const std::vector<uint8_t>& usable,
                  std::vector<int32_t>* chosen) {
  const GangJob& g = job(j);
  const int64_t need = Need(j);
  const size_t domains = NumDomains(g.required);
  domain_room_.assign(domains, 0);
  node_room_.assign(num_nodes(), 0);
  for (size_t n = 0; n < num_nodes(); ++n) {
    if (usable[n] == 0) continue;
    node_room_[n] = Room(j, need, free, n);
    domain_room_[static_cast<size_t>(DomainOf(g.required, n))] += node_room_[n];
  }
  size_t best = domains;
  for (size_t d = 0; d < domains; ++d) {
    if (domain_room_[d] < need) continue;
    if (best == domains || domain_room_[d] < domain_room_[best]) best = d;
  }
  if (best == domains) return false;
  if (chosen == nullptr) return true;
  std::vector<std::pair<int64_t, int32_t>> items;  // (room, node)
  for (size_t n = 0; n < num_nodes(); ++n) {
    if (node_room_[n] > 0 && static_cast<size_t>(DomainOf(g.required, n)) == best) {
      items.emplace_back(node_room_[n], static_cast<int32_t>(n));
    }
  }
  std::sort(items.begin(), items.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  chosen->clear();
  int64_t remaining = need;
  for (size_t i = 0; i < items.size() && remaining > 0; ++i) {
    if (items[i].first >= remaining) {
      size_t tightest = i;
      for (size_t k = i + 1; k < items.size(); ++k) {
        if (items[k].first >= remaining && items[k].first < items[tightest].first) tightest = k;
      }
      chosen->push_back(items[tightest].second);
      remaining = 0;
      break;
    }
    chosen->push_back(items[i].second);
    remaining -= items[i].first;
  }
  TESSERA_CHECK(remaining == 0) << "a domain with room for " << need << " pods gave fewer";
  std::sort(chosen->begin(), chosen->end());
  return true;
}
void Replay::Usable(int64_t from, int64_t to, std::vector<uint8_t>& usable) const {
  usable.assign(num_nodes(), 1);
  for (const Reservation& r : reservations_) {
    if (r.start_s < to && r.end_s > from) {
      for (int32_t n : r.nodes) usable[static_cast<size_t>(n)] = 0;
    }
  }
}

void Replay::ReadFree(std::vector<int64_t>& free) const {
  free.resize(num_nodes() * dims_);
  const model::Overlay& overlay = engine_->overlay();
  for (size_t n = 0; n < num_nodes(); ++n) {
    const NodeId node(static_cast<uint32_t>(n));
    const auto alloc = snapshot_->allocatable(node);
    const auto used = overlay.used(node);
    for (size_t r = 0; r < dims_; ++r) free[n * dims_ + r] = alloc[r].value() - used[r].value();
  }
}

Status Replay::Build() {
  const GangCluster& c = w_.cluster;
  const int64_t nodes = int64_t{c.blocks} * c.racks_per_block * c.nodes_per_rack;
  if (c.blocks < 1 || c.racks_per_block < 1 || c.nodes_per_rack < 1 || c.gpus_per_node < 0 ||
      c.cpu_milli_per_node < 1 || c.pods_per_node < 1 || c.blocks > 100'000 ||
      c.racks_per_block > 100'000 || c.nodes_per_rack > 100'000 || nodes > 100'000 ||
      c.gpus_per_node > 1'000'000 || c.cpu_milli_per_node > kMaxCpuMilli) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("cluster: {} blocks x {} racks x {} nodes with {} GPUs, {}m cpu and "
                             "{} pods each: every count must be >= 1 (GPUs >= 0), at most "
                             "100000 nodes and 1000000 GPUs a node",
                             c.blocks, c.racks_per_block, c.nodes_per_rack, c.gpus_per_node,
                             c.cpu_milli_per_node, c.pods_per_node));
  }
  if (o_.reservation_depth < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("reservation depth {}: must be at least 1", o_.reservation_depth));
  }
  std::vector<std::string_view> names;
  for (const GangJob& g : w_.jobs) {
    auto bad = [&](std::string_view what) {
      return Error(ErrorCode::kInvalidArgument, fmt::format("job \"{}\": {}", g.name, what));
    };
    if (g.name.empty()) return bad("has no name");
    if (g.pods < 1 || g.pods > 10'000) return bad("pods must be in [1, 10000]");
    if (g.gpus_per_pod < 0 || g.cpu_milli_per_pod < 0) return bad("negative request");
    if (g.gpus_per_pod > 1'000'000 || g.cpu_milli_per_pod > kMaxCpuMilli) {
      return bad("request above 1000000 GPUs or 1e12m cpu a pod");
    }
    if (g.arrival_s < 0 || g.arrival_s > kMaxSeconds) return bad("arrival outside [0, 1e12] s");
    if (g.duration_s < 1 || g.duration_s > kMaxSeconds) return bad("duration outside [1, 1e12] s");
    if (g.declared_s < g.duration_s || g.declared_s > kMaxSeconds) {
      return bad(fmt::format("declared runtime {} s must be >= its duration {} s (and <= 1e12)",
                             g.declared_s, g.duration_s));
    }
    names.push_back(g.name);
  }
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end()) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("job \"{}\" appears twice", *dup));
  }

  // Names are zero-padded in (block, rack, node) order, so NodeIds follow that order.
  auto width = [](int32_t count) {
    return std::max<size_t>(2, fmt::format("{}", count - 1).size());
  };
  const size_t wb = width(c.blocks), wr = width(c.racks_per_block), wn = width(c.nodes_per_rack);
  std::vector<std::string> node_names;
  model::SnapshotBuilder b;
  for (int32_t blk = 0; blk < c.blocks; ++blk) {
    const std::string block = fmt::format("b{:0{}d}", blk, wb);
    for (int32_t rack = 0; rack < c.racks_per_block; ++rack) {
      const std::string rack_name = fmt::format("{}-r{:0{}d}", block, rack, wr);
      for (int32_t n = 0; n < c.nodes_per_rack; ++n) {
        model::NodeSpec node;
        node.name = fmt::format("{}-n{:0{}d}", rack_name, n, wn);
        node.labels = {{std::string(kBlockLabel), block},
                       {std::string(kRackLabel), rack_name},
                       {std::string(kHostnameLabel), node.name}};
        node.allocatable = {{"cpu", Quantity(c.cpu_milli_per_node)},
                            {"pods", Quantity(c.pods_per_node)},
                            {std::string(kGpuResource), Quantity(c.gpus_per_node)}};
        node_names.push_back(node.name);
        b.AddNode(std::move(node));
      }
    }
  }
  for (const GangJob& g : w_.jobs) {
    for (int32_t i = 0; i < g.pods; ++i) {
      model::PodSpec pod;
      pod.name = fmt::format("{}-{}", g.name, i);
      pod.priority = g.priority;
      pod.creation_unix_seconds = g.arrival_s;
      pod.requests = {{"cpu", Quantity(g.cpu_milli_per_pod)}};
      if (g.gpus_per_pod > 0) pod.requests.emplace_back(kGpuResource, Quantity(g.gpus_per_pod));
      b.AddPod(std::move(pod));
    }
  }
  TESSERA_ASSIGN_OR_RETURN(model::Snapshot built, std::move(b).Build());
  snapshot_ = std::make_unique<model::Snapshot>(std::move(built));
  dims_ = snapshot_->num_resources();
  TESSERA_CHECK(snapshot_->num_nodes() == num_nodes());
  for (size_t n = 0; n < num_nodes(); ++n) {
    TESSERA_CHECK(snapshot_->node_name(NodeId(static_cast<uint32_t>(n))) == node_names[n])
        << "node ids out of (block, rack, node) order at " << node_names[n];
  }

  topology_.topologies.push_back(model::TopologySpec{
      .name = "gang-replay",
      .source = "",
      .api_group = "kueue.x-k8s.io",
      .levels = {std::string(kBlockLabel), std::string(kRackLabel), std::string(kHostnameLabel)}});
  TESSERA_ASSIGN_OR_RETURN(
      engine_,
      engine::Engine::Create(*snapshot_, engine::Options{.policy = o_.score, .gangs = &topology_}));

  // Jobs: pods, per-pod demand and shapes.
  info_.resize(w_.jobs.size());
  gangs_.resize(w_.jobs.size());
  std::vector<std::tuple<int32_t, int64_t, int32_t, RequiredDomain>> shape_keys;
  for (size_t j = 0; j < w_.jobs.size(); ++j) {
    const GangJob& g = w_.jobs[j];
    JobInfo& info = info_[j];
    model::GangSpec& spec = gangs_[j];
    spec.name = g.name;
    spec.kind = model::GangKind::kJob;
    model::GangMemberSpec member;
    if (g.required == RequiredDomain::kBlock) member.topology.required_level = kBlockLabel;
    if (g.required == RequiredDomain::kRack) member.topology.required_level = kRackLabel;
    for (int32_t i = 0; i < g.pods; ++i) {
      member.pod_names.push_back(fmt::format("{}-{}", g.name, i));
      const auto id = snapshot_->FindPod("default", member.pod_names.back());
      TESSERA_CHECK(id.has_value()) << member.pod_names.back();
      info.pods.push_back(*id);
    }
    spec.members.push_back(std::move(member));
    info.demand.emplace_back(model::kPods.index(), 1);
    for (const model::ResourceAmount& ra : snapshot_->pod_requests(info.pods.front())) {
      if (ra.amount.value() > 0) info.demand.emplace_back(ra.resource.index(), ra.amount.value());
    }
    const auto key = std::make_tuple(g.pods, g.cpu_milli_per_pod, g.gpus_per_pod, g.required);
    auto it = std::find(shape_keys.begin(), shape_keys.end(), key);
    info.shape = static_cast<int32_t>(it - shape_keys.begin());
    if (it == shape_keys.end()) shape_keys.push_back(key);
  }
  shapes_ = static_cast<int32_t>(shape_keys.size());

  // A job that does not fit the empty cluster would wait for ever. (Its stages are parts
  // of it, so they fit too.)
  pending_.resize(w_.jobs.size());
  for (size_t j = 0; j < w_.jobs.size(); ++j) pending_[j] = w_.jobs[j].pods;
  ReadFree(free_);
  usable_.assign(num_nodes(), 1);
  for (size_t j = 0; j < w_.jobs.size(); ++j) {
    if (!Fits(static_cast<int32_t>(j), free_, usable_, nullptr)) {
      const GangJob& g = w_.jobs[j];
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("job \"{}\": {} pods of {} GPUs and {}m cpu{} do not fit even the "
                               "empty cluster",
                               g.name, g.pods, g.gpus_per_pod, g.cpu_milli_per_pod,
                               g.required == RequiredDomain::kRack    ? " in one rack"
                               : g.required == RequiredDomain::kBlock ? " in one block"
                                                                      : ""));
    }
  }
  std::fill(pending_.begin(), pending_.end(), 0);
  result_.policy = o_.policy;
  result_.jobs.resize(w_.jobs.size());
  last_reservation_.assign(w_.jobs.size(), {-1, {}});
  queued_.assign(w_.jobs.size(), 0);
  placed_.assign(w_.jobs.size(), 0);
  key_.resize(w_.jobs.size());
  pods_.resize(w_.jobs.size());
  for (size_t j = 0; j < w_.jobs.size(); ++j) {
    key_[j] = w_.jobs[j].arrival_s;
    pods_[j].resize(static_cast<size_t>(w_.jobs[j].pods));
  }
  if (lifecycle()) {
    TESSERA_RETURN_IF_ERROR(BuildLifecycles());
  } else {
    for (const GangJob& g : w_.jobs) {
      if (g.jobset) {
        return Error(ErrorCode::kInvalidArgument,
                     fmt::format("job \"{}\": a JobSet needs the lifecycle (GangLifecycleOptions::"
                                 "enable)",
                                 g.name));
      }
    }
  }
  return Status();
}

Status Replay::CheckJobSet(int32_t j, const JobSetSpec& spec,
                           const std::vector<GangPodTiming>& timing) {
  const GangJob& g = job(j);
  auto bad = [&](std::string what) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("job \"{}\": {}", g.name, what));
  };
  const size_t rjs = spec.replicated_jobs.size();
  if (!timing.empty() && timing.size() != rjs) {
    return bad(fmt::format("{} pod timings for {} replicatedJobs", timing.size(), rjs));
  }
  int64_t pods = 0;
  for (const ReplicatedJobSpec& rj : spec.replicated_jobs) {
    if (rj.completions != -1 && rj.completions != rj.parallelism) {
      return bad(
          fmt::format("replicatedJob \"{}\": parallelism {} != completions {}: the replay "
                      "runs every pod of a Job at once",
                      rj.name, rj.parallelism, rj.completions));
    }
    pods += int64_t{std::max(rj.replicas, 0)} * std::max(rj.parallelism, 0);
  }
  if (pods != g.pods) {
    return bad(
        fmt::format("its JobSet has {} pods (replicas x parallelism), the job {}", pods, g.pods));
  }
  for (size_t r = 0; r < timing.size(); ++r) {
    const GangPodTiming& t = timing[r];
    const std::string& name = spec.replicated_jobs[r].name;
    if (t.run_s != kUntilJobSetEnds && (t.run_s < 0 || t.run_s > kMaxSeconds)) {
      return bad(
          fmt::format("replicatedJob \"{}\": run {} s: must be 0 (the job's duration), -1 "
                      "(until the JobSet ends) or in [1, 1e12]",
                      name, t.run_s));
    }
    if (t.startup_s < -1 || t.startup_s > kMaxSeconds) {
      return bad(
          fmt::format("replicatedJob \"{}\": start-up {} s: must be -1 (drawn) or in "
                      "[0, 1e12]",
                      name, t.startup_s));
    }
    if (t.termination_s < 0 || t.termination_s > kMaxSeconds) {
      return bad(fmt::format("replicatedJob \"{}\": termination {} s: must be in [0, 1e12]", name,
                             t.termination_s));
    }
  }
  // The successPolicy must be reachable by pods that end by themselves, or the JobSet would
  // run for ever. A replicatedJob can start if it has no dependsOn, or its dependency can
  // start and (for Complete) ends by itself.
  std::vector<uint8_t> can_start(rjs, 0), ends(rjs, 0);
  for (size_t r = 0; r < rjs; ++r) {
    ends[r] = timing.empty() || timing[r].run_s != kUntilJobSetEnds ? 1 : 0;
    const auto& dep = spec.replicated_jobs[r].depends_on;
    can_start[r] = 1;
    if (!dep) continue;
    for (size_t d = 0; d < r; ++d) {
      if (spec.replicated_jobs[d].name != dep->name) continue;
      can_start[r] =
          can_start[d] != 0 && (dep->status == DependsOnStatus::kReady || ends[d] != 0) ? 1 : 0;
    }
  }
  const std::vector<std::string>& targets = spec.success_policy.target_replicated_jobs;
  bool all = true, any = false;
  for (size_t r = 0; r < rjs; ++r) {
    const std::string& name = spec.replicated_jobs[r].name;
    if (!targets.empty() && std::find(targets.begin(), targets.end(), name) == targets.end()) {
      continue;
    }
    const bool done = can_start[r] != 0 && ends[r] != 0;
    all = all && done;
    any = any || done;
  }
  if (!(spec.success_policy.op == SuccessOperator::kAll ? all : any)) {
    return bad(
        "its JobSet's successPolicy can never be met: its target replicatedJobs run until the "
        "JobSet ends, or wait (dependsOn Complete) for one that does");
  }
  return Status();
}

Status Replay::BuildLifecycles() {
  const GangLifecycleOptions& lo = o_.lifecycle;
  if (!(lo.pod_failure_probability >= 0 && lo.pod_failure_probability <= 1)) {
    return Error(
        ErrorCode::kInvalidArgument,
        fmt::format("pod failure probability {} is not in [0, 1]", lo.pod_failure_probability));
  }
  if (!(lo.node_mtbf_s >= 0) || !std::isfinite(lo.node_mtbf_s)) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("node MTBF {} s must be >= 0 (0: no node failures)", lo.node_mtbf_s));
  }
  if (lo.max_restarts < 0) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("maxRestarts {} must be >= 0", lo.max_restarts));
  }
  if (lo.startup_min_s < 0 || lo.startup_max_s < lo.startup_min_s ||
      lo.startup_max_s > kMaxSeconds) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("pod start-up range [{}, {}] s: must have 0 <= min <= max <= 1e12",
                             lo.startup_min_s, lo.startup_max_s));
  }
  for (const GangPodFailure& f : lo.injected) {
    if (f.job < 0 || static_cast<size_t>(f.job) >= w_.jobs.size() || f.pod < 0 ||
        f.pod >= job(f.job).pods || f.run < 0 || f.after_s < 0) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("injected pod failure (job {}, pod {}, run {}, after {} s) names "
                               "no pod or a negative run or time",
                               f.job, f.pod, f.run, f.after_s));
    }
  }
  lifecycles_.reserve(w_.jobs.size());
  jobsets_.resize(w_.jobs.size());
  for (size_t jj = 0; jj < w_.jobs.size(); ++jj) {
    const auto j = static_cast<int32_t>(jj);
    const GangJob& g = w_.jobs[jj];
    JobSetSpec spec;
    std::vector<GangPodTiming> timing;
    if (g.jobset) {
      spec = g.jobset->spec;
      spec.name = g.name;
      timing = g.jobset->timing;
      TESSERA_RETURN_IF_ERROR(ValidateJobSetSpec(spec));  // names the JobSet: the job
      TESSERA_RETURN_IF_ERROR(CheckJobSet(j, spec, timing));
    } else {
      spec.replicated_jobs = {ReplicatedJobSpec{.name = "gang",
                                                .replicas = 1,
                                                .parallelism = g.pods,
                                                .completions = g.pods,
                                                .backoff_limit = 0}};
      spec.failure_policy = FailurePolicySpec{.max_restarts = lo.max_restarts};
    }
    spec.name = g.name;
    timing.resize(spec.replicated_jobs.size());
    JobSetInfo& info = jobsets_[jj];
    for (size_t r = 0; r < spec.replicated_jobs.size(); ++r) {
      const ReplicatedJobSpec& rj = spec.replicated_jobs[r];
      for (int32_t k = 0; k < rj.replicas; ++k) {
        info.first_pod.push_back(static_cast<int32_t>(info.job_of_pod.size()));
        info.rj_of_job.push_back(static_cast<int32_t>(r));
        for (int32_t i = 0; i < rj.parallelism; ++i) {
          info.job_of_pod.push_back(static_cast<int32_t>(info.rj_of_job.size()) - 1);
        }
      }
      info.run_s.push_back(timing[r].run_s == 0 ? g.duration_s : timing[r].run_s);
      info.startup_s.push_back(timing[r].startup_s);
      info.termination_s.push_back(timing[r].termination_s);
    }
    info.first_pod.push_back(static_cast<int32_t>(info.job_of_pod.size()));
    TESSERA_ASSIGN_OR_RETURN(
        JobSetLifecycle l,
        JobSetLifecycle::Create(std::move(spec), lo.wait_for_pods_ready, g.arrival_s,
                                LifecycleOptions{.keep_event_log = o_.keep_events}));
    lifecycles_.push_back(std::move(l));
  }
  const WaitForPodsReadyConfig& wait = lo.wait_for_pods_ready;
  if (wait.block_admission && !wait.enable) {
    return Error(ErrorCode::kInvalidArgument,
                 "waitForPodsReady.blockAdmission needs waitForPodsReady.enable (a timeout)");
  }
  logged_.assign(w_.jobs.size(), 0);
  armed_.assign(w_.jobs.size(), kNever);
  blocking_.assign(w_.jobs.size(), 0);
  pod_rng_ = Rng(lo.seed);
  node_rng_ = Rng(lo.seed ^ 0x9e3779b97f4a7c15ULL);
  startup_rng_ = Rng(lo.seed ^ 0xbb67ae8584caa73bULL);
  return Status();
}

void Replay::PrepareAdmission(int32_t j, int64_t now) {
  // Admitting a copy says which pods the admission creates; nothing reaches the lifecycle
  // while the workload waits, so the real admission creates the same ones.
  JobSetLifecycle probe = lc(j);
  probe.Admitted(now);
  for (const Action& a : probe.actions()) {
    if (a.kind != ActionKind::kCreatePod) continue;
    PodRun& r = pod(j, PodOf(j, a.job, a.pod));
    TESSERA_CHECK(r.state == PodState::kIdle) << job(j).name << ": " << probe.FormatAction(a);
    r.state = PodState::kPending;
    ++pending_[static_cast<size_t>(j)];
  }
  TESSERA_CHECK(pending_[static_cast<size_t>(j)] > 0)
      << job(j).name << ": admission creates no pod";
  Enqueue(j);
}

void Replay::Drain(int32_t j) {
  if (!o_.keep_events) return;
  const JobSetLifecycle& l = lc(j);
  const std::vector<Event>& events = l.events();
  size_t& logged = logged_[static_cast<size_t>(j)];
  for (; logged < events.size(); ++logged) {
    result_.lifecycle_events.push_back(
        {.job = j, .event = events[logged], .text = l.FormatEvent(events[logged])});
  }
}

void Replay::ReleasePod(int32_t j, int32_t p) {
  PodRun& r = pod(j, p);
  TESSERA_CHECK(r.state == PodState::kPlaced || r.state == PodState::kTerminating);
  engine_->Release(info_[static_cast<size_t>(j)].pods[static_cast<size_t>(p)]);
  running_gpus_ -= job(j).gpus_per_pod;
  if (lifecycle() && RunOf(j, p) == kUntilJobSetEnds) --forever_placed_;
  r.state = PodState::kIdle;
  r.node = -1;
  ++r.token;
  released_ = true;
  if (--placed_[static_cast<size_t>(j)] == 0) {
    running_.erase(std::find(running_.begin(), running_.end(), j));
  }
}

void Replay::ReleaseAll(int32_t j) {
  for (int32_t p = 0; p < job(j).pods; ++p) {
    const PodState s = pod(j, p).state;
    if (s == PodState::kPlaced || s == PodState::kTerminating) ReleasePod(j, p);
    if (s == PodState::kPending) pod(j, p).state = PodState::kIdle;
  }
  pending_[static_cast<size_t>(j)] = 0;
}

bool Replay::DeleteJob(int32_t j, int32_t lc_job, int64_t now) {
  const JobSetInfo& info = js(j);
  const int64_t grace =
      info.termination_s[static_cast<size_t>(info.rj_of_job[static_cast<size_t>(lc_job)])];
  bool gone = true;
  for (int32_t p = info.first_pod[static_cast<size_t>(lc_job)];
       p < info.first_pod[static_cast<size_t>(lc_job) + 1]; ++p) {
    PodRun& r = pod(j, p);
    if (r.state == PodState::kPending) {
      r.state = PodState::kIdle;
      --pending_[static_cast<size_t>(j)];
    } else if (r.state == PodState::kPlaced && grace == 0) {
      ReleasePod(j, p);
    } else if (r.state == PodState::kPlaced) {
      r.state = PodState::kTerminating;
      Push(now + grace, EventType::kGone, j, p, r.token);
      gone = false;
    } else if (r.state == PodState::kTerminating) {
      gone = false;
    }
  }
  return gone;
}

void Replay::Finish(int32_t j, int64_t now, bool failed, bool deactivated) {
  GangJobOutcome& o = outcome(j);
  o.end_s = now;
  o.failed = failed;
  o.deactivated = deactivated;
  last_finish_ = std::max(last_finish_, now);
  if (deactivated) {
    ++result_.deactivated;
    return;
  }
  if (failed) {
    ++result_.failed;
    return;
  }
  ++result_.completed;
  Log({.time_s = now, .kind = GangEventKind::kEnd, .job = j});
}

Status Replay::Apply(int32_t j, int64_t now) {
  JobSetLifecycle& l = lc(j);
  std::vector<Action> actions;
  std::vector<int32_t> gone;
  while (!l.actions().empty()) {
    actions = l.actions();
    l.ClearActions();
    gone.clear();
    for (const Action& a : actions) {
      switch (a.kind) {
        case ActionKind::kCreateJob:
          break;
        case ActionKind::kCreatePod: {
          PodRun& r = pod(j, PodOf(j, a.job, a.pod));
          if (r.state != PodState::kIdle) {
            return Error(ErrorCode::kInternal,
                         fmt::format("job \"{}\": {} for a pod still on a node", job(j).name,
                                     l.FormatAction(a)));
          }
          r.state = PodState::kPending;
          ++pending_[static_cast<size_t>(j)];
          break;
        }
        case ActionKind::kDeleteJob:
          if (DeleteJob(j, a.job, now)) gone.push_back(a.job);
          break;
        case ActionKind::kCompleteJobSet:
        case ActionKind::kFailJobSet:
          ReleaseAll(j);
          Finish(j, now, a.kind == ActionKind::kFailJobSet);
          break;
        case ActionKind::kEvictWorkload:
          ReleaseAll(j);
          ++result_.evictions;
          key_[static_cast<size_t>(j)] = a.queue_key_time_s;
          Push(a.requeue_at_s, EventType::kRequeue, j);
          break;
        case ActionKind::kDeactivateWorkload:
          ReleaseAll(j);
          Finish(j, now, /*failed=*/false, /*deactivated=*/true);
          break;
      }
    }
    // Deleted Jobs whose pods left at once are gone: all at once in one reconcile, as when
    // the whole JobSet restarts, or one by one while others still terminate.
    if (!gone.empty() && l.state() == WorkloadState::kAdmitted) {
      const bool terminating = std::any_of(pods(j).begin(), pods(j).end(), [](const PodRun& r) {
        return r.state == PodState::kTerminating;
      });
      if (!terminating) {
        l.OldPodsGone(now);
      } else {
        for (int32_t k : gone) l.OldJobGone(now, k);
      }
    }
    Drain(j);
  }
  // In the queue exactly while pods wait for nodes.
  const bool wants = pending_[static_cast<size_t>(j)] > 0;
  if (wants && queued_[static_cast<size_t>(j)] == 0) Enqueue(j);
  if (!wants) Dequeue(j);
  return Status();
}

Status Replay::Settle(int32_t j, int64_t now) {
  Drain(j);
  TESSERA_RETURN_IF_ERROR(Apply(j, now));
  const JobSetLifecycle& l = lc(j);
  GangJobOutcome& o = outcome(j);
  if (o.ready_s < 0 && l.count(EventKind::kPodsReady) > 0) o.ready_s = now;
  if (block_admission()) UpdateBlock(j, now);
  if (const std::optional<int64_t> deadline = l.NextDeadline();
      deadline && *deadline != armed_[static_cast<size_t>(j)]) {
    armed_[static_cast<size_t>(j)] = *deadline;
    Push(*deadline, EventType::kDeadline, j);
  }
  if (o_.check && released_) {
    released_ = false;
    if (std::string broken = engine_->CheckInvariants(); !broken.empty()) {
      return Error(ErrorCode::kInternal, fmt::format("t={}: after pods of job \"{}\" left: {}", now,
                                                     job(j).name, broken));
    }
  }
  return Status();
}

void Replay::UpdateBlock(int32_t j, int64_t now) {
  // Kueue blocks while any admitted workload lacks PodsReady=True: before its first
  // PodsReady, and again while it recovers from losing it (a pod failed, a Job restarted).
  const JobSetLifecycle& l = lc(j);
  const uint8_t blocks = l.state() == WorkloadState::kAdmitted && !l.pods_ready() ? 1 : 0;
  uint8_t& was = blocking_[static_cast<size_t>(j)];
  if (blocks == was) return;
  was = blocks;
  blockers_ += blocks != 0 ? 1 : -1;
  Log({.time_s = now,
       .kind = blocks != 0 ? GangEventKind::kAdmissionBlocked : GangEventKind::kAdmissionUnblocked,
       .job = j});
}

int64_t Replay::StartupDelay(int32_t j, int32_t p) {
  const int64_t fixed = js(j).startup_s[static_cast<size_t>(RjOf(j, p))];
  if (fixed >= 0) return fixed;
  const GangLifecycleOptions& lo = o_.lifecycle;
  if (lo.startup_max_s == 0) return 0;
  return lo.startup_min_s + static_cast<int64_t>(startup_rng_.Uniform(
                                static_cast<uint64_t>(lo.startup_max_s - lo.startup_min_s + 1)));
}

Status Replay::Placed(int32_t j, int64_t now, std::span<const int32_t> stage) {
  JobSetLifecycle& l = lc(j);
  const GangJob& g = job(j);
  if (l.state() == WorkloadState::kQueued) {
    l.Admitted(now);
    // It creates its Jobs and pods: the ones just placed.
    size_t created = 0;
    for (const Action& a : l.actions()) {
      TESSERA_CHECK(a.kind == ActionKind::kCreateJob || a.kind == ActionKind::kCreatePod)
          << g.name << ": " << l.FormatAction(a);
      if (a.kind != ActionKind::kCreatePod) continue;
      TESSERA_CHECK(pod(j, PodOf(j, a.job, a.pod)).state == PodState::kPlaced)
          << g.name << ": admission created " << l.FormatAction(a) << ", not placed";
      ++created;
    }
    TESSERA_CHECK(created == stage.size())
        << g.name << ": admission created " << created << " pods, " << stage.size() << " placed";
    l.ClearActions();
  }
  // Ready at once, or after the start-up delay; a pod whose run ends first never is.
  for (int32_t p : stage) {
    const PodRef ref = RefOf(j, p);
    TESSERA_CHECK(l.PodScheduled(now, ref.job, ref.pod)) << g.name << " pod " << p;
    const int64_t delay = StartupDelay(j, p);
    const int64_t run = RunOf(j, p);
    if (delay == 0) {
      TESSERA_CHECK(l.PodReady(now, ref.job, ref.pod)) << g.name << " pod " << p;
    } else if (run == kUntilJobSetEnds || delay < run) {
      Push(now + delay, EventType::kReady, j, p, pod(j, p).token);
    }
  }
  // The stage's ends and failures: the injected ones, then one draw per pod. A pod that runs
  // until the JobSet ends draws its failure inside the job's duration.
  for (const GangPodFailure& f : o_.lifecycle.injected) {
    if (f.job != j || std::find(stage.begin(), stage.end(), f.pod) == stage.end()) continue;
    const PodRun& r = pod(j, f.pod);
    const int64_t run = RunOf(j, f.pod);
    const int64_t window = run == kUntilJobSetEnds ? kNever : run;
    if (f.run == r.placements - 1 && f.after_s < window) {
      Push(now + f.after_s, EventType::kPodFailure, j, f.pod, r.token);
    }
  }
  const double p_fail = o_.lifecycle.pod_failure_probability;
  for (int32_t p : stage) {
    const int64_t run = RunOf(j, p);
    const uint32_t token = pod(j, p).token;
    if (p_fail > 0 && pod_rng_.UniformReal() < p_fail) {
      const int64_t window = run == kUntilJobSetEnds ? g.duration_s : run;
      const auto after = static_cast<int64_t>(pod_rng_.UniformReal() * static_cast<double>(window));
      Push(now + std::min(after, window - 1), EventType::kPodFailure, j, p, token);
    }
    if (run != kUntilJobSetEnds) Push(now + run, EventType::kEnd, j, p, token);
  }
  return Settle(j, now);
}

Status Replay::Dispatch(const Timed& e, int64_t now) {
  const auto [t, type, j, p, token] = e;
  if (!lifecycle()) {
    TESSERA_CHECK(type == EventType::kEnd);
    End(j, now);
    return Status();
  }
  JobSetLifecycle& l = lc(j);
  switch (type) {
    case EventType::kPodFailure: {
      if (!Live(j, p, token, PodState::kPlaced)) return Status();  // an old run
      ++result_.pod_failures;
      const PodRef ref = RefOf(j, p);
      ReleasePod(j, p);
      TESSERA_CHECK(l.PodFailed(now, ref.job, ref.pod, PodFailureCause::kError))
          << job(j).name << " pod " << p;
      return Settle(j, now);
    }
    case EventType::kGone: {
      if (!Live(j, p, token, PodState::kTerminating)) return Status();
      ReleasePod(j, p);
      const PodRef ref = RefOf(j, p);
      const JobSetInfo& info = js(j);
      // The job index is passed in: clang 14 cannot capture a structured binding.
      auto terminating = [this](int32_t job_index, int32_t from, int32_t to) {
        for (int32_t q = from; q < to; ++q) {
          if (pod(job_index, q).state == PodState::kTerminating) return true;
        }
        return false;
      };
      const auto k = static_cast<size_t>(ref.job);
      if (terminating(j, info.first_pod[k], info.first_pod[k + 1])) return Status();
      if (!terminating(j, 0, job(j).pods)) {
        l.OldPodsGone(now);
      } else {
        l.OldJobGone(now, ref.job);
      }
      return Settle(j, now);
    }
    case EventType::kReady: {
      if (!Live(j, p, token, PodState::kPlaced)) return Status();
      const PodRef ref = RefOf(j, p);
      TESSERA_CHECK(l.PodReady(now, ref.job, ref.pod)) << job(j).name << " pod " << p;
      return Settle(j, now);
    }
    case EventType::kEnd: {
      if (!Live(j, p, token, PodState::kPlaced)) return Status();
      const PodRef ref = RefOf(j, p);
      ReleasePod(j, p);
      TESSERA_CHECK(l.PodSucceeded(now, ref.job, ref.pod)) << job(j).name << " pod " << p;
      return Settle(j, now);
    }
    case EventType::kDeadline: {
      armed_[static_cast<size_t>(j)] = kNever;
      const std::optional<int64_t> deadline = l.NextDeadline();
      if (!deadline || *deadline > now) return Status();
      l.Tick(now);
      return Settle(j, now);
    }
    case EventType::kRequeue:
      if (l.state() == WorkloadState::kQueued) PrepareAdmission(j, now);
      return Status();
  }
  return Status();
}

Status Replay::NodeFailure(int64_t now) {
  ++result_.node_failures;
  const auto node = static_cast<int32_t>(node_rng_.Uniform(num_nodes()));
  next_node_failure_ = NextNodeFailure(now);
  const std::vector<int32_t> running = running_;
  bool hit = false;
  std::vector<PodRef> refs;
  for (int32_t j : running) {
    refs.clear();
    for (int32_t p = 0; p < job(j).pods; ++p) {
      const PodRun& r = pod(j, p);
      if (r.state != PodState::kPlaced || r.node != node) continue;
      refs.push_back(RefOf(j, p));
      ReleasePod(j, p);  // the node is replaced; its pods are gone
    }
    if (refs.empty()) continue;
    hit = true;
    lc(j).NodeFailed(now, refs);
    TESSERA_RETURN_IF_ERROR(Settle(j, now));
  }
  if (hit) ++result_.node_failures_hit;
  return Status();
}

bool Replay::MoreEvents() {
  if (static_cast<int64_t>(events_.size()) > failure_events_) return true;
  if (!lifecycle()) return false;
  for (const Timed& e : events_) {
    const auto [t, type, j, p, token] = e;
    if (type == EventType::kPodFailure && Live(j, p, token, PodState::kPlaced)) return true;
  }
  return false;
}

void Replay::PendingPods(int32_t j, std::vector<int32_t>& stage) const {
  stage.clear();
  const std::vector<PodRun>& runs = pods_[static_cast<size_t>(j)];
  for (size_t p = 0; p < runs.size(); ++p) {
    if (!lifecycle() || runs[p].state == PodState::kPending) {
      stage.push_back(static_cast<int32_t>(p));
    }
  }
}

model::GangSpec Replay::StageGang(int32_t j, std::span<const int32_t> stage) const {
  const model::GangSpec& whole = gangs_[static_cast<size_t>(j)];
  model::GangSpec spec = whole;
  std::vector<std::string>& names = spec.members.front().pod_names;
  names.clear();
  for (int32_t p : stage) {
    names.push_back(whole.members.front().pod_names[static_cast<size_t>(p)]);
  }
  return spec;
}

Status Replay::CheckRefusal(int32_t j, int64_t now, const std::vector<uint8_t>& usable) {
  std::vector<NodeId> allowed;
  for (size_t n = 0; n < num_nodes(); ++n) {
    if (usable[n] != 0) allowed.emplace_back(static_cast<uint32_t>(n));
  }
  if (allowed.empty()) return Status();  // PlaceGang cannot be asked about no nodes
  ++result_.engine_calls;
  PendingPods(j, stage_);
  const bool whole = stage_.size() == static_cast<size_t>(job(j).pods);
  const engine::Engine::GangOutcome out =
      whole ? engine_->PlaceGang(gangs_[static_cast<size_t>(j)], allowed)
            : engine_->PlaceGang(StageGang(j, stage_), allowed);
  if (out.placed) {
    return Error(ErrorCode::kInternal,
                 fmt::format("t={}: the fit model says job \"{}\" ({} pods) does not fit on {} "
                             "nodes, but the engine placed it",
                             now, job(j).name, stage_.size(), allowed.size()));
  }
  return Status();
}

Status Replay::CheckStart(int32_t j, const engine::Engine::GangOutcome& out,
                          std::span<const int32_t> stage, const std::vector<NodeId>& touched) {
  const GangJob& g = job(j);
  ++result_.checked;
  if (out.decisions.size() != stage.size()) {
    return Error(ErrorCode::kInternal, fmt::format("job \"{}\" started with {} of its {} pods",
                                                   g.name, out.decisions.size(), stage.size()));
  }
  for (int32_t p : stage) {
    const PodId id = info_[static_cast<size_t>(j)].pods[static_cast<size_t>(p)];
    if (!engine_->overlay().node_of(id).valid()) {
      return Error(ErrorCode::kInternal,
                   fmt::format("job \"{}\": pod {} is not on a node after its start", g.name,
                               snapshot_->pod(id).name));
    }
  }
  if (std::string broken = dra::CheckNodes(engine_->overlay(), touched); !broken.empty()) {
    return Error(ErrorCode::kInternal, fmt::format("job \"{}\": {}", g.name, broken));
  }
  // Now and then the full check: every node and the device ledger; with the lifecycle after
  // every start, since pods come and go in pieces.
  if (lifecycle() || result_.checked % 256 == 0) {
    if (std::string broken = engine_->CheckInvariants(); !broken.empty()) {
      return Error(ErrorCode::kInternal, fmt::format("after job \"{}\": {}", g.name, broken));
    }
  }
  for (const NodeId& n : touched) {
    if (DomainOf(g.required, n.index()) != DomainOf(g.required, touched.front().index())) {
      return Error(ErrorCode::kInternal,
                   fmt::format("job \"{}\" spans two domains of its required level", g.name));
    }
  }
  return Status();
}

Status Replay::Start(int32_t j, int64_t now, const std::vector<uint8_t>& usable) {
  const GangJob& g = job(j);
  std::vector<NodeId> allowed;
  const bool all = std::all_of(usable.begin(), usable.end(), [](uint8_t u) { return u != 0; });
  if (!all) {
    for (size_t n = 0; n < num_nodes(); ++n) {
      if (usable[n] != 0) allowed.emplace_back(static_cast<uint32_t>(n));
    }
  }
  std::vector<int32_t> stage;
  PendingPods(j, stage);
  const bool whole = stage.size() == static_cast<size_t>(g.pods);
  ++result_.engine_calls;
  const engine::Engine::GangOutcome out =
      whole ? engine_->PlaceGang(gangs_[static_cast<size_t>(j)], allowed)
            : engine_->PlaceGang(StageGang(j, stage), allowed);
  if (!out.placed) {
    return Error(ErrorCode::kInternal,
                 fmt::format("t={}: the fit model says job \"{}\" ({} pods) fits, but the engine "
                             "says: {}",
                             now, g.name, stage.size(), out.reason));
  }
  GangJobOutcome& o = outcome(j);
  if (++o.runs > kMaxPlacementsPerJob) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("job \"{}\" was placed more than {} times: its pods keep failing and "
                             "its failurePolicy (or waitForPodsReady without backoffLimitCount) "
                             "never gives up",
                             g.name, kMaxPlacementsPerJob));
  }
  std::vector<int32_t> stage_nodes;
  bool again = false;
  if (placed_[static_cast<size_t>(j)] == 0) running_.push_back(j);
  for (int32_t p : stage) {
    PodRun& r = pod(j, p);
    const NodeId at =
        engine_->overlay().node_of(info_[static_cast<size_t>(j)].pods[static_cast<size_t>(p)]);
    TESSERA_CHECK(at.valid()) << g.name << " pod " << p << " placed nowhere";
    r.state = PodState::kPlaced;
    r.node = static_cast<int32_t>(at.index());
    r.placed_s = now;
    again = again || r.placements > 0;
    ++r.placements;
    stage_nodes.push_back(r.node);
    if (lifecycle() && RunOf(j, p) == kUntilJobSetEnds) ++forever_placed_;
  }
  placed_[static_cast<size_t>(j)] += static_cast<int32_t>(stage.size());
  if (lifecycle()) pending_[static_cast<size_t>(j)] = 0;
  std::sort(stage_nodes.begin(), stage_nodes.end());
  stage_nodes.erase(std::unique(stage_nodes.begin(), stage_nodes.end()), stage_nodes.end());
  if (o.start_s < 0) o.start_s = now;
  if (!lifecycle() && o.ready_s < 0) o.ready_s = now;
  if (again) ++result_.replacements;
  o.nodes.clear();
  for (const PodRun& r : pods(j)) {
    if (r.state == PodState::kPlaced) o.nodes.push_back(r.node);
  }
  std::sort(o.nodes.begin(), o.nodes.end());
  o.nodes.erase(std::unique(o.nodes.begin(), o.nodes.end()), o.nodes.end());
  std::vector<NodeId> touched;
  for (int32_t n : stage_nodes) touched.emplace_back(static_cast<uint32_t>(n));
  if (o_.check) TESSERA_RETURN_IF_ERROR(CheckStart(j, out, stage, touched));
  // The nodes it took have less room now.
  const model::Overlay& overlay = engine_->overlay();
  for (NodeId node : touched) {
    const auto alloc = snapshot_->allocatable(node);
    const auto used = overlay.used(node);
    for (size_t r = 0; r < dims_; ++r) {
      free_[node.index() * dims_ + r] = alloc[r].value() - used[r].value();
    }
  }
  running_gpus_ += int64_t{g.gpus_per_pod} * static_cast<int64_t>(stage.size());
  Log({.time_s = now,
       .kind = GangEventKind::kStart,
       .job = j,
       .nodes = std::move(stage_nodes),
       .pods = static_cast<int32_t>(stage.size())});
  if (lifecycle()) return Placed(j, now, stage);
  Push(now + g.duration_s, EventType::kEnd, j);
  return Status();
}

void Replay::End(int32_t j, int64_t now) {
  for (int32_t p = 0; p < job(j).pods; ++p) ReleasePod(j, p);
  outcome(j).end_s = now;
  last_finish_ = now;
  ++result_.completed;
  Log({.time_s = now, .kind = GangEventKind::kEnd, .job = j});
}

void Replay::Reserve(int32_t j, int64_t now, bool is_head) {
  const GangJob& g = job(j);
  // Pods on nodes by declared end: placement + the job's declared runtime (terminating pods
  // too: the planner does not know graces). A pod running past it (the lifecycle's stages
  // can) is taken to end in a second. Grouped by (end, job): a job's pods mostly share one.
  auto end_of = [&](int32_t r, const PodRun& run) {
    return std::max(run.placed_s + job(r).declared_s, now + 1);
  };
  auto on_node = [](const PodRun& run) {
    return run.state == PodState::kPlaced || run.state == PodState::kTerminating;
  };
  std::vector<std::pair<int64_t, int32_t>> releases;  // (end, job)
  std::vector<int64_t> times = {now};
  for (int32_t r : running_) {
    int64_t last = -1;
    for (const PodRun& run : pods(r)) {
      if (!on_node(run) || end_of(r, run) == last) continue;
      last = end_of(r, run);
      releases.emplace_back(last, r);
      times.push_back(last);
    }
  }
  for (const Reservation& r : reservations_) {
    if (r.end_s > now) times.push_back(r.end_s);
  }
  std::sort(releases.begin(), releases.end());
  releases.erase(std::unique(releases.begin(), releases.end()), releases.end());
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  work_ = free_;
  size_t next = 0;
  std::vector<int32_t> nodes;
  for (int64_t t : times) {
    for (; next < releases.size() && releases[next].first <= t; ++next) {
      const auto [end, r] = releases[next];
      for (const PodRun& run : pods(r)) {
        if (!on_node(run) || end_of(r, run) != end) continue;
        for (const auto& [dim, amount] : info_[static_cast<size_t>(r)].demand) {
          work_[static_cast<size_t>(run.node) * dims_ + dim] += amount;
        }
      }
    }
    Usable(t, t + g.declared_s, usable_);
    if (!Fits(j, work_, usable_, &nodes)) continue;
    // Now would contradict the failed attempt: the model would disagree with itself.
    TESSERA_CHECK(t > now) << "job " << g.name << " fits now by the reservation sweep";
    reservations_.push_back({.job = j, .start_s = t, .end_s = t + g.declared_s, .nodes = nodes});
    GangJobOutcome& o = outcome(j);
    if (is_head && o.head_reservation_s < 0) o.head_reservation_s = t;
    auto& last = last_reservation_[static_cast<size_t>(j)];
    if (o.reservations == 0 || last.first != t || last.second != nodes) {
      Log({.time_s = now,
           .kind = o.reservations == 0 ? GangEventKind::kReserve : GangEventKind::kReserveMoved,
           .job = j,
           .reserved_start_s = t,
           .nodes = nodes,
           .pods = Need(j)});
      ++o.reservations;
      last = {t, std::move(nodes)};
    }
    return;
  }
  // Once every running pod and reservation has ended the cluster is empty, and every job was
  // checked to fit an empty cluster.
  TESSERA_CHECK(false) << "no reservation time found for job " << g.name;
}

Status Replay::Pass(int64_t now) {
  ++result_.passes;
  ReadFree(free_);
  reservations_.clear();
  failed_declared_.assign(static_cast<size_t>(shapes_), kNever);
  const bool backfill = o_.policy == GangPolicy::kBackfill;
  for (size_t qi = 0; qi < queue_.size();) {
    const int32_t j = queue_[qi];
    const GangJob& g = job(j);
    // blockAdmission: a workload waiting to be admitted waits while another one is admitted
    // and not yet PodsReady. It is not "blocked by capacity": fifo walks on past it, and it
    // gets no reservation (it may be admitted as soon as the other one is ready).
    if (blockers_ > 0 && lc(j).state() == WorkloadState::kQueued) {
      ++result_.admissions_held;
      ++qi;
      continue;
    }
    // Capacity only shrinks during a pass and reservations only add up, so a job of a shape
    // that already failed with a runtime no longer than this one's fails too. Without
    // reservations the runtime does not matter. A stage smaller than its job has no shape.
    const int64_t runtime = backfill ? g.declared_s : 0;
    const bool shaped = Need(j) == g.pods;
    const size_t shape = static_cast<size_t>(info_[static_cast<size_t>(j)].shape);
    bool fits = false;
    if (o_.check || !shaped || runtime < failed_declared_[shape]) {
      Usable(now, now + g.declared_s, usable_);
      fits = Fits(j, free_, usable_, nullptr);
      if (!fits && o_.check) TESSERA_RETURN_IF_ERROR(CheckRefusal(j, now, usable_));
    }
    if (fits) {
      // Out of the queue before it starts: its next stage, if the start creates one at once
      // (dependsOn Ready on pods ready at once), queues again in this place.
      queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(qi));
      queued_[static_cast<size_t>(j)] = 0;
      TESSERA_RETURN_IF_ERROR(Start(j, now, usable_));
      continue;
    }
    if (shaped) failed_declared_[shape] = std::min(failed_declared_[shape], runtime);
    if (o_.policy == GangPolicy::kFifo) break;
    if (backfill && reservations_.size() < static_cast<size_t>(o_.reservation_depth)) {
      Reserve(j, now, /*is_head=*/qi == 0);
    }
    ++qi;
  }
  return Status();
}

Status Replay::Run() {
  const size_t jobs = w_.jobs.size();
  std::vector<int32_t> arrivals(jobs);
  for (size_t j = 0; j < jobs; ++j) arrivals[j] = static_cast<int32_t>(j);
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [&](int32_t a, int32_t b) { return job(a).arrival_s < job(b).arrival_s; });
  size_t next_arrival = 0;
  int64_t last_time = jobs > 0 ? job(arrivals.front()).arrival_s : 0;
  const int64_t first_arrival = last_time;
  const int64_t last_arrival = jobs > 0 ? job(arrivals.back()).arrival_s : 0;
  double busy_gpu_seconds = 0, busy_arriving = 0;
  const bool node_failures = lifecycle() && o_.lifecycle.node_mtbf_s > 0;
  if (node_failures && jobs > 0) next_node_failure_ = NextNodeFailure(first_arrival);
  while (next_arrival < jobs || MoreEvents()) {
    int64_t now = kNever;
    if (next_arrival < jobs) now = job(arrivals[next_arrival]).arrival_s;
    if (!events_.empty()) now = std::min(now, std::get<0>(events_.front()));
    // Nodes fail while pods are expected to end (or run until their JobSet ends); while the
    // cluster is idle the failures hit no pod.
    const bool busy = end_events_ > 0 || forever_placed_ > 0;
    if (node_failures && !busy) {
      while (next_node_failure_ < now) next_node_failure_ = NextNodeFailure(next_node_failure_);
    }
    if (busy) now = std::min(now, next_node_failure_);
    busy_gpu_seconds += static_cast<double>(running_gpus_) * static_cast<double>(now - last_time);
    if (last_time < last_arrival) {
      busy_arriving += static_cast<double>(running_gpus_) *
                       static_cast<double>(std::min(now, last_arrival) - last_time);
    }
    if (running_gpus_ > 0) last_busy_ = now;
    last_time = now;
    // Node failures, then timed events (see Timed), then arrivals; then one pass.
    while (next_node_failure_ == now) TESSERA_RETURN_IF_ERROR(NodeFailure(now));
    while (!events_.empty() && std::get<0>(events_.front()) == now) {
      TESSERA_RETURN_IF_ERROR(Dispatch(Pop(), now));
    }
    for (; next_arrival < jobs && job(arrivals[next_arrival]).arrival_s == now; ++next_arrival) {
      const int32_t j = arrivals[next_arrival];
      if (lifecycle()) {
        PrepareAdmission(j, now);
      } else {
        Enqueue(j);
      }
      Log({.time_s = now, .kind = GangEventKind::kArrive, .job = j});
    }
    TESSERA_RETURN_IF_ERROR(Pass(now));
  }
  if (lifecycle()) {
    // What is left waits for nodes that its own pods or other stuck jobs' hold for ever.
    for (size_t jj = 0; jj < jobs; ++jj) {
      const auto j = static_cast<int32_t>(jj);
      if (lc(j).finished()) continue;
      outcome(j).stuck = true;
      ++result_.stuck;
      ReleaseAll(j);
      Dequeue(j);
    }
    TESSERA_CHECK(result_.completed + result_.failed + result_.deactivated + result_.stuck ==
                  static_cast<int64_t>(jobs))
        << result_.completed << " completed, " << result_.failed << " failed, "
        << result_.deactivated << " deactivated and " << result_.stuck << " stuck of " << jobs;
    for (const JobSetLifecycle& l : lifecycles_) {
      for (size_t k = 0; k < l.counts().size(); ++k) result_.lifecycle_counts[k] += l.counts()[k];
    }
    // Ends and failures of released runs may lie past the last job's finish; pods of stuck
    // jobs count as busy to the last event.
    last_time = std::max(last_finish_, last_busy_);
  }
  TESSERA_CHECK(queue_.empty()) << queue_.size() << " jobs never started";
  if (o_.check) {
    // Every job has left: the whole ledger and every node must be back to empty.
    if (std::string broken = engine_->CheckInvariants(); !broken.empty()) {
      return Error(ErrorCode::kInternal, "after the replay: " + broken);
    }
    const model::Overlay& overlay = engine_->overlay();
    for (size_t n = 0; n < num_nodes(); ++n) {
      for (const Quantity& q : overlay.used(NodeId(static_cast<uint32_t>(n)))) {
        if (q.value() != 0) {
          return Error(ErrorCode::kInternal,
                       fmt::format("after the replay node {} still has resources in use",
                                   snapshot_->node_name(NodeId(static_cast<uint32_t>(n)))));
        }
      }
    }
  }
  result_.makespan_s = last_time - first_arrival;
  const double capacity =
      static_cast<double>(w_.cluster.gpus()) * static_cast<double>(result_.makespan_s);
  result_.gpu_utilisation_pct = capacity > 0 ? 100.0 * busy_gpu_seconds / capacity : 0;
  const double arriving =
      static_cast<double>(w_.cluster.gpus()) * static_cast<double>(last_arrival - first_arrival);
  result_.gpu_utilisation_arriving_pct = arriving > 0 ? 100.0 * busy_arriving / arriving : 0;
  std::vector<int64_t> big, small, big_ready;
  for (size_t j = 0; j < jobs; ++j) {
    const GangJobOutcome& o = result_.jobs[j];
    const bool is_big = w_.jobs[j].is_big_gang.value_or(w_.jobs[j].gpus() >= o_.big_gang_gpus);
    if (is_big && o.ready_s >= 0) big_ready.push_back(o.ready_s - w_.jobs[j].arrival_s);
    if (o.start_s < 0) continue;
    (is_big ? big : small).push_back(o.start_s - w_.jobs[j].arrival_s);
  }
  result_.big = Stats(std::move(big));
  result_.small = Stats(std::move(small));
  result_.big_ready = Stats(std::move(big_ready));
  return Status();
}

}  // namespace

Result<GangPolicy> ParseGangPolicy(std::string_view name) {
  for (size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (kPolicyNames[i] == name) return static_cast<GangPolicy>(i);
  }
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown gang policy \"{}\" (valid: fifo, greedy, backfill)", name));
}

std::string_view GangPolicyName(GangPolicy policy) {
  return kPolicyNames[static_cast<size_t>(policy)];
}

std::span<const std::string_view> GangPolicyNames() { return kPolicyNames; }

std::string_view GangEventKindName(GangEventKind kind) {
  switch (kind) {
    case GangEventKind::kArrive:
      return "arrive";
    case GangEventKind::kStart:
      return "start";
    case GangEventKind::kEnd:
      return "end";
    case GangEventKind::kReserve:
      return "reserve";
    case GangEventKind::kReserveMoved:
      return "reserve-moved";
    case GangEventKind::kAdmissionBlocked:
      return "admission-blocked";
    case GangEventKind::kAdmissionUnblocked:
      return "admission-unblocked";
  }
  return "?";
}

Result<GangReplayResult> ReplayGangs(const GangWorkload& workload,
                                     const GangReplayOptions& options) {
  Replay replay(workload, options);
  TESSERA_RETURN_IF_ERROR(replay.Build());
  TESSERA_RETURN_IF_ERROR(replay.Run());
  return std::move(replay).TakeResult();
}

}  // namespace tessera::sim

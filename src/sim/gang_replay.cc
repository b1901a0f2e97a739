#include "sim/gang_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <queue>
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

// One replay: the snapshot, the engine and the event loop. Time moves from event to event
// (job ends first, then arrivals, then one scheduling pass per distinct time). A pass walks
// the queue in order and starts what the policy allows; under backfill, the first
// `reservation_depth` jobs that cannot start get reservations, which the rest of the walk
// must respect. Reservations are plans, rebuilt from scratch by every pass.
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
  // room: the smallest free / request over the requested resources and "pods".
  int64_t Room(int32_t j, std::span<const int64_t> free, size_t node) const;
  // Whether job `j` fits on the `usable` nodes given `free`: as many pods as it has fit on
  // them, in one domain of its required level. With `chosen`, the nodes it would use: the
  // tightest domain that fits (lowest index among equals), and inside it the roomiest nodes
  // first, the last one the tightest that still holds the rest (the engine's BestFit).
  bool Fits(int32_t j, std::span<const int64_t> free, const std::vector<uint8_t>& usable,
            std::vector<int32_t>* chosen);
  // Nodes usable for a job running over [from, to): not in a reservation that overlaps it.
  void Usable(int64_t from, int64_t to, std::vector<uint8_t>& usable) const;
  void ReadFree(std::vector<int64_t>& free) const;

  Status Pass(int64_t now);
  Status Start(int32_t j, int64_t now, const std::vector<uint8_t>& usable);
  void End(int32_t j, int64_t now);
  // The earliest time, releasing running jobs at their declared ends and honouring the
  // reservations made so far in this pass, at which job `j` fits, and the nodes it would use.
  void Reserve(int32_t j, int64_t now, bool is_head);
  // The engine's answer for a fit the model said no to (options.check).
  Status CheckRefusal(int32_t j, int64_t now, const std::vector<uint8_t>& usable);
  Status CheckStart(int32_t j, const engine::Engine::GangOutcome& out,
                    const std::vector<NodeId>& touched);
  // The lifecycle (options.lifecycle.enable).
  bool lifecycle() const { return o_.lifecycle.enable; }
  JobSetLifecycle& lc(int32_t j) { return lifecycles_[static_cast<size_t>(j)]; }
  bool IsRunning(int32_t j) const {
    return std::find(running_.begin(), running_.end(), j) != running_.end();
  }
  bool Before(int32_t a, int32_t b) const {
    const GangJob& x = job(a);
    const GangJob& y = job(b);
    if (x.priority != y.priority) return x.priority > y.priority;
    if (x.arrival_s != y.arrival_s) return x.arrival_s < y.arrival_s;
    return a < b;
  }
  void Enqueue(int32_t j) {
    queue_.insert(std::upper_bound(queue_.begin(), queue_.end(), j,
                                   [&](int32_t a, int32_t b) { return Before(a, b); }),
                  j);
  }
  Status BuildLifecycles();
  // Copies the lifecycle's new events into the replay's log.
  void Drain(int32_t j);
  // Carries out the lifecycle's actions for job `j`.
  Status Apply(int32_t j, int64_t now);
  // The running gang's pods go back to the engine; its run is over.
  Status ReleaseRun(int32_t j);
  void Finish(int32_t j, int64_t now, bool failed);
  // Lifecycle inputs once job `j` was placed at `now`, and its failures for this run.
  Status Placed(int32_t j, int64_t now);
  Status PodFailure(int64_t now, int32_t j, int32_t run, int32_t pod);
  Status NodeFailure(int64_t now);
  // The time of the node failure after one at `from`: exponential gaps, mean MTBF / nodes.
  int64_t NextNodeFailure(int64_t from) {
    const double mean = o_.lifecycle.node_mtbf_s / static_cast<double>(num_nodes());
    const double gap = -std::log(1.0 - node_rng_.UniformReal()) * mean;
    return from + std::max<int64_t>(1, std::llround(std::min(gap, 1e15)));
  }
  Status Succeeded(int32_t j, int64_t now);

  void Log(GangEvent e) {
    ++result_.event_counts[static_cast<size_t>(e.kind)];
    if (o_.keep_events) result_.events.push_back(std::move(e));
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

  // Queue order: priority (high first), arrival, index.
  std::vector<int32_t> queue_;
  std::vector<int32_t> running_;
  std::vector<std::vector<std::pair<int32_t, int32_t>>> placement_;         // per job: (node, pods)
  std::vector<Reservation> reservations_;                                   // this pass
  std::vector<std::pair<int64_t, std::vector<int32_t>>> last_reservation_;  // per job
  int64_t running_gpus_ = 0;
  std::vector<int64_t> run_start_;  // per job: when its current (or last) run started
  int64_t last_finish_ = 0;

  // The lifecycle: one per job, each job's run number (bumped when a run is released, so
  // ends and failures of an older run are recognised and dropped), pending pod failures
  // (time, job, run, pod) and the next node failure.
  std::vector<JobSetLifecycle> lifecycles_;
  std::vector<size_t> logged_;
  std::vector<int32_t> run_;
  using Failure = std::tuple<int64_t, int32_t, int32_t, int32_t>;
  std::priority_queue<Failure, std::vector<Failure>, std::greater<>> failures_;
  Rng pod_rng_{1};
  Rng node_rng_{2};
  int64_t next_node_failure_ = kNever;

  // Per-pass scratch.
  std::vector<int64_t> free_, work_;
  std::vector<uint8_t> usable_;
  std::vector<int64_t> failed_declared_;  // per shape: smallest declared runtime that failed
  std::vector<int64_t> domain_room_;
  std::vector<int64_t> node_room_;
};

int64_t Replay::Room(int32_t j, std::span<const int64_t> free, size_t node) const {
  const GangJob& g = job(j);
  int64_t room = g.pods;
  const int64_t* row = free.data() + node * dims_;
  for (const auto& [dim, amount] : info_[static_cast<size_t>(j)].demand) {
    room = std::min(room, row[dim] / amount);
  }
  return std::max<int64_t>(room, 0);
}

bool Replay::Fits(int32_t j, std::span<const int64_t> free, const std::vector<uint8_t>& usable,
                  std::vector<int32_t>* chosen) {
  const GangJob& g = job(j);
  const size_t domains = NumDomains(g.required);
  domain_room_.assign(domains, 0);
  node_room_.assign(num_nodes(), 0);
  for (size_t n = 0; n < num_nodes(); ++n) {
    if (usable[n] == 0) continue;
    node_room_[n] = Room(j, free, n);
    domain_room_[static_cast<size_t>(DomainOf(g.required, n))] += node_room_[n];
  }
  size_t best = domains;
  for (size_t d = 0; d < domains; ++d) {
    if (domain_room_[d] < g.pods) continue;
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
  int64_t remaining = g.pods;
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
  TESSERA_CHECK(remaining == 0) << "a domain with room for " << g.pods << " pods gave fewer";
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

  // A job that does not fit the empty cluster would wait for ever.
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
  result_.policy = o_.policy;
  result_.jobs.resize(w_.jobs.size());
  placement_.resize(w_.jobs.size());
  last_reservation_.assign(w_.jobs.size(), {-1, {}});
  run_start_.assign(w_.jobs.size(), -1);
  if (lifecycle()) TESSERA_RETURN_IF_ERROR(BuildLifecycles());
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
  for (const GangJob& g : w_.jobs) {
    JobSetSpec spec{.name = g.name,
                    .replicated_jobs = {ReplicatedJobSpec{.name = "gang",
                                                          .replicas = 1,
                                                          .parallelism = g.pods,
                                                          .completions = g.pods,
                                                          .backoff_limit = 0}},
                    .failure_policy = FailurePolicySpec{.max_restarts = lo.max_restarts}};
    TESSERA_ASSIGN_OR_RETURN(
        JobSetLifecycle l,
        JobSetLifecycle::Create(std::move(spec), WaitForPodsReadyConfig{}, g.arrival_s,
                                LifecycleOptions{.keep_event_log = o_.keep_events}));
    lifecycles_.push_back(std::move(l));
  }
  logged_.assign(w_.jobs.size(), 0);
  run_.assign(w_.jobs.size(), 0);
  pod_rng_ = Rng(lo.seed);
  node_rng_ = Rng(lo.seed ^ 0x9e3779b97f4a7c15ULL);
  return Status();
}

void Replay::Drain(int32_t j) {
  if (!o_.keep_events) return;
  const std::vector<Event>& events = lc(j).events();
  size_t& logged = logged_[static_cast<size_t>(j)];
  for (; logged < events.size(); ++logged) {
    result_.lifecycle_events.push_back({.job = j, .event = events[logged]});
  }
}

Status Replay::ReleaseRun(int32_t j) {
  for (PodId p : info_[static_cast<size_t>(j)].pods) engine_->Release(p);
  running_.erase(std::find(running_.begin(), running_.end(), j));
  running_gpus_ -= job(j).gpus();
  ++run_[static_cast<size_t>(j)];
  if (o_.check) {
    if (std::string broken = engine_->CheckInvariants(); !broken.empty()) {
      return Error(ErrorCode::kInternal,
                   fmt::format("after releasing job \"{}\": {}", job(j).name, broken));
    }
  }
  return Status();
}

void Replay::Finish(int32_t j, int64_t now, bool failed) {
  GangJobOutcome& o = outcome(j);
  o.end_s = now;
  o.failed = failed;
  last_finish_ = std::max(last_finish_, now);
  if (failed) {
    ++result_.failed;
    return;
  }
  ++result_.completed;
  Log({.time_s = now, .kind = GangEventKind::kEnd, .job = j});
}

Status Replay::Apply(int32_t j, int64_t now) {
  bool create = false;
  std::vector<Action> actions;
  while (!lc(j).actions().empty()) {
    actions = lc(j).actions();
    lc(j).ClearActions();
    bool deleted = false;
    for (const Action& a : actions) {
      switch (a.kind) {
        case ActionKind::kCreateJob:
          break;
        case ActionKind::kCreatePod:
          create = true;
          break;
        case ActionKind::kDeleteJob:
          if (IsRunning(j)) TESSERA_RETURN_IF_ERROR(ReleaseRun(j));
          deleted = true;
          break;
        case ActionKind::kCompleteJobSet:
        case ActionKind::kFailJobSet:
          if (IsRunning(j)) TESSERA_RETURN_IF_ERROR(ReleaseRun(j));
          Finish(j, now, a.kind == ActionKind::kFailJobSet);
          break;
        case ActionKind::kEvictWorkload:
        case ActionKind::kDeactivateWorkload:
          return Error(ErrorCode::kInternal, fmt::format("job \"{}\": {} without waitForPodsReady",
                                                         job(j).name, ActionKindName(a.kind)));
      }
    }
    // The engine released the pods at once: the deleted Jobs' pods are gone.
    if (deleted) lc(j).OldPodsGone(now);
    Drain(j);
  }
  if (create && !lc(j).finished()) {
    // The recreated pods want nodes: the gang queues again, in its old place.
    if (IsRunning(j) || std::find(queue_.begin(), queue_.end(), j) != queue_.end()) {
      return Error(ErrorCode::kInternal,
                   fmt::format("job \"{}\": pods recreated while the gang is running or queued",
                               job(j).name));
    }
    Enqueue(j);
  }
  return Status();
}

Status Replay::Placed(int32_t j, int64_t now) {
  JobSetLifecycle& l = lc(j);
  if (l.state() == WorkloadState::kQueued) {
    l.Admitted(now);
    // Its Job and pods are created; they are the ones just placed.
    for (const Action& a : l.actions()) {
      TESSERA_CHECK(a.kind == ActionKind::kCreateJob || a.kind == ActionKind::kCreatePod)
          << job(j).name << ": " << l.FormatAction(a);
    }
    l.ClearActions();
  }
  const GangJob& g = job(j);
  for (int32_t p = 0; p < g.pods; ++p) {
    TESSERA_CHECK(l.PodScheduled(now, 0, p)) << g.name << " pod " << p;
    TESSERA_CHECK(l.PodReady(now, 0, p)) << g.name << " pod " << p;
  }
  Drain(j);
  TESSERA_RETURN_IF_ERROR(Apply(j, now));
  // This run's failures: the injected ones, then one draw per pod.
  const int32_t run = run_[static_cast<size_t>(j)];
  for (const GangPodFailure& f : o_.lifecycle.injected) {
    if (f.job == j && f.run == run && f.after_s < g.duration_s) {
      failures_.emplace(now + f.after_s, j, run, f.pod);
    }
  }
  const double p_fail = o_.lifecycle.pod_failure_probability;
  if (p_fail > 0) {
    for (int32_t p = 0; p < g.pods; ++p) {
      if (pod_rng_.UniformReal() >= p_fail) continue;
      const auto after =
          static_cast<int64_t>(pod_rng_.UniformReal() * static_cast<double>(g.duration_s));
      failures_.emplace(now + std::min(after, g.duration_s - 1), j, run, p);
    }
  }
  return Status();
}

Status Replay::PodFailure(int64_t now, int32_t j, int32_t run, int32_t pod) {
  if (run != run_[static_cast<size_t>(j)] || !IsRunning(j)) return Status();  // an old run
  ++result_.pod_failures;
  lc(j).PodFailed(now, 0, pod, PodFailureCause::kError);
  Drain(j);
  return Apply(j, now);
}

Status Replay::NodeFailure(int64_t now) {
  ++result_.node_failures;
  const auto node = static_cast<uint32_t>(node_rng_.Uniform(num_nodes()));
  next_node_failure_ = NextNodeFailure(now);
  const std::vector<int32_t> running = running_;
  bool hit = false;
  std::vector<PodRef> pods;
  for (int32_t j : running) {
    pods.clear();
    const std::vector<PodId>& ids = info_[static_cast<size_t>(j)].pods;
    for (size_t p = 0; p < ids.size(); ++p) {
      const NodeId at = engine_->overlay().node_of(ids[p]);
      if (at.valid() && at.index() == node)
        pods.push_back({.job = 0, .pod = static_cast<int32_t>(p)});
    }
    if (pods.empty()) continue;
    hit = true;
    lc(j).NodeFailed(now, pods);
    Drain(j);
    TESSERA_RETURN_IF_ERROR(Apply(j, now));
  }
  if (hit) ++result_.node_failures_hit;
  return Status();
}

Status Replay::Succeeded(int32_t j, int64_t now) {
  for (int32_t p = 0; p < job(j).pods; ++p) lc(j).PodSucceeded(now, 0, p);
  Drain(j);
  TESSERA_RETURN_IF_ERROR(Apply(j, now));
  if (outcome(j).end_s != now) {
    return Error(ErrorCode::kInternal,
                 fmt::format("job \"{}\": every pod succeeded but the JobSet did not complete",
                             job(j).name));
  }
  return Status();
}

Status Replay::CheckRefusal(int32_t j, int64_t now, const std::vector<uint8_t>& usable) {
  std::vector<NodeId> allowed;
  for (size_t n = 0; n < num_nodes(); ++n) {
    if (usable[n] != 0) allowed.emplace_back(static_cast<uint32_t>(n));
  }
  if (allowed.empty()) return Status();  // PlaceGang cannot be asked about no nodes
  ++result_.engine_calls;
  const engine::Engine::GangOutcome out =
      engine_->PlaceGang(gangs_[static_cast<size_t>(j)], allowed);
  if (out.placed) {
    return Error(ErrorCode::kInternal,
                 fmt::format("t={}: the fit model says job \"{}\" does not fit on {} nodes, but "
                             "the engine placed it",
                             now, job(j).name, allowed.size()));
  }
  return Status();
}

Status Replay::CheckStart(int32_t j, const engine::Engine::GangOutcome& out,
                          const std::vector<NodeId>& touched) {
  const GangJob& g = job(j);
  ++result_.checked;
  if (out.decisions.size() != static_cast<size_t>(g.pods)) {
    return Error(ErrorCode::kInternal, fmt::format("job \"{}\" started with {} of its {} pods",
                                                   g.name, out.decisions.size(), g.pods));
  }
  for (PodId p : info_[static_cast<size_t>(j)].pods) {
    if (!engine_->overlay().node_of(p).valid()) {
      return Error(ErrorCode::kInternal,
                   fmt::format("job \"{}\": pod {} is not on a node after its start", g.name,
                               snapshot_->pod(p).name));
    }
  }
  if (std::string broken = dra::CheckNodes(engine_->overlay(), touched); !broken.empty()) {
    return Error(ErrorCode::kInternal, fmt::format("job \"{}\": {}", g.name, broken));
  }
  // Now and then the full check: every node and the device ledger.
  if (result_.checked % 256 == 0) {
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
  ++result_.engine_calls;
  const engine::Engine::GangOutcome out =
      engine_->PlaceGang(gangs_[static_cast<size_t>(j)], allowed);
  if (!out.placed) {
    return Error(ErrorCode::kInternal,
                 fmt::format("t={}: the fit model says job \"{}\" fits, but the engine says: {}",
                             now, g.name, out.reason));
  }
  auto& placed = placement_[static_cast<size_t>(j)];
  placed.clear();
  for (const model::Decision& d : out.decisions) {
    const auto n = static_cast<int32_t>(d.node.index());
    auto it =
        std::find_if(placed.begin(), placed.end(), [&](const auto& x) { return x.first == n; });
    if (it == placed.end()) {
      placed.emplace_back(n, 1);
    } else {
      ++it->second;
    }
  }
  std::sort(placed.begin(), placed.end());
  std::vector<NodeId> touched;
  GangJobOutcome& o = outcome(j);
  if (o.start_s < 0) o.start_s = now;
  run_start_[static_cast<size_t>(j)] = now;
  if (++o.runs > 1) ++result_.replacements;
  o.nodes.clear();
  for (const auto& [n, count] : placed) {
    touched.emplace_back(static_cast<uint32_t>(n));
    o.nodes.push_back(n);
  }
  if (o_.check) TESSERA_RETURN_IF_ERROR(CheckStart(j, out, touched));
  // The nodes it took have less room now.
  const model::Overlay& overlay = engine_->overlay();
  for (NodeId node : touched) {
    const auto alloc = snapshot_->allocatable(node);
    const auto used = overlay.used(node);
    for (size_t r = 0; r < dims_; ++r) {
      free_[node.index() * dims_ + r] = alloc[r].value() - used[r].value();
    }
  }
  running_.push_back(j);
  running_gpus_ += g.gpus();
  Log({.time_s = now, .kind = GangEventKind::kStart, .job = j, .nodes = o.nodes});
  if (lifecycle()) TESSERA_RETURN_IF_ERROR(Placed(j, now));
  return Status();
}

void Replay::End(int32_t j, int64_t now) {
  for (PodId p : info_[static_cast<size_t>(j)].pods) engine_->Release(p);
  running_.erase(std::find(running_.begin(), running_.end(), j));
  running_gpus_ -= job(j).gpus();
  outcome(j).end_s = now;
  last_finish_ = now;
  ++result_.completed;
  Log({.time_s = now, .kind = GangEventKind::kEnd, .job = j});
}

void Replay::Reserve(int32_t j, int64_t now, bool is_head) {
  const GangJob& g = job(j);
  // Running jobs by declared end; they give their resources back then.
  std::vector<std::pair<int64_t, int32_t>> releases;
  std::vector<int64_t> times = {now};
  for (int32_t r : running_) {
    const int64_t end = run_start_[static_cast<size_t>(r)] + job(r).declared_s;
    releases.emplace_back(end, r);
    times.push_back(end);
  }
  for (const Reservation& r : reservations_) {
    if (r.end_s > now) times.push_back(r.end_s);
  }
  std::sort(releases.begin(), releases.end());
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  work_ = free_;
  size_t next = 0;
  std::vector<int32_t> nodes;
  for (int64_t t : times) {
    for (; next < releases.size() && releases[next].first <= t; ++next) {
      const int32_t r = releases[next].second;
      for (const auto& [n, count] : placement_[static_cast<size_t>(r)]) {
        for (const auto& [dim, amount] : info_[static_cast<size_t>(r)].demand) {
          work_[static_cast<size_t>(n) * dims_ + dim] += amount * count;
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
           .nodes = nodes});
      ++o.reservations;
      last = {t, std::move(nodes)};
    }
    return;
  }
  // Once every running job and reservation has ended the cluster is empty, and every job was
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
    // Capacity only shrinks during a pass and reservations only add up, so a job of a shape
    // that already failed with a runtime no longer than this one's fails too. Without
    // reservations the runtime does not matter.
    const int64_t runtime = backfill ? g.declared_s : 0;
    const size_t shape = static_cast<size_t>(info_[static_cast<size_t>(j)].shape);
    bool fits = false;
    if (o_.check || runtime < failed_declared_[shape]) {
      Usable(now, now + g.declared_s, usable_);
      fits = Fits(j, free_, usable_, nullptr);
      if (!fits && o_.check) TESSERA_RETURN_IF_ERROR(CheckRefusal(j, now, usable_));
    }
    if (fits) {
      TESSERA_RETURN_IF_ERROR(Start(j, now, usable_));
      queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(qi));
      continue;
    }
    failed_declared_[shape] = std::min(failed_declared_[shape], runtime);
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
  using Departure = std::tuple<int64_t, int32_t, int32_t>;  // (actual end, job, run)
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> ends;
  size_t next_arrival = 0;
  int64_t last_time = jobs > 0 ? job(arrivals.front()).arrival_s : 0;
  const int64_t first_arrival = last_time;
  const int64_t last_arrival = jobs > 0 ? job(arrivals.back()).arrival_s : 0;
  double busy_gpu_seconds = 0, busy_arriving = 0;
  const bool node_failures = lifecycle() && o_.lifecycle.node_mtbf_s > 0;
  if (node_failures && jobs > 0) next_node_failure_ = NextNodeFailure(first_arrival);
  while (next_arrival < jobs || !ends.empty()) {
    int64_t now = kNever;
    if (next_arrival < jobs) now = job(arrivals[next_arrival]).arrival_s;
    if (!ends.empty()) now = std::min(now, std::get<0>(ends.top()));
    // A run's pod failures lie before its end; those of released runs are dropped when due.
    if (!failures_.empty()) now = std::min(now, std::get<0>(failures_.top()));
    if (node_failures && ends.empty()) {
      // Nothing ran while the cluster was idle: the failures then hit no pod.
      while (next_node_failure_ < now) next_node_failure_ = NextNodeFailure(next_node_failure_);
    }
    if (!ends.empty()) now = std::min(now, next_node_failure_);
    busy_gpu_seconds += static_cast<double>(running_gpus_) * static_cast<double>(now - last_time);
    if (last_time < last_arrival) {
      busy_arriving += static_cast<double>(running_gpus_) *
                       static_cast<double>(std::min(now, last_arrival) - last_time);
    }
    last_time = now;
    // Node failures, then pod failures, then ends, then arrivals; then one pass.
    while (next_node_failure_ == now) TESSERA_RETURN_IF_ERROR(NodeFailure(now));
    while (!failures_.empty() && std::get<0>(failures_.top()) == now) {
      const auto [t, j, run, pod] = failures_.top();
      failures_.pop();
      TESSERA_RETURN_IF_ERROR(PodFailure(now, j, run, pod));
    }
    while (!ends.empty() && std::get<0>(ends.top()) == now) {
      const auto [t, j, run] = ends.top();
      ends.pop();
      if (!lifecycle()) {
        End(j, now);
      } else if (run == run_[static_cast<size_t>(j)] && IsRunning(j)) {
        TESSERA_RETURN_IF_ERROR(Succeeded(j, now));
      }
    }
    for (; next_arrival < jobs && job(arrivals[next_arrival]).arrival_s == now; ++next_arrival) {
      const int32_t j = arrivals[next_arrival];
      Enqueue(j);
      Log({.time_s = now, .kind = GangEventKind::kArrive, .job = j});
    }
    const size_t running_before = running_.size();
    TESSERA_RETURN_IF_ERROR(Pass(now));
    // Jobs started in this pass are the last ones in running_.
    for (size_t i = running_before; i < running_.size(); ++i) {
      const int32_t j = running_[i];
      ends.emplace(now + job(j).duration_s, j, lifecycle() ? run_[static_cast<size_t>(j)] : 0);
    }
  }
  TESSERA_CHECK(queue_.empty()) << queue_.size() << " jobs never started";
  if (lifecycle()) {
    TESSERA_CHECK(result_.completed + result_.failed == static_cast<int64_t>(jobs))
        << result_.completed << " completed and " << result_.failed << " failed of " << jobs;
    for (const JobSetLifecycle& l : lifecycles_) {
      for (size_t k = 0; k < l.counts().size(); ++k) result_.lifecycle_counts[k] += l.counts()[k];
    }
    // Ends and failures of released runs may lie past the last job's finish.
    last_time = last_finish_;
  }
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
  std::vector<int64_t> big, small;
  for (size_t j = 0; j < jobs; ++j) {
    const GangJobOutcome& o = result_.jobs[j];
    if (o.start_s < 0) continue;
    (w_.jobs[j].gpus() >= o_.big_gang_gpus ? big : small)
        .push_back(o.start_s - w_.jobs[j].arrival_s);
  }
  result_.big = Stats(std::move(big));
  result_.small = Stats(std::move(small));
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

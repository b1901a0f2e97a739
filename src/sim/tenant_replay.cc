#include "sim/tenant_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <utility>

#include "admission/queue_model.h"
#include "admission/quota_check.h"
#include "base/check.h"
#include "base/rng.h"
#include "sim/admission_loop.h"
#include "sim/replay_common.h"

namespace tessera::sim {

double JainIndex(std::span<const double> shares) {
  double sum = 0, sum_sq = 0;
  for (double x : shares) {
    sum += x;
    sum_sq += x * x;
  }
  if (shares.empty() || sum_sq == 0) return 1;
  return sum * sum / (static_cast<double>(shares.size()) * sum_sq);
}

namespace {

// Quota units per display unit: cpu millicores per core, memory bytes per GiB, milli-GPU per GPU.
double DisplayDivisor(const std::string& resource) {
  if (resource == "cpu") return 1000;
  if (resource == "memory") return static_cast<double>(int64_t{1} << 30);
  return 1000;
}

// A task's request of a quota resource, in the quota unit. GPUs count as the task asked
// (num_gpu x gpu_milli), also under whole-gpu placement.
int64_t Request(const model::TraceTask& t, const std::string& resource) {
  if (resource == "cpu") return t.cpu_milli;
  if (resource == "memory") return t.memory_mib << 20;
  return int64_t{t.num_gpu} * t.gpu_milli;
}

// Time-weighted mean of samples (value at times[i] holds until times[i + 1]); the first value
// when the samples span no time.
template <typename F>
double TimeMean(std::span<const int64_t> times, F value) {
  if (times.empty()) return 0;
  const int64_t span = times.back() - times.front();
  if (span <= 0) return value(0);
  double area = 0;
  for (size_t i = 0; i + 1 < times.size(); ++i) {
    area += value(i) * static_cast<double>(times[i + 1] - times[i]);
  }
  return area / static_cast<double>(span);
}

// The nodes of each ResourceFlavor of `model` (indexed by FlavorId): 1 where the node's
// labels include every nodeLabel of the flavor. A flavor without nodeLabels gets an empty
// mask, meaning every node.
std::vector<std::vector<char>> FlavorNodes(const admission::QueueModel& model,
                                           std::span<const model::TraceNode> nodes) {
  std::vector<std::vector<char>> out(model.num_flavors());
  for (size_t f = 0; f < model.num_flavors(); ++f) {
    const model::Labels& want = model.flavor(admission::FlavorId::FromIndex(f)).node_labels;
    if (want.empty()) continue;
    out[f].assign(nodes.size(), 0);
    for (size_t n = 0; n < nodes.size(); ++n) {
      bool all = true;
      for (const auto& [key, value] : want) {
        bool found = false;
        for (const auto& [k, v] : nodes[n].labels) found = found || (k == key && v == value);
        all = all && found;
      }
      out[f][n] = all ? 1 : 0;
    }
  }
  return out;
}

// ChooseNode restricted to the nodes where `allowed` is 1 (every node when it is empty).
Choice ChooseAllowedNode(const World& world, Policy& policy, size_t t,
                         std::span<const int64_t> rank, Rng& rng, std::vector<uint32_t>& feasible,
                         std::span<const char> allowed) {
  if (allowed.empty()) return ChooseNode(world, policy, t, rank, rng, feasible);
  const Task& task = world.tasks()[t];
  std::span<const NodeState> nodes = world.nodes();
  if (policy.picks_at_random()) {
    feasible.clear();
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (allowed[n] != 0 && nodes[n].Fits(task)) feasible.push_back(static_cast<uint32_t>(n));
    }
    if (feasible.empty()) return {};
    const size_t n = feasible[rng.Uniform(feasible.size())];
    return {static_cast<int64_t>(n), policy.Evaluate(world, n, task).gpu};
  }
  Choice best;
  int64_t best_score = std::numeric_limits<int64_t>::min();
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (allowed[n] == 0 || !nodes[n].Fits(task)) continue;
    const Score s = policy.Evaluate(world, n, task);
    if (best.node < 0 || s.value > best_score ||
        (s.value == best_score && rank[n] < rank[static_cast<size_t>(best.node)])) {
      best_score = s.value;
      best = {static_cast<int64_t>(n), s.gpu};
    }
  }
  return best;
}

// Places admitted tasks on the World with the run's policy: every pod of the task, on the
// nodes of the flavors its assignment chose, or none. Victims leave their nodes first; if the
// task then does not fit, its pods placed so far leave, the victims go back to the nodes they
// were on (possibly other GPUs of it: the allocator chooses again) and nothing changes.
class WorldOracle final : public admission::PlacementOracle {
 public:
  WorldOracle(World& world, Policy& policy, std::span<const int64_t> rank, Rng& rng,
              const AdmissionLoop& loop, std::span<const model::TraceTask> order,
              std::span<const uint32_t> first_pod, const admission::QueueModel& model,
              const std::vector<std::vector<char>>& flavor_nodes,
              const std::function<void(size_t)>& placed_or_removed)
      : world_(world),
        policy_(policy),
        rank_(rank),
        rng_(rng),
        loop_(loop),
        order_(order),
        first_pod_(first_pod),
        model_(model),
        flavor_nodes_(flavor_nodes),
        touched_(placed_or_removed) {}

  admission::PlaceResult TryPlace(const admission::PendingWorkload& workload,
                                  const admission::Assignment& assignment,
                                  std::span<const admission::WorkloadHandle> victims) override {
    ++attempts;
    const uint32_t t = loop_.WorkloadOf(workload);
    removed_.clear();
    for (admission::WorkloadHandle h : victims) {
      const uint32_t v = loop_.WorkloadOf(h);
      for (uint32_t p = first_pod_[v]; p < first_pod_[v + 1]; ++p) {
        const int64_t n = world_.node_of(p);
        TESSERA_CHECK(n >= 0) << "victim " << order_[v].name << " is on no node";
        world_.Remove(p);
        policy_.Removed(world_, p, static_cast<size_t>(n));
        touched_(static_cast<size_t>(n));
        removed_.emplace_back(p, static_cast<size_t>(n));
      }
    }
    const std::span<const char> allowed = AllowedNodes(assignment);
    placed_.clear();
    const uint32_t pods = first_pod_[t + 1] - first_pod_[t];
    for (uint32_t p = first_pod_[t]; p < first_pod_[t + 1]; ++p) {
      const Choice c = ChooseAllowedNode(world_, policy_, p, rank_, rng_, feasible_, allowed);
      if (c.node < 0) {
        GiveBack();
        const std::string where =
            flavor_names_.empty() ? "" : fmt::format(" of flavor {}", flavor_names_);
        if (pods == 1) {
          return {false, fmt::format("pod {}/{} fits no node{}", model::kScenarioNamespace,
                                     order_[t].name, where)};
        }
        return {false, fmt::format("pod {} of {} of {}/{} fits no node{} ({} of {} placed)",
                                   p - first_pod_[t] + 1, pods, model::kScenarioNamespace,
                                   order_[t].name, where, p - first_pod_[t], pods)};
      }
      const auto n = static_cast<size_t>(c.node);
      world_.Place(p, n, c.gpu);
      policy_.Placed(world_, p, n);
      touched_(n);
      placed_.emplace_back(p, n);
    }
    return {true, {}};
  }

  int64_t attempts = 0;

 private:
  // Takes this attempt's pods off and puts the victims back.
  void GiveBack() {
    for (auto it = placed_.rbegin(); it != placed_.rend(); ++it) {
      world_.Remove(it->first);
      policy_.Removed(world_, it->first, it->second);
      touched_(it->second);
    }
    for (auto it = removed_.rbegin(); it != removed_.rend(); ++it) {
      world_.Place(it->first, it->second);
      policy_.Placed(world_, it->first, it->second);
      touched_(it->second);
    }
  }

  // The nodes of every flavor the assignment uses (empty: every node); sets flavor_names_ to
  // the flavors that restrict, for messages.
  std::span<const char> AllowedNodes(const admission::Assignment& assignment) {
    flavor_names_.clear();
    restricting_.clear();
    for (const admission::PodSetAssignment& ps : assignment.pod_sets) {
      for (const admission::FlavorResourceAmount& u : ps.usage) {
        const auto f = static_cast<uint32_t>(model_.FlavorOf(u.fr).index());
        if (flavor_nodes_[f].empty() ||
            std::find(restricting_.begin(), restricting_.end(), f) != restricting_.end()) {
          continue;
        }
        restricting_.push_back(f);
        if (!flavor_names_.empty()) flavor_names_ += "+";
        flavor_names_ += model_.flavor(admission::FlavorId::FromIndex(f)).name;
      }
    }
    if (restricting_.empty()) return {};
    if (restricting_.size() == 1) return flavor_nodes_[restricting_[0]];
    mask_ = flavor_nodes_[restricting_[0]];
    for (size_t i = 1; i < restricting_.size(); ++i) {
      const std::vector<char>& m = flavor_nodes_[restricting_[i]];
      for (size_t n = 0; n < mask_.size(); ++n) mask_[n] = static_cast<char>(mask_[n] & m[n]);
    }
    return mask_;
  }

  World& world_;
  Policy& policy_;
  std::span<const int64_t> rank_;
  Rng& rng_;
  const AdmissionLoop& loop_;
  std::span<const model::TraceTask> order_;
  std::span<const uint32_t> first_pod_;
  const admission::QueueModel& model_;
  const std::vector<std::vector<char>>& flavor_nodes_;
  const std::function<void(size_t)>& touched_;
  std::vector<uint32_t> feasible_;
  std::vector<std::pair<uint32_t, size_t>> removed_, placed_;
  std::vector<char> mask_;
  std::vector<uint32_t> restricting_;  // flavors (indexes) with nodeLabels the assignment uses
  std::string flavor_names_;
};

class Recorder final : public LoopListener {
 public:
  Recorder(const SimConfig& config, const admission::QueueModel& model,
           const admission::Admitter& admitter, World& world, Policy& policy,
           std::span<const model::TraceTask> order, std::span<const uint32_t> first_pod,
           std::span<const uint32_t> queue_of_task, const AdmissionLoop& loop,
           const std::function<void(size_t)>& touched,
           const std::function<void(int64_t)>& progress, TenantObserver* observer)
      : config_(config),
        model_(model),
        admitter_(admitter),
        world_(world),
        policy_(policy),
        order_(order),
        first_pod_(first_pod),
        queue_of_task_(queue_of_task),
        loop_(loop),
        touched_(touched),
        progress_(progress),
        observer_(observer),
        first_admission_(order.size(), -1) {
    const size_t queues = model.num_cluster_queues();
    pending_.assign(queues, 0);
    running_.assign(queues, 0);
    admissions_.assign(queues, 0);
    borrowing_admissions_.assign(queues, 0);
    preemptions_.assign(queues, 0);
    samples_.resize(queues);
    // Every resource is reported summed over the flavors.
    for (const std::string& r : config.queues->resources) {
      const admission::ResourceId id = model.FindResource(r);
      TESSERA_CHECK(id.valid()) << r;
      std::vector<admission::FlavorResource> frs;
      for (size_t f = 0; f < model.num_flavors(); ++f) {
        frs.push_back(model.Fr(admission::FlavorId::FromIndex(f), id));
      }
      frs_.push_back(std::move(frs));
      divisors_.push_back(DisplayDivisor(r));
    }
    demand_milli_.assign(order.size(), 0);
    for (size_t t = 0; t < order.size(); ++t) {
      for (uint32_t p = first_pod[t]; p < first_pod[t + 1]; ++p) {
        demand_milli_[t] += world.tasks()[p].demand_milli;
      }
    }
  }

  void Arrived(uint32_t t, int64_t) override {
    for (uint32_t p = first_pod_[t]; p < first_pod_[t + 1]; ++p) policy_.Arrived(world_, p);
    ++pending_[queue_of_task_[t]];
    if (++arrived_unreported_ == 1024) Flush();
  }
  void Flush() {
    if (progress_) progress_(arrived_unreported_);
    arrived_unreported_ = 0;
  }

  void Departed(uint32_t t, int64_t) override {
    for (uint32_t p = first_pod_[t]; p < first_pod_[t + 1]; ++p) {
      const int64_t n = world_.node_of(p);
      TESSERA_CHECK(n >= 0);
      world_.Remove(p);
      policy_.Removed(world_, p, static_cast<size_t>(n));
      touched_(static_cast<size_t>(n));
    }
    allocated_milli_ -= demand_milli_[t];
    --running_[queue_of_task_[t]];
    --running_total_;
  }

  void Admitted(uint32_t t, const admission::AdmissionDecision& d, int64_t now) override {
    const uint32_t q = queue_of_task_[t];
    for (uint32_t p = first_pod_[t]; p < first_pod_[t + 1]; ++p) {
      TESSERA_CHECK(world_.node_of(p) >= 0) << order_[t].name << " admitted without a placement";
    }
    --pending_[q];
    ++running_[q];
    ++running_total_;
    ++admissions_[q];
    borrowing_admissions_[q] += d.assignment.borrows ? 1 : 0;
    allocated_milli_ += demand_milli_[t];
    if (first_admission_[t] < 0) {
      first_admission_[t] = now;
      const double wait = static_cast<double>(now - std::max<int64_t>(order_[t].creation_s, 0));
      median_.Add(wait);
    }
  }

  void Preempted(uint32_t t, int64_t) override {
    const uint32_t q = queue_of_task_[t];
    ++preemptions_[q];
    ++pending_[q];
    --running_[q];
    --running_total_;
    allocated_milli_ -= demand_milli_[t];
  }

  // "" while every quota limit held at every step (config.check), else the first violation.
  const std::string& quota_problem() const { return quota_problem_; }

  void Stepped(int64_t now) override {
    if (observer_ != nullptr) {
      observer_->Stepped(now, admitter_, world_, order_, first_pod_, loop_.pending());
    }
    const admission::QuotaState& state = admitter_.state();
    // --check: every quota node within its limits at every cohort level (the run starts
    // with no usage, so there is no baseline). The first violation is kept.
    if (config_.check && quota_problem_.empty()) {
      const std::string problem = admission::CheckQuotaLimits(state);
      if (!problem.empty()) quota_problem_ = fmt::format("after the cycle at {} s): {}", now, problem);
    }
    if (!times_.empty() && times_.back() == now) Drop();
    times_.push_back(now);
    shares_scratch_.clear();
    for (size_t q = 0; q < samples_.size(); ++q) {
      const admission::QuotaNodeId node =
          admission::QueueModel::NodeOf(admission::ClusterQueueId::FromIndex(q));
      Sample s;
      s.pending = pending_[q];
      s.running = running_[q];
      for (size_t r = 0; r < frs_.size(); ++r) {
        int64_t used = 0, borrowed = 0;
        for (const admission::FlavorResource fr : frs_[r]) {
          const int64_t u = state.usage(node, fr);
          used += u;
          borrowed += std::max<int64_t>(0, u - model_.nominal(node, fr));
        }
        s.used.push_back(static_cast<double>(used) / divisors_[r]);
        s.borrowed.push_back(static_cast<double>(borrowed) / divisors_[r]);
      }
      s.share = state.WeightedShare(node) / 1000;
      if (s.pending + s.running > 0) shares_scratch_.push_back(s.share);
      samples_[q].push_back(std::move(s));
    }
    fairness_.push_back({.time_s = now,
                         .queues_with_demand = static_cast<int64_t>(shares_scratch_.size()),
                         .index = JainIndex(shares_scratch_)});
    const double cap = static_cast<double>(std::max<int64_t>(world_.gpu_capacity_milli(), 1));
    timeline_.push_back({.time_s = now,
                         .allocated_gpu_pct = static_cast<double>(allocated_milli_) * 100 / cap,
                         .pending = static_cast<int64_t>(loop_.pending().size()),
                         .running = running_total_,
                         .wait_p50_s = median_.Get()});
  }

  // Fills the run's figures.
  void Finish(Run& run) const {
    const size_t stride = std::max<size_t>(1, times_.size() / 2000);
    auto keep = [&](size_t i) { return i % stride == 0 || i + 1 == times_.size(); };
    for (size_t i = 0; i < times_.size(); ++i) {
      if (keep(i)) run.timeline.push_back(timeline_[i]);
      if (keep(i)) run.fairness.push_back(fairness_[i]);
    }
    run.allocated_gpu_pct_final =
        TimeMean(times_, [&](size_t i) { return timeline_[i].allocated_gpu_pct; });
    // Fairness: time-weighted over the intervals that start with some queue having demand.
    double area = 0, span = 0;
    for (size_t i = 0; i + 1 < times_.size(); ++i) {
      if (fairness_[i].queues_with_demand == 0) continue;
      const auto dt = static_cast<double>(times_[i + 1] - times_[i]);
      area += fairness_[i].index * dt;
      span += dt;
    }
    run.fairness_mean = span > 0 ? area / span : 1;

    std::vector<std::vector<double>> waits(samples_.size());
    std::vector<int64_t> tasks(samples_.size(), 0), never(samples_.size(), 0);
    std::vector<double> all_waits;
    for (size_t t = 0; t < order_.size(); ++t) {
      const uint32_t q = queue_of_task_[t];
      ++tasks[q];
      if (first_admission_[t] < 0) {
        ++never[q];
        continue;
      }
      const auto wait =
          static_cast<double>(first_admission_[t] - std::max<int64_t>(order_[t].creation_s, 0));
      waits[q].push_back(wait);
      all_waits.push_back(wait);
    }
    run.failed = 0;
    for (int64_t n : never) run.failed += n;
    run.wait_max_s = all_waits.empty() ? 0 : *std::max_element(all_waits.begin(), all_waits.end());
    run.wait_p99_s = Percentile(all_waits, 0.99);
    run.wait_p50_s = Percentile(all_waits, 0.5);

    for (size_t q = 0; q < samples_.size(); ++q) {
      const admission::ClusterQueueId cq = admission::ClusterQueueId::FromIndex(q);
      const admission::QuotaNodeId node = admission::QueueModel::NodeOf(cq);
      const admission::QuotaNodeInfo& info = model_.node(node);
      QueueRun out{.name = model_.cluster_queue(cq).name,
                   .cohort = info.parent.valid() ? model_.node(info.parent).name : "",
                   .weight = info.fair_sharing_weight};
      // Summed over the flavors the queue declares; a borrowing limit is unlimited (-1) when
      // any of them is.
      for (size_t r = 0; r < frs_.size(); ++r) {
        int64_t nominal = 0, limit = 0;
        for (const admission::FlavorResource fr : frs_[r]) {
          if (!model_.declares(node, fr)) continue;
          nominal += model_.nominal(node, fr);
          const int64_t l = model_.borrowing_limit(node, fr);
          limit = l == admission::kNoLimit || limit == admission::kNoLimit ? admission::kNoLimit
                                                                            : limit + l;
        }
        out.nominal.push_back(static_cast<double>(nominal) / divisors_[r]);
        out.borrowing_limit.push_back(
            limit == admission::kNoLimit ? -1 : static_cast<double>(limit) / divisors_[r]);
      }
      out.tasks = tasks[q];
      out.admissions = admissions_[q];
      out.borrowing_admissions = borrowing_admissions_[q];
      out.preemptions = preemptions_[q];
      out.never_started = never[q];
      out.wait_p99_s = Percentile(waits[q], 0.99);
      out.wait_p50_s = Percentile(waits[q], 0.5);
      const std::vector<Sample>& s = samples_[q];
      for (size_t r = 0; r < frs_.size(); ++r) {
        out.used_mean.push_back(TimeMean(times_, [&](size_t i) { return s[i].used[r]; }));
        out.borrowed_mean.push_back(TimeMean(times_, [&](size_t i) { return s[i].borrowed[r]; }));
      }
      out.weighted_share_mean = TimeMean(times_, [&](size_t i) { return s[i].share; });
      for (size_t i = 0; i < times_.size(); ++i) {
        if (!keep(i)) continue;
        out.timeline.push_back({.time_s = times_[i],
                                .pending = s[i].pending,
                                .running = s[i].running,
                                .used = s[i].used,
                                .borrowed = s[i].borrowed,
                                .weighted_share = s[i].share});
      }
      run.queues.push_back(std::move(out));
    }
  }

 private:
  struct Sample {
    int64_t pending = 0, running = 0;
    std::vector<double> used, borrowed;
    double share = 0;
  };

  // Forgets the last sample (a later one at the same time replaces it).
  void Drop() {
    times_.pop_back();
    fairness_.pop_back();
    timeline_.pop_back();
    for (auto& s : samples_) s.pop_back();
  }

  const SimConfig& config_;
  const admission::QueueModel& model_;
  const admission::Admitter& admitter_;
  std::string quota_problem_;  // the first quota limit broken (config.check): "after ...): ..."
  World& world_;
  Policy& policy_;
  std::span<const model::TraceTask> order_;
  std::span<const uint32_t> first_pod_;
  std::span<const uint32_t> queue_of_task_;
  const AdmissionLoop& loop_;
  const std::function<void(size_t)>& touched_;
  const std::function<void(int64_t)>& progress_;
  TenantObserver* observer_;
  std::vector<std::vector<admission::FlavorResource>> frs_;  // per reported resource, per flavor
  std::vector<double> divisors_;
  std::vector<int64_t> demand_milli_;  // per task: GPU milli its pods asked for
  std::vector<int64_t> pending_, running_, admissions_, borrowing_admissions_, preemptions_;
  std::vector<int64_t> first_admission_;
  int64_t allocated_milli_ = 0, running_total_ = 0, arrived_unreported_ = 0;
  RunningMedian median_;
  std::vector<int64_t> times_;
  std::vector<std::vector<Sample>> samples_;
  std::vector<FairnessPoint> fairness_;
  std::vector<TimePoint> timeline_;
  std::vector<double> shares_scratch_;
};

}  // namespace

tessera::Result<Run> RunTenantReplay(const SimConfig& config, const std::string& policy_name,
                                     uint64_t seed, const std::function<void(int64_t)>& progress,
                                     const WallClock& clock, TenantObserver* observer) {
  TESSERA_CHECK(config.queues.has_value());
  const double start = clock ? clock() : 0;
  Run run{.policy = policy_name, .seed = seed};
  Rng rng(seed);
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<Policy> policy, MakePolicy(policy_name));
  auto compiled = admission::QueueModel::Build(config.queues->objects);
  if (!compiled.ok()) {
    Error e = std::move(compiled).error();
    return Error(e.code(), fmt::format("{}: queues: {}", config.workload, e.ToString()));
  }
  const admission::QueueModel model = std::move(compiled).value();

  // Pods per task, in config.tasks order.
  auto pods_of = [&](size_t i) { return config.tasks[i].pods; };
  int64_t total_pods = 0;
  bool one_pod_each = true;
  for (size_t i = 0; i < config.tasks.size(); ++i) {
    if (pods_of(i) < 1 || pods_of(i) > kMaxPodsPerTask) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: task {}: pods: must be between 1 and {}, got {}",
                               config.workload, config.tasks[i].name, kMaxPodsPerTask,
                               pods_of(i)));
    }
    total_pods += pods_of(i);
    one_pod_each = one_pod_each && pods_of(i) == 1;
  }
  if (total_pods > kMaxTenantPods) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: the tasks have {} pods in all; at most {} are allowed",
                             config.workload, total_pods, kMaxTenantPods));
  }

  // Arrival order: creation time, then name, as in the plain replay.
  std::vector<uint32_t> by_arrival(config.tasks.size());
  for (size_t i = 0; i < by_arrival.size(); ++i) by_arrival[i] = static_cast<uint32_t>(i);
  std::stable_sort(by_arrival.begin(), by_arrival.end(), [&](uint32_t x, uint32_t y) {
    const model::TraceTask& a = config.tasks[x];
    const model::TraceTask& b = config.tasks[y];
    const int64_t ta = std::max<int64_t>(a.creation_s, 0), tb = std::max<int64_t>(b.creation_s, 0);
    return ta != tb ? ta < tb : a.name < b.name;
  });
  std::vector<model::TraceTask> order;
  order.reserve(by_arrival.size());
  for (uint32_t i : by_arrival) order.push_back(config.tasks[i]);
  // The World holds one task per pod: a task of n > 1 pods becomes pods "<name>-0" .. "-<n-1>",
  // World tasks first_pod[t] .. first_pod[t + 1] - 1.
  std::vector<uint32_t> first_pod(order.size() + 1, 0);
  std::vector<model::TraceTask> world_pods;
  world_pods.reserve(static_cast<size_t>(total_pods));
  for (size_t t = 0; t < order.size(); ++t) {
    const int32_t n = pods_of(by_arrival[t]);
    for (int32_t p = 0; p < n; ++p) {
      world_pods.push_back(order[t]);
      if (n > 1) world_pods.back().name = fmt::format("{}-{}", order[t].name, p);
    }
    first_pod[t + 1] = static_cast<uint32_t>(world_pods.size());
  }
  TESSERA_ASSIGN_OR_RETURN(
      std::unique_ptr<World> world,
      World::Build(config.nodes, world_pods, {.whole_gpu = policy->whole_gpu()}));
  Rng rank_rng(seed ^ 0x5bd1e995u);
  const std::vector<int64_t> rank = RandomRanks(world->num_nodes(), rank_rng);
  if (one_pod_each) {
    policy->Begin(*world, config.tasks, rng);
  } else {
    // The policy learns the workload pod by pod.
    std::vector<model::TraceTask> original;
    original.reserve(static_cast<size_t>(total_pods));
    for (size_t i = 0; i < config.tasks.size(); ++i) {
      original.insert(original.end(), static_cast<size_t>(pods_of(i)), config.tasks[i]);
    }
    policy->Begin(*world, original, rng);
  }
  const std::vector<std::vector<char>> flavor_nodes = FlavorNodes(model, config.nodes);

  // One workload per task: a PodSet of its pods with the task's requests of the quota
  // resources per pod.
  std::vector<admission::ResourceId> resources;
  for (const std::string& r : config.queues->resources) resources.push_back(model.FindResource(r));
  std::vector<LoopWorkload> workloads(order.size());
  std::vector<uint32_t> queue_of_task(order.size());
  for (size_t t = 0; t < order.size(); ++t) {
    const model::TraceTask& task = order[t];
    const admission::LocalQueueId lq = model.FindLocalQueue(model::kScenarioNamespace, task.queue);
    if (!lq.valid()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: task {}: queue: {} is not one of the scenario's clusterQueues",
                               config.workload, task.name, task.queue));
    }
    int32_t priority = 0;
    if (!task.priority_class.empty()) {
      const std::optional<int32_t> p = model.FindPriorityClass(task.priority_class);
      if (!p) {
        return Error(ErrorCode::kInvalidArgument,
                     fmt::format("{}: task {}: priority: {} is not one of the scenario's "
                                 "priorityClasses",
                                 config.workload, task.name, task.priority_class));
      }
      priority = *p;
    }
    const admission::ClusterQueueId cq = model.local_queues()[lq.index()].cluster_queue;
    queue_of_task[t] = cq.value();
    LoopWorkload& w = workloads[t];
    w.arrival = std::max<int64_t>(task.creation_s, 0);
    w.runtime = task.deletion_s >= 0 ? std::max<int64_t>(task.deletion_s - w.arrival, 0) : -1;
    w.spec.name = fmt::format("{}/{}", model::kScenarioNamespace, task.name);
    w.spec.cluster_queue = cq;
    w.spec.priority = priority;
    w.spec.creation_unix_seconds = w.arrival;
    admission::PodSetRequest ps{
        .name = "main", .count = pods_of(by_arrival[t]), .per_pod = {}, .node_selector = {}};
    for (size_t r = 0; r < resources.size(); ++r) {
      const int64_t amount = Request(task, config.queues->resources[r]);
      if (amount > 0) ps.per_pod.push_back({resources[r], amount});
    }
    w.spec.pod_sets.push_back(std::move(ps));
    // Tasks of one shape are placed alike (same requests, GPU models and pod count, no
    // per-pod state).
    w.spec.placement_class =
        ((uint64_t{world->tasks()[first_pod[t]].shape} << 16) | static_cast<uint64_t>(ps.count)) +
        1;
  }
  const double decide_start = clock ? clock() : 0;
  run.setup_seconds = decide_start - start;

  // Fair sharing and its preemption strategies, as `tessera schedule` takes them from Kueue's
  // Configuration (engine.cc).
  admission::AdmissionOptions admission_options{.fair_sharing = config.queues->fair_sharing,
                                                .aging_seconds = config.queues->aging_seconds};
  if (const auto& fs = config.queues->objects.kueue_fair_sharing; fs && fs->enabled) {
    admission_options.fair_sharing = true;
    for (const model::FairPreemptionStrategySpec s : fs->preemption_strategies) {
      admission_options.preemption_strategies.push_back(
          s == model::FairPreemptionStrategySpec::kLessThanInitialShare
              ? admission::FairPreemptionStrategy::kLessThanInitialShare
              : admission::FairPreemptionStrategy::kLessThanOrEqualToFinalShare);
    }
  }
  admission::Admitter admitter(model, std::move(admission_options));
  AdmissionLoop loop(admitter, workloads, /*cycle=*/1);
  int64_t decisions = 0;
  Status broken;
  const std::function<void(size_t)> touched = [&](size_t n) {
    ++decisions;
    if (!config.check || !broken.ok()) return;
    const std::string problem = world->Check(n, decisions % 1024 == 0);
    if (!problem.empty()) {
      broken = Error(ErrorCode::kInternal,
                     fmt::format("invariant broken ({} seed {}, after decision {}): {}",
                                 policy_name, seed, decisions, problem));
    }
  };
  WorldOracle oracle(*world, *policy, rank, rng, loop, order, first_pod, model, flavor_nodes,
                     touched);
  Recorder recorder(config, model, admitter, *world, *policy, order, first_pod, queue_of_task, loop,
                    touched, progress, observer);
  const LoopStats stats = loop.Run(oracle, recorder);
  recorder.Flush();
  TESSERA_RETURN_IF_ERROR(broken);
  if (!recorder.quota_problem().empty()) {
    return Error(ErrorCode::kInternal, fmt::format("invariant broken ({} seed {}, {}", policy_name,
                                                   seed, recorder.quota_problem()));
  }
  if (config.check && world->num_nodes() > 0) {
    const std::string problem = world->Check(0, /*full=*/true);
    if (!problem.empty()) {
      return Error(
          ErrorCode::kInternal,
          fmt::format("invariant broken ({} seed {}, at the end): {}", policy_name, seed, problem));
    }
  }
  run.tasks = static_cast<int64_t>(order.size());
  run.decisions = decisions;
  run.cycles = stats.cycles;
  run.admissions = stats.admissions;
  run.preemptions = stats.preemptions;
  recorder.Finish(run);
  run.decide_seconds = (clock ? clock() : 0) - decide_start;
  run.wall_seconds = clock ? clock() - start : 0;
  return run;
}

void SummarizeQueues(std::span<const Run* const> runs, PolicySummary& summary) {
  summary.queues.clear();
  if (runs.empty()) return;
  auto over = [&](auto field) {
    std::vector<double> v;
    for (const Run* r : runs) v.push_back(field(*r));
    return MeanSd(v);
  };
  summary.fairness_mean = over([](const Run& r) { return r.fairness_mean; });
  summary.preemptions = over([](const Run& r) { return static_cast<double>(r.preemptions); });
  const size_t queues = runs.front()->queues.size();
  for (size_t q = 0; q < queues; ++q) {
    PolicySummary::Queue s{.name = runs.front()->queues[q].name};
    auto of = [&](auto field) {
      return over([&](const Run& r) { return static_cast<double>(field(r.queues[q])); });
    };
    s.admissions = of([](const QueueRun& x) { return x.admissions; });
    s.preemptions = of([](const QueueRun& x) { return x.preemptions; });
    s.borrowing_admissions = of([](const QueueRun& x) { return x.borrowing_admissions; });
    s.never_started = of([](const QueueRun& x) { return x.never_started; });
    s.wait_p50_s = of([](const QueueRun& x) { return x.wait_p50_s; });
    s.wait_p99_s = of([](const QueueRun& x) { return x.wait_p99_s; });
    s.weighted_share_mean = of([](const QueueRun& x) { return x.weighted_share_mean; });
    const size_t resources = runs.front()->queues[q].used_mean.size();
    for (size_t r = 0; r < resources; ++r) {
      s.used_mean.push_back(of([r](const QueueRun& x) { return x.used_mean[r]; }));
      s.borrowed_mean.push_back(of([r](const QueueRun& x) { return x.borrowed_mean[r]; }));
    }
    summary.queues.push_back(std::move(s));
  }
}

}  // namespace tessera::sim

#include "bench_scale.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/rng.h"
#include "engine/engine.h"
#include "model/decision.h"
#include "model/gang_specs.h"
#include "model/snapshot.h"

namespace tessera::cli {

// Gangs of 2 to 64 pods: up to 64 GPUs (a quarter of a rack) in one rack, 128 GPUs in one
// block. No kind asks for more than 128 GPUs: at 90% full a block of 2,048 GPUs has about 200
// free, so larger gangs would only wait.
ScaleShape Scale10k() {
  ScaleShape s;
  s.nodes = 10'000;
  s.pods = 1'000'000;
  s.gang_kinds = {{.pods = 2, .gpus_per_pod = 8},
                  {.pods = 4, .gpus_per_pod = 8},
                  {.pods = 8, .gpus_per_pod = 8},
                  {.pods = 16, .gpus_per_pod = 4},
                  {.pods = 32, .gpus_per_pod = 4, .required_block = true},
                  {.pods = 64, .gpus_per_pod = 2, .required_block = true}};
  s.seed = 10'000;
  return s;
}

ScaleShape Scale1k() {
  ScaleShape s = Scale10k();
  s.nodes = 1'000;
  s.pods = 100'000;
  s.seed = 1'000;
  return s;
}

namespace {

constexpr int32_t kGpusPerNode = 8;
constexpr int64_t kGpuMilli = 1000;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kGpuMemory = 80 * kGiB;
// Pods ask for CPU and memory in proportion to their GPUs, so a node's GPUs and its CPU run
// out together: the node filters and the topology's free sums then track GPU use.
constexpr int64_t kCpuMilliPerGpu = 16'000;
constexpr int64_t kMemoryPerGpu = 128 * kGiB;
constexpr char kDriver[] = "gpu.tessera.dev";
constexpr char kClass[] = "gpu.tessera.dev";
constexpr char kNvlink[] = "gpu.tessera.dev/nvlinkDomain";
constexpr char kBlock[] = "cloud.provider.com/topology-block";
constexpr char kRack[] = "cloud.provider.com/topology-rack";
constexpr char kHost[] = "kubernetes.io/hostname";

// A pod shape: its claim template and what it asks for. Every shape has its own template so
// that pods of one shape are interchangeable (the engine may cache per class of pods).
struct PodShape {
  const char* claim_template;
  int64_t gpu_milli;     // per pod; a share counts its fraction of one GPU
  int32_t devices;       // ExactCount
  int64_t memory_bytes;  // capacity request on a shared GPU; 0: whole GPUs
};
constexpr PodShape kShapes[] = {
    {"gpu-frac-25", 250, 1, 20 * kGiB},
    {"gpu-frac-50", 500, 1, 40 * kGiB},
    {"gpu-1", 1000, 1, 0},
    {"gpu-2", 2000, 2, 0},
    {"gpu-4", 4000, 4, 0},
    {"gpu-8", 8000, 8, 0},
};
constexpr size_t kFrac25 = 0, kFrac50 = 1, kGpu1 = 2, kGpu2 = 3, kGpu4 = 4, kGpu8 = 5;

size_t ShapeForGpus(int32_t gpus) {
  switch (gpus) {
    case 1:
      return kGpu1;
    case 2:
      return kGpu2;
    case 4:
      return kGpu4;
    case 8:
      return kGpu8;
    default:
      break;
  }
  TESSERA_CHECK(false) << "no pod shape with " << gpus << " GPUs";
  return kGpu1;
}

// One arrival: a pod, or a gang of consecutive pods.
struct Item {
  int64_t arrival_ms = 0;
  int64_t duration_ms = 0;
  uint32_t first_pod = 0;
  uint32_t pods = 1;
  int32_t gang = -1;      // index into Workload::gangs
  int64_t gpu_milli = 0;  // all its pods together
};

struct Workload {
  model::GangObjects topology;  // the block/rack/host Topology; its gangs list stays empty
  std::vector<model::GangSpec> gangs;
  std::vector<Item> items;  // in arrival order
  std::unique_ptr<model::Snapshot> snapshot;
  int64_t gpu_milli = 0;  // of the whole cluster
};

double Exponential(Rng& rng) { return -std::log(1.0 - rng.UniformReal()); }

std::string PodName(size_t p) { return fmt::format("p{:07d}", p); }

model::ResourceSliceSpec NodeSlice(const std::string& node) {
  model::ResourceSliceSpec s{
      .name = node + "-gpus", .driver = kDriver, .pool = node, .node_name = node};
  for (int32_t g = 0; g < kGpusPerNode; ++g) {
    model::CapacityRequestPolicySpec policy{
        .valid_range = model::CapacityRequestPolicySpec::ValidRange{
            .min = Quantity(kGiB), .max = Quantity(kGpuMemory), .step = Quantity(kGiB)}};
    s.devices.push_back(
        {.name = fmt::format("gpu-{}", g),
         .attributes = {{"model", std::string("H100")},
                        {"nvlinkDomain", int64_t{g / (kGpusPerNode / 2)}}},
         .capacity = {{.name = "memory", .value = Quantity(kGpuMemory), .request_policy = policy}},
         .allow_multiple_allocations = true});
  }
  return s;
}

model::ResourceClaimSpec Template(const PodShape& shape) {
  model::DeviceRequestSpec req{.name = "gpu", .device_class_name = kClass, .count = shape.devices};
  if (shape.memory_bytes > 0) req.capacity_requests = {{"memory", Quantity(shape.memory_bytes)}};
  model::ResourceClaimSpec claim{
      .name = shape.claim_template, .is_template = true, .requests = {std::move(req)}};
  // Two or four whole GPUs share one NVLink domain; eight take the node.
  if (shape.memory_bytes == 0 && shape.devices > 1 && shape.devices <= kGpusPerNode / 2) {
    claim.constraints = {{.match_attribute = kNvlink}};
  }
  return claim;
}

model::PodSpec Pod(size_t p, const PodShape& shape) {
  const int64_t cpu = kCpuMilliPerGpu * shape.gpu_milli / kGpuMilli;
  const int64_t memory = kMemoryPerGpu / kGpuMilli * shape.gpu_milli;
  return {.name = PodName(p),
          .requests = {{"cpu", Quantity(cpu)}, {"memory", Quantity(memory)}},
          .claims = {{.name = "gpu", .resource_claim_template_name = shape.claim_template}}};
}

// The gang kinds' pods drawn until 5% (1 - fractional - whole) of the pods are spoken for;
// then gangs and single pods interleaved at random, pods numbered in arrival order.
std::unique_ptr<Workload> Build(const ScaleShape& shape) {
  TESSERA_CHECK(shape.nodes > 0 && shape.pods > 0 && shape.nodes_per_rack > 0 &&
                shape.racks_per_block > 0);
  auto w = std::make_unique<Workload>();
  Rng rng(shape.seed);
  model::SnapshotBuilder b;
  for (int32_t n = 0; n < shape.nodes; ++n) {
    const std::string name = fmt::format("n{:05d}", n);
    const int32_t rack = n / shape.nodes_per_rack;
    const int32_t block = rack / shape.racks_per_block;
    b.AddNode({.name = name,
               .labels = {{kBlock, fmt::format("b{:03d}", block)},
                          {kRack, fmt::format("r{:04d}", rack)},
                          {kHost, name}},
               .allocatable = {{"cpu", Quantity(kCpuMilliPerGpu * kGpusPerNode)},
                               {"memory", Quantity(kMemoryPerGpu * kGpusPerNode)},
                               {"pods", Quantity(110)}}});
    b.AddResourceSlice(NodeSlice(name));
  }
  w->gpu_milli = int64_t{shape.nodes} * kGpusPerNode * kGpuMilli;
  b.AddDeviceClass(
      {.name = kClass, .selectors = {fmt::format("device.driver == \"{}\"", kDriver)}});
  for (const PodShape& s : kShapes) b.AddResourceClaim(Template(s));
  w->topology.topologies.push_back({.name = "default",
                                    .source = "bench",
                                    .api_group = "kueue.x-k8s.io",
                                    .levels = {kBlock, kRack, kHost}});

  // Gangs first, as a list of kinds, so that their pods add up to the gang share.
  const auto singles_target = static_cast<int64_t>(
      std::llround(static_cast<double>(shape.pods) * (shape.fractional_share + shape.whole_share)));
  int64_t gang_budget = shape.pods - std::min(shape.pods, singles_target);
  std::vector<size_t> gang_kinds;
  while (!shape.gang_kinds.empty()) {
    const size_t k = rng.Uniform(shape.gang_kinds.size());
    if (shape.gang_kinds[k].pods > gang_budget) {
      // The last gang: the largest kind that still fits, if any.
      size_t best = shape.gang_kinds.size();
      for (size_t j = 0; j < shape.gang_kinds.size(); ++j) {
        if (shape.gang_kinds[j].pods <= gang_budget &&
            (best == shape.gang_kinds.size() ||
             shape.gang_kinds[j].pods > shape.gang_kinds[best].pods)) {
          best = j;
        }
      }
      if (best == shape.gang_kinds.size()) break;
      gang_kinds.push_back(best);
      gang_budget -= shape.gang_kinds[best].pods;
      continue;
    }
    gang_kinds.push_back(k);
    gang_budget -= shape.gang_kinds[k].pods;
  }
  int64_t gang_pods = 0;
  for (size_t k : gang_kinds) gang_pods += shape.gang_kinds[k].pods;
  int64_t singles = shape.pods - gang_pods;

  const double rate = shape.offered_load * static_cast<double>(w->gpu_milli) /
                      static_cast<double>(shape.mean_duration_ms);  // GPU milli per ms
  const double fractional_given_single =
      shape.fractional_share / std::max(1e-9, shape.fractional_share + shape.whole_share);
  size_t next_gang = 0;
  size_t pod = 0;
  double clock = 0;
  std::vector<double> arrivals;   // in mean gaps, before rescaling
  std::vector<double> durations;  // in mean durations
  w->items.reserve(static_cast<size_t>(singles) + gang_kinds.size());
  arrivals.reserve(w->items.capacity());
  durations.reserve(w->items.capacity());
  while (singles > 0 || next_gang < gang_kinds.size()) {
    const auto gangs_left = static_cast<uint64_t>(gang_kinds.size() - next_gang);
    Item item;
    arrivals.push_back(clock);
    item.first_pod = static_cast<uint32_t>(pod);
    if (rng.Uniform(static_cast<uint64_t>(singles) + gangs_left) < gangs_left) {
      const ScaleGangKind& kind = shape.gang_kinds[gang_kinds[next_gang++]];
      const PodShape& s = kShapes[ShapeForGpus(kind.gpus_per_pod)];
      model::GangSpec gang{.name = fmt::format("g{:06d}", w->gangs.size()),
                           .source = "bench",
                           .kind = model::GangKind::kJob};
      model::GangMemberSpec member{.name = "main"};
      member.topology.required_level = kind.required_block ? kBlock : kRack;
      for (int32_t i = 0; i < kind.pods; ++i) {
        member.pod_names.push_back(PodName(pod));
        b.AddPod(Pod(pod++, s));
      }
      gang.members.push_back(std::move(member));
      item.gang = static_cast<int32_t>(w->gangs.size());
      item.pods = static_cast<uint32_t>(kind.pods);
      item.gpu_milli = s.gpu_milli * kind.pods;
      w->gangs.push_back(std::move(gang));
    } else {
      size_t s;
      if (rng.UniformReal() < fractional_given_single) {
        s = rng.Uniform(2) == 0 ? kFrac25 : kFrac50;
      } else {
        const uint64_t u = rng.Uniform(100);
        s = u < 50 ? kGpu1 : u < 75 ? kGpu2 : u < 90 ? kGpu4 : kGpu8;
      }
      b.AddPod(Pod(pod++, kShapes[s]));
      item.gpu_milli = kShapes[s].gpu_milli;
      --singles;
    }
    durations.push_back(Exponential(rng));
    clock += Exponential(rng);
    w->items.push_back(item);
  }
  // The draws are rescaled so that the offered load is exactly `offered_load` over the run:
  // durations to a GPU-weighted mean of mean_duration_ms (a few hundred large gangs would
  // otherwise move it by percents), the Poisson arrivals (unit gaps so far) to span the
  // run's GPU demand over `rate`.
  double demand = 0, weighted = 0;
  for (size_t i = 0; i < w->items.size(); ++i) {
    demand += static_cast<double>(w->items[i].gpu_milli);
    weighted += static_cast<double>(w->items[i].gpu_milli) * durations[i];
  }
  const double duration_scale =
      weighted > 0 ? static_cast<double>(shape.mean_duration_ms) * demand / weighted : 0;
  const double arrival_scale = clock > 0 ? demand / rate / clock : 0;  // ms per unit gap
  for (size_t i = 0; i < w->items.size(); ++i) {
    Item& item = w->items[i];
    item.duration_ms = std::max<int64_t>(1, std::llround(durations[i] * duration_scale));
    item.arrival_ms = std::llround(arrivals[i] * arrival_scale);
  }
  auto snapshot = std::move(b).Build();
  TESSERA_CHECK(snapshot.ok()) << snapshot.error().ToString();
  w->snapshot = std::make_unique<model::Snapshot>(std::move(snapshot).value());
  return w;
}

// This process's resident memory now, in MiB; 0 when /proc is not there.
double CurrentRssMib() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

// FNV-1a over 64-bit words.
void Mix(uint64_t& h, uint64_t v) {
  h ^= v;
  h *= 0x100000001b3ULL;
}

// The replay's state: the engine, the departures to come, the waiting entries.
class Replay {
 public:
  Replay(const ScaleShape& shape, const Workload& w, engine::Engine& engine,
         const std::function<double()>& latency_clock, ScaleRun& run)
      : shape_(shape), w_(w), engine_(engine), latency_clock_(latency_clock), run_(run) {
    run_.fingerprint = 0xcbf29ce484222325ULL;
    if (shape_.check_every > 0) node_gpu_milli_.assign(w_.snapshot->num_nodes(), 0);
  }

  void Arrive(uint32_t i) {
    const Item& item = w_.items[i];
    DepartUntil(item.arrival_ms);
    Advance(item.arrival_ms);
    if (item.arrival_ms >= shape_.warmup_ms) {
      const double occupancy = Occupancy();
      if (!seen_steady_) {
        run_.occupancy_min = run_.occupancy_max = occupancy;
        seen_steady_ = true;
      }
      run_.occupancy_min = std::min(run_.occupancy_min, occupancy);
      run_.occupancy_max = std::max(run_.occupancy_max, occupancy);
    }
    if (Decide(i)) {
      Placed(i, item.arrival_ms);
    } else {
      waiting_.push_back({.item = i, .attempts = 1, .freed_mark = freed_milli_});
      if (shape_.max_attempts <= 1) Drop(waiting_.size() - 1);
    }
  }

  // After the last arrival: the figures over the steady-state window.
  void Finish(int64_t end_ms) {
    Advance(end_ms);
    const double window = static_cast<double>(end_ms - shape_.warmup_ms);
    run_.occupancy_mean =
        window > 0 ? occupancy_integral_ / (window * static_cast<double>(w_.gpu_milli)) : 0;
    run_.waiting_at_end = static_cast<int64_t>(waiting_.size());
    if (shape_.check_every > 0) Check();
  }

  // Tests: every placed pod leaves, after which no node may use anything.
  void Drain() {
    while (!departures_.empty()) {
      const uint32_t i = departures_.top().second;
      departures_.pop();
      Release(i);
    }
    if (!run_.check_error.empty()) return;
    Check();
    const model::Snapshot& s = *w_.snapshot;
    for (size_t n = 0; n < s.num_nodes() && run_.check_error.empty(); ++n) {
      for (const Quantity& q : engine_.overlay().used(model::NodeId::FromIndex(n))) {
        if (q.value() != 0) {
          run_.check_error = fmt::format("node {} still uses resources after every pod left",
                                         s.node_name(model::NodeId::FromIndex(n)));
          break;
        }
      }
    }
  }

 private:
  struct Waiting {
    uint32_t item = 0;
    int32_t attempts = 0;
    int64_t freed_mark = 0;  // freed_milli_ at its last try
  };

  double Occupancy() const {
    return static_cast<double>(allocated_milli_) / static_cast<double>(w_.gpu_milli);
  }

  // Time-weighted occupancy from the warm-up on.
  void Advance(int64_t now_ms) {
    const int64_t from = std::max(last_ms_, shape_.warmup_ms);
    if (now_ms > from) {
      occupancy_integral_ +=
          static_cast<double>(allocated_milli_) * static_cast<double>(now_ms - from);
    }
    last_ms_ = std::max(last_ms_, now_ms);
  }

  // One decision: PlacePod or PlaceGang, timed alone. True when placed.
  bool Decide(uint32_t i) {
    const Item& item = w_.items[i];
    bool placed = false;
    ++run_.decisions;
    if (item.gang >= 0) {
      ++run_.gang_decisions;
      const double start = latency_clock_();
      const engine::Engine::GangOutcome out = engine_.PlaceGang(w_.gangs[item.gang]);
      run_.decision_seconds.push_back(latency_clock_() - start);
      run_.gang_decision_seconds.push_back(run_.decision_seconds.back());
      placed = out.placed;
      Mix(run_.fingerprint, uint64_t{i} << 1 | (placed ? 1 : 0));
      for (const model::Decision& d : out.decisions) {
        Mix(run_.fingerprint, uint64_t{d.pod.value()} << 32 | d.node.value());
      }
      if (shape_.check_every > 0) CheckGang(item, placed);
    } else {
      const model::PodId pod = model::PodId::FromIndex(item.first_pod);
      const double start = latency_clock_();
      const model::Decision d = engine_.PlacePod(pod);
      run_.decision_seconds.push_back(latency_clock_() - start);
      placed = d.outcome == model::Outcome::kPlaced;
      Mix(run_.fingerprint, uint64_t{i} << 1 | (placed ? 1 : 0));
      if (placed) Mix(run_.fingerprint, d.node.value());
      if (shape_.check_every > 0 && placed != engine_.overlay().node_of(pod).valid()) {
        Fail(fmt::format("pod {} decided {} but is {}", w_.snapshot->pod(pod).name,
                         placed ? "placed" : "not placed", placed ? "not bound" : "bound"));
      }
    }
    if (shape_.check_every > 0 && run_.decisions % shape_.check_every == 0) Check();
    return placed;
  }

  void Placed(uint32_t i, int64_t now_ms) {
    const Item& item = w_.items[i];
    Advance(now_ms);
    allocated_milli_ += item.gpu_milli;
    run_.placed_pods += item.pods;
    run_.placed_gangs += item.gang >= 0 ? 1 : 0;
    if (shape_.check_every > 0) {
      const int64_t per_pod = item.gpu_milli / item.pods;
      for (uint32_t p = item.first_pod; p < item.first_pod + item.pods; ++p) {
        node_gpu_milli_[engine_.overlay().node_of(model::PodId::FromIndex(p)).index()] += per_pod;
      }
    }
    departures_.emplace(now_ms + item.duration_ms, i);
  }

  void Release(uint32_t i) {
    const Item& item = w_.items[i];
    const int64_t per_pod = item.gpu_milli / item.pods;
    const double start = latency_clock_();
    for (uint32_t p = item.first_pod; p < item.first_pod + item.pods; ++p) {
      const model::PodId pod = model::PodId::FromIndex(p);
      if (shape_.check_every > 0) {
        node_gpu_milli_[engine_.overlay().node_of(pod).index()] -= per_pod;
      }
      engine_.Release(pod);
      ++run_.releases;
    }
    run_.release_seconds += latency_clock_() - start;
    allocated_milli_ -= item.gpu_milli;
    freed_milli_ += item.gpu_milli;
  }

  // Departures up to `now_ms`, in time order (ties by arrival order), each followed by
  // retries of the waiting entries.
  void DepartUntil(int64_t now_ms) {
    while (!departures_.empty() && departures_.top().first <= now_ms) {
      const auto [at_ms, i] = departures_.top();
      departures_.pop();
      Advance(at_ms);
      Release(i);
      Retry(at_ms);
    }
  }

  void Retry(int64_t now_ms) {
    int32_t tried = 0, scanned = 0;
    for (size_t k = 0;
         k < waiting_.size() && scanned < shape_.retry_scan && tried < shape_.retries_per_departure;
         ++scanned) {
      Waiting& e = waiting_[k];
      if (freed_milli_ - e.freed_mark < w_.items[e.item].gpu_milli) {
        ++k;
        continue;
      }
      ++tried;
      ++run_.retries;
      if (Decide(e.item)) {
        Placed(e.item, now_ms);
        waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(k));
        continue;
      }
      e.freed_mark = freed_milli_;
      if (++e.attempts >= shape_.max_attempts) {
        Drop(k);
        continue;
      }
      ++k;
    }
  }

  void Drop(size_t k) {
    const Item& item = w_.items[waiting_[k].item];
    run_.dropped_pods += item.pods;
    run_.dropped_gangs += item.gang >= 0 ? 1 : 0;
    waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(k));
  }

  void Fail(std::string what) {
    if (run_.check_error.empty()) run_.check_error = std::move(what);
  }

  // A gang is whole or empty after its decision.
  void CheckGang(const Item& item, bool placed) {
    uint32_t bound = 0;
    for (uint32_t p = item.first_pod; p < item.first_pod + item.pods; ++p) {
      bound += engine_.overlay().node_of(model::PodId::FromIndex(p)).valid() ? 1 : 0;
    }
    if (bound != (placed ? item.pods : 0)) {
      Fail(fmt::format("gang {} {} with {} of its {} pods bound", w_.gangs[item.gang].name,
                       placed ? "placed" : "not placed", bound, item.pods));
    }
  }

  // The engine's own invariant check, and the GPUs per node as the decisions add them up.
  void Check() {
    ++run_.checks;
    if (std::string broken = engine_.CheckInvariants(); !broken.empty()) Fail(std::move(broken));
    for (size_t n = 0; n < node_gpu_milli_.size(); ++n) {
      if (node_gpu_milli_[n] < 0 || node_gpu_milli_[n] > kGpusPerNode * kGpuMilli) {
        Fail(fmt::format("node {} has {} milli-GPUs placed on it",
                         w_.snapshot->node_name(model::NodeId::FromIndex(n)), node_gpu_milli_[n]));
      }
    }
  }

  const ScaleShape& shape_;
  const Workload& w_;
  engine::Engine& engine_;
  const std::function<double()>& latency_clock_;
  ScaleRun& run_;
  using Departure = std::pair<int64_t, uint32_t>;  // (time, item)
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> departures_;
  std::deque<Waiting> waiting_;
  int64_t allocated_milli_ = 0;
  int64_t freed_milli_ = 0;  // every GPU milli released so far
  int64_t last_ms_ = 0;
  double occupancy_integral_ = 0;  // milli-GPU x ms since the warm-up
  bool seen_steady_ = false;
  std::vector<int64_t> node_gpu_milli_;  // checks only
};

}  // namespace

ScaleRun RunScale(const ScaleShape& shape, const std::function<double()>& cpu_clock,
                  const std::function<double()>& latency_clock,
                  const std::function<void(int percent)>& progress) {
  ScaleRun run;
  double start = cpu_clock();
  const std::unique_ptr<Workload> w = Build(shape);
  run.build_seconds = cpu_clock() - start;
  run.rss_after_build_mib = CurrentRssMib();
  run.nodes = static_cast<int64_t>(w->snapshot->num_nodes());
  run.gpus = run.nodes * kGpusPerNode;
  run.pods = static_cast<int64_t>(w->snapshot->num_pods());
  run.gangs = static_cast<int64_t>(w->gangs.size());
  for (const Item& item : w->items) {
    (item.gang >= 0               ? run.gang_pods
     : item.gpu_milli < kGpuMilli ? run.fractional_pods
                                  : run.whole_pods) += item.pods;
  }

  start = cpu_clock();
  engine::Options options;
  options.policy = engine::ScorePolicy::kMostAllocated;  // pack, so whole GPUs stay whole
  options.gangs = &w->topology;
  auto created = engine::Engine::Create(*w->snapshot, options);
  TESSERA_CHECK(created.ok()) << created.error().ToString();
  engine::Engine& engine = **created;
  run.create_seconds = cpu_clock() - start;
  run.rss_after_create_mib = CurrentRssMib();

  run.decision_seconds.reserve(w->items.size() + w->items.size() / 4);
  Replay replay(shape, *w, engine, latency_clock, run);
  const auto n = static_cast<uint32_t>(w->items.size());
  int reported = 0;
  start = cpu_clock();
  for (uint32_t i = 0; i < n; ++i) {
    replay.Arrive(i);
    const auto percent = static_cast<int>(uint64_t{i + 1} * 10 / n) * 10;
    if (progress && percent > reported) {
      reported = percent;
      progress(percent);
    }
  }
  run.simulated_ms = n > 0 ? w->items.back().arrival_ms : 0;
  replay.Finish(run.simulated_ms);
  run.decide_seconds = cpu_clock() - start;
  run.rss_after_loop_mib = CurrentRssMib();
  if (shape.check_every > 0) replay.Drain();
  return run;
}

}  // namespace tessera::cli

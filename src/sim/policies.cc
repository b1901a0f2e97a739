#include "sim/policies.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "sim/frag.h"

namespace tessera::sim {

void Policy::Begin(const World&, std::span<const model::TraceTask>, Rng& rng) { rng_ = &rng; }
void Policy::Arrived(const World&, size_t) {}
void Policy::Placed(const World&, size_t, size_t) {}
void Policy::Removed(const World&, size_t, size_t) {}

namespace {

constexpr double kMaxSpecCpu = 128'000;  // the authors' normalisation constants
constexpr double kMaxSpecGpu = 8'000;

int64_t SumFree(const NodeState& st) { return st.gpu_free_total; }

class RandomPolicy final : public Policy {
 public:
  std::string_view name() const override { return "random"; }
  bool picks_at_random() const override { return true; }
  // Only called on the node already drawn: picks the GPU uniformly among those that fit.
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    const NodeState& st = world.node(n);
    if (!task.fractional()) return {0, -1};
    int count = 0, pick = -1;
    for (int g = 0; g < st.gpus; ++g) {
      if (st.gpu_free[g] < task.gpu_milli) continue;
      ++count;
      if (rng_->Uniform(static_cast<uint64_t>(count)) == 0) pick = g;  // reservoir sampling
    }
    return {0, pick};
  }
};

class DotProductPolicy final : public Policy {
 public:
  std::string_view name() const override { return "dot-product"; }
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    const NodeState& st = world.node(n);
    const double dot = (static_cast<double>(st.cpu_free) / kMaxSpecCpu) *
                           (static_cast<double>(task.cpu_milli) / kMaxSpecCpu) +
                       (static_cast<double>(SumFree(st)) / kMaxSpecGpu) *
                           (static_cast<double>(task.num_gpu) * task.gpu_milli / kMaxSpecGpu);
    return {static_cast<int64_t>(100 * (1 - dot / 2)), -1};
  }
};

class BestFitPolicy final : public Policy {
 public:
  std::string_view name() const override { return "best-fit"; }
  // The authors min-max normalise afterwards, which keeps the same best nodes.
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    const NodeState& st = world.node(n);
    const double x = 0.5 * static_cast<double>(st.cpu_free - task.cpu_milli) / kMaxSpecCpu +
                     0.5 *
                         static_cast<double>(SumFree(st) - int64_t{task.num_gpu} * task.gpu_milli) /
                         kMaxSpecGpu;
    return {static_cast<int64_t>((1 - x) * 100), -1};
  }
};

// Which GPU class a task is: 0 no GPU, 1 a share of one GPU, 1 + k for k whole GPUs.
int GpuClass(const Task& t) {
  if (t.num_gpu == 0) return 0;
  if (t.fractional()) return 1;
  return 1 + std::min(t.num_gpu, kMaxGpusPerNode);
}

class GpuClusteringPolicy final : public Policy {
 public:
  std::string_view name() const override { return "gpu-clustering"; }
  void Begin(const World& world, std::span<const model::TraceTask> original, Rng& rng) override {
    Policy::Begin(world, original, rng);
    classes_.assign(world.num_nodes(), {});
  }
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    const int cls = GpuClass(task);
    if (cls == 0) return {0, -1};
    const NodeState& st = world.node(n);
    const int64_t base = (25 * (8000 - SumFree(st))) / 8000;
    const auto& counts = classes_[n];
    int kinds = 0;
    for (size_t c = 1; c < counts.size(); ++c) kinds += counts[c] > 0 ? 1 : 0;
    if (counts[static_cast<size_t>(cls)] > 0) return {base + (kinds == 1 ? 75 : 50), -1};
    if (kinds == 0) return {base + 25, -1};
    return {base, -1};
  }
  void Placed(const World& world, size_t t, size_t n) override {
    ++classes_[n][static_cast<size_t>(GpuClass(world.tasks()[t]))];
  }
  void Removed(const World& world, size_t t, size_t n) override {
    --classes_[n][static_cast<size_t>(GpuClass(world.tasks()[t]))];
  }

 private:
  std::vector<std::array<int32_t, kMaxGpusPerNode + 2>> classes_;  // per node, per class
};

class GpuPackingPolicy final : public Policy {
 public:
  std::string_view name() const override { return "gpu-packing"; }
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    if (task.num_gpu == 0) return {0, -1};
    const NodeState& st = world.node(n);
    if (st.full_gpus == st.gpus) return {33 - st.gpus, -1};
    // The first num_gpu GPUs that fit, in ascending order of free milli (index on ties).
    std::array<int, kMaxGpusPerNode> order{};
    for (int g = 0; g < st.gpus; ++g) order[static_cast<size_t>(g)] = g;
    std::stable_sort(order.begin(), order.begin() + st.gpus,
                     [&](int a, int b) { return st.gpu_free[a] < st.gpu_free[b]; });
    int taken = 0, full = 0;
    int64_t sum = 0;
    for (int i = 0; i < st.gpus && taken < task.num_gpu; ++i) {
      const int32_t l = st.gpu_free[order[static_cast<size_t>(i)]];
      if (l < task.gpu_milli) continue;
      ++taken;
      full += l == kGpuMilli ? 1 : 0;
      sum += l * 100 / 1000;
    }
    if (full > 0) return {std::max<int64_t>(50 - full, 33), -1};
    return {std::max<int64_t>(100 - sum / 10, 50), -1};
  }
};

// kube-scheduler's NodeResourcesFit scoring over CPU, memory and GPU milli, each weight 1.
class AllocatedPolicy final : public Policy {
 public:
  AllocatedPolicy(std::string_view name, bool most, bool whole)
      : name_(name), most_(most), whole_(whole) {}
  std::string_view name() const override { return name_; }
  bool whole_gpu() const override { return whole_; }
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    const NodeState& st = world.node(n);
    int64_t total = 0, dims = 0;
    auto add = [&](int64_t free, int64_t capacity, int64_t request) {
      if (capacity <= 0) return;
      const int64_t left = free - request;
      total += most_ ? (capacity - left) * 100 / capacity : left * 100 / capacity;
      ++dims;
    };
    add(st.cpu_free, st.cpu_capacity, task.cpu_milli);
    add(st.memory_free, st.memory_capacity, task.memory_mib);
    if (task.num_gpu > 0) {
      add(SumFree(st), int64_t{st.gpus} * kGpuMilli, int64_t{task.num_gpu} * task.gpu_milli);
    }
    return {dims == 0 ? 0 : total / dims, -1};
  }

 private:
  std::string_view name_;
  bool most_;
  bool whole_;
};

// Open addressing, 64-bit keys (0 = empty), for FGD's memo of (node state, task) -> score.
class ScoreMemo {
 public:
  ScoreMemo() : slots_(1 << 16) {}
  const Score* Find(uint64_t key) const {
    for (size_t i = key & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return &slots_[i].score;
      if (slots_[i].key == 0) return nullptr;
    }
  }
  void Insert(uint64_t key, Score score) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Put(key, score);
  }
  void Clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    size_ = 0;
  }

 private:
  struct Slot {
    uint64_t key = 0;
    Score score;
  };
  void Put(uint64_t key, Score score) {
    size_t i = key & (slots_.size() - 1);
    while (slots_[i].key != 0 && slots_[i].key != key) i = (i + 1) & (slots_.size() - 1);
    if (slots_[i].key == 0) ++size_;
    slots_[i] = {key, score};
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != 0) Put(s.key, s.score);
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

// Fragmentation Gradient Descent: the node (and, for a share of a GPU, the GPU) where the
// target workload's fragmentation grows least. Score = int(100 * sigmoid(-growth / 1000)).
// Scores depend only on the node's free CPU and per-GPU milli, its model and the task, so
// they are memoised on a hash of those: identical nodes and repeated states cost one lookup.
class FgdPolicy : public Policy {
 public:
  std::string_view name() const override { return "fgd"; }
  void Begin(const World& world, std::span<const model::TraceTask> original, Rng& rng) override {
    Policy::Begin(world, original, rng);
    workload_ = TypicalTasks(original, world.model_names());
    signatures_.assign(world.num_nodes(), {UINT32_MAX, 0});
    memo_.Clear();
  }
  Score Evaluate(const World& world, size_t n, const Task& task) override {
    const NodeState& st = world.node(n);
    auto& [version, signature] = signatures_[n];
    if (version != st.version) {
      uint64_t h = Mix(static_cast<uint64_t>(st.model) + 7, static_cast<uint64_t>(st.cpu_free));
      for (int g = 0; g < st.gpus; ++g) h = Mix(h, static_cast<uint64_t>(st.gpu_free[g]) + 1);
      version = st.version;
      signature = h;
    }
    const uint64_t key = Mix(signature, task.shape) | 1;
    if (const Score* hit = memo_.Find(key)) return *hit;
    const Score s = Compute(st, task);
    memo_.Insert(key, s);
    return s;
  }

 protected:
  void SetWorkload(std::vector<TaskType> workload) {
    workload_ = std::move(workload);
    memo_.Clear();
  }
  const std::vector<TaskType>& workload() const { return workload_; }

  static int64_t Sigmoid100(double before, double after) {
    const double x = (before - after) / 1000;
    return static_cast<int64_t>(100 / (1 + std::exp(-x)));
  }

  // The fragmentation measure the scores compare: FGD's.
  virtual double Fragmentation(int32_t model, int64_t cpu_free,
                               std::span<const int32_t> gpu_free) const {
    return NodeFragmentation(model, cpu_free, gpu_free, workload_);
  }

  Score Compute(const NodeState& st, const Task& task) const {
    const size_t gpus = static_cast<size_t>(st.gpus);
    const double before = Fragmentation(st.model, st.cpu_free, {st.gpu_free.data(), gpus});
    std::array<int32_t, kMaxGpusPerNode> free = st.gpu_free;
    const int64_t cpu = st.cpu_free - task.cpu_milli;
    if (task.fractional()) {
      Score best{std::numeric_limits<int64_t>::min(), -1};
      for (size_t g = 0; g < gpus; ++g) {
        if (st.gpu_free[g] < task.gpu_milli) continue;
        free[g] -= task.gpu_milli;
        const std::span<const int32_t> after_free{free.data(), gpus};
        const int64_t s = Sigmoid100(before, Fragmentation(st.model, cpu, after_free));
        free[g] += task.gpu_milli;
        if (s > best.value) best = {s, static_cast<int>(g)};
      }
      return best;
    }
    // CPU only, or whole GPUs: the lowest-index untouched GPUs.
    int taken = 0;
    for (size_t g = 0; g < gpus && taken < task.num_gpu; ++g) {
      if (free[g] == kGpuMilli) {
        free[g] = 0;
        ++taken;
      }
    }
    const std::span<const int32_t> after_free{free.data(), gpus};
    return {Sigmoid100(before, Fragmentation(st.model, cpu, after_free)), -1};
  }

 private:
  std::vector<TaskType> workload_;
  std::vector<std::pair<uint32_t, uint64_t>> signatures_;  // per node: version, hash
  ScoreMemo memo_;
};

// Tessera's own policy (docs/simulate.md has the idea and the evidence). FGD's gradient
// descent on fragmentation, with three changes:
//  - The target workload is learned online from the tasks that have arrived so far (rebuilt
//    after each of the first 64 arrivals, at powers of two and every 256 arrivals; at most
//    the 64 most frequent shapes), not taken from the whole trace in advance, which a
//    running scheduler cannot know.
//  - CPU stranding counts as fragmentation: free GPU milli beyond what the node's free CPU
//    can serve, at the CPU per GPU milli of the GPU tasks seen so far. FGD only notices CPU
//    once a task type no longer fits; this sees a node drifting towards GPUs without CPU, and
//    sends CPU-only tasks to nodes with CPU to spare.
//  - Scarce models are kept for the tasks that need them: GPU milli used on a model costs
//    its pressure, the share of the model's capacity that model-constrained tasks ask for
//    (capped at 1), so flexible tasks go elsewhere first.
class TesseraPolicy final : public FgdPolicy {
 public:
  std::string_view name() const override { return "tessera"; }
  void Begin(const World& world, std::span<const model::TraceTask> original, Rng& rng) override {
    FgdPolicy::Begin(world, original, rng);
    model_capacity_.assign(world.model_names().size(), 0);
    for (const NodeState& st : world.nodes()) {
      if (st.model >= 0) model_capacity_[static_cast<size_t>(st.model)] += st.gpus;
    }
    pressure_.assign(model_capacity_.size(), 0);
    counts_.clear();
    seen_ = 0;
    gpu_task_cpu_ = gpu_task_milli_ = 0;
    SetWorkload({});
  }

  void Arrived(const World& world, size_t t) override {
    const Task& task = world.tasks()[t];
    if (task.num_gpu > 0) {
      gpu_task_cpu_ += static_cast<double>(task.cpu_milli);
      gpu_task_milli_ += static_cast<double>(task.demand_milli);
    }
    const int32_t per_gpu = task.num_gpu > 0 ? task.demand_milli / task.num_gpu : 0;
    ++counts_[Key(task.cpu_milli, task.num_gpu, per_gpu, task.constrained, task.model_mask)];
    ++seen_;
    if (seen_ <= 64 || (seen_ & (seen_ - 1)) == 0 || seen_ % 256 == 0) Rebuild();
  }

 protected:
  double Fragmentation(int32_t model, int64_t cpu_free,
                       std::span<const int32_t> gpu_free) const override {
    double frag = FgdPolicy::Fragmentation(model, cpu_free, gpu_free);
    int64_t free = 0;
    for (int32_t l : gpu_free) free += l;
    if (gpu_task_milli_ > 0 && gpu_task_cpu_ > 0) {
      const double cpu_per_milli = gpu_task_cpu_ / gpu_task_milli_;
      const double stranded =
          static_cast<double>(free) - static_cast<double>(cpu_free) / cpu_per_milli;
      if (stranded > 0) frag += stranded;
    }
    if (model >= 0 && static_cast<size_t>(model) < pressure_.size()) {
      const auto used = static_cast<int64_t>(gpu_free.size()) * kGpuMilli - free;
      frag += pressure_[static_cast<size_t>(model)] * static_cast<double>(used);
    }
    return frag;
  }

 private:
  // cpu, GPUs, milli per GPU, constrained, allowed models
  using Key = std::tuple<int64_t, int32_t, int32_t, bool, uint64_t>;
  // Scoring costs O(types) per node: a workload of thousands of distinct shapes keeps only
  // its most frequent 64 (openb's default trace needs 35 to cover 95% of its tasks).
  static constexpr size_t kMaxTypes = 64;

  // FGD's typical-task rule (most frequent first until 95% of tasks) over the arrivals so
  // far, and the model pressures.
  void Rebuild() {
    std::vector<std::pair<Key, int64_t>> sorted(counts_.begin(), counts_.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<TaskType> types;
    int64_t cumulative = 0;
    for (const auto& [key, count] : sorted) {
      if (static_cast<double>(cumulative) >= 0.95 * static_cast<double>(seen_)) break;
      if (types.size() == kMaxTypes) break;
      cumulative += count;
      const auto& [cpu, k, d, constrained, mask] = key;
      types.push_back({.cpu_milli = cpu,
                       .num_gpu = k,
                       .gpu_milli = d,
                       .constrained = constrained,
                       .model_mask = mask,
                       .count = count});
    }
    for (TaskType& t : types) {
      t.popularity = static_cast<double>(t.count) / static_cast<double>(cumulative);
    }
    // Constrained demand spread over the allowed models in proportion to their capacity,
    // per unit of capacity, relative to all demand per unit of all capacity.
    double demand = 0, capacity = 0;
    for (double c : model_capacity_) capacity += c;
    std::fill(pressure_.begin(), pressure_.end(), 0.0);
    for (const auto& [key, count] : counts_) {
      const auto& [cpu, k, d, constrained, mask] = key;
      const double gpu = static_cast<double>(count) * k * d;
      demand += gpu;
      if (!constrained) continue;
      double allowed = 0;
      for (size_t m = 0; m < model_capacity_.size(); ++m) {
        if ((mask >> m) & 1) allowed += model_capacity_[m];
      }
      if (allowed <= 0) continue;
      for (size_t m = 0; m < model_capacity_.size(); ++m) {
        if ((mask >> m) & 1) pressure_[m] += gpu / allowed;
      }
    }
    for (double& p : pressure_) p = demand > 0 ? std::min(1.0, p * capacity / demand) : 0;
    SetWorkload(std::move(types));
  }

  std::map<Key, int64_t> counts_;
  int64_t seen_ = 0;
  double gpu_task_cpu_ = 0, gpu_task_milli_ = 0;
  std::vector<double> model_capacity_;  // GPUs per model
  std::vector<double> pressure_;        // per model, 0..1
};

constexpr std::array<std::string_view, 10> kNames = {
    "random", "dot-product",     "gpu-clustering", "gpu-packing", "best-fit",
    "fgd",    "least-allocated", "most-allocated", "whole-gpu",   "tessera"};

}  // namespace

std::span<const std::string_view> PolicyNames() { return kNames; }
std::span<const std::string_view> PaperPolicyNames() { return {kNames.data(), 6}; }

Result<std::unique_ptr<Policy>> MakePolicy(std::string_view name) {
  if (name == "random") return std::unique_ptr<Policy>(new RandomPolicy());
  if (name == "dot-product") return std::unique_ptr<Policy>(new DotProductPolicy());
  if (name == "gpu-clustering") return std::unique_ptr<Policy>(new GpuClusteringPolicy());
  if (name == "gpu-packing") return std::unique_ptr<Policy>(new GpuPackingPolicy());
  if (name == "best-fit") return std::unique_ptr<Policy>(new BestFitPolicy());
  if (name == "fgd") return std::unique_ptr<Policy>(new FgdPolicy());
  if (name == "least-allocated") {
    return std::unique_ptr<Policy>(new AllocatedPolicy("least-allocated", false, false));
  }
  if (name == "most-allocated") {
    return std::unique_ptr<Policy>(new AllocatedPolicy("most-allocated", true, false));
  }
  if (name == "whole-gpu")
    return std::unique_ptr<Policy>(new AllocatedPolicy("whole-gpu", false, true));
  if (name == "tessera") return std::unique_ptr<Policy>(new TesseraPolicy());
  std::string valid;
  for (std::string_view n : kNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown policy \"{}\" (valid: {})", name, valid));
}

}  // namespace tessera::sim

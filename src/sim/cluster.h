// The simulated cluster. Machines become Nodes, and every GPU a DRA device in the node's
// ResourceSlice (driver gpu.tessera.dev, attribute `model`, capacity `milli` = 1000,
// allowMultipleAllocations), so that a fractional task is a ResourceClaim asking for part of
// one device's capacity and a whole-GPU task a claim for whole devices. Tasks become pending
// Pods whose claims come from one ResourceClaimTemplate per GPU shape. The devices are
// chosen by the same DRA allocator `tessera schedule` uses; the World keeps, next to it, a
// dense per-node view (free CPU, memory and per-GPU milli) that policies score on, re-read
// from the allocator's ledger after every change so that the two never disagree.
// Not thread-safe; one World per run.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "dra/allocator.h"
#include "dra/cel/selector_cache.h"
#include "dra/claims.h"
#include "dra/device_index.h"
#include "model/overlay.h"
#include "model/snapshot.h"
#include "model/trace.h"

namespace tessera::sim {

inline constexpr std::string_view kGpuDriver = "gpu.tessera.dev";
inline constexpr int kMaxGpusPerNode = 16;
inline constexpr int32_t kGpuMilli = 1000;
inline constexpr int kMaxGpuModels = 64;

// A task as the simulator's hot loop sees it.
struct Task {
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t num_gpu = 0;
  int32_t gpu_milli = 0;     // per GPU; what the claim asks for
  int32_t demand_milli = 0;  // num_gpu * gpu_milli as the trace asked (before whole-gpu rounding)
  bool constrained = false;  // has a GPU-model constraint
  uint64_t model_mask = 0;   // allowed model ids when constrained (0: none exists here)
  uint32_t shape = 0;        // equal requests have equal shape ids
  model::PodId pod;

  bool fractional() const { return num_gpu == 1 && gpu_milli < kGpuMilli; }
  bool ModelAllowed(int32_t model) const {
    return !constrained || (model >= 0 && ((model_mask >> model) & 1) != 0);
  }
};

// Free resources of one node, derived from the overlay and the DRA ledger.
struct NodeState {
  int64_t cpu_free = 0;
  int64_t memory_free = 0;  // MiB
  int64_t cpu_capacity = 0;
  int64_t memory_capacity = 0;
  int32_t model = -1;  // GPU model id; -1 without GPUs
  int32_t gpus = 0;
  std::array<int32_t, kMaxGpusPerNode> gpu_free{};  // milli per GPU, device order
  int32_t max_gpu_free = 0;
  int32_t full_gpus = 0;  // GPUs with nothing allocated
  int64_t gpu_free_total = 0;
  uint32_t version = 0;  // bumped on every change

  // Whether `task` passes the filters here: CPU, memory, GPU model, and a GPU with enough
  // free milli (fractional) or enough untouched GPUs (whole).
  bool Fits(const Task& task) const {
    if (cpu_free < task.cpu_milli || memory_free < task.memory_mib) return false;
    if (task.num_gpu == 0) return true;
    if (!task.ModelAllowed(model)) return false;
    if (task.fractional()) return max_gpu_free >= task.gpu_milli;
    return full_gpus >= task.num_gpu;
  }
};

struct WorldOptions {
  bool whole_gpu = false;  // round every GPU request up to whole GPUs (device-plugin world)
};

class World {
 public:
  // Builds the cluster and one pending pod per task. Errors: more than kMaxGpusPerNode GPUs
  // on a node, more than kMaxGpuModels GPU models, duplicate names (located by name).
  static Result<std::unique_ptr<World>> Build(std::span<const model::TraceNode> nodes,
                                              std::span<const model::TraceTask> tasks,
                                              WorldOptions options = {});

  size_t num_nodes() const { return nodes_.size(); }
  const NodeState& node(size_t n) const { return nodes_[n]; }
  std::span<const NodeState> nodes() const { return nodes_; }
  const std::string& node_name(size_t n) const;
  std::span<const Task> tasks() const { return tasks_; }
  const std::vector<std::string>& model_names() const { return model_names_; }
  int64_t gpu_capacity_milli() const { return gpu_capacity_milli_; }
  int64_t gpus() const { return gpu_capacity_milli_ / kGpuMilli; }

  // Places task `t` on node `n` through the overlay and the DRA allocator; `gpu` (index in
  // the node's device order, or -1) is tried first. Requires node(n).Fits(task). Aborts if
  // the allocator disagrees with the view: that would be a bug, not an input problem.
  void Place(size_t t, size_t n, int gpu = -1);
  // Takes task `t` off its node (replay departures): frees what Place reserved.
  void Remove(size_t t);
  // Node the task runs on, or -1.
  int64_t node_of(size_t t) const { return task_node_[t]; }

  const model::Snapshot& snapshot() const { return *snapshot_; }

  // The invariant checker (`--check`): "" when the device ledger and node resources of node
  // `n` are within their limits and the view agrees with the ledger; with `full`, every
  // device and claim of the cluster is recomputed from the claims' results as well
  // (dra/invariants.h). Otherwise a sentence naming what broke.
  std::string Check(size_t n, bool full) const;

 private:
  World() = default;
  void Sync(size_t n);

  std::unique_ptr<model::Snapshot> snapshot_;
  std::unique_ptr<dra::cel::SelectorCache> selectors_;
  std::unique_ptr<dra::DeviceIndex> index_;
  std::unique_ptr<dra::ClaimCatalog> catalog_;
  std::unique_ptr<dra::Allocator> allocator_;
  std::unique_ptr<model::Overlay> overlay_;

  std::vector<NodeState> nodes_;
  std::vector<std::array<model::DeviceId, kMaxGpusPerNode>> devices_;
  std::vector<std::array<uint32_t, kMaxGpusPerNode>> capacity_slots_;
  std::vector<Task> tasks_;
  std::vector<int64_t> task_node_;
  // The ledger changes each placement made, to give them back on Remove (replay):
  // task t's are held_[held_begin_[t], held_end_[t]).
  std::vector<std::pair<size_t, int64_t>> held_;
  std::vector<size_t> held_begin_, held_end_;
  std::vector<std::pair<size_t, int64_t>> ledger_scratch_;
  std::vector<std::string> model_names_;
  int64_t gpu_capacity_milli_ = 0;
};

}  // namespace tessera::sim

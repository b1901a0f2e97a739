// The FGD paper's fragmentation measure (fgd.md section 2.4). A target workload is a set of
// task types with popularities; a node's fragmentation against it is the popularity-weighted
// free GPU capacity that the types cannot use there: all free GPU milli when the type needs
// no GPU, may not use the node's model, or does not fit (GPUs or CPU); otherwise only the
// GPUs whose free milli is below what the type asks per GPU. Memory is not considered.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/trace.h"
#include "sim/cluster.h"

namespace tessera::sim {

struct TaskType {
  int64_t cpu_milli = 0;
  int32_t num_gpu = 0;
  int32_t gpu_milli = 0;
  bool constrained = false;
  uint64_t model_mask = 0;
  double popularity = 0;
  int64_t count = 0;  // tasks of this type in the list it was built from
};

// The FGD authors' "typical pods": `tasks` grouped by (cpu, gpu milli, GPU count, model
// constraint), most frequent first (ties: larger key first), keeping types until they cover
// at least `coverage` of the tasks (the type that crosses it included), popularities
// renormalised to sum to 1. Model names are resolved against `model_names`.
std::vector<TaskType> TypicalTasks(std::span<const model::TraceTask> tasks,
                                   std::span<const std::string> model_names,
                                   double coverage = 0.95);

// Fragmentation of one node, in milli-GPU, with `cpu_free` and per-GPU free milli `gpu_free`
// (the node's own or a hypothetical state).
double NodeFragmentation(int32_t model, int64_t cpu_free, std::span<const int32_t> gpu_free,
                         std::span<const TaskType> workload);

inline double NodeFragmentation(const NodeState& node, std::span<const TaskType> workload) {
  return NodeFragmentation(node.model, node.cpu_free,
                           {node.gpu_free.data(), static_cast<size_t>(node.gpus)}, workload);
}

}  // namespace tessera::sim

// Plain descriptions of what the simulator replays: machines, tasks and the scenario
// format's generator settings. io reads them from files (the openb CSVs, an arrival-order
// CSV, our scenario YAML); sim turns them into a Snapshot with DRA ResourceSlices and
// drives the engine over them. Units are fixed: CPU in milli-cores, memory in MiB, GPU
// share in milli-GPU (1000 = a whole GPU), times in seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/queue_specs.h"

namespace tessera::model {

struct TraceNode {
  std::string name;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t gpus = 0;
  std::string gpu_model;                                    // empty when gpus == 0
  std::vector<std::pair<std::string, std::string>> labels;  // topology labels etc.
};

struct TraceTask {
  std::string name;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t num_gpu = 0;
  int32_t gpu_milli = 0;                // per GPU; < 1000 only when num_gpu == 1
  std::vector<std::string> gpu_models;  // acceptable models, sorted, unique; empty = any
  // Replay only: when the task arrives and when it leaves (-1: unknown / never).
  int64_t creation_s = -1;
  int64_t deletion_s = -1;
  // Scenarios with queues: the ClusterQueue the task is submitted to (through the LocalQueue
  // of the same name) and its WorkloadPriorityClass (empty: priority 0).
  std::string queue;
  std::string priority_class;
  // Scenarios with queues: the task is one PodSet of `pods` identical pods (each with the
  // requests above), admitted, placed and finished all together. 1 everywhere else.
  int32_t pods = 1;
};

// The most pods of one task (TraceTask::pods) and of a whole tenant replay (tasks times their
// pods).
inline constexpr int32_t kMaxPodsPerTask = 10'000;
inline constexpr int64_t kMaxTenantPods = 10'000'000;

// One row of an explicit arrival order (`--arrivals`), e.g. the seed-42 sequence the FGD
// authors' simulator produced. The expected nodes are empty when the file has no such column.
struct ArrivalRow {
  TraceTask task;
  std::string source_task;
  std::string fgd_node;      // "FAILED" when the paper's FGD dropped the task
  std::string bestfit_node;  // likewise for BestFit
};

// A pod shape of a generated workload, drawn with probability weight / sum(weights).
struct TaskShape {
  std::string name;
  double weight = 1;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t num_gpu = 0;
  int32_t gpu_milli = 0;
  std::vector<std::string> gpu_models;
  // Duration in seconds, drawn uniformly from [min, max] (replay only).
  int64_t duration_min_s = 3600;
  int64_t duration_max_s = 3600;
  std::string queue;           // as TraceTask::queue
  std::string priority_class;  // as TraceTask::priority_class
  int32_t pods = 1;            // as TraceTask::pods
};

struct GeneratedWorkload {
  std::vector<TaskShape> shapes;
  int64_t count = 0;             // tasks to generate
  double arrivals_per_hour = 0;  // Poisson arrival rate; 0: all arrive at time 0
};

// The tenants of a scenario (docs/scenario-format.md, "Queues"): Kueue objects compiled
// from the scenario's compact `queues` section, the same specs `tessera schedule` builds from
// Kueue manifests. Either one ResourceFlavor (kScenarioFlavor, every node; the flat `quota`
// form) or the flavors of `queues.flavors` (each with nodeLabels that some node has); every
// ClusterQueue covers the same resources (those among cpu, memory, gpu that some quota
// names) in one group listing its flavors in preference order, and has a LocalQueue of its
// own name in namespace "default". Quota units: cpu in millicores, memory in bytes, gpu in
// milli-GPU (1000 = one GPU, as tasks count them). Fair sharing is on with `fair_sharing` or
// an enabled objects.kueue_fair_sharing (the `fairSharing` mapping, with its preemption
// strategies).
inline constexpr std::string_view kScenarioFlavor = "default";
inline constexpr std::string_view kScenarioNamespace = "default";
struct ScenarioQueues {
  QueueObjects objects;
  std::vector<std::string> resources;  // covered, in the order cpu, memory, gpu
  bool fair_sharing = false;           // order across queues by Kueue's fair-sharing tournament
  // > 0: Kueue's aging (kueue#754): effective priority = priority + floor(wait /
  // aging_seconds), for ordering only. 0: off.
  int64_t aging_seconds = 0;
};

// A whole scenario: the cluster, and either explicit tasks or a generator (or both: the
// explicit tasks come first); optionally queues that every task names.
struct Scenario {
  std::string name;
  std::string source;  // file it came from, for messages
  std::vector<TraceNode> nodes;
  std::vector<TraceTask> tasks;
  std::optional<GeneratedWorkload> generated;
  std::optional<ScenarioQueues> queues;
};

}  // namespace tessera::model

#include "testing/random_trace.h"

#include <algorithm>
#include <string>

#include "base/rng.h"

namespace tessera::testing {

model::Scenario RandomTrace(uint64_t seed, int nodes, int tasks) {
  Rng rng(seed);
  model::Scenario s{.name = "random-" + std::to_string(seed), .source = "random"};
  const char* models[] = {"A", "B", "C"};
  for (int n = 0; n < nodes; ++n) {
    const int gpus = rng.Uniform(8) == 0 ? 0 : 1 << rng.Uniform(4);
    s.nodes.push_back({.name = "node-" + std::to_string(n),
                       .cpu_milli = static_cast<int64_t>(8 + rng.Uniform(120)) * 1000,
                       .memory_mib = 512 * 1024,
                       .gpus = gpus,
                       .gpu_model = gpus > 0 ? models[rng.Uniform(3)] : ""});
  }
  int64_t now = 0;
  for (int t = 0; t < tasks; ++t) {
    model::TraceTask task{.name = "task-" + std::to_string(t),
                          .cpu_milli = static_cast<int64_t>(rng.Uniform(32) + 1) * 500,
                          .memory_mib = static_cast<int64_t>(rng.Uniform(64)) * 1024};
    const uint64_t kind = rng.Uniform(10);
    if (kind < 2) {
      task.num_gpu = 0;
    } else if (kind < 6) {
      task.num_gpu = 1;
      task.gpu_milli = static_cast<int32_t>(rng.Uniform(19) + 1) * 50;
    } else {
      task.num_gpu = 1 << rng.Uniform(4);
      task.gpu_milli = 1000;
    }
    if (task.num_gpu > 0 && rng.Uniform(5) == 0) {
      task.gpu_models = {models[rng.Uniform(3)]};
      if (rng.Uniform(2) == 0) task.gpu_models.emplace_back(task.gpu_models[0] == "A" ? "B" : "A");
      std::sort(task.gpu_models.begin(), task.gpu_models.end());
    }
    now += static_cast<int64_t>(rng.Uniform(60));
    task.creation_s = now;
    task.deletion_s = now + static_cast<int64_t>(rng.Uniform(3600)) + 1;
    s.tasks.push_back(std::move(task));
  }
  return s;
}

std::string RandomTenantScenarioYaml(uint64_t seed, int tasks) {
  Rng rng(seed);
  std::string queues = "queues:\n  fairSharing: " + std::string(seed % 2 ? "true" : "false") +
                       "\n  priorityClasses: [{name: p0, value: 0}, {name: p1, value: 10}, "
                       "{name: p2, value: 20}]\n  clusterQueues:\n";
  int64_t total = 0;
  for (int q = 0; q < 4; ++q) {
    const int64_t nominal = 2 + static_cast<int64_t>(rng.Uniform(7));
    total += nominal;
    queues += "    - name: q" + std::to_string(q) +
              "\n      cohort: ml\n      weight: " + std::to_string(1 + rng.Uniform(3)) +
              "\n      quota: {gpu: " + std::to_string(nominal) + "}\n";
    if (rng.Uniform(2) == 0) {
      queues += "      borrowingLimit: {gpu: " + std::to_string(rng.Uniform(6)) + "}\n";
    }
    queues += "      preemption: {reclaimWithinCohort: Any, withinClusterQueue: " +
              std::string(rng.Uniform(2) ? "LowerPriority" : "Never") + "}\n";
  }
  std::string yaml = "nodeGroups:\n  - {prefix: n, count: " + std::to_string((total + 7) / 8) +
                     ", gpuModel: A100, gpusPerNode: 8, cpu: 512, memory: 4Ti}\n" + queues;
  yaml += "generator:\n  count: " + std::to_string(tasks) +
          "\n  arrivalsPerHour: " + std::to_string(static_cast<double>(total) * 0.75) +
          "\n  shapes:\n";
  for (int q = 0; q < 4; ++q) {
    for (int p = 0; p < 3; ++p) {
      yaml += "    - {name: s" + std::to_string(q) + std::to_string(p) + ", queue: q" +
              std::to_string(q) + ", priority: p" + std::to_string(p) +
              ", weight: " + std::to_string(1 + rng.Uniform(4)) +
              ", gpus: 1, cpu: 1, memory: 1Gi, durationMin: 5m, durationMax: 3h}\n";
    }
  }
  return yaml;
}

}  // namespace tessera::testing

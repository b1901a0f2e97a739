#include "sim/scenario.h"

#include <fmt/format.h>

#include <cmath>

#include "base/rng.h"

namespace tessera::sim {
namespace {

void AddGroup(model::Scenario& s, const std::string& prefix, int count, const std::string& model,
              int gpus, int64_t cores, int64_t memory_gib) {
  for (int i = 0; i < count; ++i) {
    s.nodes.push_back({.name = fmt::format("{}-{:03d}", prefix, i),
                       .cpu_milli = cores * 1000,
                       .memory_mib = memory_gib * 1024,
                       .gpus = gpus,
                       .gpu_model = model,
                       .labels = {{"topology.kubernetes.io/zone", i % 2 == 0 ? "zone-a" : "zone-b"},
                                  {"gpu.tessera.dev/model", model}}});
  }
}

model::TaskShape Shape(std::string name, double weight, double cores, int64_t memory_gib,
                       int32_t gpus, int32_t milli, std::vector<std::string> models = {}) {
  return {.name = std::move(name),
          .weight = weight,
          .cpu_milli = static_cast<int64_t>(cores * 1000),
          .memory_mib = memory_gib * 1024,
          .num_gpu = gpus,
          .gpu_milli = milli,
          .gpu_models = std::move(models),
          .duration_min_s = 600,
          .duration_max_s = 6 * 3600};
}

}  // namespace

model::Scenario BuiltinScenario() {
  model::Scenario s{.name = "builtin", .source = "built-in scenario"};
  AddGroup(s, "h100", 48, "H100", 8, 192, 2048);
  AddGroup(s, "a100", 64, "A100", 8, 128, 1024);
  AddGroup(s, "l4", 64, "L4", 4, 64, 256);
  AddGroup(s, "t4", 96, "T4", 2, 32, 128);
  model::GeneratedWorkload w{.count = 1500, .arrivals_per_hour = 600};
  w.shapes = {
      Shape("cpu-small", 6, 4, 16, 0, 0),
      Shape("cpu-medium", 6, 8, 32, 0, 0),
      Shape("cpu-large", 3, 16, 64, 0, 0),
      Shape("share-10", 4, 1, 4, 1, 100),
      Shape("share-25", 10, 4, 16, 1, 250),
      Shape("share-30", 6, 2, 8, 1, 300),
      Shape("share-50", 12, 6, 24, 1, 500),
      Shape("share-75", 8, 8, 32, 1, 750),
      Shape("gpu-1", 20, 12, 64, 1, 1000),
      Shape("gpu-1-light", 10, 8, 32, 1, 1000),
      Shape("gpu-1-big", 6, 16, 128, 1, 1000, {"A100", "H100"}),
      Shape("gpu-2", 4, 24, 128, 2, 1000),
      Shape("gpu-4", 3, 48, 256, 4, 1000),
      Shape("gpu-8", 2, 96, 512, 8, 1000, {"A100", "H100"}),
  };
  s.generated = std::move(w);
  return s;
}

std::vector<model::TraceTask> ScenarioTasks(const model::Scenario& scenario, uint64_t seed) {
  std::vector<model::TraceTask> tasks = scenario.tasks;
  if (!scenario.generated || scenario.generated->shapes.empty()) return tasks;
  const model::GeneratedWorkload& g = *scenario.generated;
  double total_weight = 0;
  for (const model::TaskShape& s : g.shapes) total_weight += s.weight;
  Rng rng(seed);
  double now = 0;
  std::vector<int64_t> counters(g.shapes.size(), 0);
  tasks.reserve(tasks.size() + static_cast<size_t>(g.count));
  for (int64_t i = 0; i < g.count; ++i) {
    double x = rng.UniformReal() * total_weight;
    size_t k = 0;
    while (k + 1 < g.shapes.size() && x >= g.shapes[k].weight) x -= g.shapes[k++].weight;
    const model::TaskShape& s = g.shapes[k];
    if (g.arrivals_per_hour > 0)
      now += -std::log(1 - rng.UniformReal()) * 3600 / g.arrivals_per_hour;
    const int64_t span = std::max<int64_t>(s.duration_max_s - s.duration_min_s, 0);
    const int64_t duration =
        s.duration_min_s + static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(span) + 1));
    const auto created = static_cast<int64_t>(now);
    tasks.push_back({.name = fmt::format("{}-{}", s.name, counters[k]++),
                     .cpu_milli = s.cpu_milli,
                     .memory_mib = s.memory_mib,
                     .num_gpu = s.num_gpu,
                     .gpu_milli = s.gpu_milli,
                     .gpu_models = s.gpu_models,
                     .creation_s = created,
                     .deletion_s = created + duration,
                     .queue = s.queue,
                     .priority_class = s.priority_class,
                     .pods = s.pods});
  }
  return tasks;
}

}  // namespace tessera::sim

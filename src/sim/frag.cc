#include "sim/frag.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace tessera::sim {

std::vector<TaskType> TypicalTasks(std::span<const model::TraceTask> tasks,
                                   std::span<const std::string> model_names, double coverage) {
  using Key = std::tuple<int64_t, int32_t, int32_t, std::string>;  // cpu, milli, count, models
  std::map<Key, int64_t> counts;
  for (const model::TraceTask& t : tasks) {
    std::string models;
    for (const std::string& m : t.gpu_models) models += (models.empty() ? "" : "|") + m;
    ++counts[Key(t.cpu_milli, t.gpu_milli, t.num_gpu, models)];
  }
  std::vector<std::pair<Key, int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first > b.first;
  });
  const double total = static_cast<double>(tasks.size());
  std::vector<TaskType> out;
  int64_t cumulative = 0;
  for (const auto& [key, count] : sorted) {
    if (static_cast<double>(cumulative) >= coverage * total) break;
    const auto& [cpu, milli, num, models] = key;
    TaskType type{.cpu_milli = cpu, .num_gpu = num, .gpu_milli = milli, .count = count};
    if (!models.empty()) {
      type.constrained = true;
      size_t start = 0;
      while (start <= models.size()) {
        size_t end = models.find('|', start);
        if (end == std::string::npos) end = models.size();
        const std::string_view m(models.data() + start, end - start);
        for (size_t i = 0; i < model_names.size(); ++i) {
          if (model_names[i] == m) type.model_mask |= uint64_t{1} << i;
        }
        start = end + 1;
      }
    }
    cumulative += count;
    out.push_back(type);
  }
  for (TaskType& t : out) {
    t.popularity = static_cast<double>(t.count) / static_cast<double>(cumulative);
  }
  return out;
}

double NodeFragmentation(int32_t model, int64_t cpu_free, std::span<const int32_t> gpu_free,
                         std::span<const TaskType> workload) {
  int64_t total = 0;
  for (int32_t l : gpu_free) total += l;
  if (total == 0) return 0;
  double frag = 0;
  for (const TaskType& m : workload) {
    int64_t amount = total;
    const bool allowed = !m.constrained || (model >= 0 && ((m.model_mask >> model) & 1) != 0);
    if (m.gpu_milli > 0 && allowed && cpu_free >= m.cpu_milli) {
      int32_t fitting = 0;
      int64_t below = 0;
      for (int32_t l : gpu_free) {
        if (l >= m.gpu_milli) {
          ++fitting;
        } else {
          below += l;
        }
      }
      if (fitting >= m.num_gpu) amount = below;
    }
    frag += m.popularity * static_cast<double>(amount);
  }
  return frag;
}

}  // namespace tessera::sim

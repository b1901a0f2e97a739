// Readers for the simulator's inputs: the openb trace CSVs (node list, pod list), an
// explicit arrival order (the FGD seed-42 sequence) and our scenario YAML
// (docs/scenario-format.md). They produce the plain types of model/trace.h.
// Invariant: whatever the input, a reader either returns values that satisfy every rule
// below or an Error naming the file, the line (CSV) or object and field (YAML), and the
// value (quoted, truncated); memory stays within a small multiple of the file size.
//
// Rules every task satisfies (CSV row, scenario task, scenario shape alike):
//   0 <= cpu_milli <= kMaxCpuMilli, 0 <= memory_mib <= kMaxMemoryMib,
//   0 <= num_gpu <= kMaxGpusPerNode;
//   num_gpu == 0 -> gpu_milli == 0; num_gpu == 1 -> 1 <= gpu_milli <= 1000;
//   num_gpu > 1 -> gpu_milli == 1000; gpu_models sorted and unique.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/trace.h"

namespace tessera::io {

// Bounds that keep memory and every later sum (demand over all tasks, capacity over all
// nodes) far from int64 overflow. Larger inputs are rejected with an error naming the bound.
inline constexpr int64_t kMaxTraceNodes = 100'000;
inline constexpr int64_t kMaxTraceTasks = 10'000'000;
inline constexpr int64_t kMaxCpuMilli = 100'000'000;        // 100,000 cores
inline constexpr int64_t kMaxMemoryMib = int64_t{1} << 30;  // 1 PiB
inline constexpr int32_t kMaxGpusPerNode = 128;
inline constexpr int64_t kMaxTimeSeconds = 3'153'600'000;  // 100 years of 365 days
// Files larger than this are rejected before they are read.
inline constexpr int64_t kMaxTraceFileBytes = int64_t{1} << 30;
inline constexpr int64_t kMaxScenarioFileBytes = int64_t{64} << 20;

// openb node list (`openb_node_list_*.csv`): columns sn, cpu_milli, memory_mib, gpu and
// model, found by header name (order free, other columns ignored). `model` must be empty
// exactly when gpu is 0. Errors: "file.csv:17: column gpu: must not be negative, got "-1"".
// A header without rows is an error ("no nodes").
Result<std::vector<model::TraceNode>> LoadTraceNodes(const std::string& path);

// openb pod list (`openb_pod_list_*.csv`): columns name, cpu_milli, memory_mib, num_gpu and
// gpu_milli are required; gpu_spec (`|`-separated models, stored sorted and unique),
// creation_time and deletion_time (seconds; empty -> -1) are read when present; qos,
// pod_phase, scheduled_time and any other column are ignored. The multigpu files have only
// the five required columns. A header without rows is an error ("no tasks").
Result<std::vector<model::TraceTask>> LoadTraceTasks(const std::string& path);

// An arrival order (`openb_default_seed42_arrivals.csv`): arrival_idx (0, 1, 2, ... in file
// order), task (-> TraceTask.name), source_task, cpu_milli, memory_mib, num_gpu, gpu_milli,
// and the optional columns gpu_spec, fgd_node and bestfit_node (a node name or FAILED).
Result<std::vector<model::ArrivalRow>> LoadArrivals(const std::string& path);

// Our scenario YAML (docs/scenario-format.md): node groups expanded into nodes named
// `<prefix>-<i>` (i zero-padded to the width of count - 1), explicit tasks and/or a
// generator. Unknown keys are errors that name the key, so typos do not pass silently.
Result<model::Scenario> LoadScenario(const std::string& path);

// The same readers over text already in memory, for tests and fuzzing. `file_name` only
// labels errors (and becomes Scenario::source).
Result<std::vector<model::TraceNode>> ParseTraceNodes(std::string_view text,
                                                      std::string_view file_name);
Result<std::vector<model::TraceTask>> ParseTraceTasks(std::string_view text,
                                                      std::string_view file_name);
Result<std::vector<model::ArrivalRow>> ParseArrivals(std::string_view text,
                                                     std::string_view file_name);
Result<model::Scenario> ParseScenario(std::string_view text, std::string_view file_name);

}  // namespace tessera::io

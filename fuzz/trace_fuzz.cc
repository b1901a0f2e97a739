// Fuzz target for the trace CSV readers: arbitrary bytes as an openb node list, an openb pod
// list and an arrival file. Errors are fine; crashes, hangs, exceptions that reach the
// readers' last-resort handler (ErrorCode::kInternal), unbounded error messages and accepted
// rows that break the rules of io/trace.h are bugs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "io/trace.h"

namespace {

using tessera::io::kMaxCpuMilli;
using tessera::io::kMaxGpusPerNode;
using tessera::io::kMaxMemoryMib;

template <class T>
void CheckError(const tessera::Result<T>& result) {
  if (result.ok()) return;
  const tessera::Error& error = result.error();
  TESSERA_CHECK(error.code() != tessera::ErrorCode::kInternal) << error.ToString();
  // Values are quoted at most 64 bytes long; column names too.
  TESSERA_CHECK(error.ToString().size() < 2048)
      << error.ToString().size() << " bytes: " << error.ToString().substr(0, 512);
}

void CheckTask(const tessera::model::TraceTask& t) {
  TESSERA_CHECK(!t.name.empty() && t.name.size() <= 253) << t.name.size();
  TESSERA_CHECK(t.cpu_milli >= 0 && t.cpu_milli <= kMaxCpuMilli) << t.cpu_milli;
  TESSERA_CHECK(t.memory_mib >= 0 && t.memory_mib <= kMaxMemoryMib) << t.memory_mib;
  TESSERA_CHECK(t.num_gpu >= 0 && t.num_gpu <= kMaxGpusPerNode) << t.num_gpu;
  if (t.num_gpu == 0) {
    TESSERA_CHECK(t.gpu_milli == 0 && t.gpu_models.empty()) << t.name;
  } else if (t.num_gpu == 1) {
    TESSERA_CHECK(t.gpu_milli >= 1 && t.gpu_milli <= 1000) << t.gpu_milli;
  } else {
    TESSERA_CHECK(t.gpu_milli == 1000) << t.gpu_milli;
  }
  TESSERA_CHECK(std::is_sorted(t.gpu_models.begin(), t.gpu_models.end()));
  TESSERA_CHECK(std::adjacent_find(t.gpu_models.begin(), t.gpu_models.end()) == t.gpu_models.end());
  TESSERA_CHECK(t.creation_s >= -1 && t.deletion_s >= -1);
  TESSERA_CHECK(t.creation_s < 0 || t.deletion_s < 0 || t.deletion_s >= t.creation_s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto nodes = tessera::io::ParseTraceNodes(text, "fuzz.csv");
  CheckError(nodes);
  if (nodes.ok()) {
    TESSERA_CHECK(!nodes->empty());
    for (const tessera::model::TraceNode& n : *nodes) {
      TESSERA_CHECK(n.gpus >= 0 && n.gpus <= kMaxGpusPerNode) << n.gpus;
      TESSERA_CHECK((n.gpus == 0) == n.gpu_model.empty()) << n.name;
      TESSERA_CHECK(n.cpu_milli >= 0 && n.memory_mib >= 0);
    }
  }

  auto tasks = tessera::io::ParseTraceTasks(text, "fuzz.csv");
  CheckError(tasks);
  if (tasks.ok()) {
    TESSERA_CHECK(!tasks->empty());
    for (const tessera::model::TraceTask& t : *tasks) CheckTask(t);
  }

  auto arrivals = tessera::io::ParseArrivals(text, "fuzz.csv");
  CheckError(arrivals);
  if (arrivals.ok()) {
    TESSERA_CHECK(!arrivals->empty());
    for (const tessera::model::ArrivalRow& r : *arrivals) {
      CheckTask(r.task);
      TESSERA_CHECK(!r.source_task.empty());
    }
  }
  return 0;
}

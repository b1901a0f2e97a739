// Fuzz target for the scenario reader: arbitrary bytes as a scenario YAML file. Errors are
// fine; crashes, hangs, exceptions that reach the reader's last-resort handler
// (ErrorCode::kInternal), unbounded error messages and accepted scenarios that break the
// limits of io/trace.h are bugs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/check.h"
#include "io/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto scenario = tessera::io::ParseScenario(text, "fuzz.yaml");
  if (!scenario.ok()) {
    const tessera::Error& error = scenario.error();
    TESSERA_CHECK(error.code() != tessera::ErrorCode::kInternal) << error.ToString();
    // Values and keys are quoted at most 64 bytes long; paths are at most 100 levels deep.
    TESSERA_CHECK(error.ToString().size() < 16 * 1024)
        << error.ToString().size() << " bytes: " << error.ToString().substr(0, 512);
    return 0;
  }
  const tessera::model::Scenario& s = *scenario;
  TESSERA_CHECK(!s.nodes.empty());
  TESSERA_CHECK(static_cast<int64_t>(s.nodes.size()) <= tessera::io::kMaxTraceNodes);
  TESSERA_CHECK(!s.tasks.empty() || s.generated.has_value());
  std::set<std::string> names;
  for (const tessera::model::TraceNode& n : s.nodes) {
    TESSERA_CHECK(names.insert(n.name).second) << "duplicate node " << n.name;
    TESSERA_CHECK((n.gpus == 0) == n.gpu_model.empty()) << n.name;
    TESSERA_CHECK(n.cpu_milli > 0 && n.memory_mib > 0) << n.name;
  }
  names.clear();
  int64_t total = static_cast<int64_t>(s.tasks.size());
  for (const tessera::model::TraceTask& t : s.tasks) {
    TESSERA_CHECK(names.insert(t.name).second) << "duplicate task " << t.name;
    TESSERA_CHECK(t.num_gpu == 0 ? t.gpu_milli == 0
                                 : (t.gpu_milli >= 1 && t.gpu_milli <= 1000 &&
                                    (t.num_gpu == 1 || t.gpu_milli == 1000)))
        << t.name;
    TESSERA_CHECK(std::is_sorted(t.gpu_models.begin(), t.gpu_models.end()));
    TESSERA_CHECK(t.deletion_s == -1 || t.deletion_s >= t.creation_s);
  }
  if (s.generated) {
    TESSERA_CHECK(!s.generated->shapes.empty() && s.generated->count >= 1);
    total += s.generated->count;
    for (const tessera::model::TaskShape& shape : s.generated->shapes) {
      TESSERA_CHECK(shape.weight > 0);
      TESSERA_CHECK(shape.duration_min_s <= shape.duration_max_s);
    }
  }
  TESSERA_CHECK(total <= tessera::io::kMaxTraceTasks) << total;
  return 0;
}

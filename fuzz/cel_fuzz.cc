// Fuzz target for the DRA CEL compiler and evaluator. Compiles arbitrary bytes as a selector
// against the CEL test fixture and, when it compiles, evaluates it on every device twice.
// Crashes, hangs, sanitizer reports and failed checks are bugs; errors are fine. Invariants:
// evaluation is deterministic, and a program that passed the static cost check never needs
// more than its estimate.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "dra/cel/cel.h"
#include "dra/cel/cel_test_fixture.h"

namespace {

using tessera::Result;
namespace cel = tessera::dra::cel;
namespace model = tessera::model;

const model::Snapshot& Fixture() {
  static const model::Snapshot* snapshot = new model::Snapshot(cel::testing::BuildCelFixture());
  return *snapshot;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const model::Snapshot& snapshot = Fixture();
  Result<cel::Program> program = cel::Compile(input, snapshot);
  if (!program.ok()) {
    TESSERA_CHECK(!program.error().message().empty());
    return 0;
  }
  static cel::EvalScratch* scratch = new cel::EvalScratch();
  for (size_t d = 0; d < snapshot.devices().size(); ++d) {
    model::DeviceId device = model::DeviceId::FromIndex(d);
    Result<bool> first = cel::Evaluate(*program, snapshot, device, *scratch);
    uint64_t cost = scratch->last_cost();
    Result<bool> second = cel::Evaluate(*program, snapshot, device, *scratch);
    TESSERA_CHECK(first.ok() == second.ok()) << "non-deterministic outcome";
    if (first.ok()) {
      TESSERA_CHECK(*first == *second) << "non-deterministic result";
      TESSERA_CHECK(cost <= program->estimated_cost())
          << "cost " << cost << " above estimate " << program->estimated_cost() << " for "
          << input;
    } else {
      TESSERA_CHECK(first.error().message() == second.error().message());
    }
  }
  return 0;
}

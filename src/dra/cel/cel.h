// The CEL subset that Kubernetes DRA device selectors use, compiled once per selector and
// evaluated per device without heap allocation. Compile parses, type-checks against the DRA
// environment (one variable, `device`), resolves attribute names to the snapshot's interned
// ids and estimates the worst-case cost; Evaluate walks the compiled program for one device.
// Invariant: a Program is only evaluated against the snapshot it was compiled for (attribute
// ids are that snapshot's), and the snapshot outlives every Evaluate call.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(cel::Program program,
//       cel::Compile("device.driver == 'gpu.nvidia.com' && "
//                    "device.attributes['gpu.nvidia.com'].type == 'gpu'", snapshot));
//   cel::EvalScratch scratch;
//   Result<bool> match = cel::Evaluate(program, snapshot, device, scratch);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "dra/cel/program.h"
#include "model/snapshot.h"

namespace tessera::dra::cel {

// Limits from the DRA API (dra.md section 7); tests lower them to exercise the checks.
struct CompileOptions {
  size_t max_expression_bytes = 10 * 1024;
  // Maximum nesting of the syntax tree and of the parser's recursion (cel-go uses 250).
  int max_nesting_depth = 250;
  // Expressions whose estimated worst-case cost exceeds this are rejected at compile time.
  uint64_t max_estimated_cost = 1'000'000;
  // Per-evaluation cost limit, enforced while evaluating.
  uint64_t runtime_cost_limit = 1'000'000;
};

// A compiled selector. Cheap to move, not copyable. Immutable, so one Program may be
// evaluated from several threads as long as each uses its own EvalScratch.
class Program {
 public:
  explicit Program(ProgramData data) : data_(std::move(data)) {}
  Program(Program&&) noexcept = default;
  Program& operator=(Program&&) noexcept = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  std::string_view expression() const { return data_.expression; }
  // Worst-case cost in CEL-like units, as estimated by the checker.
  uint64_t estimated_cost() const { return data_.estimated_cost; }
  const ProgramData& data() const { return data_; }

 private:
  ProgramData data_;
};

namespace internal {
struct EvalState;
}  // namespace internal

// Reusable evaluation memory (value stacks, a string arena, variable slots). Sized by use and
// never shrunk, so steady-state evaluation allocates nothing. Not thread-safe: one per thread.
class EvalScratch {
 public:
  EvalScratch();
  ~EvalScratch();
  EvalScratch(EvalScratch&&) noexcept;
  EvalScratch& operator=(EvalScratch&&) noexcept;

  // The cost the last Evaluate call spent.
  uint64_t last_cost() const;
  internal::EvalState& state() { return *state_; }

 private:
  std::unique_ptr<internal::EvalState> state_;
};

// Compiles one selector expression against `snapshot`. Errors (kInvalidArgument) name the
// 1-based column: `column 18: undeclared reference to "devce"`; multi-line expressions say
// `line L, column C: ...`. Cost: O(expression length) plus regex compilation.
Result<Program> Compile(std::string_view expression, const model::Snapshot& snapshot,
                        const CompileOptions& options = {});

// Evaluates `program` for `device`: true/false, or an Error for runtime errors ("no such key:
// x", "cost limit exceeded", "no such overload: ...", "integer overflow", ...).
// Requires: `program` was compiled against `snapshot`; device < snapshot.devices().size().
// Allocates nothing on success once `scratch` has warmed up.
Result<bool> Evaluate(const Program& program, const model::Snapshot& snapshot,
                      model::DeviceId device, EvalScratch& scratch);

}  // namespace tessera::dra::cel

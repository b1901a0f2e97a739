// SelectorCache memoises selector results per (compiled selector, device) for one snapshot.
// Device attributes never change within a snapshot, so each pair is evaluated at most once,
// however many nodes, claims or cycles ask. Invariant: the snapshot outlives the cache, and
// every selector in the cache was compiled against it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ids.h"
#include "base/status.h"
#include "dra/cel/cel.h"
#include "model/snapshot.h"

namespace tessera::dra::cel {

using SelectorId = StrongId<struct SelectorTag>;

// Results are kept in a dense table of 2 bits per (selector, device): unknown, true, false,
// error. Errors keep their message in a side map (errors are rare), and the first error of
// each selector is kept for reporting. Not thread-safe; owned by the engine thread.
class SelectorCache {
 public:
  explicit SelectorCache(const model::Snapshot& snapshot);
  SelectorCache(const SelectorCache&) = delete;
  SelectorCache& operator=(const SelectorCache&) = delete;

  // Compiles `expression`, or returns the id of an identical expression added before.
  Result<SelectorId> Add(std::string_view expression, const CompileOptions& options = {});
  // Adds an already compiled program (not deduplicated).
  SelectorId Add(Program program);

  // The selector's result for `device`, evaluating it only the first time. Allocates nothing
  // on a cached true/false. Requires: valid ids.
  Result<bool> Matches(SelectorId selector, model::DeviceId device, EvalScratch& scratch);

  // The first runtime error any device produced for `selector`, or null.
  const Error* first_error(SelectorId selector) const;
  const Program& program(SelectorId selector) const { return programs_[selector.index()]; }
  size_t num_selectors() const { return programs_.size(); }
  // How many times a selector was actually evaluated (cache misses).
  uint64_t evaluations() const { return evaluations_; }

 private:
  enum State : uint64_t { kUnknown = 0, kTrue = 1, kFalse = 2, kError = 3 };

  const model::Snapshot& snapshot_;
  size_t num_devices_;
  size_t words_per_selector_;
  std::vector<Program> programs_;
  std::vector<uint64_t> states_;  // selector-major, 32 devices per word
  std::vector<std::optional<Error>> first_errors_;
  std::unordered_map<uint64_t, Error> errors_;  // key: selector << 32 | device
  std::unordered_map<std::string, uint32_t> by_expression_;
  uint64_t evaluations_ = 0;
};

}  // namespace tessera::dra::cel

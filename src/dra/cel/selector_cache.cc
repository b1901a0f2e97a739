#include "dra/cel/selector_cache.h"

#include <utility>

#include "base/check.h"

namespace tessera::dra::cel {

SelectorCache::SelectorCache(const model::Snapshot& snapshot)
    : snapshot_(snapshot),
      num_devices_(snapshot.devices().size()),
      words_per_selector_((snapshot.devices().size() + 31) / 32) {}

Result<SelectorId> SelectorCache::Add(std::string_view expression, const CompileOptions& options) {
  auto it = by_expression_.find(std::string(expression));
  if (it != by_expression_.end()) return SelectorId(it->second);
  TESSERA_ASSIGN_OR_RETURN(Program program, Compile(expression, snapshot_, options));
  SelectorId id = Add(std::move(program));
  by_expression_.emplace(std::string(expression), id.value());
  return id;
}

SelectorId SelectorCache::Add(Program program) {
  programs_.push_back(std::move(program));
  states_.resize(states_.size() + words_per_selector_, 0);
  first_errors_.emplace_back();
  return SelectorId::FromIndex(programs_.size() - 1);
}

Result<bool> SelectorCache::Matches(SelectorId selector, model::DeviceId device,
                                    EvalScratch& scratch) {
  TESSERA_DCHECK(selector.index() < programs_.size() && device.index() < num_devices_);
  uint64_t& word = states_[selector.index() * words_per_selector_ + device.index() / 32];
  const unsigned shift = static_cast<unsigned>(device.index() % 32) * 2;
  const uint64_t key = (uint64_t{selector.value()} << 32) | device.value();
  switch ((word >> shift) & 3) {
    case kTrue: return true;
    case kFalse: return false;
    case kError: return errors_.at(key);
    default: break;
  }
  ++evaluations_;
  Result<bool> result = Evaluate(programs_[selector.index()], snapshot_, device, scratch);
  uint64_t state = kError;
  if (result.ok()) {
    state = *result ? kTrue : kFalse;
  } else {
    errors_.emplace(key, result.error());
    std::optional<Error>& first = first_errors_[selector.index()];
    if (!first) first = result.error();
  }
  word |= state << shift;
  return result;
}

const Error* SelectorCache::first_error(SelectorId selector) const {
  const std::optional<Error>& first = first_errors_[selector.index()];
  return first ? &*first : nullptr;
}

}  // namespace tessera::dra::cel

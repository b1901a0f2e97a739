// The evaluator's reusable memory behind EvalScratch. Everything here is cleared, never
// freed, between evaluations. Invariant: pointers handed out by the arena stay valid until
// the next Reset (chunks are never reallocated, only added).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dra/cel/values.h"

namespace tessera::dra::cel::internal {

// A bump allocator over fixed chunks kept across evaluations.
class Arena {
 public:
  static constexpr size_t kChunkBytes = 4096;

  void Reset() {
    chunk_ = 0;
    used_ = 0;
  }
  // Returns `n` writable bytes valid until the next Reset.
  char* Allocate(size_t n) {
    while (chunk_ < chunks_.size()) {
      if (chunks_[chunk_].second - used_ >= n) {
        char* p = chunks_[chunk_].first.get() + used_;
        used_ += n;
        return p;
      }
      ++chunk_;
      used_ = 0;
    }
    size_t size = n > kChunkBytes ? n : kChunkBytes;
    chunks_.emplace_back(std::make_unique<char[]>(size), size);
    chunk_ = chunks_.size() - 1;
    used_ = n;
    return chunks_.back().first.get();
  }
  std::string_view Copy(std::string_view s) {
    char* p = Allocate(s.size());
    if (!s.empty()) std::char_traits<char>::copy(p, s.data(), s.size());
    return {p, s.size()};
  }

 private:
  std::vector<std::pair<std::unique_ptr<char[]>, size_t>> chunks_;
  size_t chunk_ = 0;
  size_t used_ = 0;
};

struct EvalState {
  EvalState() {
    list_pool.reserve(256);
    build_stack.reserve(256);
    slots.reserve(16);
  }
  std::vector<Value> slots;        // comprehension and cel.bind variables
  std::vector<Value> list_pool;    // elements of lists built during this evaluation
  std::vector<Value> build_stack;  // lists under construction (nested LIFO)
  std::vector<std::string> errors;  // messages of error values (error path only)
  Arena arena;
  std::string tmp;  // scratch text (semver normalisation)
  uint64_t cost = 0;
  uint64_t cost_limit = 0;
  bool cost_exceeded = false;
};

}  // namespace tessera::dra::cel::internal

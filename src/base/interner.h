// Interner: maps strings to dense uint32 ids and back, so that the core compares integers
// instead of strings. Used at snapshot-build time only, never in per-node loops.
// Invariant: ids are assigned 0, 1, 2, ... in first-seen order and never change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera {

class Interner {
 public:
  // Returns the id of `s`, adding it if new.
  uint32_t Intern(std::string_view s);
  // Returns the id of `s` if present.
  std::optional<uint32_t> Find(std::string_view s) const;
  const std::string& Name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<std::string> names_;
};

}  // namespace tessera

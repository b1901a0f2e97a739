// Strong integer ids: one type per table (NodeId, PodId, ResourceId, ...), so that an index
// into one table cannot be passed where another is expected. An id is a dense uint32 index;
// kInvalid (all bits set) means "none".
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>

namespace tessera {

template <class Tag>
class StrongId {
 public:
  static constexpr uint32_t kInvalidValue = std::numeric_limits<uint32_t>::max();

  constexpr StrongId() = default;
  constexpr explicit StrongId(uint32_t value) : value_(value) {}
  static constexpr StrongId FromIndex(size_t index) { return StrongId(static_cast<uint32_t>(index)); }
  static constexpr StrongId Invalid() { return StrongId(); }

  constexpr uint32_t value() const { return value_; }
  constexpr size_t index() const { return value_; }
  constexpr bool valid() const { return value_ != kInvalidValue; }

  constexpr auto operator<=>(const StrongId&) const = default;

 private:
  uint32_t value_ = kInvalidValue;
};

}  // namespace tessera

template <class Tag>
struct std::hash<tessera::StrongId<Tag>> {
  size_t operator()(tessera::StrongId<Tag> id) const noexcept {
    return std::hash<uint32_t>()(id.value());
  }
};

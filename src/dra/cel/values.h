// Runtime values of the DRA CEL evaluator and the two Kubernetes CEL libraries they need
// (quantity, semver). A Value is a 32-byte trivially copyable tagged union that never owns
// memory: strings point into the snapshot, the program or the evaluation scratch arena, lists
// index the scratch list pool. Invariant: a Value is only valid during the evaluation that
// produced it (or, for constants, while its Program lives).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::dra::cel {

__extension__ typedef __int128 Int128;

// Quantities are exact integers in nano-units (1 = 10^-9 of the plain unit), like
// k8s.io/apimachinery resource.Quantity's smallest scale. |value| <= kMaxQuantityNanos.
inline constexpr Int128 kNanosPerUnit = 1'000'000'000;
inline constexpr Int128 kMaxQuantityNanos = Int128{INT64_MAX} * kNanosPerUnit;

// Parses a Kubernetes quantity string ("10Gi", "500m", "1.5", "1e3") into nano-units.
// Precision finer than 1n rounds away from zero, as Kubernetes does. Returns nullopt when the
// text is malformed or the magnitude exceeds kMaxQuantityNanos.
std::optional<Int128> ParseQuantityNanos(std::string_view text);

// A parsed strict semver 2.0.0 version; `pre` and `build` point into the parsed text.
struct SemverParts {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::string_view pre;    // without the '-'
  std::string_view build;  // without the '+'
};

// Parses strict semver 2.0.0 ("1.2.3", "1.0.0-rc.1+build.5"). Returns nullopt when invalid.
std::optional<SemverParts> ParseSemver(std::string_view text);

// Normalises a tolerant version ("v1.2", " 01.2.3 ") into strict form the way
// blang/semver ParseTolerant does: trims spaces, drops a leading 'v', drops leading zeros of
// numeric parts and fills missing minor/patch with 0. Returns false when the result is still
// not valid semver. Writes the canonical text to `out`.
bool NormalizeSemver(std::string_view text, std::string& out);

// Semver precedence: -1, 0 or 1. Build metadata is ignored; a pre-release sorts before the
// release; numeric identifiers compare numerically and sort before alphanumeric ones.
int CompareSemver(const SemverParts& a, const SemverParts& b);

enum class ValueKind : uint8_t {
  kError,         // index: into EvalScratch errors
  kNull,
  kBool,          // b
  kInt,           // i
  kString,        // s, len
  kQuantity,      // q
  kSemver,        // s, len: strict semver text
  kList,          // index, len: elements in the scratch list pool (or program constants)
  kDevice,        // the `device` variable
  kAttributes,    // device.attributes: domain -> map
  kCapacity,      // device.capacity: domain -> map
  kAttributeMap,  // device.attributes[domain]: s, len = domain
  kCapacityMap,   // device.capacity[domain]: s, len = domain
  kOptionalNone,  // optional.none()
};

struct Value {
  ValueKind kind = ValueKind::kNull;
  bool is_optional = false;  // optional.of(this value)
  bool is_constant_list = false;  // kList: elements live in the program's constant pool
  uint32_t len = 0;
  union {
    int64_t i;
    bool b;
    const char* s;
    uint32_t index;
    Int128 q;
  };

  Value() : q(0) {}
  static Value Null() { return Value(); }
  static Value Bool(bool v) {
    Value r;
    r.kind = ValueKind::kBool;
    r.b = v;
    return r;
  }
  static Value Int(int64_t v) {
    Value r;
    r.kind = ValueKind::kInt;
    r.i = v;
    return r;
  }
  static Value String(std::string_view v, ValueKind kind = ValueKind::kString) {
    Value r;
    r.kind = kind;
    r.s = v.data();
    r.len = static_cast<uint32_t>(v.size());
    return r;
  }
  static Value Quantity(Int128 nanos) {
    Value r;
    r.kind = ValueKind::kQuantity;
    r.q = nanos;
    return r;
  }
  static Value Of(ValueKind kind) {
    Value r;
    r.kind = kind;
    return r;
  }
  std::string_view str() const { return {s, len}; }
  bool is_error() const { return kind == ValueKind::kError; }
};

// A short name of the value's type for error messages ("string", "int", "map", ...).
std::string_view KindName(ValueKind kind);

}  // namespace tessera::dra::cel

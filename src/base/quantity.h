// Quantity: an exact amount of one resource as an int64 in that resource's own unit
// (millicores for cpu, bytes for memory, milli-devices for GPU shares, whole units for pods).
// Kubernetes quantity strings ("500m", "1.5Gi", "1e3") are parsed straight into that
// integer without floating point. Invariant: no arithmetic here silently overflows; sums of
// input values are checked with CheckedAdd at ingest.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tessera {

class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(int64_t value) : value_(value) {}

  constexpr int64_t value() const { return value_; }

  // Only for importing traces that carry floating-point numbers: rounds to nearest.
  static Quantity FromDoubleRounded(double value);

  constexpr Quantity operator+(Quantity o) const { return Quantity(value_ + o.value_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(value_ - o.value_); }
  constexpr Quantity& operator+=(Quantity o) {
    value_ += o.value_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    value_ -= o.value_;
    return *this;
  }
  constexpr auto operator<=>(const Quantity&) const = default;

 private:
  int64_t value_ = 0;
};

// a + b, or an error naming the overflow.
Result<Quantity> CheckedAdd(Quantity a, Quantity b);

// The format a quantity was written in; Kubernetes keeps it for canonical output.
enum class QuantityFormat : uint8_t {
  kDecimalSI,        // plain numbers and m, k, M, G, T, P, E
  kBinarySI,         // Ki, Mi, Gi, Ti, Pi, Ei
  kDecimalExponent,  // 1e3, 1E3
};

// The unit a resource is counted in, as a power of ten of the plain Kubernetes unit:
// 0 counts whole units (bytes, pods, devices); -3 counts thousandths (millicores, milli-GPU).
struct QuantityUnit {
  int exponent = 0;

  static constexpr QuantityUnit Whole() { return {0}; }
  static constexpr QuantityUnit Milli() { return {-3}; }
};

struct ParsedQuantity {
  Quantity amount;
  QuantityFormat format = QuantityFormat::kDecimalSI;
};

// Parses a Kubernetes quantity string into `unit`. Accepts an optional sign, digits with an
// optional fraction (".5", "5.", "1.25"), then one suffix: decimal SI (m, k, M, G, T, P, E),
// binary SI (Ki, Mi, Gi, Ti, Pi, Ei) or an exponent (e3, E-2, e+3). Errors (message only; the
// caller adds file/object/field): empty or malformed text, precision finer than the unit
// ("0.1m" for cpu: "has precision finer than 1m"), or a value that does not fit int64.
Result<ParsedQuantity> ParseQuantityWithFormat(std::string_view text, QuantityUnit unit);
Result<Quantity> ParseQuantity(std::string_view text, QuantityUnit unit);

// Canonical Kubernetes text for `amount` in `unit`: the largest suffix of `format` that keeps
// the mantissa an integer ("1500m", "2", "1Gi", "1536Mi", "1G"), following
// k8s.io/apimachinery Quantity.String(); binary values under 1024 print in decimal.
std::string FormatQuantity(Quantity amount, QuantityUnit unit,
                           QuantityFormat format = QuantityFormat::kDecimalSI);

}  // namespace tessera

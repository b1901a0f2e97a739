// Fuzz target for Kubernetes quantity parsing. Parses arbitrary bytes as whole units and as
// milli-units; any accepted value must print in every format and parse back to itself, and the
// two units must agree with each other. Crashes, hangs and failed checks are bugs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/check.h"
#include "base/quantity.h"

namespace {

using tessera::FormatQuantity;
using tessera::ParsedQuantity;
using tessera::ParseQuantity;
using tessera::ParseQuantityWithFormat;
using tessera::Quantity;
using tessera::QuantityFormat;
using tessera::QuantityUnit;
using tessera::Result;

constexpr QuantityFormat kFormats[] = {QuantityFormat::kDecimalSI, QuantityFormat::kBinarySI,
                                       QuantityFormat::kDecimalExponent};

void CheckRoundTrips(std::string_view input, Quantity amount, QuantityUnit unit) {
  for (QuantityFormat format : kFormats) {
    const std::string text = FormatQuantity(amount, unit, format);
    Result<Quantity> back = ParseQuantity(text, unit);
    TESSERA_CHECK(back.ok()) << "input " << input.size() << " bytes, value " << amount.value()
                             << " formatted as \"" << text
                             << "\" does not parse: " << back.error().message();
    TESSERA_CHECK(back->value() == amount.value())
        << "value " << amount.value() << " formatted as \"" << text << "\" parses as "
        << back->value();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<ParsedQuantity> whole = ParseQuantityWithFormat(input, QuantityUnit::Whole());
  Result<ParsedQuantity> milli = ParseQuantityWithFormat(input, QuantityUnit::Milli());

  if (whole.ok()) CheckRoundTrips(input, whole->amount, QuantityUnit::Whole());
  if (milli.ok()) CheckRoundTrips(input, milli->amount, QuantityUnit::Milli());

  // The same text in two units: whole units are exactly the milli-units divided by 1000.
  if (whole.ok() && milli.ok()) {
    const int64_t w = whole->amount.value();
    const int64_t m = milli->amount.value();
    TESSERA_CHECK(m % 1000 == 0 && m / 1000 == w) << "whole " << w << " vs milli " << m;
    TESSERA_CHECK(whole->format == milli->format) << "formats differ";
  }
  if (whole.ok() && !milli.ok()) {
    // Only overflow can stop a whole number from being a number of milli-units.
    int64_t product = 0;
    TESSERA_CHECK(__builtin_mul_overflow(whole->amount.value(), int64_t{1000}, &product))
        << "whole " << whole->amount.value() << " fits as milli, but: " << milli.error().message();
  }
  if (milli.ok() && !whole.ok()) {
    // A milli value rejected as whole units must be a fraction of a unit.
    TESSERA_CHECK(milli->amount.value() % 1000 != 0)
        << "milli " << milli->amount.value() << " rejected as whole: " << whole.error().message();
  }
  return 0;
}

#include "base/quantity.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "base/check.h"
#include "base/quote.h"

namespace tessera {
namespace {

// Exponents ("1e<n>") beyond this magnitude are saturated while being read: any non-zero
// mantissa then overflows or is finer than the unit, so the exact value no longer matters,
// and the saturation keeps every later sum far from int64 overflow.
constexpr int64_t kExponentCap = 1'000'000'000'000'000;  // 1e15

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decimal SI suffixes by exponent / 3 + 3: n (-9) up to E (18).
constexpr std::string_view kDecimalSuffixes[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
constexpr int kSmallestDecimalSuffixExponent = -9;
constexpr int kLargestDecimalSuffixExponent = 18;

// Binary SI suffixes by power of 1024: "" (1) up to Ei (2^60).
constexpr std::string_view kBinarySuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

// The suffix for 10^exponent, or nullopt if decimal SI has none.
std::optional<std::string_view> DecimalSuffix(int64_t exponent) {
  if (exponent < kSmallestDecimalSuffixExponent || exponent > kLargestDecimalSuffixExponent ||
      exponent % 3 != 0) {
    return std::nullopt;
  }
  return kDecimalSuffixes[(exponent - kSmallestDecimalSuffixExponent) / 3];
}

// How a unit reads in messages: "1m" for milli, "1" for whole units, "1e-2" otherwise.
std::string UnitName(QuantityUnit unit) {
  if (auto suffix = DecimalSuffix(unit.exponent)) return "1" + std::string(*suffix);
  return "1e" + std::to_string(unit.exponent);
}

// A parsed suffix: the value is multiplied by 10^exp10 * 2^exp2.
struct SuffixValue {
  int64_t exp10 = 0;
  int exp2 = 0;
  QuantityFormat format = QuantityFormat::kDecimalSI;
};

// Looks `suffix` up among the fixed SI suffixes.
std::optional<SuffixValue> LookupSiSuffix(std::string_view suffix) {
  for (int i = 0; i < static_cast<int>(std::size(kDecimalSuffixes)); ++i) {
    if (suffix == kDecimalSuffixes[i]) {
      return SuffixValue{kSmallestDecimalSuffixExponent + 3 * i, 0, QuantityFormat::kDecimalSI};
    }
  }
  for (int i = 1; i < static_cast<int>(std::size(kBinarySuffixes)); ++i) {
    if (suffix == kBinarySuffixes[i]) return SuffixValue{0, 10 * i, QuantityFormat::kBinarySI};
  }
  return std::nullopt;
}

// Reads the signed integer after "e"/"E" ("3", "-2", "+03"), saturated at ±kExponentCap, or
// nullopt if it is not [+-]?[0-9]+. Linear in the length of `text`.
std::optional<int64_t> ParseExponent(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    if (value < kExponentCap) value = value * 10 + (c - '0');
  }
  if (value > kExponentCap) value = kExponentCap;
  return negative ? -value : value;
}

// The significant digits of a number written as `int_part`.`frac_part`, without copying: the
// concatenation, with leading zeros removed by the caller.
class Digits {
 public:
  Digits(std::string_view int_part, std::string_view frac_part)
      : int_part_(int_part), frac_part_(frac_part) {}
  size_t size() const { return int_part_.size() + frac_part_.size(); }
  int operator[](size_t i) const {
    const char c = i < int_part_.size() ? int_part_[i] : frac_part_[i - int_part_.size()];
    return c - '0';
  }

 private:
  std::string_view int_part_;
  std::string_view frac_part_;
};

// Compares D * 10^shift with `limit`, where D is `digits` read as an integer with no leading
// zero. Returns <0, 0 or >0. Cost: O(digits) at worst, independent of `shift`.
int CompareScaled(const Digits& digits, int64_t shift, uint64_t limit) {
  const std::string limit_text = std::to_string(limit);
  const auto length = static_cast<int64_t>(digits.size());
  const auto limit_length = static_cast<int64_t>(limit_text.size());
  // Both numbers have no leading zero, so more digits before the point means larger.
  const int64_t integer_digits = length + shift;
  if (integer_digits != limit_length) return integer_digits > limit_length ? 1 : -1;
  const size_t n = digits.size() > limit_text.size() ? digits.size() : limit_text.size();
  for (size_t i = 0; i < n; ++i) {
    const int a = i < digits.size() ? digits[i] : 0;
    const int b = i < limit_text.size() ? limit_text[i] - '0' : 0;
    if (a != b) return a < b ? -1 : 1;
  }
  return 0;
}

}  // namespace

Quantity Quantity::FromDoubleRounded(double value) {
  // NaN is a bug in the importer (it must reject such records); infinities and finite values
  // beyond int64 saturate. Halves round away from zero (std::llround).
  TESSERA_CHECK(!std::isnan(value)) << "Quantity::FromDoubleRounded called with NaN";
  constexpr double kTwoPow63 = 9223372036854775808.0;
  if (value >= kTwoPow63) return Quantity(std::numeric_limits<int64_t>::max());
  if (value < -kTwoPow63) return Quantity(std::numeric_limits<int64_t>::min());
  return Quantity(static_cast<int64_t>(std::llround(value)));
}

Result<Quantity> CheckedAdd(Quantity a, Quantity b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a.value(), b.value(), &sum)) {
    return InvalidArgument("quantity overflow: " + std::to_string(a.value()) + " + " +
                           std::to_string(b.value()) + " exceeds int64");
  }
  return Quantity(sum);
}

// Parsing works on the exact decimal text. The number is D * 10^shift * 2^exp2 units, where D
// is the string of significant digits (no leading or trailing zeros), shift collects the
// suffix exponent, the fraction length and the unit, and exp2 is 10 * k for a binary suffix.
// 1. Overflow: compare D * 10^shift with 2^(63 - exp2) as decimal strings, O(len(D)).
// 2. Precision: if shift = -k < 0 the value is an integer only if 10^k divides D * 2^exp2.
//    D has no trailing zero, so it cannot hold both a 2 and a 5; hence k <= exp2 <= 60 and
//    5^k must divide D. Step 1 bounds D below 2^63 * 10^60, so this is a short division.
// Example: "1.5Gi" as bytes: D = 15, shift = -1, exp2 = 30. 15 * 10^-1 < 2^33, so no
// overflow; k = 1 <= 30 and 15 / 5 = 3, so the value is 3 * 2^(30 - 1) = 1610612736.
// "0.3Ki": D = 3, shift = -1, exp2 = 10; 5 does not divide 3, so it is finer than a byte.
Result<ParsedQuantity> ParseQuantityWithFormat(std::string_view text, QuantityUnit unit) {
  auto malformed = [text](const std::string& why) {
    return InvalidArgument(Quote(text) + " is not a valid quantity: " + why);
  };
  if (text.empty()) return malformed("empty string");

  size_t pos = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    pos = 1;
  }
  const size_t int_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  std::string_view int_part = text.substr(int_begin, pos - int_begin);
  std::string_view frac_part;
  if (pos < text.size() && text[pos] == '.') {
    const size_t frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    frac_part = text.substr(frac_begin, pos - frac_begin);
  }
  const std::string_view suffix = text.substr(pos);

  if (int_part.empty() && frac_part.empty()) {
    if (!suffix.empty() && (suffix[0] == '+' || suffix[0] == '-')) {
      return malformed("more than one sign");
    }
    if (suffix.empty()) return malformed("no digits");
    return malformed("no digits before " + Quote(suffix));
  }

  SuffixValue scale;
  if (auto si = LookupSiSuffix(suffix)) {
    scale = *si;
  } else if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    auto exponent = ParseExponent(suffix.substr(1));
    if (!exponent) return malformed("malformed exponent " + Quote(suffix));
    scale = SuffixValue{*exponent, 0, QuantityFormat::kDecimalExponent};
  } else {
    return malformed("unknown suffix " + Quote(suffix));
  }

  // value = (int_part frac_part) * 10^(exp10 - len(frac_part)) * 2^exp2. Strip zeros that do
  // not change it.
  int64_t shift = scale.exp10 - static_cast<int64_t>(frac_part.size());
  while (!frac_part.empty() && frac_part.back() == '0') {
    frac_part.remove_suffix(1);
    ++shift;
  }
  if (frac_part.empty()) {
    while (!int_part.empty() && int_part.back() == '0') {
      int_part.remove_suffix(1);
      ++shift;
    }
  }
  while (!int_part.empty() && int_part.front() == '0') int_part.remove_prefix(1);
  if (int_part.empty()) {
    while (!frac_part.empty() && frac_part.front() == '0') frac_part.remove_prefix(1);
  }
  if (int_part.empty() && frac_part.empty()) return ParsedQuantity{Quantity(0), scale.format};

  const Digits digits(int_part, frac_part);
  shift -= unit.exponent;
  const int exp2 = scale.exp2;

  // 1. Overflow. int64 holds magnitudes up to 2^63 - 1, or 2^63 when negative.
  const uint64_t limit = uint64_t{1} << (63 - exp2);
  const int cmp = CompareScaled(digits, shift, limit);
  if (negative ? cmp > 0 : cmp >= 0) {
    return InvalidArgument(Quote(text) + " overflows int64 in units of " + UnitName(unit));
  }

  // 2. Precision, and the magnitude itself.
  uint64_t magnitude = 0;
  if (shift >= 0) {
    // D * 10^shift <= 2^(63 - exp2): at most 19 digits.
    for (size_t i = 0; i < digits.size(); ++i) {
      magnitude = magnitude * 10 + static_cast<uint64_t>(digits[i]);
    }
    for (int64_t i = 0; i < shift; ++i) magnitude *= 10;
    magnitude <<= exp2;
  } else {
    const int64_t k = -shift;
    if (k > exp2) {
      return InvalidArgument(Quote(text) + " has precision finer than " + UnitName(unit));
    }
    // D < 2^63 * 10^60 here, so it has at most 80 digits.
    TESSERA_CHECK(digits.size() <= 80) << "digits: " << digits.size();
    std::string d(digits.size(), '0');
    for (size_t i = 0; i < digits.size(); ++i) d[i] = static_cast<char>('0' + digits[i]);
    for (int64_t step = 0; step < k; ++step) {
      int remainder = 0;
      for (char& c : d) {
        const int current = remainder * 10 + (c - '0');
        c = static_cast<char>('0' + current / 5);
        remainder = current % 5;
      }
      if (remainder != 0) {
        return InvalidArgument(Quote(text) + " has precision finer than " + UnitName(unit));
      }
    }
    // d = D / 5^k = value / 2^(exp2 - k) <= 2^63.
    for (char c : d) {
      TESSERA_CHECK(magnitude <= (std::numeric_limits<uint64_t>::max() - 9) / 10)
          << "quotient too large for " << Quote(text);
      magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
    }
    magnitude <<= (exp2 - k);
  }
  // Two's complement conversion is defined in C++20; 2^63 becomes INT64_MIN when negative.
  const auto value =
      negative ? static_cast<int64_t>(uint64_t{0} - magnitude) : static_cast<int64_t>(magnitude);
  return ParsedQuantity{Quantity(value), scale.format};
}

Result<Quantity> ParseQuantity(std::string_view text, QuantityUnit unit) {
  TESSERA_ASSIGN_OR_RETURN(ParsedQuantity parsed, ParseQuantityWithFormat(text, unit));
  return parsed.amount;
}

// Canonical text, as k8s.io/apimachinery Quantity.CanonicalizeBytes prints it:
// - Zero is "0" in every format.
// - DecimalSI: strip trailing zeros into the exponent, lower the exponent to a multiple of
//   three by padding the mantissa with zeros, then write the suffix for it: milli 1500 ->
//   "1500m", milli 2000 -> "2", bytes 1500000 -> "1500k", bytes 10^9 -> "1G". Exponents
//   beyond n..E (only reachable with unusual units) fall back to exponent notation, as
//   current Kubernetes does ("1e21").
// - DecimalExponent: the same mantissa and exponent written as "<m>e<exp>", omitting "e0":
//   bytes 1000 -> "1e3", bytes 1500 -> "1500", milli 80 -> "80e-3", bytes 3*10^8 -> "300e6".
// - BinarySI: if the value is a whole number of plain units and its magnitude is at least
//   1024, divide out 1024 while it divides evenly (up to Ei): 1024 -> "1Ki", 1536 ->
//   "1536", 1.5 * 2^30 -> "1536Mi". Otherwise (|value| < 1024, or a fraction of a plain unit
//   such as 1536 millibytes) fall back to DecimalSI: 1000 -> "1k", milli 1536 -> "1536m".
// Negative values print the magnitude's text after "-".
std::string FormatQuantity(Quantity amount, QuantityUnit unit, QuantityFormat format) {
  const int64_t value = amount.value();
  if (value == 0) return "0";
  const std::string sign = value < 0 ? "-" : "";
  // |INT64_MIN| = 2^63 fits in uint64.
  uint64_t magnitude =
      value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);

  if (format == QuantityFormat::kBinarySI) {
    // The magnitude in plain units, if it is a whole number that fits in uint64.
    std::optional<uint64_t> whole = magnitude;
    for (int i = 0; whole && i < unit.exponent; ++i) {
      if (*whole > std::numeric_limits<uint64_t>::max() / 10) {
        whole.reset();  // Too large for the binary path; DecimalSI prints it exactly.
      } else {
        *whole *= 10;
      }
    }
    for (int i = 0; whole && i < -unit.exponent; ++i) {
      if (*whole % 10 != 0) {
        whole.reset();
      } else {
        *whole /= 10;
      }
    }
    if (whole && *whole >= 1024) {
      uint64_t mantissa = *whole;
      size_t power = 0;
      while (power + 1 < std::size(kBinarySuffixes) && mantissa % 1024 == 0) {
        mantissa /= 1024;
        ++power;
      }
      return sign + std::to_string(mantissa) + std::string(kBinarySuffixes[power]);
    }
    format = QuantityFormat::kDecimalSI;
  }

  int64_t exponent = unit.exponent;
  while (magnitude % 10 == 0) {
    magnitude /= 10;
    ++exponent;
  }
  // Round the exponent down to a multiple of three (towards -infinity for negatives).
  int64_t exponent3 = exponent / 3 * 3;
  if (exponent3 > exponent) exponent3 -= 3;
  std::string mantissa = std::to_string(magnitude);
  mantissa.append(static_cast<size_t>(exponent - exponent3), '0');

  if (format == QuantityFormat::kDecimalSI) {
    if (auto suffix = DecimalSuffix(exponent3)) return sign + mantissa + std::string(*suffix);
  }
  if (exponent3 == 0) return sign + mantissa;
  return sign + mantissa + "e" + std::to_string(exponent3);
}

}  // namespace tessera

#include "base/quantity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr QuantityUnit kWhole = QuantityUnit::Whole();
constexpr QuantityUnit kMilli = QuantityUnit::Milli();

constexpr QuantityFormat kAllFormats[] = {QuantityFormat::kDecimalSI, QuantityFormat::kBinarySI,
                                          QuantityFormat::kDecimalExponent};

// One parse case: either `value` is set and parsing must give it, or `error` is a substring
// the error message must contain.
struct ParseCase {
  std::string_view text;
  QuantityUnit unit;
  std::optional<int64_t> value;
  std::string_view error = "";
};

ParseCase Ok(std::string_view text, QuantityUnit unit, int64_t value) {
  return {text, unit, value, ""};
}
ParseCase Err(std::string_view text, QuantityUnit unit, std::string_view error) {
  return {text, unit, std::nullopt, error};
}

constexpr std::string_view kFiner = "has precision finer than";
constexpr std::string_view kOverflows = "overflows int64";
constexpr std::string_view kUnknownSuffix = "unknown suffix";

const std::vector<ParseCase>& ParseCases() {
  static const std::vector<ParseCase> cases = {
      // Plain numbers and signs.
      Ok("1", kWhole, 1),
      Ok("1", kMilli, 1000),
      Ok("-1", kMilli, -1000),
      Ok("+1", kWhole, 1),
      Ok("0", kWhole, 0),
      Ok("-0", kMilli, 0),
      Ok("00000123", kWhole, 123),
      Ok("123e0", kWhole, 123),
      // Fractions.
      Ok(".5", kMilli, 500),
      Ok("5.", kWhole, 5),
      Ok("1.", kWhole, 1),
      Ok("1.000", kWhole, 1),
      Ok("0.5", kMilli, 500),
      Ok("500m", kMilli, 500),
      Ok("1000m", kWhole, 1),
      Ok("1.e3", kWhole, 1000),
      Err("1.5", kWhole, "\"1.5\" has precision finer than 1"),
      Err("0.5", kWhole, kFiner),
      Err("1m", kWhole, kFiner),
      Err("0.1m", kMilli, "\"0.1m\" has precision finer than 1m"),
      Err("0.0001", kMilli, kFiner),
      Err("1.0005k", kWhole, kFiner),
      Err("12345678901234567890123e-20", kMilli, kFiner),
      // Decimal exponents.
      Ok("1E3", kWhole, 1000),
      Ok("1e3", kWhole, 1000),
      Ok("1e03", kWhole, 1000),
      Ok("2e+3", kWhole, 2000),
      Ok("1E-2", kMilli, 10),
      Ok("1e-3", kMilli, 1),
      Err("1e-4", kMilli, kFiner),
      Err("1e400", kWhole, kOverflows),
      Err("1e-400", kMilli, kFiner),
      Ok("0e999999999", kWhole, 0),
      Err("1e999999999", kWhole, kOverflows),
      Err("1e-999999999999999999999999", kWhole, kFiner),
      // Decimal SI suffixes, including n and u, which Kubernetes also accepts.
      Ok("1k", kWhole, 1000),
      Ok("1.5k", kWhole, 1500),
      Ok("100M", kWhole, 100000000),
      Ok("1000u", kMilli, 1),
      Ok("1000000n", kMilli, 1),
      Err("1u", kMilli, kFiner),
      // Binary SI suffixes and fractions of them.
      Ok("100Mi", kWhole, 104857600),
      Ok("1Mi", kWhole, 1048576),
      Ok("16Gi", kWhole, 17179869184),
      Ok("1.5Gi", kWhole, 1610612736),
      Ok("1.50Gi", kWhole, 1610612736),
      Ok("-1.5Gi", kWhole, -1610612736),
      Ok("0.5Ki", kWhole, 512),
      Err("0.3Ki", kWhole, kFiner),
      Ok("0.0009765625Ki", kWhole, 1),         // 1/1024 Ki
      Err("0.00048828125Ki", kWhole, kFiner),  // 1/2048 Ki
      Err("0.000000001Ei", kWhole, kFiner),
      Ok("1Ki", kMilli, 1024000),
      Ok("0.001Ki", kMilli, 1024),
      Ok("1.5Ei", kWhole, 1729382256910270464),
      // Limits of int64.
      Ok("9223372036854775807", kWhole, kMax),
      Err("9223372036854775808", kWhole, kOverflows),
      Ok("-9223372036854775808", kWhole, kMin),
      Err("-9223372036854775809", kWhole, kOverflows),
      Ok("9223372036854775807000m", kWhole, kMax),
      Ok("9223372036854775.807", kMilli, kMax),
      Ok("7Ei", kWhole, 8070450532247928832),
      Err("8Ei", kWhole, kOverflows),
      Ok("-8Ei", kWhole, kMin),
      Err("1Ei", kMilli, kOverflows),
      Ok("9E", kWhole, 9000000000000000000),  // 9e18 < 2^63 - 1 (about 9.22e18)
      Err("9E", kMilli, kOverflows),
      Err("10E", kWhole, kOverflows),
      // Malformed text.
      Err("", kWhole, "empty string"),
      Err("-", kWhole, "no digits"),
      Err("+", kWhole, "no digits"),
      Err(".", kWhole, "no digits"),
      Err("Gi", kWhole, "no digits before \"Gi\""),
      Err(" 1", kWhole, "no digits before"),
      Err("1 ", kWhole, kUnknownSuffix),
      Err("1 Gi", kWhole, "unknown suffix \" Gi\""),
      Err("1gi", kWhole, kUnknownSuffix),
      Err("1KI", kWhole, kUnknownSuffix),
      Err("1K", kWhole, kUnknownSuffix),
      Err("1i", kWhole, kUnknownSuffix),
      Err("1.2.3", kWhole, "unknown suffix \".3\""),
      Err("1.5x", kWhole, "unknown suffix \"x\""),
      Err("0x10", kWhole, kUnknownSuffix),
      Err("--1", kWhole, "more than one sign"),
      Err("+-1", kWhole, "more than one sign"),
      Err("1e", kWhole, "unknown suffix \"e\""),
      Err("1e+", kWhole, "malformed exponent \"e+\""),
      Err("1e--3", kWhole, "malformed exponent"),
      Err("1E3m", kWhole, "malformed exponent \"E3m\""),
      Err("5e-1Ki", kWhole, "malformed exponent"),
  };
  return cases;
}

std::string UnitLabel(QuantityUnit unit) { return "unit 10^" + std::to_string(unit.exponent); }

TEST(QuantityTest, ParsesOrRejectsEveryTableCase) {
  for (const ParseCase& c : ParseCases()) {
    SCOPED_TRACE("\"" + std::string(c.text) + "\" in " + UnitLabel(c.unit));
    Result<Quantity> got = ParseQuantity(c.text, c.unit);
    if (c.value.has_value()) {
      ASSERT_TRUE(got.ok()) << got.error().message();
      EXPECT_EQ(got->value(), *c.value);
    } else {
      ASSERT_FALSE(got.ok()) << "parsed as " << got->value();
      EXPECT_EQ(got.error().code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(got.error().message().find(c.error), std::string::npos)
          << "message: " << got.error().message() << "\nwanted: " << c.error;
    }
  }
  EXPECT_GE(ParseCases().size(), 50u);
}

TEST(QuantityTest, FormatsEveryAcceptedTableCaseSoThatItParsesBack) {
  for (const ParseCase& c : ParseCases()) {
    if (!c.value.has_value()) continue;
    for (QuantityFormat format : kAllFormats) {
      const std::string text = FormatQuantity(Quantity(*c.value), c.unit, format);
      SCOPED_TRACE("\"" + std::string(c.text) + "\" formatted as \"" + text + "\" in " +
                   UnitLabel(c.unit));
      Result<Quantity> back = ParseQuantity(text, c.unit);
      ASSERT_TRUE(back.ok()) << back.error().message();
      EXPECT_EQ(back->value(), *c.value);
    }
  }
}

TEST(QuantityTest, FormatsInterestingValuesSoThatTheyParseBack) {
  std::vector<int64_t> values = {kMax, kMin, kMax - 1, kMin + 1, 999, 1000, 1001, 1023, 1024};
  for (int shift = 0; shift < 63; ++shift) values.push_back(int64_t{1} << shift);
  for (int64_t p = 1; p <= kMax / 10; p *= 10) {
    values.push_back(p);
    values.push_back(p * 3);
    values.push_back(p + 1);
  }
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) {
    if (values[i] != kMin) values.push_back(-values[i]);
  }
  for (QuantityUnit unit : {kWhole, kMilli}) {
    for (QuantityFormat format : kAllFormats) {
      for (int64_t v : values) {
        const std::string text = FormatQuantity(Quantity(v), unit, format);
        Result<ParsedQuantity> back = ParseQuantityWithFormat(text, unit);
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message();
        EXPECT_EQ(back->amount.value(), v) << text;
      }
    }
  }
}

struct FormatCase {
  int64_t value;
  QuantityUnit unit;
  QuantityFormat format;
  std::string_view expected;
};

TEST(QuantityTest, FormatsCanonicalKubernetesText) {
  constexpr auto kDec = QuantityFormat::kDecimalSI;
  constexpr auto kBin = QuantityFormat::kBinarySI;
  constexpr auto kExp = QuantityFormat::kDecimalExponent;
  const FormatCase cases[] = {
      {1500, kMilli, kDec, "1500m"},
      {2000, kMilli, kDec, "2"},
      {0, kMilli, kDec, "0"},
      {1, kMilli, kDec, "1m"},
      {10, kMilli, kDec, "10m"},
      {-1000, kMilli, kDec, "-1"},
      {100, kWhole, kDec, "100"},
      {1000, kWhole, kDec, "1k"},
      {1500000, kWhole, kDec, "1500k"},
      {1000000000, kWhole, kDec, "1G"},
      {9000000000000000000, kWhole, kDec, "9E"},
      {kMax, kWhole, kDec, "9223372036854775807"},
      {kMin, kWhole, kDec, "-9223372036854775808"},
      {kMin, kMilli, kDec, "-9223372036854775808m"},
      {1073741824, kWhole, kBin, "1Gi"},
      {1610612736, kWhole, kBin, "1536Mi"},
      {1024, kWhole, kBin, "1Ki"},
      {-1024, kWhole, kBin, "-1Ki"},
      {1536, kWhole, kBin, "1536"},
      {1023, kWhole, kBin, "1023"},
      {1000, kWhole, kBin, "1k"},  // under 1024: decimal, as Kubernetes does
      {0, kWhole, kBin, "0"},
      {kMin, kWhole, kBin, "-8Ei"},
      {1024000, kMilli, kBin, "1Ki"},
      {1536, kMilli, kBin, "1536m"},        // 1.536 bytes: not whole, so decimal
      {1048576, kMilli, kBin, "1048576m"},  // Kubernetes TestMilliNewSet
      {500, kMilli, kBin, "500m"},
      {1000, kWhole, kExp, "1e3"},
      {1500, kWhole, kExp, "1500"},
      {300000000, kWhole, kExp, "300e6"},
      {1, kWhole, kExp, "1"},
      {80, kMilli, kExp, "80e-3"},
      {1000000, kMilli, kExp, "1e3"},
      {0, kMilli, kExp, "0"},
      {-1500, kMilli, kExp, "-1500e-3"},
  };
  for (const FormatCase& c : cases) {
    EXPECT_EQ(FormatQuantity(Quantity(c.value), c.unit, c.format), c.expected)
        << c.value << " in " << UnitLabel(c.unit) << ", format " << static_cast<int>(c.format);
  }
}

TEST(QuantityTest, FormatsDecimalSiByDefault) {
  EXPECT_EQ(FormatQuantity(Quantity(2000), kMilli), "2");
}

TEST(QuantityTest, ReportsTheFormatTheTextWasWrittenIn) {
  struct {
    std::string_view text;
    QuantityFormat format;
  } cases[] = {
      {"1", QuantityFormat::kDecimalSI},
      {"1E", QuantityFormat::kDecimalSI},
      {"5000m", QuantityFormat::kDecimalSI},
      {"1Gi", QuantityFormat::kBinarySI},
      {"0Ki", QuantityFormat::kBinarySI},
      {"1e3", QuantityFormat::kDecimalExponent},
      {"1000E-3", QuantityFormat::kDecimalExponent},
  };
  for (const auto& c : cases) {
    Result<ParsedQuantity> got = ParseQuantityWithFormat(c.text, kWhole);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.error().message();
    EXPECT_EQ(got->format, c.format) << c.text;
  }
}

TEST(QuantityTest, RejectsPrecisionFinerThanUnit) {
  Result<Quantity> cpu = ParseQuantity("0.1m", kMilli);
  ASSERT_FALSE(cpu.ok());
  EXPECT_EQ(cpu.error().message(), "\"0.1m\" has precision finer than 1m");

  Result<Quantity> pods = ParseQuantity("0.5", kWhole);
  ASSERT_FALSE(pods.ok());
  EXPECT_EQ(pods.error().message(), "\"0.5\" has precision finer than 1");

  // 0.3 KiB is 307.2 bytes.
  EXPECT_FALSE(ParseQuantity("0.3Ki", kWhole).ok());
}

TEST(QuantityTest, NamesTheUnknownSuffixInItsMessage) {
  Result<Quantity> got = ParseQuantity("1.5x", kWhole);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(got.error().message(), "\"1.5x\" is not a valid quantity: unknown suffix \"x\"");
}

TEST(QuantityTest, NamesTheUnitWhenAValueOverflows) {
  Result<Quantity> got = ParseQuantity("10E", kWhole);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message(), "\"10E\" overflows int64 in units of 1");
  Result<Quantity> milli = ParseQuantity("9E", kMilli);
  ASSERT_FALSE(milli.ok());
  EXPECT_EQ(milli.error().message(), "\"9E\" overflows int64 in units of 1m");
}

TEST(QuantityTest, EscapesUnprintableBytesInMessages) {
  Result<Quantity> got = ParseQuantity(std::string_view("1\x01\"", 3), kWhole);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message(),
            "\"1\\x01\\\"\" is not a valid quantity: unknown suffix \"\\x01\\\"\"");
}

TEST(QuantityTest, HandlesMegabyteInputsQuicklyAndKeepsMessagesShort) {
  constexpr size_t kFiveMb = 5 * 1024 * 1024;
  const std::string zeros(kFiveMb, '0');

  Result<Quantity> huge = ParseQuantity("1" + zeros, kWhole);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("overflows"), std::string::npos);
  EXPECT_LT(huge.error().message().size(), 200u);

  EXPECT_EQ(ParseQuantity(zeros + "1", kWhole)->value(), 1);
  EXPECT_EQ(ParseQuantity("1." + zeros, kWhole)->value(), 1);
  EXPECT_EQ(ParseQuantity("1" + zeros + "e-" + std::to_string(kFiveMb), kWhole)->value(), 1);

  Result<Quantity> tiny = ParseQuantity("0." + zeros + "1", kMilli);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().message().find("finer"), std::string::npos);

  Result<Quantity> long_exponent = ParseQuantity("1e" + std::string(kFiveMb, '9'), kWhole);
  ASSERT_FALSE(long_exponent.ok());
  EXPECT_NE(long_exponent.error().message().find("overflows"), std::string::npos);
  EXPECT_EQ(ParseQuantity("0e" + std::string(kFiveMb, '9'), kWhole)->value(), 0);

  Result<Quantity> fraction = ParseQuantity(std::string(kFiveMb, '7') + ".5", kMilli);
  ASSERT_FALSE(fraction.ok());
  EXPECT_NE(fraction.error().message().find("overflows"), std::string::npos);
}

TEST(QuantityTest, FromDoubleRoundedRoundsToNearestAndHalvesAwayFromZero) {
  EXPECT_EQ(Quantity::FromDoubleRounded(1.4).value(), 1);
  EXPECT_EQ(Quantity::FromDoubleRounded(1.5).value(), 2);
  EXPECT_EQ(Quantity::FromDoubleRounded(2.5).value(), 3);
  EXPECT_EQ(Quantity::FromDoubleRounded(-1.5).value(), -2);
  EXPECT_EQ(Quantity::FromDoubleRounded(-0.4).value(), 0);
  EXPECT_EQ(Quantity::FromDoubleRounded(499.9999).value(), 500);
}

TEST(QuantityTest, FromDoubleRoundedSaturatesOutOfRangeValues) {
  EXPECT_EQ(Quantity::FromDoubleRounded(1e300).value(), kMax);
  EXPECT_EQ(Quantity::FromDoubleRounded(-1e300).value(), kMin);
  EXPECT_EQ(Quantity::FromDoubleRounded(std::numeric_limits<double>::infinity()).value(), kMax);
  EXPECT_EQ(Quantity::FromDoubleRounded(-std::numeric_limits<double>::infinity()).value(), kMin);
  EXPECT_EQ(Quantity::FromDoubleRounded(9223372036854775808.0).value(), kMax);
  EXPECT_EQ(Quantity::FromDoubleRounded(-9223372036854775808.0).value(), kMin);
}

TEST(QuantityDeathTest, FromDoubleRoundedAbortsOnNan) {
  EXPECT_DEATH((void)Quantity::FromDoubleRounded(std::nan("")), "NaN");
}

TEST(QuantityTest, CheckedAddReturnsTheSumWhenItFits) {
  Result<Quantity> sum = CheckedAdd(Quantity(1500), Quantity(500));
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->value(), 2000);
  EXPECT_EQ(CheckedAdd(Quantity(kMax), Quantity(kMin))->value(), -1);
}

TEST(QuantityTest, CheckedAddNamesBothOperandsOnOverflow) {
  Result<Quantity> up = CheckedAdd(Quantity(kMax), Quantity(1));
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().message(), "quantity overflow: 9223372036854775807 + 1 exceeds int64");
  Result<Quantity> down = CheckedAdd(Quantity(kMin), Quantity(-1));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().message(), "quantity overflow: -9223372036854775808 + -1 exceeds int64");
}

}  // namespace
}  // namespace tessera

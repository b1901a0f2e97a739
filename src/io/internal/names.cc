#include "io/internal/names.h"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

#include "io/internal/fields.h"

namespace tessera::io::internal {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string TooLong(std::string_view value, size_t max_length) {
  return fmt::format("{} is too long: must be no more than {} characters", Quote(value),
                     max_length);
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsDnsSubdomainChars(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    // Labels inside a subdomain follow the label pattern; only the total length is bounded.
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// The name part of a qualified name or a label value: [A-Za-z0-9][-A-Za-z0-9_.]* ending
// alphanumeric. `s` must not be empty.
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsCIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto ok = [](char c) { return IsAlnum(c) || c == '_'; };
  if (IsDigit(s.front())) return false;
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

constexpr std::string_view kDnsSubdomainRule =
    "must consist of lower case alphanumeric characters, '-' or '.', and start and end with "
    "an alphanumeric character";
constexpr std::string_view kNameRule =
    "must consist of alphanumeric characters, '-', '_' or '.', and start and end with an "
    "alphanumeric character";

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Reads exactly `n` digits at `pos`, advancing it.
std::optional<int64_t> Digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// A semver numeric identifier: "0" or digits without a leading zero.
bool IsNumericIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return s.size() == 1 || s.front() != '0';
}

// Dot-separated identifiers of [0-9A-Za-z-]; with `numeric_no_leading_zero` (pre-release)
// purely numeric identifiers must not have leading zeros.
bool IsSemVerIdentifiers(std::string_view s, bool numeric_no_leading_zero) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view id = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (id.empty()) return false;
    bool all_digits = true;
    for (char c : id) {
      if (!IsAlnum(c) && c != '-') return false;
      if (!IsDigit(c)) all_digits = false;
    }
    if (numeric_no_leading_zero && all_digits && !IsNumericIdentifier(id)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string CheckDnsLabel(std::string_view value) {
  if (value.size() > 63) return TooLong(value, 63);
  if (IsDnsLabel(value)) return "";
  return fmt::format(
      "{} is not a valid DNS label: must consist of lower case alphanumeric characters or "
      "'-', and start and end with an alphanumeric character",
      Quote(value));
}

std::string CheckDnsSubdomain(std::string_view value, size_t max_length) {
  if (value.size() > max_length) return TooLong(value, max_length);
  if (IsDnsSubdomainChars(value)) return "";
  return fmt::format("{} is not a valid DNS subdomain: {}", Quote(value), kDnsSubdomainRule);
}

std::string CheckQualifiedName(std::string_view value) {
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.size() > 253) {
      return fmt::format("{} is not a valid key: the prefix must be no more than 253 characters",
                         Quote(value));
    }
    if (!IsDnsSubdomainChars(prefix)) {
      return fmt::format("{} is not a valid key: the prefix before '/' {}", Quote(value),
                         kDnsSubdomainRule);
    }
  }
  if (name.size() > 63) {
    return fmt::format("{} is not a valid key: the name part must be no more than 63 characters",
                       Quote(value));
  }
  if (!IsQualifiedNamePart(name)) {
    return fmt::format("{} is not a valid key: the name part {}", Quote(value), kNameRule);
  }
  return "";
}

std::string CheckLabelValue(std::string_view value) {
  if (value.empty()) return "";
  if (value.size() > 63) return TooLong(value, 63);
  if (IsQualifiedNamePart(value)) return "";
  return fmt::format("{} is not a valid label value: {}", Quote(value), kNameRule);
}

std::string CheckDraQualifiedName(std::string_view value) {
  std::string_view id = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    std::string_view domain = value.substr(0, slash);
    id = value.substr(slash + 1);
    if (domain.size() > 63 || !IsDnsSubdomainChars(domain)) {
      return fmt::format(
          "{} is not a valid qualified name: the domain before '/' must be a DNS subdomain of "
          "at most 63 characters",
          Quote(value));
    }
  }
  if (id.size() > 32 || !IsCIdentifier(id)) {
    return fmt::format(
        "{} is not a valid qualified name: the name must be a C identifier of at most 32 "
        "characters",
        Quote(value));
  }
  return "";
}

std::string CheckDraFullyQualifiedName(std::string_view value) {
  if (value.find('/') == std::string_view::npos) {
    return fmt::format("{} is not a fully qualified name: it needs a domain (\"domain/name\")",
                       Quote(value));
  }
  return CheckDraQualifiedName(value);
}

std::string CheckPoolName(std::string_view value) {
  if (value.size() > 253) return TooLong(value, 253);
  size_t start = 0;
  while (true) {
    size_t slash = value.find('/', start);
    std::string_view part =
        value.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!IsDnsSubdomainChars(part)) {
      return fmt::format("{} is not a valid pool name: each part between '/' {}", Quote(value),
                         kDnsSubdomainRule);
    }
    if (slash == std::string_view::npos) return "";
    start = slash + 1;
  }
}

std::string CheckSemVer(std::string_view value) {
  if (value.size() > 64) return TooLong(value, 64);
  std::string_view rest = value;
  std::string_view build;
  if (size_t plus = rest.find('+'); plus != std::string_view::npos) {
    build = rest.substr(plus + 1);
    rest = rest.substr(0, plus);
    if (!IsSemVerIdentifiers(build, false)) rest = "";
  }
  std::string_view pre;
  if (size_t dash = rest.find('-'); dash != std::string_view::npos) {
    pre = rest.substr(dash + 1);
    rest = rest.substr(0, dash);
    if (!IsSemVerIdentifiers(pre, true)) rest = "";
  }
  int parts = 0;
  size_t start = 0;
  bool ok = !rest.empty();
  while (ok) {
    size_t dot = rest.find('.', start);
    std::string_view part = rest.substr(start, dot == std::string_view::npos ? dot : dot - start);
    ok = IsNumericIdentifier(part);
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (ok && parts == 3) return "";
  return fmt::format("{} is not a strict semantic version (like \"1.2.3\" or \"1.0.0-rc.1\")",
                     Quote(value));
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  auto year = Digits(s, pos, 4);
  if (!year || !Expect(s, pos, '-')) return std::nullopt;
  auto month = Digits(s, pos, 2);
  if (!month || !Expect(s, pos, '-')) return std::nullopt;
  auto day = Digits(s, pos, 2);
  if (!day || pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  auto hour = Digits(s, pos, 2);
  if (!hour || !Expect(s, pos, ':')) return std::nullopt;
  auto minute = Digits(s, pos, 2);
  if (!minute || !Expect(s, pos, ':')) return std::nullopt;
  auto second = Digits(s, pos, 2);
  if (!second) return std::nullopt;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t begin = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == begin) return std::nullopt;
  }
  static constexpr int64_t kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 || *day > kDaysInMonth[*month - 1] || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*month == 2 && *day == 29 && !leap) return std::nullopt;
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int64_t sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    auto oh = Digits(s, pos, 2);
    if (!oh || !Expect(s, pos, ':')) return std::nullopt;
    auto om = Digits(s, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_seconds = sign * (*oh * 3600 + *om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(*year, *month, *day);
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_seconds;
}

}  // namespace tessera::io::internal

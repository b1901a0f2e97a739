#include "dra/cel/values.h"

#include <cstddef>

namespace tessera::dra::cel {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// value * 10^exp10 * 1024^bin_power, rounding a negative-exponent division away from zero.
// Returns false when the magnitude exceeds kMaxQuantityNanos.
bool Scale(Int128 mantissa, int exp10, int bin_power, Int128& out) {
  Int128 v = mantissa;
  for (int k = 0; k < bin_power; ++k) {
    if (__builtin_mul_overflow(v, Int128{1024}, &v) || v > kMaxQuantityNanos) return false;
  }
  if (exp10 >= 0) {
    for (int k = 0; k < exp10; ++k) {
      if (v == 0) break;
      if (__builtin_mul_overflow(v, Int128{10}, &v) || v > kMaxQuantityNanos) return false;
    }
  } else {
    bool inexact = false;
    for (int k = 0; k < -exp10 && v != 0; ++k) {
      if (v % 10 != 0) inexact = true;
      v /= 10;
    }
    if (inexact || (v == 0 && mantissa != 0)) v += 1;
  }
  if (v > kMaxQuantityNanos) return false;
  out = v;
  return true;
}

bool ParseNumericIdent(std::string_view s, uint64_t& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    if (__builtin_mul_overflow(v, uint64_t{10}, &v) ||
        __builtin_add_overflow(v, static_cast<uint64_t>(c - '0'), &v)) {
      return false;
    }
  }
  out = v;
  return true;
}

bool IsIdentChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// Dot-separated identifiers, each non-empty and made of [0-9A-Za-z-]; numeric pre-release
// identifiers have no leading zeros.
bool ValidIdents(std::string_view s, bool numeric_no_leading_zero) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (part.empty()) return false;
    bool all_digits = true;
    for (char c : part) {
      if (!IsIdentChar(c)) return false;
      if (!IsDigit(c)) all_digits = false;
    }
    if (numeric_no_leading_zero && all_digits && part.size() > 1 && part[0] == '0') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::optional<Int128> ParseQuantityNanos(std::string_view text) {
  size_t p = 0;
  bool negative = false;
  if (p < text.size() && (text[p] == '+' || text[p] == '-')) {
    negative = text[p] == '-';
    ++p;
  }
  Int128 mantissa = 0;
  int digits = 0;
  int frac_digits = 0;
  int significant = 0;
  auto add_digit = [&](char c) {
    if (significant > 0 || c != '0') {
      ++significant;
      if (significant > 36) return false;
    }
    mantissa = mantissa * 10 + (c - '0');
    return true;
  };
  while (p < text.size() && IsDigit(text[p])) {
    if (!add_digit(text[p])) return std::nullopt;
    ++digits;
    ++p;
  }
  if (p < text.size() && text[p] == '.') {
    ++p;
    while (p < text.size() && IsDigit(text[p])) {
      if (!add_digit(text[p])) return std::nullopt;
      ++digits;
      ++frac_digits;
      ++p;
    }
  }
  if (digits == 0) return std::nullopt;
  int exp10 = 0;
  int bin_power = 0;
  std::string_view suffix = text.substr(p);
  if (suffix.empty()) {
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    size_t k = kBinary.find(suffix[0]);
    if (k == std::string_view::npos) return std::nullopt;
    bin_power = static_cast<int>(k) + 1;
  } else if (suffix.size() == 1 && suffix[0] != 'e') {
    switch (suffix[0]) {
      case 'n': exp10 = -9; break;
      case 'u': exp10 = -6; break;
      case 'm': exp10 = -3; break;
      case 'k': exp10 = 3; break;
      case 'M': exp10 = 6; break;
      case 'G': exp10 = 9; break;
      case 'T': exp10 = 12; break;
      case 'P': exp10 = 15; break;
      case 'E': exp10 = 18; break;
      default: return std::nullopt;
    }
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    size_t q = 1;
    bool exp_negative = false;
    if (q < suffix.size() && (suffix[q] == '+' || suffix[q] == '-')) {
      exp_negative = suffix[q] == '-';
      ++q;
    }
    if (q >= suffix.size() || suffix.size() - q > 4) return std::nullopt;
    for (; q < suffix.size(); ++q) {
      if (!IsDigit(suffix[q])) return std::nullopt;
      exp10 = exp10 * 10 + (suffix[q] - '0');
    }
    if (exp_negative) exp10 = -exp10;
  } else {
    return std::nullopt;
  }
  Int128 out = 0;
  if (!Scale(mantissa, exp10 + 9 - frac_digits, bin_power, out)) return std::nullopt;
  return negative ? -out : out;
}

std::optional<SemverParts> ParseSemver(std::string_view text) {
  SemverParts parts;
  size_t plus = text.find('+');
  if (plus != std::string_view::npos) {
    parts.build = text.substr(plus + 1);
    if (!ValidIdents(parts.build, false)) return std::nullopt;
    text = text.substr(0, plus);
  }
  size_t dash = text.find('-');
  if (dash != std::string_view::npos) {
    parts.pre = text.substr(dash + 1);
    if (!ValidIdents(parts.pre, true)) return std::nullopt;
    text = text.substr(0, dash);
  }
  size_t d1 = text.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  size_t d2 = text.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  if (!ParseNumericIdent(text.substr(0, d1), parts.major) ||
      !ParseNumericIdent(text.substr(d1 + 1, d2 - d1 - 1), parts.minor) ||
      !ParseNumericIdent(text.substr(d2 + 1), parts.patch)) {
    return std::nullopt;
  }
  return parts;
}

bool NormalizeSemver(std::string_view text, std::string& out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == 'v') text.remove_prefix(1);
  // Split into at most three parts; the last keeps any pre-release / build suffix.
  std::string_view parts[3];
  int n = 0;
  while (n < 2) {
    size_t dot = text.find('.');
    if (dot == std::string_view::npos) break;
    parts[n++] = text.substr(0, dot);
    text = text.substr(dot + 1);
  }
  parts[n++] = text;
  if (n < 3 && parts[n - 1].find_first_of("+-") != std::string_view::npos) return false;
  out.clear();
  for (int k = 0; k < 3; ++k) {
    if (k > 0) out.push_back('.');
    if (k >= n) {
      out.push_back('0');
      continue;
    }
    std::string_view p = parts[k];
    if (p.size() > 1) {
      while (!p.empty() && p.front() == '0') p.remove_prefix(1);
      if (p.empty() || !IsDigit(p.front())) out.push_back('0');
    }
    out.append(p);
  }
  return ParseSemver(out).has_value();
}

int CompareSemver(const SemverParts& a, const SemverParts& b) {
  auto cmp = [](uint64_t x, uint64_t y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (int c = cmp(a.major, b.major)) return c;
  if (int c = cmp(a.minor, b.minor)) return c;
  if (int c = cmp(a.patch, b.patch)) return c;
  if (a.pre.empty() || b.pre.empty()) {
    if (a.pre.empty() && b.pre.empty()) return 0;
    return a.pre.empty() ? 1 : -1;
  }
  std::string_view x = a.pre;
  std::string_view y = b.pre;
  while (true) {
    if (x.empty() || y.empty()) {
      if (x.empty() && y.empty()) return 0;
      return x.empty() ? -1 : 1;
    }
    size_t dx = x.find('.');
    size_t dy = y.find('.');
    std::string_view px = x.substr(0, dx);
    std::string_view py = y.substr(0, dy);
    x = dx == std::string_view::npos ? std::string_view() : x.substr(dx + 1);
    y = dy == std::string_view::npos ? std::string_view() : y.substr(dy + 1);
    uint64_t nx = 0;
    uint64_t ny = 0;
    bool x_num = ParseNumericIdent(px, nx);
    bool y_num = ParseNumericIdent(py, ny);
    int c = 0;
    if (x_num && y_num) {
      c = cmp(nx, ny);
    } else if (x_num != y_num) {
      c = x_num ? -1 : 1;
    } else {
      int r = px.compare(py);
      c = r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
    if (c != 0) return c;
  }
}

std::string_view KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kError: return "error";
    case ValueKind::kNull: return "null_type";
    case ValueKind::kBool: return "bool";
    case ValueKind::kInt: return "int";
    case ValueKind::kString: return "string";
    case ValueKind::kQuantity: return "Quantity";
    case ValueKind::kSemver: return "Semver";
    case ValueKind::kList: return "list";
    case ValueKind::kDevice: return "device";
    case ValueKind::kAttributes:
    case ValueKind::kCapacity:
    case ValueKind::kAttributeMap:
    case ValueKind::kCapacityMap: return "map";
    case ValueKind::kOptionalNone: return "optional_type";
  }
  return "unknown";
}

}  // namespace tessera::dra::cel

#include "io/internal/fields.h"

#include <fmt/format.h>

#include <charconv>
#include <string>
#include <system_error>

namespace tessera::io::internal {


std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "a string " + Quote(node.Scalar());
}

bool IsPlainScalar(const YAML::Node& node) {
  // yaml-cpp tags quoted scalars "!" and plain ones "?"; the JSON reader does the same.
  return node.IsDefined() && node.IsScalar() && node.Tag() != "!";
}

std::string JoinPath(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  std::string out;
  out.reserve(parent.size() + 1 + child.size());
  out.append(parent);
  out += '.';
  out.append(child);
  return out;
}

std::string IndexPath(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

bool Field::present() const { return node_.IsDefined() && !node_.IsNull(); }

Field Field::Get(std::string_view key) const {
  std::string path = JoinPath(path_, key);
  if (!is_map()) return Field(YAML::Node(), std::move(path));
  const YAML::Node& map = node_;
  const YAML::Node child = map[std::string(key)];
  // A missing key yields a "zombie" node that throws on most calls, assignment included;
  // replace it by a fresh null node.
  if (!child.IsDefined()) return Field(YAML::Node(), std::move(path));
  return Field(child, std::move(path));
}

Error Field::Fail(std::string message) const {
  return InvalidArgument(std::move(message)).UnderField(path_);
}

Error Field::WrongType(std::string_view expected) const {
  return Fail(fmt::format("must be {}, got {}", expected, Describe(node_)));
}

Status Field::ExpectMap() const {
  if (present() && !node_.IsMap()) return WrongType("a mapping");
  return OkStatus();
}

Status Field::ExpectList() const {
  if (present() && !node_.IsSequence()) return WrongType("a list");
  return OkStatus();
}

Result<Field> Field::GetMap(std::string_view key) const {
  Field child = Get(key);
  TESSERA_RETURN_IF_ERROR(child.ExpectMap());
  return child;
}

Result<Field> Field::GetList(std::string_view key) const {
  Field child = Get(key);
  TESSERA_RETURN_IF_ERROR(child.ExpectList());
  return child;
}

Result<std::optional<std::string>> Field::GetString(std::string_view key) const {
  Field child = Get(key);
  if (!child.present()) return std::optional<std::string>();
  TESSERA_ASSIGN_OR_RETURN(std::string value, child.AsString());
  return std::optional<std::string>(std::move(value));
}

Result<std::string> Field::GetRequiredString(std::string_view key) const {
  Field child = Get(key);
  if (!child.present()) return child.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(std::string value, child.AsString());
  if (value.empty()) return child.Fail("required field is empty");
  return value;
}

Result<std::optional<int64_t>> Field::GetInt(std::string_view key) const {
  Field child = Get(key);
  if (!child.present()) return std::optional<int64_t>();
  TESSERA_ASSIGN_OR_RETURN(int64_t value, child.AsInt());
  return std::optional<int64_t>(value);
}

Result<std::optional<bool>> Field::GetBool(std::string_view key) const {
  Field child = Get(key);
  if (!child.present()) return std::optional<bool>();
  TESSERA_ASSIGN_OR_RETURN(bool value, child.AsBool());
  return std::optional<bool>(value);
}

Result<std::string> Field::AsString() const {
  if (!is_scalar()) return WrongType("a string");
  return node_.Scalar();
}

Result<int64_t> Field::AsInt() const {
  if (!is_scalar()) return WrongType("an integer");
  const std::string& text = node_.Scalar();
  if (!IsPlainScalar(node_)) return Fail("must be an integer, got a string " + Quote(text));
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return Fail("must be an integer, got " + Quote(text));
  }
  return value;
}

Result<bool> Field::AsBool() const {
  if (!is_scalar()) return WrongType("true or false");
  const std::string& text = node_.Scalar();
  if (IsPlainScalar(node_)) {
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  return Fail("must be true or false, got " + Quote(text));
}

Result<std::vector<Field>> Field::Items() const {
  std::vector<Field> items;
  if (!present()) return items;
  if (!node_.IsSequence()) return WrongType("a list");
  items.reserve(node_.size());
  size_t i = 0;
  for (const YAML::Node& item : node_) {
    items.emplace_back(item, IndexPath(path_, i++));
  }
  return items;
}

Result<std::vector<std::pair<std::string, Field>>> Field::Entries() const {
  std::vector<std::pair<std::string, Field>> entries;
  if (!present()) return entries;
  if (!node_.IsMap()) return WrongType("a mapping");
  entries.reserve(node_.size());
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      return Fail(fmt::format("keys must be strings, got {}", Describe(kv.first)));
    }
    std::string key = kv.first.Scalar();
    // Keys become part of field paths; a hostile multi-megabyte key must not.
    std::string path = key.size() <= kMaxQuotedBytes
                           ? JoinPath(path_, key)
                           : JoinPath(path_, key.substr(0, kMaxQuotedBytes) + "...");
    entries.emplace_back(std::move(key), Field(kv.second, std::move(path)));
  }
  return entries;
}

Result<std::vector<std::pair<std::string, std::string>>> Field::StringMap() const {
  TESSERA_ASSIGN_OR_RETURN(auto entries, Entries());
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(entries.size());
  for (auto& [key, value] : entries) {
    // A null value is the empty string, as in Kubernetes ("key:" in YAML).
    if (!value.present()) {
      out.emplace_back(std::move(key), std::string());
      continue;
    }
    TESSERA_ASSIGN_OR_RETURN(std::string text, value.AsString());
    out.emplace_back(std::move(key), std::move(text));
  }
  return out;
}

}  // namespace tessera::io::internal

// Typed, path-aware access to a parsed YAML/JSON object. A Field is a YAML node plus the field
// path that leads to it ("spec.containers[0].name"); every accessor either returns the value
// or an Error whose field is that path, so parsers never build error locations by hand.
// Invariant: no accessor throws. yaml-cpp throws on subscripts of scalars and on zombie
// nodes, so every lookup goes through Get(), which checks the node type first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/quote.h"
#include "base/status.h"

namespace tessera::io::internal {

// At most this many bytes of an input value are echoed in a message.
using ::tessera::kMaxQuotedBytes;
using ::tessera::Quote;

// "a mapping", "a list", "null", or `a string "abc"` (quoted and truncated) for messages.
std::string Describe(const YAML::Node& node);

// True for a scalar written without quotes in YAML (or a JSON number, boolean or null).
bool IsPlainScalar(const YAML::Node& node);

// A value inside an object, with the field path that names it in errors. Cheap to copy
// (YAML::Node is a shared handle). Not thread-safe (yaml-cpp nodes are not).
class Field {
 public:
  Field(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

  // Absent (missing key) and null (`key:`, `key: ~`, JSON null) both read as "not set",
  // as they do for Kubernetes' own decoder.
  bool present() const;
  bool is_map() const { return present() && node_.IsMap(); }
  bool is_list() const { return present() && node_.IsSequence(); }
  bool is_scalar() const { return present() && node_.IsScalar(); }

  // The child `key` of a mapping; an absent Field when this is not a mapping (use GetMap,
  // GetList... to report the wrong type).
  Field Get(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key).present(); }

  // An InvalidArgument error located at this field.
  Error Fail(std::string message) const;
  // "must be a mapping, got a list" and friends.
  Error WrongType(std::string_view expected) const;

  // Type checks that accept an absent field.
  Status ExpectMap() const;
  Status ExpectList() const;

  // Child accessors. Absent children are fine unless the name says Required.
  Result<Field> GetMap(std::string_view key) const;
  Result<Field> GetList(std::string_view key) const;
  Result<std::optional<std::string>> GetString(std::string_view key) const;
  Result<std::string> GetRequiredString(std::string_view key) const;
  Result<std::optional<int64_t>> GetInt(std::string_view key) const;
  Result<std::optional<bool>> GetBool(std::string_view key) const;

  // This field as a value. Strings accept any scalar (Kubernetes would reject `value: 5`
  // for a string field; we read it as "5"). Integers must be plain decimal scalars that fit
  // int64; booleans must be plain true/false.
  Result<std::string> AsString() const;
  Result<int64_t> AsInt() const;
  Result<bool> AsBool() const;

  // Elements of a list (empty when absent), each with its "[i]" path.
  Result<std::vector<Field>> Items() const;
  // Entries of a mapping (empty when absent), keys as strings, values with ".key" paths.
  Result<std::vector<std::pair<std::string, Field>>> Entries() const;
  // A mapping of strings to strings (labels, nodeSelector), in input order.
  Result<std::vector<std::pair<std::string, std::string>>> StringMap() const;

 private:
  YAML::Node node_;
  std::string path_;
};

// "a.b" from "a" and "b"; "b" when `parent` is empty.
std::string JoinPath(std::string_view parent, std::string_view child);
// "a[3]".
std::string IndexPath(std::string_view parent, size_t index);

}  // namespace tessera::io::internal

#include "io/internal/documents.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <istream>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <string>
#include <unordered_set>
#include <utility>

#include "io/internal/fields.h"

namespace tessera::io::internal {
namespace {

// "line L, column C: " for a node that came from the YAML parser, "" otherwise.
std::string Where(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return "";
  return fmt::format("line {}, column {}: ", mark.line + 1, mark.column + 1);
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// True when `line` (comment removed, right-trimmed) opens a block scalar: it ends in '|' or
// '>' followed by at most two chomping/indentation indicators, after a space, ':' or '-'.
bool OpensBlockScalar(std::string_view line) {
  while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
  size_t n = 0;
  while (n < 2 && !line.empty() &&
         (line.back() == '-' || line.back() == '+' || (line.back() >= '1' && line.back() <= '9'))) {
    line.remove_suffix(1);
    ++n;
  }
  if (line.empty() || (line.back() != '|' && line.back() != '>')) return false;
  line.remove_suffix(1);
  return line.empty() || IsBlank(line.back()) || line.back() == ':' || line.back() == '-';
}

// An istream buffer over a string without copying it.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // read-only: no put area is set
    setg(begin, begin, begin + text.size());
  }
};

// Parser events that only watch for a parser that stopped advancing between documents.
class ProgressCheck : public YAML::EventHandler {
 public:
  bool stuck() const { return stuck_; }
  const YAML::Mark& last_start() const { return last_start_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (started_ && mark.pos == last_start_.pos) stuck_ = true;
    started_ = true;
    last_start_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  bool started_ = false;
  bool stuck_ = false;
  YAML::Mark last_start_ = YAML::Mark::null_mark();
};

// Builds YAML nodes from nlohmann's SAX events.
class JsonToYaml {
 public:
  using Json = nlohmann::json;

  bool null() { return Add(YAML::Node(YAML::NodeType::Null)); }
  bool boolean(bool value) { return Add(Plain(value ? "true" : "false")); }
  bool number_integer(Json::number_integer_t value) { return Add(Plain(std::to_string(value))); }
  bool number_unsigned(Json::number_unsigned_t value) { return Add(Plain(std::to_string(value))); }
  bool number_float(Json::number_float_t /*value*/, const Json::string_t& text) {
    return Add(Plain(text));
  }
  bool string(Json::string_t& value) {
    YAML::Node node(value);
    node.SetTag("!");
    return Add(std::move(node));
  }
  bool binary(Json::binary_t& /*value*/) {
    error_ = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t /*size*/) { return Open(YAML::Node(YAML::NodeType::Map)); }
  bool key(Json::string_t& key) {
    Frame& top = stack_.back();
    if (!top.keys.insert(key).second) {
      error_ = fmt::format("invalid JSON: key {} appears twice in one object", Quote(key));
      return false;
    }
    top.key = key;
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t /*size*/) { return Open(YAML::Node(YAML::NodeType::Sequence)); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    error_ = FormatParseError(ex.what());
    return false;
  }

  YAML::Node& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    YAML::Node node;
    std::string key;
    std::unordered_set<std::string> keys;
  };

  static YAML::Node Plain(const std::string& text) {
    YAML::Node node(text);
    node.SetTag("?");
    return node;
  }

  // nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 5: syntax
  // error while parsing ... ; last read: '...'". Keep "line 3, column 5: invalid JSON: syntax
  // error ..." and cut the tail, which may echo a very long token.
  static std::string FormatParseError(std::string_view what) {
    constexpr std::string_view kAt = "parse error at ";
    std::string out;
    if (size_t at = what.find(kAt); at != std::string_view::npos) {
      std::string_view rest = what.substr(at + kAt.size());
      size_t colon = rest.find(": ");
      if (rest.starts_with("line ") && colon != std::string_view::npos) {
        out = fmt::format("{}: invalid JSON: {}", rest.substr(0, colon), rest.substr(colon + 2));
      }
    }
    if (out.empty()) out = fmt::format("invalid JSON: {}", what);
    constexpr size_t kMaxMessage = 200;
    if (out.size() > kMaxMessage) {
      out.resize(kMaxMessage);
      out += "...";
    }
    return out;
  }

  bool Add(YAML::Node node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return true;
    }
    Frame& top = stack_.back();
    if (top.node.IsMap()) {
      top.node.force_insert(top.key, node);
    } else {
      top.node.push_back(node);
    }
    return true;
  }

  bool Open(YAML::Node node) {
    if (stack_.size() + 1 > kMaxDocumentDepth) {
      error_ = fmt::format("invalid JSON: nested more than {} levels deep", kMaxDocumentDepth);
      return false;
    }
    if (!Add(node)) return false;
    stack_.push_back(Frame{std::move(node), {}, {}});
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  YAML::Node root_;
  std::vector<Frame> stack_;
  std::string error_;
};

}  // namespace

std::optional<size_t> FindTemplateLine(std::string_view text) {
  size_t line_number = 0;
  bool in_block = false;
  size_t block_indent = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;

    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    const bool blank = indent == line.size() || line[indent] == '\r';
    if (in_block) {
      if (blank || indent > block_indent) continue;
      in_block = false;
    }
    // Scan for "{{" outside quotes, stopping at a comment.
    char quote = 0;
    size_t code_end = line.size();
    for (size_t i = indent; i < line.size(); ++i) {
      const char c = line[i];
      if (quote != 0) {
        if (c == '\\' && quote == '"') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '#' && (i == 0 || IsBlank(line[i - 1]))) {
        code_end = i;
        break;
      }
      if ((c == '"' || c == '\'') &&
          (i == indent || IsBlank(line[i - 1]) || line[i - 1] == '[' || line[i - 1] == '{' ||
           line[i - 1] == ',' || line[i - 1] == ':')) {
        quote = c;
        continue;
      }
      if (c == '{' && i + 1 < line.size() && line[i + 1] == '{') return line_number;
    }
    if (quote == 0 && OpensBlockScalar(line.substr(0, code_end))) {
      in_block = true;
      block_indent = indent;
    }
  }
  return std::nullopt;
}

Result<std::vector<RawDocument>> ParseYamlStream(const std::string& text) {
  std::vector<YAML::Node> nodes;
  try {
    // yaml-cpp 0.7's LoadAll loops forever on a stray flow token after a document ("[a],"):
    // the parser reports an empty document without consuming the token, again and again.
    // A first pass that only reads events stops when a document starts where the previous
    // one did.
    {
      ViewBuffer buffer(text);
      std::istream in(&buffer);
      YAML::Parser parser(in);
      ProgressCheck check;
      while (parser.HandleNextDocument(check)) {
        if (check.stuck()) {
          const YAML::Mark& mark = check.last_start();
          const auto pos = static_cast<size_t>(mark.pos);
          const std::string what = pos < text.size() ? Quote(text.substr(pos, 1)) : "end";
          return InvalidArgument(fmt::format("{}invalid YAML: unexpected {} outside any collection",
                                             Where(mark), what));
        }
      }
    }
    ViewBuffer buffer(text);
    std::istream in(&buffer);
    nodes = YAML::LoadAll(in);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(fmt::format("{}invalid YAML: {}", Where(e.mark), e.msg));
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("invalid YAML: {}", e.what()));
  }
  std::vector<RawDocument> docs;
  docs.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) docs.push_back({std::move(nodes[i]), i + 1});
  return docs;
}

Result<std::vector<RawDocument>> ParseJson(std::string_view text) {
  JsonToYaml builder;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("invalid JSON: {}", e.what()));
  }
  if (!ok) {
    return InvalidArgument(builder.error().empty() ? std::string("invalid JSON") : builder.error());
  }
  std::vector<RawDocument> docs;
  docs.push_back({std::move(builder.root()), 1});
  return docs;
}

// Duplicate scalar keys in one mapping, reported at the second occurrence.
Status CheckDuplicateKeys(const YAML::Node& map) {
  std::vector<std::string_view> keys;
  keys.reserve(map.size());
  for (const auto& kv : map) {
    if (kv.first.IsScalar()) keys.push_back(kv.first.Scalar());
  }
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup == keys.end()) return OkStatus();
  YAML::Mark mark = YAML::Mark::null_mark();
  int seen = 0;
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == *dup && ++seen == 2) mark = kv.first.Mark();
  }
  return InvalidArgument(fmt::format("{}mapping key {} appears twice", Where(mark), Quote(*dup)));
}

Status CheckDocumentBounds(const YAML::Node& root, size_t max_node_visits) {
  // Depth-first with one frame per open container, so memory is O(depth) whatever the size.
  struct Frame {
    YAML::Node node;
    YAML::const_iterator next;
    YAML::const_iterator end;
  };
  std::vector<Frame> stack;
  size_t visits = 0;
  // Counts `node` and opens it if it is a container.
  auto visit = [&](const YAML::Node& node) -> Status {
    if (++visits > max_node_visits) {
      return InvalidArgument(fmt::format(
          "expands to more than {} nodes (YAML aliases?); refusing to read it", max_node_visits));
    }
    if (!node.IsMap() && !node.IsSequence()) return OkStatus();
    if (stack.size() + 1 > kMaxDocumentDepth) {
      return InvalidArgument(
          fmt::format("{}nested more than {} levels deep", Where(node.Mark()), kMaxDocumentDepth));
    }
    if (node.IsMap()) TESSERA_RETURN_IF_ERROR(CheckDuplicateKeys(node));
    stack.push_back({node, node.begin(), node.end()});
    return OkStatus();
  };
  TESSERA_RETURN_IF_ERROR(visit(root));
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.end) {
      stack.pop_back();
      continue;
    }
    const auto entry = *top.next;
    ++top.next;
    // `top` may dangle once visit() pushes; take what is needed first.
    if (entry.first.IsDefined() && entry.second.IsDefined()) {
      const YAML::Node key = entry.first;
      const YAML::Node value = entry.second;
      TESSERA_RETURN_IF_ERROR(visit(key));
      TESSERA_RETURN_IF_ERROR(visit(value));
    } else {
      const YAML::Node item = entry;
      TESSERA_RETURN_IF_ERROR(visit(item));
    }
  }
  return OkStatus();
}

}  // namespace tessera::io::internal

#include "dra/cel/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace tessera::dra::cel {
namespace {

enum class Tok : uint8_t {
  kEnd,
  kIdent,
  kInt,
  kUint,
  kString,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kIn,
  kTrue,
  kFalse,
  kNullLit,
};

struct Token {
  Tok kind = Tok::kEnd;
  uint32_t pos = 0;
  uint32_t len = 0;
  uint64_t int_value = 0;
  std::string text;  // identifier name or decoded string literal
};

constexpr std::array<std::string_view, 17> kReserved = {
    "as",      "break",  "const",     "continue", "else", "for", "function", "if", "import",
    "let",     "loop",   "package",   "namespace", "return", "var", "void",   "while"};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(ProgramData& data, int max_depth)
      : data_(data), src_(data.expression), max_depth_(max_depth) {}

  Result<int32_t> Run() {
    Next();
    int32_t root = ParseExpr();
    if (!error_ && tok_.kind != Tok::kEnd) Fail(tok_.pos, Unexpected());
    if (error_) return InvalidArgument(*error_);
    return root;
  }

 private:
  // --- errors
  void Fail(uint32_t pos, std::string_view message) {
    if (!error_) error_ = ErrorAt(src_, pos, message);
  }
  std::string Unexpected() const {
    if (tok_.kind == Tok::kEnd) return "syntax error: unexpected end of expression";
    return fmt::format("syntax error: unexpected '{}'", src_.substr(tok_.pos, tok_.len));
  }
  bool Expect(Tok kind, std::string_view what) {
    if (error_) return false;
    if (tok_.kind != kind) {
      Fail(tok_.pos, tok_.kind == Tok::kEnd
                         ? fmt::format("syntax error: expected '{}' before end of expression", what)
                         : fmt::format("syntax error: expected '{}', got '{}'", what,
                                       src_.substr(tok_.pos, tok_.len)));
      return false;
    }
    Next();
    return true;
  }

  // --- lexer
  void Next() {
    if (error_) {
      tok_.kind = Tok::kEnd;
      return;
    }
    tok_ = Token();
    // Skip whitespace and // comments.
    while (p_ < src_.size()) {
      char c = src_[p_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++p_;
      } else if (c == '/' && p_ + 1 < src_.size() && src_[p_ + 1] == '/') {
        while (p_ < src_.size() && src_[p_] != '\n') ++p_;
      } else {
        break;
      }
    }
    tok_.pos = static_cast<uint32_t>(p_);
    if (p_ >= src_.size()) {
      tok_.kind = Tok::kEnd;
      return;
    }
    char c = src_[p_];
    char n = p_ + 1 < src_.size() ? src_[p_ + 1] : '\0';
    auto punct = [&](Tok kind, size_t len) {
      tok_.kind = kind;
      tok_.len = static_cast<uint32_t>(len);
      p_ += len;
    };
    switch (c) {
      case '(': return punct(Tok::kLParen, 1);
      case ')': return punct(Tok::kRParen, 1);
      case '[': return punct(Tok::kLBracket, 1);
      case ']': return punct(Tok::kRBracket, 1);
      case '{': return punct(Tok::kLBrace, 1);
      case '}': return punct(Tok::kRBrace, 1);
      case ',': return punct(Tok::kComma, 1);
      case ':': return punct(Tok::kColon, 1);
      case '?': return punct(Tok::kQuestion, 1);
      case '+': return punct(Tok::kPlus, 1);
      case '-': return punct(Tok::kMinus, 1);
      case '*': return punct(Tok::kStar, 1);
      case '/': return punct(Tok::kSlash, 1);
      case '%': return punct(Tok::kPercent, 1);
      case '=':
        if (n == '=') return punct(Tok::kEq, 2);
        break;
      case '!': return n == '=' ? punct(Tok::kNe, 2) : punct(Tok::kNot, 1);
      case '<': return n == '=' ? punct(Tok::kLe, 2) : punct(Tok::kLt, 1);
      case '>': return n == '=' ? punct(Tok::kGe, 2) : punct(Tok::kGt, 1);
      case '&':
        if (n == '&') return punct(Tok::kAnd, 2);
        break;
      case '|':
        if (n == '|') return punct(Tok::kOr, 2);
        break;
      case '.':
        if (IsDigit(n)) return LexNumber();
        return punct(Tok::kDot, 1);
      case '"':
      case '\'':
        return LexString(false);
      default:
        break;
    }
    if (IsDigit(c)) return LexNumber();
    if (IsIdentStart(c)) {
      // String prefixes: r, R (raw); b, B (bytes) in either order.
      size_t q = p_;
      bool raw = false;
      bool bytes = false;
      for (int k = 0; k < 2 && q < src_.size(); ++k) {
        char pc = src_[q];
        if ((pc == 'r' || pc == 'R') && !raw) {
          raw = true;
          ++q;
        } else if ((pc == 'b' || pc == 'B') && !bytes) {
          bytes = true;
          ++q;
        } else {
          break;
        }
      }
      if ((raw || bytes) && q < src_.size() && (src_[q] == '"' || src_[q] == '\'')) {
        if (bytes) {
          Fail(tok_.pos, "bytes literals are not supported");
          tok_.kind = Tok::kEnd;
          return;
        }
        p_ = q;
        return LexString(true);
      }
      size_t end = p_;
      while (end < src_.size() && (IsIdentStart(src_[end]) || IsDigit(src_[end]))) ++end;
      std::string_view word = src_.substr(p_, end - p_);
      tok_.len = static_cast<uint32_t>(end - p_);
      p_ = end;
      if (word == "true") {
        tok_.kind = Tok::kTrue;
      } else if (word == "false") {
        tok_.kind = Tok::kFalse;
      } else if (word == "null") {
        tok_.kind = Tok::kNullLit;
      } else if (word == "in") {
        tok_.kind = Tok::kIn;
      } else {
        if (std::find(kReserved.begin(), kReserved.end(), word) != kReserved.end()) {
          Fail(tok_.pos, fmt::format("reserved identifier '{}'", word));
        }
        tok_.kind = Tok::kIdent;
        tok_.text = std::string(word);
      }
      return;
    }
    if (static_cast<unsigned char>(c) >= 0x80 || c < 0x20) {
      Fail(tok_.pos, "syntax error: unexpected character");
    } else {
      Fail(tok_.pos, fmt::format("syntax error: unexpected character '{}'", c));
    }
    tok_.kind = Tok::kEnd;
  }

  void LexNumber() {
    size_t start = p_;
    uint64_t value = 0;
    bool overflow = false;
    if (src_[p_] == '0' && p_ + 1 < src_.size() && (src_[p_ + 1] == 'x' || src_[p_ + 1] == 'X')) {
      p_ += 2;
      size_t digits = 0;
      while (p_ < src_.size() && IsHex(src_[p_])) {
        if (value > (UINT64_MAX >> 4)) overflow = true;
        value = value * 16 + static_cast<uint64_t>(HexValue(src_[p_]));
        ++p_;
        ++digits;
      }
      if (digits == 0) {
        Fail(static_cast<uint32_t>(start), "syntax error: malformed hexadecimal literal");
        tok_.kind = Tok::kEnd;
        return;
      }
    } else {
      while (p_ < src_.size() && IsDigit(src_[p_])) {
        uint64_t d = static_cast<uint64_t>(src_[p_] - '0');
        if (value > (UINT64_MAX - d) / 10) overflow = true;
        value = value * 10 + d;
        ++p_;
      }
      bool is_double = false;
      if (p_ < src_.size() && src_[p_] == '.' && p_ + 1 < src_.size() && IsDigit(src_[p_ + 1])) {
        is_double = true;
      }
      if (p_ < src_.size() && (src_[p_] == 'e' || src_[p_] == 'E')) is_double = true;
      if (p_ == start) is_double = true;  // ".5"
      if (is_double) {
        Fail(static_cast<uint32_t>(start), "floating point is not supported");
        tok_.kind = Tok::kEnd;
        return;
      }
    }
    tok_.kind = Tok::kInt;
    if (p_ < src_.size() && (src_[p_] == 'u' || src_[p_] == 'U')) {
      ++p_;
      tok_.kind = Tok::kUint;
    }
    if (p_ < src_.size() && (IsIdentStart(src_[p_]) || IsDigit(src_[p_]))) {
      Fail(static_cast<uint32_t>(start), "syntax error: malformed number");
      tok_.kind = Tok::kEnd;
      return;
    }
    if (overflow) {
      Fail(static_cast<uint32_t>(start), "integer literal out of range");
      tok_.kind = Tok::kEnd;
      return;
    }
    tok_.int_value = value;
    tok_.len = static_cast<uint32_t>(p_ - start);
  }

  void LexString(bool raw) {
    char quote = src_[p_];
    bool triple = p_ + 2 < src_.size() && src_[p_ + 1] == quote && src_[p_ + 2] == quote;
    p_ += triple ? 3 : 1;
    std::string out;
    while (true) {
      if (p_ >= src_.size()) {
        Fail(tok_.pos, "syntax error: unterminated string literal");
        tok_.kind = Tok::kEnd;
        return;
      }
      char c = src_[p_];
      if (c == quote) {
        if (!triple) {
          ++p_;
          break;
        }
        if (p_ + 2 < src_.size() && src_[p_ + 1] == quote && src_[p_ + 2] == quote) {
          p_ += 3;
          break;
        }
        out.push_back(c);
        ++p_;
        continue;
      }
      if (!triple && (c == '\n' || c == '\r')) {
        Fail(tok_.pos, "syntax error: newline in string literal");
        tok_.kind = Tok::kEnd;
        return;
      }
      if (c != '\\' || raw) {
        out.push_back(c);
        ++p_;
        continue;
      }
      // Escape sequence.
      uint32_t esc_pos = static_cast<uint32_t>(p_);
      if (p_ + 1 >= src_.size()) {
        Fail(esc_pos, "syntax error: unterminated string literal");
        tok_.kind = Tok::kEnd;
        return;
      }
      char e = src_[p_ + 1];
      p_ += 2;
      switch (e) {
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case '`': out.push_back('`'); break;
        case '?': out.push_back('?'); break;
        case 'x':
        case 'X':
        case 'u':
        case 'U': {
          size_t digits = (e == 'x' || e == 'X') ? 2 : (e == 'u' ? 4 : 8);
          uint32_t cp = 0;
          for (size_t k = 0; k < digits; ++k) {
            if (p_ >= src_.size() || !IsHex(src_[p_])) {
              Fail(esc_pos, "syntax error: invalid escape sequence");
              tok_.kind = Tok::kEnd;
              return;
            }
            cp = cp * 16 + static_cast<uint32_t>(HexValue(src_[p_]));
            ++p_;
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            Fail(esc_pos, "syntax error: invalid unicode code point");
            tok_.kind = Tok::kEnd;
            return;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          if (e >= '0' && e <= '3' && p_ + 1 < src_.size() && src_[p_] >= '0' && src_[p_] <= '7' &&
              src_[p_ + 1] >= '0' && src_[p_ + 1] <= '7') {
            uint32_t cp = static_cast<uint32_t>((e - '0') * 64 + (src_[p_] - '0') * 8 +
                                                (src_[p_ + 1] - '0'));
            p_ += 2;
            AppendUtf8(out, cp);
            break;
          }
          Fail(esc_pos, "syntax error: invalid escape sequence");
          tok_.kind = Tok::kEnd;
          return;
      }
    }
    tok_.kind = Tok::kString;
    tok_.len = static_cast<uint32_t>(p_ - tok_.pos);
    tok_.text = std::move(out);
  }

  // --- nodes
  int32_t Add(Node n) {
    int depth = 0;
    for (int32_t child : {n.a, n.b, n.c}) {
      if (child >= 0) depth = std::max(depth, static_cast<int>(depth_[static_cast<size_t>(child)]));
    }
    for (uint32_t k = 0; k < n.args_count; ++k) {
      depth = std::max(depth, static_cast<int>(depth_[static_cast<size_t>(data_.args[n.args_begin + k])]));
    }
    ++depth;
    if (depth > max_depth_) {
      Fail(n.pos, fmt::format("expression nesting exceeds the maximum depth of {}", max_depth_));
    }
    data_.nodes.push_back(n);
    depth_.push_back(static_cast<uint16_t>(std::min(depth, 65535)));
    return static_cast<int32_t>(data_.nodes.size() - 1);
  }
  Node Make(Op op, uint32_t pos) {
    Node n;
    n.op = op;
    n.pos = pos;
    return n;
  }
  void SetStr(Node& n, std::string_view s) {
    n.str_off = data_.AddString(s);
    n.str_len = static_cast<uint32_t>(s.size());
  }
  void SetArgs(Node& n, const std::vector<int32_t>& args) {
    n.args_begin = static_cast<uint32_t>(data_.args.size());
    n.args_count = static_cast<uint32_t>(args.size());
    data_.args.insert(data_.args.end(), args.begin(), args.end());
  }
  std::string_view StrOf(int32_t id) const {
    return data_.str(data_.nodes[static_cast<size_t>(id)]);
  }
  const Node& At(int32_t id) const { return data_.nodes[static_cast<size_t>(id)]; }

  // Guards the recursion of the descent itself (as opposed to the depth of the tree).
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) { ++parser.recursion_; }
    ~DepthGuard() { --parser.recursion_; }
    Parser& parser;
  };
  bool TooDeep() {
    if (recursion_ > max_depth_) {
      Fail(tok_.pos, fmt::format("expression nesting exceeds the maximum depth of {}", max_depth_));
      return true;
    }
    return false;
  }

  // --- grammar
  int32_t ParseExpr() {
    DepthGuard guard(*this);
    if (TooDeep() || error_) return -1;
    int32_t cond = ParseOr();
    if (error_ || tok_.kind != Tok::kQuestion) return cond;
    uint32_t pos = tok_.pos;
    Next();
    int32_t then = ParseOr();
    if (!Expect(Tok::kColon, ":")) return -1;
    int32_t otherwise = ParseExpr();
    if (error_) return -1;
    Node n = Make(Op::kCond, pos);
    n.a = cond;
    n.b = then;
    n.c = otherwise;
    return Add(n);
  }

  // Builds a balanced tree of `op` over operands[lo, hi), like cel-go's balancer, so that long
  // chains of && / || stay shallow.
  int32_t Balance(Op op, const std::vector<int32_t>& operands, const std::vector<uint32_t>& ops,
                  size_t lo, size_t hi) {
    if (hi - lo == 1) return operands[lo];
    size_t mid = lo + (hi - lo) / 2;
    int32_t left = Balance(op, operands, ops, lo, mid);
    int32_t right = Balance(op, operands, ops, mid, hi);
    Node n = Make(op, ops[mid - 1]);
    n.a = left;
    n.b = right;
    return Add(n);
  }

  int32_t ParseOr() {
    std::vector<int32_t> operands{ParseAnd()};
    std::vector<uint32_t> ops;
    while (!error_ && tok_.kind == Tok::kOr) {
      ops.push_back(tok_.pos);
      Next();
      operands.push_back(ParseAnd());
    }
    if (error_) return -1;
    return Balance(Op::kOr, operands, ops, 0, operands.size());
  }

  int32_t ParseAnd() {
    std::vector<int32_t> operands{ParseRelation()};
    std::vector<uint32_t> ops;
    while (!error_ && tok_.kind == Tok::kAnd) {
      ops.push_back(tok_.pos);
      Next();
      operands.push_back(ParseRelation());
    }
    if (error_) return -1;
    return Balance(Op::kAnd, operands, ops, 0, operands.size());
  }

  int32_t Binary(BinaryOp op, uint32_t pos, int32_t left, int32_t right) {
    if (error_) return -1;
    Node n = Make(Op::kBinary, pos);
    n.fn = static_cast<uint16_t>(op);
    n.a = left;
    n.b = right;
    return Add(n);
  }

  int32_t ParseRelation() {
    int32_t left = ParseAddition();
    while (!error_) {
      BinaryOp op;
      switch (tok_.kind) {
        case Tok::kEq: op = BinaryOp::kEq; break;
        case Tok::kNe: op = BinaryOp::kNe; break;
        case Tok::kLt: op = BinaryOp::kLt; break;
        case Tok::kLe: op = BinaryOp::kLe; break;
        case Tok::kGt: op = BinaryOp::kGt; break;
        case Tok::kGe: op = BinaryOp::kGe; break;
        case Tok::kIn: op = BinaryOp::kIn; break;
        default: return left;
      }
      uint32_t pos = tok_.pos;
      Next();
      int32_t right = ParseAddition();
      left = Binary(op, pos, left, right);
    }
    return -1;
  }

  int32_t ParseAddition() {
    int32_t left = ParseMultiplication();
    while (!error_ && (tok_.kind == Tok::kPlus || tok_.kind == Tok::kMinus)) {
      BinaryOp op = tok_.kind == Tok::kPlus ? BinaryOp::kAdd : BinaryOp::kSub;
      uint32_t pos = tok_.pos;
      Next();
      int32_t right = ParseMultiplication();
      left = Binary(op, pos, left, right);
    }
    return error_ ? -1 : left;
  }

  int32_t ParseMultiplication() {
    int32_t left = ParseUnary();
    while (!error_ && (tok_.kind == Tok::kStar || tok_.kind == Tok::kSlash ||
                       tok_.kind == Tok::kPercent)) {
      BinaryOp op = tok_.kind == Tok::kStar    ? BinaryOp::kMul
                    : tok_.kind == Tok::kSlash ? BinaryOp::kDiv
                                               : BinaryOp::kMod;
      uint32_t pos = tok_.pos;
      Next();
      int32_t right = ParseUnary();
      left = Binary(op, pos, left, right);
    }
    return error_ ? -1 : left;
  }

  int32_t ParseUnary() {
    if (error_) return -1;
    if (tok_.kind == Tok::kNot) {
      DepthGuard guard(*this);
      if (TooDeep()) return -1;
      uint32_t pos = tok_.pos;
      Next();
      int32_t operand = ParseUnary();
      if (error_) return -1;
      Node n = Make(Op::kNot, pos);
      n.a = operand;
      return Add(n);
    }
    if (tok_.kind == Tok::kMinus) {
      DepthGuard guard(*this);
      if (TooDeep()) return -1;
      uint32_t pos = tok_.pos;
      Next();
      if (tok_.kind == Tok::kInt) {
        // A negative literal: -9223372036854775808 is valid although its magnitude is not.
        if (tok_.int_value > uint64_t{1} << 63) {
          Fail(tok_.pos, "integer literal out of range");
          return -1;
        }
        Node n = Make(Op::kInt, pos);
        n.aux = tok_.int_value == uint64_t{1} << 63 ? INT64_MIN
                                                    : -static_cast<int64_t>(tok_.int_value);
        Next();
        return ParseMemberSuffix(Add(n));
      }
      int32_t operand = ParseUnary();
      if (error_) return -1;
      Node n = Make(Op::kNeg, pos);
      n.a = operand;
      return Add(n);
    }
    return ParseMemberSuffix(ParsePrimary());
  }

  // Parses "(args)" after the opening parenthesis has been consumed.
  bool ParseArgs(std::vector<int32_t>& args) {
    if (tok_.kind == Tok::kRParen) {
      Next();
      return true;
    }
    while (!error_) {
      args.push_back(ParseExpr());
      if (error_) return false;
      if (tok_.kind == Tok::kComma) {
        Next();
        continue;
      }
      return Expect(Tok::kRParen, ")");
    }
    return false;
  }

  // Builds a call or expands a macro. `target` is -1 for a global call.
  int32_t MakeCall(uint32_t pos, std::string_view name, int32_t target,
                   const std::vector<int32_t>& args) {
    if (error_) return -1;
    if (target < 0 && name == "has" && args.size() == 1) {
      const Node& arg = At(args[0]);
      if (arg.op != Op::kSelect) {
        Fail(arg.pos, "invalid argument to has() macro");
        return -1;
      }
      Node n = Make(Op::kHas, pos);
      n.a = args[0];
      return Add(n);
    }
    if (target >= 0 && At(target).op == Op::kIdent && StrOf(target) == "cel" && name == "bind") {
      if (args.size() != 3) {
        Fail(pos, "cel.bind() requires 3 arguments");
        return -1;
      }
      if (At(args[0]).op != Op::kIdent) {
        Fail(At(args[0]).pos, "cel.bind() variable name must be a simple identifier");
        return -1;
      }
      Node n = Make(Op::kBind, pos);
      SetStr(n, StrOf(args[0]));
      n.a = args[1];
      n.b = args[2];
      return Add(n);
    }
    if (target >= 0 && At(target).op == Op::kIdent && StrOf(target) == "optional" &&
        (name == "of" || name == "none" || name == "ofNonZeroValue")) {
      Node n = Make(Op::kCall, pos);
      SetStr(n, fmt::format("optional.{}", name));
      SetArgs(n, args);
      return Add(n);
    }
    if (target >= 0) {
      std::optional<MacroKind> macro;
      if (name == "all" && args.size() == 2) macro = MacroKind::kAll;
      if (name == "exists" && args.size() == 2) macro = MacroKind::kExists;
      if (name == "exists_one" && args.size() == 2) macro = MacroKind::kExistsOne;
      if (name == "map" && args.size() == 2) macro = MacroKind::kMap;
      if (name == "map" && args.size() == 3) macro = MacroKind::kMapFilter;
      if (name == "filter" && args.size() == 2) macro = MacroKind::kFilter;
      if (macro) {
        if (At(args[0]).op != Op::kIdent) {
          Fail(At(args[0]).pos, fmt::format("{}() variable name must be a simple identifier", name));
          return -1;
        }
        Node n = Make(Op::kComprehension, pos);
        n.sub = static_cast<uint8_t>(*macro);
        SetStr(n, StrOf(args[0]));
        n.a = target;
        n.b = args[1];
        if (*macro == MacroKind::kMapFilter) n.c = args[2];
        return Add(n);
      }
    }
    Node n = Make(Op::kCall, pos);
    SetStr(n, name);
    n.a = target;
    SetArgs(n, args);
    return Add(n);
  }

  int32_t ParseMemberSuffix(int32_t operand) {
    while (!error_) {
      if (tok_.kind == Tok::kDot) {
        uint32_t pos = tok_.pos;
        Next();
        bool optional = false;
        if (tok_.kind == Tok::kQuestion) {
          optional = true;
          Next();
        }
        if (tok_.kind != Tok::kIdent) {
          Fail(tok_.pos, tok_.kind == Tok::kEnd ? Unexpected()
                                                : fmt::format("syntax error: expected a field name, got '{}'",
                                                              src_.substr(tok_.pos, tok_.len)));
          return -1;
        }
        std::string name = std::move(tok_.text);
        uint32_t name_pos = tok_.pos;
        Next();
        if (!optional && tok_.kind == Tok::kLParen) {
          Next();
          std::vector<int32_t> args;
          if (!ParseArgs(args)) return -1;
          operand = MakeCall(name_pos, name, operand, args);
          continue;
        }
        Node n = Make(optional ? Op::kOptSelect : Op::kSelect, pos);
        n.a = operand;
        SetStr(n, name);
        operand = Add(n);
      } else if (tok_.kind == Tok::kLBracket) {
        uint32_t pos = tok_.pos;
        Next();
        bool optional = false;
        if (tok_.kind == Tok::kQuestion) {
          optional = true;
          Next();
        }
        int32_t index = ParseExpr();
        if (!Expect(Tok::kRBracket, "]")) return -1;
        Node n = Make(optional ? Op::kOptIndex : Op::kIndex, pos);
        n.a = operand;
        n.b = index;
        operand = Add(n);
      } else {
        return operand;
      }
    }
    return -1;
  }

  int32_t ParsePrimary() {
    if (error_) return -1;
    uint32_t pos = tok_.pos;
    switch (tok_.kind) {
      case Tok::kDot:  // leading-dot qualified name: ".device" (exactly one dot)
        Next();
        if (tok_.kind != Tok::kIdent) {
          Fail(tok_.pos, Unexpected());
          return -1;
        }
        [[fallthrough]];
      case Tok::kIdent: {
        pos = tok_.pos;
        std::string name = std::move(tok_.text);
        Next();
        if (tok_.kind == Tok::kLParen) {
          Next();
          std::vector<int32_t> args;
          if (!ParseArgs(args)) return -1;
          return MakeCall(pos, name, -1, args);
        }
        Node n = Make(Op::kIdent, pos);
        SetStr(n, name);
        return Add(n);
      }
      case Tok::kLParen: {
        Next();
        int32_t inner = ParseExpr();
        if (!Expect(Tok::kRParen, ")")) return -1;
        return inner;
      }
      case Tok::kLBracket: {
        Next();
        std::vector<int32_t> elems;
        while (!error_ && tok_.kind != Tok::kRBracket) {
          if (tok_.kind == Tok::kQuestion) {
            Fail(tok_.pos, "optional list elements are not supported");
            return -1;
          }
          elems.push_back(ParseExpr());
          if (error_) return -1;
          if (tok_.kind == Tok::kComma) {
            Next();
            continue;
          }
          if (tok_.kind != Tok::kRBracket) {
            Expect(Tok::kRBracket, "]");
            return -1;
          }
        }
        if (!Expect(Tok::kRBracket, "]")) return -1;
        Node n = Make(Op::kList, pos);
        SetArgs(n, elems);
        return Add(n);
      }
      case Tok::kLBrace:
        Fail(pos, "map and message literals are not supported");
        return -1;
      case Tok::kInt:
      case Tok::kUint: {
        // uint is treated as int: out of int64 range is an error rather than wrapping.
        if (tok_.int_value > static_cast<uint64_t>(INT64_MAX)) {
          Fail(pos, tok_.kind == Tok::kInt
                        ? "integer literal out of range"
                        : "unsigned literal out of supported range (uint is treated as int)");
          return -1;
        }
        Node n = Make(Op::kInt, pos);
        n.aux = static_cast<int64_t>(tok_.int_value);
        Next();
        return Add(n);
      }
      case Tok::kString: {
        Node n = Make(Op::kString, pos);
        SetStr(n, tok_.text);
        Next();
        return Add(n);
      }
      case Tok::kTrue:
      case Tok::kFalse: {
        Node n = Make(Op::kBool, pos);
        n.aux = tok_.kind == Tok::kTrue ? 1 : 0;
        Next();
        return Add(n);
      }
      case Tok::kNullLit: {
        Next();
        return Add(Make(Op::kNull, pos));
      }
      default:
        Fail(pos, Unexpected());
        return -1;
    }
  }

  ProgramData& data_;
  std::string_view src_;
  int max_depth_;
  int recursion_ = 0;
  size_t p_ = 0;
  Token tok_;
  std::optional<std::string> error_;
  std::vector<uint16_t> depth_;
};

}  // namespace

std::string ErrorAt(std::string_view expression, uint32_t pos, std::string_view message) {
  size_t line = 1;
  size_t column = 1;
  for (size_t k = 0; k < pos && k < expression.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(expression[k]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  if (line > 1) return fmt::format("line {}, column {}: {}", line, column, message);
  return fmt::format("column {}: {}", column, message);
}

Result<int32_t> Parse(ProgramData& data, int max_depth) {
  Parser parser(data, max_depth);
  return parser.Run();
}

}  // namespace tessera::dra::cel

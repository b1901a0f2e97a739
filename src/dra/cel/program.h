// A compiled CEL selector: a compact AST of plain structs with integer child ids, produced by
// the parser, rewritten in place by the checker into resolved operations, and walked by the
// evaluator. Invariant: after Compile, every node's op is a resolved op (never a parse-only
// op such as kIdent or kCall) and every child id is a valid index into `nodes`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dra/cel/values.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace tessera::dra::cel {

enum class Op : uint8_t {
  // Produced by the parser.
  kNull,
  kBool,       // aux: 0/1
  kInt,        // aux
  kString,     // str
  kList,       // args
  kIdent,      // str
  kSelect,     // a.str
  kOptSelect,  // a.?str
  kIndex,      // a[b]
  kOptIndex,   // a[?b]
  kCall,       // str(args) or a.str(args)
  kNot,        // !a
  kNeg,        // -a
  kBinary,     // a <fn> b (BinaryOp)
  kAnd,        // a && b
  kOr,         // a || b
  kCond,       // a ? b : c
  kHas,        // has(a.str)
  kComprehension,  // sub: MacroKind; str: variable; aux: slot; a: range; b: body; c: transform
  kBind,           // cel.bind(str, a, b); aux: slot
  // Produced by the checker.
  kConst,          // constants[aux]
  kVar,            // slots[aux]
  kDevice,         // the `device` variable
  kDeviceDriver,
  kDeviceAttributes,
  kDeviceCapacity,
  kDeviceAllowMultiple,
  // device.attributes["domain"].id, resolved at compile time. sub: AttrMode; fn: 1 for
  // capacity; aux: id in attribute_names() or -1 when no device has the name; str: the id.
  kAttr,
  kFunc,  // fn: Function; a: receiver or -1; args
};

enum class BinaryOp : uint16_t { kEq, kNe, kLt, kLe, kGt, kGe, kAdd, kSub, kMul, kDiv, kMod, kIn };

enum class MacroKind : uint8_t { kAll, kExists, kExistsOne, kMap, kMapFilter, kFilter };

enum class AttrMode : uint8_t { kGet, kOptional, kHas };

enum class Function : uint16_t {
  kSize,
  kStartsWith,
  kEndsWith,
  kContains,
  kLowerAscii,
  kUpperAscii,
  kMatches,  // aux: regex index when the pattern was a literal, else -1
  kTrim,
  kIndexOf,
  kToString,
  kToInt,
  kToBool,
  kDyn,
  kQuantity,
  kIsQuantity,
  kCompareTo,
  kIsGreaterThan,
  kIsLessThan,
  kQuantityAdd,
  kQuantitySub,
  kSign,
  kIsInteger,
  kAsInteger,
  kSemver,
  kIsSemver,
  kMajor,
  kMinor,
  kPatch,
  kOrValue,
  kHasValue,
  kValue,
  kOptionalOf,
  kOptionalNone,
};

struct Node {
  Op op = Op::kNull;
  uint8_t sub = 0;
  uint16_t fn = 0;
  uint32_t pos = 0;  // byte offset of the token that names the node (operator, identifier)
  int32_t a = -1;
  int32_t b = -1;
  int32_t c = -1;
  uint32_t args_begin = 0;  // into ProgramData::args
  uint32_t args_count = 0;
  uint32_t str_off = 0;  // into ProgramData::pool
  uint32_t str_len = 0;
  int64_t aux = 0;
};

// Everything the evaluator needs. Owned by a Program; immutable after Compile.
struct ProgramData {
  ProgramData();
  ~ProgramData();
  ProgramData(ProgramData&&) noexcept;
  ProgramData& operator=(ProgramData&&) noexcept;

  std::string expression;
  std::vector<Node> nodes;
  std::vector<int32_t> args;
  std::vector<char> pool;  // string bytes; never resized after constants are built
  std::vector<Value> constants;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
  int32_t root = -1;
  uint32_t num_slots = 0;
  uint64_t estimated_cost = 0;
  uint64_t cost_limit = 0;

  std::string_view str(const Node& n) const { return {pool.data() + n.str_off, n.str_len}; }
  // Appends `s` to the pool and returns its offset.
  uint32_t AddString(std::string_view s);
};

}  // namespace tessera::dra::cel

// Type checker and compiler: rewrites parse-level nodes into resolved operations, rejects
// obvious type errors, resolves attribute lookups to interned ids, compiles literal regexes,
// folds literal quantity()/semver() calls into constants and estimates the worst-case cost.
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "dra/cel/cel.h"
#include "dra/cel/parser.h"

namespace tessera::dra::cel {

ProgramData::ProgramData() = default;
ProgramData::~ProgramData() = default;
ProgramData::ProgramData(ProgramData&&) noexcept = default;
ProgramData& ProgramData::operator=(ProgramData&&) noexcept = default;

uint32_t ProgramData::AddString(std::string_view s) {
  auto off = static_cast<uint32_t>(pool.size());
  pool.insert(pool.end(), s.begin(), s.end());
  return off;
}

namespace {

// Static types. Parameters of list/map/optional are ids in the checker's type table.
enum class TK : uint8_t { kDyn, kNull, kBool, kInt, kString, kQuantity, kSemver, kList, kMap,
                          kOptional, kDevice, kAny };

struct Type {
  TK kind = TK::kDyn;
  uint16_t p0 = 0;
  uint16_t p1 = 0;
  bool operator==(const Type&) const = default;
};

using TypeId = uint16_t;
constexpr TypeId kDynT = 0, kNullT = 1, kBoolT = 2, kIntT = 3, kStringT = 4, kQuantityT = 5,
                 kSemverT = 6, kDeviceT = 7;

// Sizes the DRA API bounds (dra.md section 7): strings <= 64 bytes, attributes + capacities
// per device <= 32 (48 counting 1.36 list items); we use 64 for both to stay on the safe side.
constexpr uint64_t kMaxAttrString = 64;
constexpr uint64_t kMaxDeviceEntries = 64;

uint64_t SatAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t SatMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

struct Info {
  TypeId type = kDynT;
  uint64_t size = 0;       // max length (strings) or entries (lists, maps)
  uint64_t elem_size = 0;  // lists/maps: max size of an element (value)
  uint64_t cost = 0;       // worst-case cost of evaluating the node
  // Set when the node is device.attributes[<literal>] or device.capacity[<literal>].
  bool has_domain = false;
  bool domain_is_capacity = false;
  std::string domain;
};

struct Scope {
  std::string name;
  uint32_t slot = 0;
  Info info;
};

enum class Recv : uint8_t { kGlobal, kMember, kBoth };

struct Signature {
  std::string_view name;
  Recv recv;
  TK receiver;  // for member calls
  int nargs;    // excluding the receiver
  std::array<TK, 2> params;
  TK result;    // kAny: same as the receiver's optional element / argument type
  Function fn;
};

// The function table. Member and global forms are listed separately where both exist.
constexpr Signature kSignatures[] = {
    {"size", Recv::kMember, TK::kString, 0, {}, TK::kInt, Function::kSize},
    {"size", Recv::kMember, TK::kList, 0, {}, TK::kInt, Function::kSize},
    {"size", Recv::kMember, TK::kMap, 0, {}, TK::kInt, Function::kSize},
    {"size", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kInt, Function::kSize},
    {"size", Recv::kGlobal, TK::kDyn, 1, {TK::kList}, TK::kInt, Function::kSize},
    {"size", Recv::kGlobal, TK::kDyn, 1, {TK::kMap}, TK::kInt, Function::kSize},
    {"startsWith", Recv::kMember, TK::kString, 1, {TK::kString}, TK::kBool, Function::kStartsWith},
    {"endsWith", Recv::kMember, TK::kString, 1, {TK::kString}, TK::kBool, Function::kEndsWith},
    {"contains", Recv::kMember, TK::kString, 1, {TK::kString}, TK::kBool, Function::kContains},
    {"lowerAscii", Recv::kMember, TK::kString, 0, {}, TK::kString, Function::kLowerAscii},
    {"upperAscii", Recv::kMember, TK::kString, 0, {}, TK::kString, Function::kUpperAscii},
    {"trim", Recv::kMember, TK::kString, 0, {}, TK::kString, Function::kTrim},
    {"indexOf", Recv::kMember, TK::kString, 1, {TK::kString}, TK::kInt, Function::kIndexOf},
    {"matches", Recv::kMember, TK::kString, 1, {TK::kString}, TK::kBool, Function::kMatches},
    {"matches", Recv::kGlobal, TK::kDyn, 2, {TK::kString, TK::kString}, TK::kBool,
     Function::kMatches},
    {"string", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kString, Function::kToString},
    {"string", Recv::kGlobal, TK::kDyn, 1, {TK::kInt}, TK::kString, Function::kToString},
    {"string", Recv::kGlobal, TK::kDyn, 1, {TK::kBool}, TK::kString, Function::kToString},
    {"string", Recv::kGlobal, TK::kDyn, 1, {TK::kSemver}, TK::kString, Function::kToString},
    {"int", Recv::kGlobal, TK::kDyn, 1, {TK::kInt}, TK::kInt, Function::kToInt},
    {"int", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kInt, Function::kToInt},
    {"uint", Recv::kGlobal, TK::kDyn, 1, {TK::kInt}, TK::kInt, Function::kToInt},
    {"uint", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kInt, Function::kToInt},
    {"bool", Recv::kGlobal, TK::kDyn, 1, {TK::kBool}, TK::kBool, Function::kToBool},
    {"bool", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kBool, Function::kToBool},
    {"dyn", Recv::kGlobal, TK::kDyn, 1, {TK::kAny}, TK::kDyn, Function::kDyn},
    {"quantity", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kQuantity, Function::kQuantity},
    {"isQuantity", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kBool, Function::kIsQuantity},
    {"compareTo", Recv::kMember, TK::kQuantity, 1, {TK::kQuantity}, TK::kInt, Function::kCompareTo},
    {"compareTo", Recv::kMember, TK::kSemver, 1, {TK::kSemver}, TK::kInt, Function::kCompareTo},
    {"isGreaterThan", Recv::kMember, TK::kQuantity, 1, {TK::kQuantity}, TK::kBool,
     Function::kIsGreaterThan},
    {"isGreaterThan", Recv::kMember, TK::kSemver, 1, {TK::kSemver}, TK::kBool,
     Function::kIsGreaterThan},
    {"isLessThan", Recv::kMember, TK::kQuantity, 1, {TK::kQuantity}, TK::kBool,
     Function::kIsLessThan},
    {"isLessThan", Recv::kMember, TK::kSemver, 1, {TK::kSemver}, TK::kBool, Function::kIsLessThan},
    {"add", Recv::kMember, TK::kQuantity, 1, {TK::kQuantity}, TK::kQuantity, Function::kQuantityAdd},
    {"add", Recv::kMember, TK::kQuantity, 1, {TK::kInt}, TK::kQuantity, Function::kQuantityAdd},
    {"sub", Recv::kMember, TK::kQuantity, 1, {TK::kQuantity}, TK::kQuantity, Function::kQuantitySub},
    {"sub", Recv::kMember, TK::kQuantity, 1, {TK::kInt}, TK::kQuantity, Function::kQuantitySub},
    {"sign", Recv::kMember, TK::kQuantity, 0, {}, TK::kInt, Function::kSign},
    {"isInteger", Recv::kMember, TK::kQuantity, 0, {}, TK::kBool, Function::kIsInteger},
    {"asInteger", Recv::kMember, TK::kQuantity, 0, {}, TK::kInt, Function::kAsInteger},
    {"semver", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kSemver, Function::kSemver},
    {"semver", Recv::kGlobal, TK::kDyn, 2, {TK::kString, TK::kBool}, TK::kSemver,
     Function::kSemver},
    {"isSemver", Recv::kGlobal, TK::kDyn, 1, {TK::kString}, TK::kBool, Function::kIsSemver},
    {"isSemver", Recv::kGlobal, TK::kDyn, 2, {TK::kString, TK::kBool}, TK::kBool,
     Function::kIsSemver},
    {"major", Recv::kMember, TK::kSemver, 0, {}, TK::kInt, Function::kMajor},
    {"minor", Recv::kMember, TK::kSemver, 0, {}, TK::kInt, Function::kMinor},
    {"patch", Recv::kMember, TK::kSemver, 0, {}, TK::kInt, Function::kPatch},
    {"orValue", Recv::kMember, TK::kOptional, 1, {TK::kAny}, TK::kAny, Function::kOrValue},
    {"hasValue", Recv::kMember, TK::kOptional, 0, {}, TK::kBool, Function::kHasValue},
    {"value", Recv::kMember, TK::kOptional, 0, {}, TK::kAny, Function::kValue},
    {"optional.of", Recv::kGlobal, TK::kDyn, 1, {TK::kAny}, TK::kOptional, Function::kOptionalOf},
    {"optional.none", Recv::kGlobal, TK::kDyn, 0, {}, TK::kOptional, Function::kOptionalNone},
};

class Checker {
 public:
  Checker(ProgramData& data, const model::Snapshot& snapshot, const CompileOptions& options)
      : data_(data), snapshot_(snapshot), options_(options) {
    // Fixed ids kDynT..kDeviceT.
    for (TK k : {TK::kDyn, TK::kNull, TK::kBool, TK::kInt, TK::kString, TK::kQuantity,
                 TK::kSemver, TK::kDevice}) {
      types_.push_back({k, 0, 0});
    }
    info_.resize(data.nodes.size());
  }

  Status Run() {
    if (!Check(data_.root)) return InvalidArgument(*error_);
    const Info& root = info_[Index(data_.root)];
    TypeId t = root.type;
    if (t != kBoolT && t != kDynT) {
      return InvalidArgument(ErrorAt(data_.expression, N(data_.root).pos,
                                     fmt::format("expression must evaluate to bool, got '{}'",
                                                 TypeName(t))));
    }
    data_.estimated_cost = root.cost;
    if (root.cost > options_.max_estimated_cost) {
      return InvalidArgument(ErrorAt(
          data_.expression, N(data_.root).pos,
          fmt::format("estimated cost {} exceeds the limit of {}",
                      root.cost == UINT64_MAX ? std::string("(unbounded)")
                                              : std::to_string(root.cost),
                      options_.max_estimated_cost)));
    }
    return OkStatus();
  }

 private:
  static size_t Index(int32_t id) { return static_cast<size_t>(id); }
  Node& N(int32_t id) { return data_.nodes[Index(id)]; }
  Info& I(int32_t id) { return info_[Index(id)]; }
  std::string_view Str(int32_t id) { return data_.str(N(id)); }

  bool Fail(uint32_t pos, std::string_view message) {
    if (!error_) error_ = ErrorAt(data_.expression, pos, message);
    return false;
  }

  // --- types
  TypeId Intern(Type t) {
    for (size_t k = 0; k < types_.size(); ++k) {
      if (types_[k] == t) return static_cast<TypeId>(k);
    }
    types_.push_back(t);
    return static_cast<TypeId>(types_.size() - 1);
  }
  TypeId ListOf(TypeId elem) { return Intern({TK::kList, elem, 0}); }
  TypeId MapOf(TypeId key, TypeId value) { return Intern({TK::kMap, key, value}); }
  TypeId OptionalOf(TypeId elem) { return Intern({TK::kOptional, elem, 0}); }
  TK Kind(TypeId t) const { return types_[t].kind; }

  std::string TypeName(TypeId t) const {
    const Type& ty = types_[t];
    switch (ty.kind) {
      case TK::kDyn: return "dyn";
      case TK::kNull: return "null_type";
      case TK::kBool: return "bool";
      case TK::kInt: return "int";
      case TK::kString: return "string";
      case TK::kQuantity: return "Quantity";
      case TK::kSemver: return "Semver";
      case TK::kList: return fmt::format("list({})", TypeName(ty.p0));
      case TK::kMap: return fmt::format("map({}, {})", TypeName(ty.p0), TypeName(ty.p1));
      case TK::kOptional: return fmt::format("optional_type({})", TypeName(ty.p0));
      case TK::kDevice: return "device";
      case TK::kAny: return "any";
    }
    return "?";
  }

  // Whether a value of static type `actual` may be passed where `param` is expected.
  bool Accepts(TK param, TypeId actual) const {
    TK k = Kind(actual);
    return param == TK::kAny || k == TK::kDyn || param == k;
  }
  // Whether two static types can possibly hold equal values.
  bool Comparable(TypeId a, TypeId b) const {
    TK ka = Kind(a);
    TK kb = Kind(b);
    if (ka == TK::kDyn || kb == TK::kDyn || ka == kb) return true;
    if (ka == TK::kNull || kb == TK::kNull) return ka == TK::kOptional || kb == TK::kOptional;
    return false;
  }
  TypeId Join(TypeId a, TypeId b) const { return a == b ? a : kDynT; }

  // --- constants
  int64_t AddConstant(Value v) {
    data_.constants.push_back(v);
    return static_cast<int64_t>(data_.constants.size() - 1);
  }
  void MakeStringConstant(int32_t id, std::string_view text, ValueKind kind = ValueKind::kString) {
    Node& n = N(id);
    uint32_t off = data_.AddString(text);
    Value v;
    v.kind = kind;
    v.len = static_cast<uint32_t>(text.size());
    v.i = off;  // patched into a pointer by Finalize
    n.op = Op::kConst;
    n.aux = AddConstant(v);
    n.str_off = off;
    n.str_len = static_cast<uint32_t>(text.size());
  }
  // The literal string of a constant-string node, if it is one.
  std::optional<std::string> LiteralString(int32_t id) {
    const Node& n = N(id);
    if (n.op != Op::kConst) return std::nullopt;
    const Value& v = data_.constants[static_cast<size_t>(n.aux)];
    if (v.kind != ValueKind::kString) return std::nullopt;
    return std::string(data_.str(n));
  }

  // --- the checker proper
  bool Check(int32_t id) {
    Node& n = N(id);
    switch (n.op) {
      case Op::kNull: {
        n.op = Op::kConst;
        n.aux = AddConstant(Value::Null());
        I(id) = Info{kNullT, 0, 0, 1};
        return true;
      }
      case Op::kBool: {
        n.op = Op::kConst;
        n.aux = AddConstant(Value::Bool(n.aux != 0));
        I(id) = Info{kBoolT, 0, 0, 1};
        return true;
      }
      case Op::kInt: {
        n.op = Op::kConst;
        n.aux = AddConstant(Value::Int(n.aux));
        I(id) = Info{kIntT, 0, 0, 1};
        return true;
      }
      case Op::kString: {
        std::string text(Str(id));
        MakeStringConstant(id, text);
        I(id) = Info{kStringT, text.size(), 0, 1};
        return true;
      }
      case Op::kList: return CheckList(id);
      case Op::kIdent: return CheckIdent(id);
      case Op::kSelect:
      case Op::kOptSelect: return CheckSelect(id);
      case Op::kIndex:
      case Op::kOptIndex: return CheckIndex(id);
      case Op::kCall: return CheckCall(id);
      case Op::kNot:
      case Op::kNeg: {
        if (!Check(n.a)) return false;
        Node& m = N(id);
        TypeId want = m.op == Op::kNot ? kBoolT : kIntT;
        TypeId t = I(m.a).type;
        if (t != want && t != kDynT) {
          return Fail(m.pos, fmt::format("found no matching overload for '{}' applied to '({})'",
                                         m.op == Op::kNot ? "!_" : "-_", TypeName(t)));
        }
        I(id) = Info{want, 0, 0, SatAdd(I(m.a).cost, 1)};
        return true;
      }
      case Op::kAnd:
      case Op::kOr: {
        if (!Check(n.a) || !Check(N(id).b)) return false;
        Node& m = N(id);
        TypeId ta = I(m.a).type;
        TypeId tb = I(m.b).type;
        if ((ta != kBoolT && ta != kDynT) || (tb != kBoolT && tb != kDynT)) {
          return Fail(m.pos, fmt::format("found no matching overload for '{}' applied to '({}, {})'",
                                         m.op == Op::kAnd ? "_&&_" : "_||_", TypeName(ta),
                                         TypeName(tb)));
        }
        I(id) = Info{kBoolT, 0, 0, SatAdd(SatAdd(I(m.a).cost, I(m.b).cost), 1)};
        return true;
      }
      case Op::kCond: {
        if (!Check(n.a) || !Check(N(id).b) || !Check(N(id).c)) return false;
        Node& m = N(id);
        TypeId tc = I(m.a).type;
        if (tc != kBoolT && tc != kDynT) {
          return Fail(m.pos, fmt::format("found no matching overload for '_?_:_' applied to "
                                         "'({}, {}, {})'",
                                         TypeName(tc), TypeName(I(m.b).type),
                                         TypeName(I(m.c).type)));
        }
        Info out;
        out.type = Join(I(m.b).type, I(m.c).type);
        out.size = std::max(I(m.b).size, I(m.c).size);
        out.elem_size = std::max(I(m.b).elem_size, I(m.c).elem_size);
        out.cost = SatAdd(SatAdd(I(m.a).cost, std::max(I(m.b).cost, I(m.c).cost)), 1);
        I(id) = out;
        return true;
      }
      case Op::kBinary: return CheckBinary(id);
      case Op::kHas: return CheckHas(id);
      case Op::kComprehension: return CheckComprehension(id);
      case Op::kBind: return CheckBind(id);
      default:
        return Fail(n.pos, "internal error: unexpected node");
    }
  }

  bool CheckList(int32_t id) {
    Node n = N(id);
    TypeId elem = kDynT;
    bool first = true;
    Info out;
    out.cost = 1;
    for (uint32_t k = 0; k < n.args_count; ++k) {
      int32_t child = data_.args[n.args_begin + k];
      if (!Check(child)) return false;
      elem = first ? I(child).type : Join(elem, I(child).type);
      first = false;
      out.elem_size = std::max(out.elem_size, I(child).size);
      out.cost = SatAdd(out.cost, I(child).cost);
    }
    out.type = ListOf(elem);
    out.size = n.args_count;
    I(id) = out;
    return true;
  }

  bool CheckIdent(int32_t id) {
    Node& n = N(id);
    std::string_view name = Str(id);
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->name == name) {
        n.op = Op::kVar;
        n.aux = it->slot;
        I(id) = it->info;
        I(id).cost = 1;
        return true;
      }
    }
    if (name == "device") {
      n.op = Op::kDevice;
      I(id) = Info{kDeviceT, 0, 0, 1};
      return true;
    }
    return Fail(n.pos, fmt::format("undeclared reference to \"{}\"", name));
  }

  // Turns node `id` into a compile-time resolved attribute/capacity lookup.
  void MakeAttr(int32_t id, const Info& domain_info, std::string_view key, AttrMode mode) {
    Node& n = N(id);
    std::string full = fmt::format("{}/{}", domain_info.domain, key);
    std::optional<uint32_t> name = snapshot_.attribute_names().Find(full);
    n.op = Op::kAttr;
    n.sub = static_cast<uint8_t>(mode);
    n.fn = domain_info.domain_is_capacity ? 1 : 0;
    n.aux = name ? static_cast<int64_t>(*name) : -1;
    n.a = -1;
    n.b = -1;
    n.str_off = data_.AddString(key);
    n.str_len = static_cast<uint32_t>(key.size());
    Info out;
    TypeId value = domain_info.domain_is_capacity ? kQuantityT : kDynT;
    out.type = mode == AttrMode::kHas        ? kBoolT
               : mode == AttrMode::kOptional ? OptionalOf(value)
                                             : value;
    out.size = kMaxAttrString;
    out.cost = 2;
    I(id) = out;
  }

  // Type of selecting/indexing a value of type `t` with a string key; nullopt if impossible.
  std::optional<TypeId> MapValueType(TypeId t) {
    if (Kind(t) == TK::kDyn) return kDynT;
    if (Kind(t) == TK::kMap) {
      TK key = Kind(types_[t].p0);
      if (key == TK::kString || key == TK::kDyn) return types_[t].p1;
    }
    return std::nullopt;
  }

  bool CheckSelect(int32_t id) {
    if (!Check(N(id).a)) return false;
    Node& n = N(id);
    bool optional = n.op == Op::kOptSelect;
    const Info operand = I(n.a);
    std::string field(Str(id));
    if (operand.type == kDeviceT) {
      if (optional) return Fail(n.pos, "optional field selection on device is not supported");
      Info out;
      out.cost = 1;
      if (field == "driver") {
        n.op = Op::kDeviceDriver;
        out.type = kStringT;
        out.size = 63;
      } else if (field == "attributes") {
        n.op = Op::kDeviceAttributes;
        out.type = MapOf(kStringT, MapOf(kStringT, kDynT));
        out.size = kMaxDeviceEntries;
        out.elem_size = kMaxDeviceEntries;
      } else if (field == "capacity") {
        n.op = Op::kDeviceCapacity;
        out.type = MapOf(kStringT, MapOf(kStringT, kQuantityT));
        out.size = kMaxDeviceEntries;
        out.elem_size = kMaxDeviceEntries;
      } else if (field == "allowMultipleAllocations") {
        n.op = Op::kDeviceAllowMultiple;
        out.type = kBoolT;
      } else {
        return Fail(n.pos, fmt::format("undefined field '{}'", field));
      }
      n.a = -1;
      I(id) = out;
      return true;
    }
    if (operand.has_domain) {
      MakeAttr(id, operand, field, optional ? AttrMode::kOptional : AttrMode::kGet);
      return true;
    }
    TypeId t = operand.type;
    if (Kind(t) == TK::kOptional) {
      // Optional chaining: opt.field is optional too.
      optional = true;
      t = types_[t].p0;
    }
    std::optional<TypeId> value = MapValueType(t);
    if (!value) {
      return Fail(n.pos, fmt::format("type '{}' does not support field selection", TypeName(t)));
    }
    Info out;
    out.type = optional ? OptionalOf(*value) : *value;
    out.size = operand.elem_size > 0 ? operand.elem_size : kMaxAttrString;
    out.elem_size = kMaxDeviceEntries;
    out.cost = SatAdd(operand.cost, 1 + kMaxDeviceEntries / 8);
    I(id) = out;
    return true;
  }

  bool CheckIndex(int32_t id) {
    if (!Check(N(id).a) || !Check(N(id).b)) return false;
    Node& n = N(id);
    bool optional = n.op == Op::kOptIndex;
    const Info operand = I(n.a);
    const Info key = I(n.b);
    std::optional<std::string> literal = LiteralString(n.b);
    // device.attributes["domain"] with a literal domain.
    if (!optional && literal &&
        (N(n.a).op == Op::kDeviceAttributes || N(n.a).op == Op::kDeviceCapacity)) {
      Info out;
      out.type = types_[operand.type].p1;
      out.size = kMaxDeviceEntries;
      out.elem_size = kMaxAttrString;
      out.cost = SatAdd(operand.cost, 1);
      out.has_domain = true;
      out.domain_is_capacity = N(n.a).op == Op::kDeviceCapacity;
      out.domain = *literal;
      I(id) = out;
      return true;
    }
    if (operand.has_domain && literal) {
      MakeAttr(id, operand, *literal, optional ? AttrMode::kOptional : AttrMode::kGet);
      return true;
    }
    TypeId t = operand.type;
    if (Kind(t) == TK::kOptional) {
      optional = true;
      t = types_[t].p0;
    }
    TypeId result = kDynT;
    TK kk = Kind(key.type);
    if (Kind(t) == TK::kList) {
      if (kk != TK::kInt && kk != TK::kDyn) {
        return Fail(n.pos, fmt::format("found no matching overload for '_[_]' applied to "
                                       "'({}, {})'", TypeName(t), TypeName(key.type)));
      }
      result = types_[t].p0;
    } else if (Kind(t) == TK::kMap) {
      if (!Accepts(Kind(types_[t].p0), key.type) && Kind(types_[t].p0) != TK::kDyn) {
        return Fail(n.pos, fmt::format("found no matching overload for '_[_]' applied to "
                                       "'({}, {})'", TypeName(t), TypeName(key.type)));
      }
      result = types_[t].p1;
    } else if (Kind(t) != TK::kDyn) {
      return Fail(n.pos, fmt::format("found no matching overload for '_[_]' applied to '({}, {})'",
                                     TypeName(t), TypeName(key.type)));
    }
    Info out;
    out.type = optional ? OptionalOf(result) : result;
    out.size = operand.elem_size > 0 ? operand.elem_size : kMaxAttrString;
    out.elem_size = kMaxDeviceEntries;
    out.cost = SatAdd(SatAdd(operand.cost, key.cost), 1 + operand.size / 8);
    I(id) = out;
    return true;
  }

  bool CheckHas(int32_t id) {
    int32_t sel = N(id).a;
    int32_t operand_id = N(sel).a;
    std::string field(Str(sel));
    if (!Check(operand_id)) return false;
    const Info operand = I(operand_id);
    if (operand.has_domain) {
      MakeAttr(id, operand, field, AttrMode::kHas);
      return true;
    }
    Node& n = N(id);
    if (operand.type == kDeviceT) {
      if (field != "driver" && field != "attributes" && field != "capacity" &&
          field != "allowMultipleAllocations") {
        return Fail(N(sel).pos, fmt::format("undefined field '{}'", field));
      }
      n.op = Op::kConst;
      n.aux = AddConstant(Value::Bool(true));
      I(id) = Info{kBoolT, 0, 0, 1};
      return true;
    }
    if (!MapValueType(operand.type)) {
      return Fail(N(sel).pos, fmt::format("type '{}' does not support field selection",
                                          TypeName(operand.type)));
    }
    // Generic presence test: node keeps op kHas with the map as `a` and the field as str.
    n.a = operand_id;
    n.str_off = data_.AddString(field);
    n.str_len = static_cast<uint32_t>(field.size());
    I(id) = Info{kBoolT, 0, 0, SatAdd(operand.cost, 1 + operand.size / 8)};
    return true;
  }

  bool CheckBinary(int32_t id) {
    if (!Check(N(id).a) || !Check(N(id).b)) return false;
    Node& n = N(id);
    auto op = static_cast<BinaryOp>(n.fn);
    const Info a = I(n.a);
    const Info b = I(n.b);
    TK ka = Kind(a.type);
    TK kb = Kind(b.type);
    auto no_overload = [&](std::string_view name) {
      return Fail(n.pos, fmt::format("found no matching overload for '{}' applied to '({}, {})'",
                                     name, TypeName(a.type), TypeName(b.type)));
    };
    Info out;
    out.cost = SatAdd(SatAdd(a.cost, b.cost), 1);
    switch (op) {
      case BinaryOp::kEq:
      case BinaryOp::kNe:
        if (!Comparable(a.type, b.type)) return no_overload(op == BinaryOp::kEq ? "_==_" : "_!=_");
        out.type = kBoolT;
        out.cost = SatAdd(out.cost, std::min(a.size, b.size) / 10);
        if (ka == TK::kList || kb == TK::kList) {
          out.cost = SatAdd(out.cost, SatMul(std::min(a.size, b.size), a.elem_size / 10 + 1));
        }
        break;
      case BinaryOp::kLt:
      case BinaryOp::kLe:
      case BinaryOp::kGt:
      case BinaryOp::kGe: {
        auto orderable = [](TK k) {
          return k == TK::kInt || k == TK::kString || k == TK::kBool || k == TK::kDyn;
        };
        static constexpr std::string_view kNames[] = {"_<_", "_<=_", "_>_", "_>=_"};
        std::string_view name = kNames[static_cast<int>(op) - static_cast<int>(BinaryOp::kLt)];
        if (!orderable(ka) || !orderable(kb) || (ka != kb && ka != TK::kDyn && kb != TK::kDyn)) {
          return no_overload(name);
        }
        out.type = kBoolT;
        out.cost = SatAdd(out.cost, std::min(a.size, b.size) / 10);
        break;
      }
      case BinaryOp::kAdd:
        if ((ka == TK::kInt || ka == TK::kDyn) && (kb == TK::kInt || kb == TK::kDyn) &&
            !(ka == TK::kDyn && kb == TK::kDyn)) {
          out.type = kIntT;
        } else if ((ka == TK::kString || ka == TK::kDyn) && (kb == TK::kString || kb == TK::kDyn) &&
                   !(ka == TK::kDyn && kb == TK::kDyn)) {
          out.type = kStringT;
          out.size = SatAdd(a.size, b.size);
          out.cost = SatAdd(out.cost, out.size / 10);
        } else if ((ka == TK::kList || ka == TK::kDyn) && (kb == TK::kList || kb == TK::kDyn) &&
                   !(ka == TK::kDyn && kb == TK::kDyn)) {
          out.type = ka == TK::kList && kb == TK::kList ? (a.type == b.type ? a.type : ListOf(kDynT))
                     : ka == TK::kList                  ? a.type
                                                        : b.type;
          out.size = SatAdd(a.size, b.size);
          out.elem_size = std::max(a.elem_size, b.elem_size);
          out.cost = SatAdd(out.cost, out.size);
        } else if (ka == TK::kDyn && kb == TK::kDyn) {
          out.type = kDynT;
          out.size = SatAdd(a.size, b.size);
          out.elem_size = std::max(a.elem_size, b.elem_size);
          out.cost = SatAdd(out.cost, out.size);
        } else {
          return no_overload("_+_");
        }
        break;
      case BinaryOp::kSub:
      case BinaryOp::kMul:
      case BinaryOp::kDiv:
      case BinaryOp::kMod: {
        static constexpr std::string_view kNames[] = {"_-_", "_*_", "_/_", "_%_"};
        if ((ka != TK::kInt && ka != TK::kDyn) || (kb != TK::kInt && kb != TK::kDyn)) {
          return no_overload(kNames[static_cast<int>(op) - static_cast<int>(BinaryOp::kSub)]);
        }
        out.type = kIntT;
        break;
      }
      case BinaryOp::kIn: {
        if (b.has_domain && LiteralString(n.a)) {
          std::string key = *LiteralString(n.a);
          MakeAttr(id, b, key, AttrMode::kHas);
          return true;
        }
        if (kb == TK::kList) {
          if (!Comparable(a.type, types_[b.type].p0)) return no_overload("@in");
          out.cost = SatAdd(out.cost, SatMul(b.size, a.size / 10 + 1));
        } else if (kb == TK::kMap) {
          if (!Accepts(Kind(types_[b.type].p0), a.type) && Kind(types_[b.type].p0) != TK::kDyn) {
            return no_overload("@in");
          }
          out.cost = SatAdd(out.cost, b.size / 8 + 1);
        } else if (kb == TK::kDyn) {
          out.cost = SatAdd(out.cost, SatMul(std::max<uint64_t>(b.size, kMaxDeviceEntries),
                                             a.size / 10 + 1));
        } else {
          return no_overload("@in");
        }
        out.type = kBoolT;
        break;
      }
    }
    I(id) = out;
    return true;
  }

  bool CheckCall(int32_t id) {
    Node n = N(id);
    std::string name(Str(id));
    bool member = n.a >= 0;
    bool known_name = false;
    for (const Signature& sig : kSignatures) known_name = known_name || sig.name == name;
    if (!known_name) {
      if (member && (name == "all" || name == "exists" || name == "exists_one" || name == "map" ||
                     name == "filter")) {
        return Fail(n.pos, fmt::format("{}() macro requires {} arguments", name,
                                       name == "map" ? "2 or 3" : "2"));
      }
      if (name != "asApproximateFloat") {
        return Fail(n.pos, fmt::format("undeclared reference to \"{}\"", name));
      }
    }
    if (member && !Check(n.a)) return false;
    std::vector<int32_t> args(data_.args.begin() + n.args_begin,
                              data_.args.begin() + n.args_begin + n.args_count);
    for (int32_t arg : args) {
      if (!Check(arg)) return false;
    }
    if (name == "asApproximateFloat") return Fail(n.pos, "floating point is not supported");
    TypeId receiver = member ? I(n.a).type : kDynT;
    const Signature* match = nullptr;
    int matches = 0;
    TK result = TK::kDyn;
    bool results_agree = true;
    for (const Signature& sig : kSignatures) {
      if (sig.name != name) continue;
      if (member ? sig.recv == Recv::kGlobal : sig.recv == Recv::kMember) continue;
      if (static_cast<size_t>(sig.nargs) != args.size()) continue;
      if (member && !Accepts(sig.receiver, receiver)) continue;
      bool ok = true;
      for (size_t k = 0; k < args.size(); ++k) {
        if (!Accepts(sig.params[k], I(args[k]).type)) ok = false;
      }
      if (!ok) continue;
      if (matches > 0 && (sig.result != result || sig.fn != match->fn)) results_agree = false;
      if (matches == 0) result = sig.result;
      match = &sig;
      ++matches;
    }
    if (matches == 0) {
      std::string arg_types;
      for (size_t k = 0; k < args.size(); ++k) {
        if (k > 0) arg_types += ", ";
        arg_types += TypeName(I(args[k]).type);
      }
      return Fail(n.pos, fmt::format("found no matching overload for '{}' applied to '{}{}({})'",
                                     name, member ? TypeName(receiver) : "", member ? "." : "",
                                     arg_types));
    }
    if (!results_agree) {
      // Several overloads with different functions can only differ in result type here.
      result = TK::kDyn;
    }
    Node& m = N(id);
    m.op = Op::kFunc;
    m.fn = static_cast<uint16_t>(match->fn);
    m.aux = -1;
    Info out;
    out.cost = 1;
    if (member) out.cost = SatAdd(out.cost, I(m.a).cost);
    for (int32_t arg : args) out.cost = SatAdd(out.cost, I(arg).cost);
    uint64_t recv_size = member ? I(m.a).size : (args.empty() ? 0 : I(args[0]).size);
    switch (result) {
      case TK::kBool: out.type = kBoolT; break;
      case TK::kInt: out.type = kIntT; break;
      case TK::kString: out.type = kStringT; break;
      case TK::kQuantity: out.type = kQuantityT; break;
      case TK::kSemver: out.type = kSemverT; break;
      case TK::kOptional:
        out.type = OptionalOf(args.empty() ? kDynT : I(args[0]).type);
        break;
      case TK::kAny: {
        // orValue / value: the optional's element type.
        TypeId elem = Kind(receiver) == TK::kOptional ? types_[receiver].p0 : kDynT;
        out.type = args.empty() ? elem : Join(elem, I(args[0]).type);
        out.size = std::max(I(m.a).size, args.empty() ? 0 : I(args[0]).size);
        break;
      }
      default: out.type = kDynT; break;
    }
    switch (match->fn) {
      case Function::kStartsWith:
      case Function::kEndsWith:
      case Function::kContains:
      case Function::kIndexOf:
      case Function::kTrim:
        out.cost = SatAdd(out.cost, recv_size / 10);
        out.size = recv_size;
        break;
      case Function::kLowerAscii:
      case Function::kUpperAscii:
        out.cost = SatAdd(out.cost, recv_size / 10);
        out.size = recv_size;
        break;
      case Function::kToString:
        out.size = std::max<uint64_t>(recv_size, 20);
        break;
      case Function::kSize:
      case Function::kToInt:
      case Function::kQuantity:
      case Function::kIsQuantity:
      case Function::kSemver:
      case Function::kIsSemver:
        out.cost = SatAdd(out.cost, recv_size / 10);
        break;
      case Function::kDyn:
        out.size = I(args[0]).size;
        out.elem_size = I(args[0]).elem_size;
        break;
      case Function::kMatches: {
        int32_t subject = member ? m.a : args[0];
        int32_t pattern = member ? args[0] : args[1];
        uint64_t subject_size = I(subject).size;
        out.cost = SatAdd(out.cost, SatAdd(subject_size, I(pattern).size) / 10 + subject_size);
        if (std::optional<std::string> literal = LiteralString(pattern)) {
          RE2::Options re_options;
          re_options.set_log_errors(false);
          auto re = std::make_unique<RE2>(*literal, re_options);
          if (!re->ok()) {
            return Fail(N(pattern).pos,
                        fmt::format("invalid regular expression: {}", re->error()));
          }
          data_.regexes.push_back(std::move(re));
          N(id).aux = static_cast<int64_t>(data_.regexes.size() - 1);
        }
        break;
      }
      default: break;
    }
    I(id) = out;
    return FoldLiteralCall(id, args);
  }

  // quantity("10Gi") and semver("1.2.3"[, true]) with literal arguments become constants; a
  // malformed literal is a compile error rather than an error on every device.
  bool FoldLiteralCall(int32_t id, const std::vector<int32_t>& args) {
    Node& n = N(id);
    auto fn = static_cast<Function>(n.fn);
    if (fn != Function::kQuantity && fn != Function::kSemver) return true;
    std::optional<std::string> text = LiteralString(args[0]);
    if (!text) return true;
    if (fn == Function::kQuantity) {
      std::optional<Int128> nanos = ParseQuantityNanos(*text);
      if (!nanos) {
        return Fail(N(args[0]).pos, fmt::format("invalid quantity \"{}\"", *text));
      }
      n.op = Op::kConst;
      n.aux = AddConstant(Value::Quantity(*nanos));
      n.args_count = 0;
      I(id).cost = 1;
      return true;
    }
    bool normalize = false;
    if (args.size() == 2) {
      const Node& flag = N(args[1]);
      if (flag.op != Op::kConst) return true;
      normalize = data_.constants[static_cast<size_t>(flag.aux)].b;
    }
    std::string canonical;
    bool ok = normalize ? NormalizeSemver(*text, canonical) : ParseSemver(*text).has_value();
    if (!normalize) canonical = *text;
    if (!ok) return Fail(N(args[0]).pos, fmt::format("invalid semver \"{}\"", *text));
    MakeStringConstant(id, canonical, ValueKind::kSemver);
    N(id).args_count = 0;
    I(id).cost = 1;
    return true;
  }

  bool CheckComprehension(int32_t id) {
    if (!Check(N(id).a)) return false;
    const Info range = I(N(id).a);
    Node& n = N(id);
    Scope scope;
    scope.name = std::string(Str(id));
    scope.slot = data_.num_slots++;
    n.aux = scope.slot;
    TypeId t = range.type;
    if (Kind(t) == TK::kList) {
      scope.info.type = types_[t].p0;
      scope.info.size = range.elem_size;
    } else if (Kind(t) == TK::kMap) {
      scope.info.type = types_[t].p0;
      scope.info.size = kMaxAttrString;
    } else if (Kind(t) == TK::kDyn) {
      scope.info.type = kDynT;
      scope.info.size = std::max(range.elem_size, kMaxAttrString);
    } else {
      return Fail(n.pos, fmt::format("expression of type '{}' cannot be the range of a "
                                     "comprehension (must be list or map)", TypeName(t)));
    }
    scope.info.elem_size = kMaxDeviceEntries;
    scopes_.push_back(scope);
    bool ok = Check(N(id).b) && (N(id).c < 0 || Check(N(id).c));
    scopes_.pop_back();
    if (!ok) return false;
    Node& m = N(id);
    auto kind = static_cast<MacroKind>(m.sub);
    const Info body = I(m.b);
    bool body_is_predicate = kind != MacroKind::kMap;
    if (body_is_predicate && body.type != kBoolT && body.type != kDynT) {
      return Fail(N(m.b).pos, fmt::format("{} predicate must be bool, got '{}'",
                                          kind == MacroKind::kFilter ? "filter()" : "macro",
                                          TypeName(body.type)));
    }
    uint64_t range_size = range.size;
    if (Kind(t) == TK::kDyn && range_size == 0) range_size = kMaxDeviceEntries;
    uint64_t per_iteration = SatAdd(body.cost, 1);
    if (m.c >= 0) per_iteration = SatAdd(per_iteration, I(m.c).cost);
    Info out;
    out.cost = SatAdd(SatAdd(range.cost, SatMul(range_size, per_iteration)), 1);
    switch (kind) {
      case MacroKind::kAll:
      case MacroKind::kExists:
      case MacroKind::kExistsOne: out.type = kBoolT; break;
      case MacroKind::kMap:
        out.type = ListOf(body.type);
        out.size = range_size;
        out.elem_size = body.size;
        break;
      case MacroKind::kMapFilter:
        out.type = ListOf(I(m.c).type);
        out.size = range_size;
        out.elem_size = I(m.c).size;
        break;
      case MacroKind::kFilter:
        out.type = Kind(t) == TK::kList ? t : ListOf(Kind(t) == TK::kMap ? types_[t].p0 : kDynT);
        out.size = range_size;
        out.elem_size = Kind(t) == TK::kList ? range.elem_size : kMaxAttrString;
        break;
    }
    I(id) = out;
    return true;
  }

  bool CheckBind(int32_t id) {
    if (!Check(N(id).a)) return false;
    Node& n = N(id);
    Scope scope;
    scope.name = std::string(Str(id));
    scope.slot = data_.num_slots++;
    n.aux = scope.slot;
    scope.info = I(n.a);
    scopes_.push_back(scope);
    bool ok = Check(N(id).b);
    scopes_.pop_back();
    if (!ok) return false;
    Info out = I(N(id).b);
    out.has_domain = false;
    out.cost = SatAdd(SatAdd(I(N(id).a).cost, out.cost), 1);
    I(id) = out;
    return true;
  }

  ProgramData& data_;
  const model::Snapshot& snapshot_;
  const CompileOptions& options_;
  std::vector<Type> types_;
  std::vector<Info> info_;
  std::vector<Scope> scopes_;
  std::optional<std::string> error_;
};

// Points string constants at the final pool (offsets were stored while the pool grew).
void Finalize(ProgramData& data) {
  for (Value& v : data.constants) {
    if (v.kind == ValueKind::kString || v.kind == ValueKind::kSemver) {
      v.s = data.pool.data() + v.i;
    }
  }
}

}  // namespace

Result<Program> Compile(std::string_view expression, const model::Snapshot& snapshot,
                        const CompileOptions& options) {
  if (expression.size() > options.max_expression_bytes) {
    return InvalidArgument(fmt::format("expression is {} bytes, longer than the limit of {}",
                                       expression.size(), options.max_expression_bytes));
  }
  ProgramData data;
  data.expression = std::string(expression);
  data.cost_limit = options.runtime_cost_limit;
  TESSERA_ASSIGN_OR_RETURN(data.root, Parse(data, options.max_nesting_depth));
  Checker checker(data, snapshot, options);
  TESSERA_RETURN_IF_ERROR(checker.Run());
  data.pool.shrink_to_fit();
  Finalize(data);
  return Program(std::move(data));
}

}  // namespace tessera::dra::cel

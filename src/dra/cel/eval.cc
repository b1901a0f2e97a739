// The evaluator: a recursive walk over the compiled node array. Recursion depth is bounded by
// the parser's nesting limit. Errors are values (so that && and || can absorb them the way
// CEL's commutative logic does); their messages live in EvalState::errors.
#include <fmt/format.h>
#include <re2/re2.h>

#include <charconv>
#include <cstring>
#include <string>

#include "base/check.h"
#include "dra/cel/cel.h"
#include "dra/cel/eval_state.h"

namespace tessera::dra::cel {

EvalScratch::EvalScratch() : state_(std::make_unique<internal::EvalState>()) {}
EvalScratch::~EvalScratch() = default;
EvalScratch::EvalScratch(EvalScratch&&) noexcept = default;
EvalScratch& EvalScratch::operator=(EvalScratch&&) noexcept = default;
uint64_t EvalScratch::last_cost() const { return state_->cost; }

namespace {

using model::DeviceAttribute;

bool IsNone(const Value& v) { return v.kind == ValueKind::kOptionalNone; }
bool IsMap(ValueKind k) {
  return k == ValueKind::kAttributes || k == ValueKind::kCapacity ||
         k == ValueKind::kAttributeMap || k == ValueKind::kCapacityMap;
}

class Evaluator {
 public:
  Evaluator(const ProgramData& program, const model::Snapshot& snapshot, uint32_t device,
            internal::EvalState& state)
      : p_(program), s_(snapshot), devices_(snapshot.devices()), device_(device), st_(state) {}

  Value Eval(int32_t id) {
    const Node& n = p_.nodes[static_cast<size_t>(id)];
    if (!Charge(1)) return CostError();
    switch (n.op) {
      case Op::kConst: return p_.constants[static_cast<size_t>(n.aux)];
      case Op::kVar: return st_.slots[static_cast<size_t>(n.aux)];
      case Op::kDevice: return Value::Of(ValueKind::kDevice);
      case Op::kDeviceDriver: return Driver();
      case Op::kDeviceAttributes: return Value::Of(ValueKind::kAttributes);
      case Op::kDeviceCapacity: return Value::Of(ValueKind::kCapacity);
      case Op::kDeviceAllowMultiple:
        return Value::Bool(devices_.allow_multiple_allocations[device_] != 0);
      case Op::kAttr: return EvalAttr(n);
      case Op::kList: return EvalList(n);
      case Op::kSelect:
      case Op::kOptSelect: {
        Value operand = Eval(n.a);
        return Select(operand, p_.str(n), n.op == Op::kOptSelect);
      }
      case Op::kIndex:
      case Op::kOptIndex: {
        Value operand = Eval(n.a);
        if (operand.is_error()) return operand;
        Value key = Eval(n.b);
        if (key.is_error()) return key;
        return Index(operand, key, n.op == Op::kOptIndex);
      }
      case Op::kHas: {
        Value operand = Eval(n.a);
        if (operand.is_error()) return operand;
        if (operand.kind == ValueKind::kDevice) return Value::Bool(true);
        if (!IsMap(operand.kind)) return NoOverload("has", operand);
        if (operand.kind == ValueKind::kAttributes || operand.kind == ValueKind::kCapacity) {
          return Contains(operand, Value::String(p_.str(n)));
        }
        Value found;
        return Value::Bool(MapLookup(operand, p_.str(n), found));
      }
      case Op::kNot: {
        Value v = Eval(n.a);
        if (v.is_error()) return v;
        if (v.kind != ValueKind::kBool || v.is_optional) return NoOverload("!_", v);
        return Value::Bool(!v.b);
      }
      case Op::kNeg: {
        Value v = Eval(n.a);
        if (v.is_error()) return v;
        if (v.kind != ValueKind::kInt || v.is_optional) return NoOverload("-_", v);
        if (v.i == INT64_MIN) return Error("integer overflow");
        return Value::Int(-v.i);
      }
      case Op::kAnd:
      case Op::kOr: return EvalLogic(n);
      case Op::kCond: {
        Value c = Eval(n.a);
        if (c.is_error()) return c;
        if (c.kind != ValueKind::kBool || c.is_optional) return NoOverload("_?_:_", c);
        return Eval(c.b ? n.b : n.c);
      }
      case Op::kBinary: return EvalBinary(n);
      case Op::kComprehension: return EvalComprehension(n);
      case Op::kBind: {
        Value init = Eval(n.a);
        st_.slots[static_cast<size_t>(n.aux)] = init;
        return Eval(n.b);
      }
      case Op::kFunc: return EvalFunction(n);
      default: break;
    }
    TESSERA_CHECK(false) << "unresolved CEL node op " << static_cast<int>(n.op);
    return Value();
  }

 private:
  // --- errors and cost
  Value Error(std::string message) {
    st_.errors.push_back(std::move(message));
    Value v;
    v.kind = ValueKind::kError;
    v.index = static_cast<uint32_t>(st_.errors.size() - 1);
    return v;
  }
  Value CostError() { return Error("cost limit exceeded"); }
  Value NoOverload(std::string_view op, const Value& a) {
    return Error(fmt::format("no such overload: {}({})", op, Name(a)));
  }
  Value NoOverload(std::string_view op, const Value& a, const Value& b) {
    return Error(fmt::format("no such overload: {}({}, {})", op, Name(a), Name(b)));
  }
  static std::string Name(const Value& v) {
    if (v.is_optional) return fmt::format("optional_type({})", KindName(v.kind));
    return std::string(KindName(v.kind));
  }
  bool Charge(uint64_t units) {
    st_.cost += units;
    if (st_.cost > st_.cost_limit) {
      st_.cost_exceeded = true;
      return false;
    }
    return true;
  }

  // --- the device
  Value Driver() const {
    return Value::String(s_.drivers().Name(devices_.driver[device_]));
  }
  model::Range EntriesOf(bool capacity) const {
    return capacity ? devices_.capacities[device_] : devices_.attributes[device_];
  }
  uint32_t EntryName(bool capacity, uint32_t k) const {
    return capacity ? devices_.capacity_values[k].name : devices_.attribute_values[k].name;
  }
  Value EntryValue(bool capacity, uint32_t k) const {
    if (capacity) {
      return Value::Quantity(Int128{devices_.capacity_values[k].value.value()} * kNanosPerUnit);
    }
    const DeviceAttribute& a = devices_.attribute_values[k];
    switch (a.kind) {
      case DeviceAttribute::Kind::kInt: return Value::Int(a.int_value);
      case DeviceAttribute::Kind::kBool: return Value::Bool(a.int_value != 0);
      case DeviceAttribute::Kind::kString:
        return Value::String(s_.attribute_strings().Name(a.string_value));
      case DeviceAttribute::Kind::kVersion:
        return Value::String(s_.attribute_strings().Name(a.string_value), ValueKind::kSemver);
    }
    return Value();
  }

  Value EvalAttr(const Node& n) {
    bool capacity = n.fn != 0;
    auto mode = static_cast<AttrMode>(n.sub);
    if (n.aux >= 0) {
      auto name = static_cast<uint32_t>(n.aux);
      model::Range r = EntriesOf(capacity);
      for (uint32_t k = r.begin; k < r.end; ++k) {
        if (EntryName(capacity, k) != name) continue;
        if (mode == AttrMode::kHas) return Value::Bool(true);
        Value v = EntryValue(capacity, k);
        v.is_optional = mode == AttrMode::kOptional;
        return v;
      }
    }
    switch (mode) {
      case AttrMode::kHas: return Value::Bool(false);
      case AttrMode::kOptional: return Value::Of(ValueKind::kOptionalNone);
      case AttrMode::kGet: break;
    }
    return Error(fmt::format("no such key: {}", p_.str(n)));
  }

  // Splits a qualified name "domain/id"; names without '/' never occur in a snapshot.
  static bool SplitName(std::string_view full, std::string_view& domain, std::string_view& id) {
    size_t slash = full.find('/');
    if (slash == std::string_view::npos) return false;
    domain = full.substr(0, slash);
    id = full.substr(slash + 1);
    return true;
  }

  // Looks `key` up in a map value. Root maps always contain the key (an unknown domain is an
  // empty map); domain maps search the device's entries.
  bool MapLookup(const Value& map, std::string_view key, Value& out, bool charge = true) {
    switch (map.kind) {
      case ValueKind::kAttributes:
      case ValueKind::kCapacity: {
        out = Value::String(key, map.kind == ValueKind::kAttributes ? ValueKind::kAttributeMap
                                                                     : ValueKind::kCapacityMap);
        return true;
      }
      case ValueKind::kAttributeMap:
      case ValueKind::kCapacityMap: {
        bool capacity = map.kind == ValueKind::kCapacityMap;
        std::string_view domain = map.str();
        model::Range r = EntriesOf(capacity);
        if (charge) Charge(r.size() / 8);
        for (uint32_t k = r.begin; k < r.end; ++k) {
          std::string_view d;
          std::string_view id;
          if (!SplitName(s_.attribute_names().Name(EntryName(capacity, k)), d, id)) continue;
          if (d == domain && id == key) {
            out = EntryValue(capacity, k);
            return true;
          }
        }
        return false;
      }
      default: return false;
    }
  }

  // Iterates the keys of a map value: `cursor` starts at 0; returns false when done.
  bool NextKey(const Value& map, uint32_t& cursor, Value& key) {
    bool capacity = map.kind == ValueKind::kCapacity || map.kind == ValueKind::kCapacityMap;
    bool root = map.kind == ValueKind::kAttributes || map.kind == ValueKind::kCapacity;
    model::Range r = EntriesOf(capacity);
    for (uint32_t k = r.begin + cursor; k < r.end; ++k) {
      cursor = k - r.begin + 1;
      std::string_view d;
      std::string_view id;
      if (!SplitName(s_.attribute_names().Name(EntryName(capacity, k)), d, id)) continue;
      if (root) {
        bool seen = false;
        for (uint32_t j = r.begin; j < k && !seen; ++j) {
          std::string_view d2;
          std::string_view id2;
          if (SplitName(s_.attribute_names().Name(EntryName(capacity, j)), d2, id2) && d2 == d) {
            seen = true;
          }
        }
        if (seen) continue;
        key = Value::String(d);
        return true;
      }
      if (d == map.str()) {
        key = Value::String(id);
        return true;
      }
    }
    cursor = r.size();
    return false;
  }

  int64_t MapSize(const Value& map) {
    uint32_t cursor = 0;
    Value key;
    int64_t count = 0;
    while (NextKey(map, cursor, key)) ++count;
    return count;
  }

  Value Select(const Value& operand, std::string_view field, bool optional) {
    if (operand.is_error()) return operand;
    if (IsNone(operand)) return operand;
    if (operand.is_optional) optional = true;
    if (operand.kind == ValueKind::kDevice) {
      Value v;
      if (field == "driver") {
        v = Driver();
      } else if (field == "attributes") {
        v = Value::Of(ValueKind::kAttributes);
      } else if (field == "capacity") {
        v = Value::Of(ValueKind::kCapacity);
      } else if (field == "allowMultipleAllocations") {
        v = Value::Bool(devices_.allow_multiple_allocations[device_] != 0);
      } else {
        return Error(fmt::format("no such field: {}", field));
      }
      v.is_optional = optional;
      return v;
    }
    if (!IsMap(operand.kind)) {
      return Error(fmt::format("type '{}' does not support field selection", Name(operand)));
    }
    Value out;
    if (!MapLookup(operand, field, out)) {
      if (optional) return Value::Of(ValueKind::kOptionalNone);
      return Error(fmt::format("no such key: {}", field));
    }
    out.is_optional = optional;
    return out;
  }

  Value Index(const Value& operand, const Value& key, bool optional) {
    if (IsNone(operand)) return operand;
    if (operand.is_optional) optional = true;
    if (operand.kind == ValueKind::kList) {
      if (key.kind != ValueKind::kInt || key.is_optional) return NoOverload("_[_]", operand, key);
      if (key.i < 0 || key.i >= static_cast<int64_t>(operand.len)) {
        if (optional) return Value::Of(ValueKind::kOptionalNone);
        return Error(fmt::format("index out of range: {}", key.i));
      }
      Value v = st_.list_pool[operand.index + static_cast<size_t>(key.i)];
      v.is_optional = optional;
      return v;
    }
    if (IsMap(operand.kind)) {
      if (key.kind != ValueKind::kString || key.is_optional) {
        if (optional) return Value::Of(ValueKind::kOptionalNone);
        return Error(fmt::format("no such key: {}", Name(key)));
      }
      Value out;
      if (!MapLookup(operand, key.str(), out)) {
        if (optional) return Value::Of(ValueKind::kOptionalNone);
        return Error(fmt::format("no such key: {}", key.str()));
      }
      out.is_optional = optional;
      return out;
    }
    if (operand.kind == ValueKind::kDevice && key.kind == ValueKind::kString) {
      return Select(operand, key.str(), optional);
    }
    return NoOverload("_[_]", operand, key);
  }

  Value EvalList(const Node& n) {
    size_t base = st_.build_stack.size();
    for (uint32_t k = 0; k < n.args_count; ++k) {
      Value v = Eval(p_.args[n.args_begin + k]);
      if (v.is_error()) {
        st_.build_stack.resize(base);
        return v;
      }
      st_.build_stack.push_back(v);
    }
    return FinishList(base);
  }

  // Moves build_stack[base..] into the list pool as one list.
  Value FinishList(size_t base) {
    Value list;
    list.kind = ValueKind::kList;
    list.index = static_cast<uint32_t>(st_.list_pool.size());
    list.len = static_cast<uint32_t>(st_.build_stack.size() - base);
    st_.list_pool.insert(st_.list_pool.end(), st_.build_stack.begin() + static_cast<ptrdiff_t>(base),
                         st_.build_stack.end());
    st_.build_stack.resize(base);
    return list;
  }

  // CEL's commutative && / ||: false && error == false, error || true == true.
  Value EvalLogic(const Node& n) {
    bool is_and = n.op == Op::kAnd;
    Value a = Eval(n.a);
    if (st_.cost_exceeded) return a;
    if (a.kind == ValueKind::kBool && !a.is_optional && a.b != is_and) return a;
    Value b = Eval(n.b);
    if (st_.cost_exceeded) return b;
    if (b.kind == ValueKind::kBool && !b.is_optional && b.b != is_and) return b;
    if (a.is_error()) return a;
    if (b.is_error()) return b;
    if (a.kind != ValueKind::kBool || a.is_optional || b.kind != ValueKind::kBool ||
        b.is_optional) {
      return NoOverload(is_and ? "_&&_" : "_||_", a, b);
    }
    return Value::Bool(is_and);
  }

  // Equality: heterogeneous values are unequal; errors propagate.
  Value Equal(const Value& a, const Value& b) {
    if (a.is_error()) return a;
    if (b.is_error()) return b;
    if (IsNone(a) || IsNone(b)) return Value::Bool(IsNone(a) && IsNone(b));
    if (a.is_optional != b.is_optional || a.kind != b.kind) return Value::Bool(false);
    switch (a.kind) {
      case ValueKind::kNull:
      case ValueKind::kDevice:
      case ValueKind::kAttributes:
      case ValueKind::kCapacity: return Value::Bool(true);
      case ValueKind::kBool: return Value::Bool(a.b == b.b);
      case ValueKind::kInt: return Value::Bool(a.i == b.i);
      case ValueKind::kString:
        Charge(std::min(a.len, b.len) / 10);
        return Value::Bool(a.str() == b.str());
      case ValueKind::kQuantity: return Value::Bool(a.q == b.q);
      case ValueKind::kSemver: {
        std::optional<SemverParts> x = ParseSemver(a.str());
        std::optional<SemverParts> y = ParseSemver(b.str());
        if (!x || !y) return Error("invalid semver");
        return Value::Bool(CompareSemver(*x, *y) == 0);
      }
      case ValueKind::kList: {
        if (a.len != b.len) return Value::Bool(false);
        for (uint32_t k = 0; k < a.len; ++k) {
          Value e = Equal(st_.list_pool[a.index + k], st_.list_pool[b.index + k]);
          if (e.is_error() || !e.b) return e;
        }
        return Value::Bool(true);
      }
      case ValueKind::kAttributeMap:
      case ValueKind::kCapacityMap: {
        if (MapSize(a) != MapSize(b)) return Value::Bool(false);
        uint32_t cursor = 0;
        Value key;
        while (NextKey(a, cursor, key)) {
          Value x;
          Value y;
          MapLookup(a, key.str(), x, /*charge=*/false);
          if (!MapLookup(b, key.str(), y, /*charge=*/false)) return Value::Bool(false);
          Value e = Equal(x, y);
          if (e.is_error() || !e.b) return e;
        }
        return Value::Bool(true);
      }
      default: return Value::Bool(false);
    }
  }

  Value Contains(const Value& container, const Value& item) {
    if (container.kind == ValueKind::kList && !container.is_optional) {
      Charge(container.len);
      for (uint32_t k = 0; k < container.len; ++k) {
        Value e = Equal(item, st_.list_pool[container.index + k]);
        if (e.is_error() || e.b) return e;
      }
      return Value::Bool(false);
    }
    if (IsMap(container.kind) && !container.is_optional) {
      if (item.kind != ValueKind::kString || item.is_optional) return Value::Bool(false);
      if (container.kind == ValueKind::kAttributes || container.kind == ValueKind::kCapacity) {
        // A root map "contains" exactly the domains that have entries.
        uint32_t cursor = 0;
        Value key;
        while (NextKey(container, cursor, key)) {
          if (key.str() == item.str()) return Value::Bool(true);
        }
        return Value::Bool(false);
      }
      Value found;
      return Value::Bool(MapLookup(container, item.str(), found));
    }
    return NoOverload("@in", item, container);
  }

  Value EvalBinary(const Node& n) {
    auto op = static_cast<BinaryOp>(n.fn);
    Value a = Eval(n.a);
    if (a.is_error()) return a;
    Value b = Eval(n.b);
    if (b.is_error()) return b;
    switch (op) {
      case BinaryOp::kEq: return Equal(a, b);
      case BinaryOp::kNe: {
        Value e = Equal(a, b);
        if (e.is_error()) return e;
        return Value::Bool(!e.b);
      }
      case BinaryOp::kIn: return Contains(b, a);
      default: break;
    }
    if (a.is_optional || b.is_optional || a.kind != b.kind) return NoOverload(OpName(op), a, b);
    switch (op) {
      case BinaryOp::kLt:
      case BinaryOp::kLe:
      case BinaryOp::kGt:
      case BinaryOp::kGe: {
        int c = 0;
        if (a.kind == ValueKind::kInt) {
          c = a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
        } else if (a.kind == ValueKind::kBool) {
          c = static_cast<int>(a.b) - static_cast<int>(b.b);
        } else if (a.kind == ValueKind::kString) {
          Charge(std::min(a.len, b.len) / 10);
          int r = a.str().compare(b.str());
          c = r < 0 ? -1 : (r > 0 ? 1 : 0);
        } else {
          return NoOverload(OpName(op), a, b);
        }
        bool r = op == BinaryOp::kLt   ? c < 0
                 : op == BinaryOp::kLe ? c <= 0
                 : op == BinaryOp::kGt ? c > 0
                                       : c >= 0;
        return Value::Bool(r);
      }
      case BinaryOp::kAdd:
        if (a.kind == ValueKind::kInt) {
          int64_t r = 0;
          if (__builtin_add_overflow(a.i, b.i, &r)) return Error("integer overflow");
          return Value::Int(r);
        }
        if (a.kind == ValueKind::kString) {
          size_t len = size_t{a.len} + b.len;
          if (!Charge(len / 10)) return CostError();
          char* out = st_.arena.Allocate(len);
          if (a.len > 0) std::memcpy(out, a.s, a.len);
          if (b.len > 0) std::memcpy(out + a.len, b.s, b.len);
          return Value::String({out, len});
        }
        if (a.kind == ValueKind::kList) {
          if (!Charge(size_t{a.len} + b.len)) return CostError();
          size_t base = st_.build_stack.size();
          for (uint32_t k = 0; k < a.len; ++k) st_.build_stack.push_back(st_.list_pool[a.index + k]);
          for (uint32_t k = 0; k < b.len; ++k) st_.build_stack.push_back(st_.list_pool[b.index + k]);
          return FinishList(base);
        }
        return NoOverload("_+_", a, b);
      case BinaryOp::kSub:
      case BinaryOp::kMul:
      case BinaryOp::kDiv:
      case BinaryOp::kMod: {
        if (a.kind != ValueKind::kInt) return NoOverload(OpName(op), a, b);
        int64_t r = 0;
        if (op == BinaryOp::kSub) {
          if (__builtin_sub_overflow(a.i, b.i, &r)) return Error("integer overflow");
        } else if (op == BinaryOp::kMul) {
          if (__builtin_mul_overflow(a.i, b.i, &r)) return Error("integer overflow");
        } else {
          if (b.i == 0) return Error(op == BinaryOp::kDiv ? "division by zero" : "modulus by zero");
          if (a.i == INT64_MIN && b.i == -1) return Error("integer overflow");
          r = op == BinaryOp::kDiv ? a.i / b.i : a.i % b.i;
        }
        return Value::Int(r);
      }
      default: break;
    }
    return NoOverload(OpName(op), a, b);
  }

  static std::string_view OpName(BinaryOp op) {
    static constexpr std::string_view kNames[] = {"_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_",
                                                  "_+_",  "_-_",  "_*_", "_/_",  "_%_", "@in"};
    auto index = static_cast<size_t>(op);
    return index < std::size(kNames) ? kNames[index] : std::string_view("?");
  }

  Value EvalComprehension(const Node& n) {
    Value range = Eval(n.a);
    if (range.is_error()) return range;
    if (range.is_optional || (range.kind != ValueKind::kList && !IsMap(range.kind))) {
      return Error(fmt::format("expression of type '{}' cannot be the range of a comprehension",
                               Name(range)));
    }
    auto kind = static_cast<MacroKind>(n.sub);
    auto slot = static_cast<size_t>(n.aux);
    size_t base = st_.build_stack.size();
    bool is_map = range.kind != ValueKind::kList;
    uint32_t cursor = 0;
    uint32_t position = 0;
    int64_t true_count = 0;
    Value pending_error;
    bool has_error = false;
    auto fail = [&](Value v) {
      st_.build_stack.resize(base);
      return v;
    };
    while (true) {
      Value item;
      if (is_map) {
        if (!NextKey(range, cursor, item)) break;
      } else {
        if (position >= range.len) break;
        item = st_.list_pool[range.index + position];
        ++position;
      }
      if (!Charge(1)) return fail(CostError());
      st_.slots[slot] = item;
      Value v = Eval(n.b);
      if (st_.cost_exceeded) return fail(v);
      switch (kind) {
        case MacroKind::kAll:
        case MacroKind::kExists: {
          bool stop_on = kind == MacroKind::kExists;
          if (v.is_error()) {
            if (!has_error) pending_error = v;
            has_error = true;
          } else if (v.kind != ValueKind::kBool || v.is_optional) {
            return fail(NoOverload(kind == MacroKind::kAll ? "all" : "exists", v));
          } else if (v.b == stop_on) {
            return fail(Value::Bool(stop_on));
          }
          break;
        }
        case MacroKind::kExistsOne:
          if (v.is_error()) return fail(v);
          if (v.kind != ValueKind::kBool || v.is_optional) return fail(NoOverload("exists_one", v));
          if (v.b) ++true_count;
          break;
        case MacroKind::kMap:
          if (v.is_error()) return fail(v);
          st_.build_stack.push_back(v);
          break;
        case MacroKind::kFilter:
        case MacroKind::kMapFilter:
          if (v.is_error()) return fail(v);
          if (v.kind != ValueKind::kBool || v.is_optional) return fail(NoOverload("filter", v));
          if (v.b) {
            if (kind == MacroKind::kFilter) {
              st_.build_stack.push_back(item);
            } else {
              Value t = Eval(n.c);
              if (t.is_error()) return fail(t);
              st_.build_stack.push_back(t);
            }
          }
          break;
      }
    }
    switch (kind) {
      case MacroKind::kAll:
      case MacroKind::kExists:
        if (has_error) return pending_error;
        return Value::Bool(kind == MacroKind::kAll);
      case MacroKind::kExistsOne: return Value::Bool(true_count == 1);
      default: return FinishList(base);
    }
  }

  // --- functions
  static int64_t CodePoints(std::string_view s) {
    int64_t count = 0;
    for (char c : s) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
  }

  Value QuantityResult(Int128 nanos) {
    if (nanos > kMaxQuantityNanos || nanos < -kMaxQuantityNanos) return Error("quantity overflow");
    return Value::Quantity(nanos);
  }

  Value EvalFunction(const Node& n) {
    auto fn = static_cast<Function>(n.fn);
    // Receiver (member calls) then arguments; at most three values in total.
    Value v[3];
    int count = 0;
    if (n.a >= 0) v[count++] = Eval(n.a);
    for (uint32_t k = 0; k < n.args_count && count < 3; ++k) {
      v[count++] = Eval(p_.args[n.args_begin + k]);
    }
    for (int k = 0; k < count; ++k) {
      if (v[k].is_error()) return v[k];
    }
    auto is = [&](int k, ValueKind kind) {
      return k < count && v[k].kind == kind && !v[k].is_optional;
    };
    switch (fn) {
      case Function::kSize:
        if (is(0, ValueKind::kString)) {
          Charge(v[0].len / 10);
          return Value::Int(CodePoints(v[0].str()));
        }
        if (is(0, ValueKind::kList)) return Value::Int(v[0].len);
        if (count == 1 && IsMap(v[0].kind) && !v[0].is_optional) return Value::Int(MapSize(v[0]));
        return NoOverload("size", v[0]);
      case Function::kStartsWith:
      case Function::kEndsWith:
      case Function::kContains:
      case Function::kIndexOf: {
        if (!is(0, ValueKind::kString) || !is(1, ValueKind::kString)) {
          return NoOverload("string function", v[0], v[1]);
        }
        Charge(v[0].len / 10);
        std::string_view s = v[0].str();
        std::string_view t = v[1].str();
        if (fn == Function::kStartsWith) return Value::Bool(s.substr(0, t.size()) == t);
        if (fn == Function::kEndsWith) {
          return Value::Bool(s.size() >= t.size() && s.substr(s.size() - t.size()) == t);
        }
        size_t at = s.find(t);
        if (fn == Function::kContains) return Value::Bool(at != std::string_view::npos);
        if (at == std::string_view::npos) return Value::Int(-1);
        return Value::Int(CodePoints(s.substr(0, at)));
      }
      case Function::kLowerAscii:
      case Function::kUpperAscii: {
        if (!is(0, ValueKind::kString)) return NoOverload("lowerAscii", v[0]);
        Charge(v[0].len / 10);
        char* out = st_.arena.Allocate(v[0].len);
        for (uint32_t k = 0; k < v[0].len; ++k) {
          char c = v[0].s[k];
          if (fn == Function::kLowerAscii && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
          if (fn == Function::kUpperAscii && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
          out[k] = c;
        }
        return Value::String({out, v[0].len});
      }
      case Function::kTrim: {
        if (!is(0, ValueKind::kString)) return NoOverload("trim", v[0]);
        std::string_view s = v[0].str();
        auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                                         c == '\v' || c == '\f'; };
        while (!s.empty() && space(s.front())) s.remove_prefix(1);
        while (!s.empty() && space(s.back())) s.remove_suffix(1);
        return Value::String(s);
      }
      case Function::kMatches: {
        if (!is(0, ValueKind::kString) || !is(1, ValueKind::kString)) {
          return NoOverload("matches", v[0], v[1]);
        }
        if (!Charge(v[0].len + (v[0].len + v[1].len) / 10)) return CostError();
        re2::StringPiece subject(v[0].s, v[0].len);
        if (n.aux >= 0) {
          return Value::Bool(RE2::PartialMatch(subject, *p_.regexes[static_cast<size_t>(n.aux)]));
        }
        RE2::Options options;
        options.set_log_errors(false);
        RE2 re(re2::StringPiece(v[1].s, v[1].len), options);
        if (!re.ok()) return Error(fmt::format("invalid regular expression: {}", re.error()));
        return Value::Bool(RE2::PartialMatch(subject, re));
      }
      case Function::kToString: {
        if (is(0, ValueKind::kString)) return v[0];
        if (is(0, ValueKind::kSemver)) return Value::String(v[0].str());
        if (is(0, ValueKind::kBool)) return Value::String(v[0].b ? "true" : "false");
        if (is(0, ValueKind::kInt)) {
          char* out = st_.arena.Allocate(24);
          auto [end, ec] = std::to_chars(out, out + 24, v[0].i);
          return Value::String({out, static_cast<size_t>(end - out)});
        }
        return NoOverload("string", v[0]);
      }
      case Function::kToInt: {
        if (is(0, ValueKind::kInt)) return v[0];
        if (is(0, ValueKind::kString)) {
          int64_t r = 0;
          std::string_view s = v[0].str();
          auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), r);
          if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
            return Error(fmt::format("cannot convert \"{}\" to int", s));
          }
          return Value::Int(r);
        }
        return NoOverload("int", v[0]);
      }
      case Function::kToBool: {
        if (is(0, ValueKind::kBool)) return v[0];
        if (is(0, ValueKind::kString)) {
          std::string_view s = v[0].str();
          if (s == "true" || s == "True" || s == "TRUE" || s == "t" || s == "1") {
            return Value::Bool(true);
          }
          if (s == "false" || s == "False" || s == "FALSE" || s == "f" || s == "0") {
            return Value::Bool(false);
          }
          return Error(fmt::format("cannot convert \"{}\" to bool", s));
        }
        return NoOverload("bool", v[0]);
      }
      case Function::kDyn: return v[0];
      case Function::kQuantity:
      case Function::kIsQuantity: {
        if (!is(0, ValueKind::kString)) return NoOverload("quantity", v[0]);
        Charge(v[0].len / 10);
        std::optional<Int128> q = ParseQuantityNanos(v[0].str());
        if (fn == Function::kIsQuantity) return Value::Bool(q.has_value());
        if (!q) return Error(fmt::format("invalid quantity \"{}\"", v[0].str()));
        return Value::Quantity(*q);
      }
      case Function::kCompareTo:
      case Function::kIsGreaterThan:
      case Function::kIsLessThan: {
        int c = 0;
        if (is(0, ValueKind::kQuantity) && is(1, ValueKind::kQuantity)) {
          c = v[0].q < v[1].q ? -1 : (v[0].q > v[1].q ? 1 : 0);
        } else if (is(0, ValueKind::kSemver) && is(1, ValueKind::kSemver)) {
          std::optional<SemverParts> x = ParseSemver(v[0].str());
          std::optional<SemverParts> y = ParseSemver(v[1].str());
          if (!x) return Error(fmt::format("invalid semver \"{}\"", v[0].str()));
          if (!y) return Error(fmt::format("invalid semver \"{}\"", v[1].str()));
          c = CompareSemver(*x, *y);
        } else {
          return NoOverload(fn == Function::kCompareTo       ? "compareTo"
                            : fn == Function::kIsGreaterThan ? "isGreaterThan"
                                                             : "isLessThan",
                            v[0], v[1]);
        }
        if (fn == Function::kCompareTo) return Value::Int(c);
        return Value::Bool(fn == Function::kIsGreaterThan ? c > 0 : c < 0);
      }
      case Function::kQuantityAdd:
      case Function::kQuantitySub: {
        if (!is(0, ValueKind::kQuantity)) return NoOverload("add", v[0], v[1]);
        Int128 other = 0;
        if (is(1, ValueKind::kQuantity)) {
          other = v[1].q;
        } else if (is(1, ValueKind::kInt)) {
          other = Int128{v[1].i} * kNanosPerUnit;
        } else {
          return NoOverload(fn == Function::kQuantityAdd ? "add" : "sub", v[0], v[1]);
        }
        return QuantityResult(fn == Function::kQuantityAdd ? v[0].q + other : v[0].q - other);
      }
      case Function::kSign:
        if (!is(0, ValueKind::kQuantity)) return NoOverload("sign", v[0]);
        return Value::Int(v[0].q < 0 ? -1 : (v[0].q > 0 ? 1 : 0));
      case Function::kIsInteger:
        if (!is(0, ValueKind::kQuantity)) return NoOverload("isInteger", v[0]);
        return Value::Bool(v[0].q % kNanosPerUnit == 0);
      case Function::kAsInteger: {
        if (!is(0, ValueKind::kQuantity)) return NoOverload("asInteger", v[0]);
        if (v[0].q % kNanosPerUnit != 0) return Error("quantity is not an integer");
        Int128 whole = v[0].q / kNanosPerUnit;
        if (whole > INT64_MAX || whole < INT64_MIN) return Error("integer overflow");
        return Value::Int(static_cast<int64_t>(whole));
      }
      case Function::kSemver:
      case Function::kIsSemver: {
        if (!is(0, ValueKind::kString)) return NoOverload("semver", v[0]);
        if (count == 2 && !is(1, ValueKind::kBool)) return NoOverload("semver", v[0], v[1]);
        bool normalize = count == 2 && v[1].b;
        std::string_view text = v[0].str();
        bool ok = false;
        if (normalize) {
          ok = NormalizeSemver(text, st_.tmp);
          if (ok && fn == Function::kSemver) text = st_.arena.Copy(st_.tmp);
        } else {
          ok = ParseSemver(text).has_value();
        }
        if (fn == Function::kIsSemver) return Value::Bool(ok);
        if (!ok) return Error(fmt::format("invalid semver \"{}\"", v[0].str()));
        return Value::String(text, ValueKind::kSemver);
      }
      case Function::kMajor:
      case Function::kMinor:
      case Function::kPatch: {
        if (!is(0, ValueKind::kSemver)) return NoOverload("major", v[0]);
        std::optional<SemverParts> parts = ParseSemver(v[0].str());
        if (!parts) return Error(fmt::format("invalid semver \"{}\"", v[0].str()));
        uint64_t r = fn == Function::kMajor   ? parts->major
                     : fn == Function::kMinor ? parts->minor
                                              : parts->patch;
        if (r > static_cast<uint64_t>(INT64_MAX)) return Error("integer overflow");
        return Value::Int(static_cast<int64_t>(r));
      }
      case Function::kOrValue:
      case Function::kHasValue:
      case Function::kValue: {
        if (!IsNone(v[0]) && !v[0].is_optional) return NoOverload("orValue", v[0]);
        bool has = !IsNone(v[0]);
        if (fn == Function::kHasValue) return Value::Bool(has);
        if (has) {
          Value r = v[0];
          r.is_optional = false;
          return r;
        }
        if (fn == Function::kValue) return Error("optional.none() dereference");
        return v[1];
      }
      case Function::kOptionalOf: {
        Value r = v[0];
        if (IsNone(r)) return r;
        r.is_optional = true;
        return r;
      }
      case Function::kOptionalNone: return Value::Of(ValueKind::kOptionalNone);
    }
    return Error("internal error: unknown function");
  }

  const ProgramData& p_;
  const model::Snapshot& s_;
  const model::DeviceTable& devices_;
  uint32_t device_;
  internal::EvalState& st_;
};

}  // namespace

Result<bool> Evaluate(const Program& program, const model::Snapshot& snapshot,
                      model::DeviceId device, EvalScratch& scratch) {
  const ProgramData& data = program.data();
  TESSERA_DCHECK(device.index() < snapshot.devices().size()) << "device " << device.value();
  internal::EvalState& st = scratch.state();
  st.slots.resize(data.num_slots);
  st.list_pool.clear();
  st.build_stack.clear();
  if (!st.errors.empty()) st.errors.clear();
  st.arena.Reset();
  st.cost = 0;
  st.cost_limit = data.cost_limit;
  st.cost_exceeded = false;
  Evaluator evaluator(data, snapshot, device.value(), st);
  Value v = evaluator.Eval(data.root);
  if (st.cost_exceeded) {
    return InvalidArgument(fmt::format("cost limit exceeded (limit {})", data.cost_limit));
  }
  if (v.is_error()) return InvalidArgument(st.errors[v.index]);
  if (v.kind != ValueKind::kBool || v.is_optional) {
    return InvalidArgument(
        fmt::format("expression did not evaluate to bool, got '{}'", KindName(v.kind)));
  }
  return v.b;
}

}  // namespace tessera::dra::cel

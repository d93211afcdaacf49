// Python's arithmetic and comparison operators over Value (renderer.hpp): int stays int where Python
// keeps it int (+ - * // % and ** with a non-negative exponent), `/` always gives a float, // and % round
// towards minus infinity, bool counts as int. Integers are 64-bit: overflow is an error.

#include <cmath>
#include <string>

#include "macro/renderer.hpp"

namespace rtstep::macro {

namespace {

const char* symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kFloorDiv: return "//";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "**";
  }
  return "?";
}

[[noreturn]] void unsupported(BinaryOp op, const Value& a, const Value& b) {
  throw EvalError{std::string("unsupported operand type(s) for ") + symbol(op) + ": '" + a.type_name() + "' and '" +
                  b.type_name() + "'"};
}

[[noreturn]] void overflow() { throw EvalError{"integer overflow (the limit is 2^63 - 1)"}; }

// a + b, a - b, a * b with the overflow check (__builtin_*_overflow writes the result through `r`).
Value checked(BinaryOp op, int64_t a, int64_t b) {
  int64_t r = 0;
  const bool overflowed = op == BinaryOp::kAdd   ? __builtin_add_overflow(a, b, &r)
                          : op == BinaryOp::kSub ? __builtin_sub_overflow(a, b, &r)
                                                 : __builtin_mul_overflow(a, b, &r);
  if (overflowed) overflow();
  return Value::integer(r);
}

int64_t int_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if ((exp & 1) != 0 && __builtin_mul_overflow(result, base, &result)) overflow();
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return result;
}

Value int_op(BinaryOp op, int64_t a, int64_t b) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
      return checked(op, a, b);
    case BinaryOp::kDiv:
      if (b == 0) throw EvalError{"division by zero"};
      return Value::real(static_cast<double>(a) / static_cast<double>(b));
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (b == 0) throw EvalError{op == BinaryOp::kMod ? "modulo by zero" : "integer division by zero"};
      if (a == INT64_MIN && b == -1) overflow();
      int64_t q = a / b;
      int64_t m = a % b;
      if (m != 0 && ((m < 0) != (b < 0))) {  // round towards minus infinity, as Python
        --q;
        m += b;
      }
      return Value::integer(op == BinaryOp::kMod ? m : q);
    }
    case BinaryOp::kPow:
      if (b < 0) {
        if (a == 0) throw EvalError{"0.0 cannot be raised to a negative power"};
        return Value::real(std::pow(static_cast<double>(a), static_cast<double>(b)));
      }
      return Value::integer(int_pow(a, b));
  }
  return {};
}

Value float_op(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kAdd: return Value::real(a + b);
    case BinaryOp::kSub: return Value::real(a - b);
    case BinaryOp::kMul: return Value::real(a * b);
    case BinaryOp::kDiv:
      if (b == 0) throw EvalError{"float division by zero"};
      return Value::real(a / b);
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (b == 0) throw EvalError{op == BinaryOp::kMod ? "float modulo" : "float floor division by zero"};
      double m = std::fmod(a, b);
      if (m != 0 && ((m < 0) != (b < 0))) m += b;
      if (op == BinaryOp::kMod) return Value::real(m);
      return Value::real(std::floor((a - m) / b + 0.5));  // (a - m) / b is a whole number up to rounding
    }
    case BinaryOp::kPow:
      if (a == 0 && b < 0) throw EvalError{"0.0 cannot be raised to a negative power"};
      if (a < 0 && b != std::floor(b)) throw EvalError{"a negative number cannot be raised to a fractional power"};
      return Value::real(std::pow(a, b));
  }
  return {};
}

// "ab" * 3, [1] * 3, 3 * "ab": repetition, charged against the byte budget.
Value repeat(Renderer& renderer, const Value& sequence, int64_t count) {
  if (count <= 0) return sequence.is_string() ? Value::string("") : Value::list();
  const size_t unit = sequence.is_string() ? sequence.text().size() : sequence.list_data().items.size() * sizeof(Value);
  if (unit > 0 && static_cast<uint64_t>(count) > (uint64_t{1} << 40) / unit) renderer.charge_bytes(SIZE_MAX / 2);
  renderer.charge_bytes(unit * static_cast<size_t>(count));
  if (sequence.is_string()) {
    std::string out;
    for (int64_t i = 0; i < count; ++i) out += sequence.text();
    return Value::string(std::move(out));
  }
  std::vector<Value> items;
  for (int64_t i = 0; i < count; ++i) {
    for (const Value& item : sequence.list_data().items) items.push_back(item);
  }
  return sequence.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

}  // namespace

Value binary_op(Renderer& renderer, BinaryOp op, const Value& a, const Value& b) {
  // "%s" % undefined formats it as "": only the conversions that need a number fail on it.
  if (op == BinaryOp::kMod && a.is_string()) return renderer.make_string(percent_format(a.text(), b));
  require_defined(a);
  require_defined(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return float_op(op, a.as_double(), b.as_double());
    return int_op(op, a.as_int(), b.as_int());
  }
  if (op == BinaryOp::kAdd) {
    if (a.is_string() && b.is_string()) {
      renderer.charge_bytes(a.text().size() + b.text().size());
      return Value::string(a.text() + b.text());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      std::vector<Value> items = a.list_data().items;
      const auto& more = b.list_data().items;
      renderer.charge_bytes((items.size() + more.size()) * sizeof(Value));
      items.insert(items.end(), more.begin(), more.end());
      return a.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
  }
  if (op == BinaryOp::kMul) {
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(renderer, a, b.as_int());
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(renderer, b, a.as_int());
  }
  unsupported(op, a, b);
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;  // Jinja's Undefined iterates as empty
    case Value::Kind::kString:
      if (!item.is_string()) {
        require_defined(item);
        throw EvalError{"'in <string>' requires string as left operand, not " + item.type_name()};
      }
      return container.text().find(item.text()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& v : container.list_data().items) {
        if (equal(v, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      return container.dict_data().find(item) != nullptr;
    default:
      throw EvalError{"argument of type '" + container.type_name() + "' is not iterable"};
  }
}

bool compare_op(CompareOp op, const Value& a, const Value& b) {
  switch (op) {
    case CompareOp::kEq: return equal(a, b);
    case CompareOp::kNe: return !equal(a, b);
    case CompareOp::kIn: return contains(b, a);
    case CompareOp::kNotIn: return !contains(b, a);
    default:
      break;
  }
  require_defined(a);
  require_defined(b);
  switch (op) {
    case CompareOp::kLt: return less(a, b);
    case CompareOp::kLe: return !less(b, a);
    case CompareOp::kGt: return less(b, a);
    case CompareOp::kGe: return !less(a, b);
    default:
      return false;
  }
}

}  // namespace rtstep::macro

// The tests of the template language (`x is defined`, `x is divisibleby 3`; builtins.hpp), with Jinja2's
// meanings: `number` is true for bools too (Python's bool is a number), `sequence` for strings and dicts,
// `iterable` for an undefined value (it iterates as empty).

#include <cctype>
#include <string>

#include "macro/builtins.hpp"
#include "macro/renderer.hpp"

namespace rtstep::macro {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const Value& test_arg(const CallArgs& args, const char* test) {
  if (args.positional.empty()) throw EvalError{std::string("test '") + test + "' needs an argument"};
  return args.positional[0];
}

bool t_defined(const Value& v, CallArgs&) { return !v.is_undefined(); }
bool t_undefined(const Value& v, CallArgs&) { return v.is_undefined(); }
bool t_none(const Value& v, CallArgs&) { return v.is_none(); }
bool t_number(const Value& v, CallArgs&) { return v.is_number(); }
bool t_integer(const Value& v, CallArgs&) { return v.is_int(); }
bool t_float(const Value& v, CallArgs&) { return v.is_float(); }
bool t_boolean(const Value& v, CallArgs&) { return v.is_bool(); }
bool t_true(const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); }
bool t_false(const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); }
bool t_string(const Value& v, CallArgs&) { return v.is_string(); }
bool t_mapping(const Value& v, CallArgs&) { return v.is_dict(); }
bool t_sequence(const Value& v, CallArgs&) { return v.is_string() || v.is_list() || v.is_dict(); }
bool t_iterable(const Value& v, CallArgs&) { return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined(); }
bool t_callable(const Value& v, CallArgs&) { return v.is_callable(); }
bool t_lower(const Value& v, CallArgs&) { return v.is_string() && lower(v.text()) == v.text(); }
bool t_upper(const Value& v, CallArgs&) { return v.is_string() && upper(v.text()) == v.text(); }

int64_t test_int(const Value& v, const char* test) {
  require_defined(v);
  if (!v.is_int() && !v.is_bool()) throw EvalError{std::string("test '") + test + "' needs an integer, got " + v.type_name()};
  return v.as_int();
}

bool t_even(const Value& v, CallArgs&) { return test_int(v, "even") % 2 == 0; }
bool t_odd(const Value& v, CallArgs&) { return test_int(v, "odd") % 2 != 0; }
bool t_divisibleby(const Value& v, CallArgs& args) {
  const int64_t d = test_int(test_arg(args, "divisibleby"), "divisibleby");
  if (d == 0) throw EvalError{"integer division or modulo by zero"};
  return test_int(v, "divisibleby") % d == 0;
}
bool t_eq(const Value& v, CallArgs& args) { return compare_op(CompareOp::kEq, v, test_arg(args, "eq")); }
bool t_ne(const Value& v, CallArgs& args) { return compare_op(CompareOp::kNe, v, test_arg(args, "ne")); }
bool t_lt(const Value& v, CallArgs& args) { return compare_op(CompareOp::kLt, v, test_arg(args, "lt")); }
bool t_le(const Value& v, CallArgs& args) { return compare_op(CompareOp::kLe, v, test_arg(args, "le")); }
bool t_gt(const Value& v, CallArgs& args) { return compare_op(CompareOp::kGt, v, test_arg(args, "gt")); }
bool t_ge(const Value& v, CallArgs& args) { return compare_op(CompareOp::kGe, v, test_arg(args, "ge")); }
bool t_in(const Value& v, CallArgs& args) { return contains(test_arg(args, "in"), v); }
bool t_sameas(const Value& v, CallArgs& args) {
  const Value& other = test_arg(args, "sameas");
  if (v.kind() != other.kind()) return false;
  if (v.is_list() || v.is_dict() || v.is_callable()) return v.identity() == other.identity();
  return equal(v, other);
}

struct NamedTest {
  std::string_view name;
  TestFn fn;
};

constexpr NamedTest kTests[] = {
    {"defined", t_defined}, {"undefined", t_undefined}, {"none", t_none},         {"number", t_number},
    {"integer", t_integer}, {"float", t_float},         {"boolean", t_boolean},   {"true", t_true},
    {"false", t_false},     {"string", t_string},       {"mapping", t_mapping},   {"sequence", t_sequence},
    {"iterable", t_iterable}, {"callable", t_callable}, {"lower", t_lower},       {"upper", t_upper},
    {"even", t_even},       {"odd", t_odd},             {"divisibleby", t_divisibleby}, {"eq", t_eq},
    {"equalto", t_eq},      {"ne", t_ne},
    {"lt", t_lt},           {"lessthan", t_lt},         {"le", t_le},             {"gt", t_gt},
    {"greaterthan", t_gt},  {"ge", t_ge},               {"in", t_in},             {"sameas", t_sameas},
};

}  // namespace

TestFn find_test(std::string_view name) {
  for (const NamedTest& t : kTests) {
    if (t.name == name) return t.fn;
  }
  return nullptr;
}

}  // namespace rtstep::macro

// The filters of the template language (builtins.hpp), with Jinja2's arguments and quirks:
// `int` and `float` give their default (0, 0.0) for text that is not a number but fail on an undefined
// value; `default` replaces only undefined values unless its second argument is true; `min`, `max`,
// `sort` and `unique` compare strings without regard to case; `round` rounds half to even on the exact
// binary value, as Python's round().

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "macro/builtins.hpp"
#include "macro/renderer.hpp"

namespace rtstep::macro {

namespace {

std::string strip(std::string_view s, std::string_view chars = " \t\n\r\f\v") {
  const size_t first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(chars) - first + 1));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Python's int(text): blanks around, a sign, decimal digits with single '_' between them.
std::optional<int64_t> parse_python_int(std::string_view text) {
  std::string s = strip(text);
  std::string digits;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) digits += s[i++];
  if (i >= s.size()) return std::nullopt;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      digits += s[i];
    } else if (s[i] != '_' || i + 1 >= s.size() || digits.empty() || digits.back() == '+' || digits.back() == '-' ||
               std::isdigit(static_cast<unsigned char>(s[i + 1])) == 0) {
      return std::nullopt;
    }
  }
  if (digits.starts_with('+')) digits.erase(0, 1);
  int64_t value = 0;
  const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (res.ec != std::errc{} || res.ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// Python's float(text): blanks around, decimal or exponent notation with '_' between digits, inf, nan.
std::optional<double> parse_python_float(std::string_view text) {
  std::string s;
  const std::string stripped = strip(text);
  for (size_t i = 0; i < stripped.size(); ++i) {
    const char c = stripped[i];
    if (c == '_') {
      const bool between = i > 0 && i + 1 < stripped.size() && std::isdigit(static_cast<unsigned char>(stripped[i - 1])) &&
                           std::isdigit(static_cast<unsigned char>(stripped[i + 1]));
      if (!between) return std::nullopt;
      continue;
    }
    s += c;
  }
  size_t start = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  const std::string word = lower(s.substr(start));
  const double sign = (!s.empty() && s[0] == '-') ? -1.0 : 1.0;
  if (word == "inf" || word == "infinity") return sign * HUGE_VAL;
  if (word == "nan") return std::nan("");
  if (word.empty() || (!std::isdigit(static_cast<unsigned char>(word[0])) && word[0] != '.')) return std::nullopt;
  if (s[0] == '+') s.erase(0, 1);
  double value = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
  if (res.ptr != s.data() + s.size()) return std::nullopt;
  if (res.ec == std::errc::result_out_of_range) value = lower(s).find("e-") != std::string::npos ? 0.0 : sign * HUGE_VAL;
  return value;
}

Value f_int(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "int", 2);
  const Value fallback = argument_or(args, 0, "default", Value::integer(0));
  require_defined(v);
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
  if (v.is_float()) {
    const double d = v.as_double();
    if (std::isnan(d)) return fallback;
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) throw EvalError{"cannot convert float " + v.str() + " to integer"};
    return Value::integer(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    if (auto i = parse_python_int(v.text())) return Value::integer(*i);
    if (auto d = parse_python_float(v.text()); d && std::isfinite(*d) && std::fabs(*d) < 9.2e18) {
      return Value::integer(static_cast<int64_t>(*d));  // "42.23"|int is 42, as in Jinja
    }
  }
  return fallback;
}

Value f_float(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "float", 1);
  const Value fallback = argument_or(args, 0, "default", Value::real(0.0));
  require_defined(v);
  if (v.is_number()) return Value::real(v.as_double());
  if (v.is_string()) {
    if (auto d = parse_python_float(v.text())) return Value::real(*d);
  }
  return fallback;
}

double round_half_even(double v, int64_t digits) {
  if (!std::isfinite(v)) return v;
  if (digits >= 0) {
    // to_chars rounds the exact binary value half to even, as Python's round() does.
    char buf[400];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, static_cast<int>(std::min<int64_t>(digits, 300)));
    double out = 0;
    std::from_chars(buf, res.ptr, out);
    return out;
  }
  const double scale = std::pow(10.0, static_cast<double>(-digits));
  return std::nearbyint(v / scale) * scale;
}

Value f_round(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "round", 2);
  const Value precision = argument_or(args, 0, "precision", Value::integer(0));
  const Value method = argument_or(args, 1, "method", Value::string("common"));
  require_defined(v);
  if (!v.is_number()) throw EvalError{"round: expected a number, got " + v.type_name()};
  if (!precision.is_int() && !precision.is_bool()) throw EvalError{"round: precision must be an integer"};
  const int64_t digits = precision.as_int();
  if (method.text() == "common") {
    if (!v.is_float()) {
      if (digits >= 0) return Value::integer(v.as_int());
      return Value::integer(static_cast<int64_t>(round_half_even(v.as_double(), digits)));
    }
    return Value::real(round_half_even(v.as_double(), digits));
  }
  if (method.text() != "ceil" && method.text() != "floor") {
    throw EvalError{"round: method must be 'common', 'ceil' or 'floor'"};
  }
  const double scale = std::pow(10.0, static_cast<double>(digits));
  const double scaled = v.as_double() * scale;
  return Value::real((method.text() == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Value f_abs(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "abs", 0);
  require_defined(v);
  if (v.is_float()) return Value::real(std::fabs(v.as_double()));
  if (v.is_number()) {
    if (v.as_int() == INT64_MIN) throw EvalError{"integer overflow (the limit is 2^63 - 1)"};
    return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  throw EvalError{"bad operand type for abs(): '" + v.type_name() + "'"};
}

Value f_default(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "default", 2);
  const Value fallback = argument_or(args, 0, "default_value", Value::string(""));
  const bool boolean = argument_or(args, 1, "boolean", Value::boolean(false)).truthy();
  if (v.is_undefined() || (boolean && !v.truthy())) return fallback;
  return v;
}

Value f_string(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "string", 0);
  return v.is_string() ? v : r.make_string(v.str());
}

Value f_lower(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "lower", 0);
  return r.make_string(lower(v.str()));
}

Value f_upper(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "upper", 0);
  return r.make_string(upper(v.str()));
}

Value f_capitalize(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "capitalize", 0);
  std::string s = lower(v.str());
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return r.make_string(std::move(s));
}

Value f_title(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "title", 0);
  std::string s = lower(v.str());
  bool start = true;
  for (char& c : s) {
    if (start && std::isalpha(static_cast<unsigned char>(c)) != 0) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = std::isalnum(static_cast<unsigned char>(c)) == 0;
  }
  return r.make_string(std::move(s));
}

Value f_trim(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "trim", 1);
  const Value chars = argument_or(args, 0, "chars", Value::none());
  return r.make_string(chars.is_string() ? strip(v.str(), chars.text()) : strip(v.str()));
}

Value f_replace(Renderer& r, Value& v, CallArgs& args) {
  CallArgs method_args = args;
  return call_method(r, Value::string(v.str()), "replace", method_args);
}

size_t length_of(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return 0;
    case Value::Kind::kString:  // characters, not bytes
      return static_cast<size_t>(std::count_if(v.text().begin(), v.text().end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
    case Value::Kind::kList: return v.list_data().items.size();
    case Value::Kind::kDict: return v.dict_data().entries.size();
    default: throw EvalError{"object of type '" + v.type_name() + "' has no len()"};
  }
}

Value f_length(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "length", 0);
  return Value::integer(static_cast<int64_t>(length_of(v)));
}

// Item `attribute` of each value (a dotted path "a.b" or an index), for attribute= arguments.
Value pick(const Value& item, const Value& attribute) {
  if (attribute.is_none() || attribute.is_undefined()) return item;
  Value v = item;
  if (!attribute.is_string()) {
    return v.is_list() ? (static_cast<size_t>(attribute.as_int()) < v.list_data().items.size()
                              ? v.list_data().items[static_cast<size_t>(attribute.as_int())] : Value())
                       : Value();
  }
  std::string_view path = attribute.text();
  while (!path.empty()) {
    const std::string_view part = path.substr(0, path.find('.'));
    path.remove_prefix(std::min(path.size(), part.size() + 1));
    const Value* next = v.is_dict() ? v.dict_data().find(part) : nullptr;
    v = next != nullptr ? *next : Value::undefined("'" + std::string(part) + "' is undefined");
  }
  return v;
}

Value f_join(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "join", 2);
  const Value separator = argument_or(args, 0, "d", Value::string(""));
  const Value attribute = argument_or(args, 1, "attribute", Value::none());
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += separator.str();
    first = false;
    out += pick(item, attribute).str();
  }
  return r.make_string(std::move(out));
}

// The key min, max, sort and unique compare by: lower-cased text unless case_sensitive.
Value sort_key(const Value& item, const Value& attribute, bool case_sensitive) {
  Value key = pick(item, attribute);
  if (!case_sensitive && key.is_string()) return Value::string(lower(key.text()));
  return key;
}

Value extreme(Value& v, CallArgs& args, bool want_max) {
  check_arity(args, want_max ? "max" : "min", 2);
  const bool case_sensitive = argument_or(args, 0, "case_sensitive", Value::boolean(false)).truthy();
  const Value attribute = argument_or(args, 1, "attribute", Value::none());
  const std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("no aggregated item, sequence was empty");
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    const Value a = sort_key(items[i], attribute, case_sensitive);
    const Value b = sort_key(items[best], attribute, case_sensitive);
    if (want_max ? less(b, a) : less(a, b)) best = i;
  }
  return items[best];
}

Value f_min(Renderer&, Value& v, CallArgs& args) { return extreme(v, args, false); }
Value f_max(Renderer&, Value& v, CallArgs& args) { return extreme(v, args, true); }

Value f_list(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "list", 0);
  require_defined(v);
  std::vector<Value> items = iterate(v);
  r.charge_steps(items.size());
  return Value::list(std::move(items));
}

Value f_sum(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "sum", 2);
  const Value attribute = argument_or(args, 0, "attribute", Value::none());
  Value total = argument_or(args, 1, "start", Value::integer(0));
  for (const Value& item : iterate(v)) total = binary_op(r, BinaryOp::kAdd, total, pick(item, attribute));
  return total;
}

Value f_first(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "first", 0);
  const std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("no first item, sequence was empty") : items.front();
}

Value f_last(Renderer&, Value& v, CallArgs& args) {
  check_arity(args, "last", 0);
  const std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("no last item, sequence was empty") : items.back();
}

Value f_sort(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "sort", 3);
  const bool reverse = argument_or(args, 0, "reverse", Value::boolean(false)).truthy();
  const bool case_sensitive = argument_or(args, 1, "case_sensitive", Value::boolean(false)).truthy();
  const Value attribute = argument_or(args, 2, "attribute", Value::none());
  std::vector<Value> items = iterate(v);
  r.charge_steps(items.size() * 4);
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    const Value ka = sort_key(a, attribute, case_sensitive);
    const Value kb = sort_key(b, attribute, case_sensitive);
    return reverse ? less(kb, ka) : less(ka, kb);
  });
  return Value::list(std::move(items));
}

Value f_unique(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "unique", 2);
  const bool case_sensitive = argument_or(args, 0, "case_sensitive", Value::boolean(false)).truthy();
  const Value attribute = argument_or(args, 1, "attribute", Value::none());
  std::vector<Value> kept;
  std::vector<Value> keys;
  for (const Value& item : iterate(v)) {
    Value key = sort_key(item, attribute, case_sensitive);
    r.charge_steps(keys.size());
    if (std::none_of(keys.begin(), keys.end(), [&](const Value& k) { return equal(k, key); })) {
      keys.push_back(std::move(key));
      kept.push_back(item);
    }
  }
  return Value::list(std::move(kept));
}

Value f_reverse(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "reverse", 0);
  if (v.is_string()) return r.make_string(std::string(v.text().rbegin(), v.text().rend()));
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_format(Renderer& r, Value& v, CallArgs& args) {
  if (!args.keywords.empty()) {
    Value dict = Value::dict();
    for (auto& [k, value] : args.keywords) dict.dict_data().set(k, value);
    return r.make_string(percent_format(v.str(), dict));
  }
  return r.make_string(percent_format(v.str(), Value::tuple(args.positional)));
}

void append_json(std::string& out, const Value& v, int depth) {
  if (depth > 200) throw EvalError{"tojson: value nests too deeply"};
  switch (v.kind()) {
    case Value::Kind::kUndefined: throw EvalError{v.text().empty() ? "value is undefined" : v.text()};
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(v.as_int()); return;
    case Value::Kind::kFloat:
      out += std::isnan(v.as_double()) ? "NaN" : std::isinf(v.as_double()) ? (v.as_double() > 0 ? "Infinity" : "-Infinity")
                                                                           : format_float(v.as_double());
      return;
    case Value::Kind::kString:
      out += '"';
      for (const char c : v.text()) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if (c == '\n') out += "\\n";
        else if (c == '<' || c == '>' || c == '&' || c == '\'' || u < 0x20) {  // HTML-safe, as Jinja's tojson
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else out += c;
      }
      out += '"';
      return;
    case Value::Kind::kList: {
      out += '[';
      for (size_t i = 0; i < v.list_data().items.size(); ++i) {
        if (i > 0) out += ", ";
        append_json(out, v.list_data().items[i], depth + 1);
      }
      out += ']';
      return;
    }
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.dict_data().entries) {
        if (!first) out += ", ";
        first = false;
        append_json(out, key.is_string() ? key : Value::string(key.str()), depth + 1);
        out += ": ";
        append_json(out, value, depth + 1);
      }
      out += '}';
      return;
    }
    case Value::Kind::kCallable: throw EvalError{"tojson: a function is not JSON serializable"};
  }
}

Value f_tojson(Renderer& r, Value& v, CallArgs& args) {
  check_arity(args, "tojson", 1);
  std::string out;
  append_json(out, v, 0);
  return r.make_string(std::move(out));
}

Value f_map(Renderer& r, Value& v, CallArgs& args) {
  const Value* attribute = argument(args, SIZE_MAX, "attribute");
  std::vector<Value> out;
  if (attribute != nullptr) {
    const Value fallback = argument_or(args, SIZE_MAX, "default", Value());
    for (const Value& item : iterate(v)) {
      Value picked = pick(item, *attribute);
      out.push_back(picked.is_undefined() && !fallback.is_undefined() ? fallback : picked);
    }
    return Value::list(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) throw EvalError{"map: expected a filter name"};
  const FilterFn filter = find_filter(args.positional[0].text());
  if (filter == nullptr) throw EvalError{"map: no filter named '" + args.positional[0].text() + "'"};
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keywords = args.keywords;
  for (Value item : iterate(v)) {
    CallArgs each = rest;
    r.charge_steps(1);
    out.push_back(filter(r, item, each));
  }
  return Value::list(std::move(out));
}

Value f_center(Renderer& r, Value& v, CallArgs& args) {
  CallArgs method_args = args;
  if (method_args.positional.empty() && !argument(args, 0, "width")) method_args.positional.push_back(Value::integer(80));
  return call_method(r, Value::string(v.str()), "center", method_args);
}

Value f_items(Renderer& r, Value& v, CallArgs& args) {
  if (v.is_undefined()) return Value::list();
  return call_method(r, v, "items", args);
}

Value f_identity(Renderer&, Value& v, CallArgs&) { return v; }

struct NamedFilter {
  std::string_view name;
  FilterFn fn;
};

constexpr NamedFilter kFilters[] = {
    {"int", f_int},         {"float", f_float},     {"round", f_round},     {"abs", f_abs},
    {"default", f_default}, {"d", f_default},       {"string", f_string},   {"lower", f_lower},
    {"upper", f_upper},     {"replace", f_replace}, {"length", f_length},   {"count", f_length},
    {"join", f_join},       {"min", f_min},         {"max", f_max},         {"list", f_list},
    {"sum", f_sum},         {"first", f_first},     {"last", f_last},       {"capitalize", f_capitalize},
    {"trim", f_trim},       {"title", f_title},     {"sort", f_sort},       {"unique", f_unique},
    {"reverse", f_reverse}, {"format", f_format},   {"tojson", f_tojson},   {"map", f_map},
    {"center", f_center},   {"items", f_items},     {"safe", f_identity},   {"e", f_identity},
    {"escape", f_identity},
};

}  // namespace

FilterFn find_filter(std::string_view name) {
  for (const NamedFilter& f : kFilters) {
    if (f.name == name) return f.fn;
  }
  return nullptr;
}


}  // namespace rtstep::macro

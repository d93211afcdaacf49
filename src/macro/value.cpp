// Value: construction, truthiness, str/repr as Python prints them, equality and ordering (value.hpp).

#include "macro/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace rtstep::macro {

namespace {

// Nesting deeper than this cannot come from a template (the parser limits nesting) except through a
// container that was made to contain itself; printing or comparing stops there.
constexpr int kMaxNesting = 200;

void append_repr(std::string& out, const Value& v, int depth);

// Python's repr of a string: single quotes unless the text has a single quote and no double quote.
void append_quoted(std::string& out, const std::string& s) {
  const bool use_double = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char quote = use_double ? '"' : '\'';
  out += quote;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += quote;
}

void append_items(std::string& out, const std::vector<Value>& items, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    append_repr(out, items[i], depth + 1);
  }
}

void append_repr(std::string& out, const Value& v, int depth) {
  if (depth > kMaxNesting) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kString:
      append_quoted(out, v.text());
      return;
    case Value::Kind::kList: {
      const List& list = v.list_data();
      out += list.tuple ? '(' : '[';
      append_items(out, list.items, depth);
      if (list.tuple && list.items.size() == 1) out += ',';
      out += list.tuple ? ')' : ']';
      return;
    }
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.dict_data().entries) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, key, depth + 1);
        out += ": ";
        append_repr(out, value, depth + 1);
      }
      out += '}';
      return;
    }
    default:
      out += v.str();
  }
}

bool numbers_equal(const Value& a, const Value& b) {
  if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
  return a.as_int() == b.as_int();
}

bool equal_at(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting) throw EvalError{"maximum recursion depth exceeded in comparison"};
  if (a.is_number() && b.is_number()) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.text() == b.text();
    case Value::Kind::kList: {
      const List& x = a.list_data();
      const List& y = b.list_data();
      if (x.tuple != y.tuple || x.items.size() != y.items.size()) return false;
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (!equal_at(x.items[i], y.items[i], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      Dict& x = a.dict_data();
      Dict& y = b.dict_data();
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [key, value] : x.entries) {
        const Value* other = y.find(key);
        if (other == nullptr || !equal_at(value, *other, depth + 1)) return false;
      }
      return true;
    }
    default:
      return a.identity() == b.identity();
  }
}

[[noreturn]] void not_orderable(const Value& a, const Value& b) {
  throw EvalError{"'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'"};
}

bool less_at(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting) throw EvalError{"maximum recursion depth exceeded in comparison"};
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.text() < b.text();
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.list_data().items;
    const auto& y = b.list_data().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equal_at(x[i], y[i], depth + 1)) return less_at(x[i], y[i], depth + 1);
    }
    return x.size() < y.size();
  }
  not_orderable(a, b);
}

Value deep_copy_at(const Value& v, int depth) {
  if (depth > kMaxNesting) throw EvalError{"value nests too deeply to copy"};
  if (v.is_list()) {
    std::vector<Value> items;
    items.reserve(v.list_data().items.size());
    for (const Value& item : v.list_data().items) items.push_back(deep_copy_at(item, depth + 1));
    return v.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
  }
  if (v.is_dict()) {
    Value copy = Value::dict();
    for (const auto& [key, value] : v.dict_data().entries) {
      copy.dict_data().entries.emplace_back(deep_copy_at(key, depth + 1), deep_copy_at(value, depth + 1));
    }
    return copy;
  }
  return v;
}

// Values whose containers are being freed by the outermost bury() on this thread, or nullptr.
thread_local std::vector<Value>* t_graveyard = nullptr;

// Frees the containers among `values` with a loop instead of recursion: a nested container's destructor
// adds its own items to the graveyard that the outermost call is emptying.
void bury(std::vector<Value>& values) {
  if (t_graveyard != nullptr) {
    for (Value& v : values) {
      if (v.identity() != nullptr) t_graveyard->push_back(std::move(v));
    }
    return;
  }
  std::vector<Value> pending;
  for (Value& v : values) {
    if (v.identity() != nullptr) pending.push_back(std::move(v));
  }
  t_graveyard = &pending;
  while (!pending.empty()) {
    Value last = std::move(pending.back());
    pending.pop_back();
  }  // `last` dies here; if it held the last reference, its items join `pending`
  t_graveyard = nullptr;
}

}  // namespace

List::~List() { bury(items); }

Dict::~Dict() {
  std::vector<Value> values;
  values.reserve(entries.size() * 2);
  for (auto& [key, value] : entries) {
    values.push_back(std::move(key));
    values.push_back(std::move(value));
  }
  bury(values);
}

Callable::~Callable() {
  std::vector<Value> values;
  values.push_back(std::move(bound_self));
  bury(values);
}

Value Value::list(std::vector<Value> items) {
  Value v(Kind::kList);
  auto data = std::make_shared<List>();
  data->items = std::move(items);
  v.object_ = std::move(data);
  return v;
}

Value Value::tuple(std::vector<Value> items) {
  Value v = list(std::move(items));
  v.list_data().tuple = true;
  return v;
}

Value Value::dict() {
  Value v(Kind::kDict);
  v.object_ = std::make_shared<Dict>();
  return v;
}

Value Value::callable(std::string name, std::function<Value(CallArgs&)> fn) {
  Value v(Kind::kCallable);
  auto data = std::make_shared<Callable>();
  data->name = std::move(name);
  data->fn = std::move(fn);
  v.object_ = std::move(data);
  return v;
}

Value Value::bound_method(Value self, std::string method) {
  Value v(Kind::kCallable);
  auto data = std::make_shared<Callable>();
  data->name = method;
  data->bound_self = std::move(self);
  data->method = std::move(method);
  v.object_ = std::move(data);
  return v;
}

bool Value::is_tuple() const noexcept { return kind_ == Kind::kList && list_data().tuple; }

bool Value::truthy() const noexcept {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
    case Kind::kInt:
      return int_ != 0;
    case Kind::kFloat:
      return float_ != 0.0;
    case Kind::kString:
      return !text_.empty();
    case Kind::kList:
      return !list_data().items.empty();
    case Kind::kDict:
      return !dict_data().entries.empty();
    case Kind::kCallable:
      return true;
  }
  return false;
}

std::string Value::str() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return int_ != 0 ? "True" : "False";
    case Kind::kInt:
      return std::to_string(int_);
    case Kind::kFloat:
      return format_float(float_);
    case Kind::kString:
      return text_;
    case Kind::kCallable:
      return "<function " + callable_data().name + ">";
    case Kind::kList:
    case Kind::kDict:
      break;
  }
  std::string out;
  append_repr(out, *this, 0);
  return out;
}

std::string Value::repr() const {
  std::string out;
  append_repr(out, *this, 0);
  return out;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return is_tuple() ? "tuple" : "list";
    case Kind::kDict:
      return "dict";
    case Kind::kCallable:
      return "function";
  }
  return "object";
}

Value Value::deep_copy() const { return deep_copy_at(*this, 0); }

Value* Dict::find(const Value& key) {
  if (key.is_string()) return find(std::string_view(key.text()));
  for (auto& [k, v] : entries) {
    if (!k.is_string() && equal(k, key)) return &v;
  }
  return nullptr;
}

Value* Dict::find(std::string_view key) {
  for (auto& [k, v] : entries) {
    if (k.is_string() && k.text() == key) return &v;
  }
  return nullptr;
}

void Dict::set(Value key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries.emplace_back(std::move(key), std::move(value));
}

bool Dict::erase(const Value& key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (equal(it->first, key)) {
      entries.erase(it);
      return true;
    }
  }
  return false;
}

bool equal(const Value& a, const Value& b) { return equal_at(a, b, 0); }

bool less(const Value& a, const Value& b) { return less_at(a, b, 0); }

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits in exponent form ("1.2345e+02"), then laid out as Python's repr.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= -4 || point > 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp;
  }
  if (point <= 0) return sign + "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  if (static_cast<size_t>(point) >= digits.size()) {
    return sign + digits + std::string(static_cast<size_t>(point) - digits.size(), '0') + ".0";
  }
  return sign + digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
}

}  // namespace rtstep::macro

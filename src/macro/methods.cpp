// Methods of strings, lists and dicts, the global functions (range, namespace, dict) and the argument
// helpers (builtins.hpp). Methods follow Python's; a list or dict can never be made to contain itself
// (Python allows it, but here shared references would then never be freed).

#include <algorithm>
#include <cmath>

#include "macro/builtins.hpp"
#include "macro/renderer.hpp"

namespace rtstep::macro {

namespace {

constexpr std::string_view kStringMethods[] = {
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith",
    "replace", "join", "find", "rfind", "index", "count", "format", "capitalize", "title", "isdigit", "isalpha",
    "isalnum", "isspace", "islower", "isupper", "zfill", "center", "ljust", "rjust"};
constexpr std::string_view kListMethods[] = {"append", "extend", "insert", "pop", "remove", "index", "count",
                                             "reverse", "sort", "clear", "copy"};
constexpr std::string_view kTupleMethods[] = {"index", "count"};
constexpr std::string_view kDictMethods[] = {"items", "keys", "values", "get", "update", "pop", "setdefault", "copy",
                                             "clear"};

template <size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// Throws if putting `item` into `container` would make the container reachable from itself.
void check_no_cycle(Renderer& r, const Value& container, const Value& item) {
  std::vector<const Value*> pending{&item};
  while (!pending.empty()) {
    const Value* v = pending.back();
    pending.pop_back();
    r.charge_steps(1);
    if (v->identity() != nullptr && v->identity() == container.identity()) {
      throw EvalError{"a " + container.type_name() + " cannot contain itself"};
    }
    if (v->is_list()) {
      for (const Value& x : v->list_data().items) pending.push_back(&x);
    } else if (v->is_dict()) {
      for (const auto& [key, value] : v->dict_data().entries) pending.push_back(&value);
    } else if (v->is_callable()) {
      pending.push_back(&v->callable_data().bound_self);
    }
  }
}

std::string text_arg(const CallArgs& args, size_t index, std::string_view keyword, const char* method) {
  const Value* v = argument(args, index, keyword);
  if (v == nullptr || !v->is_string()) {
    throw EvalError{std::string(method) + "() argument " + std::to_string(index + 1) + " must be a string"};
  }
  return v->text();
}

int64_t int_arg(const CallArgs& args, size_t index, std::string_view keyword, int64_t fallback) {
  const Value* v = argument(args, index, keyword);
  if (v == nullptr || v->is_none()) return fallback;
  if (!v->is_int() && !v->is_bool()) throw EvalError{"an integer is required, got " + v->type_name()};
  return v->as_int();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

Value split(Renderer& r, const std::string& s, const CallArgs& args, bool from_right) {
  const Value* sep = argument(args, 0, "sep");
  int64_t max = int_arg(args, 1, "maxsplit", -1);
  std::vector<Value> parts;
  if (sep == nullptr || sep->is_none()) {  // runs of blanks separate; blanks at the ends give no part
    std::vector<std::string> words;
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && is_space(s[i])) ++i;
      if (i >= s.size()) break;
      size_t j = i;
      while (j < s.size() && !is_space(s[j])) ++j;
      words.emplace_back(s.substr(i, j - i));
      i = j;
    }
    if (max >= 0 && static_cast<size_t>(max) + 1 < words.size() && !from_right) {
      const size_t keep = static_cast<size_t>(max);
      size_t pos = 0;
      for (size_t k = 0; k < keep; ++k) {
        pos = s.find_first_not_of(" \t\n\r\f\v", pos);
        pos = s.find_first_of(" \t\n\r\f\v", pos);
      }
      const size_t rest = s.find_first_not_of(" \t\n\r\f\v", pos);
      words.resize(keep);
      std::string tail = s.substr(rest);
      tail.erase(tail.find_last_not_of(" \t\n\r\f\v") + 1);
      words.push_back(tail);
    }
    for (auto& w : words) parts.push_back(Value::string(std::move(w)));
  } else {
    if (!sep->is_string()) throw EvalError{"must be str or None, not " + sep->type_name()};
    const std::string& d = sep->text();
    if (d.empty()) throw EvalError{"empty separator"};
    std::vector<std::string> pieces;
    size_t start = 0;
    for (size_t pos; (pos = s.find(d, start)) != std::string::npos;) {
      pieces.push_back(s.substr(start, pos - start));
      start = pos + d.size();
    }
    pieces.push_back(s.substr(start));
    if (max >= 0 && static_cast<size_t>(max) + 1 < pieces.size()) {
      const auto keep = static_cast<size_t>(max);
      std::vector<std::string> joined;
      if (!from_right) {
        joined.assign(pieces.begin(), pieces.begin() + static_cast<ptrdiff_t>(keep));
        std::string tail;
        for (size_t k = keep; k < pieces.size(); ++k) tail += (k > keep ? d : "") + pieces[k];
        joined.push_back(tail);
      } else {
        std::string head;
        const size_t cut = pieces.size() - keep;
        for (size_t k = 0; k < cut; ++k) head += (k > 0 ? d : "") + pieces[k];
        joined.push_back(head);
        joined.insert(joined.end(), pieces.begin() + static_cast<ptrdiff_t>(cut), pieces.end());
      }
      pieces = std::move(joined);
    }
    for (auto& p : pieces) parts.push_back(Value::string(std::move(p)));
  }
  r.charge_bytes(s.size() + parts.size() * sizeof(Value));
  return Value::list(std::move(parts));
}

// startswith/endswith: a string or a tuple of strings.
bool affix(const std::string& s, const Value& what, bool start) {
  auto one = [&](const Value& v) {
    if (!v.is_string()) throw EvalError{"startswith/endswith first arg must be str or a tuple of str"};
    return start ? s.starts_with(v.text()) : s.ends_with(v.text());
  };
  if (what.is_list()) return std::any_of(what.list_data().items.begin(), what.list_data().items.end(), one);
  return one(what);
}

std::string strip_chars(const std::string& s, const CallArgs& args, bool left, bool right) {
  const Value* chars = argument(args, 0, "chars");
  const std::string set = chars != nullptr && chars->is_string() ? chars->text() : " \t\n\r\f\v";
  size_t b = 0;
  size_t e = s.size();
  while (left && b < e && set.find(s[b]) != std::string::npos) ++b;
  while (right && e > b && set.find(s[e - 1]) != std::string::npos) --e;
  return s.substr(b, e - b);
}

Value string_method(Renderer& r, const std::string& s, const std::string& name, CallArgs& args) {
  auto map_chars = [&](int (*f)(int)) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(f(static_cast<unsigned char>(c)));
    return r.make_string(std::move(out));
  };
  auto all_chars = [&](int (*f)(int)) {
    return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return f(static_cast<unsigned char>(c)) != 0; }));
  };
  if (name == "lower") return map_chars(::tolower);
  if (name == "upper") return map_chars(::toupper);
  if (name == "strip") return r.make_string(strip_chars(s, args, true, true));
  if (name == "lstrip") return r.make_string(strip_chars(s, args, true, false));
  if (name == "rstrip") return r.make_string(strip_chars(s, args, false, true));
  if (name == "split") return split(r, s, args, false);
  if (name == "rsplit") return split(r, s, args, true);
  if (name == "splitlines") {
    CallArgs newline;
    newline.positional.push_back(Value::string("\n"));
    Value lines = split(r, s, newline, false);
    auto& items = lines.list_data().items;
    if (!items.empty() && items.back().text().empty()) items.pop_back();
    for (Value& line : items) {
      if (line.text().ends_with('\r')) line.mutable_text().pop_back();
    }
    return lines;
  }
  if (name == "startswith" || name == "endswith") {
    const Value* what = argument(args, 0, "prefix");
    if (what == nullptr) throw EvalError{name + "() takes at least 1 argument (0 given)"};
    return Value::boolean(affix(s, *what, name == "startswith"));
  }
  if (name == "replace") {
    const std::string from = text_arg(args, 0, "old", "replace");
    const std::string to = text_arg(args, 1, "new", "replace");
    int64_t count = int_arg(args, 2, "count", -1);
    std::string out;
    size_t start = 0;
    if (from.empty()) {  // Python inserts `to` between characters and at both ends
      for (size_t i = 0; i <= s.size() && count != 0; ++i, --count) {
        out += to;
        if (i < s.size()) out += s[i];
        start = i + 1;
        r.charge_bytes(to.size() + 1);
      }
      if (start <= s.size()) out += s.substr(std::min(start, s.size()));
      return r.make_string(std::move(out));
    }
    for (size_t pos; count != 0 && (pos = s.find(from, start)) != std::string::npos; --count) {
      out += s.substr(start, pos - start) + to;
      start = pos + from.size();
      r.charge_bytes(to.size());
    }
    return r.make_string(out + s.substr(start));
  }
  if (name == "join") {
    const Value* items = argument(args, 0, "iterable");
    if (items == nullptr) throw EvalError{"join() takes exactly one argument (0 given)"};
    std::string out;
    bool first = true;
    for (const Value& item : iterate(*items)) {
      if (!item.is_string()) throw EvalError{"sequence item: expected str instance, " + item.type_name() + " found"};
      if (!first) out += s;
      first = false;
      out += item.text();
    }
    return r.make_string(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "index") {
    const std::string what = text_arg(args, 0, "sub", name.c_str());
    const size_t pos = name == "rfind" ? s.rfind(what) : s.find(what);
    if (pos == std::string::npos && name == "index") throw EvalError{"substring not found"};
    return Value::integer(pos == std::string::npos ? -1 : static_cast<int64_t>(pos));
  }
  if (name == "count") {
    const std::string what = text_arg(args, 0, "sub", "count");
    if (what.empty()) return Value::integer(static_cast<int64_t>(s.size()) + 1);
    int64_t n = 0;
    for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + what.size())) ++n;
    return Value::integer(n);
  }
  if (name == "format") return r.make_string(brace_format(s, args));
  if (name == "capitalize" || name == "title") {
    std::string out = s;
    bool start = true;
    for (char& c : out) {
      const auto u = static_cast<unsigned char>(c);
      c = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
      start = name == "title" ? std::isalpha(u) == 0 : false;
    }
    return r.make_string(std::move(out));
  }
  if (name == "isdigit") return all_chars(::isdigit);
  if (name == "isalpha") return all_chars(::isalpha);
  if (name == "isalnum") return all_chars(::isalnum);
  if (name == "isspace") return all_chars(::isspace);
  if (name == "islower") return Value::boolean(std::any_of(s.begin(), s.end(), ::islower) && !std::any_of(s.begin(), s.end(), ::isupper));
  if (name == "isupper") return Value::boolean(std::any_of(s.begin(), s.end(), ::isupper) && !std::any_of(s.begin(), s.end(), ::islower));
  // zfill, center, ljust, rjust: padding to a width.
  const int64_t width = int_arg(args, 0, "width", 0);
  if (width > static_cast<int64_t>(1 << 20)) throw EvalError{name + "(): width too large"};
  const size_t fill = width > static_cast<int64_t>(s.size()) ? static_cast<size_t>(width) - s.size() : 0;
  const Value* fill_char = argument(args, 1, "fillchar");
  const char c = fill_char != nullptr && fill_char->is_string() && fill_char->text().size() == 1 ? fill_char->text()[0] : ' ';
  r.charge_bytes(fill);
  if (name == "zfill") {
    const size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    return Value::string(s.substr(0, sign) + std::string(fill, '0') + s.substr(sign));
  }
  if (name == "ljust") return Value::string(s + std::string(fill, c));
  if (name == "rjust") return Value::string(std::string(fill, c) + s);
  const size_t left = fill / 2 + (fill & static_cast<size_t>(width) & 1);  // Python's centering
  return Value::string(std::string(left, c) + s + std::string(fill - left, c));
}

size_t list_index(const std::vector<Value>& items, int64_t index, bool insert) {
  const auto size = static_cast<int64_t>(items.size());
  if (index < 0) index += size;
  if (insert) return static_cast<size_t>(std::clamp<int64_t>(index, 0, size));
  if (index < 0 || index >= size) throw EvalError{"pop index out of range"};
  return static_cast<size_t>(index);
}

Value list_method(Renderer& r, const Value& self, const std::string& name, CallArgs& args) {
  auto& items = self.list_data().items;
  const Value* arg = argument(args, 0, "object");
  auto need_arg = [&]() -> const Value& {
    if (arg == nullptr) throw EvalError{name + "() takes exactly one argument (0 given)"};
    return *arg;
  };
  if (name == "index" || name == "count") {
    const Value& x = need_arg();
    int64_t n = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!equal(items[i], x)) continue;
      if (name == "index") return Value::integer(static_cast<int64_t>(i));
      ++n;
    }
    if (name == "index") throw EvalError{x.repr() + " is not in list"};
    return Value::integer(n);
  }
  r.charge_bytes(sizeof(Value));
  if (name == "append") {
    check_no_cycle(r, self, need_arg());
    items.push_back(*arg);
  } else if (name == "extend") {
    const std::vector<Value> more = iterate(need_arg());
    for (const Value& v : more) check_no_cycle(r, self, v);
    r.charge_bytes(more.size() * sizeof(Value));
    items.insert(items.end(), more.begin(), more.end());
  } else if (name == "insert") {
    const Value* x = argument(args, 1, "object");
    if (x == nullptr) throw EvalError{"insert expected 2 arguments"};
    check_no_cycle(r, self, *x);
    items.insert(items.begin() + static_cast<ptrdiff_t>(list_index(items, int_arg(args, 0, "index", 0), true)), *x);
  } else if (name == "pop") {
    if (items.empty()) throw EvalError{"pop from empty list"};
    const size_t i = list_index(items, int_arg(args, 0, "index", -1), false);
    Value v = items[i];
    items.erase(items.begin() + static_cast<ptrdiff_t>(i));
    return v;
  } else if (name == "remove") {
    const Value& x = need_arg();
    const auto it = std::find_if(items.begin(), items.end(), [&](const Value& v) { return equal(v, x); });
    if (it == items.end()) throw EvalError{"list.remove(x): x not in list"};
    items.erase(it);
  } else if (name == "reverse") {
    std::reverse(items.begin(), items.end());
  } else if (name == "sort") {
    const bool reverse = argument_or(args, SIZE_MAX, "reverse", Value::boolean(false)).truthy();
    r.charge_steps(items.size() * 4);
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) { return reverse ? less(b, a) : less(a, b); });
  } else if (name == "clear") {
    items.clear();
  } else if (name == "copy") {
    return Value::list(items);
  }
  return Value::none();
}

Value dict_method(Renderer& r, const Value& self, const std::string& name, CallArgs& args) {
  Dict& dict = self.dict_data();
  if (name == "items" || name == "keys" || name == "values") {
    std::vector<Value> out;
    out.reserve(dict.entries.size());
    for (const auto& [k, v] : dict.entries) {
      if (name == "items") out.push_back(Value::tuple({k, v}));
      else out.push_back(name == "keys" ? k : v);
    }
    r.charge_bytes(out.size() * sizeof(Value));
    return Value::list(std::move(out));
  }
  const Value* key = argument(args, 0, "key");
  if (name == "get") {
    if (key == nullptr) throw EvalError{"get expected at least 1 argument, got 0"};
    const Value* v = dict.find(*key);
    return v != nullptr ? *v : argument_or(args, 1, "default", Value::none());
  }
  if (name == "pop") {
    if (key == nullptr) throw EvalError{"pop expected at least 1 argument, got 0"};
    const Value* v = dict.find(*key);
    if (v == nullptr) {
      const Value* fallback = argument(args, 1, "default");
      if (fallback == nullptr) throw EvalError{"KeyError: " + key->repr()};
      return *fallback;
    }
    Value out = *v;
    dict.erase(*key);
    return out;
  }
  if (name == "setdefault") {
    if (key == nullptr) throw EvalError{"setdefault expected at least 1 argument, got 0"};
    if (const Value* v = dict.find(*key)) return *v;
    Value fallback = argument_or(args, 1, "default", Value::none());
    check_no_cycle(r, self, fallback);
    dict.set(*key, fallback);
    return fallback;
  }
  if (name == "update") {
    if (!args.positional.empty()) {
      const Value& other = args.positional[0];
      if (!other.is_dict()) throw EvalError{"update: expected a dict, got " + other.type_name()};
      const auto entries = other.dict_data().entries;  // a copy: `d.update(d)` is allowed
      for (const auto& [k, v] : entries) {
        check_no_cycle(r, self, v);
        dict.set(k, v);
      }
    }
    for (const auto& [k, v] : args.keywords) {
      check_no_cycle(r, self, v);
      dict.set(k, v);
    }
    r.charge_bytes(dict.entries.size() * sizeof(Value));
    return Value::none();
  }
  if (name == "copy") {
    Value copy = Value::dict();
    copy.dict_data().entries = dict.entries;
    return copy;
  }
  dict.entries.clear();  // clear
  return Value::none();
}

Value range(Renderer& r, CallArgs& args) {
  check_arity(args, "range", 3);
  if (args.positional.empty()) throw EvalError{"range expected at least 1 argument, got 0"};
  int64_t bounds[3] = {0, 0, 1};
  for (size_t i = 0; i < args.positional.size(); ++i) {
    const Value& v = args.positional[i];
    if (!v.is_int() && !v.is_bool()) throw EvalError{"'" + v.type_name() + "' object cannot be interpreted as an integer"};
    bounds[args.positional.size() == 1 ? 1 : i] = v.as_int();
  }
  const int64_t start = bounds[0], stop = bounds[1], step = bounds[2];
  if (step == 0) throw EvalError{"range() arg 3 must not be zero"};
  const long double span = step > 0 ? static_cast<long double>(stop) - start : static_cast<long double>(start) - stop;
  const long double count = span <= 0 ? 0 : std::ceil(span / std::abs(static_cast<long double>(step)));
  r.charge_steps(static_cast<uint64_t>(std::min<long double>(count, 1e18)));
  r.charge_bytes(static_cast<size_t>(count) * sizeof(Value));
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) items.push_back(Value::integer(start + i * step));
  return Value::list(std::move(items));
}

// namespace(...) and dict(...): a dict from an optional dict and keyword arguments.
Value make_dict(Renderer& r, CallArgs& args) {
  Value out = Value::dict();
  if (!args.positional.empty()) {
    if (!args.positional[0].is_dict()) throw EvalError{"expected a dict, got " + args.positional[0].type_name()};
    out.dict_data().entries = args.positional[0].dict_data().entries;
  }
  for (auto& [k, v] : args.keywords) out.dict_data().set(k, v);
  r.charge_bytes(out.dict_data().entries.size() * sizeof(Value));
  return out;
}

}  // namespace

const Value* argument(const CallArgs& args, size_t index, std::string_view keyword) {
  if (index < args.positional.size()) return &args.positional[index];
  for (const auto& [name, value] : args.keywords) {
    if (name == keyword) return &value;
  }
  return nullptr;
}

Value argument_or(const CallArgs& args, size_t index, std::string_view keyword, Value fallback) {
  const Value* v = argument(args, index, keyword);
  return v != nullptr ? *v : fallback;
}

void check_arity(const CallArgs& args, std::string_view function, size_t max) {
  if (args.positional.size() > max) {
    throw EvalError{std::string(function) + "() takes at most " + std::to_string(max) + " argument" +
                    (max == 1 ? "" : "s") + " (" + std::to_string(args.positional.size()) + " given)"};
  }
}

bool has_method(const Value& object, std::string_view name) {
  switch (object.kind()) {
    case Value::Kind::kString: return listed(kStringMethods, name);
    case Value::Kind::kList: return object.is_tuple() ? listed(kTupleMethods, name) : listed(kListMethods, name);
    case Value::Kind::kDict: return listed(kDictMethods, name);
    default: return false;
  }
}

Value call_method(Renderer& renderer, const Value& object, const std::string& name, CallArgs& args) {
  renderer.charge_steps(1);
  if (object.is_none() && name == "range") return range(renderer, args);
  if (object.is_none() && (name == "namespace" || name == "dict")) return make_dict(renderer, args);
  if (!has_method(object, name)) {
    throw EvalError{"'" + object.type_name() + "' object has no attribute '" + name + "'"};
  }
  if (object.is_string()) return string_method(renderer, object.text(), name, args);
  if (object.is_list()) return list_method(renderer, object, name, args);
  return dict_method(renderer, object, name, args);
}

Value find_global(Renderer&, std::string_view name) {
  // A global is a method bound to None: calling it goes through call_method, so the value holds no
  // pointer to the render that created it, even when a template stores it in a persistent variable.
  if (name == "range" || name == "namespace" || name == "dict") return Value::bound_method(Value::none(), std::string(name));
  return {};
}

void check_insert(Renderer& renderer, const Value& container, const Value& item) { check_no_cycle(renderer, container, item); }

}  // namespace rtstep::macro

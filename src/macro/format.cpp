// Python's string formatting (renderer.hpp): `"%.2f" % x` with its flags, width and precision, and a
// subset of str.format ("{}", "{0}", "{name}", "{:.2f}", "{:>8}"). Numbers are laid out with
// std::to_chars, which ignores the locale, so a user's LC_NUMERIC never turns 0.5 into "0,5".

#include <charconv>
#include <cmath>
#include <string>

#include "macro/builtins.hpp"
#include "macro/renderer.hpp"

namespace rtstep::macro {

namespace {

struct Spec {
  bool left = false;      // '-' (or '<')
  bool plus = false;      // '+'
  bool space = false;     // ' '
  bool zero = false;      // '0'
  bool alternate = false; // '#': 0x, 0X, 0o prefixes
  char fill = ' ';
  char align = 0;         // '<', '>', '^' (str.format), 0: default
  int width = 0;
  int precision = -1;     // -1: absent
  char type = 's';
  bool brace = false;     // str.format: text aligns left by default ("%5s" aligns right)
};

double to_double(const Value& v, char type) {
  require_defined(v);
  if (!v.is_number()) throw EvalError{std::string("%") + type + " format: a real number is required, not " + v.type_name()};
  return v.as_double();
}

int64_t to_int(const Value& v, char type) {
  require_defined(v);
  if (v.is_float()) {
    if (!std::isfinite(v.as_double()) || std::fabs(v.as_double()) >= 9.2e18) throw EvalError{"cannot convert float to integer"};
    return static_cast<int64_t>(v.as_double());
  }
  if (!v.is_number()) throw EvalError{std::string("%") + type + " format: a real number is required, not " + v.type_name()};
  return v.as_int();
}

std::string format_double(double v, char type, int precision) {
  if (std::isnan(v)) return std::isupper(static_cast<unsigned char>(type)) ? "NAN" : "nan";
  if (std::isinf(v)) return std::isupper(static_cast<unsigned char>(type)) ? "INF" : "inf";
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(type)));
  const auto format = lower == 'f' ? std::chars_format::fixed : lower == 'e' ? std::chars_format::scientific
                                                                             : std::chars_format::general;
  if (precision < 0) precision = 6;
  if (lower == 'g' && precision == 0) precision = 1;
  precision = std::min(precision, 300);
  char buf[1200];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, format, precision);
  std::string out(buf, res.ptr);
  if (std::isupper(static_cast<unsigned char>(type))) {
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// The text of one conversion before padding.
std::string convert(const Value& v, const Spec& spec) {
  switch (spec.type) {
    case 's': return v.str();
    case 'r': case 'a': return v.repr();
    case 'd': case 'i': case 'u': return std::to_string(to_int(v, spec.type));
    case 'x': case 'X': case 'o': {
      const int64_t i = to_int(v, spec.type);
      char buf[32];
      const uint64_t magnitude = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      const auto res = std::to_chars(buf, buf + sizeof buf, magnitude, spec.type == 'o' ? 8 : 16);
      std::string digits(buf, res.ptr);
      if (spec.type == 'X') {
        for (char& c : digits) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      const char* prefix = !spec.alternate ? "" : spec.type == 'x' ? "0x" : spec.type == 'X' ? "0X" : "0o";
      return (i < 0 ? "-" : "") + std::string(prefix) + digits;
    }
    case 'c':
      if (v.is_string() && v.text().size() == 1) return v.text();
      return std::string(1, static_cast<char>(to_int(v, 'c')));
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
      return format_double(to_double(v, spec.type), spec.type, spec.precision);
    default:
      throw EvalError{std::string("unsupported format character '") + spec.type + "'"};
  }
}

bool numeric(char type) { return std::string_view("diuxXofFeEgG").find(type) != std::string_view::npos; }

std::string pad(std::string text, const Spec& spec) {
  if (numeric(spec.type) && !text.starts_with('-')) {
    if (spec.plus) text.insert(0, 1, '+');
    else if (spec.space) text.insert(0, 1, ' ');
  }
  if (spec.type == 's' && spec.precision >= 0 && text.size() > static_cast<size_t>(spec.precision)) {
    text.resize(static_cast<size_t>(spec.precision));
  }
  const auto width = static_cast<size_t>(std::max(spec.width, 0));
  if (text.size() >= width) return text;
  const size_t fill = width - text.size();
  if (spec.zero && !spec.left && numeric(spec.type) && spec.align == 0) {
    const size_t sign = (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
    return text.insert(sign, fill, '0');
  }
  const char align = spec.align != 0 ? spec.align : spec.left ? '<' : (numeric(spec.type) || !spec.brace ? '>' : '<');
  if (align == '<') return text + std::string(fill, spec.fill);
  if (align == '^') return std::string(fill / 2, spec.fill) + text + std::string(fill - fill / 2, spec.fill);
  return std::string(fill, spec.fill) + text;
}

int read_number(const std::string& s, size_t& i) {
  int n = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
    n = std::min(n * 10 + (s[i++] - '0'), 100000);
  }
  return n;
}

}  // namespace

std::string percent_format(const std::string& format, const Value& args) {
  const bool tuple = args.is_tuple();
  const std::vector<Value> single{args};
  const std::vector<Value>& values = tuple ? args.list_data().items : single;
  size_t next = 0;
  auto take = [&]() -> const Value& {
    if (next >= values.size()) throw EvalError{"not enough arguments for format string"};
    return values[next++];
  };
  bool used_mapping = false;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) throw EvalError{"incomplete format"};
    if (format[i] == '%') {
      out += '%';
      continue;
    }
    const Value* keyed = nullptr;
    if (format[i] == '(') {  // %(name)s: a value of a dict argument
      const size_t close = format.find(')', i);
      if (close == std::string::npos) throw EvalError{"incomplete format key"};
      if (!args.is_dict()) throw EvalError{"format requires a mapping"};
      keyed = args.dict_data().find(std::string_view(format).substr(i + 1, close - i - 1));
      if (keyed == nullptr) throw EvalError{"format key '" + format.substr(i + 1, close - i - 1) + "' not found"};
      used_mapping = true;
      i = close + 1;
    }
    Spec spec;
    for (; i < format.size() && std::string_view("-+ 0#").find(format[i]) != std::string_view::npos; ++i) {
      if (format[i] == '-') spec.left = true;
      if (format[i] == '+') spec.plus = true;
      if (format[i] == ' ') spec.space = true;
      if (format[i] == '0') spec.zero = true;
      if (format[i] == '#') spec.alternate = true;
    }
    if (i < format.size() && format[i] == '*') {
      spec.width = static_cast<int>(to_int(take(), '*'));
      if (spec.width < 0) {
        spec.left = true;
        spec.width = -spec.width;
      }
      ++i;
    } else {
      spec.width = read_number(format, i);
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      if (i < format.size() && format[i] == '*') {
        spec.precision = static_cast<int>(to_int(take(), '*'));
        ++i;
      } else {
        spec.precision = read_number(format, i);
      }
    }
    while (i < format.size() && (format[i] == 'l' || format[i] == 'h' || format[i] == 'L')) ++i;
    if (i >= format.size()) throw EvalError{"incomplete format"};
    spec.type = format[i];
    out += pad(convert(keyed != nullptr ? *keyed : take(), spec), spec);
  }
  if (!used_mapping && next < values.size() && !(values.size() == 1 && !tuple && args.is_dict())) {
    throw EvalError{"not all arguments converted during string formatting"};
  }
  return out;
}

std::string brace_format(const std::string& format, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '}' ) {
      if (i + 1 < format.size() && format[i + 1] == '}') ++i;
      out += '}';
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    const size_t close = format.find('}', i);
    if (close == std::string::npos) throw EvalError{"single '{' encountered in format string"};
    const std::string field = format.substr(i + 1, close - i - 1);
    i = close;
    const size_t colon = field.find(':');
    const std::string key = field.substr(0, colon);
    const Value* value = nullptr;
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])) != 0) {
      const size_t index = key.empty() ? auto_index++ : static_cast<size_t>(std::atoi(key.c_str()));
      if (index >= args.positional.size()) throw EvalError{"replacement index " + std::to_string(index) + " out of range"};
      value = &args.positional[index];
    } else {
      value = argument(args, SIZE_MAX, key);
      if (value == nullptr) throw EvalError{"format: no argument named '" + key + "'"};
    }
    Spec spec;
    spec.brace = true;
    if (colon != std::string::npos) {
      const std::string s = field.substr(colon + 1);
      size_t k = 0;
      if (s.size() >= 2 && std::string_view("<>^").find(s[1]) != std::string_view::npos) {
        spec.fill = s[0];
        spec.align = s[1];
        k = 2;
      } else if (!s.empty() && std::string_view("<>^").find(s[0]) != std::string_view::npos) {
        spec.align = s[0];
        k = 1;
      }
      if (k < s.size() && s[k] == '+') {
        spec.plus = true;
        ++k;
      }
      if (k < s.size() && s[k] == '0') {
        spec.zero = true;
        ++k;
      }
      spec.width = read_number(s, k);
      if (k < s.size() && s[k] == '.') {
        ++k;
        spec.precision = read_number(s, k);
      }
      spec.type = k < s.size() ? s[k] : (value->is_float() && spec.precision >= 0 ? 'g' : 's');
    }
    out += pad(convert(*value, spec), spec);
  }
  return out;
}

}  // namespace rtstep::macro

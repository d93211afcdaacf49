// Python literal parser (literal.hpp): a small recursive-descent reader of Python's literal grammar,
// independent of the template lexer because Python's rules differ (True but not true, 5. is a float,
// triple-quoted strings, octal escapes, newlines inside brackets).

#include "macro/literal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include "macro/parser.hpp"

namespace rtstep::macro {

namespace {

struct LiteralError {
  size_t at;
  std::string message;
};

class LiteralParser {
 public:
  explicit LiteralParser(std::string_view text) : s_(text) {}

  Value run() {
    skip_blanks(false);
    if (i_ >= s_.size()) fail("empty value (write '' for an empty string, or None)");
    Value first = value(false);
    skip_blanks(false);
    if (i_ < s_.size() && s_[i_] == ',') {  // 1, 2 is a tuple, as in Python
      std::vector<Value> items{std::move(first)};
      while (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        skip_blanks(false);
        if (i_ >= s_.size()) break;
        items.push_back(value(false));
        skip_blanks(false);
      }
      first = Value::tuple(std::move(items));
    }
    if (i_ < s_.size()) fail("invalid syntax: unexpected '" + std::string(1, s_[i_]) + "'");
    return first;
  }

 private:
  [[noreturn]] void fail(std::string message) { throw LiteralError{i_, std::move(message)}; }

  // Blanks; newlines only inside brackets (Python's implicit line joining).
  void skip_blanks(bool in_brackets) {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\f' || (in_brackets && (c == '\n' || c == '\r'))) {
        ++i_;
      } else if (c == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
        i_ += 2;
      } else {
        return;
      }
    }
  }

  bool at_word(std::string_view word) const {
    if (s_.substr(i_, word.size()) != word) return false;
    const size_t end = i_ + word.size();
    return end >= s_.size() || !(std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_');
  }

  Value value(bool in_brackets);
  Value number(bool negative);
  Value string();
  Value sequence(char close, bool tuple);
  Value mapping();
  void string_body(char quote, bool triple, bool raw, std::string& out);

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
};

Value LiteralParser::value(bool in_brackets) {
  if (++depth_ > kMaxParseDepth) fail("nested deeper than " + std::to_string(kMaxParseDepth) + " levels");
  skip_blanks(in_brackets);
  if (i_ >= s_.size()) fail("invalid syntax: unexpected end of value");
  const char c = s_[i_];
  Value v;
  if (c == '[') {
    ++i_;
    v = sequence(']', false);
  } else if (c == '(') {
    ++i_;
    v = sequence(')', true);
  } else if (c == '{') {
    ++i_;
    v = mapping();
  } else if (c == '-' || c == '+') {
    ++i_;
    skip_blanks(in_brackets);
    if (i_ >= s_.size() || !(std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) {
      fail("malformed value: '" + std::string(1, c) + "' must be followed by a number");
    }
    v = number(c == '-');
  } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
    v = number(false);
  } else if (at_word("True") || at_word("False") || at_word("None")) {
    v = at_word("None") ? Value::none() : Value::boolean(at_word("True"));
    i_ += at_word("False") ? 5 : 4;
  } else if (c == '\'' || c == '"' || std::isalpha(static_cast<unsigned char>(c))) {
    v = string();
  } else {
    fail("invalid syntax: unexpected '" + std::string(1, c) + "'");
  }
  skip_blanks(in_brackets);
  if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-' || s_[i_] == '*' || s_[i_] == '/')) {
    fail("malformed value: arithmetic is not a literal");
  }
  if (i_ < s_.size() && (s_[i_] == 'j' || s_[i_] == 'J')) fail("complex numbers cannot be stored as JSON");
  --depth_;
  return v;
}

// Digits with single '_' between them.
std::string digits_of(std::string_view s, size_t& i, bool (*digit)(char)) {
  std::string out;
  while (i < s.size()) {
    if (digit(s[i])) {
      out += s[i++];
    } else if (s[i] == '_' && !out.empty() && i + 1 < s.size() && digit(s[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  return out;
}

bool dec(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool oct(char c) { return c >= '0' && c <= '7'; }
bool bin(char c) { return c == '0' || c == '1'; }

Value LiteralParser::number(bool negative) {
  const size_t start = i_;
  const char p = i_ + 1 < s_.size() ? static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_ + 1]))) : 0;
  std::string text = negative ? "-" : "";
  if (s_[i_] == '0' && (p == 'x' || p == 'o' || p == 'b')) {
    i_ += 2;
    const int base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
    text += digits_of(s_, i_, base == 16 ? hex : base == 8 ? oct : bin);
    int64_t v = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (text.empty() || text == "-" || res.ptr != text.data() + text.size()) fail("invalid number");
    if (res.ec != std::errc{}) fail("integer too large (the limit is 2^63 - 1)");
    return Value::integer(v);
  }
  const std::string whole = digits_of(s_, i_, dec);
  text += whole;
  bool is_float = false;
  if (i_ < s_.size() && s_[i_] == '.') {
    ++i_;
    text += '.' + digits_of(s_, i_, dec);
    is_float = true;
  }
  if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
    ++i_;
    text += 'e';
    if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) text += s_[i_++];
    const std::string exp = digits_of(s_, i_, dec);
    if (exp.empty()) fail("invalid number");
    text += exp;
    is_float = true;
  }
  if (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_') && s_[i_] != 'j' && s_[i_] != 'J') {
    fail("invalid number '" + std::string(s_.substr(start, i_ - start + 1)) + "'");
  }
  if (is_float) {
    std::string norm = text;
    if (norm.find('.') != std::string::npos && (norm.back() == '.' || norm[norm.find('.') + 1] == 'e')) {
      norm.insert(norm.find('.') + 1, "0");  // "5." and "5.e3" for from_chars
    }
    if (norm.starts_with(".") || norm.starts_with("-.")) norm.insert(norm.find('.'), "0");
    double v = 0;
    const auto res = std::from_chars(norm.data(), norm.data() + norm.size(), v);
    if (res.ec == std::errc::result_out_of_range) v = norm.find("e-") != std::string::npos ? 0.0 : (negative ? -HUGE_VAL : HUGE_VAL);
    return Value::real(v);
  }
  if (whole.size() > 1 && whole[0] == '0' && whole.find_first_not_of('0') != std::string::npos) {
    fail("leading zeros in a decimal integer are not allowed in Python (use 0o for octal)");
  }
  int64_t v = 0;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc{}) fail("integer too large (the limit is 2^63 - 1)");
  return Value::integer(v);
}

Value LiteralParser::string() {
  std::string out;
  bool any = false;
  for (;;) {
    skip_blanks(depth_ > 1);
    size_t k = i_;
    std::string prefix;
    while (k < s_.size() && k - i_ < 2 && std::string_view("rRuUbBfF").find(s_[k]) != std::string_view::npos) {
      prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(s_[k++])));
    }
    if (k >= s_.size() || (s_[k] != '\'' && s_[k] != '"')) {
      if (any) return Value::string(std::move(out));
      size_t end = i_;
      while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) ++end;
      fail("malformed value: the name '" + std::string(s_.substr(i_, end - i_)) +
           "' is not a literal (quote text: 'abc'; use True, False or None)");
    }
    if (prefix.find('b') != std::string::npos) fail("bytes cannot be stored as JSON");
    if (prefix.find('f') != std::string::npos) fail("an f-string is not a literal");
    const bool raw = prefix.find('r') != std::string::npos;
    i_ = k;
    const char quote = s_[i_];
    const bool triple = s_.substr(i_, 3) == std::string(3, quote);
    i_ += triple ? 3 : 1;
    string_body(quote, triple, raw, out);
    any = true;
  }
}

void LiteralParser::string_body(char quote, bool triple, bool raw, std::string& out) {
  const size_t start = i_;
  for (;;) {
    if (i_ >= s_.size()) {
      i_ = start - (triple ? 3 : 1);  // point at the opening quote
      fail("unterminated string");
    }
    const char c = s_[i_];
    if (c == quote && (!triple || s_.substr(i_, 3) == std::string(3, quote))) {
      i_ += triple ? 3 : 1;
      return;
    }
    if (c == '\n' && !triple) fail("unterminated string (a newline inside single quotes)");
    ++i_;
    if (c != '\\' || i_ >= s_.size()) {
      out += c;
      continue;
    }
    const char e = s_[i_++];
    if (raw) {
      out += '\\';
      out += e;
      continue;
    }
    switch (e) {
      case '\n': break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': case '\'': case '"': out += e; break;
      case 'x': case 'u': case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        const std::string_view h = s_.substr(i_, n);
        const auto res = std::from_chars(h.data(), h.data() + h.size(), cp, 16);
        if (h.size() != n || res.ptr != h.data() + h.size() || cp > 0x10FFFF) fail("bad \\" + std::string(1, e) + " escape");
        i_ += n;
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) { out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else { out += static_cast<char>(0xF0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        break;
      }
      default:
        if (oct(e)) {  // \o, \oo, \ooo
          int v = e - '0';
          for (int k = 0; k < 2 && i_ < s_.size() && oct(s_[i_]); ++k) v = v * 8 + (s_[i_++] - '0');
          out += static_cast<char>(v);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
}

Value LiteralParser::sequence(char close, bool tuple) {
  std::vector<Value> items;
  bool comma = false;
  for (;;) {
    skip_blanks(true);
    if (i_ < s_.size() && s_[i_] == close) break;
    items.push_back(value(true));
    skip_blanks(true);
    if (i_ < s_.size() && s_[i_] == ',') {
      ++i_;
      comma = true;
      continue;
    }
    if (i_ >= s_.size() || s_[i_] != close) fail(std::string("invalid syntax: expected ',' or '") + close + "'");
  }
  ++i_;
  if (tuple && items.size() == 1 && !comma) return std::move(items.front());  // (x) is x
  return tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

Value LiteralParser::mapping() {
  Value dict = Value::dict();
  for (;;) {
    skip_blanks(true);
    if (i_ < s_.size() && s_[i_] == '}') break;
    const size_t key_at = i_;
    Value key = value(true);
    skip_blanks(true);
    if (i_ >= s_.size() || s_[i_] != ':') {
      fail(i_ < s_.size() && (s_[i_] == ',' || s_[i_] == '}') ? "a set cannot be stored as JSON" : "invalid syntax: expected ':'");
    }
    if (key.is_list() || key.is_dict()) {
      i_ = key_at;
      fail("a dict key must be a string, number, True, False or None (JSON keys)");
    }
    ++i_;
    Value v = value(true);
    dict.dict_data().set(std::move(key), std::move(v));
    skip_blanks(true);
    if (i_ < s_.size() && s_[i_] == ',') {
      ++i_;
      continue;
    }
    if (i_ >= s_.size() || s_[i_] != '}') fail("invalid syntax: expected ',' or '}'");
  }
  ++i_;
  return dict;
}

}  // namespace

Result<Value> parse_literal(std::string_view text) {
  try {
    return LiteralParser(text).run();
  } catch (const LiteralError& e) {
    // Columns count from 1 on the line of the error, for values spread over several lines.
    const size_t line_start = text.rfind('\n', e.at == 0 ? 0 : e.at - 1);
    const size_t column = line_start == std::string_view::npos || e.at == 0 ? e.at + 1 : e.at - line_start;
    const size_t line = static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(std::min(e.at, text.size())), '\n')) + 1;
    std::string where = line > 1 ? " at line " + std::to_string(line) + " column " : " at column ";
    return Error{e.message + where + std::to_string(column)};
  }
}

}  // namespace rtstep::macro

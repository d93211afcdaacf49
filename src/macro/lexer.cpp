// Lexer of Klipper's template language (lexer.hpp): data text, tag delimiters with whitespace control,
// and the tokens of expressions (names, numbers, strings, operators).

#include "macro/lexer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace rtstep::macro {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Operators, longest first so that "**" is not read as two "*".
constexpr std::string_view kOperators[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
                                           "<",  ">",  "=",  "(",  ")",  "[", "]", "{", "}", ".", ",", ":", "|"};

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {
    if (src_.ends_with('\n')) src_.remove_suffix(1);
    if (src_.ends_with('\r')) src_.remove_suffix(1);
  }

  std::vector<Token> run() {
    while (i_ < src_.size()) {
      lex_data();
      if (i_ < src_.size()) lex_tag();
    }
    push(TokenKind::kEnd, i_);
    return std::move(tokens_);
  }

 private:
  SourcePos pos_at(size_t index) {
    // Positions are mostly asked for in increasing order, so one forward scan serves them; an error
    // about an earlier opening bracket or tag starts the scan again.
    if (index < scan_) {
      scan_ = 0;
      scan_pos_ = SourcePos{};
    }
    for (; scan_ < index && scan_ < src_.size(); ++scan_) {
      if (src_[scan_] == '\n') {
        ++scan_pos_.line;
        scan_pos_.column = 1;
      } else {
        ++scan_pos_.column;
      }
    }
    return scan_pos_;
  }

  [[noreturn]] void fail(size_t index, std::string message) { throw SyntaxError{pos_at(index), std::move(message)}; }

  Token& push(TokenKind kind, size_t start, std::string text = {}) {
    tokens_.push_back(Token{kind, pos_at(start), std::move(text), 0, 0});
    return tokens_.back();
  }

  // Text up to the next '{'; whitespace control of the tags on either side trims it.
  void lex_data() {
    const size_t start = i_;
    size_t end = src_.find('{', i_);
    if (end == std::string_view::npos) end = src_.size();
    i_ = end;
    size_t from = start;
    if (strip_next_) {
      while (from < end && is_space(src_[from])) ++from;
      strip_next_ = false;
    }
    size_t to = end;
    if (end + 1 < src_.size() && opens_with_strip(end)) {
      while (to > from && is_space(src_[to - 1])) --to;
    }
    if (to > from) push(TokenKind::kData, from, std::string(src_.substr(from, to - from)));
  }

  // True when the tag at `brace` starts with a '-' (after the '{', '{%' or '{#').
  bool opens_with_strip(size_t brace) const {
    size_t k = brace + 1;
    if (k < src_.size() && (src_[k] == '%' || src_[k] == '#')) ++k;
    return k < src_.size() && src_[k] == '-';
  }

  void lex_tag() {
    const size_t open = i_;
    const char second = i_ + 1 < src_.size() ? src_[i_ + 1] : '\0';
    if (second == '#') return lex_comment(open);
    const bool block = second == '%';
    i_ += block ? 2 : 1;
    if (i_ < src_.size() && (src_[i_] == '-' || src_[i_] == '+')) ++i_;
    push(block ? TokenKind::kBlockBegin : TokenKind::kVarBegin, open);
    lex_inside(open, block);
  }

  void lex_comment(size_t open) {
    const size_t close = src_.find("#}", open + 2);
    if (close == std::string_view::npos) fail(open, "unclosed comment: '{#' without '#}'");
    strip_next_ = close > open + 2 && src_[close - 1] == '-';
    i_ = close + 2;
  }

  // Tokens of an expression or statement until its closing delimiter at bracket depth zero.
  void lex_inside(size_t open, bool block) {
    std::vector<std::pair<char, size_t>> brackets;  // open brackets and where they are
    for (;;) {
      while (i_ < src_.size() && is_space(src_[i_])) ++i_;
      if (i_ >= src_.size()) {
        fail(open, block ? "unclosed '{%': expected '%}' before the end of the template"
                         : "unclosed '{': expected '}' before the end of the template");
      }
      if (brackets.empty() && close_tag(block)) return;
      const char c = src_[i_];
      if (is_name_start(c)) {
        lex_name();
      } else if (is_digit(c)) {
        lex_number();
      } else if (c == '\'' || c == '"') {
        lex_string();
      } else {
        lex_operator(brackets);
      }
    }
  }

  // Reads a closing delimiter at i_ if there is one: "}" / "-}" / "+}", or "%}" / "-%}" / "+%}".
  bool close_tag(bool block) {
    size_t k = i_;
    const bool strip = src_[k] == '-';
    if (src_[k] == '-' || src_[k] == '+') ++k;
    if (block) {
      if (src_.substr(k, 2) != "%}") return false;
      push(TokenKind::kBlockEnd, i_);
      i_ = k + 2;
    } else {
      if (k >= src_.size() || src_[k] != '}') return false;
      // "+}" is not a delimiter of Jinja's print tags; only "-}" is.
      if (k != i_ && !strip) return false;
      push(TokenKind::kVarEnd, i_);
      i_ = k + 1;
    }
    strip_next_ = strip;
    return true;
  }

  void lex_name() {
    const size_t start = i_;
    while (i_ < src_.size() && is_name_char(src_[i_])) ++i_;
    push(TokenKind::kName, start, std::string(src_.substr(start, i_ - start)));
  }

  void lex_number();
  void lex_string();
  void lex_operator(std::vector<std::pair<char, size_t>>& brackets);

  std::string_view src_;
  size_t i_ = 0;
  bool strip_next_ = false;  // the last tag ended with '-': trim the whitespace that follows it
  std::vector<Token> tokens_;
  size_t scan_ = 0;
  SourcePos scan_pos_;
};

// Digits with single '_' between them, as Jinja (and Python) accept: 1_000.
size_t skip_digits(std::string_view s, size_t i, std::string& out, bool (*digit)(char)) {
  while (i < s.size()) {
    if (digit(s[i])) {
      out += s[i++];
    } else if (s[i] == '_' && i + 1 < s.size() && digit(s[i + 1]) && !out.empty()) {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_oct(char c) { return c >= '0' && c <= '7'; }
bool is_bin(char c) { return c == '0' || c == '1'; }

void Lexer::lex_number() {
  const size_t start = i_;
  std::string digits;
  const char prefix = i_ + 1 < src_.size() ? static_cast<char>(std::tolower(static_cast<unsigned char>(src_[i_ + 1]))) : 0;
  if (src_[i_] == '0' && (prefix == 'x' || prefix == 'o' || prefix == 'b')) {
    const int base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
    i_ = skip_digits(src_, i_ + 2, digits, base == 16 ? is_hex : base == 8 ? is_oct : is_bin);
    int64_t value = 0;
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (digits.empty() || res.ec != std::errc{}) fail(start, "bad number " + std::string(src_.substr(start, i_ - start)));
    push(TokenKind::kInt, start).int_value = value;
    return;
  }
  i_ = skip_digits(src_, i_, digits, is_digit);
  bool is_float = false;
  // A '.' makes a float only when digits follow it ("1.5"); "x.0" style attribute access stays an int.
  if (i_ + 1 < src_.size() && src_[i_] == '.' && is_digit(src_[i_ + 1])) {
    digits += '.';
    std::string frac;
    i_ = skip_digits(src_, i_ + 1, frac, is_digit);
    digits += frac;
    is_float = true;
  }
  if (i_ < src_.size() && (src_[i_] == 'e' || src_[i_] == 'E')) {
    size_t k = i_ + 1;
    std::string exp = "e";
    if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) exp += src_[k++];
    if (k < src_.size() && is_digit(src_[k])) {
      std::string exp_digits;
      i_ = skip_digits(src_, k, exp_digits, is_digit);
      digits += exp + exp_digits;
      is_float = true;
    }
  }
  if (is_float) {
    double value = 0;
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    // Out of range reads as Python reads it: 1e999 is inf, 1e-999 is 0.0.
    if (res.ec == std::errc::result_out_of_range) value = digits.find("e-") != std::string::npos ? 0.0 : HUGE_VAL;
    push(TokenKind::kFloat, start).float_value = value;
    return;
  }
  int64_t value = 0;
  const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (res.ec != std::errc{}) fail(start, "integer " + digits + " is too large (the limit is 2^63 - 1)");
  push(TokenKind::kInt, start).int_value = value;
}

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void Lexer::lex_string() {
  const size_t start = i_;
  const char quote = src_[i_++];
  std::string out;
  for (;;) {
    if (i_ >= src_.size()) fail(start, "unterminated string");
    const char c = src_[i_++];
    if (c == quote) break;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i_ >= src_.size()) fail(start, "unterminated string");
    const size_t escape = i_ - 1;
    const char e = src_[i_++];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case '\\': case '\'': case '"': out += e; break;
      case '\n': break;  // a backslash before a newline joins the lines
      case 'x': case 'u': case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        const std::string_view hex = src_.substr(i_, n);
        const auto res = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
        if (hex.size() != n || res.ptr != hex.data() + hex.size() || cp > 0x10FFFF) {
          fail(escape, std::string("bad escape \\") + e + " in string: expected " + std::to_string(n) + " hex digits");
        }
        append_utf8(out, cp);
        i_ += n;
        break;
      }
      default:  // Python keeps an unknown escape as written: "\d" is backslash, d
        out += '\\';
        out += e;
    }
  }
  push(TokenKind::kString, start, std::move(out));
}

void Lexer::lex_operator(std::vector<std::pair<char, size_t>>& brackets) {
  const size_t start = i_;
  for (const std::string_view op : kOperators) {
    if (src_.substr(i_, op.size()) != op) continue;
    i_ += op.size();
    const char c = op.front();
    if (op.size() == 1 && (c == '(' || c == '[' || c == '{')) brackets.emplace_back(c, start);
    if (op.size() == 1 && (c == ')' || c == ']' || c == '}')) {
      const char want = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (brackets.empty()) fail(start, std::string("unexpected '") + c + "'");
      if (brackets.back().first != want) {
        const SourcePos open = pos_at(brackets.back().second);
        fail(start, std::string("unexpected '") + c + "': '" + brackets.back().first + "' at " +
                        std::to_string(open.line) + ":" + std::to_string(open.column) + " is not closed");
      }
      brackets.pop_back();
    }
    push(TokenKind::kOperator, start, std::string(op));
    return;
  }
  fail(start, std::string("unexpected character '") + src_[i_] + "'");
}

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kData:
      return "text";
    case TokenKind::kVarBegin:
      return "'{'";
    case TokenKind::kVarEnd:
      return "'}'";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "'%}'";
    case TokenKind::kName:
      return "'" + token.text + "'";
    case TokenKind::kInt:
      return "integer " + std::to_string(token.int_value);
    case TokenKind::kFloat:
      return "number";
    case TokenKind::kString:
      return "string";
    case TokenKind::kOperator:
      return "'" + token.text + "'";
    case TokenKind::kEnd:
      return "end of template";
  }
  return "token";
}

}  // namespace rtstep::macro

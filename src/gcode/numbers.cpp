// Number tokens and their conversion (see numbers.hpp for the accepted forms).

#include "gcode/numbers.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

#include "gcode/context.hpp"

namespace rtstep::gcode::detail {
namespace {

constexpr bool is_number_char(char c) noexcept { return is_digit(c) || c == '.' || c == '+' || c == '-'; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_upper(a[i]) != b[i]) {
      return false;
    }
  }
  return true;
}

// What a program printing a NaN or an infinity with printf writes.
bool is_nan_or_inf_word(std::string_view word) noexcept {
  return iequals(word, "NAN") || iequals(word, "INF") || iequals(word, "INFINITY");
}

NumberStatus convert(const char* first, const char* last, double& value, std::chars_format format) {
  const auto [ptr, ec] = std::from_chars(first, last, value, format);
  if (ec == std::errc::result_out_of_range) {
    return NumberStatus::kOutOfRange;
  }
  if (ec != std::errc() || ptr != last || !std::isfinite(value)) {
    return NumberStatus::kMalformed;
  }
  return NumberStatus::kOk;
}

}  // namespace

std::string_view scan_number_token(std::string_view code, std::size_t pos) {
  std::size_t end = pos;
  while (end < code.size() && is_number_char(code[end])) {
    ++end;
  }
  std::size_t word_end = end;
  while (word_end < code.size() && is_alpha(code[word_end])) {
    ++word_end;
  }
  if (is_nan_or_inf_word(code.substr(end, word_end - end))) {
    end = word_end;
  }
  return code.substr(pos, end - pos);
}

NumberStatus parse_word_number(std::string_view token, double& value) {
  // Check the shape first: from_chars alone would accept "nan", "inf" and exponents.
  if (token.empty()) {
    return NumberStatus::kMalformed;
  }
  std::size_t i = 0;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
    ++i;
  }
  const std::size_t first = token[0] == '+' ? 1 : 0;  // from_chars takes '-' but not '+'
  std::size_t digits = 0;
  while (i < token.size() && is_digit(token[i])) {
    ++i;
    ++digits;
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    while (i < token.size() && is_digit(token[i])) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0 || i != token.size()) {
    return NumberStatus::kMalformed;
  }
  return convert(token.data() + first, token.data() + token.size(), value, std::chars_format::fixed);
}

NumberStatus parse_unsigned(std::string_view token, uint32_t& value) {
  if (token.empty() || !is_digit(token[0])) {
    return NumberStatus::kMalformed;
  }
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return NumberStatus::kOutOfRange;
  }
  if (ec != std::errc() || ptr != token.data() + token.size()) {
    return NumberStatus::kMalformed;
  }
  return NumberStatus::kOk;
}

NumberStatus parse_value_number(std::string_view text, double& value) {
  if (text.empty()) {
    return NumberStatus::kMalformed;
  }
  std::size_t first = 0;
  if (text[0] == '+') {
    first = 1;
    // "+-1" and "++1" would otherwise slip through once the '+' is dropped.
    if (text.size() == 1 || text[1] == '-' || text[1] == '+') {
      return NumberStatus::kMalformed;
    }
  }
  return convert(text.data() + first, text.data() + text.size(), value, std::chars_format::general);
}

}  // namespace rtstep::gcode::detail

#pragma once
// Private to gcode: what every parsing step needs to report an error, and small character helpers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gcode/gcode.hpp"

namespace rtstep::gcode::detail {

// The line being parsed and where its error goes. Parsing steps return `ctx.fail(...)` so that the
// first problem found, left to right, is the one reported.
struct ParseContext {
  std::string_view line;
  uint32_t line_number;
  std::string_view source_name;
  ParseError& error;

  // Records an error at 0-based byte offset `pos` of the line; always returns false.
  bool fail(std::size_t pos, std::string message) const;
};

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
constexpr bool is_name_char(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_'; }
constexpr char to_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Bytes that mean the input is not text: controls other than tab and CR, and DEL.
constexpr bool is_control(unsigned char c) noexcept { return (c < 0x20 && c != '\t' && c != '\r') || c == 0x7F; }

// "unexpected byte 0x00" for non-text bytes, "unexpected character '#'" for printable ones.
std::string unexpected_char_message(char c);

// `"text"`, shortened with "..." when long, for quoting user input in messages.
std::string quoted(std::string_view text);

}  // namespace rtstep::gcode::detail

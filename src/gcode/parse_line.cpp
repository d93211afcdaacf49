// parse_line: one line of text to one Command. The steps, in order: the line layout (bytes, comments,
// checksum), an optional `N` line number, then either a word command (G1 X1) or an extended command
// (SET_VELOCITY_LIMIT ACCEL=1) by Klipper's rule: a line whose first word is a single letter followed
// by a number is a word command; anything else that starts with a letter is an extended command.

#include "gcode/context.hpp"
#include "gcode/gcode.hpp"
#include "gcode/line_layout.hpp"
#include "gcode/numbers.hpp"
#include "gcode/parsers.hpp"

namespace rtstep::gcode {
namespace {

void reset(Command& out, uint32_t line_number) {
  out.kind = CommandKind::kEmpty;
  out.number = 0;
  out.line = line_number;
  out.name = {};
  out.first_ignored = false;
  out.present = 0;
  out.bare = 0;
  out.values.fill(0.0);
  out.params = {};
}

// A second letter (or '_') right after the first means a name such as SET_VELOCITY_LIMIT, not a word.
bool starts_extended(std::string_view code, std::size_t pos) {
  return pos + 1 < code.size() && (detail::is_alpha(code[pos + 1]) || code[pos + 1] == '_');
}

// Skips a leading `N123`. Its value is not used: it only matters to the checksum, already verified.
bool skip_line_number(const detail::ParseContext& ctx, std::string_view code, std::size_t& pos) {
  if (pos == code.size() || detail::to_upper(code[pos]) != 'N' || starts_extended(code, pos)) {
    return true;
  }
  const std::size_t letter_pos = pos;
  std::size_t number_pos = pos + 1;
  while (number_pos < code.size() && detail::is_blank(code[number_pos])) {
    ++number_pos;
  }
  const std::string_view token = detail::scan_number_token(code, number_pos);
  if (token.empty()) {
    return ctx.fail(letter_pos, "missing number for N");
  }
  uint32_t ignored = 0;
  if (detail::parse_unsigned(token, ignored) != detail::NumberStatus::kOk) {
    return ctx.fail(number_pos, "bad line number " + detail::quoted(token));
  }
  pos = number_pos + token.size();
  return detail::skip_blanks(ctx, code, pos);
}

bool parse_code(const detail::ParseContext& ctx, LineScratch& scratch, Command& out) {
  std::size_t code_end = 0;
  if (!detail::scan_line_layout(ctx, code_end)) {
    return false;
  }
  const std::string_view code = ctx.line.substr(0, code_end);
  std::size_t pos = 0;
  if (!detail::skip_blanks(ctx, code, pos) || !skip_line_number(ctx, code, pos)) {
    return false;
  }
  if (pos == code.size()) {
    return true;  // blank, comment only, or a bare line number
  }
  if (!detail::is_alpha(code[pos])) {
    return ctx.fail(pos, detail::unexpected_char_message(code[pos]));
  }
  if (starts_extended(code, pos)) {
    return detail::parse_extended_command(ctx, code, pos, scratch, out);
  }
  return detail::parse_word_command(ctx, code, pos, scratch, out);
}

}  // namespace

bool parse_line(std::string_view line, uint32_t line_number, std::string_view source_name, LineScratch& scratch,
                Command& out, ParseError& error) {
  reset(out, line_number);
  const detail::ParseContext ctx{line, line_number, source_name, error};
  if (!parse_code(ctx, scratch, out)) {
    reset(out, line_number);  // a rejected line yields no command
    return false;
  }
  return true;
}

}  // namespace rtstep::gcode

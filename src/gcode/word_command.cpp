// G, M and T lines: the command word, then its parameter words, each checked against the command's
// table row (commands.cpp) as it is read, then the checks that need the whole line.

#include <array>
#include <charconv>
#include <string>

#include "gcode/commands.hpp"
#include "gcode/numbers.hpp"
#include "gcode/parsers.hpp"

namespace rtstep::gcode::detail {
namespace {

std::size_t skip_spaces(std::string_view code, std::size_t pos) {
  while (pos < code.size() && is_blank(code[pos])) {
    ++pos;
  }
  return pos;
}

std::string letter_name(char letter) { return std::string(1, letter); }

// Reads the command word at `pos` (a letter, known to be alphabetic). On success `letter` is upper
// case, `number` is set and `pos` is past the number.
bool read_command_word(const ParseContext& ctx, std::string_view code, std::size_t& pos, char& letter,
                       uint32_t& number) {
  const std::size_t letter_pos = pos;
  letter = to_upper(code[pos]);
  if (letter != 'G' && letter != 'M' && letter != 'T') {
    return ctx.fail(letter_pos, "missing command before parameter " + letter_name(letter));
  }
  const std::size_t number_pos = skip_spaces(code, pos + 1);
  const std::string_view token = scan_number_token(code, number_pos);
  if (token.empty()) {
    return ctx.fail(letter_pos, "missing number for " + letter_name(letter));
  }
  if (parse_unsigned(token, number) != NumberStatus::kOk) {
    return ctx.fail(number_pos,
                    "bad command number " + quoted(token) + " for " + letter_name(letter) + " (must be an integer)");
  }
  pos = number_pos + token.size();
  return true;
}

// A command rtstep does not know: its name, and nothing else of the line is read (M117 takes free text).
void set_ignored(char letter, uint32_t number, LineScratch& scratch, Command& out) {
  std::array<char, 16> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), number);
  scratch.name.assign(1, letter);
  scratch.name.append(digits.data(), result.ptr);
  out.kind = CommandKind::kIgnored;
  out.number = static_cast<int32_t>(number);
  out.name = scratch.name;
}

// Reads one parameter word at `pos` (an alphabetic character) into `out`, applying the spec's rules.
bool read_parameter(const ParseContext& ctx, std::string_view code, std::size_t& pos, const WordCommandSpec& spec,
                    Command& out) {
  const std::size_t letter_pos = pos;
  const char letter = to_upper(code[pos]);
  const uint32_t bit = letter_bit(letter);
  const std::size_t number_pos = skip_spaces(code, pos + 1);
  const std::string_view token = scan_number_token(code, number_pos);
  pos = number_pos + token.size();

  if (letter == 'G' || letter == 'M') {
    return ctx.fail(letter_pos, "only one command per line: found " + letter_name(letter) + std::string(token) +
                                    " after " + std::string(spec.name));
  }
  if (spec.strict && (spec.uses & bit) == 0) {
    return ctx.fail(letter_pos, "unexpected parameter " + letter_name(letter) + " for " + std::string(spec.name));
  }
  if ((out.present & bit) != 0) {
    return ctx.fail(letter_pos, "duplicate parameter " + letter_name(letter));
  }
  out.present |= bit;
  if (token.empty()) {
    // Extras that a command ignores may be bare; its own parameters only where the spec says so.
    if ((spec.uses & bit) != 0 && (spec.bare_ok & bit) == 0) {
      return ctx.fail(letter_pos, "missing number for " + letter_name(letter));
    }
    out.bare |= bit;
    return true;
  }
  double value = 0.0;
  const NumberStatus status = parse_word_number(token, value);
  if (status != NumberStatus::kOk) {
    return ctx.fail(number_pos, "bad number " + quoted(token) + " for " + letter_name(letter) +
                                    (status == NumberStatus::kOutOfRange ? " (out of range)" : ""));
  }
  std::string_view requirement;
  if (!in_range(spec.ranges[static_cast<std::size_t>(letter - 'A')], value, requirement)) {
    return ctx.fail(number_pos, letter_name(letter) + " must be " + std::string(requirement) + " for " +
                                    std::string(spec.name) + " (got " + std::string(token) + ")");
  }
  out.values[static_cast<std::size_t>(letter - 'A')] = value;
  return true;
}

// Rules that involve several parameters; errors point at the command word.
bool check_whole(const ParseContext& ctx, std::size_t command_pos, const WordCommandSpec& spec, const Command& out) {
  const std::string name(spec.name);
  switch (spec.check) {
    case WholeCheck::kNone:
      return true;
    case WholeCheck::kArc: {
      const bool centre = out.has('I') || out.has('J');
      const bool radius = out.has('R');
      if (!centre && !radius) {
        return ctx.fail(command_pos, name + " needs I/J (centre offset) or R (radius)");
      }
      if (centre && radius) {
        return ctx.fail(command_pos, name + " takes I/J or R, not both");
      }
      if (radius && !out.has('X') && !out.has('Y')) {
        return ctx.fail(command_pos, name + " with R needs X or Y (a full circle has no unique centre)");
      }
      if (radius && out.get('R') == 0.0) {
        return ctx.fail(command_pos, "R must not be 0 for " + name);
      }
      return true;
    }
    case WholeCheck::kDwell:
      if (out.has('P') && out.has('S')) {
        return ctx.fail(command_pos, name + " takes P (ms) or S (s), not both");
      }
      return true;
    case WholeCheck::kAccelLimits:
      if (!out.has('S') && !out.has('P') && !out.has('T')) {
        return ctx.fail(command_pos, name + " needs S, P or T");
      }
      return true;
  }
  return true;
}

}  // namespace

bool skip_blanks(const ParseContext& ctx, std::string_view code, std::size_t& pos) {
  while (pos < code.size()) {
    const char c = code[pos];
    if (is_blank(c)) {
      ++pos;
    } else if (c == '(') {
      const std::size_t close = code.find(')', pos + 1);
      if (close == std::string_view::npos) {
        return ctx.fail(pos, "comment \"(\" is not closed on this line");
      }
      pos = close + 1;
    } else {
      break;
    }
  }
  return true;
}

bool parse_word_command(const ParseContext& ctx, std::string_view code, std::size_t pos, LineScratch& scratch,
                        Command& out) {
  const std::size_t command_pos = pos;
  char letter = 0;
  uint32_t number = 0;
  if (!read_command_word(ctx, code, pos, letter, number)) {
    return false;
  }
  const WordCommandSpec* spec = find_word_command(letter, number);
  if (spec == nullptr) {
    set_ignored(letter, number, scratch, out);
    return true;
  }
  if (!spec->unsupported.empty()) {
    return ctx.fail(command_pos, std::string(spec->unsupported));
  }
  out.kind = spec->kind;
  out.number = spec->number;
  out.name = spec->name;
  for (;;) {
    if (!skip_blanks(ctx, code, pos)) {
      return false;
    }
    if (pos == code.size()) {
      break;
    }
    if (!is_alpha(code[pos])) {
      return ctx.fail(pos, unexpected_char_message(code[pos]));
    }
    if (!read_parameter(ctx, code, pos, *spec, out)) {
      return false;
    }
  }
  return check_whole(ctx, command_pos, *spec, out);
}

}  // namespace rtstep::gcode::detail

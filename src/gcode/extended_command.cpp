// Klipper-style extended commands: `NAME KEY=VALUE ...`. The name and keys are upper-cased; a value
// is a run of non-blank bytes or a quoted string. Only commands rtstep knows have their parameters
// read (and every value checked); other names come back as ignored with the rest of the line unread,
// since macros like PRINT_START take whatever their author chose.

#include <algorithm>
#include <string>

#include "gcode/commands.hpp"
#include "gcode/numbers.hpp"
#include "gcode/parsers.hpp"

namespace rtstep::gcode::detail {
namespace {

void upper_in_place(std::string& text) {
  std::transform(text.begin(), text.end(), text.begin(), [](char c) { return to_upper(c); });
}

// Reads the value after `=` at `pos`: quoted ('...' or "...") or up to the next blank.
bool read_value(const ParseContext& ctx, std::string_view code, std::size_t& pos, std::string_view& value) {
  if (pos < code.size() && (code[pos] == '"' || code[pos] == '\'')) {
    const std::size_t close = code.find(code[pos], pos + 1);
    if (close == std::string_view::npos) {
      return ctx.fail(pos, "unterminated quote");
    }
    value = code.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    if (pos < code.size() && !is_blank(code[pos])) {
      return ctx.fail(pos, unexpected_char_message(code[pos]));
    }
    return true;
  }
  const std::size_t start = pos;
  while (pos < code.size() && !is_blank(code[pos])) {
    ++pos;
  }
  value = code.substr(start, pos - start);
  return true;
}

// Checks one KEY=VALUE against the command's spec. `key_pos` and `value_pos` locate errors.
bool check_param(const ParseContext& ctx, const ExtendedCommandSpec& spec, std::span<const ExtendedParam> earlier,
                 const ExtendedParam& param, std::size_t key_pos, std::size_t value_pos) {
  const std::string key(param.key);
  const ExtendedParamSpec* param_spec = find_extended_param(spec, param.key);
  if (param_spec == nullptr) {
    return ctx.fail(key_pos, "unexpected parameter " + key + " for " + std::string(spec.name));
  }
  for (const ExtendedParam& other : earlier) {
    if (other.key == param.key) {
      return ctx.fail(key_pos, "duplicate parameter " + key);
    }
  }
  if (param.value.empty()) {
    return ctx.fail(value_pos, "missing value for " + key);
  }
  double number = 0.0;
  const NumberStatus status = parse_value_number(param.value, number);
  if (status != NumberStatus::kOk) {
    return ctx.fail(value_pos, "bad number " + quoted(param.value) + " for " + key +
                                   (status == NumberStatus::kOutOfRange ? " (out of range)" : ""));
  }
  std::string_view requirement;
  if (!in_range(param_spec->range, number, requirement)) {
    return ctx.fail(value_pos, key + " must be " + std::string(requirement) + " for " + std::string(spec.name) +
                                   " (got " + std::string(param.value) + ")");
  }
  return true;
}

// Reads every KEY=VALUE of a known command into scratch.params. Keys view scratch.upper, which holds
// an upper-cased copy of `code` at the same offsets.
bool read_params(const ParseContext& ctx, std::string_view code, std::size_t pos, const ExtendedCommandSpec& spec,
                 LineScratch& scratch) {
  scratch.upper.assign(code);
  upper_in_place(scratch.upper);
  const std::string_view upper = scratch.upper;
  scratch.params.clear();
  for (;;) {
    if (!skip_blanks(ctx, code, pos)) {
      return false;
    }
    if (pos == code.size()) {
      return true;
    }
    const std::size_t key_pos = pos;
    while (pos < code.size() && is_name_char(code[pos])) {
      ++pos;
    }
    if (pos == key_pos) {
      return ctx.fail(pos, unexpected_char_message(code[pos]));
    }
    if (pos == code.size() || code[pos] != '=') {
      std::size_t word_end = pos;
      while (word_end < code.size() && !is_blank(code[word_end])) {
        ++word_end;
      }
      return ctx.fail(key_pos, "malformed parameter " + quoted(code.substr(key_pos, word_end - key_pos)) +
                                   " (expected KEY=VALUE)");
    }
    ExtendedParam param{upper.substr(key_pos, pos - key_pos), {}};
    const std::size_t value_pos = ++pos;
    if (!read_value(ctx, code, pos, param.value) ||
        !check_param(ctx, spec, scratch.params, param, key_pos, value_pos)) {
      return false;
    }
    scratch.params.push_back(param);
  }
}

// Two parameters that say the same thing two ways (ACCEL_TO_DECEL, MINIMUM_CRUISE_RATIO) must not both
// be given: which one wins would be a guess.
bool check_exclusive(const ParseContext& ctx, const ExtendedCommandSpec& spec, const LineScratch& scratch,
                     const Command& out) {
  if (spec.exclusive_a.empty() || out.param(spec.exclusive_a).empty() || out.param(spec.exclusive_b).empty()) {
    return true;
  }
  std::size_t second = 0;  // the error points at whichever of the two came last
  for (const ExtendedParam& p : out.params) {
    if (p.key == spec.exclusive_a || p.key == spec.exclusive_b) {
      second = static_cast<std::size_t>(p.key.data() - scratch.upper.data());
    }
  }
  return ctx.fail(second,
                  "give " + std::string(spec.exclusive_a) + " or " + std::string(spec.exclusive_b) + ", not both");
}

}  // namespace

bool parse_extended_command(const ParseContext& ctx, std::string_view code, std::size_t pos, LineScratch& scratch,
                            Command& out) {
  const std::size_t name_pos = pos;
  while (pos < code.size() && is_name_char(code[pos])) {
    ++pos;
  }
  if (pos < code.size() && !is_blank(code[pos]) && code[pos] != '(') {
    return ctx.fail(pos, unexpected_char_message(code[pos]) + " in command name");
  }
  scratch.name.assign(code.substr(name_pos, pos - name_pos));
  upper_in_place(scratch.name);
  out.name = scratch.name;
  const ExtendedCommandSpec* spec = find_extended_command(out.name);
  if (spec == nullptr) {
    out.kind = CommandKind::kIgnored;
    return true;
  }
  if (!read_params(ctx, code, pos, *spec, scratch)) {
    return false;
  }
  out.params = scratch.params;
  if (!check_exclusive(ctx, *spec, scratch, out)) {
    return false;
  }
  out.kind = CommandKind::kExtended;
  return true;
}

}  // namespace rtstep::gcode::detail

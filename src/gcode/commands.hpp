#pragma once
// Private to gcode: the commands rtstep knows and the rules for their parameters. Adding a command
// is adding one table row in commands.cpp (and a line in docs/gcode.md).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "gcode/gcode.hpp"

namespace rtstep::gcode::detail {

// Allowed range of a parameter's value.
enum class Range : uint8_t {
  kAny,
  kPositive,     // > 0: feed rates, accelerations, percentages
  kNonNegative,  // >= 0: temperatures, times
  kFanSpeed,     // 0..255 (M106 S)
  kRatio,        // >= 0 and < 1 (MINIMUM_CRUISE_RATIO)
};

// Checks on the line as a whole, after every parameter was read.
enum class WholeCheck : uint8_t { kNone, kArc, kDwell, kAccelLimits };

// A G or M command rtstep knows.
struct WordCommandSpec {
  CommandKind kind = CommandKind::kG;
  int32_t number = 0;
  std::string_view name;
  uint32_t uses = 0;     // bit (letter - 'A') for each parameter the command reads
  uint32_t bare_ok = 0;  // parameters that may be given without a number (`G28 X`)
  // Motion commands reject letters outside `uses`: a misspelt axis must not be guessed at. Others
  // accept and ignore them, because slicers add vendor extras (`M204 P1000 R1000 T1000`).
  bool strict = false;
  WholeCheck check = WholeCheck::kNone;
  std::string_view unsupported;  // non-empty: the command is refused with this message
  std::array<Range, 26> ranges{};
};

// The spec for G<number> / M<number>, or nullptr when rtstep does not know the command.
const WordCommandSpec* find_word_command(char letter, uint32_t number) noexcept;

struct ExtendedParamSpec {
  std::string_view key;
  Range range = Range::kAny;
};

// A Klipper-style extended command rtstep knows. Its parameters are all numeric.
struct ExtendedCommandSpec {
  std::string_view name;
  std::span<const ExtendedParamSpec> params;
  // Two parameters that may not be given together (empty: none).
  std::string_view exclusive_a;
  std::string_view exclusive_b;
};

// The spec for an upper-cased extended command name, or nullptr.
const ExtendedCommandSpec* find_extended_command(std::string_view name) noexcept;

// The spec of one parameter of `command`, or nullptr when the command does not take `key`.
const ExtendedParamSpec* find_extended_param(const ExtendedCommandSpec& command, std::string_view key) noexcept;

constexpr uint32_t letter_bit(char letter) noexcept { return 1U << static_cast<unsigned>(letter - 'A'); }

// Whether `value` is within `range`; when not, `requirement` says what was required ("> 0").
bool in_range(Range range, double value, std::string_view& requirement) noexcept;

}  // namespace rtstep::gcode::detail

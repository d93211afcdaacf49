// The table of known commands (see commands.hpp) and look-ups into it.

#include "gcode/commands.hpp"

namespace rtstep::gcode::detail {
namespace {

constexpr uint32_t letters(std::string_view set) {
  uint32_t mask = 0;
  for (char c : set) {
    mask |= letter_bit(c);
  }
  return mask;
}

// Builders so that each table row reads as one sentence.
constexpr WordCommandSpec command(CommandKind kind, int32_t number, std::string_view name, std::string_view uses) {
  WordCommandSpec spec;
  spec.kind = kind;
  spec.number = number;
  spec.name = name;
  spec.uses = letters(uses);
  return spec;
}
constexpr WordCommandSpec strict(WordCommandSpec spec) {
  spec.strict = true;
  return spec;
}
constexpr WordCommandSpec bare(WordCommandSpec spec, std::string_view set) {
  spec.bare_ok = letters(set);
  return spec;
}
constexpr WordCommandSpec range(WordCommandSpec spec, std::string_view set, Range r) {
  for (char c : set) {
    spec.ranges[static_cast<std::size_t>(c - 'A')] = r;
  }
  return spec;
}
constexpr WordCommandSpec check(WordCommandSpec spec, WholeCheck c) {
  spec.check = c;
  return spec;
}
constexpr WordCommandSpec refused(CommandKind kind, int32_t number, std::string_view name, std::string_view why) {
  WordCommandSpec spec = command(kind, number, name, "");
  spec.unsupported = why;
  return spec;
}

constexpr CommandKind kG = CommandKind::kG;
constexpr CommandKind kM = CommandKind::kM;

constexpr std::array kWordCommands = {
    // Motion: strict parameters.
    range(strict(command(kG, 0, "G0", "XYZEF")), "F", Range::kPositive),
    range(strict(command(kG, 1, "G1", "XYZEF")), "F", Range::kPositive),
    check(range(strict(command(kG, 2, "G2", "XYZEFIJR")), "F", Range::kPositive), WholeCheck::kArc),
    check(range(strict(command(kG, 3, "G3", "XYZEFIJR")), "F", Range::kPositive), WholeCheck::kArc),
    strict(command(kG, 92, "G92", "XYZE")),
    // Motion rtstep cannot do: refusing is safer than skipping a move.
    refused(kG, 5, "G5", "G5 (spline move) is not supported"),
    refused(kG, 6, "G6", "G6 (direct stepper move) is not supported"),
    refused(kG, 18, "G18", "G18 (XZ arc plane) is not supported: arcs are in the XY plane only"),
    refused(kG, 19, "G19", "G19 (YZ arc plane) is not supported: arcs are in the XY plane only"),
    // Other G commands.
    check(range(command(kG, 4, "G4", "PS"), "PS", Range::kNonNegative), WholeCheck::kDwell),
    command(kG, 20, "G20", ""),
    command(kG, 21, "G21", ""),
    bare(command(kG, 28, "G28", "XYZ"), "XYZ"),
    command(kG, 90, "G90", ""),
    command(kG, 91, "G91", ""),
    // M commands.
    bare(command(kM, 17, "M17", "XYZE"), "XYZE"),
    range(bare(command(kM, 18, "M18", "XYZES"), "XYZE"), "S", Range::kNonNegative),
    range(bare(command(kM, 84, "M84", "XYZES"), "XYZE"), "S", Range::kNonNegative),
    command(kM, 82, "M82", ""),
    command(kM, 83, "M83", ""),
    range(command(kM, 104, "M104", "S"), "S", Range::kNonNegative),
    range(command(kM, 109, "M109", "SR"), "SR", Range::kNonNegative),
    range(command(kM, 140, "M140", "S"), "S", Range::kNonNegative),
    range(command(kM, 190, "M190", "SR"), "SR", Range::kNonNegative),
    range(command(kM, 106, "M106", "S"), "S", Range::kFanSpeed),
    command(kM, 107, "M107", ""),
    command(kM, 112, "M112", ""),
    command(kM, 114, "M114", ""),
    check(range(command(kM, 204, "M204", "SPT"), "SPT", Range::kPositive), WholeCheck::kAccelLimits),
    range(command(kM, 220, "M220", "S"), "S", Range::kPositive),
    range(command(kM, 221, "M221", "S"), "S", Range::kPositive),
    command(kM, 400, "M400", ""),
};

// Direct index from command number to table row, so the per-line look-up is two loads.
constexpr std::size_t kMaxG = 100;
constexpr std::size_t kMaxM = 401;
constexpr uint8_t kNone = 0xFF;
static_assert(kWordCommands.size() < kNone);

template <std::size_t N>
constexpr std::array<uint8_t, N> make_index(CommandKind kind) {
  std::array<uint8_t, N> index{};
  index.fill(kNone);
  for (std::size_t i = 0; i < kWordCommands.size(); ++i) {
    if (kWordCommands[i].kind == kind) {
      index[static_cast<std::size_t>(kWordCommands[i].number)] = static_cast<uint8_t>(i);
    }
  }
  return index;
}
constexpr std::array<uint8_t, kMaxG> kGIndex = make_index<kMaxG>(kG);
constexpr std::array<uint8_t, kMaxM> kMIndex = make_index<kMaxM>(kM);

constexpr std::array kVelocityLimitParams = {
    ExtendedParamSpec{"VELOCITY", Range::kPositive},
    ExtendedParamSpec{"ACCEL", Range::kPositive},
    ExtendedParamSpec{"SQUARE_CORNER_VELOCITY", Range::kNonNegative},
    ExtendedParamSpec{"MINIMUM_CRUISE_RATIO", Range::kRatio},
    ExtendedParamSpec{"ACCEL_TO_DECEL", Range::kPositive},  // older Klipper name, still in many configs
};

constexpr std::array kExtendedCommands = {
    ExtendedCommandSpec{"SET_VELOCITY_LIMIT", kVelocityLimitParams, "MINIMUM_CRUISE_RATIO", "ACCEL_TO_DECEL"},
    ExtendedCommandSpec{"GET_POSITION", {}, {}, {}},
};

}  // namespace

const WordCommandSpec* find_word_command(char letter, uint32_t number) noexcept {
  uint8_t row = kNone;
  if (letter == 'G' && number < kMaxG) {
    row = kGIndex[number];
  } else if (letter == 'M' && number < kMaxM) {
    row = kMIndex[number];
  }
  return row == kNone ? nullptr : &kWordCommands[row];
}

const ExtendedCommandSpec* find_extended_command(std::string_view name) noexcept {
  for (const ExtendedCommandSpec& spec : kExtendedCommands) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

const ExtendedParamSpec* find_extended_param(const ExtendedCommandSpec& command, std::string_view key) noexcept {
  for (const ExtendedParamSpec& spec : command.params) {
    if (spec.key == key) {
      return &spec;
    }
  }
  return nullptr;
}

bool in_range(Range r, double value, std::string_view& requirement) noexcept {
  switch (r) {
    case Range::kAny:
      return true;
    case Range::kPositive:
      requirement = "> 0";
      return value > 0.0;
    case Range::kNonNegative:
      requirement = ">= 0";
      return value >= 0.0;
    case Range::kFanSpeed:
      requirement = "in 0..255";
      return value >= 0.0 && value <= 255.0;
    case Range::kRatio:
      requirement = ">= 0 and < 1";
      return value >= 0.0 && value < 1.0;
  }
  return true;
}

}  // namespace rtstep::gcode::detail

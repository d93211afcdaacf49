// Toolhead: G-code modal state and limit checks; turns commands into timed moves for the MoveSink.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "motion/motion.hpp"

namespace rtstep::motion {
namespace {

using gcode::CommandKind;

constexpr double kMinMoveDistance = 1e-9;  // mm: below this a move changes no stepper

constexpr std::array<char, 4> kAxisLetters{'X', 'Y', 'Z', 'E'};

// Parses an extended command's numeric value; the parser has already validated the syntax.
bool parse_number(std::string_view text, double& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

}  // namespace

Toolhead::Toolhead(const config::MachineConfig& machine, Kinematics kinematics, MoveSink& sink,
                   std::string source_name)
    : machine_(machine),
      kinematics_(std::move(kinematics)),
      sink_(sink),
      source_name_(std::move(source_name)),
      enabled_(machine.steppers.size(), false),
      max_velocity_(machine.printer.max_velocity),
      max_accel_(machine.printer.max_accel),
      square_corner_velocity_(machine.printer.square_corner_velocity),
      minimum_cruise_ratio_(machine.printer.minimum_cruise_ratio) {
  position_ = gcode_position_ = initial_position(machine);
}

Coord initial_position(const config::MachineConfig& machine) noexcept {
  // The sim's virtual carriages rest on their endstops until told otherwise.
  Coord pos{};
  for (const auto& stepper : machine.steppers) {
    if (stepper.axis >= 'x' && stepper.axis <= 'z') pos[static_cast<std::size_t>(stepper.axis - 'x')] = stepper.position_endstop;
  }
  return pos;
}

Error Toolhead::error(uint32_t line, std::string message) const {
  return Error{fmt::format("{}:{}: {}", source_name_, line, message)};
}

Result<Ok> Toolhead::execute(const gcode::Command& cmd, std::string& reply) {
  reply.clear();
  switch (cmd.kind) {
    case CommandKind::kG:
      switch (cmd.number) {
        case 0: case 1: return linear_move(cmd);
        case 2: case 3: return error(cmd.line, fmt::format("G{} arcs are not supported yet", cmd.number));
        case 4: print_time_ += cmd.has('P') ? cmd.get('P') / 1000.0 : cmd.get_or('S', 0.0); return Ok{};
        case 20: unit_scale_ = 25.4; return Ok{};
        case 21: unit_scale_ = 1.0; return Ok{};
        case 28: return home(cmd);
        case 90: relative_ = false; return Ok{};
        case 91: relative_ = true; return Ok{};
        case 92: return set_position(cmd);
        default: break;
      }
      break;
    case CommandKind::kM:
      switch (cmd.number) {
        case 17: return enable_steppers(true, cmd);
        case 18: case 84: return enable_steppers(false, cmd);
        case 82: relative_e_ = false; return Ok{};
        case 83: relative_e_ = true; return Ok{};
        case 112: return error(cmd.line, "emergency stop (M112)");
        case 114: reply = position_report(); return Ok{};
        case 204: {
          // S sets both; otherwise the smaller of P (printing) and T (travel), as Klipper reads it.
          double accel = cmd.has('S') ? cmd.get('S') : std::min(cmd.get_or('P', HUGE_VAL), cmd.get_or('T', HUGE_VAL));
          if (std::isfinite(accel) && accel > 0) max_accel_ = accel;
          return Ok{};
        }
        case 220: speed_factor_ = cmd.get_or('S', 100.0) / 100.0; return Ok{};
        case 221: extrude_factor_ = cmd.get_or('S', 100.0) / 100.0; return Ok{};
        default: return Ok{};  // heaters, fans and M400 have no motion effect in this planner
      }
    case CommandKind::kExtended:
      if (cmd.name == "SET_VELOCITY_LIMIT") return set_velocity_limit(cmd);
      if (cmd.name == "GET_POSITION") { reply = position_report(); return Ok{}; }
      return Ok{};
    default:
      return Ok{};
  }
  return error(cmd.line, fmt::format("G{} is not handled by the toolhead", cmd.number));
}

Result<Ok> Toolhead::linear_move(const gcode::Command& cmd) {
  // Validate the whole command before changing any state.
  Coord gcode_target = gcode_position_;
  for (std::size_t a = 0; a < 4; ++a) {
    if (!cmd.has(kAxisLetters[a])) continue;
    const double value = cmd.get(kAxisLetters[a]) * (a == kE ? 1.0 : unit_scale_);
    const bool relative = a == kE ? (relative_ || relative_e_) : relative_;
    gcode_target[a] = relative ? gcode_position_[a] + value : value;
  }
  Coord target = position_;
  for (std::size_t a = 0; a < 3; ++a) target[a] = position_[a] + (gcode_target[a] - gcode_position_[a]);
  target[kE] = position_[kE] + (gcode_target[kE] - gcode_position_[kE]) * extrude_factor_;

  double feed_rate = feed_rate_;
  if (cmd.has('F')) feed_rate = cmd.get('F') * unit_scale_ / 60.0;

  if (auto checked = check_limits(target, cmd.line); !checked) return checked;
  const double dx = target[kX] - position_[kX], dy = target[kY] - position_[kY], dz = target[kZ] - position_[kZ];
  const double de = target[kE] - position_[kE];
  const double xyz = std::sqrt(dx * dx + dy * dy + dz * dz);
  const bool extrude_only = xyz < kMinMoveDistance;
  if (extrude_only && std::fabs(de) > machine_extrude_limit()) {
    return error(cmd.line, fmt::format("extrude only move too long ({:.3f} mm > max_extrude_only_distance {:.3f} mm)",
                                       std::fabs(de), machine_extrude_limit()));
  }

  feed_rate_ = feed_rate;
  gcode_position_ = gcode_target;
  if (extrude_only && std::fabs(de) < kMinMoveDistance) return Ok{};  // F only, or no change: nothing moves

  Move move;
  move.line = cmd.line;
  move.start = position_;
  move.end = target;
  move.distance = extrude_only ? std::fabs(de) : xyz;
  for (std::size_t a = 0; a < 4; ++a) move.axis_ratio[a] = (target[a] - position_[a]) / move.distance;
  double max_v = std::min(feed_rate * speed_factor_, max_velocity_);
  double accel = max_accel_;
  if (!extrude_only && std::fabs(dz) > kMinMoveDistance) {
    // Z is slow: cap the move so its Z component respects max_z_velocity and max_z_accel.
    const double z_ratio = xyz / std::fabs(dz);
    max_v = std::min(max_v, machine_.printer.max_z_velocity * z_ratio);
    accel = std::min(accel, machine_.printer.max_z_accel * z_ratio);
  }
  plan_trapezoid(move, max_v, accel);
  return emit(move);
}

Result<Ok> Toolhead::emit(Move& move) {
  move.start_time = print_time_;
  if (auto enabled = enable_moving_steppers(move); !enabled) return enabled;
  if (auto sent = sink_.on_move(move); !sent) return sent;
  position_ = move.end;
  print_time_ = move.end_time();
  ++moves_;
  return Ok{};
}

double Toolhead::machine_extrude_limit() const noexcept {
  for (const auto& stepper : machine_.steppers) {
    if (stepper.axis == 'e') return stepper.max_extrude_only_distance;
  }
  return 0;
}

Result<Ok> Toolhead::check_limits(const Coord& target, uint32_t line) const {
  for (std::size_t a = 0; a < 3; ++a) {
    if (std::fabs(target[a] - position_[a]) < kMinMoveDistance) continue;
    const char letter = kAxisLetters[a];
    if (!homed_[a]) return error(line, fmt::format("must home axis first: {}", letter));
    const config::StepperConfig* axis = axis_config(a);
    if (axis == nullptr) return error(line, fmt::format("no stepper drives axis {}", letter));
    if (target[a] < axis->position_min - 1e-9) {
      return error(line, fmt::format("move out of range: {}={:.3f} (min {:.3f})", letter, target[a], axis->position_min));
    }
    if (target[a] > axis->position_max + 1e-9) {
      return error(line, fmt::format("move out of range: {}={:.3f} (max {:.3f})", letter, target[a], axis->position_max));
    }
  }
  if (std::fabs(target[kE] - position_[kE]) >= kMinMoveDistance && axis_config(kE) == nullptr) {
    return error(line, "E move but no [extruder] is configured");
  }
  return Ok{};
}

const config::StepperConfig* Toolhead::axis_config(std::size_t axis) const noexcept {
  const char name = axis == kE ? 'e' : static_cast<char>('x' + axis);
  for (const auto& stepper : machine_.steppers) {
    if (stepper.axis == name) return &stepper;
  }
  return nullptr;
}

Result<Ok> Toolhead::home(const gcode::Command& cmd) {
  // Sim homing: the virtual endstop sits at position_endstop. A carriage already there is homed in place;
  // one that was moved away travels back to its endstop at homing_speed, producing real steps.
  const bool all = !(cmd.has('X') || cmd.has('Y') || cmd.has('Z'));
  for (std::size_t a = 0; a < 3; ++a) {
    if (!all && !cmd.has(kAxisLetters[a])) continue;
    // The config reader requires stepper_x, _y and _z, so every axis has one.
    const config::StepperConfig* axis = axis_config(a);
    if (axis == nullptr) return error(cmd.line, fmt::format("no stepper drives axis {}", kAxisLetters[a]));
    Coord target = position_;
    target[a] = axis->position_endstop;
    if (std::fabs(target[a] - position_[a]) >= kMinMoveDistance) {
      Move move;
      move.line = cmd.line;
      move.start = position_;
      move.end = target;
      move.distance = std::fabs(target[a] - position_[a]);
      move.axis_ratio[a] = (target[a] - position_[a]) / move.distance;
      plan_trapezoid(move, axis->homing_speed, max_accel_);
      if (auto sent = emit(move); !sent) return sent;
    }
    homed_[a] = true;
    gcode_position_[a] = position_[a];  // homing drops any G92 offset on the axis
  }
  return Ok{};
}

Result<Ok> Toolhead::set_position(const gcode::Command& cmd) {
  const bool any = cmd.has('X') || cmd.has('Y') || cmd.has('Z') || cmd.has('E');
  for (std::size_t a = 0; a < 4; ++a) {
    if (any && !cmd.has(kAxisLetters[a])) continue;
    gcode_position_[a] = any ? cmd.get(kAxisLetters[a]) * (a == kE ? 1.0 : unit_scale_) : 0.0;
  }
  return Ok{};
}

Result<Ok> Toolhead::set_velocity_limit(const gcode::Command& cmd) {
  struct Field { std::string_view key; double* target; double min; };
  const Field fields[] = {{"VELOCITY", &max_velocity_, 0},
                          {"ACCEL", &max_accel_, 0},
                          {"SQUARE_CORNER_VELOCITY", &square_corner_velocity_, -1},
                          {"MINIMUM_CRUISE_RATIO", &minimum_cruise_ratio_, -1}};
  double values[4];
  for (std::size_t i = 0; i < 4; ++i) {
    values[i] = *fields[i].target;
    const std::string_view text = cmd.param(fields[i].key);
    if (text.empty()) continue;
    if (!parse_number(text, values[i]) || values[i] <= fields[i].min) {
      return error(cmd.line, fmt::format("SET_VELOCITY_LIMIT: bad {} \"{}\"", fields[i].key, text));
    }
  }
  for (std::size_t i = 0; i < 4; ++i) *fields[i].target = values[i];
  return Ok{};
}

Result<Ok> Toolhead::enable_steppers(bool enabled, const gcode::Command&) {
  for (std::size_t i = 0; i < enabled_.size(); ++i) {
    if (enabled_[i] == enabled) continue;
    if (auto sent = sink_.on_enable(i, enabled, print_time_); !sent) return sent;
    enabled_[i] = enabled;
  }
  // Klipper forgets homing when motors are released: the carriage may have been moved by hand.
  if (!enabled) homed_ = {};
  return Ok{};
}

Result<Ok> Toolhead::enable_moving_steppers(const Move& move) {
  for (std::size_t i = 0; i < enabled_.size(); ++i) {
    if (enabled_[i]) continue;
    const Coord& row = kinematics_.row(i);
    const double travel = row[kX] * move.axis_ratio[kX] + row[kY] * move.axis_ratio[kY] +
                          row[kZ] * move.axis_ratio[kZ] + row[kE] * move.axis_ratio[kE];
    if (std::fabs(travel) == 0) continue;
    if (auto sent = sink_.on_enable(i, true, move.start_time); !sent) return sent;
    enabled_[i] = true;
  }
  return Ok{};
}

std::string Toolhead::position_report() const {
  std::string steppers;
  for (std::size_t i = 0; i < machine_.steppers.size(); ++i) {
    steppers += fmt::format("{}{}:{:.6f}", i ? " " : "", machine_.steppers[i].name,
                            kinematics_.stepper_position(i, position_));
  }
  return fmt::format("X:{:.3f} Y:{:.3f} Z:{:.3f} E:{:.3f}\nmachine: X:{:.6f} Y:{:.6f} Z:{:.6f} E:{:.6f}\nsteppers: {}",
                     gcode_position_[kX] / unit_scale_, gcode_position_[kY] / unit_scale_,
                     gcode_position_[kZ] / unit_scale_, gcode_position_[kE], position_[kX], position_[kY],
                     position_[kZ], position_[kE], steppers);
}

}  // namespace rtstep::motion

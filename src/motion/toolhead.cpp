// Toolhead: G-code modal state and limit checks; turns commands into moves for the look-ahead planner and
// sends the planned moves, timed, to the MoveSink. Arcs: arcs.cpp; homing: homing.cpp.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "motion/motion.hpp"
#include "motion/planner.hpp"
#include "motion/toolhead_util.hpp"

namespace rtstep::motion {
namespace {

using gcode::CommandKind;

// Parses an extended command's numeric value; the parser has already validated the syntax.
bool parse_number(std::string_view text, double& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

}  // namespace

// Klipper's max_extrude_cross_section rule for moves with X/Y travel: at most that cross-section of filament
// per mm of travel. It turns a slip such as E growing without a G92 E0, or `G1 X1e308` (X1 then E308), into
// an error instead of metres of filament pushed through the nozzle. Tiny amounts (up to the nozzle diameter
// times the ratio) pass, as in Klipper, since short segments round E coarsely. Returns "" when allowed.
std::string check_extrusion_rate(const config::MotionConfig& m, double dx, double dy, double dz, double de) {
  if (m.max_extrude_cross_section <= 0 || de <= 0 || (std::fabs(dx) < kMinMoveDistance && std::fabs(dy) < kMinMoveDistance)) {
    return "";
  }
  const double filament_area = std::numbers::pi * m.filament_diameter * m.filament_diameter / 4.0;
  const double max_ratio = m.max_extrude_cross_section / filament_area;  // E mm per mm of travel
  const double ratio = de / std::sqrt(dx * dx + dy * dy + dz * dz);
  if (ratio <= max_ratio || de <= m.nozzle_diameter * max_ratio) return "";
  return fmt::format("move extrudes too much: E {:.3f} mm over {:.3f} mm of travel is {:.3f} mm² of filament "
                     "per mm (max_extrude_cross_section {:.3f} mm²)", de, std::sqrt(dx * dx + dy * dy + dz * dz),
                     ratio * filament_area, m.max_extrude_cross_section);
}

// A move slower than its print could ever hold is refused before anything changes (emit() checks the sum).
Result<Ok> check_move_duration(double distance, double speed, double max_velocity, uint32_t line,
                               const std::string& source) {
  const double seconds = distance / std::min(speed, max_velocity);
  if (seconds <= kMaxPrintTime) return Ok{};
  return Error{fmt::format("{}:{}: move would take {:g} s (more than {:g} s): {:g} mm at {:g} mm/s (check F and M220)",
                           source, line, seconds, kMaxPrintTime, distance, std::min(speed, max_velocity))};
}

Toolhead::Toolhead(const config::MachineConfig& machine, Kinematics kinematics, MoveSink& sink,
                   std::string source_name, EndstopTripSource* endstops)
    : machine_(machine),
      kinematics_(std::move(kinematics)),
      sink_(sink),
      source_name_(std::move(source_name)),
      own_endstops_(endstops == nullptr ? std::make_unique<VirtualEndstops>(machine) : nullptr),
      endstops_(endstops == nullptr ? own_endstops_.get() : endstops),
      planner_(std::make_unique<LookAhead>(machine.motion.instant_corner_velocity)),
      enabled_(machine.steppers.size(), false),
      max_velocity_(machine.printer.max_velocity),
      max_accel_(machine.printer.max_accel),
      square_corner_velocity_(machine.printer.square_corner_velocity),
      minimum_cruise_ratio_(machine.printer.minimum_cruise_ratio) {
  position_ = gcode_position_ = initial_position(machine);
  update_junction_deviation();
}

Toolhead::~Toolhead() = default;

Error Toolhead::error(uint32_t line, std::string message) const {
  return Error{fmt::format("{}:{}: {}", source_name_, line, message)};
}

void Toolhead::update_junction_deviation() noexcept {
  // The deviation whose virtual circle gives square_corner_velocity at a 90 degree corner.
  const double scv = square_corner_velocity_;
  junction_deviation_ = scv * scv * (std::sqrt(2.0) - 1.0) / max_accel_;
}

Result<Ok> Toolhead::execute(const gcode::Command& cmd, std::string& reply) {
  reply.clear();
  switch (cmd.kind) {
    case CommandKind::kG:
      switch (cmd.number) {
        case 0: case 1: return linear_move(cmd);
        case 2: case 3: return arc_move(cmd);
        case 4: {
          const double seconds = cmd.has('P') ? cmd.get('P') / 1000.0 : cmd.get_or('S', 0.0);
          if (!(seconds <= kMaxPrintTime)) {
            return error(cmd.line, fmt::format("G4: dwell of {:g} s is longer than {:g} s", seconds, kMaxPrintTime));
          }
          return dwell(seconds);
        }
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
        case 204: return set_accel(cmd);
        case 220: speed_factor_ = cmd.get_or('S', 100.0) / 100.0; return Ok{};
        case 221: extrude_factor_ = cmd.get_or('S', 100.0) / 100.0; return Ok{};
        case 400: return dwell(0);
        default: return Ok{};  // heaters and fans have no motion effect
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

Result<Ok> Toolhead::finish() { return dwell(0); }

ToolheadState Toolhead::state() const {
  ToolheadState s;
  s.position = position_;
  s.gcode_position = gcode_position_;
  s.homed = homed_;
  s.any_enabled = std::find(enabled_.begin(), enabled_.end(), true) != enabled_.end();
  s.relative = relative_;
  s.relative_e = relative_e_;
  s.feed_rate = feed_rate_;
  s.speed_factor = speed_factor_;
  s.extrude_factor = extrude_factor_;
  s.max_velocity = max_velocity_;
  s.max_accel = max_accel_;
  s.square_corner_velocity = square_corner_velocity_;
  s.minimum_cruise_ratio = minimum_cruise_ratio_;
  s.print_time = print_time_;
  return s;
}

Result<Ok> Toolhead::dwell(double seconds) {
  // M400, G4 and the end of the file wait for the queue: everything planned to a stop and sent.
  if (auto flushed = flush_planner(); !flushed) return flushed;
  if (!(print_time_ + seconds <= kMaxPrintTime)) {
    return Error{fmt::format("{}: dwell of {:g} s would end the print after {:g} s (more than 31 years)",
                             source_name_, seconds, kMaxPrintTime)};
  }
  print_time_ += std::max(0.0, seconds);
  if (auto flushed = sink_.on_flush(print_time_); !flushed) return flushed;
  sink_.on_horizon(print_time_);  // the executor idles through the dwell instead of waiting for records
  return Ok{};
}

Coord Toolhead::gcode_target(const gcode::Command& cmd) const {
  Coord target = gcode_position_;
  for (std::size_t a = 0; a < 4; ++a) {
    if (!cmd.has(kAxisLetters[a])) continue;
    const double value = cmd.get(kAxisLetters[a]) * (a == kE ? 1.0 : unit_scale_);
    const bool relative = a == kE ? (relative_ || relative_e_) : relative_;
    target[a] = relative ? gcode_position_[a] + value : value;
  }
  return target;
}

Coord Toolhead::machine_target(const Coord& gcode_target) const {
  Coord target = position_;
  for (std::size_t a = 0; a < 3; ++a) target[a] = position_[a] + (gcode_target[a] - gcode_position_[a]);
  target[kE] = position_[kE] + (gcode_target[kE] - gcode_position_[kE]) * extrude_factor_;
  return target;
}

Result<Ok> Toolhead::linear_move(const gcode::Command& cmd) {
  // Validate the whole command before changing any state.
  const Coord gcode_to = gcode_target(cmd);
  const Coord target = machine_target(gcode_to);
  const double feed_rate = cmd.has('F') ? cmd.get('F') * unit_scale_ / 60.0 : feed_rate_;
  if (auto checked = check_limits(position_, target, cmd.line); !checked) return checked;
  if (auto checked = check_extrude_only(position_, target, cmd.line); !checked) return checked;
  const std::string too_much = check_extrusion_rate(machine_.motion, target[kX] - position_[kX],
                                                    target[kY] - position_[kY], target[kZ] - position_[kZ],
                                                    target[kE] - position_[kE]);
  if (!too_much.empty()) return error(cmd.line, too_much);
  const double dx = target[kX] - position_[kX], dy = target[kY] - position_[kY], dz = target[kZ] - position_[kZ];
  const double xyz = std::sqrt(dx * dx + dy * dy + dz * dz);
  const double distance = xyz < kMinMoveDistance ? std::fabs(target[kE] - position_[kE]) : xyz;
  if (auto checked = check_move_duration(distance, feed_rate * speed_factor_, max_velocity_, cmd.line, source_name_);
      !checked) {
    return checked;
  }
  feed_rate_ = feed_rate;
  gcode_position_ = gcode_to;
  return queue_move(target, feed_rate_ * speed_factor_, cmd.line);
}

Result<Ok> Toolhead::queue_move(const Coord& target, double speed, uint32_t line) {
  const double dx = target[kX] - position_[kX], dy = target[kY] - position_[kY], dz = target[kZ] - position_[kZ];
  const double de = target[kE] - position_[kE];
  const double xyz = std::sqrt(dx * dx + dy * dy + dz * dz);
  const bool extrude_only = xyz < kMinMoveDistance;
  if (extrude_only && std::fabs(de) < kMinMoveDistance) return Ok{};  // F only, or no change: nothing moves

  PlanMove plan;
  Move& move = plan.move;
  move.line = line;
  move.start = position_;
  move.end = target;
  move.distance = extrude_only ? std::fabs(de) : xyz;
  for (std::size_t a = 0; a < 4; ++a) move.axis_ratio[a] = (target[a] - position_[a]) / move.distance;
  plan.kinematic = !extrude_only;
  double max_v = std::min(speed, max_velocity_);
  double accel = max_accel_;
  if (extrude_only) {
    // Configs built in code may leave these 0: then the toolhead limits apply.
    const config::MotionConfig& m = machine_.motion;
    max_v = std::min(speed, m.max_extrude_only_velocity > 0 ? m.max_extrude_only_velocity : max_velocity_);
    accel = m.max_extrude_only_accel > 0 ? m.max_extrude_only_accel : max_accel_;
  } else {
    double kin_v = 0, kin_accel = 0;
    kinematics_.limits(move.axis_ratio, kin_v, kin_accel);
    max_v = std::min(max_v, kin_v);
    accel = std::min(accel, kin_accel);
    if (under_extruder_limits(position_, target)) {
      // A retraction during travel, or E with Z only: E may not exceed the extrude-only limits (as Klipper).
      const config::MotionConfig& m = machine_.motion;
      const double e_ratio = std::fabs(de) / move.distance;
      if (m.max_extrude_only_velocity > 0) max_v = std::min(max_v, m.max_extrude_only_velocity / e_ratio);
      if (m.max_extrude_only_accel > 0) accel = std::min(accel, m.max_extrude_only_accel / e_ratio);
    }
  }
  // As Klipper: the accel-to-decel bound comes from the toolhead's max_accel, and a move whose own
  // acceleration is lower (Z, extrude-only) keeps that acceleration rather than a fraction of it.
  plan.init(max_v, accel, std::min(max_accel_ * (1.0 - minimum_cruise_ratio_), accel), junction_deviation_);
  planner_->add(plan);
  position_ = target;
  return emit_ready(true);
}

Result<Ok> Toolhead::stop_short() {
  interrupted_.store(false, std::memory_order_relaxed);
  const std::vector<PlanMove> rest = planner_->stop_short();
  if (!rest.empty()) {
    const Coord stop = rest.front().move.start;
    for (std::size_t a = 0; a < 4; ++a) {
      const double back = position_[a] - stop[a];
      gcode_position_[a] -= a == kE ? back / extrude_factor_ : back;
    }
    position_ = stop;
    for (const PlanMove& m : rest) {
      DeferredMove kept;
      for (std::size_t a = 0; a < 4; ++a) kept.delta[a] = m.move.end[a] - m.move.start[a];
      kept.speed = std::sqrt(m.max_cruise_v2);
      kept.line = m.move.line;
      deferred_.push_back(kept);
    }
  }
  return flush_planner();
}

Result<Ok> Toolhead::resume_sending() {
  interrupted_.store(false, std::memory_order_relaxed);
  return emit_ready(true);
}

Result<Ok> Toolhead::replay_deferred() {
  std::vector<DeferredMove> moves;
  moves.swap(deferred_);
  for (const DeferredMove& m : moves) {
    Coord target = position_;
    for (std::size_t a = 0; a < 4; ++a) {
      target[a] += m.delta[a];
      gcode_position_[a] += a == kE ? m.delta[a] / extrude_factor_ : m.delta[a];
    }
    if (auto queued = queue_move(target, m.speed, m.line); !queued) return queued;
  }
  return Ok{};
}

Result<Ok> Toolhead::emit_ready(bool interruptible) {
  Move move;
  while (!(interruptible && interrupted()) && planner_->pop(move)) {
    if (auto sent = emit(move); !sent) return sent;
  }
  return Ok{};
}

Result<Ok> Toolhead::flush_planner() {
  planner_->flush();
  return emit_ready(false);
}

Result<Ok> Toolhead::emit(Move& move) {
  move.start_time = print_time_;
  if (!(move.end_time() <= kMaxPrintTime)) {
    return error(move.line, fmt::format("move would end {:g} s into the print (more than {:g} s): its speed is {:g} "
                                        "mm/s on average (check F and M220)", move.end_time(), kMaxPrintTime, move.distance / move.duration()));
  }
  if (auto enabled = enable_moving_steppers(move); !enabled) return enabled;
  if (auto sent = sink_.on_move(move); !sent) return sent;
  print_time_ = move.end_time();
  ++moves_;
  return Ok{};
}

double Toolhead::machine_extrude_limit() const noexcept {
  const config::StepperConfig* e = axis_config(kE);
  return e == nullptr ? 0 : e->max_extrude_only_distance;
}

Result<Ok> Toolhead::check_limits(const Coord& from, const Coord& target, uint32_t line) const {
  for (std::size_t a = 0; a < 4; ++a) {
    if (!std::isfinite(target[a])) return error(line, fmt::format("move to a non-finite {}", kAxisLetters[a]));
  }
  for (std::size_t a = 0; a < 3; ++a) {
    if (std::fabs(target[a] - from[a]) < kMinMoveDistance) continue;
    const char letter = kAxisLetters[a];
    if (!homed_[a]) return error(line, fmt::format("must home axis first: {}", letter));
    const config::StepperConfig* axis = axis_config(a);
    if (axis == nullptr) return error(line, fmt::format("no stepper drives axis {}", letter));
    if (target[a] < axis->position_min - kRangeSlack) {
      return error(line, fmt::format("move out of range: {}={:.3f} (min {:.3f})", letter, target[a], axis->position_min));
    }
    if (target[a] > axis->position_max + kRangeSlack) {
      return error(line, fmt::format("move out of range: {}={:.3f} (max {:.3f})", letter, target[a], axis->position_max));
    }
  }
  if (std::fabs(target[kE] - from[kE]) >= kMinMoveDistance && axis_config(kE) == nullptr) {
    return error(line, "E move but no [extruder] is configured");
  }
  return Ok{};
}

Result<Ok> Toolhead::check_extrude_only(const Coord& from, const Coord& target, uint32_t line) const {
  const double de = std::fabs(target[kE] - from[kE]);
  if (!under_extruder_limits(from, target) || de <= machine_extrude_limit()) return Ok{};
  return error(line, fmt::format("extrude only move too long ({:.3f} mm > max_extrude_only_distance {:.3f} mm)", de,
                                 machine_extrude_limit()));
}

// Klipper's rule for the moves the extruder's extrude-only limits (velocity, acceleration, distance) apply to:
// E moves without X/Y travel, and every retraction (E going back), with or without travel.
bool Toolhead::under_extruder_limits(const Coord& from, const Coord& target) noexcept {
  const double dx = target[kX] - from[kX], dy = target[kY] - from[kY], de = target[kE] - from[kE];
  if (std::fabs(de) < kMinMoveDistance) return false;
  return (std::fabs(dx) < kMinMoveDistance && std::fabs(dy) < kMinMoveDistance) || de < 0;
}

const config::StepperConfig* Toolhead::axis_config(std::size_t axis) const noexcept {
  const char name = axis == kE ? 'e' : static_cast<char>('x' + axis);
  for (const auto& stepper : machine_.steppers) {
    if (stepper.axis == name) return &stepper;
  }
  return nullptr;
}

Result<Ok> Toolhead::set_position(const gcode::Command& cmd) {
  const bool any = cmd.has('X') || cmd.has('Y') || cmd.has('Z') || cmd.has('E');
  for (std::size_t a = 0; a < 4; ++a) {
    if (any && !cmd.has(kAxisLetters[a])) continue;
    gcode_position_[a] = any ? cmd.get(kAxisLetters[a]) * (a == kE ? 1.0 : unit_scale_) : 0.0;
  }
  return Ok{};
}

Result<Ok> Toolhead::set_accel(const gcode::Command& cmd) {
  // S sets it; otherwise the smaller of P (printing) and T (travel), as Klipper reads it.
  const double accel = cmd.has('S') ? cmd.get('S') : std::min(cmd.get_or('P', HUGE_VAL), cmd.get_or('T', HUGE_VAL));
  if (!std::isfinite(accel) || accel <= 0) return error(cmd.line, fmt::format("M204: bad acceleration {}", accel));
  max_accel_ = accel;
  update_junction_deviation();
  return Ok{};
}

Result<Ok> Toolhead::set_velocity_limit(const gcode::Command& cmd) {
  struct Field { std::string_view key; double* target; double min; bool open; double max; };
  const Field fields[] = {{"VELOCITY", &max_velocity_, 0, true, HUGE_VAL},
                          {"ACCEL", &max_accel_, 0, true, HUGE_VAL},
                          {"SQUARE_CORNER_VELOCITY", &square_corner_velocity_, 0, false, HUGE_VAL},
                          {"MINIMUM_CRUISE_RATIO", &minimum_cruise_ratio_, 0, false, 0.99}};
  double values[4];
  for (std::size_t i = 0; i < 4; ++i) {
    values[i] = *fields[i].target;
    const std::string_view text = cmd.param(fields[i].key);
    if (text.empty()) continue;
    const bool parsed = parse_number(text, values[i]);
    const bool too_low = fields[i].open ? values[i] <= fields[i].min : values[i] < fields[i].min;
    if (!parsed || too_low || values[i] > fields[i].max) {
      return error(cmd.line, fmt::format("SET_VELOCITY_LIMIT: bad {} \"{}\"", fields[i].key, text));
    }
  }
  for (std::size_t i = 0; i < 4; ++i) *fields[i].target = values[i];
  update_junction_deviation();
  return Ok{};
}

Result<Ok> Toolhead::enable_steppers(bool enabled, const gcode::Command&) {
  // Motors change state after the queued motion, as in Klipper (M84 waits for the moves).
  if (auto flushed = flush_planner(); !flushed) return flushed;
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

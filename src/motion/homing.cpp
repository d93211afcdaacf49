// G28: homing against an endstop trip source. A carriage approaches at homing_speed until the trip,
// retracts homing_retract_dist and re-approaches at second_homing_speed. With the geometric VirtualEndstops
// (rtstep plan) the trip is computed before the move is sent; with a source that samples the input while
// moving (rtstep run: the executor reads the endstop before each step) the whole search move is sent and
// the source reports where the steppers stopped. A carriage the toolhead believes to be on its endstop is
// homed in place (no steps) when the source trusts that belief (the sim).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "motion/motion.hpp"
#include "motion/toolhead_util.hpp"

namespace rtstep::motion {

VirtualEndstops::VirtualEndstops(const config::MachineConfig& machine) {
  for (const auto& stepper : machine.steppers) {
    if (stepper.axis >= 'x' && stepper.axis <= 'z') endstop_[static_cast<std::size_t>(stepper.axis - 'x')] = stepper.position_endstop;
  }
}

std::optional<double> VirtualEndstops::trip_distance(std::size_t axis, const Move& move) {
  const double ratio = move.axis_ratio[axis];
  if (ratio == 0) return std::nullopt;
  const double d = (endstop_[axis] - move.start[axis]) / ratio;
  if (d < -kMinMoveDistance || d > move.distance + kMinMoveDistance) return std::nullopt;
  return std::clamp(d, 0.0, move.distance);
}

Result<Ok> Toolhead::home(const gcode::Command& cmd) {
  if (auto flushed = flush_planner(); !flushed) return flushed;  // homing starts from rest
  const bool all = !(cmd.has('X') || cmd.has('Y') || cmd.has('Z'));
  for (std::size_t a = 0; a < 3; ++a) {
    if (!all && !cmd.has(kAxisLetters[a])) continue;
    if (auto homed = home_axis(a, cmd.line); !homed) return homed;
  }
  return sink_.on_flush(print_time_);
}

Result<Ok> Toolhead::home_axis(std::size_t a, uint32_t line) {
  // The config reader requires stepper_x, _y and _z, so every axis has one.
  const config::StepperConfig* axis = axis_config(a);
  if (axis == nullptr) return error(line, fmt::format("no stepper drives axis {}", kAxisLetters[a]));
  const double endstop = axis->position_endstop;
  const bool on_switch = std::fabs(position_[a] - endstop) < kMinMoveDistance && endstops_->trusts_start_position();
  if (!on_switch) {
    const double toward = axis->homing_positive_dir ? 1.0 : -1.0;
    // Like Klipper, search up to 1.5 times the axis travel for the switch.
    const double search = 1.5 * (axis->position_max - axis->position_min);
    if (auto moved = homing_move(a, position_[a] + toward * search, axis->homing_speed, true, line); !moved) {
      return moved;
    }
    const double retract = axis->homing_retract_dist;
    if (retract > 0) {
      if (auto moved = homing_move(a, position_[a] - toward * retract, axis->homing_speed, false, line); !moved) {
        return moved;
      }
      if (auto moved = homing_move(a, position_[a] + toward * 2.0 * retract, axis->second_homing_speed, true, line);
          !moved) {
        return moved;
      }
    }
  }
  position_[a] = endstop;
  homed_[a] = true;
  gcode_position_[a] = position_[a];  // homing drops any G92 offset on the axis
  return endstops_->on_homed(a, position_);
}

Result<Ok> Toolhead::homing_move(std::size_t a, double target, double speed, bool until_trip, uint32_t line) {
  Move move;
  move.line = line;
  move.start = position_;
  move.end = position_;
  move.end[a] = target;
  move.distance = std::fabs(target - position_[a]);
  move.axis_ratio[a] = (target - position_[a]) / move.distance;
  double kin_v = 0, kin_accel = 0;
  kinematics_.limits(move.axis_ratio, kin_v, kin_accel);
  plan_trapezoid(move, std::min(speed, kin_v), std::min(max_accel_, kin_accel));
  if (until_trip && endstops_->samples_while_moving(a)) return homing_move_sampled(a, move, line);
  if (until_trip) {
    const std::optional<double> trip = endstops_->trip_distance(a, move);
    if (!trip) {
      return error(line, fmt::format("homing {}: endstop did not trigger within {:.3f} mm", kAxisLetters[a],
                                     move.distance));
    }
    if (*trip < kMinMoveDistance) return Ok{};  // already on the switch
    // The endstop stops the steppers where it trips, at whatever speed they had (as on real hardware).
    truncate_move(move, *trip);
  }
  if (auto sent = emit(move); !sent) return sent;
  position_ = move.end;
  return Ok{};
}

// The whole search move goes out; the source says where the endstop stopped it, and the toolhead goes on
// from there (and from the source's resume time: the rest of the move was never run).
Result<Ok> Toolhead::homing_move_sampled(std::size_t a, Move& move, uint32_t line) {
  if (auto armed = endstops_->before_homing_move(a, print_time_); !armed) return armed;
  if (auto sent = emit(move); !sent) return sent;
  auto trip = endstops_->after_homing_move(a, move);
  if (!trip) return error(line, trip.error().message);
  if (!trip->tripped) {
    return error(line, fmt::format("homing {}: endstop did not trigger within {:.3f} mm", kAxisLetters[a],
                                   move.distance));
  }
  for (std::size_t i = 0; i < position_.size(); ++i) position_[i] = move.start[i] + move.axis_ratio[i] * trip->distance;
  print_time_ = trip->resume_time;
  return Ok{};
}

}  // namespace rtstep::motion

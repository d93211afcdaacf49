#pragma once
// motion: from validated G-code commands to timed toolhead moves (DESIGN.md §1).
//
// Toolhead keeps the modal state (G90/G91, M82/M83, G20/G21, G92 offsets, feed rate, speed and extrude
// factors, acceleration), checks every move against the machine's limits before emitting anything,
// and hands each straight move, with its trapezoidal velocity profile and start time, to a MoveSink.
//
// This is the walking-skeleton planner: every move starts and ends at rest (no look-ahead yet), so each
// move's profile depends only on the move itself. Times are seconds of "print time" since the start of
// the job, as doubles on the host side; stepgen turns them into integer nanoseconds before anything
// crosses the ring.
// All functions are non-real-time (host side).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "util/result.hpp"

namespace rtstep::motion {

// Toolhead coordinates in mm: X, Y, Z and the extruder's E.
using Coord = std::array<double, 4>;
inline constexpr std::size_t kX = 0, kY = 1, kZ = 2, kE = 3;

// One straight move with a trapezoidal velocity profile: accelerate from start_v to cruise_v, cruise,
// decelerate to end_v. Position along the move is `distance_at(t)` mm from `start`; every axis moves in
// proportion: axis position = start[i] + axis_ratio[i] * distance_at(t).
struct Move {
  double start_time = 0;  // s of print time
  Coord start{};          // mm
  Coord end{};            // mm
  Coord axis_ratio{};     // mm of axis per mm along the move
  double distance = 0;    // mm along the move: XYZ length, or |E| for an extrude-only move
  double start_v = 0, cruise_v = 0, end_v = 0;  // mm/s
  double accel = 0;                              // mm/s^2
  double accel_t = 0, cruise_t = 0, decel_t = 0; // s
  uint32_t line = 0;      // G-code line that asked for it

  double duration() const noexcept { return accel_t + cruise_t + decel_t; }
  double end_time() const noexcept { return start_time + duration(); }
  // Distance travelled `t` seconds after the move's start, t in [0, duration()].
  double distance_at(double t) const noexcept;
  // Inverse of distance_at: the time (s since move start) at which `d` mm have been travelled.
  double time_at_distance(double d) const noexcept;
};

// Builds the profile of a move that starts and ends at rest with the given speed and acceleration limits;
// a move too short to reach `max_v` gets a triangle profile.
void plan_trapezoid(Move& move, double max_v, double accel) noexcept;

// Maps toolhead coordinates to stepper positions (mm of each stepper's own travel). Linear for the
// kinematics supported so far, so a stepper's position along a move is linear in the move's distance.
class Kinematics {
 public:
  // `steppers` in MachineConfig order; kinematics as [printer] kinematics says.
  static Result<Kinematics> create(const config::MachineConfig& machine);
  std::size_t stepper_count() const noexcept { return rows_.size(); }
  // Stepper i's position when the toolhead is at `pos`.
  double stepper_position(std::size_t i, const Coord& pos) const noexcept;
  // The coefficients c such that stepper i's position = sum c[a] * pos[a].
  const Coord& row(std::size_t i) const noexcept { return rows_[i]; }

 private:
  std::vector<Coord> rows_;
};

// Where the toolhead starts: every carriage on its endstop (position_endstop), E at 0.
Coord initial_position(const config::MachineConfig& machine) noexcept;

// Receives what the toolhead produces, in print-time order.
class MoveSink {
 public:
  virtual ~MoveSink() = default;
  virtual Status on_move(const Move& move) = 0;
  // A stepper's enable pin: on (M17, first move) or off (M18/M84) at print time `time`.
  virtual Status on_enable(std::size_t stepper, bool enabled, double time) = 0;
};

class Toolhead {
 public:
  // `source_name` names the G-code file in error messages.
  Toolhead(const config::MachineConfig& machine, Kinematics kinematics, MoveSink& sink, std::string source_name);

  // Applies one command. Rejects the whole command (no state change, nothing emitted) with an error
  // naming file and line when it breaks a limit:
  //   "part.gcode:88: move out of range: X=251.000 (max 235.000)". Returns informational output (M114,
  // GET_POSITION) through `reply`, empty otherwise.
  Result<Ok> execute(const gcode::Command& cmd, std::string& reply);

  // The print time at which the last emitted move or dwell ends.
  double print_time() const noexcept { return print_time_; }
  // Current toolhead position in mm (machine coordinates, before G92 offsets are removed).
  const Coord& position() const noexcept { return position_; }
  std::size_t moves_emitted() const noexcept { return moves_; }

 private:
  Result<Ok> linear_move(const gcode::Command& cmd);
  Result<Ok> home(const gcode::Command& cmd);
  Result<Ok> set_position(const gcode::Command& cmd);
  Result<Ok> set_velocity_limit(const gcode::Command& cmd);
  Result<Ok> enable_steppers(bool enabled, const gcode::Command& cmd);
  Result<Ok> check_limits(const Coord& target, uint32_t line) const;
  Result<Ok> enable_moving_steppers(const Move& move);
  Result<Ok> emit(Move& move);  // stamps the start time, sends the move and advances position and time
  const config::StepperConfig* axis_config(std::size_t axis) const noexcept;  // first stepper of X/Y/Z/E
  double machine_extrude_limit() const noexcept;
  Error error(uint32_t line, std::string message) const;
  std::string position_report() const;

  const config::MachineConfig& machine_;
  Kinematics kinematics_;
  MoveSink& sink_;
  std::string source_name_;
  Coord position_{};           // machine mm
  Coord gcode_position_{};     // logical mm as G-code sees it (G92 moves it without moving the machine)
  std::array<bool, 3> homed_{};
  std::vector<bool> enabled_;  // per stepper
  bool relative_ = false;      // G91
  bool relative_e_ = false;    // M83
  double unit_scale_ = 1.0;    // 25.4 after G20
  double feed_rate_ = 25.0;    // mm/s, from F (mm/min)
  double speed_factor_ = 1.0;  // M220
  double extrude_factor_ = 1.0;// M221
  double max_velocity_ = 0;
  double max_accel_ = 0;
  double square_corner_velocity_ = 0;
  double minimum_cruise_ratio_ = 0;
  double print_time_ = 0;
  std::size_t moves_ = 0;
};

}  // namespace rtstep::motion

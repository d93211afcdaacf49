#pragma once
// motion: from validated G-code commands to timed toolhead moves (DESIGN.md §1).
//
// Toolhead keeps the modal state (G90/G91, M82/M83, G20/G21, G92 offsets, feed rate, speed and extrude
// factors, acceleration limits), checks every move against the machine's limits before queueing anything,
// splits G2/G3 arcs into short lines, and hands the moves to the look-ahead planner (planner.hpp), which
// gives each move its trapezoid with Klipper's semantics: junction speeds from square_corner_velocity
// (junction deviation), max_velocity / max_accel, minimum_cruise_ratio, Z and extrude-only limits. Planned
// moves reach a MoveSink in print-time order. Docs for users: docs/motion.md.
//
// Times are seconds of "print time" since the start of the job, as doubles on the host side; stepgen turns
// them into integer nanoseconds before anything crosses the ring.
// All functions are non-real-time (host side).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
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
// decelerate to end_v, all at `accel`. Position along the move is `distance_at(t)` mm from `start`; every
// axis moves in proportion: axis position = start[i] + axis_ratio[i] * distance_at(t).
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
  double accel_distance() const noexcept { return (start_v + cruise_v) * 0.5 * accel_t; }
  double cruise_distance() const noexcept { return cruise_v * cruise_t; }
  // Distance travelled `t` seconds after the move's start, t in [0, duration()].
  double distance_at(double t) const noexcept;
  // Inverse of distance_at: the time (s since move start) at which `d` mm have been travelled.
  double time_at_distance(double d) const noexcept;
};

// Sets the profile of `move` from squared junction speeds (start_v2, end_v2 <= cruise_v2, mm^2/s^2) and
// its acceleration, as the planner does; the ramps are shortened if the distance asks for it.
void set_profile(Move& move, double start_v2, double cruise_v2, double end_v2, double accel) noexcept;
// The profile of a move that starts and ends at rest (used by homing): a triangle when too short for max_v.
void plan_trapezoid(Move& move, double max_v, double accel) noexcept;
// Cuts `move` at `distance` mm (0 < distance <= move.distance): the steppers stop there at whatever speed
// the move had (what a tripped endstop does). end/distance/end_v and the phase times are updated.
void truncate_move(Move& move, double distance) noexcept;

// Maps toolhead coordinates to stepper positions (mm of each stepper's own travel). Each kinematics is one
// file (kinematics_cartesian.cpp, kinematics_corexy.cpp) that fills a KinematicsModel: the linear map of
// every stepper and the speed limits it puts on a move. Linear maps keep every stepper's position linear in
// the move's distance, which is what makes the step solver closed-form; a non-linear kinematics (delta)
// adds its own file with a `position(i, pos)` and a step solver that iterates.
class Kinematics {
 public:
  // `steppers` in MachineConfig order; kinematics as [printer] kinematics says.
  static Result<Kinematics> create(const config::MachineConfig& machine);
  std::size_t stepper_count() const noexcept { return rows_.size(); }
  // Stepper i's position when the toolhead is at `pos`.
  double stepper_position(std::size_t i, const Coord& pos) const noexcept;
  // The coefficients c such that stepper i's position = sum c[a] * pos[a].
  const Coord& row(std::size_t i) const noexcept { return rows_[i]; }
  // Speed (mm/s) and acceleration (mm/s^2) limits the mechanics put on a move with these axis ratios
  // (Z limits: max_z_velocity / max_z_accel scaled by distance / |dz|). Infinity where unlimited.
  void limits(const Coord& axis_ratio, double& max_v, double& max_accel) const noexcept;

  std::vector<Coord> rows_;  // filled by the kinematics' own file
  double max_z_velocity_ = 0, max_z_accel_ = 0;
};

// One kinematics' builder: fills the rows of every stepper in `machine` (error for an axis it cannot drive).
using KinematicsBuilder = Result<Kinematics> (*)(const config::MachineConfig& machine);
Result<Kinematics> build_cartesian(const config::MachineConfig& machine);  // kinematics_cartesian.cpp
Result<Kinematics> build_corexy(const config::MachineConfig& machine);     // kinematics_corexy.cpp

// Where the physical carriages rest when the job starts: [sim] start_position_* or on the endstop
// (position_endstop), E at 0.
Coord initial_position(const config::MachineConfig& machine) noexcept;

// Receives what the toolhead produces, in print-time order.
class MoveSink {
 public:
  virtual ~MoveSink() = default;
  virtual Status on_move(const Move& move) = 0;
  // A stepper's enable pin: on (M17, first move) or off (M18/M84) at print time `time`.
  virtual Status on_enable(std::size_t stepper, bool enabled, double time) = 0;
  // Everything up to print time `time` has been sent (M400, G4, homing, end of file): deliver it all.
  virtual Status on_flush(double /*time*/) { return Ok{}; }
  // A promise, made after on_flush() when the toolhead dwells (G4, M400, end of file): nothing that starts
  // before print time `time` will be sent any more, so the consumer need not wait for it. Nondecreasing.
  // (A homing flush makes no such promise: after an endstop trip the motion resumes before the move's end.)
  virtual void on_horizon(double /*time*/) {}
};

// Where a homing move learns that its endstop tripped. VirtualEndstops answer from geometry before the move
// is sent (trip_distance). A source that samples the real input while the move runs (the executor,
// machine/executor_endstops.hpp) says so with samples_while_moving(axis): the toolhead then sends the whole
// homing move between before_homing_move() and after_homing_move(), which tells where the steppers stopped.
class EndstopTripSource {
 public:
  virtual ~EndstopTripSource() = default;
  // Distance (mm) along `move`, a homing move of `axis` (0..2), at which that axis' endstop trips, or
  // nullopt when it does not trip within the move.
  virtual std::optional<double> trip_distance(std::size_t axis, const Move& move) = 0;

  struct Trip {
    bool tripped = false;
    double distance = 0;     // mm along the move where the steppers stopped
    double resume_time = 0;  // print time (s) from which the toolhead goes on
  };
  virtual bool samples_while_moving(std::size_t /*axis*/) const { return false; }
  // Whether a carriage the toolhead believes to be on its endstop really is (the sim: yes), so that G28
  // may skip its moves. A machine whose start position is unknown (real hardware) answers false.
  virtual bool trusts_start_position() const { return true; }
  // Around a homing move sent in full: `start_time` is the move's print time.
  virtual Status before_homing_move(std::size_t /*axis*/, double /*start_time*/) { return Ok{}; }
  virtual Result<Trip> after_homing_move(std::size_t /*axis*/, const Move& /*move*/) {
    return Error{"this endstop source does not sample while moving"};
  }
  // The axis is homed: the toolhead now calls `position` its place (the endstop).
  virtual Status on_homed(std::size_t /*axis*/, const Coord& /*position*/) { return Ok{}; }
};

// The sim backend's endstops: a virtual switch at position_endstop of every axis, tripping when the
// carriage's coordinate reaches it.
class VirtualEndstops final : public EndstopTripSource {
 public:
  explicit VirtualEndstops(const config::MachineConfig& machine);
  std::optional<double> trip_distance(std::size_t axis, const Move& move) override;

 private:
  std::array<double, 3> endstop_{};
};

class LookAhead;

// The toolhead's modal state and limits, as the controller's status objects (toolhead, gcode_move) show it.
struct ToolheadState {
  Coord position{};        // machine mm after the last accepted command
  Coord gcode_position{};  // logical mm as G-code sees it (G92 offsets applied)
  std::array<bool, 3> homed{};
  bool any_enabled = false;  // some stepper is enabled
  bool relative = false, relative_e = false;
  double feed_rate = 0;  // mm/s
  double speed_factor = 1, extrude_factor = 1;
  double max_velocity = 0, max_accel = 0, square_corner_velocity = 0, minimum_cruise_ratio = 0;
  double print_time = 0;
};

class Toolhead {
 public:
  // `source_name` names the G-code file in error messages. `endstops` null: the sim's virtual endstops.
  Toolhead(const config::MachineConfig& machine, Kinematics kinematics, MoveSink& sink, std::string source_name,
           EndstopTripSource* endstops = nullptr);
  ~Toolhead();
  Toolhead(const Toolhead&) = delete;
  Toolhead& operator=(const Toolhead&) = delete;

  // Applies one command. Rejects the whole command (no state change, nothing queued) with an error
  // naming file and line when it breaks a limit:
  //   "part.gcode:88: move out of range: X=251.000 (max 235.000)". Returns informational output (M114,
  // GET_POSITION) through `reply`, empty otherwise.
  Result<Ok> execute(const gcode::Command& cmd, std::string& reply);
  // End of the file: plans and sends every queued move (the last one ends at rest) and flushes the sink.
  Result<Ok> finish();

  ToolheadState state() const;
  // Names the source in later error messages ("part.gcode:88: ..."): the controller switches between its
  // console and a print job's file.
  void set_source_name(std::string name) { source_name_ = std::move(name); }
  // Pause, cancel, SIGTERM: stops as soon as the motion already sent allows (LookAhead::stop_short), sends
  // the moves that takes, ending at rest, and makes the toolhead's position (and the G-code's) the point
  // where it stops. The moves it did not make are kept for replay_deferred() until discard_deferred().
  Result<Ok> stop_short();
  // Any thread: a pause, cancel or SIGTERM is on its way. Moves the planner finished stop going out after
  // the one being sent (a flush, M400 or G28, still sends everything), so that stop_short() can still slow
  // the toolhead within them. stop_short() ends it.
  void interrupt() noexcept { interrupted_.store(true, std::memory_order_relaxed); }
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_relaxed); }
  // The interrupt was for nothing (the print had paused already): moves go out again, from the next one.
  Result<Ok> resume_sending();
  bool has_deferred() const noexcept { return !deferred_.empty(); }
  // Makes the kept moves, by the same displacements, from wherever the toolhead is now (RESUME has brought
  // it back to where it stopped), at their own speeds; the G-code's position moves with them.
  Result<Ok> replay_deferred();
  void discard_deferred() noexcept { deferred_.clear(); }
  // The print time at which the last emitted move or dwell ends.
  double print_time() const noexcept { return print_time_; }
  // Toolhead position in mm after the last accepted command (machine coordinates, G92 offsets not removed).
  const Coord& position() const noexcept { return position_; }
  std::size_t moves_emitted() const noexcept { return moves_; }

 private:
  Result<Ok> linear_move(const gcode::Command& cmd);
  Result<Ok> arc_move(const gcode::Command& cmd);
  Result<Ok> home(const gcode::Command& cmd);
  Result<Ok> home_axis(std::size_t axis, uint32_t line);
  Result<Ok> homing_move(std::size_t axis, double target, double speed, bool until_trip, uint32_t line);
  Result<Ok> homing_move_sampled(std::size_t axis, Move& move, uint32_t line);
  Result<Ok> set_position(const gcode::Command& cmd);
  Result<Ok> set_velocity_limit(const gcode::Command& cmd);
  Result<Ok> set_accel(const gcode::Command& cmd);
  Result<Ok> enable_steppers(bool enabled, const gcode::Command& cmd);
  Result<Ok> dwell(double seconds);
  // The G-code target of a G0-G3 (logical mm) from the current position and modal state.
  Coord gcode_target(const gcode::Command& cmd) const;
  Coord machine_target(const Coord& gcode_target) const;
  Result<Ok> check_limits(const Coord& from, const Coord& target, uint32_t line) const;
  Result<Ok> check_extrude_only(const Coord& from, const Coord& target, uint32_t line) const;
  // Moves the extrude-only limits apply to: E without X/Y travel, and every retraction (as Klipper).
  static bool under_extruder_limits(const Coord& from, const Coord& target) noexcept;
  // Queues a checked straight move from position_ to `target` at `speed` mm/s into the look-ahead.
  Result<Ok> queue_move(const Coord& target, double speed, uint32_t line);
  // Sends the moves the planner has finished; `interruptible`: not after interrupt().
  Result<Ok> emit_ready(bool interruptible);
  Result<Ok> flush_planner();        // plans everything queued (ending at rest) and sends it
  Result<Ok> emit(Move& move);       // stamps the start time, sends the move and advances time
  Result<Ok> enable_moving_steppers(const Move& move);
  const config::StepperConfig* axis_config(std::size_t axis) const noexcept;  // first stepper of X/Y/Z/E
  double machine_extrude_limit() const noexcept;
  void update_junction_deviation() noexcept;
  Error error(uint32_t line, std::string message) const;
  std::string position_report() const;

  const config::MachineConfig& machine_;
  Kinematics kinematics_;
  MoveSink& sink_;
  std::string source_name_;
  std::unique_ptr<EndstopTripSource> own_endstops_;
  EndstopTripSource* endstops_;
  std::unique_ptr<LookAhead> planner_;
  struct DeferredMove {
    Coord delta{};     // machine mm
    double speed = 0;  // mm/s, as planned
    uint32_t line = 0;
  };
  std::vector<DeferredMove> deferred_;  // stop_short(): the moves not made, in order
  std::atomic<bool> interrupted_{false};
  Coord position_{};           // machine mm, after the last queued move
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
  double junction_deviation_ = 0;  // mm, from square_corner_velocity and max_accel
  double print_time_ = 0;
  std::size_t moves_ = 0;
};

}  // namespace rtstep::motion

#pragma once
// Endstops for `rtstep run`: the inputs the executor samples while homing (DESIGN.md §1, issue 6).
//
// - plan_endstops: which input each stepper homes against: the endstop_pin of stepper_x, _y and _z ('!' and
//   '^'/'~' kept), in that order, then those of extra steppers (stepper_z1, ...) that have their own; an
//   extra stepper without one homes on its axis' switch. One input per switch: pins whose names differ only
//   in case are one (printer.cfg has made sure they have the same modifiers). Shared by the host and the
//   executor side, so both number inputs alike.
// - configure_sim_endstops: on the sim backend each input becomes a switch at position_endstop: it reads
//   triggered when the axis coordinate computed from the steppers' counts reaches the endstop (in the
//   homing direction), so homing on the sim runs the same executor path as on hardware. An extra stepper's
//   own switch follows that stepper's count, starting from [sim] start_position_z1 (etc.) when given.
// - ExecutorEndstops: the toolhead's EndstopTripSource in `rtstep run` (embedded or connected). For a homing
//   move it flushes the step generator, arms every stepper the move drives on its input, lets the toolhead
//   send the whole move, disarms, and waits for the executor's homing report (the move ends when every
//   switch of the axis has tripped); then it sets those steppers' counts to where they really stopped and
//   tells the toolhead how far the move got (from the axis' own switch) and when to go on. A stepper that
//   stopped at a switch of its own is then renamed, without motion, to the axis' position, as every stepper
//   of the axis shares position_endstop (an extra stepper has none of its own).
// All non-real-time (host side and init).

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "config/config.hpp"
#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "motion/motion.hpp"
#include "stepgen/stepgen.hpp"

namespace rtstep::machine {

struct EndstopPlan {
  std::vector<gpio::InputSpec> inputs;        // backend input index = position here
  std::array<int, 3> axis_input{-1, -1, -1};  // X, Y, Z -> input of the primary stepper, -1: no endstop_pin
  std::vector<int> stepper_input;             // per stepper: its own input, else its axis'; -1: none (extruder)
};
EndstopPlan plan_endstops(const config::MachineConfig& machine);

// Sets the sim backend's input rules (the backend tracks every stepper, in machine order). Inputs whose axis
// cannot be solved from the kinematics get no rule (they never trip). Init only.
void configure_sim_endstops(const config::MachineConfig& machine, const EndstopPlan& plan, gpio::SimBackend& sim);

struct HomingLink {
  ipc::SegmentRing* ring = nullptr;         // the producer side: homing reports are read here
  stepgen::RecordSink* sink = nullptr;      // where arm / disarm records go (after the generator's own)
  std::function<bool()> executor_alive;     // false: stop waiting for a report
  bool virtual_clock = false;
  bool trust_start_position = true;         // sim: a carriage believed on its endstop is on it
  int64_t buffer_time_ns = 0;               // real clock: how far ahead of now the host resumes
  // Called with true before a homing move's records go out and with false after them: a bounded lead
  // (HostLink::set_lead) is lifted meanwhile, so the whole search move is sent at once and the host does not
  // feed, at the pace of the clock, the part that the executor drops at the switch. Optional.
  std::function<void(bool sending)> homing_move;
  // The report of a homing move whose steppers run on a board (machine/mcu_boards.hpp: their arm and disarm
  // records went there), looked at before the ring's: nullopt while there is none. Optional.
  std::function<Result<std::optional<ipc::HomingReport>>()> board_report;
};

class ExecutorEndstops final : public motion::EndstopTripSource {
 public:
  ExecutorEndstops(const config::MachineConfig& machine, const motion::Kinematics& kinematics,
                   stepgen::StepGenerator& generator, HomingLink link);

  std::optional<double> trip_distance(std::size_t axis, const motion::Move& move) override;  // geometric fallback
  bool samples_while_moving(std::size_t axis) const override;  // the axis has an endstop_pin
  bool trusts_start_position() const override { return link_.trust_start_position; }
  Status before_homing_move(std::size_t axis, double start_time) override;
  Result<Trip> after_homing_move(std::size_t axis, const motion::Move& move) override;
  Status on_homed(std::size_t axis, const motion::Coord& position) override;

  // For the run summary: steps generated but never run (dropped at a trip), and how far homing moved each
  // stepper's count without motion (the trip point renamed position_endstop; 0 on the sim's cartesian).
  int64_t dropped_steps(std::size_t stepper) const noexcept { return dropped_[stepper]; }
  int64_t homing_offset(std::size_t stepper) const noexcept { return offset_[stepper]; }

 private:
  std::vector<std::size_t> driven(std::size_t axis) const;  // steppers a move of `axis` drives
  int input_of(std::size_t stepper, std::size_t axis) const;  // the input `stepper` homes on for `axis`
  Result<ipc::HomingReport> wait_report(const motion::Move& move);

  const config::MachineConfig& machine_;
  const motion::Kinematics& kinematics_;
  stepgen::StepGenerator& generator_;
  HomingLink link_;
  EndstopPlan plan_;
  motion::VirtualEndstops geometry_;
  uint32_t reports_seen_ = 0;
  std::vector<int64_t> before_;  // counts when the homing move began
  std::vector<int64_t> dropped_, offset_;
};

}  // namespace rtstep::machine

// Endstops through the executor (see executor_endstops.hpp).
#include "machine/executor_endstops.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <string>
#include <thread>

#include <fmt/format.h>

namespace rtstep::machine {
namespace {

constexpr char kAxes[] = "xyz";
constexpr double kResumeAfterTripS = 0.001;  // the next move starts this long after the trip
// The disarm lies this far beyond the move's end: past its last step pulse and the executor's read margin,
// so that reading it tells the executor the move is complete (it runs to the end, no underrun).
constexpr double kDisarmAfterS = 0.001;

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// printer.cfg compares pin names without case ("PA5" and "pa5" are one pin), and so do the inputs.
bool same_pin_name(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

gpio::Pull pull_of(const config::PinConfig& pin) {
  return pin.pullup ? gpio::Pull::kUp : pin.pulldown ? gpio::Pull::kDown : gpio::Pull::kNone;
}

// The first stepper of each axis (stepper_x, _y, _z), -1 when none.
std::array<int, 3> primary_steppers(const config::MachineConfig& machine) {
  std::array<int, 3> out{-1, -1, -1};
  for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
    for (std::size_t a = 0; a < 3; ++a) {
      if (machine.steppers[i].axis == kAxes[a] && out[a] < 0) out[a] = static_cast<int>(i);
    }
  }
  return out;
}

double dot(const motion::Coord& a, const motion::Coord& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]; }

int64_t count_at(const config::StepperConfig& s, const motion::Coord& row, const motion::Coord& pos) {
  return static_cast<int64_t>(std::floor(s.steps_per_mm() * dot(row, pos) + 0.5));
}

// Inverse of a 3x3 matrix by cofactors; false when singular.
bool invert(const std::array<std::array<double, 3>, 3>& m, std::array<std::array<double, 3>, 3>& inv) {
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  if (std::fabs(det) < 1e-12) return false;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      // inv[r][c] = cofactor(c, r) / det
      const int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
      inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
    }
  }
  return true;
}

}  // namespace

EndstopPlan plan_endstops(const config::MachineConfig& machine) {
  EndstopPlan plan;
  // The input of `pin`: one already planned for the same switch, else a new one.
  const auto input_for = [&](const config::PinConfig& pin) {
    const auto same = std::find_if(plan.inputs.begin(), plan.inputs.end(),
                                   [&](const gpio::InputSpec& in) { return same_pin_name(in.name, pin.name); });
    const auto index = static_cast<int>(same - plan.inputs.begin());  // before push_back moves the elements
    if (same == plan.inputs.end()) plan.inputs.push_back(gpio::InputSpec{pin.name, pin.inverted, pull_of(pin)});
    return index;
  };
  const auto primary = primary_steppers(machine);
  for (std::size_t a = 0; a < 3; ++a) {
    if (primary[a] < 0) continue;
    const config::PinConfig& pin = machine.steppers[static_cast<std::size_t>(primary[a])].endstop_pin;
    if (!pin.empty()) plan.axis_input[a] = input_for(pin);
  }
  plan.stepper_input.assign(machine.steppers.size(), -1);
  for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
    const config::StepperConfig& s = machine.steppers[i];
    const auto a = static_cast<std::size_t>(s.axis - 'x');
    if (a >= 3) continue;
    plan.stepper_input[i] = s.endstop_pin.empty() ? plan.axis_input[a] : input_for(s.endstop_pin);
  }
  return plan;
}

namespace {

// The sim's switch of `axis` for one input: triggered when the axis coordinate, solved from the counts of
// `solve_from` (one stepper per axis), reaches `at_mm` in the homing direction.
void set_switch_rule(const config::MachineConfig& machine, const motion::Kinematics& kinematics,
                     const std::array<int, 3>& solve_from, std::size_t axis, double at_mm, int input,
                     gpio::SimBackend& sim) {
  std::array<std::array<double, 3>, 3> rows{}, inverse{};
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) rows[r][c] = kinematics.row(static_cast<std::size_t>(solve_from[r]))[c];
  }
  if (!invert(rows, inverse)) return;
  const motion::Coord start = motion::initial_position(machine);
  motion::Coord at_switch = start;
  at_switch[axis] = at_mm;
  std::vector<double> weights(machine.steppers.size(), 0.0);
  double threshold = 0;  // coordinate at the switch minus the start, both from whole step counts
  for (std::size_t r = 0; r < 3; ++r) {
    const auto j = static_cast<std::size_t>(solve_from[r]);
    const config::StepperConfig& s = machine.steppers[j];
    weights[j] = inverse[axis][r] / s.steps_per_mm();
    threshold += weights[j] * static_cast<double>(count_at(s, kinematics.row(j), at_switch) -
                                                  count_at(s, kinematics.row(j), start));
  }
  const bool positive = machine.steppers[static_cast<std::size_t>(solve_from[axis])].homing_positive_dir;
  sim.set_input_rule(static_cast<std::size_t>(input), weights, threshold, positive);
}

}  // namespace

void configure_sim_endstops(const config::MachineConfig& machine, const EndstopPlan& plan, gpio::SimBackend& sim) {
  auto kinematics = motion::Kinematics::create(machine);
  const auto primary = primary_steppers(machine);
  if (!kinematics || primary[0] < 0 || primary[1] < 0 || primary[2] < 0) return;
  // Axis coordinates from the three primary steppers' travel: coord = inverse(rows) * travel.
  for (std::size_t a = 0; a < 3; ++a) {
    if (plan.axis_input[a] < 0) continue;
    const double at = machine.steppers[static_cast<std::size_t>(primary[a])].position_endstop;
    set_switch_rule(machine, *kinematics, primary, a, at, plan.axis_input[a], sim);
  }
  // An extra stepper's own switch: the same, solved with that stepper in its primary's place. Its end of the
  // axis may rest elsewhere ([sim] start_position_z1): the switch is then that much nearer or further.
  const motion::Coord start = motion::initial_position(machine);
  for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
    const config::StepperConfig& s = machine.steppers[i];
    const auto a = static_cast<std::size_t>(s.axis - 'x');
    if (a >= 3 || static_cast<int>(i) == primary[a] || s.endstop_pin.empty()) continue;
    std::array<int, 3> solve_from = primary;
    solve_from[a] = static_cast<int>(i);
    const auto rests = machine.motion.sim_stepper_start.find(s.name);
    const double offset = rests == machine.motion.sim_stepper_start.end() ? 0.0 : rests->second - start[a];
    set_switch_rule(machine, *kinematics, solve_from, a, s.position_endstop - offset, plan.stepper_input[i], sim);
  }
}

ExecutorEndstops::ExecutorEndstops(const config::MachineConfig& machine, const motion::Kinematics& kinematics,
                                   stepgen::StepGenerator& generator, HomingLink link)
    : machine_(machine),
      kinematics_(kinematics),
      generator_(generator),
      link_(std::move(link)),
      plan_(plan_endstops(machine)),
      geometry_(machine),
      before_(machine.steppers.size(), 0),
      dropped_(machine.steppers.size(), 0),
      offset_(machine.steppers.size(), 0) {}

std::optional<double> ExecutorEndstops::trip_distance(std::size_t axis, const motion::Move& move) {
  return geometry_.trip_distance(axis, move);
}

bool ExecutorEndstops::samples_while_moving(std::size_t axis) const {
  return axis < 3 && plan_.axis_input[axis] >= 0 && link_.ring != nullptr && link_.sink != nullptr;
}

std::vector<std::size_t> ExecutorEndstops::driven(std::size_t axis) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < kinematics_.stepper_count(); ++i) {
    if (std::fabs(kinematics_.row(i)[axis]) > 1e-12) out.push_back(i);
  }
  return out;
}

int ExecutorEndstops::input_of(std::size_t stepper, std::size_t axis) const {
  // A stepper of the axis homes on its own switch (or the axis'); one the move drives through the
  // kinematics (corexy: both motors for X) stops at the axis' switch.
  const bool of_axis = machine_.steppers[stepper].axis == kAxes[axis];
  return of_axis && plan_.stepper_input[stepper] >= 0 ? plan_.stepper_input[stepper] : plan_.axis_input[axis];
}

Status ExecutorEndstops::before_homing_move(std::size_t axis, double start_time) {
  const auto steppers = driven(axis);
  if (steppers.size() > ipc::kMaxHomingSteppers) {
    return Error{fmt::format("homing {} drives {} steppers; the executor stops at most {} at an endstop",
                             char(kAxes[axis] - 'a' + 'A'), steppers.size(), ipc::kMaxHomingSteppers)};
  }
  // Everything before the homing move goes out first, so the arm records keep the stream in time order.
  if (auto flushed = generator_.on_flush(start_time); !flushed) return flushed;
  for (std::size_t i = 0; i < before_.size(); ++i) before_[i] = generator_.position_steps(i);
  for (std::size_t i : steppers) {
    ipc::PinCommand arm;
    arm.time_ns = generator_.to_ns(start_time);
    arm.stepper = static_cast<uint8_t>(i);
    arm.role = ipc::PinRole::kEndstop;
    arm.level = static_cast<uint8_t>(input_of(i, axis) + 1);
    if (auto pushed = link_.sink->push(ipc::Record::of(arm)); !pushed) return pushed;
  }
  if (link_.homing_move) link_.homing_move(true);
  return Ok{};
}

Result<ipc::HomingReport> ExecutorEndstops::wait_report(const motion::Move& move) {
  // Real clock: the report is due when the move would have ended; virtual: as fast as the executor runs.
  const int64_t give_up = link_.virtual_clock ? monotonic_ns() + 60'000'000'000
                                              : generator_.to_ns(move.end_time()) + 5'000'000'000;
  for (;;) {
    if (link_.board_report) {
      auto on_board = link_.board_report();
      if (!on_board) return on_board.error();
      if (*on_board) return **on_board;
    }
    if (link_.ring->homing_sequence() > reports_seen_) {
      reports_seen_ = link_.ring->homing_sequence();
      return link_.ring->homing_report();
    }
    if (link_.executor_alive && !link_.executor_alive()) {
      return Error{"the executor stopped before the end of the homing move"};
    }
    if (monotonic_ns() > give_up) return Error{"no homing report from the executor (is it still running?)"};
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

Result<motion::EndstopTripSource::Trip> ExecutorEndstops::after_homing_move(std::size_t axis, const motion::Move& move) {
  const auto steppers = driven(axis);
  if (auto flushed = generator_.on_flush(move.end_time()); !flushed) return flushed.error();
  for (std::size_t i : steppers) {
    ipc::PinCommand disarm;
    disarm.time_ns = generator_.to_ns(move.end_time() + kDisarmAfterS);
    disarm.stepper = static_cast<uint8_t>(i);
    disarm.role = ipc::PinRole::kEndstop;
    disarm.level = 0;
    if (auto pushed = link_.sink->push(ipc::Record::of(disarm)); !pushed) return pushed.error();
  }
  if (link_.homing_move) link_.homing_move(false);
  auto report = wait_report(move);
  if (!report) return report.error();
  if (report->count != steppers.size()) {
    return Error{fmt::format("the executor's homing report has {} steppers, the move drove {}", report->count,
                             steppers.size())};
  }
  // Where each stepper really is: the steps the executor wrote, not the ones the move asked for. The
  // distance comes from the best-resolved stepper on the axis' own switch.
  std::size_t primary = steppers.front();
  for (std::size_t i : steppers) {
    if (input_of(i, axis) == plan_.axis_input[axis]) {
      primary = i;
      break;
    }
  }
  for (std::size_t k = 0; k < report->count; ++k) {
    const std::size_t i = report->stepper[k];
    if (std::find(steppers.begin(), steppers.end(), i) == steppers.end()) {
      return Error{fmt::format("the executor's homing report names stepper {}, not driven by the move", i)};
    }
    // The executor counts pulses since the job began; the host's count also carries the renames of earlier
    // homing moves (offset_), or a second G28 would lose them.
    const int64_t actual = generator_.initial_steps(i) + report->position[k] + offset_[i];
    const int64_t generated = generator_.position_steps(i) - before_[i];
    const int64_t executed = actual - before_[i];
    dropped_[i] += std::llabs(generated) - std::llabs(executed);
    generator_.set_position_steps(i, actual);
    const auto weight = [&](std::size_t s) {
      return std::fabs(kinematics_.row(s)[axis]) * machine_.steppers[s].steps_per_mm();
    };
    if (input_of(i, axis) == plan_.axis_input[axis] && weight(i) > weight(primary)) primary = i;
  }
  Trip trip;
  trip.tripped = report->tripped != 0;
  if (!trip.tripped) return trip;
  // Distance along the move from the best-resolved stepper's count (within one step).
  const motion::Coord& row = kinematics_.row(primary);
  const double per_mm = dot(row, move.axis_ratio);
  const double travel = static_cast<double>(generator_.position_steps(primary)) / machine_.steppers[primary].steps_per_mm();
  trip.distance = std::clamp((travel - dot(row, move.start)) / per_mm, 0.0, move.distance);
  // A stepper stopped by a switch of its own now takes the axis' position, without motion (Klipper's rule
  // too): the moves that follow drive every stepper of the axis alike from their own switches.
  motion::Coord at_trip = move.start;
  for (std::size_t c = 0; c < at_trip.size(); ++c) at_trip[c] += trip.distance * move.axis_ratio[c];
  for (std::size_t i : steppers) {
    if (input_of(i, axis) == plan_.axis_input[axis]) continue;
    const int64_t target = generator_.steps_at(i, at_trip);
    offset_[i] += target - generator_.position_steps(i);
    generator_.set_position_steps(i, target);
  }
  const double origin_ns = static_cast<double>(generator_.to_ns(0));
  trip.resume_time = (static_cast<double>(report->trip_time_ns) - origin_ns) / 1e9 + kResumeAfterTripS;
  if (!link_.virtual_clock) {
    const double now = (static_cast<double>(monotonic_ns()) - origin_ns) / 1e9;
    trip.resume_time = std::max(trip.resume_time, now + static_cast<double>(link_.buffer_time_ns) / 1e9);
  }
  return trip;
}

Status ExecutorEndstops::on_homed(std::size_t axis, const motion::Coord& position) {
  // The trip point is now called position_endstop: counts follow the name, without any motion.
  for (std::size_t i : driven(axis)) {
    const int64_t target = generator_.steps_at(i, position);
    offset_[i] += target - generator_.position_steps(i);
    generator_.set_position_steps(i, target);
  }
  return Ok{};
}

}  // namespace rtstep::machine

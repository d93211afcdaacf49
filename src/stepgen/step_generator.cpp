// StepGenerator: moves in, time-ordered segment and pin records out.
//
// Per stepper: take the move's steps, pass them through the step+dir+step filter when it is on, append their
// exact times to the stepper's compressor (a direction change first compresses everything pending; a step
// too close to the one before is delayed, step_spacing.cpp), compress what can no longer grow. A long cruise
// skips the step times: its segments come from its closed form (cruise_compressor.cpp). The steppers'
// segments and the enable-pin records then wait in per-stepper queues until a merge can release them in time
// order: anything still to come starts at or after the watermark, which is the earliest step still pending in
// a compressor or held by the filter, or the end of the current move (less the tolerance, by which a closed-
// form segment may start early) if none is.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

// The fastest a stepper may step: its spacing's min_interval_ns, with 1 ns for rounding, so that exact times
// in one direction always keep the spacing (and a segment can express them).
double max_step_rate(const StepSpacing& spacing) { return 1e9 / static_cast<double>(spacing.min_interval_ns + 1); }

}  // namespace

StepGenerator::StepGenerator(const config::MachineConfig& machine, const motion::Kinematics& kinematics,
                             const motion::Coord& start, int64_t origin_ns, int64_t tolerance_ns, RecordSink& sink,
                             StepObserver* observer)
    : machine_(machine), filter_(machine.rt.step_dir_step_filter), tolerance_ns_(tolerance_ns), origin_ns_(origin_ns),
      sink_(sink), observer_(observer) {
  for (std::size_t i = 0; i < kinematics.stepper_count(); ++i) {
    StepSolver probe(machine.steppers[i].steps_per_mm(), kinematics.row(i), 0);
    const int64_t initial = probe.steps_at(start);
    solvers_.emplace_back(machine.steppers[i].steps_per_mm(), kinematics.row(i), initial);
    compressors_.emplace_back(static_cast<uint8_t>(i), tolerance_ns, step_spacing(machine, i));
    initial_.push_back(initial);
  }
  ready_.resize(solvers_.size());
  steps_.resize(solvers_.size());
  held_.resize(solvers_.size());
  removed_pairs_.resize(solvers_.size());
}

int64_t StepGenerator::to_ns(double print_time) const noexcept { return origin_ns_ + std::llround(print_time * 1e9); }

StepperTotals StepGenerator::totals(std::size_t i) const noexcept {
  const StepCompressor& c = compressors_[i];
  return StepperTotals{steps_[i],         c.segments(),     c.max_error_ns(), c.delayed_steps(),
                       c.max_delay_ns(), removed_pairs_[i]};
}

namespace {

// The printer.cfg key that bounds how fast a stepper of `axis` is driven.
const char* speed_limit_key(char axis) {
  switch (axis) {
    case 'z': return "[printer] max_z_velocity";
    case 'e': return "[extruder] max_extrude_only_velocity (or max_extrude_cross_section)";
    default: return "[printer] max_velocity";
  }
}

}  // namespace

Status StepGenerator::on_move(const motion::Move& move) {
  const int64_t end_ns = to_ns(move.end_time());
  move_lines_.emplace_back(to_ns(move.start_time), move.line);
  for (std::size_t i = 0; i < solvers_.size(); ++i) {
    StepCompressor& compressor = compressors_[i];
    const StepSpacing& spacing = compressor.spacing();
    if (solvers_[i].peak_step_rate(move) > max_step_rate(spacing)) {
      const std::string& name = machine_.steppers[i].name;
      const bool pulse_limited = spacing.min_interval_ns > ipc::kMinStepIntervalNs;
      return Error{fmt::format("line {}: {} would step at {:.0f} steps/s, more than the {:.0f} {}; "
                               "lower {} or the move's feed rate, or use fewer microsteps for {}{}",
                               move.line, name, solvers_[i].peak_step_rate(move), max_step_rate(spacing),
                               pulse_limited ? fmt::format("[{}] step_pulse_duration allows (a low time as long as "
                                                           "the pulse)", name)
                                             : std::string("a segment can express"),
                               speed_limit_key(machine_.steppers[i].axis), name,
                               pulse_limited ? " or a shorter step_pulse_duration" : "")};
    }
    const int64_t n = solvers_[i].steps_in(move);
    StepBuffer& pending = compressor.pending();
    if (n == 0) {
      // An idle stepper's held steps cannot grow any more: let them go, so the merge is not held back.
      release_held(i, end_ns);
      if (!pending.empty()) compressor.compress(true, ready_[i]);
      continue;
    }
    const MoveSteps steps = solvers_[i].take(move, origin_ns_);
    if (observer_ != nullptr) observe(i, steps);
    steps_[i] += static_cast<uint64_t>(steps.count());
    int64_t begin = 0, end = steps.count();
    if (filter_) filter_pair(i, steps, begin, end);
    // A long cruise becomes segments from its closed form; the ramps (and short cruises) go step by step.
    const int64_t cruise_begin = std::max(begin, steps.accel_end()), cruise_end = std::min(end, steps.cruise_end());
    if (cruise_end - cruise_begin >= kMinClosedFormSteps) {
      compressor.add_steps(steps, begin, cruise_begin, ready_[i]);
      compressor.add_cruise(steps, cruise_begin, cruise_end, ready_[i]);
      compressor.add_steps(steps, cruise_end, end, ready_[i]);
    } else {
      compressor.add_steps(steps, begin, end, ready_[i]);
    }
    if (!pending.empty()) compressor.compress(pending.front() < end_ns - kHoldNs, ready_[i]);
  }
  // A closed-form segment may start up to the tolerance before its first step's exact time.
  int64_t watermark = end_ns - tolerance_ns_;
  for (std::size_t i = 0; i < compressors_.size(); ++i) {
    if (!compressors_[i].pending().empty()) watermark = std::min(watermark, compressors_[i].pending().front());
    if (held_[i].held) watermark = std::min(watermark, held_[i].time_ns);
  }
  return release(watermark);
}

// Klipper's rule: a step is checked against the next step of its stepper only; a pair removed leaves nothing
// to check the step after it against.
void StepGenerator::filter_pair(std::size_t i, const MoveSteps& steps, int64_t& begin, int64_t& end) {
  HeldStep& held = held_[i];
  if (held.held) {
    held.held = false;
    int64_t first = 0;
    steps.times(begin, begin + 1, &first);
    if (held.dir != steps.dir() && first - held.time_ns < kStepDirStepFilterNs) {
      ++begin;
      ++removed_pairs_[i];
      steps_[i] -= 2;
    } else {
      compressors_[i].add_step(held.dir, held.time_ns, ready_[i]);
    }
  }
  if (begin < end) {
    --end;
    steps.times(end, end + 1, &held.time_ns);
    held.dir = steps.dir();
    held.held = true;
  }
}

void StepGenerator::release_held(std::size_t i, int64_t now_ns) {
  HeldStep& held = held_[i];
  // Every step still to come is at or after now_ns.
  if (!held.held || now_ns - held.time_ns < kStepDirStepFilterNs) return;
  held.held = false;
  compressors_[i].add_step(held.dir, held.time_ns, ready_[i]);
}

void StepGenerator::append_times(const MoveSteps& steps, int64_t begin, int64_t end, StepBuffer& to) {
  if (begin < end) steps.times(begin, end, to.append(static_cast<std::size_t>(end - begin)));
}

void StepGenerator::observe(std::size_t stepper, const MoveSteps& steps) {
  observed_.clear();
  append_times(steps, 0, steps.count(), observed_);
  observer_->on_steps(stepper, std::span<const int64_t>(observed_.data(), observed_.size()), steps.dir(),
                      solvers_[stepper].position());
}

Status StepGenerator::on_enable(std::size_t stepper, bool enabled, double time) {
  ipc::PinCommand pin;
  pin.time_ns = to_ns(time);
  pin.stepper = static_cast<uint8_t>(stepper);
  pin.role = ipc::PinRole::kEnable;
  pin.level = enabled ? 1 : 0;
  pins_.push_back(pin);
  return Ok{};
}

Status StepGenerator::on_flush(double) {
  for (std::size_t i = 0; i < compressors_.size(); ++i) {
    release_held(i, std::numeric_limits<int64_t>::max());
    compressors_[i].compress(true, ready_[i]);
  }
  return release(std::numeric_limits<int64_t>::max());
}

void StepGenerator::on_horizon(double time) { sink_.set_horizon(to_ns(time)); }

Status StepGenerator::release(int64_t watermark_ns) {
  // A k-way merge over at most ipc::kMaxSteppers queues plus the pins: a linear scan per record is cheap
  // next to the steps each segment stands for. Pins go first on ties, so a motor is enabled before it steps.
  const std::size_t kPins = ready_.size(), kNone = ready_.size() + 1;
  for (;;) {
    std::size_t best = kNone;
    int64_t best_time = watermark_ns;
    if (!pins_.empty() && pins_.front().time_ns <= best_time) {
      best = kPins;
      best_time = pins_.front().time_ns;
    }
    for (std::size_t i = 0; i < ready_.size(); ++i) {
      if (ready_[i].empty()) continue;
      const int64_t t = ready_[i].front().first_time_ns;
      if (t < best_time || (best == kNone && t == best_time)) {
        best = i;
        best_time = t;
      }
    }
    if (best == kNone) return Ok{};
    ipc::Record record = best == kPins ? ipc::Record::of(pins_.front()) : ipc::Record::of(ready_[best].front());
    record.line = line_at(best_time);
    if (auto pushed = sink_.push(record); !pushed) return pushed;
    if (best == kPins) {
      pins_.pop_front();
    } else {
      ready_[best].pop_front();
    }
  }
}

// Records leave in time order, so the moves that began before the previous record's time can go.
uint32_t StepGenerator::line_at(int64_t t_ns) {
  while (move_lines_.size() > 1 && move_lines_[1].first <= t_ns) move_lines_.pop_front();
  return move_lines_.empty() ? 0 : move_lines_.front().second;
}

}  // namespace rtstep::stepgen

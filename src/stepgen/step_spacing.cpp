// The executor's spacing, kept by the compressor: steps enter a run through add_steps()/add_step(), and a step
// closer to the one before it than the executor needs is delayed until the gap holds.
//
// Where gaps come from. Inside a move a stepper moves one way, at no more than 1 / min_interval_ns steps per
// ns (StepGenerator refuses faster moves), so consecutive steps are at least min_interval_ns apart; only
// where it turns back can two steps come closer: at a move boundary, the same half-step boundary crossed up
// and then down. Delaying the second step keeps the order of every step and the count after it; the step
// before the turn is not touched, it has been emitted already (when the direction changes, everything pending
// is compressed first, and the last segment ends on a step that is not late: compressor.cpp).
//
// Cost. The step after a turn is delayed by at most the reversal gap. The steps after it are delayed only while
// they, too, come closer than the spacing to their (delayed) predecessor: in one direction they are at least
// min_interval_ns apart already, so only another turn within the delay carries it on (one gap more). While a
// step is delayed the stepper lags its exact count by that one step.
#include <algorithm>
#include <cmath>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {

StepSpacing step_spacing(const config::MachineConfig& machine, std::size_t i) noexcept {
  // As the executor is configured from the same file (machine/executor_side.cpp).
  const int64_t pulse_ns = std::llround(machine.steppers[i].step_pulse_duration * 1e9);
  StepSpacing s;
  s.min_interval_ns = std::max(ipc::kMinStepIntervalNs, 2 * pulse_ns);
  s.min_reversal_ns = pulse_ns + kDirHoldNs + machine.rt.dir_setup_ns;
  return s;
}

void StepCompressor::start_run(uint8_t dir, std::deque<ipc::StepSegment>& out) {
  if (dir != dir_ && !pending_.empty()) compress(true, out);
  dir_ = dir;
}

void StepCompressor::add_steps(const MoveSteps& steps, int64_t begin, int64_t end, std::deque<ipc::StepSegment>& out) {
  if (begin >= end) return;
  start_run(steps.dir(), out);
  const std::size_t from = pending_.size();
  steps.times(begin, end, pending_.append(static_cast<std::size_t>(end - begin)));
  space_from(from);
}

void StepCompressor::add_step(uint8_t dir, int64_t time_ns, std::deque<ipc::StepSegment>& out) {
  start_run(dir, out);
  const std::size_t from = pending_.size();
  *pending_.append(1) = time_ns;
  space_from(from);
}

void StepCompressor::space_from(std::size_t from) noexcept {
  const std::size_t size = pending_.size();
  if (from >= size) return;
  int64_t* t = pending_.mutable_data();
  // The first step of a run keeps its gap from the last step emitted (a reversal gap if the direction
  // changed); the others from the pending step before them, in the same direction.
  int64_t previous = from == 0 ? last_ns_ : t[from - 1];
  int64_t gap = from == 0 ? gap_after_last() : spacing_.min_interval_ns;
  for (std::size_t i = from; i < size; ++i) {
    const int64_t earliest = previous + gap;
    if (t[i] < earliest) {
      max_delay_ns_ = std::max(max_delay_ns_, earliest - t[i]);
      ++delayed_steps_;
      t[i] = earliest;
    }
    previous = t[i];
    gap = spacing_.min_interval_ns;
  }
}

bool StepCompressor::playable(const ipc::StepSegment& s) const noexcept {
  if (!ipc::is_valid(s)) return false;
  if (s.count < 2) return true;
  // Intervals change linearly with k: the first and the last bound them all.
  const int64_t last_interval = s.interval_ns + s.add_ns * (int64_t{s.count} - 2);
  return std::min(s.interval_ns, last_interval) >= spacing_.min_interval_ns;
}

}  // namespace rtstep::stepgen

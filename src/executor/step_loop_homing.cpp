// StepLoop's homing (see executor.hpp): arm and disarm records, the endstop sampled before each write
// with an armed stepper's rising edge, the trip that drops the rest of the move, and the homing report.
// Real-time safe, as the rest of the loop.

#include <algorithm>
#include <bit>
#include <cstdint>

#include "executor/step_loop.hpp"

namespace rtstep::executor {

// Checks an arm / disarm against the homing move in progress (at most kMaxHomingSteppers steppers, each
// armed once, on an input the backend has, and disarmed once). Changes nothing: distribute() applies it.
bool StepLoop::endstop_record(const ipc::PinCommand& p) noexcept {
  const uint32_t bit = 1U << p.stepper;
  if (p.level == 0) return (homing_.armed & bit) != 0 && (homing_.disarmed & bit) == 0;
  if (p.level > config_.inputs) return false;
  if (!homing_.active) return true;
  return homing_.disarmed == 0 && (homing_.armed & bit) == 0 &&
         static_cast<std::size_t>(std::popcount(homing_.armed)) < ipc::kMaxHomingSteppers;
}

// The switches are read at the time of the step they may forbid, once per write that holds such a step;
// an input counts only when one of its steppers steps in this write. An input whose read failed reads
// triggered (Backend::read_inputs), so its steppers stop; the loop then stops on the failure.
bool StepLoop::sample_endstop(Group& g) noexcept {
  gpio::InputMask stepping = 0;  // inputs of the still-running armed steppers that rise in this write
  for (uint32_t i = 0; i < g.count; ++i) {
    const uint32_t stepper = g.stepper[i];
    const bool running = ((homing_.armed & ~homing_.tripped) >> stepper & 1U) != 0;
    if (g.kind[i] == EventKind::kRise && running && g.deadline[i] >= homing_.arm_ns) {
      stepping |= gpio::InputMask{1} << homing_.input[stepper];
    }
  }
  if (stepping == 0) return true;
  const gpio::InputMask hit = backend_.read_inputs() & stepping;
  if (hit != 0) halt_on(hit, g);
  return check_io(FaultReason::kGpioRead, g.count > 0 ? g.stepper[0] : -1);
}

void StepLoop::halt_on(gpio::InputMask inputs, Group& g) noexcept {
  uint32_t stopping = 0;  // running armed steppers on a tripped input
  for (uint32_t index = 0; index < stepper_count_; ++index) {
    const bool running = ((homing_.armed & ~homing_.tripped) >> index & 1U) != 0;
    if (running && (inputs >> homing_.input[index] & 1U) != 0) stopping |= 1U << index;
  }
  int64_t trip_ns = INT64_MAX;
  for (uint32_t i = 0; i < g.count; ++i) {
    if (g.kind[i] != EventKind::kRise || (stopping >> g.stepper[i] & 1U) == 0) continue;
    trip_ns = std::min(trip_ns, g.deadline[i]);
    g.high &= ~steppers_[g.stepper[i]].step_bit;
    g.kind[i] = EventKind::kNone;
  }
  for (uint32_t index = 0; index < stepper_count_; ++index) {
    if ((stopping >> index & 1U) == 0) continue;
    Stepper& s = steppers_[index];
    s.active = false;  // a pending falling edge still completes its pulse
    s.dir_pending = false;
    s.queue_size = 0;
    refresh(index);
  }
  // The move ends for the axis when its last switch trips: the host goes on from there.
  homing_.trip_ns = homing_.tripped == 0 ? trip_ns : std::max(homing_.trip_ns, trip_ns);
  homing_.tripped |= stopping;
  homing_.halted |= stopping & ~homing_.disarmed;
}

// Once every armed stepper is disarmed and each has tripped or made all its steps: publish. Tripped means
// every armed stepper stopped at its switch; then the host may go on from the latest trip (the remaining
// homing steps were dropped, not served).
void StepLoop::maybe_report() noexcept {
  if (!homing_.active || homing_.disarmed != homing_.armed) return;
  ipc::HomingReport report;
  for (uint32_t index = 0; index < stepper_count_; ++index) {
    if ((homing_.armed >> index & 1U) == 0) continue;
    const Stepper& s = steppers_[index];
    if ((homing_.tripped >> index & 1U) == 0 && (s.active || s.queue_size > 0)) return;
    if (report.count == 0) report.input = homing_.input[index];
    report.stepper[report.count] = static_cast<uint8_t>(index);
    report.position[report.count] = s.position;
    ++report.count;
  }
  const bool all_tripped = homing_.tripped == homing_.armed;
  report.tripped = all_tripped ? 1 : 0;
  report.trip_time_ns = all_tripped ? homing_.trip_ns : 0;
  if (all_tripped) {
    int64_t latest = homing_.trip_ns;
    for (uint32_t index = 0; index < stepper_count_; ++index) {
      Stepper& s = steppers_[index];
      if ((homing_.armed >> index & 1U) != 0) {
        s.last_queued_ns = homing_.trip_ns;
      } else {
        latest = std::max(latest, s.last_queued_ns);
      }
    }
    previous_record_ns_ = std::min(previous_record_ns_, latest);
  }
  ring_.publish_homing(report);
  ++outcome_.homing_moves;
  homing_ = Homing{};
}

}  // namespace rtstep::executor

// StepLoop's guards (see executor.hpp): the lateness guard that refuses to bunch a late stepper's steps,
// the check of the backend's failed writes and reads, and the full-width pulses of a safe stop.
// Real-time safe, as the rest of the loop.

#include <algorithm>
#include <cstdint>

#include "executor/step_loop.hpp"

namespace rtstep::executor {

// The lateness guard: a late rise whose stepper already has more further steps due than it may bunch
// stops the loop before anything of the write goes out. Records every stepper's largest backlog.
bool StepLoop::check_bunching(const Group& g, int64_t issued) noexcept {
  for (uint32_t i = 0; i < g.count; ++i) {
    if (g.kind[i] != EventKind::kRise) continue;
    Stepper& s = steppers_[g.stepper[i]];
    const uint32_t due = backlog(s, issued);
    s.timing.max_backlog = std::max(s.timing.max_backlog, due);
    if (s.max_bunch == 0 || due <= s.max_bunch) continue;
    outcome_.status = ExecutorStatus::kBunched;
    outcome_.fault_late_ns = issued - g.deadline[i];
    outcome_.fault_backlog = due;
    return fault(FaultReason::kBunched, g.stepper[i], g.deadline[i]);
  }
  return true;
}

// Steps of `s` after its next one whose planned time is already past at `issued`: the lateness over the
// planned interval to the following step (exact at constant speed; within a step or two while the
// interval changes).
uint32_t StepLoop::backlog(const Stepper& s, int64_t issued) const noexcept {
  const int64_t nominal = s.seg.step_time(s.k);
  const int64_t late = issued - nominal;
  if (late <= 0) return 0;
  int64_t interval = 0;
  if (s.k + 1 < s.seg.count) {
    interval = s.seg.step_time(s.k + 1) - nominal;
  } else if (s.queue_size > 0) {
    interval = s.queue[s.queue_head].first_time_ns - nominal;
  }
  if (interval <= 0) return 0;  // no further step known yet
  return static_cast<uint32_t>(std::min<int64_t>(late / interval, UINT32_MAX));
}

// A write or read the backend counted as failed: the pins may not be where the loop believes. Stop.
bool StepLoop::check_io(FaultReason reason, int stepper) noexcept {
  const uint64_t errors = backend_.io_errors();
  if (errors == io_errors_seen_) return true;
  io_errors_seen_ = errors;
  outcome_.status = ExecutorStatus::kGpioFault;
  return fault(reason, stepper, now());
}

// A rising edge already written is a step the position counts: let its pulse reach full width before the
// safe write pulls the pin low, so the driver sees every counted step. At most one pulse width.
void StepLoop::release_pulses() noexcept {
  int64_t latest = INT64_MIN;
  for (uint32_t i = 0; i < stepper_count_; ++i) {
    if (steppers_[i].fall_pending) latest = std::max(latest, steppers_[i].fall_time);
  }
  if (latest == INT64_MIN) return;
  if (config_.virtual_clock) {
    virtual_now_ = std::max(virtual_now_, latest);
    return;
  }
  while (now() < latest) {
  }
}

}  // namespace rtstep::executor

// StepLoop's soft PWM (see executor.hpp): the heater and fan outputs the loop toggles by itself, their
// commands, the max_duration that turns an output off when the host stops renewing it, and the PWM edges a
// write carries. Real-time safe, as the rest of the loop: fixed arrays, arithmetic, no system call.
//
// An output's waveform is a grid of cycles: a cycle starts with the rise at cycle_start and falls at
// cycle_start + on_ns; the next cycle starts cycle_ns later. Times are nominal (the grid never drifts with
// the lateness of a write); after a stall, cycles already over are skipped instead of being caught up.

#include <algorithm>
#include <cstdint>

#include "executor/step_loop.hpp"

namespace rtstep::executor {

int64_t StepLoop::Pwm::next_event() const noexcept {
  const int64_t command = queue_size > 0 ? queue[queue_head].time_ns : INT64_MAX;
  return std::min({command, expires_at, next_edge});
}

// A kPwm record must name a configured output, state that output's cycle and ask for an on time within it.
bool StepLoop::pwm_record(const ipc::PwmCommand& p) noexcept {
  outcome_.fault_value = p.output;
  outcome_.fault_pwm_on_ns = p.on_ns;
  outcome_.fault_pwm_cycle_ns = p.cycle_ns;
  if (p.output >= pwm_count_) return fault(FaultReason::kUnknownPwmOutput, -1, p.time_ns);
  if (p.cycle_ns != pwm_[p.output].cycle_ns || p.on_ns < 0 || p.on_ns > p.cycle_ns) {
    return fault(FaultReason::kBadPwmCommand, -1, p.time_ns);
  }
  if (!ipc::time_in_range(p.time_ns)) return fault(FaultReason::kTimeOutOfRange, -1, p.time_ns);
  return true;
}

bool StepLoop::queue_pwm(const ipc::PwmCommand& p) noexcept {
  Pwm& o = pwm_[p.output];
  if (o.queue_size == kPwmQueue) return false;
  o.queue[(o.queue_head + o.queue_size++) % kPwmQueue] = p;
  refresh_pwm();
  return true;
}

void StepLoop::refresh_pwm() noexcept {
  int64_t next = INT64_MAX;
  for (uint32_t i = 0; i < pwm_count_; ++i) next = std::min(next, pwm_[i].next_event());
  pwm_next_ = next;
}

bool StepLoop::pwm_pending() const noexcept {
  for (uint32_t i = 0; i < pwm_count_; ++i) {
    if (pwm_[i].queue_size > 0) return true;
  }
  return false;
}

// Each output whose first level change falls by `limit` adds that edge to the write (one per output and
// write, so a pulse shorter than the coalescing window still shows). The write is never before an edge's
// nominal time: a write of PWM edges alone is at the latest of them.
void StepLoop::take_pwm(int64_t limit, Group& g) noexcept {
  if (pwm_next_ > limit) return;
  for (uint32_t i = 0; i < pwm_count_; ++i) {
    Pwm& o = pwm_[i];
    if (o.next_event() > limit) continue;
    const int64_t edge = advance_pwm(o, limit);
    if (edge == INT64_MAX) continue;
    (o.level != 0 ? g.high : g.low) |= o.bit;
    g.write_at = std::max(g.write_at, edge);
    g.pwm_output[g.pwm_edges] = static_cast<uint8_t>(i);
    g.pwm_deadline[g.pwm_edges] = edge;
    ++g.pwm_edges;
  }
}

// Runs the output's events in time order (a command, then an expiry, then an edge at the same time) until
// one changes the level; returns that edge's nominal time, or INT64_MAX when none did by `limit`.
int64_t StepLoop::advance_pwm(Pwm& o, int64_t limit) noexcept {
  for (;;) {
    const int64_t command = o.queue_size > 0 ? o.queue[o.queue_head].time_ns : INT64_MAX;
    const int64_t t = o.next_event();
    if (t > limit) return INT64_MAX;
    if (command == t) {
      const ipc::PwmCommand& c = o.queue[o.queue_head];
      o.expires_at = o.max_duration_ns > 0 && c.on_ns > 0 ? c.time_ns + o.max_duration_ns : INT64_MAX;
      set_duty(o, c.on_ns, c.time_ns);
      o.queue_head = (o.queue_head + 1) % kPwmQueue;
      --o.queue_size;
      continue;
    }
    if (o.expires_at == t) {  // the host did not renew the duty in time: off, by the executor's own decision
      o.expires_at = INT64_MAX;
      set_duty(o, 0, t);
      ++outcome_.pwm_expired;
      continue;
    }
    if (o.level == 0) {  // rise: a cycle starts
      o.level = 1;
      o.cycle_start = t;
      o.next_edge = o.on_ns < o.cycle_ns ? t + o.on_ns : INT64_MAX;
    } else {  // fall: low until the next cycle, if the output toggles
      o.level = 0;
      o.next_edge = o.on_ns > 0 ? o.cycle_start + o.cycle_ns : INT64_MAX;
    }
    return t;
  }
}

// The duty becomes on_ns at time t. Steady levels (off, full on) need at most one edge at t. A toggling
// output keeps its grid: a high phase ends at the new on time (at t when that is past), a low phase waits for
// the next cycle. An output that was steady starts its first cycle at t.
void StepLoop::set_duty(Pwm& o, int64_t on_ns, int64_t t) noexcept {
  const bool was_toggling = o.on_ns > 0 && o.on_ns < o.cycle_ns;
  o.on_ns = on_ns;
  if (on_ns == 0) {
    o.next_edge = o.level != 0 ? t : INT64_MAX;
  } else if (on_ns == o.cycle_ns) {
    o.next_edge = o.level != 0 ? INT64_MAX : t;
  } else if (!was_toggling) {
    if (o.level != 0) {
      o.cycle_start = t;
      o.next_edge = t + on_ns;
    } else {
      o.next_edge = t;
    }
  } else if (o.level != 0) {
    o.next_edge = std::max(t, o.cycle_start + on_ns);
  }
}

// After the write at `issued`: a rise whose cycle is already over at `issued` (the loop stalled) moves to the
// first cycle start of the grid after it, so a stall never turns into a burst of pulses. Then the outputs'
// earliest event is recomputed (commands and expiries taken without an edge changed it too).
void StepLoop::pwm_written(const Group& g, int64_t issued) noexcept {
  for (uint32_t i = 0; i < g.pwm_edges; ++i) {
    Pwm& o = pwm_[g.pwm_output[i]];
    if (o.level != 0 || o.next_edge == INT64_MAX || o.next_edge >= issued) continue;
    o.next_edge += (issued - o.next_edge + o.cycle_ns - 1) / o.cycle_ns * o.cycle_ns;
  }
  refresh_pwm();
}

}  // namespace rtstep::executor

// StepLoop's waiting (see step_loop.hpp): absolute-time waits with a learned slack, the heartbeat and the
// host's watch, and the polls of a loop with nothing to serve yet. Real-time safe, as the rest of the loop:
// the clock, the sleep and atomics only.

#include <algorithm>

#include "executor/step_loop.hpp"
#include "executor/step_loop_clock.hpp"

namespace rtstep::executor {

// Absolute-time wait: sleep to t - slack (in slices of at most `slice_ns`, for heartbeats and stop requests),
// then spin on the clock. Returns the clock read that ended the wait (>= t), or a time < t when told to stop.
int64_t StepLoop::wait_until(int64_t t, int64_t slice_ns) noexcept {
  for (;;) {
    const int64_t n = real_now();
    if (n >= t) return n;
    if (stop_.load(std::memory_order_relaxed)) {
      outcome_.status = ExecutorStatus::kStopped;
      return n;
    }
    const int64_t wake = t - slack_ns_;
    if (wake <= n) continue;  // spin
    const int64_t target = std::min(wake, n + slice_ns);
    sleep_until(target);
    const int64_t woke = real_now();
    learn_slack(woke - target);
    if (!housekeeping(woke)) return woke < t ? woke : t - 1;
  }
}

// Windowed quantile: wake-up latencies go into 1-us buckets; every kWakeWindow wake-ups the slack becomes
// the window's p99 + 25 % + a margin (within [kMinSlackNs, max_slack_ns]) and the buckets restart. A rare
// hypervisor hiccup therefore does not make the thread spin for ever after (spinning all the time gets it
// throttled: realtime-facts B.3), while a machine whose wake-ups are slow gets the slack it needs.
void StepLoop::learn_slack(int64_t woke_late_ns) noexcept {
  if (!config_.learn_slack) return;
  const int64_t us = std::max<int64_t>(woke_late_ns, 0) / 1'000;
  ++wake_buckets_[static_cast<std::size_t>(std::min<int64_t>(us, kWakeBuckets - 1))];
  if (++wake_count_ < kWakeWindow) return;
  const uint32_t rank = kWakeWindow - kWakeWindow / 100;  // p99
  uint32_t seen = 0;
  std::size_t bucket = 0;
  for (; bucket < kWakeBuckets; ++bucket) {
    seen += wake_buckets_[bucket];
    if (seen >= rank) break;
  }
  const int64_t p99_ns = static_cast<int64_t>(bucket + 1) * 1'000;
  slack_ns_ = std::clamp(p99_ns + p99_ns / 4 + kSlackMarginNs, kMinSlackNs, std::max(config_.max_slack_ns, kMinSlackNs));
  wake_buckets_.fill(0);
  wake_count_ = 0;
  counters_.slack_ns.store(slack_ns_, std::memory_order_relaxed);
}

// Every ~1 ms of real time: beat, and look at the host's beat and stop request. False: stop now
// (outcome_ says why).
bool StepLoop::housekeeping(int64_t t) noexcept {
  if (t < next_housekeeping_ns_) return true;
  next_housekeeping_ns_ = t + kHousekeepingNs;
  ring_.beat_executor();
  const ipc::StopCause cause = ring_.stop_requested();
  if (cause != ipc::StopCause::kNone) {
    outcome_.status = ExecutorStatus::kStopped;
    outcome_.stop_cause = cause;
    return false;
  }
  if (config_.host_timeout_ns <= 0) return true;
  const uint64_t beats = ring_.host_beats();
  if (beats != host_beats_seen_) {
    host_beats_seen_ = beats;
    host_seen_ns_ = t;
    return true;
  }
  if (t - host_seen_ns_ <= config_.host_timeout_ns) return true;
  outcome_.status = ExecutorStatus::kHostLost;
  outcome_.fault_late_ns = t - host_seen_ns_;
  return fault(FaultReason::kHostLost, -1, host_seen_ns_);
}

// The next deadline is known but records may still come before it: poll the ring, sleeping while the
// deadline is far enough away, spinning when close to it (a late host then costs as little as possible).
void StepLoop::wait_for_host(int64_t deadline) noexcept {
  if (config_.virtual_clock) {
    idle();
    return;
  }
  const int64_t n = real_now();
  if (deadline - slack_ns_ - n > kIdlePollNs) sleep_until(n + kIdlePollNs);
}

// No step or pin command queued (a controller between commands, perhaps holding its heaters at temperature):
// on the real clock the loop sleeps until `until` (a PWM edge's wake-up) or one resting poll, whichever comes
// first; polling every kIdlePollNs instead spends a fifth of a core on wake-ups alone. The heartbeat, the
// host's watch and the stop request are looked at on each wake-up (housekeeping in run()).
void StepLoop::rest(int64_t until) noexcept {
  if (config_.virtual_clock) return idle();
  const int64_t n = real_now();
  sleep_until(std::min(until, n + resting_poll(n)));
}

// A record pushed while the loop rests is read up to one resting poll late. A host restarting after an idle
// spell pushes its first records a lead ahead (resting_poll_for), but one that fell a little behind at the end
// of a move pushes the next with a short lead: so the poll grows with the rest, a quarter of the time since
// the last motion, from kRestingPollNs up to the configured resting_poll_ns.
int64_t StepLoop::resting_poll(int64_t real_now) const noexcept {
  return std::min(config_.resting_poll_ns, std::max(kRestingPollNs, (real_now - last_motion_ns_) / 4));
}

void StepLoop::idle() noexcept {
  sleep_until(real_now() + kIdlePollNs);
  if (config_.virtual_clock) housekeeping_skip_ = kVirtualHousekeepingEvery - 1;  // check on the next turn
}

}  // namespace rtstep::executor

// StepLoop (see step_loop.hpp): read ahead, pick the earliest event, wait for it, write it.

#include "rt/step_loop.hpp"

#include <time.h>

#include <algorithm>

namespace rtstep::rt {

namespace {

// "Long ago" for times that have not happened yet; far from INT64_MIN so adding a margin cannot overflow.
constexpr int64_t kLongAgo = INT64_MIN / 4;
// Record times must lie in [0, kMaxTimeNs) and intervals below kMaxIntervalNs, so that step_time() of any
// valid segment stays far inside int64 (2^62 + 2^20 * 2^40 + 2^20 * 2^39 < 2^63).
constexpr int64_t kMaxTimeNs = int64_t{1} << 62;
constexpr int64_t kMaxIntervalNs = int64_t{1} << 40;
constexpr int64_t kIdlePollNs = 50'000;       // how often an idle loop looks at the ring
constexpr int64_t kMaxSleepNs = 10'000'000;   // longest single sleep, so a stop request is seen soon

constexpr bool time_in_range(int64_t t) noexcept { return t >= 0 && t < kMaxTimeNs; }

void sleep_until(int64_t t) noexcept {
  timespec ts{};
  ts.tv_sec = t / 1'000'000'000;
  ts.tv_nsec = t % 1'000'000'000;
  // EINTR just returns early; every caller re-checks the clock.
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

void sleep_for(int64_t ns) noexcept {
  timespec ts{};
  ts.tv_nsec = ns;
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
}

}  // namespace

StepLoop::StepLoop(const ExecutorConfig& config, ipc::SegmentRing& ring, gpio::Backend& backend,
                   LatencyHistogram& lateness, std::atomic<uint64_t>& steps, const std::atomic<bool>& stop) noexcept
    : config_(config), ring_(ring), backend_(backend), lateness_(lateness), steps_(steps), stop_(stop) {
  stepper_count_ = static_cast<uint32_t>(std::min<std::size_t>(config.steppers.size(), ipc::kMaxSteppers));
  for (uint32_t i = 0; i < stepper_count_; ++i) {
    const StepperOutputs& out = config.steppers[i];
    Stepper& s = steppers_[i];
    s.step_bit = gpio::PinMask{1} << out.step_pin;
    s.dir_bit = gpio::PinMask{1} << out.dir_pin;
    s.enable_bit = out.enable_pin < gpio::kMaxPins ? gpio::PinMask{1} << out.enable_pin : 0;
    s.pulse_ns = out.pulse_ns;
    s.not_before = s.last_fall = s.last_queued_ns = kLongAgo;
    all_step_bits_ |= s.step_bit;
    all_enable_bits_ |= s.enable_bit;
  }
  read_margin_ns_ = config.dir_setup_ns + config.coalesce_ns;
  virtual_now_ = kLongAgo;
}

int64_t StepLoop::now() const noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

LoopOutcome StepLoop::run() noexcept {
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) return finish(ExecutorStatus::kStopped);
    if (!read_ahead()) return finish(ExecutorStatus::kBadRecord);
    const Earliest next = earliest();
    if (next.deadline == INT64_MAX) {
      if (end_of_stream_) return finish(ExecutorStatus::kFinished);
      idle();
      continue;
    }
    if (!end_of_stream_ && !have_lookahead_) {
      // The ring is empty: a record due before this deadline may still come, so it cannot be served yet.
      if (!config_.virtual_clock && now() > next.deadline + config_.underrun_grace_ns) {
        fault(FaultReason::kUnderrun, next.stepper, next.deadline);
        return finish(ExecutorStatus::kUnderrun);
      }
      wait_for_host(next.deadline);
      continue;
    }
    serve(next.deadline);
  }
}

// Pops records until the lookahead lies beyond the next deadline (plus the margin a new segment's dir
// write needs), the ring is empty, or a queue is full. Bounded by the queue capacities.
bool StepLoop::read_ahead() noexcept {
  for (;;) {
    if (!have_lookahead_) {
      if (end_of_stream_) return true;
      if (!ring_.try_pop(lookahead_)) {
        return ring_.corrupted() ? fault(FaultReason::kCorruptedRing, -1, 0) : true;
      }
      if (!validate(lookahead_)) return false;
      ++records_read_;
      if (lookahead_.kind == ipc::RecordKind::kEndOfStream) {
        end_of_stream_ = true;
        return true;
      }
      have_lookahead_ = true;
    }
    const Earliest next = earliest();
    if (next.deadline != INT64_MAX && lookahead_.time_ns() > next.deadline + read_margin_ns_) return true;
    if (!distribute(lookahead_)) return true;
    have_lookahead_ = false;
  }
}

bool StepLoop::validate(const ipc::Record& r) noexcept {
  switch (r.kind) {
    case ipc::RecordKind::kEndOfStream:
      return true;
    case ipc::RecordKind::kSegment: {
      const ipc::StepSegment& s = r.segment;
      if (s.stepper >= stepper_count_) {
        outcome_.fault_value = static_cast<uint32_t>(r.kind);
        return fault(FaultReason::kUnknownStepper, s.stepper, s.first_time_ns);
      }
      if (!ipc::is_valid(s)) return fault(FaultReason::kInvalidSegment, s.stepper, s.first_time_ns);
      if (!time_in_range(s.first_time_ns) || (s.count > 1 && s.interval_ns > kMaxIntervalNs)) {
        return fault(FaultReason::kTimeOutOfRange, s.stepper, s.first_time_ns);
      }
      break;
    }
    case ipc::RecordKind::kPin: {
      const ipc::PinCommand& p = r.pin;
      if (p.stepper >= stepper_count_) {
        outcome_.fault_value = static_cast<uint32_t>(r.kind);
        return fault(FaultReason::kUnknownStepper, p.stepper, p.time_ns);
      }
      if (p.role != ipc::PinRole::kEnable || p.level > 1) return fault(FaultReason::kBadPinCommand, p.stepper, p.time_ns);
      if (!time_in_range(p.time_ns)) return fault(FaultReason::kTimeOutOfRange, p.stepper, p.time_ns);
      break;
    }
    default:
      outcome_.fault_value = static_cast<uint32_t>(r.kind);
      return fault(FaultReason::kUnknownKind, -1, 0);
  }
  const int64_t t = r.time_ns();
  const int stepper = r.kind == ipc::RecordKind::kSegment ? r.segment.stepper : r.pin.stepper;
  if (t < previous_record_ns_) {
    outcome_.fault_other_ns = previous_record_ns_;
    return fault(FaultReason::kTimeBackwards, stepper, t);
  }
  if (r.kind == ipc::RecordKind::kSegment) {
    Stepper& s = steppers_[r.segment.stepper];
    // Segments of one stepper must not overlap: the later one's steps would all come out late.
    if (t <= s.last_queued_ns) {
      outcome_.fault_other_ns = s.last_queued_ns;
      return fault(FaultReason::kOverlap, stepper, t);
    }
    s.last_queued_ns = r.segment.last_time();
  }
  if (records_read_ == 0) outcome_.start_time_ns = t;
  previous_record_ns_ = t;
  return true;
}

bool StepLoop::distribute(const ipc::Record& r) noexcept {
  if (r.kind == ipc::RecordKind::kPin) {
    if (pin_size_ == kPinQueue) return false;
    pins_[(pin_head_ + pin_size_++) % kPinQueue] = r.pin;
    return true;
  }
  Stepper& s = steppers_[r.segment.stepper];
  if (!s.active) {
    start_segment(s, r.segment);
    return true;
  }
  if (s.queue_size == kSegmentQueue) return false;
  s.queue[(s.queue_head + s.queue_size++) % kSegmentQueue] = r.segment;
  return true;
}

void StepLoop::start_segment(Stepper& s, const ipc::StepSegment& seg) noexcept {
  s.seg = seg;
  s.active = true;
  s.k = 0;
  s.dir_pending = seg.dir != s.dir_level;
}

StepLoop::Due StepLoop::due(const Stepper& s) const noexcept {
  if (s.fall_pending) return {EventKind::kFall, s.fall_time};
  if (!s.active) return {};
  if (s.dir_pending) {
    // Aim dir_setup_ns before the first step, but never inside the previous pulse's hold time.
    return {EventKind::kDir, std::max(s.seg.first_time_ns - config_.dir_setup_ns, s.last_fall + config_.dir_hold_ns)};
  }
  return {EventKind::kRise, std::max(s.seg.step_time(s.k), s.not_before)};
}

StepLoop::Earliest StepLoop::earliest() const noexcept {
  Earliest e;
  for (uint32_t i = 0; i < stepper_count_; ++i) {
    const Due d = due(steppers_[i]);
    if (d.kind != EventKind::kNone && d.deadline < e.deadline) e = {d.deadline, static_cast<int>(i)};
  }
  if (pin_size_ > 0 && pins_[pin_head_].time_ns < e.deadline) {
    e = {pins_[pin_head_].time_ns, pins_[pin_head_].stepper};
  }
  return e;
}

// Writes every event due within coalesce_ns of `deadline` in one write, at the group's latest deadline
// so that no edge is early (and no setup or hold time is cut short); the others are at most coalesce_ns late.
void StepLoop::serve(int64_t deadline) noexcept {
  const int64_t horizon = deadline + config_.coalesce_ns;
  gpio::PinMask high = 0, low = 0;
  int64_t write_at = deadline;
  std::array<EventKind, ipc::kMaxSteppers> chosen{};
  for (uint32_t i = 0; i < stepper_count_; ++i) {
    Stepper& s = steppers_[i];
    const Due d = due(s);
    if (d.kind == EventKind::kNone || d.deadline > horizon) continue;
    chosen[i] = d.kind;
    write_at = std::max(write_at, d.deadline);
    if (d.kind == EventKind::kFall) low |= s.step_bit;
    if (d.kind == EventKind::kRise) high |= s.step_bit;
    if (d.kind == EventKind::kDir) (s.seg.dir != 0 ? high : low) |= s.dir_bit;
  }
  uint32_t pins_taken = 0;
  while (pins_taken < pin_size_) {
    const ipc::PinCommand& p = pins_[(pin_head_ + pins_taken) % kPinQueue];
    const gpio::PinMask bit = steppers_[p.stepper].enable_bit;
    // One level per pin per write: a second command for the same pin waits for the next write.
    if (p.time_ns > horizon || (bit & (high | low)) != 0) break;
    (p.level != 0 ? high : low) |= bit;
    write_at = std::max(write_at, p.time_ns);
    ++pins_taken;
  }

  int64_t written_at = 0;
  if (config_.virtual_clock) {
    written_at = virtual_now_ = std::max(write_at, virtual_now_);
    backend_.write(high, low);
  } else {
    if (!wait_until(write_at)) return;  // stop requested: nothing written, run() finishes
    backend_.write(high, low);
    written_at = now();
  }
  ++outcome_.writes;

  for (uint32_t i = 0; i < stepper_count_; ++i) {
    Stepper& s = steppers_[i];
    switch (chosen[i]) {
      case EventKind::kNone:
        break;
      case EventKind::kFall:
        s.fall_pending = false;
        s.last_fall = written_at;
        break;
      case EventKind::kDir:
        s.dir_pending = false;
        s.dir_level = s.seg.dir;
        s.not_before = written_at + config_.dir_setup_ns;
        break;
      case EventKind::kRise:
        lateness_.record(written_at - s.seg.step_time(s.k));
        ++steps_local_;
        s.fall_pending = true;
        s.fall_time = written_at + s.pulse_ns;  // the pulse is full width even when the rise was late
        if (++s.k == s.seg.count) {
          s.active = false;
          if (s.queue_size > 0) {
            start_segment(s, s.queue[s.queue_head]);
            s.queue_head = (s.queue_head + 1) % kSegmentQueue;
            --s.queue_size;
          }
        }
        break;
    }
  }
  pin_head_ = (pin_head_ + pins_taken) % kPinQueue;
  pin_size_ -= pins_taken;
  steps_.store(steps_local_, std::memory_order_relaxed);
}

// Absolute-time wait: sleep to t - slack_ns (in slices, to notice a stop request), then spin on the clock.
bool StepLoop::wait_until(int64_t t) noexcept {
  for (;;) {
    const int64_t n = now();
    if (n >= t) return true;
    if (stop_.load(std::memory_order_relaxed)) return false;
    const int64_t wake = t - config_.slack_ns;
    if (wake > n) sleep_until(std::min(wake, n + kMaxSleepNs));
  }
}

// The next deadline is known but records may still come before it: poll the ring, sleeping while the
// deadline is far enough away, spinning when close to it (a late host then costs as little as possible).
void StepLoop::wait_for_host(int64_t deadline) noexcept {
  if (config_.virtual_clock) {
    idle();
    return;
  }
  const int64_t n = now();
  if (deadline - config_.slack_ns - n > kIdlePollNs) sleep_until(n + kIdlePollNs);
}

void StepLoop::idle() noexcept { sleep_for(kIdlePollNs); }

bool StepLoop::fault(FaultReason reason, int stepper, int64_t time_ns) noexcept {
  outcome_.reason = reason;
  outcome_.fault_stepper = stepper;
  outcome_.fault_time_ns = time_ns;
  outcome_.fault_record = records_read_;
  return false;
}

LoopOutcome StepLoop::finish(ExecutorStatus status) noexcept {
  // Safe state on every exit: step pins low, enable pins released, in one write.
  backend_.write(0, all_step_bits_ | all_enable_bits_);
  ++outcome_.writes;
  steps_.store(steps_local_, std::memory_order_relaxed);
  outcome_.status = status;
  return outcome_;
}

}  // namespace rtstep::rt

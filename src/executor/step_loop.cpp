// StepLoop (see step_loop.hpp): read ahead, pick the earliest event, wait for it, write it.

#include "executor/step_loop.hpp"
#include "executor/step_loop_clock.hpp"

#include <algorithm>

namespace rtstep::executor {

namespace {

// "Long ago" for times that have not happened yet; far from INT64_MIN so adding a margin cannot overflow.
constexpr int64_t kLongAgo = INT64_MIN / 4;
constexpr int64_t kStallGapNs = 10'000'000;     // late writes closer than this belong to one stall

void store(std::atomic<uint64_t>& a, uint64_t v) noexcept { a.store(v, std::memory_order_relaxed); }
void store(std::atomic<int64_t>& a, int64_t v) noexcept { a.store(v, std::memory_order_relaxed); }

}  // namespace

// ---- EventTree ----

EventTree::EventTree() noexcept {
  key_.fill(INT64_MAX);
  for (uint32_t l = 0; l < kLeaves; ++l) node_[kLeaves + l] = static_cast<uint8_t>(l);
  for (uint32_t i = kLeaves - 1; i >= 1; --i) node_[i] = node_[2 * i];
}

void EventTree::set(uint32_t leaf, int64_t key) noexcept {
  key_[leaf] = key;
  for (uint32_t i = (kLeaves + leaf) / 2; i >= 1; i /= 2) {
    const uint8_t a = node_[2 * i], b = node_[2 * i + 1];
    node_[i] = key_[b] < key_[a] ? b : a;  // ties go to the lower index (left)
  }
}

// ---- StepLoop ----

StepLoop::StepLoop(const ExecutorConfig& config, ipc::SegmentRing& ring, gpio::Backend& backend,
                   rt::LatencyHistogram& lateness, ExecutorCounters& counters, const std::atomic<bool>& stop) noexcept
    : config_(config), ring_(ring), backend_(backend), lateness_(lateness), counters_(counters), stop_(stop) {
  stepper_count_ = static_cast<uint32_t>(std::min<std::size_t>(config.steppers.size(), ipc::kMaxSteppers));
  for (uint32_t i = 0; i < stepper_count_; ++i) {
    const StepperOutputs& out = config.steppers[i];
    Stepper& s = steppers_[i];
    s.step_bit = gpio::PinMask{1} << out.step_pin;
    s.dir_bit = gpio::PinMask{1} << out.dir_pin;
    s.enable_bit = out.enable_pin < gpio::kMaxPins ? gpio::PinMask{1} << out.enable_pin : 0;
    s.pulse_ns = out.pulse_ns;
    s.max_bunch = out.max_bunch_steps;
    s.not_before = s.last_fall = s.last_queued_ns = kLongAgo;
    all_step_bits_ |= s.step_bit;
    all_enable_bits_ |= s.enable_bit;
  }
  pwm_count_ = static_cast<uint32_t>(std::min<std::size_t>(config.pwm_outputs.size(), ipc::kMaxPwmOutputs));
  for (uint32_t i = 0; i < pwm_count_; ++i) {
    const PwmOutput& out = config.pwm_outputs[i];
    pwm_[i].bit = gpio::PinMask{1} << out.pin;
    pwm_[i].cycle_ns = out.cycle_ns;
    pwm_[i].max_duration_ns = out.max_duration_ns;
    all_pwm_bits_ |= pwm_[i].bit;
    if (out.on_at_stop) pwm_on_at_stop_bits_ |= pwm_[i].bit;
  }
  read_margin_ns_ = config.dir_setup_ns + config.coalesce_ns;
  virtual_now_ = kLongAgo;
  slack_ns_ = std::clamp(config.slack_ns, kMinSlackNs, std::max(config.max_slack_ns, config.slack_ns));
  if (!config.learn_slack) slack_ns_ = config.slack_ns;
  store(counters_.slack_ns, slack_ns_);
}

int64_t StepLoop::now() const noexcept { return config_.virtual_clock ? virtual_now_ : real_now(); }

LoopOutcome StepLoop::run() noexcept {
  host_seen_ns_ = real_now();
  // Records already due when the loop starts were late before it could look: underruns too.
  if (!config_.virtual_clock) last_empty_ns_ = host_seen_ns_;
  last_motion_ns_ = host_seen_ns_;
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) return finish(ExecutorStatus::kStopped);
    const bool check = !config_.virtual_clock || ++housekeeping_skip_ % kVirtualHousekeepingEvery == 0;
    if (check && !housekeeping(real_now())) return finish(outcome_.status);
    if (!read_ahead()) return finish(outcome_.status);
    // At the end of the stream the loop ends once the motion and every PWM command read are done; the PWM
    // outputs do not keep it running on their own.
    if (end_of_stream_ && tree_.min_key() == INT64_MAX && !pwm_pending()) return finish(ExecutorStatus::kFinished);
    const Earliest next = earliest();
    if (next.deadline == INT64_MAX) {
      rest(INT64_MAX);
      continue;
    }
    if (next.pwm && !end_of_stream_ && !have_lookahead_ && !host_covers(next.deadline)) {
      // A PWM edge the host has not covered: the output keeps its duty while the host is idle (real clock).
      // Until the edge is close, look at the ring again, as a record before it may still come: at the idle
      // poll while steps are queued (the host is streaming), at the resting pace when none are.
      const int64_t wake = next.deadline - slack_ns_ - kIdlePollNs;
      if (config_.virtual_clock || real_now() < wake) {
        if (tree_.min_key() == INT64_MAX) rest(wake);
        else wait_for_host(next.deadline);
        continue;
      }
    } else if (!end_of_stream_ && !have_lookahead_ && !host_covers(next.deadline)) {
      // The ring is empty: a record due before this deadline may still come, so it cannot be served yet.
      const int64_t late = config_.virtual_clock ? 0 : real_now() - next.deadline;
      if (late > config_.underrun_grace_ns) {
        outcome_.fault_late_ns = late;
        fault(FaultReason::kUnderrun, next.stepper, next.deadline);
        return finish(ExecutorStatus::kUnderrun);
      }
      wait_for_host(next.deadline);
      continue;
    }
    if (!serve(next.deadline)) return finish(outcome_.status);
  }
}

// Nothing at or before `deadline` is still to come: the host promised it (its horizon), or a record read
// already lies beyond it (records come in time order; a homing move's disarm ends the move this way).
bool StepLoop::host_covers(int64_t deadline) const noexcept {
  return std::max(horizon_before_empty_, previous_record_ns_) >= deadline + read_margin_ns_;
}

// Pops records until the lookahead lies beyond the next deadline (plus the margin a new segment's dir
// write needs), the ring is empty, or a queue is full. Bounded by the queue capacities.
bool StepLoop::read_ahead() noexcept {
  for (;;) {
    if (!have_lookahead_) {
      if (end_of_stream_) return true;
      const int64_t horizon = ring_.horizon();  // before the pop: see horizon_before_empty_
      if (!ring_.try_pop(lookahead_)) {
        horizon_before_empty_ = horizon;
        if (!config_.virtual_clock) last_empty_ns_ = real_now();
        if (!ring_.corrupted()) return true;
        outcome_.status = ExecutorStatus::kBadRecord;
        return fault(FaultReason::kCorruptedRing, -1, 0);
      }
      if (!validate(lookahead_)) {
        if (lookahead_.line != 0) outcome_.fault_line = lookahead_.line;  // a bad record names its own line
        return false;
      }
      ++records_read_;
      if (lookahead_.kind == ipc::RecordKind::kEndOfStream) {
        end_of_stream_ = true;
        return true;
      }
      if (!check_arrival(lookahead_)) return false;
      have_lookahead_ = true;
    }
    const Earliest next = earliest();
    if (next.deadline != INT64_MAX && lookahead_.time_ns() > next.deadline + read_margin_ns_) return true;
    if (!distribute(lookahead_)) return true;
    have_lookahead_ = false;
  }
}

// A record that was still missing from the ring when the executor looked, after its own time plus the
// margin, is an underrun: the host fell behind, and serving it now would shift the motion. (A record that
// sat in the ring while the executor itself stalled is not the host's fault: the stall report covers it.)
// Real clock only.
bool StepLoop::check_arrival(const ipc::Record& r) noexcept {
  if (config_.virtual_clock || r.kind == ipc::RecordKind::kPwm) return true;  // a late duty applies when read
  if (last_empty_ns_ - r.time_ns() <= config_.underrun_grace_ns) return true;
  const int64_t late = real_now() - r.time_ns();
  outcome_.status = ExecutorStatus::kUnderrun;
  outcome_.fault_late_ns = late;
  outcome_.fault_line = r.line;
  return fault(FaultReason::kUnderrun, r.kind == ipc::RecordKind::kSegment ? r.segment.stepper : r.pin.stepper, r.time_ns());
}

bool StepLoop::validate(const ipc::Record& r) noexcept {
  outcome_.status = ExecutorStatus::kBadRecord;  // only read when this returns false
  switch (r.kind) {
    case ipc::RecordKind::kEndOfStream:
      return true;
    case ipc::RecordKind::kSegment: {
      const ipc::StepSegment& s = r.segment;
      if (s.stepper >= stepper_count_) {
        outcome_.fault_value = static_cast<uint32_t>(r.kind);
        return fault(FaultReason::kUnknownStepper, s.stepper, s.first_time_ns);
      }
      if (!ipc::time_in_range(s.first_time_ns)) return fault(FaultReason::kTimeOutOfRange, s.stepper, s.first_time_ns);
      if (!ipc::is_valid(s)) return fault(FaultReason::kInvalidSegment, s.stepper, s.first_time_ns);
      break;
    }
    case ipc::RecordKind::kPin: {
      const ipc::PinCommand& p = r.pin;
      if (p.stepper >= stepper_count_) {
        outcome_.fault_value = static_cast<uint32_t>(r.kind);
        return fault(FaultReason::kUnknownStepper, p.stepper, p.time_ns);
      }
      if (p.role == ipc::PinRole::kEndstop) {
        if (!endstop_record(p)) return fault(FaultReason::kBadPinCommand, p.stepper, p.time_ns);
      } else if (p.role != ipc::PinRole::kEnable || p.level > 1) {
        return fault(FaultReason::kBadPinCommand, p.stepper, p.time_ns);
      }
      if (!ipc::time_in_range(p.time_ns)) return fault(FaultReason::kTimeOutOfRange, p.stepper, p.time_ns);
      break;
    }
    case ipc::RecordKind::kPwm:
      if (!pwm_record(r.pwm)) return false;
      break;
    default:
      outcome_.fault_value = static_cast<uint32_t>(r.kind);
      return fault(FaultReason::kUnknownKind, -1, 0);
  }
  // A soft-PWM duty applies from its time, or when read if that is past: it need not follow the other records'
  // time order (a heater's command comes now, while a homing move's records already reach seconds ahead), only
  // its own output's, and it says nothing of what is still to come (previous_record_ns_ is not moved).
  if (r.kind == ipc::RecordKind::kPwm) {
    const Pwm& o = pwm_[r.pwm.output];
    if (o.queue_size > 0 && r.pwm.time_ns < o.queue[(o.queue_head + o.queue_size - 1) % kPwmQueue].time_ns) {
      outcome_.fault_other_ns = o.queue[(o.queue_head + o.queue_size - 1) % kPwmQueue].time_ns;
      return fault(FaultReason::kTimeBackwards, -1, r.pwm.time_ns);
    }
    return true;
  }
  const int64_t t = r.time_ns();
  const int stepper = r.kind == ipc::RecordKind::kSegment ? r.segment.stepper
                      : r.kind == ipc::RecordKind::kPin   ? r.pin.stepper
                                                          : -1;
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
  if (outcome_.start_time_ns == 0) outcome_.start_time_ns = t;  // the first record that is not a PWM command
  previous_record_ns_ = t;
  return true;
}

bool StepLoop::distribute(const ipc::Record& r) noexcept {
  if (r.kind == ipc::RecordKind::kPwm) return queue_pwm(r.pwm);
  if (r.kind == ipc::RecordKind::kPin && r.pin.role == ipc::PinRole::kEndstop) {
    const ipc::PinCommand& p = r.pin;
    const uint32_t bit = 1U << p.stepper;
    if (p.level > 0) {
      if (!homing_.active) {
        homing_ = Homing{};
        homing_.active = true;
        homing_.arm_ns = p.time_ns;
      }
      homing_.armed |= bit;
      homing_.input[p.stepper] = static_cast<uint8_t>(p.level - 1);
    } else {
      homing_.disarmed |= bit;
      homing_.halted &= ~bit;
      maybe_report();
    }
    return true;
  }
  if (r.kind == ipc::RecordKind::kSegment && (homing_.halted >> r.segment.stepper & 1U) != 0) {
    return true;  // a step of a stepper stopped by its endstop: dropped, as the rest of its homing move
  }
  if (r.kind == ipc::RecordKind::kPin) {
    if (pin_size_ == kPinQueue) return false;
    pins_[(pin_head_ + pin_size_++) % kPinQueue] = r.pin;
    refresh_pins();
    return true;
  }
  const uint32_t index = r.segment.stepper;
  Stepper& s = steppers_[index];
  if (!s.active) {
    start_segment(index, r.segment, r.line);
    return true;
  }
  if (s.queue_size == kSegmentQueue) return false;
  const uint32_t slot = (s.queue_head + s.queue_size++) % kSegmentQueue;
  s.queue[slot] = r.segment;
  s.queue_line[slot] = r.line;
  return true;
}

void StepLoop::start_segment(uint32_t index, const ipc::StepSegment& seg, uint32_t line) noexcept {
  Stepper& s = steppers_[index];
  s.seg = seg;
  s.line = line;
  s.active = true;
  s.k = 0;
  s.dir_pending = seg.dir != s.dir_level;
  refresh(index);
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

void StepLoop::refresh(uint32_t stepper) noexcept { tree_.set(stepper, due(steppers_[stepper]).deadline); }

void StepLoop::refresh_pins() noexcept { tree_.set(kPinLeaf, pin_size_ > 0 ? pins_[pin_head_].time_ns : INT64_MAX); }

StepLoop::Earliest StepLoop::earliest() const noexcept {
  const uint32_t leaf = tree_.winner();
  const int64_t deadline = tree_.key(leaf);
  if (pwm_next_ < deadline) return {pwm_next_, -1, true};  // a tie goes to the steps
  if (deadline == INT64_MAX) return {};
  return {deadline, leaf == kPinLeaf ? static_cast<int>(pins_[pin_head_].stepper) : static_cast<int>(leaf)};
}

// Collects every event due within coalesce_ns of `deadline` (the earliest) into one write, taking each
// chosen leaf out of the tree until the write is done. The write happens at the group's latest deadline,
// so no edge is early and no setup or hold time is cut short; the others are at most coalesce_ns late.
void StepLoop::gather(int64_t deadline, Group& g) noexcept {
  const int64_t horizon = deadline + config_.coalesce_ns;
  g.write_at = deadline;
  bool pins_seen = false;
  while (tree_.min_key() <= horizon) {
    const uint32_t leaf = tree_.winner();
    if (leaf == kPinLeaf) {
      if (!pins_seen) take_pins(horizon, g);
      pins_seen = true;
      tree_.set(kPinLeaf, INT64_MAX);
      continue;
    }
    Stepper& s = steppers_[leaf];
    const Due d = due(s);
    g.stepper[g.count] = static_cast<uint8_t>(leaf);
    g.kind[g.count] = d.kind;
    // Lateness is judged against the nominal time: a rise held back by dir setup counts as late.
    g.deadline[g.count] = d.kind == EventKind::kRise ? s.seg.step_time(s.k) : d.deadline;
    ++g.count;
    g.write_at = std::max(g.write_at, d.deadline);
    if (d.kind == EventKind::kFall) g.low |= s.step_bit;
    if (d.kind == EventKind::kRise) g.high |= s.step_bit;
    if (d.kind == EventKind::kDir) (s.seg.dir != 0 ? g.high : g.low) |= s.dir_bit;
    tree_.set(leaf, INT64_MAX);
  }
  // PWM edges ride along when due by the steps' write; alone, they coalesce among themselves.
  take_pwm(g.has_motion() ? g.write_at : horizon, g);
}

void StepLoop::take_pins(int64_t horizon, Group& g) noexcept {
  while (g.pins_taken < pin_size_) {
    const ipc::PinCommand& p = pins_[(pin_head_ + g.pins_taken) % kPinQueue];
    const gpio::PinMask bit = steppers_[p.stepper].enable_bit;
    // One level per pin per write: a second command for the same pin waits for the next write.
    if (p.time_ns > horizon || (bit & (g.high | g.low)) != 0) break;
    (p.level != 0 ? g.high : g.low) |= bit;
    g.write_at = std::max(g.write_at, p.time_ns);
    ++g.pins_taken;
  }
}

bool StepLoop::serve(int64_t deadline) noexcept {
  Group g;
  gather(deadline, g);
  int64_t issued = 0;
  if (config_.virtual_clock) {
    issued = virtual_now_ = std::max(g.write_at, virtual_now_);
  } else {
    // A write of PWM edges alone with no motion queued waits at the resting pace: the record that could come
    // before its time was read already (a record read lies beyond it, or the host covered it, or run() rested
    // until it was close), so only the heartbeat and the stop request set the pace. Anything else: kMaxSleepNs.
    const bool resting = !g.has_motion() && tree_.min_key() == INT64_MAX;
    issued = wait_until(g.write_at, resting ? resting_poll(real_now()) : kMaxSleepNs);
    if (issued < g.write_at) return false;  // stopped or host lost while waiting: nothing written
    const int64_t late = issued - g.write_at;
    if (g.has_motion() && config_.max_lateness_ns > 0 && late > config_.max_lateness_ns) {
      // Writing now would put out edges (and, after a stall, a burst of them) far from their time.
      outcome_.status = ExecutorStatus::kTooLate;
      outcome_.fault_late_ns = late;
      return fault(FaultReason::kTooLate, g.count > 0 ? g.stepper[0] : -1, g.write_at);
    }
  }
  if (!check_bunching(g, issued)) return false;
  if (homing_.active && homing_.tripped != homing_.armed && !sample_endstop(g)) return false;
  if (g.has_motion()) last_motion_ns_ = issued;
  if ((g.high | g.low) != 0) {
    backend_.write(g.high, g.low, g.write_at, issued);
    ++outcome_.writes;
    if (!check_io(FaultReason::kGpioWrite, g.count > 0 ? g.stepper[0] : -1)) return false;
  }
  apply(g, issued);
  account(g, issued);
  return true;
}

// Moves every stepper of the group past the event just written and puts it back into the tree.
void StepLoop::apply(const Group& g, int64_t issued) noexcept {
  for (uint32_t i = 0; i < g.count; ++i) {
    advance(steppers_[g.stepper[i]], g.stepper[i], g.kind[i], issued);
    refresh(g.stepper[i]);
  }
  if (g.pins_taken > 0) {
    pin_head_ = (pin_head_ + g.pins_taken) % kPinQueue;
    pin_size_ -= g.pins_taken;
  }
  refresh_pins();
  pwm_written(g, issued);
  if (homing_.active) maybe_report();
}

void StepLoop::advance(Stepper& s, uint32_t index, EventKind kind, int64_t issued) noexcept {
  switch (kind) {
    case EventKind::kNone:
      break;
    case EventKind::kFall:
      s.fall_pending = false;
      s.last_fall = issued;
      // The low time is at least the pulse width: after a stall the missed steps come out late (and are
      // counted), never as a burst faster than the driver can see.
      s.not_before = std::max(s.not_before, issued + s.pulse_ns);
      break;
    case EventKind::kDir:
      s.dir_pending = false;
      s.dir_level = s.seg.dir;
      s.not_before = issued + config_.dir_setup_ns;
      break;
    case EventKind::kRise: {
      const int64_t nominal = s.seg.step_time(s.k);
      if (s.steps > 0) {
        const int64_t interval = issued - s.last_rise_issued;
        if (s.steps == 1 || interval < s.timing.shortest_interval_ns) {
          s.timing.shortest_interval_ns = interval;
          s.timing.planned_interval_ns = nominal - s.last_rise_nominal;
        }
      }
      s.last_rise_issued = issued;
      s.last_rise_nominal = nominal;
      ++steps_local_;
      ++s.steps;
      s.position += s.dir_level != 0 ? 1 : -1;
      s.fall_pending = true;
      s.fall_time = issued + s.pulse_ns;  // the pulse is full width even when the rise was late
      if (++s.k == s.seg.count) {
        s.active = false;
        if (s.queue_size > 0) {
          const ipc::StepSegment next = s.queue[s.queue_head];
          const uint32_t line = s.queue_line[s.queue_head];
          s.queue_head = (s.queue_head + 1) % kSegmentQueue;
          --s.queue_size;
          start_segment(index, next, line);
        }
      }
      break;
    }
  }
}

// Lateness of every edge of the write, late edges, stall episodes; then the counters other threads read.
void StepLoop::account(const Group& g, int64_t issued) noexcept {
  const auto record = [&](int64_t deadline) {
    const int64_t late = issued - deadline;
    lateness_.record(late);
    ++edges_local_;
    if (late > config_.late_threshold_ns) ++late_local_;
  };
  for (uint32_t i = 0; i < g.count; ++i) {
    if (g.kind[i] != EventKind::kNone) record(g.deadline[i]);  // kNone: a step the endstop forbade
  }
  for (uint32_t i = 0; i < g.pins_taken; ++i) record(g.write_at);
  for (uint32_t i = 0; i < g.pwm_edges; ++i) record(g.pwm_deadline[i]);
  // A stall episode: writes later than the threshold, each within kStallGapNs of the previous one (the
  // edges due during the hole, written as the loop catches up; falls timed from late rises are on time).
  const int64_t group_late = issued - g.write_at;
  if (group_late > config_.stall_threshold_ns) {
    if (issued - last_stall_write_ns_ > kStallGapNs) {
      if (stalls_local_ == 0) outcome_.first_stall_ns = g.write_at;
      ++stalls_local_;
    }
    last_stall_write_ns_ = issued;
    longest_stall_ = std::max(longest_stall_, group_late);
    store(counters_.stalls, stalls_local_);
    store(counters_.longest_stall_ns, longest_stall_);
  }
  store(counters_.steps, steps_local_);
  store(counters_.edges, edges_local_);
  store(counters_.late_edges, late_local_);
}

bool StepLoop::fault(FaultReason reason, int stepper, int64_t time_ns) noexcept {
  outcome_.reason = reason;
  outcome_.fault_stepper = stepper;
  outcome_.fault_time_ns = time_ns;
  outcome_.fault_record = records_read_;
  // The line of the stepper's segment (a bad record or a late one names its own instead).
  if (outcome_.fault_line == 0 && stepper >= 0 && static_cast<uint32_t>(stepper) < stepper_count_) {
    outcome_.fault_line = steppers_[stepper].line;
  }
  return false;
}

LoopOutcome StepLoop::finish(ExecutorStatus status) noexcept {
  // Safe state on every exit: step pins low (each pulse at full width), enable pins released, heaters and
  // fans off except the fans that must run on (a heater_fan cooling a hot end), in one write.
  release_pulses();
  const int64_t t = now();
  backend_.write(pwm_on_at_stop_bits_, all_step_bits_ | all_enable_bits_ | (all_pwm_bits_ & ~pwm_on_at_stop_bits_), t, t);
  ++outcome_.writes;
  store(counters_.steps, steps_local_);
  store(counters_.edges, edges_local_);
  store(counters_.late_edges, late_local_);
  for (uint32_t i = 0; i < stepper_count_; ++i) {
    outcome_.positions[i] = steppers_[i].position;
    outcome_.stepper_steps[i] = steppers_[i].steps;
    outcome_.timing[i] = steppers_[i].timing;
  }
  outcome_.status = status;
  return outcome_;
}

}  // namespace rtstep::executor

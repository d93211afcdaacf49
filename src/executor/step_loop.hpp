#pragma once
// StepLoop: the executor's real-time loop and all its state (private to rt; StepExecutor runs it).
//
// State is fixed-size (arrays sized by kMaxSteppers and small FIFOs), built before the loop starts, so
// run() never allocates. Per stepper: the current segment and the index k of its next step, whether a
// falling edge is pending, the dir level written last, and a FIFO of the segments that follow.
// One record (the lookahead) is held outside the FIFOs: it is how the loop knows it has read every
// record up to a time without taking records it has no room for.
//
// Event order per stepper is fixed by construction, so at most one of its events is eligible at a time:
// a pending falling edge first; then, for a new segment whose dir differs, the dir write (not before the
// last falling edge + dir_hold_ns, aimed at first step - dir_setup_ns); then the rising edge of step k
// (not before the dir write + dir_setup_ns). A rule that holds a step back makes it late, and the
// lateness histogram shows it; nothing is reordered or dropped.
//
// The earliest event over all steppers (and the pin-command queue) comes from a tournament tree
// (EventTree): O(1) to read, O(log n) to update one stepper's next deadline. The soft-PWM outputs keep their
// own earliest event (pwm_next_, a scan over at most kMaxPwmOutputs when one of them changes), outside the
// tree, so a write can take the step events first and the PWM edges already due after them
// (step_loop_pwm.cpp).

#include <array>
#include <atomic>
#include <cstdint>

#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "executor/executor.hpp"
#include "rt/histogram.hpp"

namespace rtstep::executor {

// Why the loop stopped with a fault; turned into text outside the loop.
enum class FaultReason : uint8_t {
  kNone,
  kUnderrun,
  kCorruptedRing,
  kUnknownKind,
  kUnknownStepper,
  kInvalidSegment,
  kTimeOutOfRange,
  kTimeBackwards,
  kOverlap,
  kBadPinCommand,
  kUnknownPwmOutput,
  kBadPwmCommand,
  kTooLate,
  kHostLost,
  kBunched,
  kGpioWrite,
  kGpioRead,
};

struct LoopOutcome {
  ExecutorStatus status = ExecutorStatus::kRunning;
  FaultReason reason = FaultReason::kNone;
  ipc::StopCause stop_cause = ipc::StopCause::kNone;  // kStopped through the ring
  int fault_stepper = -1;
  int64_t fault_time_ns = 0;     // the deadline not served / the offending record's time
  int64_t fault_late_ns = 0;     // underrun / too late / bunched / host lost: by how much
  uint32_t fault_backlog = 0;    // bunched: steps due at once
  uint32_t fault_line = 0;       // G-code line of the fault's segment or record (0 = none)
  int64_t fault_other_ns = 0;    // time backwards: the previous record's time; overlap: previous last step
  uint64_t fault_record = 0;     // 0-based index of the offending record in the stream
  uint32_t fault_value = 0;      // unknown kind / unknown stepper: the record's kind value; PWM: the output
  int64_t fault_pwm_on_ns = 0, fault_pwm_cycle_ns = 0;  // bad PWM command: its on time and cycle
  int64_t start_time_ns = 0;     // the first record's time: the origin of the job's timeline
  int64_t first_stall_ns = 0;    // deadline of the first write of the first stall episode
  uint64_t writes = 0;
  std::array<int64_t, ipc::kMaxSteppers> positions{};       // per stepper: signed steps written
  std::array<uint64_t, ipc::kMaxSteppers> stepper_steps{};  // per stepper: rising edges written
  std::array<StepperTiming, ipc::kMaxSteppers> timing{};     // per stepper: intervals as written
  uint32_t homing_moves = 0;     // homing reports published
  uint32_t pwm_expired = 0;      // PWM outputs turned off for want of renewal (max_duration)
};

// Min-tournament over up to kLeaves keys: winner() is the leaf with the smallest key (ties: lowest
// index). Real-time safe, fixed size.
class EventTree {
 public:
  static constexpr uint32_t kLeaves = 32;  // >= kMaxSteppers + 1 (the pin queue), power of two
  EventTree() noexcept;
  void set(uint32_t leaf, int64_t key) noexcept;  // O(log kLeaves)
  uint32_t winner() const noexcept { return node_[1]; }
  int64_t key(uint32_t leaf) const noexcept { return key_[leaf]; }
  int64_t min_key() const noexcept { return key_[node_[1]]; }

 private:
  std::array<int64_t, kLeaves> key_{};
  std::array<uint8_t, 2 * kLeaves> node_{};  // node_[i]: winning leaf of subtree i; leaves at kLeaves + l
};

class StepLoop {
 public:
  StepLoop(const ExecutorConfig& config, ipc::SegmentRing& ring, gpio::Backend& backend,
           rt::LatencyHistogram& lateness, ExecutorCounters& counters, const std::atomic<bool>& stop) noexcept;
  // Runs until end of stream, a fault or a stop request; always leaves step pins low and enable pins
  // inactive. Real-time safe.
  LoopOutcome run() noexcept;

  static constexpr uint32_t kSegmentQueue = 8;  // segments queued per stepper behind the current one
  static constexpr uint32_t kPinQueue = 16;     // pin commands waiting for their time
  static constexpr uint32_t kPinLeaf = ipc::kMaxSteppers;  // EventTree leaf of the pin-command queue
  static constexpr uint32_t kPwmQueue = 4;      // PWM commands per output waiting for their time

 private:
  enum class EventKind : uint8_t { kNone, kFall, kDir, kRise };
  struct Due {
    EventKind kind = EventKind::kNone;
    int64_t deadline = INT64_MAX;
  };
  struct Stepper {
    gpio::PinMask step_bit = 0, dir_bit = 0, enable_bit = 0;  // enable_bit 0: no enable pin
    int64_t pulse_ns = 0;
    ipc::StepSegment seg{};  // current segment, valid when active
    uint32_t line = 0;       // G-code line of seg
    bool active = false;
    uint32_t k = 0;          // next step of seg
    bool dir_pending = false;
    uint8_t dir_level = 0;   // dir pin level as last written (configure leaves it at 0)
    int64_t not_before = 0;  // earliest write time of the next rising edge (dir setup)
    bool fall_pending = false;
    int64_t fall_time = 0;
    int64_t last_fall = 0;        // when the last falling edge was written
    int64_t last_queued_ns = 0;   // last step time of the newest segment accepted (overlap check)
    std::array<ipc::StepSegment, kSegmentQueue> queue{};
    std::array<uint32_t, kSegmentQueue> queue_line{};  // G-code line of each queued segment
    uint32_t queue_head = 0, queue_size = 0;
    uint32_t max_bunch = 0;  // lateness guard bound (StepperOutputs::max_bunch_steps); 0 = off
    int64_t position = 0;    // signed steps written
    uint64_t steps = 0;      // rising edges written
    int64_t last_rise_issued = 0, last_rise_nominal = 0;  // the previous rising edge: written at, planned at
    StepperTiming timing{};
  };
  // The homing move in progress (ipc::PinRole::kEndstop records), at most one at a time. Each armed stepper
  // names its own input: the steppers of one axis may home on one switch or, each on its own, on several
  // (stepper_z and stepper_z1 with their own endstop_pin); each stops when its own input trips.
  struct Homing {
    bool active = false;
    uint32_t armed = 0;      // bit per armed stepper
    uint32_t disarmed = 0;   // bit per armed stepper whose disarm has been read
    uint32_t tripped = 0;    // bit per armed stepper stopped by its input
    uint32_t halted = 0;     // tripped, not yet disarmed: its steps are dropped until the disarm
    std::array<uint8_t, ipc::kMaxSteppers> input{};  // per armed stepper: its input
    int64_t arm_ns = 0;      // steps at or after this time are sampled
    int64_t trip_ns = 0;     // the latest trip: deadline of the first step not written
  };
  // One soft-PWM output (step_loop_pwm.cpp). Its events, in time order (ties in this order): the next queued
  // command, the expiry of the duty in force, the next edge of its waveform.
  struct Pwm {
    gpio::PinMask bit = 0;
    int64_t cycle_ns = 0, max_duration_ns = 0;
    int64_t on_ns = 0;                // duty in force: high time per cycle
    int64_t expires_at = INT64_MAX;   // the duty ends here unless renewed (INT64_MAX: never)
    uint8_t level = 0;                // the pin as the loop last decided it
    int64_t cycle_start = 0;          // nominal time of the current cycle's rise, while toggling
    int64_t next_edge = INT64_MAX;    // nominal time of the next level change (INT64_MAX: steady)
    std::array<ipc::PwmCommand, kPwmQueue> queue{};
    uint32_t queue_head = 0, queue_size = 0;
    int64_t next_event() const noexcept;
  };
  struct Earliest {
    int64_t deadline = INT64_MAX;  // INT64_MAX: nothing pending
    int stepper = -1;
    bool pwm = false;              // a soft-PWM output's event (stepper -1)
  };
  // One write being assembled by serve().
  struct Group {
    gpio::PinMask high = 0, low = 0;
    int64_t write_at = 0;
    uint32_t count = 0;
    std::array<uint8_t, ipc::kMaxSteppers> stepper{};
    std::array<EventKind, ipc::kMaxSteppers> kind{};
    std::array<int64_t, ipc::kMaxSteppers> deadline{};
    uint32_t pins_taken = 0;
    uint32_t pwm_edges = 0;  // soft-PWM edges in this write, their outputs and nominal times
    std::array<uint8_t, ipc::kMaxPwmOutputs> pwm_output{};
    std::array<int64_t, ipc::kMaxPwmOutputs> pwm_deadline{};
    bool has_motion() const noexcept { return count > 0 || pins_taken > 0; }
  };

  Due due(const Stepper& s) const noexcept;
  Earliest earliest() const noexcept;
  void refresh(uint32_t stepper) noexcept;  // re-keys the stepper's leaf after its state changed
  void refresh_pins() noexcept;
  bool read_ahead() noexcept;                      // false: bad record or late record (outcome_ filled)
  bool validate(const ipc::Record& r) noexcept;    // false: bad record (outcome_ filled)
  bool check_arrival(const ipc::Record& r) noexcept;  // false: it came after its time (underrun)
  bool distribute(const ipc::Record& r) noexcept;  // false: no room, keep it as lookahead
  void start_segment(uint32_t index, const ipc::StepSegment& seg, uint32_t line) noexcept;
  uint32_t backlog(const Stepper& s, int64_t issued) const noexcept;  // further steps due by `issued`
  bool check_bunching(const Group& g, int64_t issued) noexcept;       // false: the guard stopped the loop
  bool check_io(FaultReason reason, int stepper) noexcept;            // false: the backend reported a failure
  bool host_covers(int64_t deadline) const noexcept;
  void release_pulses() noexcept;          // waits until every pulse begun has its full width
  void gather(int64_t deadline, Group& g) noexcept;
  void take_pins(int64_t horizon, Group& g) noexcept;
  bool serve(int64_t deadline) noexcept;  // false: stopped or faulted while serving
  bool endstop_record(const ipc::PinCommand& p) noexcept;  // arm / disarm; false: bad record
  bool sample_endstop(Group& g) noexcept;  // before a write with armed rises: trip the inputs that say so;
                                           // false: a read failed (the loop stops)
  void halt_on(gpio::InputMask inputs, Group& g) noexcept;  // a trip: drop the remaining steps of their steppers
  void maybe_report() noexcept;            // publishes the homing report once the move is over
  // Soft PWM (step_loop_pwm.cpp). Real-time safe, as every function of the loop.
  bool pwm_record(const ipc::PwmCommand& p) noexcept;  // checks a kPwm record; false: bad record
  bool queue_pwm(const ipc::PwmCommand& p) noexcept;   // false: that output's queue is full
  void refresh_pwm() noexcept;                         // recomputes pwm_next_
  bool pwm_pending() const noexcept;                   // a PWM command read and not yet in force
  void take_pwm(int64_t limit, Group& g) noexcept;     // PWM edges due by `limit` into the write
  int64_t advance_pwm(Pwm& o, int64_t limit) noexcept; // to its first level change by `limit`: its time
  void set_duty(Pwm& o, int64_t on_ns, int64_t t) noexcept;  // a new duty from t on: plans the next edge
  void pwm_written(const Group& g, int64_t issued) noexcept;  // after the write: skip cycles missed by a stall
  void apply(const Group& g, int64_t issued) noexcept;
  void account(const Group& g, int64_t issued) noexcept;
  void advance(Stepper& s, uint32_t index, EventKind kind, int64_t issued) noexcept;
  // The clock at the end; < t: stop or fault while waiting. Sleeps at most `slice_ns` at a time.
  int64_t wait_until(int64_t t, int64_t slice_ns) noexcept;
  void learn_slack(int64_t woke_late_ns) noexcept;
  bool housekeeping(int64_t real_now) noexcept;  // heartbeats, stop request, host loss; false: stop
  void wait_for_host(int64_t deadline) noexcept;
  void idle() noexcept;
  // No step or pin command queued: sleeps until `until` at most (a PWM edge's wake-up; INT64_MAX: nothing due),
  // one resting poll at a time on the real clock; idle() on the virtual clock.
  void rest(int64_t until) noexcept;
  int64_t resting_poll(int64_t real_now) const noexcept;  // the longest sleep of rest() now
  int64_t now() const noexcept;
  LoopOutcome finish(ExecutorStatus status) noexcept;
  bool fault(FaultReason reason, int stepper, int64_t time_ns) noexcept;

  const ExecutorConfig& config_;
  ipc::SegmentRing& ring_;
  gpio::Backend& backend_;
  rt::LatencyHistogram& lateness_;
  ExecutorCounters& counters_;
  const std::atomic<bool>& stop_;

  std::array<Stepper, ipc::kMaxSteppers> steppers_{};
  uint32_t stepper_count_ = 0;
  EventTree tree_;
  std::array<ipc::PinCommand, kPinQueue> pins_{};
  uint32_t pin_head_ = 0, pin_size_ = 0;
  gpio::PinMask all_step_bits_ = 0, all_enable_bits_ = 0, all_pwm_bits_ = 0;
  gpio::PinMask pwm_on_at_stop_bits_ = 0;  // outputs a stop drives high (PwmOutput::on_at_stop)
  std::array<Pwm, ipc::kMaxPwmOutputs> pwm_{};
  uint32_t pwm_count_ = 0;
  int64_t pwm_next_ = INT64_MAX;  // earliest event over the PWM outputs
  Homing homing_{};

  ipc::Record lookahead_{};
  bool have_lookahead_ = false;
  bool end_of_stream_ = false;
  uint64_t records_read_ = 0;
  int64_t previous_record_ns_ = INT64_MIN;
  int64_t read_margin_ns_ = 0;  // records this far past the next deadline are read before serving it
  int64_t virtual_now_ = 0;
  int64_t last_empty_ns_ = INT64_MIN / 4;  // real clock: when a pop last found the ring empty
  int64_t last_motion_ns_ = 0;             // real clock: the last write with a step or pin edge (or the start)
  // The host's horizon as read just before the last pop that found the ring empty: every record up to it
  // was pushed before that pop, so the pop would have seen it. Reading the horizon after the pop instead
  // would let a record pushed in between go unseen while its deadline is served.
  int64_t horizon_before_empty_ = INT64_MIN;
  uint64_t io_errors_seen_ = 0;  // Backend::io_errors() after the last write or read checked

  // Statistics kept in the loop and mirrored into counters_ after every write.
  uint64_t steps_local_ = 0, edges_local_ = 0, late_local_ = 0, stalls_local_ = 0;
  int64_t longest_stall_ = 0;
  int64_t last_stall_write_ns_ = INT64_MIN / 4;
  int64_t slack_ns_ = 0;  // current (learned) slack
  static constexpr std::size_t kWakeBuckets = 512;  // 1-us buckets of wake-up latency; the last is overflow
  static constexpr uint32_t kWakeWindow = 1024;     // wake-ups per slack update
  std::array<uint32_t, kWakeBuckets> wake_buckets_{};
  uint32_t wake_count_ = 0;

  // Heartbeats (real clock, also on the virtual clock).
  int64_t next_housekeeping_ns_ = 0;
  uint64_t host_beats_seen_ = 0;
  int64_t host_seen_ns_ = 0;
  uint32_t housekeeping_skip_ = 0;

  LoopOutcome outcome_{};
};

}  // namespace rtstep::executor

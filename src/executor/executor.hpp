#pragma once
// StepExecutor: turns the records of a SegmentRing into GPIO edges at their absolute deadlines.
//
// One thread (SCHED_FIFO at `priority`, pinned to `cpus`, memory locked) keeps the current segment of every
// stepper and always serves the earliest pending edge across all steppers: a step's rising edge at
// StepSegment::step_time(k), its falling edge `pulse_ns` later (its own event, so a long pulse on one stepper
// never delays another), and a dir change written before the first step of a segment, at least
// `dir_setup_ns` before it (and at least `dir_hold_ns` after the previous falling edge). Edges due within
// `coalesce_ns` of the earliest one are written in one Backend::write, at the latest of their deadlines, so no
// edge is ever early and the others are at most coalesce_ns late.
//
// Waiting: clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until deadline - slack, then spin on the
// clock. With learn_slack the slack follows the observed wake-up latency: every 1024 wake-ups it becomes
// their p99 + 25 % + 3 us, within [kMinSlackNs, max_slack_ns]. With `virtual_clock` the executor never waits and changes no scheduling: an edge's "write time"
// is its deadline (lateness 0 unless coalescing or a dir setup time held it back), for verifying long jobs
// fast. In virtual mode an empty ring is never an underrun: the executor waits for the host.
//
// Ordering contract with the producer: records arrive in nondecreasing time_ns(). Before serving an edge
// at time t the executor has read every record with time_ns() <= t; when the ring is empty and an edge is
// due, it waits for the host; if the host has still not delivered when now > t + underrun_grace_ns, that is
// an underrun: the executor stops pulsing, drives step pins low and enable pins inactive, and reports
// the stepper, time and how late. A record read after its own time + underrun_grace_ns is an underrun too.
// The host's horizon (SegmentRing::set_horizon) lets it say "nothing before T will come" while idle; a
// record already read at time T says the same.
//
// Timing faults and reports: an edge that would be written more than max_lateness_ns late (0 = off) is
// not written: the executor stops (kTooLate). The lateness guard: before a late rising edge is written the
// loop counts how many further steps of its stepper are already due (its backlog: the lateness over the
// planned interval to the next step). Catching up would put those out back to back, faster than the motor
// can follow; when the backlog exceeds the stepper's max_bunch_steps (0 = off) nothing is written and the
// executor stops (kBunched). Every stepper's shortest interval between two written rising edges, the
// planned interval between the same two steps, and its largest backlog are reported. Writes later than
// stall_threshold_ns form stall episodes (the thread did not run: RT throttling, the fair server, the
// hypervisor), counted and reported. A GPIO write or input read the backend reports as failed
// (Backend::io_errors) stops the executor (kGpioFault); a failed input read while homing counts as
// triggered, so no axis drives on into its frame.
// Heartbeats (DESIGN.md §3): the executor bumps its counter in the ring every ~1 ms; with
// host_timeout_ns > 0 it stops (kHostLost) when the host's counter has not moved for that long. A stop
// request in the ring (M112, SIGINT) stops it within about a millisecond. Resting (no step or pin command
// queued, on the real clock), it sleeps longer between looks, growing from 1 ms after the last motion to
// resting_poll_ns, also until a PWM edge; the heartbeat, the host's watch and the stop request follow the same
// pace, and PWM edges and expiries are still written at their times. A record that breaks the contract
// (bad kind, a segment that is not ipc::is_valid, time going backwards, unknown stepper, a segment starting
// before the previous segment of its stepper ended, a pin time outside [0, 2^62), a bad PWM record) stops the
// executor the same way with kBadRecord. Every stop leaves step pins low and enable pins inactive, after letting a
// pulse already begun reach its full width, so every step counted is a step the driver saw. Faults
// name the G-code line of the stepper's segment (ipc::Record::line).
//
// Soft PWM (heaters and fans, DESIGN.md §1): each ExecutorConfig::pwm_outputs entry is one pin the loop
// toggles by itself. A kPwm record sets its duty from the record's time on: high at the start of each cycle for
// on_ns, low for the rest (0: steady low, the whole cycle: steady high). A new duty keeps the cycle grid of an
// output already toggling (a high phase ends at the new on time, or at once when that is past) and starts a
// cycle at the record's time otherwise. With max_duration_ns > 0 an output that is not off goes low by itself
// max_duration_ns after the time of its last command unless another command came (ExecutorReport::
// pwm_expired counts these); every stop (end of stream, fault, host lost, stop request) drives every PWM output
// low with the step pins, except those marked on_at_stop (a heater_fan), driven high. PWM edges rank below step edges: one due with step edges is written in their write
// when it is due by then, otherwise in a write of its own at its time, never earlier; no PWM edge holds a step
// edge back. An edge the host has not covered with its horizon is still written at its time on the real clock
// (a heater keeps its duty while the host is idle, as long as it beats and renews); on the virtual clock it
// waits for the host, as every other edge. A kPwm record keeps only its own output's time order, not the
// ring's (a heater's command comes now while motion already sent reaches ahead), and says nothing of the
// records still to come. A PWM command read late takes effect when read (its edges count as late) instead
// of being an underrun, and a PWM edge's lateness never trips max_lateness_ns: heaters and
// fans do not lose steps. PWM edges count in the edge and lateness statistics. At end of stream the loop
// serves every PWM command already read before it stops. A PWM record for an output that is not configured,
// with a cycle other than the output's, or with on_ns outside [0, cycle] is a bad record (kBadRecord).
//
// Homing (endstop inputs): a kEndstop pin record with level 1 + i arms its stepper on backend input i from
// its time on; one with level 0 disarms it at the end of the homing move. The steppers of one homing move
// may share an input (one switch for the axis) or have one each (stepper_z and stepper_z1 with their own
// endstop_pin). Before each write that holds a rising step edge of an armed stepper the loop reads the
// inputs (Backend::read_inputs, after the wait, so the sample is the switch at the step's time); when
// input i reads triggered, that edge and every later step of every stepper armed on i is dropped: the
// current segment, the queued ones, and those still to come before the disarm; the others go on until
// their own input trips. Once every armed stepper is disarmed (and each has tripped or made all its
// steps), the loop publishes an ipc::HomingReport: tripped (every armed stepper stopped at its switch) or
// not, the trip time (the latest trip: deadline of the first step not written), each armed stepper's count
// and the first stepper's input. After a trip the host may continue from the trip time (records before the
// disarm's time are then accepted again; the host has not sent any meanwhile).
//
// The loop (StepLoop::run, private) is real-time safe: no allocation, lock, log or system call other than the clock,
// clock_nanosleep, Backend::write and, while a homing move is armed, Backend::read_inputs (one load, or one
// ioctl on gpiod). start() and join() are non-real-time.

#include <array>
#include <atomic>
#include <future>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "rt/histogram.hpp"
#include "util/result.hpp"

namespace rtstep::executor {

struct StepperOutputs {
  std::size_t step_pin = 0;     // backend pin indices
  std::size_t dir_pin = 0;
  std::size_t enable_pin = gpio::kMaxPins;  // kMaxPins = none
  int64_t pulse_ns = 2'000;     // step pulse width (high time), in (0, ipc::kMinStepIntervalNs)
  uint32_t max_bunch_steps = 0; // lateness guard: most steps a late catch-up may have due at once; 0 = off
};

// One soft-PWM output (a heater or fan pin), index = ipc::PwmCommand::output.
struct PwmOutput {
  std::string name;              // "extruder", "fan": faults name it
  std::size_t pin = 0;           // backend pin index, not a stepper's
  int64_t cycle_ns = 100'000'000;  // PWM period, in [ipc::kMinPwmCycleNs, ipc::kMaxPwmCycleNs]
  int64_t max_duration_ns = 0;   // the host must renew within this; 0 = never expires (fans); else >= cycle_ns
  bool on_at_stop = false;       // every stop drives it high instead of low (a heater_fan: shutdown_speed 1)
};

struct ExecutorConfig {
  std::vector<StepperOutputs> steppers;  // index = StepSegment::stepper
  std::vector<PwmOutput> pwm_outputs;    // index = PwmCommand::output, at most ipc::kMaxPwmOutputs
  int priority = 80;                     // SCHED_FIFO priority
  std::vector<int> cpus;                 // empty = no pinning
  bool allow_non_realtime = true;        // when SCHED_FIFO/mlock is refused: warn and go on
  bool lock_memory = true;               // mlockall(MCL_CURRENT|MCL_FUTURE) (off for sanitizer builds)
  int64_t slack_ns = 50'000;             // sleep until deadline - slack, then spin (initial value when learning)
  bool learn_slack = true;               // adapt the slack to the observed wake-up latency
  int64_t max_slack_ns = 500'000;        // learned slack ceiling
  int64_t dir_setup_ns = 200;            // dir level stable before the rising edge
  int64_t dir_hold_ns = 200;             // dir level unchanged after the falling edge
  int64_t coalesce_ns = 1'000;
  int64_t underrun_grace_ns = 2'000'000;  // underrun margin: how late a record or the host may be
  int64_t max_lateness_ns = 2'000'000;   // stop instead of writing an edge later than this; 0 = off
  int64_t late_threshold_ns = 10'000;    // edges later than this are counted as late
  int64_t stall_threshold_ns = 1'000'000;  // writes later than this are a stall
  int64_t host_timeout_ns = 0;           // host heartbeat timeout; 0 = the host is not watched
  // Resting (real clock): while no step or pin command is queued, the loop looks at the ring, beats and checks
  // the stop request at most this far apart (resting_poll_for). A record pushed meanwhile is read up to this
  // late, so the host must push records at least this long (plus the slack) before their time.
  int64_t resting_poll_ns = 1'000'000;
  bool virtual_clock = false;            // no waiting and no scheduling changes (realtime stays false)
  uint32_t inputs = 0;                   // endstop inputs configured on the backend (arm records name one)
};

// Values cross the process boundary (ipc::ExecutorResult::status): append only.
enum class ExecutorStatus : uint8_t {
  kRunning, kFinished, kUnderrun, kBadRecord, kStopped, kTooLate, kHostLost, kBunched, kGpioFault
};
const char* status_name(ExecutorStatus status) noexcept;  // "finished", "underrun", ...

inline constexpr int64_t kMinSlackNs = 2'000;

// ExecutorConfig::resting_poll_ns for a host whose records come at least `min_lead_ns` before their time
// (after an idle spell, [rt] buffer_time; while it streams, no less than half of it) and whose heartbeat
// times out after `host_timeout_ns` (0: not watched): a quarter of the lead, so a record is read with room to
// spare; a fifth of the timeout, so both heartbeats stay well inside it; at most 20 ms, so a stop request is
// still served promptly while nothing moves; at least 1 ms.
constexpr int64_t resting_poll_for(int64_t min_lead_ns, int64_t host_timeout_ns) noexcept {
  constexpr int64_t kFloorNs = 1'000'000, kCeilingNs = 20'000'000;
  int64_t poll = min_lead_ns / 4 < kCeilingNs ? min_lead_ns / 4 : kCeilingNs;
  if (host_timeout_ns > 0 && host_timeout_ns / 5 < poll) poll = host_timeout_ns / 5;
  return poll > kFloorNs ? poll : kFloorNs;
}

// Live statistics: the loop stores them (relaxed) after every write; any thread may read them.
struct ExecutorCounters {
  std::atomic<uint64_t> steps{0};       // rising step edges
  std::atomic<uint64_t> edges{0};       // every edge (step rise and fall, dir, enable)
  std::atomic<uint64_t> late_edges{0};  // edges later than late_threshold_ns
  std::atomic<uint64_t> stalls{0};      // stall episodes
  std::atomic<int64_t> longest_stall_ns{0};
  std::atomic<int64_t> slack_ns{0};     // current slack
};

// How one stepper's steps came out (lateness guard, DESIGN.md §2).
struct StepperTiming {
  int64_t shortest_interval_ns = 0;  // shortest time between two of its rising edges as written (0: < 2 steps)
  int64_t planned_interval_ns = 0;   // the planned time between those same two steps
  uint32_t max_backlog = 0;          // most further steps already due when one was written late
};

struct ExecutorReport {
  ExecutorStatus status = ExecutorStatus::kRunning;
  uint64_t steps = 0;             // rising step edges written, all steppers
  uint64_t writes = 0;            // Backend::write calls
  int fault_stepper = -1;         // underrun / bad record: the stepper concerned (-1 if none)
  int64_t fault_time_ns = 0;      // the deadline that could not be served / the bad record's time
  int64_t fault_late_ns = 0;      // underrun, too late, bunched, host lost: by how much
  uint32_t fault_backlog = 0;     // bunched: the steps that were due at once
  uint32_t fault_line = 0;        // G-code line of the fault's segment (0 = none known)
  ipc::StopCause stop_cause = ipc::StopCause::kNone;  // kStopped: what the host asked for (kNone: request_stop)
  uint64_t edges = 0, late_edges = 0, stalls = 0;
  int64_t longest_stall_ns = 0;
  int64_t first_stall_ns = 0;     // deadline at which the first stall began
  int64_t slack_ns = 0;           // slack at the end
  int64_t cpu_time_ns = 0;        // CPU time of the executor thread
  uint64_t fault_record = 0;      // bad record: its 0-based index in the stream
  std::string fault_detail;       // bad record or GPIO fault: what is wrong ("segment of unknown stepper 9")
  int64_t start_time_ns = 0;      // the first record's time; message() gives times relative to it
  std::array<int64_t, ipc::kMaxSteppers> positions{};  // per stepper: signed steps written (dir high = +1)
  std::array<uint64_t, ipc::kMaxSteppers> stepper_steps{};  // per stepper: rising step edges written
  std::array<StepperTiming, ipc::kMaxSteppers> timing{};   // per stepper: intervals as written
  uint32_t homing_moves = 0;      // homing reports published
  uint32_t pwm_expired = 0;       // PWM outputs turned off because the host did not renew them in time
  bool realtime = false;          // SCHED_FIFO was obtained
  std::string warning;            // why it is not real-time, when allowed to fall back
  std::string message() const;    // one line for the user
  std::string status_message() const;  // message() without the PWM expiry note
};

struct LoopOutcome;  // step_loop.hpp

class StepExecutor {
 public:
  StepExecutor(ExecutorConfig config, ipc::SegmentRing& ring, gpio::Backend& backend);
  ~StepExecutor();
  StepExecutor(const StepExecutor&) = delete;
  StepExecutor& operator=(const StepExecutor&) = delete;

  // Starts the thread and waits until it is placed (name, memory lock, affinity, SCHED_FIFO). Errors: an
  // invalid configuration, a CPU that cannot be used, scheduling refused and no fallback allowed; the thread
  // has then already ended. Non-real-time.
  Status start();
  // Asks the loop to stop at the next edge (safe stop). Any thread.
  void request_stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }
  // Waits for the thread to end (end of stream, fault or stop) and returns what happened. Non-real-time.
  ExecutorReport join();

  // Readable from any thread while running. lateness(): one sample per edge, the clock read just before
  // the write - the edge's deadline, in ns.
  const rt::LatencyHistogram& lateness() const noexcept { return lateness_; }
  const ExecutorCounters& counters() const noexcept { return counters_; }
  uint64_t steps_written() const noexcept { return counters_.steps.load(std::memory_order_relaxed); }
  // True from a successful start() until the loop ends (end of stream, fault or stop). Any thread; the
  // host polls it while waiting for room in the ring, so a dead executor never leaves it waiting.
  bool running() const noexcept { return thread_started_ && !loop_ended_.load(std::memory_order_acquire); }

 private:
  // The thread: placement, then the real-time loop (StepLoop in step_loop.hpp), then report_.
  void thread_main(std::promise<Status> placed);
  void fill_report(const LoopOutcome& out);

  ExecutorConfig config_;
  ipc::SegmentRing& ring_;
  gpio::Backend& backend_;
  rt::LatencyHistogram lateness_;
  std::atomic<bool> stop_requested_{false};
  ExecutorCounters counters_;
  std::atomic<bool> loop_ended_{false};
  bool thread_started_ = false;  // set by start() on success
  ExecutorReport report_;
  std::thread thread_;
};

}  // namespace rtstep::executor

// StepExecutor (see executor.hpp): configuration checks, the thread's lifecycle and the report.
// The real-time loop itself is StepLoop (step_loop.cpp); thread placement is in sched.cpp.

#include "executor/executor.hpp"

#include <time.h>

#include <cstdio>
#include <string>
#include <utility>

#include "rt/sched.hpp"
#include "executor/step_loop.hpp"

namespace rtstep::executor {

namespace {

constexpr std::size_t kStackPrefaultBytes = 256 * 1024;

// Each PWM output on a pin of its own (no stepper's, no other output's), with a cycle the loop can serve
// and a max_duration of at least one cycle.
Status check_pwm_outputs(const ExecutorConfig& c) {
  if (c.pwm_outputs.size() > ipc::kMaxPwmOutputs) {
    return Error{"executor: " + std::to_string(c.pwm_outputs.size()) + " PWM outputs configured, at most " +
                 std::to_string(ipc::kMaxPwmOutputs)};
  }
  gpio::PinMask used = 0;
  for (const StepperOutputs& s : c.steppers) {
    used |= gpio::PinMask{1} << s.step_pin | gpio::PinMask{1} << s.dir_pin;
    if (s.enable_pin < gpio::kMaxPins) used |= gpio::PinMask{1} << s.enable_pin;
  }
  for (const PwmOutput& o : c.pwm_outputs) {
    const std::string which = "executor: PWM output " + o.name + ": ";
    if (o.pin >= gpio::kMaxPins) return Error{which + "pin index out of range (< 64)"};
    if ((used >> o.pin & 1U) != 0) return Error{which + "its pin is already used by a stepper or another output"};
    used |= gpio::PinMask{1} << o.pin;
    if (o.cycle_ns < ipc::kMinPwmCycleNs || o.cycle_ns > ipc::kMaxPwmCycleNs) {
      return Error{which + "cycle " + std::to_string(o.cycle_ns) + " ns must be in [" +
                   std::to_string(ipc::kMinPwmCycleNs) + ", " + std::to_string(ipc::kMaxPwmCycleNs) + "] ns"};
    }
    if (o.on_at_stop && o.max_duration_ns != 0) {
      return Error{which + "an output with a max_duration (a heater) must go off at every stop"};
    }
    if (o.max_duration_ns != 0 && o.max_duration_ns < o.cycle_ns) {
      return Error{which + "max_duration " + std::to_string(o.max_duration_ns) +
                   " ns must be 0 (none) or at least one cycle (" + std::to_string(o.cycle_ns) + " ns)"};
    }
  }
  return Ok{};
}

Status check_config(const ExecutorConfig& c) {
  if (c.steppers.size() > ipc::kMaxSteppers) {
    return Error{"executor: " + std::to_string(c.steppers.size()) + " steppers configured, at most " +
                 std::to_string(ipc::kMaxSteppers)};
  }
  for (std::size_t i = 0; i < c.steppers.size(); ++i) {
    const StepperOutputs& s = c.steppers[i];
    const std::string which = "executor: stepper " + std::to_string(i) + ": ";
    if (s.step_pin >= gpio::kMaxPins || s.dir_pin >= gpio::kMaxPins || s.enable_pin > gpio::kMaxPins) {
      return Error{which + "pin index out of range (step, dir < 64; enable <= 64 = none)"};
    }
    if (s.step_pin == s.dir_pin || s.step_pin == s.enable_pin || s.dir_pin == s.enable_pin) {
      return Error{which + "step, dir and enable must be different pins"};
    }
    // A pulse as long as the shortest step interval would leave no low time between two steps.
    if (s.pulse_ns <= 0 || s.pulse_ns >= ipc::kMinStepIntervalNs) {
      return Error{which + "pulse_ns " + std::to_string(s.pulse_ns) + " must be in (0, " +
                   std::to_string(ipc::kMinStepIntervalNs) + ")"};
    }
  }
  if (auto st = check_pwm_outputs(c); !st) return st;
  if (c.slack_ns < 0 || c.dir_setup_ns < 0 || c.dir_hold_ns < 0 || c.coalesce_ns < 0 || c.underrun_grace_ns <= 0) {
    return Error{"executor: slack, dir setup/hold and coalesce must be >= 0 and the underrun grace > 0"};
  }
  if (c.max_slack_ns < kMinSlackNs || c.max_lateness_ns < 0 || c.late_threshold_ns < 0 || c.stall_threshold_ns <= 0 ||
      c.host_timeout_ns < 0) {
    return Error{"executor: max slack >= 2 us, max lateness, late threshold and host timeout >= 0, stall threshold > 0"};
  }
  if (c.resting_poll_ns <= 0) return Error{"executor: resting poll must be > 0"};
  if (!c.virtual_clock && (c.priority < 1 || c.priority > 99)) {
    return Error{"executor: SCHED_FIFO priority " + std::to_string(c.priority) + " must be in 1..99"};
  }
  return Ok{};
}

std::string describe_fault(const LoopOutcome& o, const ExecutorConfig& c) {
  const std::string stepper = std::to_string(o.fault_stepper);
  const auto output = [&] {
    return o.fault_value < c.pwm_outputs.size() ? "'" + c.pwm_outputs[o.fault_value].name + "'" : std::to_string(o.fault_value);
  };
  switch (o.reason) {
    case FaultReason::kCorruptedRing: return "ring indices corrupted (write - read > capacity)";
    case FaultReason::kUnknownKind: return "unknown record kind " + std::to_string(o.fault_value);
    case FaultReason::kUnknownStepper:
      return (o.fault_value == static_cast<uint32_t>(ipc::RecordKind::kPin) ? "pin command" : "segment") +
             std::string(" of unknown stepper ") + stepper;
    case FaultReason::kInvalidSegment: return "invalid segment of stepper " + stepper +
                                              " (count, dir, add or step interval out of bounds)";
    case FaultReason::kTimeOutOfRange: return "time or interval out of range for stepper " + stepper;
    case FaultReason::kTimeBackwards:
      return "time goes backwards (" + std::to_string(o.fault_time_ns) + " ns after a record at " +
             std::to_string(o.fault_other_ns) + " ns)";
    case FaultReason::kOverlap:
      return "segment of stepper " + stepper + " starts at " + std::to_string(o.fault_time_ns) +
             " ns, before the previous one's last step at " + std::to_string(o.fault_other_ns) + " ns";
    case FaultReason::kBadPinCommand: return "pin command of stepper " + stepper + " with unknown role or level";
    case FaultReason::kUnknownPwmOutput:
      return "PWM command for unknown output " + std::to_string(o.fault_value) + " (" +
             std::to_string(c.pwm_outputs.size()) + " configured)";
    case FaultReason::kBadPwmCommand:
      return "PWM command for output " + output() + " with on time " + std::to_string(o.fault_pwm_on_ns) +
             " ns in a cycle of " + std::to_string(o.fault_pwm_cycle_ns) + " ns (the output's cycle is " +
             std::to_string(c.pwm_outputs[o.fault_value].cycle_ns) + " ns; the on time must lie within it)";
    case FaultReason::kGpioWrite: return "a GPIO write failed";
    case FaultReason::kGpioRead: return "an endstop input could not be read";
    case FaultReason::kNone:
    case FaultReason::kUnderrun:
    case FaultReason::kTooLate:
    case FaultReason::kBunched:
    case FaultReason::kHostLost: break;
  }
  return {};
}

}  // namespace

StepExecutor::StepExecutor(ExecutorConfig config, ipc::SegmentRing& ring, gpio::Backend& backend)
    : config_(std::move(config)), ring_(ring), backend_(backend) {}

StepExecutor::~StepExecutor() {
  if (thread_.joinable()) {
    request_stop();
    thread_.join();
  }
}

Status StepExecutor::start() {
  if (thread_.joinable() || report_.status != ExecutorStatus::kRunning) return Error{"executor: already started"};
  if (auto st = check_config(config_); !st) return st;
  std::promise<Status> placed;
  std::future<Status> result = placed.get_future();
  // The promise moves into the thread, so nothing the thread touches lives on this stack frame.
  thread_ = std::thread([this, p = std::move(placed)]() mutable { thread_main(std::move(p)); });
  Status st = result.get();
  if (!st) {
    thread_.join();
  } else {
    thread_started_ = true;
  }
  return st;
}

void StepExecutor::thread_main(std::promise<Status> placed) {
  rt::name_current_thread("rtstep-exec");
  if (!config_.virtual_clock) {
    // Verification runs (virtual clock) change no scheduling at all.
    rt::RealtimeRequest request;
    request.priority = config_.priority;
    request.cpus = config_.cpus;
    request.lock_memory = config_.lock_memory;
    request.allow_non_realtime = config_.allow_non_realtime;
    auto placement = rt::make_current_thread_realtime(request);
    if (!placement) {
      report_.status = ExecutorStatus::kStopped;
      loop_ended_.store(true, std::memory_order_release);
      placed.set_value(placement.error());
      return;
    }
    report_.realtime = placement->realtime;
    report_.warning = std::move(placement->warning);
    rt::prefault_stack(kStackPrefaultBytes);
  }
  placed.set_value(Ok{});

  StepLoop loop(config_, ring_, backend_, lateness_, counters_, stop_requested_);
  const LoopOutcome out = loop.run();
  fill_report(out);
  // Published last: a reader that sees the loop ended may call join() and find the report complete.
  loop_ended_.store(true, std::memory_order_release);
}

void StepExecutor::fill_report(const LoopOutcome& out) {
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  report_.cpu_time_ns = int64_t{cpu.tv_sec} * 1'000'000'000 + cpu.tv_nsec;
  report_.status = out.status;
  report_.steps = counters_.steps.load(std::memory_order_relaxed);
  report_.edges = counters_.edges.load(std::memory_order_relaxed);
  report_.late_edges = counters_.late_edges.load(std::memory_order_relaxed);
  report_.stalls = counters_.stalls.load(std::memory_order_relaxed);
  report_.longest_stall_ns = counters_.longest_stall_ns.load(std::memory_order_relaxed);
  report_.slack_ns = counters_.slack_ns.load(std::memory_order_relaxed);
  report_.first_stall_ns = out.first_stall_ns;
  report_.writes = out.writes;
  report_.start_time_ns = out.start_time_ns;
  report_.stop_cause = out.stop_cause;
  report_.positions = out.positions;
  report_.stepper_steps = out.stepper_steps;
  report_.timing = out.timing;
  report_.fault_line = out.fault_line;
  report_.homing_moves = out.homing_moves;
  report_.pwm_expired = out.pwm_expired;
  if (out.status != ExecutorStatus::kFinished && out.status != ExecutorStatus::kStopped) {
    report_.fault_stepper = out.fault_stepper;
    report_.fault_time_ns = out.fault_time_ns;
    report_.fault_late_ns = out.fault_late_ns;
    report_.fault_backlog = out.fault_backlog;
  }
  if (out.status == ExecutorStatus::kBadRecord) report_.fault_record = out.fault_record;
  if (out.status == ExecutorStatus::kBadRecord || out.status == ExecutorStatus::kGpioFault) {
    report_.fault_detail = describe_fault(out, config_);
  }
}

ExecutorReport StepExecutor::join() {
  if (thread_.joinable()) thread_.join();
  return report_;
}

namespace {

// "+1.234567 s" relative to the job's first record.
std::string relative(int64_t t_ns, int64_t origin_ns) {
  char when[48];
  const int64_t rel = t_ns - origin_ns;
  const int64_t mag = rel < 0 ? -rel : rel;
  std::snprintf(when, sizeof when, "%s%lld.%06lld s", rel < 0 ? "-" : "+", static_cast<long long>(mag / 1'000'000'000),
                static_cast<long long>(mag % 1'000'000'000 / 1'000));
  return when;
}

std::string micros(int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f us", static_cast<double>(ns) / 1e3);
  return text;
}

}  // namespace

const char* status_name(ExecutorStatus status) noexcept {
  switch (status) {
    case ExecutorStatus::kRunning: return "running";
    case ExecutorStatus::kFinished: return "finished";
    case ExecutorStatus::kUnderrun: return "underrun";
    case ExecutorStatus::kBadRecord: return "bad record";
    case ExecutorStatus::kStopped: return "stopped";
    case ExecutorStatus::kTooLate: return "too late";
    case ExecutorStatus::kHostLost: return "host lost";
    case ExecutorStatus::kBunched: return "bunched";
    case ExecutorStatus::kGpioFault: return "gpio fault";
  }
  return "unknown";
}

std::string ExecutorReport::message() const {
  // Told with every outcome: a heater the executor turned off by itself is what the user must hear about.
  if (pwm_expired == 0) return status_message();
  return status_message() + "; " + std::to_string(pwm_expired) +
         " PWM output(s) turned off by the executor: the host did not renew them within max_duration";
}

std::string ExecutorReport::status_message() const {
  const std::string after = (fault_line > 0 ? " (G-code line " + std::to_string(fault_line) + ")" : std::string()) +
                            "; stopped after " + std::to_string(steps) + " steps";
  switch (status) {
    case ExecutorStatus::kRunning: return "running";
    case ExecutorStatus::kFinished: return "finished: " + std::to_string(steps) + " steps";
    case ExecutorStatus::kStopped:
      if (stop_cause == ipc::StopCause::kEmergency) return "emergency stop (M112 or SIGINT)" + after;
      if (stop_cause == ipc::StopCause::kHostError) return "stopped: the host failed" + after;
      return "stopped on request after " + std::to_string(steps) + " steps";
    case ExecutorStatus::kBadRecord: return "bad record #" + std::to_string(fault_record) + ": " + fault_detail + after;
    case ExecutorStatus::kUnderrun:
      return "underrun: stepper " + std::to_string(fault_stepper) + " had an edge due at " +
             relative(fault_time_ns, start_time_ns) + " and the host had not delivered it (" + micros(fault_late_ns) +
             " late)" + after;
    case ExecutorStatus::kTooLate:
      return "too late: an edge of stepper " + std::to_string(fault_stepper) + " due at " +
             relative(fault_time_ns, start_time_ns) + " would have been written " + micros(fault_late_ns) +
             " late (over [rt] max_lateness)" + after;
    case ExecutorStatus::kHostLost:
      return "host lost: no heartbeat from the host for " + micros(fault_late_ns) + after;
    case ExecutorStatus::kBunched:
      return "lateness guard: stepper " + std::to_string(fault_stepper) + " had a step due at " +
             relative(fault_time_ns, start_time_ns) + " and was " + micros(fault_late_ns) + " late with " +
             std::to_string(fault_backlog) + " more steps already due: catching up would bunch them faster than " +
             "the motor can follow (over [rt] max_bunch)" + after;
    case ExecutorStatus::kGpioFault:
      return "GPIO fault: " + fault_detail + " (stepper " + std::to_string(fault_stepper) + ", at " +
             relative(fault_time_ns, start_time_ns) + ")" + after;
  }
  return "unknown";
}

}  // namespace rtstep::executor

#pragma once
// ExecutorSide: everything below the ring for one job (DESIGN.md §1): the sim backend (with an optional
// edge trace) and the executor thread consuming the ring. Shared by `rtstep run` (embedded, a thread of
// the host's process) and `rtstep rt` (split, its own process). Non-real-time orchestration; the
// executor thread it starts is the real-time part.

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "gpio/gpio.hpp"
#include "gpio/hardware.hpp"
#include "ipc/ipc.hpp"
#include "executor/executor.hpp"
#include "trace/trace.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

struct ExecutorSideOptions {
  bool virtual_clock = false;
  std::string trace_path;  // empty: no trace
  // Drive these pins instead of the sim backend (no trace). The caller owns them and has configured them
  // (open_machine_pins); it may keep them across jobs, so that its outputs stay driven at their
  // safe level between jobs.
  gpio::Backend* hardware = nullptr;
};

// Pins of the sim backend: step and dir of every stepper, then enable pins (shared ones once).
struct PinPlan {
  std::vector<gpio::PinSpec> pins;
  std::vector<executor::StepperOutputs> outputs;
  std::vector<std::string> signal_names;  // "stepper_x.step", ... (trace and VCD)
};
PinPlan plan_pins(const config::MachineConfig& machine);

// Declares the machine's outputs (plan_pins, every one driven to its safe level) and endstop inputs
// (plan_endstops) on `pins`. Errors name the config file. Init only.
Status configure_machine_pins(const config::MachineConfig& machine, gpio::Backend& pins);
// A hardware backend opened and configured (configure_machine_pins) for the life of its owner. Init only.
Result<std::unique_ptr<gpio::Backend>> open_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind);

// The lateness guard's bound for one stepper ([rt] max_bunch full steps as microsteps, at least 1); 0 = off.
uint32_t max_bunch_steps(const config::RtConfig& rt, const config::StepperConfig& stepper);

// The heartbeat timeout of both sides of a job. On the virtual clock no pin drives a motor and neither side
// runs real-time, so a busy machine can hold one off for longer than [rt] heartbeat_timeout without
// anything being lost: there the timeout is at least kVirtualClockHeartbeatNs (a dead side is still seen).
constexpr int64_t kVirtualClockHeartbeatNs = 5'000'000'000;
int64_t heartbeat_timeout_ns(const config::RtConfig& rt, bool virtual_clock);

// The executor's configuration from [rt] and the steppers. Init only.
executor::ExecutorConfig executor_config(const config::MachineConfig& machine, const PinPlan& pins, bool virtual_clock);

class ExecutorSide {
 public:
  // Configures the sim backend (and trace), or takes the configured hardware pins, and starts the executor
  // on `consumer`. Errors: bad pins, trace file, executor placement. Init only.
  static Result<std::unique_ptr<ExecutorSide>> start(const config::MachineConfig& machine, ipc::SegmentRing& consumer,
                                                     const ExecutorSideOptions& options);
  ~ExecutorSide();
  ExecutorSide(const ExecutorSide&) = delete;
  ExecutorSide& operator=(const ExecutorSide&) = delete;

  // Waits for the executor to end (end of stream, fault, stop), closes the trace, publishes the result into
  // the ring and returns it. Non-real-time.
  ipc::ExecutorResult finish();
  void request_stop() noexcept { executor_->request_stop(); }
  const executor::StepExecutor& executor() const noexcept { return *executor_; }
  const executor::ExecutorReport& report() const noexcept { return report_; }
  uint64_t trace_lost() const noexcept { return backend_.lost_edges(); }
  const std::string& trace_error() const noexcept { return trace_error_; }

 private:
  explicit ExecutorSide(ipc::SegmentRing& consumer) : ring_(consumer) {}
  ipc::ExecutorResult result_from_report() const;
  ipc::SegmentRing& ring_;
  PinPlan pins_;
  gpio::SimBackend backend_;
  gpio::Backend* hardware_ = nullptr;  // when set, the executor drives it instead of backend_
  trace::TraceWriter trace_;
  bool tracing_ = false;
  std::string trace_error_;
  std::unique_ptr<executor::StepExecutor> executor_;
  executor::ExecutorReport report_;
  bool finished_ = false;
};

}  // namespace rtstep::machine

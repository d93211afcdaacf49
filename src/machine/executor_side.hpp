#pragma once
// ExecutorSide: everything below the ring for one job (DESIGN.md §1): the sim backend (with an optional
// edge trace) and the executor thread consuming the ring. Shared by `rtstep run` (embedded, a thread of
// the host's process) and `rtstep rt` (split, its own process). Non-real-time orchestration; the
// executor thread it starts is the real-time part.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "gpio/gpio.hpp"
#include "gpio/hardware.hpp"
#include "ipc/ipc.hpp"
#include "executor/executor.hpp"
#include "trace/trace.hpp"
#include "util/result.hpp"

namespace rtstep::thermal {
struct OutputSpec;
struct OutputCommand;
}  // namespace rtstep::thermal

namespace rtstep::machine {

// A heater or fan output the executor drives by soft PWM (executor::PwmOutput before its pin has an index).
struct SoftPwmOutput {
  std::string name;  // "extruder", "heater_bed", "fan", "heater_fan hotend_fan"
  config::PinConfig pin;
  int64_t cycle_ns = 0;         // pwm_cycle_time / cycle_time
  int64_t max_duration_ns = 0;  // heaters: max_duration (Klipper: 3 s); fans: 0 (none)
  bool on_at_stop = false;      // a fan whose shutdown speed is full (heater_fan): on at every executor stop
};

// The soft-PWM outputs of a thermal system: its outputs (thermal::ThermalSystem::outputs(), heaters in
// config order, then fans) without the hardware-PWM fans, which SysfsPwm drives, and without those marked
// `elsewhere` (on an MCU board: McuBoards drives them). ipc::PwmCommand::output is an output's index in
// `outputs`; executor_output maps each thermal output to it (-1: not the executor's).
struct SoftPwmPlan {
  std::vector<SoftPwmOutput> outputs;
  std::vector<int> executor_output;
};
// Init only (allocates). `elsewhere` may be shorter than the outputs (the rest are not elsewhere).
SoftPwmPlan soft_pwm_plan(std::span<const thermal::OutputSpec> thermal_outputs, const std::vector<bool>& elsewhere = {});

// The record that gives the executor a thermal output command (thermal::ThermalSystem::update), for the
// host to push through its HostLink; nullopt for a hardware-PWM output or an index outside the plan. Records
// reach the executor in time order: a command meant for before `not_before_ns` (the last record pushed,
// HostLink::last_record_ns) takes effect then. Non-real-time (any thread).
std::optional<ipc::Record> soft_pwm_record(const SoftPwmPlan& plan, const thermal::OutputCommand& command,
                                           int64_t not_before_ns);

struct ExecutorSideOptions {
  bool virtual_clock = false;
  std::string trace_path;  // empty: no trace
  // Drive these pins instead of the sim backend (no trace). The caller owns them and has configured them
  // (open_machine_pins); it may keep them across jobs, so that its outputs stay driven at their
  // safe level between jobs.
  gpio::Backend* hardware = nullptr;
  // Heater and fan outputs the executor drives (soft_pwm_plan(...).outputs); with `hardware`, the same list
  // the caller configured the pins with.
  std::vector<SoftPwmOutput> pwm_outputs = {};
};

// Pins of the sim backend: step and dir of every stepper, then enable pins (shared ones once), then the
// soft-PWM outputs.
struct PinPlan {
  std::vector<gpio::PinSpec> pins;
  std::vector<executor::StepperOutputs> outputs;
  std::vector<executor::PwmOutput> pwm;   // index = ipc::PwmCommand::output
  std::vector<std::string> signal_names;  // "stepper_x.step", ..., "extruder.pwm" (trace and VCD)
};
PinPlan plan_pins(const config::MachineConfig& machine, std::span<const SoftPwmOutput> pwm_outputs = {});

// Declares the machine's outputs (plan_pins, every one driven to its safe level) and endstop inputs
// (plan_endstops) on `pins`. Errors name the config file. Init only.
Status configure_machine_pins(const config::MachineConfig& machine, gpio::Backend& pins,
                              std::span<const SoftPwmOutput> pwm_outputs = {});
// A hardware backend opened and configured (configure_machine_pins) for the life of its owner. Init only.
Result<std::unique_ptr<gpio::Backend>> open_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind,
                                                         std::span<const SoftPwmOutput> pwm_outputs = {});

// The lateness guard's bound for one stepper ([rt] max_bunch full steps as microsteps, at least 1); 0 = off.
uint32_t max_bunch_steps(const config::RtConfig& rt, const config::StepperConfig& stepper);

// The heartbeat timeout of both sides of a job. On the virtual clock no pin drives a motor and neither side
// runs real-time, so a busy machine can hold one off for longer than [rt] heartbeat_timeout without
// anything being lost: there the timeout is at least kVirtualClockHeartbeatNs (a dead side is still seen).
constexpr int64_t kVirtualClockHeartbeatNs = 5'000'000'000;
int64_t heartbeat_timeout_ns(const config::RtConfig& rt, bool virtual_clock);

// The executor's configuration from [rt], the steppers and the soft-PWM outputs. Init only.
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
  // On the sim backend, what stepper `i` has done so far: rising step edges and position in steps (any
  // thread, while the executor runs). nullopt on hardware pins, which count nothing live.
  struct LiveCount {
    uint64_t steps = 0;
    int64_t position = 0;
  };
  std::optional<LiveCount> live_count(std::size_t i) const;
  // On the sim backend, the rising edges so far of the pin named `signal` ("extruder.pwm", any thread);
  // nullopt on hardware pins or for an unknown name.
  std::optional<uint64_t> rising_edges(const std::string& signal) const;

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

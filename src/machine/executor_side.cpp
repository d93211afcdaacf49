// ExecutorSide (see executor_side.hpp): backend, trace and executor for one job, and the result that
// crosses back to the host.
#include "machine/executor_side.hpp"

#include "machine/executor_endstops.hpp"
#include "thermal/thermal_system.hpp"

#include <algorithm>
#include <csignal>
#include <cmath>
#include <cstring>
#include <map>

namespace rtstep::machine {

namespace {
constexpr std::size_t kTraceBufferWrites = std::size_t{1} << 20;  // ~1 s at 1 M writes/s; 32 MiB
int64_t seconds_to_ns(double s) { return std::llround(s * 1e9); }
}  // namespace

SoftPwmPlan soft_pwm_plan(std::span<const thermal::OutputSpec> thermal_outputs, const std::vector<bool>& elsewhere) {
  SoftPwmPlan plan;
  for (std::size_t i = 0; i < thermal_outputs.size(); ++i) {
    const thermal::OutputSpec& spec = thermal_outputs[i];
    if (spec.hardware_pwm || (i < elsewhere.size() && elsewhere[i])) {
      plan.executor_output.push_back(-1);
      continue;
    }
    plan.executor_output.push_back(static_cast<int>(plan.outputs.size()));
    // A soft-PWM pin holds one level once the executor stops: on for a fan that must run at shutdown (a
    // heater_fan cooling the hot end), off for everything else, heaters always.
    const bool on_at_stop = !spec.heater && spec.shutdown_value >= 0.5;
    plan.outputs.push_back(
        {spec.name, spec.pin, seconds_to_ns(spec.cycle_time), seconds_to_ns(spec.max_duration), on_at_stop});
  }
  return plan;
}

std::optional<ipc::Record> soft_pwm_record(const SoftPwmPlan& plan, const thermal::OutputCommand& command,
                                           int64_t not_before_ns) {
  if (command.output >= plan.executor_output.size() || plan.executor_output[command.output] < 0) return std::nullopt;
  const auto index = static_cast<std::size_t>(plan.executor_output[command.output]);
  return ipc::Record::of(ipc::pwm_command(static_cast<uint8_t>(index), command.value, plan.outputs[index].cycle_ns,
                                          command.time_ns, not_before_ns));
}

PinPlan plan_pins(const config::MachineConfig& machine, std::span<const SoftPwmOutput> pwm_outputs) {
  PinPlan plan;
  std::map<std::string, std::size_t> enable_index;
  const auto add = [&](const config::PinConfig& pin, const std::string& signal) {
    plan.pins.push_back(gpio::PinSpec{pin.name, pin.inverted});
    plan.signal_names.push_back(signal);
    return plan.pins.size() - 1;
  };
  for (const auto& stepper : machine.steppers) {
    executor::StepperOutputs out;
    out.step_pin = add(stepper.step_pin, stepper.name + ".step");
    out.dir_pin = add(stepper.dir_pin, stepper.name + ".dir");
    out.pulse_ns = std::llround(stepper.step_pulse_duration * 1e9);
    out.max_bunch_steps = max_bunch_steps(machine.rt, stepper);
    plan.outputs.push_back(out);
  }
  for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
    const config::PinConfig& enable = machine.steppers[i].enable_pin;
    if (enable.empty()) continue;
    auto [it, inserted] = enable_index.try_emplace(enable.name, 0);
    if (inserted) it->second = add(enable, machine.steppers[i].name + ".enable");
    plan.outputs[i].enable_pin = it->second;
  }
  for (const SoftPwmOutput& out : pwm_outputs) {
    plan.pwm.push_back({out.name, add(out.pin, out.name + ".pwm"), out.cycle_ns, out.max_duration_ns, out.on_at_stop});
  }
  return plan;
}

uint32_t max_bunch_steps(const config::RtConfig& rt, const config::StepperConfig& stepper) {
  if (rt.max_bunch <= 0) return 0;
  return static_cast<uint32_t>(std::max<long long>(1, std::llround(rt.max_bunch * stepper.microsteps)));
}

int64_t heartbeat_timeout_ns(const config::RtConfig& rt, bool virtual_clock) {
  return virtual_clock ? std::max(rt.heartbeat_timeout_ns, kVirtualClockHeartbeatNs) : rt.heartbeat_timeout_ns;
}

executor::ExecutorConfig executor_config(const config::MachineConfig& machine, const PinPlan& pins, bool virtual_clock) {
  const config::RtConfig& rt = machine.rt;
  executor::ExecutorConfig c;
  c.steppers = pins.outputs;
  c.pwm_outputs = pins.pwm;
  c.priority = rt.executor_priority;
  c.cpus = rt.cpus;
  c.allow_non_realtime = rt.allow_non_realtime;
  c.slack_ns = rt.slack_ns;
  c.learn_slack = rt.learn_slack;
  c.max_slack_ns = std::max(rt.max_slack_ns, executor::kMinSlackNs);
  c.dir_setup_ns = rt.dir_setup_ns;
  c.underrun_grace_ns = rt.underrun_margin_ns;
  c.max_lateness_ns = rt.max_lateness_ns;
  c.late_threshold_ns = rt.late_threshold_ns;
  c.stall_threshold_ns = rt.stall_threshold_ns;
  c.host_timeout_ns = heartbeat_timeout_ns(rt, virtual_clock);
  c.resting_poll_ns = executor::resting_poll_for(rt.buffer_time_ns, c.host_timeout_ns);
  c.virtual_clock = virtual_clock;
  return c;
}

Status configure_machine_pins(const config::MachineConfig& machine, gpio::Backend& pins,
                              std::span<const SoftPwmOutput> pwm_outputs) {
  if (auto configured = pins.configure(plan_pins(machine, pwm_outputs).pins); !configured) {
    return Error{machine.path + ": " + configured.error().message};
  }
  if (auto inputs = pins.configure_inputs(plan_endstops(machine).inputs); !inputs) {
    return Error{machine.path + ": " + inputs.error().message};
  }
  return Ok{};
}

Result<std::unique_ptr<gpio::Backend>> open_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind,
                                                         std::span<const SoftPwmOutput> pwm_outputs) {
  auto opened = gpio::open_backend(kind);
  if (!opened) return opened.error();
  if (auto configured = configure_machine_pins(machine, **opened, pwm_outputs); !configured) return configured.error();
  return opened;
}

Result<std::unique_ptr<ExecutorSide>> ExecutorSide::start(const config::MachineConfig& machine,
                                                          ipc::SegmentRing& consumer, const ExecutorSideOptions& options) {
  std::unique_ptr<ExecutorSide> side(new ExecutorSide(consumer));
  side->pins_ = plan_pins(machine, options.pwm_outputs);
  side->hardware_ = options.hardware;
  gpio::Backend& pins = side->hardware_ != nullptr ? *side->hardware_ : side->backend_;
  if (side->hardware_ != nullptr && !options.trace_path.empty()) {
    return Error{"--trace records the sim backend's pins; it cannot be used with a hardware backend"};
  }
  // Endstop inputs, sampled by the executor while homing; on the sim, switches at position_endstop.
  const EndstopPlan endstops = plan_endstops(machine);
  if (side->hardware_ == nullptr) {
    if (auto configured = configure_machine_pins(machine, side->backend_, options.pwm_outputs); !configured) {
      return configured.error();
    }
    configure_sim_endstops(machine, endstops, side->backend_);
  }
  for (const auto& out : side->pins_.outputs) side->backend_.track_stepper(out.step_pin, out.dir_pin);
  if (!options.trace_path.empty()) {
    // Over RLIMIT_FSIZE a write would raise SIGXFSZ and kill the process mid-move; ignored, the write
    // fails with EFBIG instead and the trace reports it.
    std::signal(SIGXFSZ, SIG_IGN);
    side->backend_.enable_recording(kTraceBufferWrites);
    trace::TraceHeader header;
    header.flags = options.virtual_clock ? trace::kFlagVirtualClock : 0;
    header.pin_names = side->pins_.signal_names;
    for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
      header.steppers.push_back({machine.steppers[i].name, static_cast<uint32_t>(side->pins_.outputs[i].step_pin),
                                 static_cast<uint32_t>(side->pins_.outputs[i].dir_pin)});
    }
    if (auto st = side->trace_.start(options.trace_path, header, side->backend_); !st) return st.error();
    side->tracing_ = true;
  }
  executor::ExecutorConfig config = executor_config(machine, side->pins_, options.virtual_clock);
  config.inputs = static_cast<uint32_t>(endstops.inputs.size());
  side->executor_ = std::make_unique<executor::StepExecutor>(std::move(config), consumer, pins);
  if (auto started = side->executor_->start(); !started) return started.error();
  consumer.mark_executor_started(options.virtual_clock);
  return side;
}

std::optional<uint64_t> ExecutorSide::rising_edges(const std::string& signal) const {
  if (hardware_ != nullptr) return std::nullopt;
  const auto& names = pins_.signal_names;
  const auto found = std::find(names.begin(), names.end(), signal);
  if (found == names.end()) return std::nullopt;
  return backend_.rising_edges(static_cast<std::size_t>(found - names.begin()));
}

ExecutorSide::~ExecutorSide() {
  if (executor_ && !finished_) {
    executor_->request_stop();
    (void)finish();
  }
}

ipc::ExecutorResult ExecutorSide::finish() {
  if (!finished_) {
    report_ = executor_->join();
    finished_ = true;
    if (tracing_) {
      if (auto st = trace_.finish(); !st) trace_error_ = st.error().message;
    }
    ring_.publish_result(result_from_report());
  }
  return result_from_report();
}

std::optional<ExecutorSide::LiveCount> ExecutorSide::live_count(std::size_t i) const {
  if (hardware_ != nullptr || i >= pins_.outputs.size()) return std::nullopt;
  return LiveCount{backend_.rising_edges(pins_.outputs[i].step_pin), backend_.position(i)};
}

ipc::ExecutorResult ExecutorSide::result_from_report() const {
  ipc::ExecutorResult r;
  r.status = static_cast<uint32_t>(report_.status);
  r.fault_stepper = report_.fault_stepper;
  r.fault_time_ns = report_.fault_time_ns;
  r.fault_late_ns = report_.fault_late_ns;
  r.steps = report_.steps;
  r.writes = report_.writes;
  r.late_edges = report_.late_edges;
  r.stalls = report_.stalls;
  r.longest_stall_ns = report_.longest_stall_ns;
  const auto lateness = executor_->lateness().snapshot();
  r.lateness_count = lateness.count;
  r.lateness_p50_ns = lateness.quantile(0.5);
  r.lateness_p99_ns = lateness.quantile(0.99);
  r.lateness_p999_ns = lateness.quantile(0.999);
  r.lateness_max_ns = lateness.max_ns;
  r.cpu_time_ns = report_.cpu_time_ns;
  r.slack_ns = report_.slack_ns;
  r.ring_high_water = ring_.high_water();
  r.realtime = report_.realtime ? 1 : 0;
  r.stepper_count = static_cast<uint32_t>(std::min<std::size_t>(pins_.outputs.size(), ipc::kMaxSteppers));
  for (uint32_t i = 0; i < r.stepper_count; ++i) {
    // The sim counts what its pins did; real pins cannot be read back, so the executor's own count is used.
    r.stepper_steps[i] = hardware_ != nullptr ? report_.stepper_steps[i] : backend_.rising_edges(pins_.outputs[i].step_pin);
    r.stepper_position[i] = hardware_ != nullptr ? report_.positions[i] : backend_.position(i);
    r.stepper_shortest_interval_ns[i] = report_.timing[i].shortest_interval_ns;
    r.stepper_planned_interval_ns[i] = report_.timing[i].planned_interval_ns;
    r.stepper_max_backlog[i] = report_.timing[i].max_backlog;
  }
  r.fault_line = report_.fault_line;
  r.pwm_expired = report_.pwm_expired;
  const std::string message = report_.message();
  std::strncpy(r.message, message.c_str(), sizeof r.message - 1);
  return r;
}

}  // namespace rtstep::machine

// run_job: wires every layer of DESIGN.md §1 together for one G-code file.
#include "cli/run.hpp"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "cli/host_pipeline.hpp"
#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "motion/motion.hpp"
#include "rt/executor.hpp"
#include "stepgen/stepgen.hpp"

namespace rtstep::cli {
namespace {

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Pins of the sim backend: step and dir of every stepper, then enable pins (shared ones once).
struct PinPlan {
  std::vector<gpio::PinSpec> pins;
  std::vector<rt::StepperOutputs> outputs;
};

PinPlan plan_pins(const config::MachineConfig& machine) {
  PinPlan plan;
  std::map<std::string, std::size_t> enable_index;
  const auto add = [&](const config::PinConfig& pin) {
    plan.pins.push_back(gpio::PinSpec{pin.name, pin.inverted});
    return plan.pins.size() - 1;
  };
  for (const auto& stepper : machine.steppers) {
    rt::StepperOutputs out;
    out.step_pin = add(stepper.step_pin);
    out.dir_pin = add(stepper.dir_pin);
    out.pulse_ns = std::llround(stepper.step_pulse_duration * 1e9);
    plan.outputs.push_back(out);
  }
  for (std::size_t i = 0; i < machine.steppers.size(); ++i) {
    const config::PinConfig& enable = machine.steppers[i].enable_pin;
    if (enable.empty()) continue;
    auto [it, inserted] = enable_index.try_emplace(enable.name, 0);
    if (inserted) it->second = add(enable);
    plan.outputs[i].enable_pin = it->second;
  }
  return plan;
}

// Pushes records into the ring; when it is full, waits for the executor to make room (never drops).
class RingSink final : public stepgen::RecordSink {
 public:
  RingSink(ipc::SegmentRing& ring, const rt::StepExecutor& executor) : ring_(ring), executor_(executor) {}
  Status push(const ipc::Record& record) override {
    while (!ring_.try_push(record)) {
      if (!executor_.running()) return Error{"the executor stopped while the host was still sending motion"};
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return Ok{};
  }

 private:
  ipc::SegmentRing& ring_;
  const rt::StepExecutor& executor_;
};

const char* status_name(rt::ExecutorStatus status) {
  switch (status) {
    case rt::ExecutorStatus::kRunning: return "running";
    case rt::ExecutorStatus::kFinished: return "finished";
    case rt::ExecutorStatus::kUnderrun: return "underrun";
    case rt::ExecutorStatus::kBadRecord: return "bad record";
    case rt::ExecutorStatus::kStopped: return "stopped";
  }
  return "unknown";
}

}  // namespace

RunSummary run_job(const RunOptions& options, std::ostream& log) {
  RunSummary summary;
  summary.config_path = options.config_path;
  summary.gcode_path = options.gcode_path;
  summary.virtual_clock = options.virtual_clock;
  const auto fail = [&](ExitCode code, std::string message) {
    summary.exit_code = code;
    summary.error = std::move(message);
    return summary;
  };

  auto machine = config::load(options.config_path);
  if (!machine) return fail(ExitCode::kUsage, machine.error().message);
  summary.ignored_sections = machine->ignored_sections;
  auto kinematics = motion::Kinematics::create(*machine);
  if (!kinematics) return fail(ExitCode::kUsage, options.config_path + ": " + kinematics.error().message);
  std::ifstream gcode_file(options.gcode_path, std::ios::binary);
  if (!gcode_file) return fail(ExitCode::kUsage, fmt::format("{}: cannot open G-code file", options.gcode_path));

  // Below the ring: the sim backend and the executor thread, attached to the ring as its consumer.
  const PinPlan pins = plan_pins(*machine);
  gpio::SimBackend backend;
  if (auto configured = backend.configure(pins.pins); !configured) {
    return fail(ExitCode::kUsage, options.config_path + ": " + configured.error().message);
  }
  for (const auto& out : pins.outputs) backend.track_stepper(out.step_pin, out.dir_pin);
  const std::string ring_name = fmt::format("/rtstep-run-{}", getpid());
  auto producer = ipc::SegmentRing::create(ring_name, machine->rt.ring_capacity);
  if (!producer) return fail(ExitCode::kExecutorFault, producer.error().message);
  auto consumer = ipc::SegmentRing::attach(ring_name);
  if (!consumer) return fail(ExitCode::kExecutorFault, consumer.error().message);

  rt::ExecutorConfig exec_config;
  exec_config.steppers = pins.outputs;
  exec_config.priority = machine->rt.executor_priority;
  exec_config.cpus = machine->rt.cpus;
  exec_config.allow_non_realtime = machine->rt.allow_non_realtime;
  exec_config.slack_ns = machine->rt.slack_ns;
  exec_config.dir_setup_ns = machine->rt.dir_setup_ns;
  exec_config.virtual_clock = options.virtual_clock;
  rt::StepExecutor executor(exec_config, *consumer, backend);
  if (auto started = executor.start(); !started) return fail(ExitCode::kExecutorFault, started.error().message);

  // Above the ring: parser -> toolhead -> step generator. Print time 0 is buffer_time from now, so the
  // host is that far ahead of the executor from the first step on.
  RingSink sink(*producer, executor);
  const int64_t origin_ns = monotonic_ns() + machine->rt.buffer_time_ns;
  HostPipeline host(*machine, *kinematics, options.gcode_path, origin_ns, sink);
  const FeedResult fed = host.feed(gcode_file, log);
  summary.ignored_commands = fed.ignored_commands;
  if (!fed.ok) {
    summary.error = fed.error;
    summary.exit_code = ExitCode::kJobError;
  }
  const motion::Toolhead& toolhead = host.toolhead();
  const stepgen::StepGenerator& generator = host.generator();

  // Whatever happened above, end the stream so the executor finishes what was queued and stops.
  if (!sink.push(ipc::Record::end_of_stream())) executor.request_stop();
  const rt::ExecutorReport report = executor.join();
  summary.executor_status = status_name(report.status);
  summary.realtime = report.realtime;
  if (!report.warning.empty()) summary.warnings.push_back(report.warning);
  if (report.status != rt::ExecutorStatus::kFinished && summary.exit_code == ExitCode::kOk) {
    summary.exit_code = ExitCode::kExecutorFault;
    summary.error = report.message();
  }

  summary.moves = toolhead.moves_emitted();
  summary.print_time_s = toolhead.print_time();
  const auto snapshot = executor.lateness().snapshot();
  summary.lateness = Lateness{snapshot.count, snapshot.quantile(0.5), snapshot.quantile(0.99), snapshot.max_ns};
  for (std::size_t i = 0; i < machine->steppers.size(); ++i) {
    StepperSummary s;
    s.name = machine->steppers[i].name;
    s.steps = backend.rising_edges(pins.outputs[i].step_pin);
    s.planned_steps = generator.totals(i).steps;
    s.segments = generator.totals(i).segments;
    s.position = generator.initial_steps(i) + backend.position(i);
    s.planned_position = generator.steps_at(i, toolhead.position());
    if (s.position != s.planned_position && summary.exit_code == ExitCode::kOk) {
      summary.exit_code = ExitCode::kPositionMismatch;
      summary.error = fmt::format("{} ended at {} steps, planned {}", s.name, s.position, s.planned_position);
    }
    summary.steppers.push_back(s);
  }
  return summary;
}

}  // namespace rtstep::cli

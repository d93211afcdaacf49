// `rtstep rt`: the executor as its own long-lived process (split deployment, DESIGN.md §2). It creates the
// ring NAME, waits for a host (`rtstep run --connect NAME`), runs its job, publishes the result into the
// ring, waits for the host to read it, and starts over with a fresh ring (or exits with --once).
// SIGINT/SIGTERM stop it safely (step pins low, enable pins released) and remove the ring.
// --backend chooses the pins it drives (sim, gpiod, rpi4, rpi5, auto), checked and opened once before the
// first ring exists, so a wrong board or a bad pin fails at start, not when a host connects. A hardware
// backend stays open for the life of the process: its outputs are driven at their safe level (step low,
// enable released) from the start, between jobs, at every stop of the executor and at exit.
// The heater and fan outputs of printer.cfg that are not on hardware PWM are the executor's soft-PWM outputs
// (their max_duration included), so a host that dies leaves its heaters off within max_duration.
#include <atomic>
#include <csignal>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "machine/backend_choice.hpp"
#include "cli/signals.hpp"
#include "cli/commands.hpp"
#include "machine/executor_side.hpp"
#include "config/config.hpp"
#include "gpio/hardware.hpp"
#include "thermal/thermal.hpp"

namespace rtstep::cli {

namespace {

std::atomic<int> g_rt_signal{0};
void on_rt_signal(int sig) { g_rt_signal.store(sig, std::memory_order_relaxed); }

constexpr auto kPoll = std::chrono::milliseconds(1);
// Exit codes of `rtstep rt` (docs/cli.md): 0 ended cleanly (a signal while idle, or --once after a finished
// job); 1 bad config or the ring could not be created; 3 executor setup refused; 5 a job ended in a fault or
// safety stop (host lost, underrun, signal during a job, ...) -- the last job's outcome.
constexpr int kRtJobStopped = 5;

// The machine as `rtstep rt` drives it: the steppers, and the heater and fan outputs it toggles.
struct RtMachine {
  config::MachineConfig machine;
  std::vector<machine::SoftPwmOutput> pwm_outputs;
};

struct RtOptions {
  std::string shm_name;
  std::string config_path;
  std::string trace_path;
  std::string backend = "sim";
  bool virtual_clock = false;
  bool once = false;
};

bool signalled() { return g_rt_signal.load(std::memory_order_relaxed) != 0; }

// Beats for the executor while no job runs, so a host can tell a live `rtstep rt` from a stale ring.
// Returns false on a signal.
template <typename Done>
bool beat_until(ipc::SegmentRing& ring, Done done) {
  while (!done()) {
    if (signalled()) return false;
    ring.beat_executor();
    std::this_thread::sleep_for(kPoll);
  }
  return true;
}

// Runs `work` while a helper thread beats for the executor. Starting the executor (trace buffers, memory
// lock, pre-faulted stack) can take longer than the heartbeat timeout; a connected host must not take that
// silence for a dead executor and stop.
template <typename Work>
auto beating_while(ipc::SegmentRing& ring, Work work) {
  std::atomic<bool> done{false};
  std::thread beater([&] {
    while (!done.load(std::memory_order_acquire)) {
      ring.beat_executor();
      std::this_thread::sleep_for(kPoll);
    }
  });
  auto result = work();
  done.store(true, std::memory_order_release);
  beater.join();
  return result;
}

// Waits until the host has read the result (or has gone: its heartbeat stopped for the timeout).
void wait_for_host_done(ipc::SegmentRing& ring, int64_t timeout_ns) {
  uint64_t seen = ring.host_beats();
  auto seen_at = std::chrono::steady_clock::now();
  (void)beat_until(ring, [&] {
    if (ring.host_done()) return true;
    if (ring.host_beats() != seen) {
      seen = ring.host_beats();
      seen_at = std::chrono::steady_clock::now();
    }
    return std::chrono::steady_clock::now() - seen_at > std::chrono::nanoseconds(timeout_ns);
  });
}

// Waits for a host to claim the ring and start beating. False on a signal, or when a host claimed the
// ring but never beat within the timeout (it died while connecting): the caller starts over.
bool wait_for_host(ipc::SegmentRing& ring, int64_t timeout_ns) {
  std::chrono::steady_clock::time_point claimed_at{};
  bool silent = false;
  const bool got = beat_until(ring, [&] {
    if (ring.host_beats() != 0) return true;
    if (ring.host_pid() != 0 && claimed_at == std::chrono::steady_clock::time_point{}) {
      claimed_at = std::chrono::steady_clock::now();
    }
    silent = ring.host_pid() != 0 && std::chrono::steady_clock::now() - claimed_at > std::chrono::nanoseconds(timeout_ns);
    return silent;
  });
  if (got && silent) {
    std::cerr << fmt::format("rtstep rt: host pid {} connected but never started; starting over\n", ring.host_pid());
  }
  return got && !silent;
}

// Where the job left every stepper, counted from the pins: what a user needs after a stop to know where
// the machine is (the host, which knows the absolute position, may be gone).
void print_positions(const config::MachineConfig& machine, const ipc::ExecutorResult& result) {
  std::string line = "rtstep rt: position at the end of the job (steps moved, counted from the pins):";
  for (uint32_t i = 0; i < result.stepper_count && i < machine.steppers.size(); ++i) {
    const auto& stepper = machine.steppers[i];
    line += fmt::format(" {} {:+d} ({:+.3f} mm)", stepper.name, result.stepper_position[i],
                        static_cast<double>(result.stepper_position[i]) / stepper.steps_per_mm());
    if (i + 1 < result.stepper_count) line += ',';
  }
  std::cerr << line << '\n';
}

// One job on a fresh ring. Returns false when the process should exit (signal or setup error: `code`).
// `hardware`: the pins of every job, configured once (null: the sim, which machine::ExecutorSide makes per job).
bool serve_one_job(const RtMachine& rt_machine, const RtOptions& options, gpio::Backend* hardware, int& code) {
  const config::MachineConfig& machine = rt_machine.machine;
  const std::string name = ipc::ring_object_name(options.shm_name);  // "rtstep" (systemd-unit) is "/rtstep"
  auto ring = ipc::SegmentRing::create(name, machine.rt.ring_capacity);
  if (!ring) {
    std::cerr << "rtstep rt: " << ring.error().message << '\n';
    code = 1;
    return false;
  }
  if (!ring->replaced().empty()) std::cerr << "rtstep rt: " << name << ": " << ring->replaced() << '\n';
  std::cerr << fmt::format("rtstep rt: waiting for a host on {} ({} records)\n", name, ring->capacity());
  if (!wait_for_host(*ring, machine.rt.heartbeat_timeout_ns)) return !signalled();
  const machine::ExecutorSideOptions side_options{options.virtual_clock, options.trace_path, hardware,
                                                  rt_machine.pwm_outputs};
  auto side = beating_while(*ring, [&] { return machine::ExecutorSide::start(machine, *ring, side_options); });
  if (!side) {
    std::cerr << "rtstep rt: " << side.error().message << '\n';
    ring->request_stop(ipc::StopCause::kHostError);
    code = 3;
    return false;
  }
  while ((*side)->executor().running()) {
    if (signalled()) (*side)->request_stop();
    std::this_thread::sleep_for(kPoll);
  }
  const ipc::ExecutorResult result = (*side)->finish();
  const auto& report = (*side)->report();
  if (!report.warning.empty()) std::cerr << "rtstep rt: warning: " << report.warning << '\n';
  std::cerr << fmt::format("rtstep rt: {}; lateness p50 {:.3f} us, p99 {:.3f} us, max {:.3f} us; {} stall(s)\n",
                           result.message, result.lateness_p50_ns / 1e3, result.lateness_p99_ns / 1e3,
                           result.lateness_max_ns / 1e3, result.stalls);
  print_positions(machine, result);
  if (!(*side)->trace_error().empty()) std::cerr << "rtstep rt: error: " << (*side)->trace_error() << '\n';
  if ((*side)->trace_lost() > 0) std::cerr << fmt::format("rtstep rt: trace: {} writes lost\n", (*side)->trace_lost());
  const auto status = static_cast<executor::ExecutorStatus>(result.status);
  code = status == executor::ExecutorStatus::kFinished ? 0 : kRtJobStopped;
  wait_for_host_done(*ring, machine.rt.heartbeat_timeout_ns);
  return !signalled();
}

// The pins of --backend, opened before any ring exists: the choice (auto says which and why), what it
// cannot do, every pin of printer.cfg, and (hardware) the device, opened and configured once for the life
// of the process, so that its outputs are driven at their safe level from the start, between jobs and until
// exit (a released gpiod line may float). Null for the sim. Nullopt after printing the error (`code` set).
std::optional<std::unique_ptr<gpio::Backend>> open_pins(const RtMachine& rt_machine, const RtOptions& options,
                                                       int& code) {
  const config::MachineConfig& machine = rt_machine.machine;
  const auto refuse = [&](int c, const std::string& message) {
    std::cerr << "rtstep rt: " << message << '\n';
    code = c;
    return std::nullopt;
  };
  auto chosen = machine::choose_backend_for(machine, options.backend, options.virtual_clock, !options.trace_path.empty());
  if (!chosen) return refuse(1, chosen.error().message);
  if (!chosen->note.empty()) std::cerr << "rtstep rt: " << chosen->note << '\n';
  if (chosen->kind == gpio::BackendKind::kSim) return std::unique_ptr<gpio::Backend>{};
  auto opened = machine::open_machine_pins(machine, chosen->kind, rt_machine.pwm_outputs);
  if (!opened) return refuse(3, opened.error().message);
  std::cerr << fmt::format("rtstep rt: GPIO backend {}: {} outputs at their safe level\n", gpio::backend_name(chosen->kind),
                           machine::plan_pins(machine, rt_machine.pwm_outputs).pins.size());
  return std::move(*opened);
}

// printer.cfg's machine and its soft-PWM outputs (thermal::ThermalSystem's, without the hardware-PWM fans).
Result<RtMachine> load_rt_machine(const std::string& path) {
  auto raw = config::read_raw(path);
  if (!raw) return raw.error();
  auto machine = config::interpret(*raw, path);
  if (!machine) return machine.error();
  auto thermal_config = thermal::load_thermal(*raw);
  if (!thermal_config) return thermal_config.error();
  auto thermal_system = thermal::ThermalSystem::create(*thermal_config);
  if (!thermal_system) return Error{path + ": " + thermal_system.error().message};
  return RtMachine{std::move(*machine), machine::soft_pwm_plan(thermal_system->outputs()).outputs};
}

void print_pwm_outputs(const std::vector<machine::SoftPwmOutput>& outputs) {
  if (outputs.empty()) return;
  std::string line = "rtstep rt: soft-PWM outputs:";
  for (const auto& out : outputs) {
    line += fmt::format(" {} ({}, cycle {:g} s, max_duration {})", out.name, out.pin.name, out.cycle_ns / 1e9,
                        out.max_duration_ns > 0 ? fmt::format("{:g} s", out.max_duration_ns / 1e9) : "none");
    if (&out != &outputs.back()) line += ',';
  }
  std::cerr << line << '\n';
}

int run_rt(const RtOptions& options) {
  auto machine = load_rt_machine(options.config_path);
  if (!machine) {
    std::cerr << "rtstep rt: " << machine.error().message << '\n';
    return 1;
  }
  int code = 0;
  // Declared before the jobs' rings and executors, so it outlives them; its destructor leaves every output
  // at its safe level when the process ends.
  std::optional<std::unique_ptr<gpio::Backend>> hardware = open_pins(*machine, options, code);
  if (!hardware) return code;
  print_pwm_outputs(machine->pwm_outputs);
  install_stop_signals(on_rt_signal);
  while (serve_one_job(*machine, options, hardware->get(), code) && !options.once) {
  }
  if (signalled()) std::cerr << "rtstep rt: stopped by signal " << g_rt_signal.load() << '\n';
  return code;
}

}  // namespace

void add_rt_command(CLI::App& app, Commands& commands) {
  auto options = std::make_shared<RtOptions>();
  CLI::App* rt = app.add_subcommand("rt", "Run the step executor as its own process (split mode) on shared memory NAME");
  rt->add_option("--ring,--shm", options->shm_name, "Name of the shared-memory ring to create, e.g. rtstep (same as /rtstep)")->required();
  rt->add_option("--config,-c", options->config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  rt->add_option("--trace", options->trace_path, "Record every pin change into FILE (the last job's)");
  rt->add_option("--backend", options->backend, "GPIO backend: sim, gpiod, rpi4, rpi5 or auto (the board decides)")
      ->capture_default_str();
  rt->add_flag("--virtual-clock", options->virtual_clock, "Execute without waiting for real time (verification)");
  rt->add_flag("--once", options->once, "Exit after one job instead of waiting for the next host");
  commands.push_back({rt, [options] { return run_rt(*options); }});
}

}  // namespace rtstep::cli

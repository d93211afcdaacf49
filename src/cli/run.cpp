// run_job: wires every layer of DESIGN.md §1 together for one G-code file.
#include "cli/run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <map>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "machine/backend_choice.hpp"
#include "machine/embedded_rings.hpp"
#include "machine/executor_side.hpp"
#include "machine/gcode_input.hpp"
#include "machine/host_link.hpp"
#include "machine/host_pipeline.hpp"
#include "machine/mcu_boards.hpp"
#include "cli/progress.hpp"
#include "cli/split_host.hpp"
#include "machine/split_steps.hpp"
#include "machine/run_threads.hpp"
#include "cli/tools.hpp"
#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "gpio/gpio.hpp"
#include "gpio/hardware.hpp"
#include "ipc/ipc.hpp"
#include "motion/motion.hpp"
#include "executor/executor.hpp"
#include "rt/thread_table.hpp"
#include "stepgen/stepgen.hpp"
#include "util/clock.hpp"

namespace rtstep::cli {
namespace {

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// Closes a descriptor when the job ends.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// What the G-code reader does while its input pauses (gcode_input.hpp). On the real clock it may wait until
// the motion sent is within half of buffer_time of running out; then the pipeline sends what it has queued,
// so the executor finishes it and idles. On the virtual clock the executor waits for records: never idle.
// A signal (SIGINT, SIGTERM) ends the wait and the stream.
class StreamPause final : public machine::InputWait {
 public:
  StreamPause(bool virtual_clock, int64_t buffer_time_ns) : virtual_clock_(virtual_clock), margin_ns_(buffer_time_ns / 2) {}
  // Set once the job runs, before the reader first waits.
  void attach(const machine::HostLink& sink, machine::HostPipeline& host) {
    sink_ = &sink;
    host_ = &host;
  }
  int64_t patience_ns() override {
    if (virtual_clock_) return INT64_MAX;
    return sink_->last_record_ns() - monotonic_ns() - margin_ns_;
  }
  void idle() override { host_->idle(); }
  bool give_up() override { return machine::g_run_signal.load(std::memory_order_relaxed) != 0; }

 private:
  bool virtual_clock_;
  int64_t margin_ns_;
  const machine::HostLink* sink_ = nullptr;
  machine::HostPipeline* host_ = nullptr;
};

// Below the ring, embedded: this process creates the ring and runs the executor as one of its threads.
struct Embedded {
  machine::EmbeddedRings rings;
  std::unique_ptr<machine::ExecutorSide> side;
};

// The executor's account of the job, into the summary.
void take_result(const ipc::ExecutorResult& r, const config::MachineConfig& machine, RunSummary& summary) {
  const auto status = static_cast<executor::ExecutorStatus>(r.status);
  summary.executor_status = executor::status_name(status);
  summary.realtime = r.realtime != 0;
  summary.lateness = Lateness{r.lateness_count, r.lateness_p50_ns, r.lateness_p99_ns, r.lateness_p999_ns,
                              r.lateness_max_ns, r.late_edges, machine.rt.late_threshold_ns, r.stalls,
                              r.longest_stall_ns};
  summary.underruns = status == executor::ExecutorStatus::kUnderrun ? 1 : 0;
  summary.ring_high_water = r.ring_high_water;
  summary.executor_cpu_s = static_cast<double>(r.cpu_time_ns) / 1e9;
  summary.slack_ns = r.slack_ns;
  if (r.stalls > 0) {
    summary.warnings.push_back(fmt::format("the executor stalled {} time(s), longest {:.3f} ms: edges were written "
                                           "late (see docs/PERFORMANCE.md)", r.stalls, r.longest_stall_ns / 1e6));
  }
  if (status == executor::ExecutorStatus::kFinished) return;
  // The executor's stop is the root cause of what the host saw after it ("the executor stopped while the
  // host was still sending motion"), so its account leads; what the host had to say follows.
  const std::string host_error = summary.error;
  summary.error = r.message;
  if (!host_error.empty() && host_error != r.message) summary.error += "; host: " + host_error;
  const bool safety = status == executor::ExecutorStatus::kStopped || status == executor::ExecutorStatus::kTooLate ||
                      status == executor::ExecutorStatus::kBunched || status == executor::ExecutorStatus::kHostLost;
  summary.exit_code = safety ? ExitCode::kStopped : ExitCode::kExecutorFault;
  if (safety) summary.stop_reason = r.message;
}

}  // namespace

RunSummary run_job(const RunOptions& options, std::ostream& log) {
  RunSummary summary;
  summary.config_path = options.config_path;
  summary.gcode_path = options.gcode_path;
  summary.trace_path = options.trace_path;
  summary.mode = options.connect_name.empty() ? "embedded" : "split";
  const auto fail = [&](ExitCode code, std::string message) {
    summary.exit_code = code;
    summary.error = std::move(message);
    return summary;
  };
  if (!options.connect_name.empty() && !options.trace_path.empty()) {
    return fail(ExitCode::kUsage, "--trace records the pins of this process; with --connect, give it to `rtstep rt`");
  }
  // The executor keeps the clock. A connected host cannot see which one `rtstep rt` keeps (the ring does not
  // say), so it neither assumes nor reports a virtual one.
  if (!options.connect_name.empty() && options.virtual_clock) {
    return fail(ExitCode::kUsage, "--virtual-clock runs the executor of this process without waiting; with --connect "
                                  "the clock is `rtstep rt`'s: start it as `rtstep rt --virtual-clock` and leave the "
                                  "option out here");
  }
  summary.virtual_clock = options.virtual_clock;

  auto machine = config::load(options.config_path);
  if (!machine) return fail(ExitCode::kUsage, machine.error().message);
  summary.ignored_sections = machine->ignored_sections;
  auto chosen = machine::choose_backend_for(*machine, options.backend, options.virtual_clock, !options.trace_path.empty());
  if (!chosen) return fail(ExitCode::kUsage, chosen.error().message);
  if (!chosen->note.empty()) log << "rtstep run: " << chosen->note << '\n';
  const bool hardware = chosen->kind != gpio::BackendKind::kSim;
  summary.backend = gpio::backend_name(chosen->kind);
  if (hardware && !options.connect_name.empty()) {
    return fail(ExitCode::kUsage, "--backend chooses the pins of this process; with --connect, `rtstep rt` drives them");
  }
  if (auto hierarchy = rt::hierarchy_from(machine->rt); !hierarchy) {
    return fail(ExitCode::kUsage, options.config_path + ": " + hierarchy.error().message);
  }
  std::unique_ptr<machine::McuBoards> boards;  // --mcu: the boards' steppers run there, not on the executor
  if (options.mcu) {
    if (options.virtual_clock) return fail(ExitCode::kUsage, "--mcu drives real boards: it cannot run on the virtual clock");
    auto planned = machine::McuBoards::plan(*machine, {machine->rt.buffer_time_ns / 2});
    if (!planned) return fail(ExitCode::kUsage, planned.error().message);
    boards = std::move(*planned);
    if (!boards) return fail(ExitCode::kUsage, options.config_path + ": --mcu: no stepper has its pins on an [mcu] board");
    if (auto started = boards->start(); !started) return fail(ExitCode::kExecutorFault, started.error().message);
    std::erase_if(summary.ignored_sections, [](const std::string& s) { return s == "mcu" || s.rfind("mcu ", 0) == 0; });
  }
  auto kinematics = motion::Kinematics::create(*machine);
  if (!kinematics) return fail(ExitCode::kUsage, options.config_path + ": " + kinematics.error().message);
  const FdCloser gcode_fd{::open(options.gcode_path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (gcode_fd.fd < 0) {
    return fail(ExitCode::kUsage, fmt::format("{}: cannot open G-code file: {}", options.gcode_path, std::strerror(errno)));
  }
  StreamPause pause(options.virtual_clock, machine->rt.buffer_time_ns);
  machine::GcodeInput gcode_input(gcode_fd.fd, &pause);
  std::istream gcode_file(&gcode_input);

  // Below the ring: embedded, this process runs the executor thread; split, `rtstep rt` does.
  std::unique_ptr<gpio::Backend> hardware_pins;  // outlives the executor side that drives it
  std::optional<Embedded> embedded;
  std::optional<ipc::SegmentRing> connected;
  ipc::SegmentRing* producer = nullptr;
  if (options.connect_name.empty()) {
    auto rings = machine::create_embedded_rings("rtstep-run-", machine->rt.ring_capacity, "rtstep run", log);
    if (!rings) return fail(ExitCode::kExecutorFault, rings.error().message);
    embedded.emplace(Embedded{std::move(*rings), nullptr});
    machine::ExecutorSideOptions side_options{options.virtual_clock, options.trace_path};
    if (hardware) {
      auto opened = machine::open_machine_pins(*machine, chosen->kind);
      if (!opened) return fail(ExitCode::kExecutorFault, opened.error().message);
      hardware_pins = std::move(*opened);
      side_options.hardware = hardware_pins.get();
    }
    auto side = machine::ExecutorSide::start(*machine, embedded->rings.consumer, side_options);
    if (!side) return fail(ExitCode::kExecutorFault, side.error().message);
    embedded->side = std::move(*side);
    producer = &embedded->rings.producer;
  } else {
    auto ring = connect_to_rt(options, log);
    if (!ring) return fail(ExitCode::kExecutorFault, ring.error().message);
    connected.emplace(std::move(*ring));
    producer = &*connected;
  }
  summary.ring_capacity = producer->capacity();
  // This thread plans and feeds the ring: rtstep-host in the [rt] hierarchy (put back when the job ends).
  // Placed after the executor side has started its threads, so that they do not inherit the host's policy
  // and CPUs (a virtual-clock executor, which sets no scheduling of its own, would otherwise spin at the
  // host's priority on the host's CPU and starve it).
  auto threads = machine::RunThreads::place_host(machine->rt);
  if (!threads) return fail(ExitCode::kExecutorFault, threads.error().message);
  summary.host_thread = threads->host_description();
  if (!threads->host_warning().empty()) summary.warnings.push_back(threads->host_warning());
  // Embedded on the virtual clock, the executor side relaxes its watch alike (executor_side.hpp); a
  // connected host cannot know the clock of `rtstep rt` and keeps [rt] heartbeat_timeout.
  machine::HostLink sink(*producer, machine::heartbeat_timeout_ns(machine->rt, options.virtual_clock && embedded.has_value()));
  sink.set_lead(options.virtual_clock ? 0 : machine->rt.buffer_time_ns);
  sink.set_diverter(boards.get());
  sink.start();

  if (auto started = sink.wait_for_executor(); !started) {
    // Nothing was sent. Ending the stream lets an executor that starts now finish an empty job, so that
    // `rtstep rt` reports a job ended by its host (SIGTERM), not a lost host.
    (void)sink.end_stream();
    summary.stop_reason = started.error().message;
    return fail(ExitCode::kStopped, started.error().message);
  }
  // Above the ring: parser -> toolhead -> step generator. Print time 0 is buffer_time from now (and from
  // the moment the executor runs), so the host is that far ahead of the executor from the first step on.
  const int64_t origin_ns = monotonic_ns() + machine->rt.buffer_time_ns;
  // Split mode: the pipeline's records pass through a step count for the progress line.
  machine::SplitSteps split_steps(sink, *producer);
  stepgen::RecordSink& pipeline_sink = embedded ? static_cast<stepgen::RecordSink&>(sink) : split_steps;
  const std::thread::id host_thread = std::this_thread::get_id();
  bool log_placed = false;
  std::string log_warning;
  Progress progress(log, options.log_is_terminal, [&] {
    // The progress thread places itself as rtstep-log on its first sample (the final sample comes from
    // this thread, which stays rtstep-host).
    if (!log_placed && std::this_thread::get_id() != host_thread) {
      log_placed = true;
      log_warning = threads->place_log();
    }
    ProgressSample p;
    p.file_bytes = gcode_input.bytes();
    p.file_size = file_size(options.gcode_path);
    p.planned_s = static_cast<double>(std::max<int64_t>(sink.last_record_ns() - origin_ns, 0)) / 1e9;
    // On the real clock the executor has run the motion up to now, but never past what was sent (a host that
    // waits for input, or the end of the job, leaves it idle).
    const double elapsed_s = static_cast<double>(std::max<int64_t>(monotonic_ns() - origin_ns, 0)) / 1e9;
    p.executed_s = options.virtual_clock ? p.planned_s : std::min(elapsed_s, p.planned_s);
    p.steps = embedded ? embedded->side->executor().steps_written() : split_steps.due(monotonic_ns());
    return p;
  });
  if (options.progress) progress.start();
  // G28 homes through the executor: it samples the endstop inputs while the homing move runs.
  machine::HomingLink homing;
  homing.ring = producer;
  homing.sink = &pipeline_sink;
  homing.virtual_clock = options.virtual_clock;
  // The sim's carriage is where the config says; a real one is not known, nor (split mode) whether the
  // connected `rtstep rt` drives real pins: then G28 always moves to the switch. So it does when an extra
  // stepper rests apart from its axis ([sim] start_position_z1): its own switch is elsewhere.
  homing.trust_start_position =
      !hardware && options.connect_name.empty() && machine->motion.sim_stepper_start.empty() && !boards;
  // A board's steppers home on the board's switch, which reports there (mcu_boards.hpp).
  if (boards) homing.board_report = [&boards] { return boards->take_homing_report(); };
  homing.buffer_time_ns = machine->rt.buffer_time_ns;
  homing.homing_move = [&sink, &split_steps](bool sending) {
    sink.suspend_lead(sending);
    split_steps.homing_move(sending);
  };
  homing.executor_alive = [&] {
    if (embedded) return embedded->side->executor().running();
    ipc::ExecutorResult ended;
    return !sink.executor_lost() && !producer->try_result(ended);
  };
  machine::HostPipeline host(*machine, *kinematics, options.gcode_path, origin_ns, pipeline_sink, nullptr, &homing);
  host.on_emergency_stop([&sink, &boards](const std::string& why) {
    sink.emergency_stop(why);
    if (boards) boards->emergency_stop();
  });
  host.follow_clock([&] {
    return static_cast<double>(monotonic_ns() - origin_ns + machine->rt.buffer_time_ns) / 1e9;
  });
  pause.attach(sink, host);
  machine::FeedResult fed = host.feed(gcode_file, log);
  if (fed.ok && !gcode_input.error().empty()) {
    fed.ok = false;
    fed.error = options.gcode_path + ": " + gcode_input.error();
  }
  if (fed.ok && gcode_input.gave_up()) {
    fed.ok = false;
    const char* by = machine::g_run_signal.load(std::memory_order_relaxed) == SIGINT ? "SIGINT" : "SIGTERM";
    fed.error = fmt::format("{}: the rest of {} was not read", by, options.gcode_path);
  }
  summary.ignored_commands = fed.ignored_commands;
  if (!fed.ok) {
    summary.error = fed.error;
    summary.exit_code = ExitCode::kJobError;
  }
  const motion::Toolhead& toolhead = host.toolhead();
  const stepgen::StepGenerator& generator = host.generator();
  // The boards' account: where their steppers are, once their last step has run. A board that stopped
  // (shutdown, restart) stops the executor too, and its message leads.
  std::vector<std::optional<machine::McuStepperCount>> board_counts;
  std::string board_fault;
  if (boards && (fed.emergency_stop || sink.stop_reason().rfind("emergency stop", 0) == 0)) {
    boards->emergency_stop();  // M112, SIGINT: the boards drop what they hold, as the executor does
  } else if (boards) {
    auto finished = boards->finish();
    summary.boards = boards->summaries();
    if (finished) {
      board_counts = std::move(*finished);
    } else {
      board_fault = finished.error().message;
      sink.emergency_stop(board_fault);
    }
  }

  std::string trace_error;  // --trace could not be written: reported, the motion is not stopped for it
  // Whatever happened above, end the stream so the executor finishes what was queued and stops.
  if (auto ended = sink.end_stream(); !ended && embedded) embedded->side->request_stop();
  if (embedded) {
    (void)embedded->side->finish();
    if (!embedded->side->report().warning.empty()) summary.warnings.push_back(embedded->side->report().warning);
    summary.trace_lost = embedded->side->trace_lost();
    trace_error = embedded->side->trace_error();
    if (summary.trace_lost > 0) {
      summary.warnings.push_back(fmt::format("trace: {} writes lost (the drain fell behind)", summary.trace_lost));
    }
  }
  auto result = sink.wait_result();
  if (result) split_steps.settle(result->steps);
  progress.stop();
  sink.detach();
  summary.stop_reason = sink.stop_reason();
  summary.moves = toolhead.moves_emitted();
  summary.print_time_s = toolhead.print_time();
  if (!result) {
    summary.executor_status = "lost";
    summary.stop_reason = result.error().message;
    return fail(ExitCode::kStopped, result.error().message);
  }
  take_result(*result, *machine, summary);
  if (!board_fault.empty()) {  // the root cause: what the host and the executor saw followed from it
    summary.error = summary.stop_reason = board_fault;
    summary.exit_code = ExitCode::kStopped;
  }
  if (!log_warning.empty()) summary.warnings.push_back("progress thread: " + log_warning);
  // The executor's row of the thread table: its step-edge lateness (split mode: from the result block).
  if (embedded) {
    summary.threads.push_back(rt::executor_row("rtstep-exec", embedded->side->executor().lateness().snapshot()));
  } else {
    rt::ThreadRow row;
    row.name = "rtstep-exec";
    row.avg_time_ns = result->lateness_p50_ns;
    row.max_time_ns = result->lateness_max_ns;
    row.note = "times are step-edge lateness (" + std::to_string(result->lateness_count) +
               " edges; split mode: the median as Avg-Time)";
    summary.threads.push_back(row);
  }
  if (!summary.stop_reason.empty() && summary.exit_code == ExitCode::kJobError) summary.exit_code = ExitCode::kStopped;
  summary.host_cpu_s = std::max(cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - (embedded ? summary.executor_cpu_s : 0.0), 0.0);
  if (result->stepper_count != machine->steppers.size()) {
    return fail(ExitCode::kUsage, fmt::format("the executor drives {} steppers, {} has {}: not the same printer.cfg?",
                                              result->stepper_count, options.config_path, machine->steppers.size()));
  }
  for (std::size_t i = 0; i < machine->steppers.size(); ++i) {
    StepperSummary s;
    s.name = machine->steppers[i].name;
    s.steps = result->stepper_steps[i];
    // Steps a homing move generated past its trip were never meant to run; the trip point renamed
    // position_endstop shifts the count without motion (both 0 without homing).
    s.planned_steps = generator.totals(i).steps - static_cast<uint64_t>(host.endstops()->dropped_steps(i));
    s.segments = generator.totals(i).segments;
    s.homing_offset = host.endstops()->homing_offset(i);
    s.position = generator.initial_steps(i) + result->stepper_position[i] + s.homing_offset;
    s.planned_position = generator.steps_at(i, toolhead.position());
    s.shortest_interval_ns = result->stepper_shortest_interval_ns[i];
    s.planned_interval_ns = result->stepper_planned_interval_ns[i];
    s.max_backlog = result->stepper_max_backlog[i];
    if (i < board_counts.size() && board_counts[i]) {
      s.mcu = board_counts[i]->mcu;
      s.steps = board_counts[i]->steps;
      s.position = generator.initial_steps(i) + board_counts[i]->moved + s.homing_offset;
      s.shortest_interval_ns = s.planned_interval_ns = 0;
      s.max_backlog = 0;
    }
    // Judged by the guard's bound; with the guard off ([rt] max_bunch: 0), by one full step.
    const uint32_t bound = machine::max_bunch_steps(machine->rt, machine->steppers[i]);
    s.bunch_bound = bound > 0 ? bound : static_cast<uint32_t>(machine->steppers[i].microsteps);
    if (s.position != s.planned_position && summary.exit_code == ExitCode::kOk) {
      summary.exit_code = ExitCode::kPositionMismatch;
      summary.error = fmt::format("{} ended at {} steps, planned {}", s.name, s.position, s.planned_position);
    }
    summary.steppers.push_back(s);
  }
  if (!trace_error.empty() && summary.exit_code == ExitCode::kOk) return fail(ExitCode::kTraceIncomplete, trace_error);
  if (!trace_error.empty()) summary.warnings.push_back(trace_error);
  return summary;
}

}  // namespace rtstep::cli

// run_job: `rtstep run` on the machine controller (machine::Controller): the G-code file runs as its print
// job, and the summary comes from the motion session's account.
#include "cli/run.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "cli/progress.hpp"
#include "cli/split_host.hpp"
#include "config/config.hpp"
#include "executor/executor.hpp"
#include "machine/controller.hpp"

namespace rtstep::cli {
namespace {

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

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
  if (!host_error.empty() && host_error != r.message && host_error.find(r.message) == std::string::npos) {
    summary.error += "; host: " + host_error;
  }
  const bool safety = status == executor::ExecutorStatus::kStopped || status == executor::ExecutorStatus::kTooLate ||
                      status == executor::ExecutorStatus::kBunched || status == executor::ExecutorStatus::kHostLost;
  summary.exit_code = safety ? ExitCode::kStopped : ExitCode::kExecutorFault;
  if (safety) summary.stop_reason = r.message;
}

// How the job ended, into the summary (before the executor's account, which may overrule it).
void take_job_end(const machine::JobEnd& end, const RunOptions& options, RunSummary& summary) {
  using Why = machine::JobEnd::Why;
  summary.ignored_commands = end.ignored_commands;
  if (!end.backend.empty()) summary.backend = end.backend;
  switch (end.why) {
    case Why::kComplete:
    case Why::kCount:  // the summary's own count check says which stepper
      return;
    case Why::kConfig:
    case Why::kInput:
      summary.exit_code = ExitCode::kUsage;
      break;
    case Why::kStartup:
      summary.exit_code = g_run_signal.load() != 0 ? ExitCode::kStopped : ExitCode::kExecutorFault;
      if (summary.exit_code == ExitCode::kStopped) summary.stop_reason = end.message;
      break;
    case Why::kLine:
      summary.exit_code = ExitCode::kJobError;
      break;
    case Why::kShutdown:
      summary.exit_code = ExitCode::kStopped;
      summary.stop_reason = end.message;
      break;
    case Why::kCancelled: {
      const int sig = g_run_signal.load();
      summary.exit_code = ExitCode::kStopped;
      summary.stop_reason = sig == SIGINT ? "SIGINT" : "SIGTERM";
      summary.error = fmt::format("{}: the rest of {} was not read", summary.stop_reason, options.gcode_path);
      return;
    }
  }
  summary.error = end.message;
}

// Runs the controller's job to its end, acting on SIGINT (an emergency stop) and SIGTERM (the job stops
// short, the motion sent runs out) meanwhile.
machine::JobEnd wait_for_job(machine::Controller& controller, const std::string& path) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<machine::JobEnd> end;
  controller.run_file(path, [&](machine::JobEnd e) {
    std::lock_guard lock(mu);
    end = std::move(e);
    cv.notify_all();
  });
  bool stopped = false, emergency = false;
  std::unique_lock lock(mu);
  while (!cv.wait_for(lock, std::chrono::milliseconds(10), [&] { return end.has_value(); })) {
    const int sig = g_run_signal.load(std::memory_order_relaxed);
    if (sig == SIGINT && !emergency) {
      emergency = true;
      controller.emergency_stop("SIGINT");
    } else if (sig == SIGTERM && !stopped) {
      stopped = true;
      controller.stop();
    }
  }
  return *end;
}

// The motion session's account into the summary: the executor's result, each stepper's count against the
// plan, and the checks that set the exit code.
RunSummary summarise(const machine::MotionAccount& account, const config::MachineConfig& machine,
                     const RunOptions& options, RunSummary summary) {
  const auto fail = [&](ExitCode code, std::string message) {
    summary.exit_code = code;
    summary.error = std::move(message);
    return summary;
  };
  summary.ring_capacity = account.ring_capacity;
  summary.host_thread = account.host_thread;
  summary.boards = account.boards;
  summary.moves = account.moves;
  summary.print_time_s = account.print_time_s;
  summary.trace_lost = account.trace_lost;
  summary.warnings.insert(summary.warnings.end(), account.warnings.begin(), account.warnings.end());
  if (summary.trace_lost > 0) {
    summary.warnings.push_back(fmt::format("trace: {} writes lost (the drain fell behind)", summary.trace_lost));
  }
  if (summary.stop_reason.empty()) summary.stop_reason = account.stop_reason;
  if (!account.result) {
    summary.executor_status = "lost";
    summary.stop_reason = account.lost_reason;
    return fail(ExitCode::kStopped, account.lost_reason);
  }
  const ipc::ExecutorResult& result = *account.result;
  take_result(result, machine, summary);
  if (!account.board_fault.empty()) {  // the root cause: what the host and the executor saw followed from it
    summary.error = summary.stop_reason = account.board_fault;
    summary.exit_code = ExitCode::kStopped;
  }
  // The executor's row of the thread table: its step-edge lateness (split mode: from the result block).
  if (account.executor_row) {
    summary.threads.push_back(*account.executor_row);
  } else {
    rt::ThreadRow row;
    row.name = "rtstep-exec";
    row.avg_time_ns = result.lateness_p50_ns;
    row.max_time_ns = result.lateness_max_ns;
    row.note = "times are step-edge lateness (" + std::to_string(result.lateness_count) +
               " edges; split mode: the median as Avg-Time)";
    summary.threads.push_back(row);
  }
  if (!summary.stop_reason.empty() && summary.exit_code == ExitCode::kJobError) summary.exit_code = ExitCode::kStopped;
  summary.host_cpu_s = std::max(cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - (account.split ? 0.0 : summary.executor_cpu_s), 0.0);
  if (result.stepper_count != machine.steppers.size()) {
    return fail(ExitCode::kUsage, fmt::format("the executor drives {} steppers, {} has {}: not the same printer.cfg?",
                                              result.stepper_count, options.config_path, machine.steppers.size()));
  }
  for (const StepperSummary& s : account.steppers) {
    if (s.position != s.planned_position && summary.exit_code == ExitCode::kOk) {
      summary.exit_code = ExitCode::kPositionMismatch;
      summary.error = fmt::format("{} ended at {} steps, planned {}", s.name, s.position, s.planned_position);
    }
    summary.steppers.push_back(s);
  }
  if (!account.trace_error.empty() && summary.exit_code == ExitCode::kOk) {
    return fail(ExitCode::kTraceIncomplete, account.trace_error);
  }
  if (!account.trace_error.empty()) summary.warnings.push_back(account.trace_error);
  return summary;
}

}  // namespace

std::atomic<int> g_run_signal{0};

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
  if (options.mcu) {
    std::erase_if(summary.ignored_sections, [](const std::string& s) { return s == "mcu" || s.rfind("mcu ", 0) == 0; });
  }

  machine::ControllerOptions controller_options;
  controller_options.config_path = options.config_path;
  controller_options.virtual_clock = options.virtual_clock;
  controller_options.backend = options.backend;
  controller_options.mcu = options.mcu;
  controller_options.who = "rtstep run";
  controller_options.trace_path = options.trace_path;
  if (!options.connect_name.empty()) controller_options.connect = [&options, &log] { return connect_to_rt(options, log); };
  machine::ControllerHooks hooks;
  hooks.log = [&log](const std::string& line) { log << line << '\n' << std::flush; };
  auto controller = machine::Controller::create(std::move(controller_options), std::move(hooks));
  if (!controller) return fail(ExitCode::kExecutorFault, controller.error().message);
  // The job's output (M114's answer, RESPOND, notes) goes to the log as it comes.
  (*controller)->add_output_listener(1, [&log](const std::string& line) { log << line << '\n' << std::flush; });

  const std::thread::id main_thread = std::this_thread::get_id();
  std::atomic<bool> log_placed{false};
  std::string log_warning;
  Progress progress(log, options.log_is_terminal, [&] {
    // The progress thread places itself as rtstep-log on its first sample (the final sample comes from
    // this thread).
    if (!log_placed.load() && std::this_thread::get_id() != main_thread) {
      log_placed = true;
      log_warning = (*controller)->place_as_log();
    }
    const machine::JobProgress now = (*controller)->job_progress();
    return ProgressSample{now.file_bytes, now.file_size, now.motion.executed_s, now.motion.planned_s, now.motion.steps};
  });
  if (options.progress) progress.start();
  const machine::JobEnd end = wait_for_job(**controller, options.gcode_path);
  progress.stop();
  (*controller)->stop();
  (*controller)->wait_stopped();
  take_job_end(end, options, summary);
  const std::optional<machine::MotionAccount> account = (*controller)->motion_account();
  controller->reset();
  if (!log_warning.empty()) summary.warnings.push_back("progress thread: " + log_warning);
  if (!account) return summary;  // the machine never started: the job's end says why
  return summarise(*account, *machine, options, std::move(summary));
}

}  // namespace rtstep::cli

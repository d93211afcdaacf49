// `rtstep hal`: LinuxCNC-style HAL configurations on rtstep's periodic threads (hal/hal.hpp), with halrun's
// and halcmd's command lines:
//   rtstep hal -f FILE [COMMAND ARGS...]  runs the file (and then the command), stops the threads, unloads
//                                         and exits with the file's status, as `halrun -f FILE`;
//   rtstep hal -I [-f FILE]               the same with an interactive prompt after the file;
//   rtstep hal COMMAND ARGS...            one halcmd command (`rtstep hal show pin`), then exit;
//   rtstep hal FILE | -                   runs the file (or stdin), then lets started threads run for
//                                         --duration seconds or until Ctrl-C (rtstep's own mode);
//   ... --gcode FILE --config printer.cfg runs until motmod has played the G-code job.
// Placement of the threads: [rt] of --config (base_priority, servo_priority, host_cpus, lock_memory,
// allow_non_realtime), or --priority/--cpus; thread statistics go to stderr (or `show thread`).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "gpio/hardware.hpp"
#include "hal/halcmd.hpp"
#include "hal/motion_job.hpp"
#include "hal/tool_socket.hpp"
#include "rt/cpu_list.hpp"
#include "rt/hierarchy_config.hpp"

namespace rtstep::cli {

namespace {

// What to do after an overrun report (rt/periodic.hpp): the report says what happened.
constexpr const char* kOverrunAdvice =
    "; measure this host with `rtstep latency`, check it with `rtstep doctor`, or lengthen the thread's period\n";

std::atomic<bool> g_interrupted{false};  // set by SIGINT/SIGTERM while the threads run

extern "C" void on_interrupt(int /*signal*/) { g_interrupted.store(true); }

struct HalOptions {
  std::vector<std::string> args;  // FILE, or a halcmd command and its arguments
  std::string file;
  std::vector<std::string> command;  // a one-shot halcmd command (after -f FILE when both are given)
  bool halrun = false;       // -f or a one-shot command: exit after the file/command, as halrun/halcmd
  bool interactive = false;  // -I: a prompt after the file
  bool duration_given = false;
  int priority = 0;           // --priority: the first thread's (0: [rt] base_priority or its default)
  std::string cpus;           // --cpus LIST
  std::string ini;
  std::string f_file;  // -f [FILE]: halcmd's way to name the file (no FILE: stdin)
  bool keep_going = false;
  bool script = false;   // -s
  bool echo = false;     // -e
  bool errors_only = false;  // -q (the default)
  bool quiet = false;    // -Q
  bool verbose = false;  // -v
  bool debug = false;    // -V: as -v
  double duration_s = -1;  // < 0: until Ctrl-C
  bool no_realtime = false;
  std::string gcode;    // --gcode: played by motmod
  std::string config;   // --config: the machine (kinematics, limits, steppers) for --gcode
  std::string backend = "sim";  // --backend: what hal_gpio drives
  std::string user_tool;        // --user-tool: the child's side of a built-in tool (hal/tool_socket.hpp)
};

// Interruptible sleep in the main thread while the HAL threads run; false when interrupted or out of time.
bool wait_a_little(hal::Hal& hal, std::chrono::steady_clock::time_point end) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (const auto& report : hal.take_overrun_reports()) std::cerr << "rtstep hal: " << report << kOverrunAdvice;
  return !g_interrupted.load() && std::chrono::steady_clock::now() < end;
}

double pin_value(const hal::Hal& hal, const std::string& name) {
  auto it = hal.pins().find(name);
  if (it == hal.pins().end()) return 0;
  return it->second->slot->load(std::memory_order_relaxed)->get<double>();
}

bool pin_linked(const hal::Hal& hal, const std::string& name) {
  auto it = hal.pins().find(name);
  return it != hal.pins().end() && it->second->signal != nullptr;
}

// Joints whose feedback is wired and still more than one step away from the command.
std::vector<std::size_t> joints_behind(const hal::Hal& hal, const hal::MotionJob& job) {
  std::vector<std::size_t> behind;
  for (std::size_t j = 0; j < job.joint_count(); ++j) {
    const std::string n = "joint." + std::to_string(j);
    if (!pin_linked(hal, n + ".motor-pos-fb")) continue;
    const double steps = (pin_value(hal, n + ".motor-pos-fb") - pin_value(hal, n + ".motor-pos-cmd")) * job.steps_per_mm(j);
    if (std::fabs(steps) > 1.0) behind.push_back(j);
  }
  return behind;
}

// Plays the G-code job: starts the feeder, waits until motmod has played every move (or the time is up,
// or Ctrl-C), lets the followers settle for a few servo periods, then prints what happened per joint.
// Returns the exit code: 0 played, 1 cut short or underrun, 2 G-code error.
int play_gcode(hal::Hal& hal, hal::MotionJob& job, const HalOptions& o) {
  if (auto st = hal::check_motion_wiring(hal); !st) {
    std::cerr << o.file << ": error: " << st.error().message << "\n";
    return 1;
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  if (auto st = job.start_feeder(std::cerr); !st) {
    std::cerr << "rtstep hal: " << st.error().message << "\n";
    return 1;
  }
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(o.duration_s < 0 ? 1e9 : o.duration_s));
  while (!job.progress().finished.load() && wait_a_little(hal, end)) {
  }
  // The followers (stepgen) trail the command by a servo period or two, much more when the base thread
  // runs late (each base period makes at most one step): wait until every wired feedback is within a
  // step of its command, for up to 10 s.
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (job.progress().finished.load() && !joints_behind(hal, job).empty() && wait_a_little(hal, settle)) {
  }
  job.stop_feeder();
  hal.stop();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  const auto& p = job.progress();
  const uint64_t played = p.moves_played.load();
  std::cout << fmt::format("motion: {}: {} of {} moves played, {:.3f} s of motion\n", job.gcode_path(), played,
                           job.moves_pushed(), pin_value(hal, "motion.print-time"));
  for (std::size_t j = 0; j < job.joint_count(); ++j) {
    const std::string n = "joint." + std::to_string(j);
    const double cmd = pin_value(hal, n + ".motor-pos-cmd");
    const double fb = pin_value(hal, n + ".motor-pos-fb");
    std::cout << fmt::format("  {:<8} {:<10} command {:>10.4f} mm  feedback {:>10.4f} mm  ({:+.2f} steps)\n", n,
                             job.joint_name(j), cmd, fb, (fb - cmd) * job.steps_per_mm(j));
  }
  int code = 0;
  if (const std::string error = job.feeder_error(); !error.empty() && job.feeder_done()) {
    std::cerr << error << "\n";
    code = error.starts_with("motion: stopped") ? 1 : 2;
  }
  if (const uint64_t held = p.underrun_periods.load(); held > 0) {
    std::cerr << fmt::format("rtstep hal: motion underrun: the planner fell behind the servo thread for {} periods "
                             "(first after G-code line {}); the joints held still meanwhile\n",
                             held, p.underrun_line.load());
    code = std::max(code, 1);
  }
  if (const auto behind = joints_behind(hal, job); !behind.empty() && p.finished.load()) {
    std::string names;
    for (std::size_t j : behind) names += (names.empty() ? "" : ", ") + job.joint_name(j);
    std::cerr << fmt::format("rtstep hal: {} did not reach the commanded position within 10 s of the end of the "
                             "job (feedback more than one step away): the base thread is too slow for these "
                             "step rates on this machine (see the thread table)\n",
                             names);
    code = std::max(code, 1);
  }
  if (!p.finished.load()) {
    std::cerr << fmt::format("rtstep hal: stopped before the end of the job ({}): {} of {} moves played\n",
                             g_interrupted.load() ? "interrupted" : "--duration reached",
                             played, job.moves_pushed());
    code = std::max(code, 1);
  }
  return code;
}

// --gcode: the machine from --config and the G-code job motmod will play. Null with an error printed.
std::unique_ptr<hal::MotionJob> make_motion_job(const HalOptions& o) {
  if (o.config.empty()) {
    std::cerr << "rtstep hal: --gcode needs --config printer.cfg (the machine's kinematics, limits and steppers)\n";
    return nullptr;
  }
  auto machine = config::load(o.config);
  if (!machine) {
    std::cerr << machine.error().message << "\n";
    return nullptr;
  }
  auto job = hal::MotionJob::create(std::move(*machine), o.gcode);
  if (!job) {
    std::cerr << job.error().message << "\n";
    return nullptr;
  }
  return std::move(*job);
}

// Lets the started threads run for --duration or until Ctrl-C; overrun reports go to stderr.
void run_threads(hal::Hal& hal, const HalOptions& o) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.duration_s < 0 ? 1e9 : o.duration_s);
  if (o.duration_s < 0) std::cerr << "rtstep hal: threads running; Ctrl-C to stop\n";
  while (!g_interrupted.load() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& report : hal.take_overrun_reports()) std::cerr << "rtstep hal: " << report << kOverrunAdvice;
  }
  hal.stop();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

// Sorts the command line into halrun's modes (see the top of this file). False with a message on a misuse.
bool resolve_mode(HalOptions& o, bool f_given) {
  if (!o.args.empty() && hal::Halcmd::is_command(o.args.front())) {
    o.command = o.args;  // `rtstep hal show pin`, or after -f FILE
    o.halrun = true;
  } else if (o.args.size() > 1) {
    std::cerr << "rtstep hal: '" << o.args[1] << "': give one HAL file, or a halcmd command ('" << o.args.front()
              << "' is not one)\n";
    return false;
  } else if (o.args.size() == 1) {
    o.file = o.args.front();
  }
  if (f_given && !o.file.empty()) {
    std::cerr << "rtstep hal: give the HAL file once: either FILE or -f FILE\n";
    return false;
  }
  if (f_given) {
    o.file = o.f_file.empty() ? "-" : o.f_file;
    o.halrun = true;
  }
  if (o.interactive) o.halrun = true;
  if (o.file.empty() && o.command.empty() && !o.interactive) {
    std::cerr << "rtstep hal: which HAL file? (rtstep hal -f FILE.hal, rtstep hal FILE.hal, rtstep hal -I, "
                 "rtstep hal COMMAND ARGS..., or - for stdin)\n";
    return false;
  }
  // halrun's modes run no time of their own after the file unless asked.
  if (o.halrun && !o.duration_given) o.duration_s = 0;
  return true;
}

// The threads' placement: [rt] of --config, then --priority / --cpus. False with a message on an error.
bool thread_options(const HalOptions& o, hal::Hal::ThreadOptions& threads) {
  threads.realtime = !o.no_realtime;
  threads.lock_memory = !o.no_realtime;
  if (!o.config.empty()) {
    auto machine = config::load(o.config);
    if (!machine) {
      std::cerr << machine.error().message << "\n";
      return false;
    }
    // The one hierarchy every rtstep thread takes its place from (checked: executor > base > servo > ...).
    auto hierarchy = rt::hierarchy_from(machine->rt);
    if (!hierarchy) {
      std::cerr << o.config << ": " << hierarchy.error().message << "\n";
      return false;
    }
    threads.base_priority = hierarchy->base_priority;
    threads.servo_priority = hierarchy->servo_priority;
    threads.cpus = hierarchy->host_cpus;
    threads.allow_non_realtime = hierarchy->allow_non_realtime;
    threads.lock_memory = threads.lock_memory && hierarchy->lock_memory;
  }
  if (o.priority > 0) {
    threads.servo_priority = o.priority - (threads.base_priority - threads.servo_priority);
    threads.base_priority = o.priority;
  }
  if (!o.cpus.empty()) {
    auto cpus = rt::parse_cpu_list(o.cpus);
    if (!cpus) {
      std::cerr << "rtstep hal: --cpus " << o.cpus << ": " << cpus.error().message << "\n";
      return false;
    }
    threads.cpus = *cpus;
  }
  return true;
}

// The file (or stdin), then the one-shot command and -I's prompt. Returns false when an error stopped it.
// As halrun: the command runs after a file that passed (or with -k) and reports its error at
// "<commandline>:0"; -I's prompt comes after the file whatever its result, and runs as `halcmd -kf`
// (every line, whatever failed before it, also when stdin is a pipe).
bool run_commands(hal::Halcmd& cmd, const HalOptions& o) {
  bool ok = true;
  if (o.file == "-") {
    const bool tty = isatty(STDIN_FILENO) != 0;
    ok = cmd.run_stream(std::cin, "<stdin>", tty && !o.halrun ? "halcmd: " : "");
    if (tty && !o.halrun) std::cout << "\n";
  } else if (!o.file.empty()) {
    ok = cmd.run_file(o.file);
  }
  if ((ok || o.keep_going) && !o.command.empty() && !cmd.quit_requested()) ok = cmd.run_command(o.command) && ok;
  if (o.interactive && !cmd.quit_requested()) {
    const bool tty = isatty(STDIN_FILENO) != 0;
    cmd.set_keep_going(true);
    cmd.run_stream(std::cin, "<stdin>", tty ? "halcmd: " : "");
    if (tty) std::cout << "\n";
  }
  return ok;
}

// A thread that runs without its real-time placement says why, once, with the knobs rtstep hal reads.
void report_placement(const hal::Hal& hal, const HalOptions& o) {
  const auto warnings = hal.placement_warnings();
  for (const auto& w : warnings) std::cerr << "rtstep hal: " << w << "\n";
  if (!warnings.empty()) {
    std::cerr << "rtstep hal: the threads' placement comes from [rt] of --config printer.cfg (base_priority, "
                 "servo_priority, host_cpus, allow_non_realtime) or --priority/--cpus"
              << (o.config.empty() ? " (no --config given: defaults)" : "") << "; --no-rt runs them SCHED_OTHER\n";
  }
}

int run_hal(const HalOptions& o) {
  // Declared before the Hal, so they outlive its threads.
  std::unique_ptr<hal::MotionJob> job;
  if (!o.gcode.empty() && !(job = make_motion_job(o))) return 1;
  auto backend_kind = o.backend == "auto" ? Result<gpio::BackendKind>(gpio::choose_backend().kind)
                                           : gpio::parse_backend_kind(o.backend);
  if (!backend_kind) {
    std::cerr << "rtstep hal: --backend " << o.backend << ": " << backend_kind.error().message << "\n";
    return 1;
  }
  hal::Hal::ThreadOptions threads;
  if (!thread_options(o, threads)) return 1;
  hal::Hal hal;
  hal.set_motion_job(job.get());
  hal.set_gpio_backend_kind(*backend_kind);
  hal.set_thread_options(threads);
  hal::Halcmd cmd(hal, std::cout, std::cerr);
  cmd.set_keep_going(o.keep_going);
  cmd.set_script_mode(o.script);
  cmd.set_echo(o.echo);
  cmd.set_quiet(o.quiet);
  cmd.set_verbose(o.verbose || o.debug);
  std::unique_ptr<hal::IniFile> ini;
  if (!o.ini.empty()) {
    auto loaded = hal::IniFile::load(o.ini);
    if (!loaded) {
      std::cerr << loaded.error().message << "\n";
      return 1;
    }
    ini = std::make_unique<hal::IniFile>(std::move(*loaded));
    cmd.set_ini(ini.get());
  }
  const bool ok = run_commands(cmd, o);
  report_placement(hal, o);
  int code = cmd.error_count() == 0 && ok ? 0 : 1;
  if (ok || o.keep_going) {
    if (job != nullptr && !cmd.quit_requested()) {
      code = std::max(code, play_gcode(hal, *job, o));
    } else if (hal.threads_started() && hal.running() && !cmd.quit_requested() && o.duration_s != 0) {
      run_threads(hal, o);
    }
  }
  hal.stop();
  cmd.user_programs().stop_all();  // as halrun's `unload all`: loadusr's programs end before the HAL does
  for (const auto& report : hal.take_overrun_reports()) std::cerr << "rtstep hal: " << report << kOverrunAdvice;
  // The statistics on request only: -v, or rtstep's own mode (stderr, so stdout holds what `show` printed).
  if (hal.threads_started() && (!o.halrun || o.verbose || o.debug)) std::cerr << hal.thread_report();
  hal.shutdown();
  return code;
}

}  // namespace

void add_hal_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<HalOptions>();
  CLI::App* sub = app.add_subcommand("hal", "Run a LinuxCNC-style .hal configuration on rtstep's periodic threads");
  sub->add_option("args", o->args,
                  "FILE.hal (or - for stdin) to run and keep running, or a halcmd command and its arguments "
                  "(rtstep hal show pin)");
  CLI::Option* f_option =
      sub->add_option("-f", o->f_file, "halrun's: run FILE (without FILE: stdin), then stop and exit with its status")
          ->expected(0, 1);
  sub->add_flag("-I", o->interactive, "halrun's: an interactive prompt after the file");
  sub->add_option("-i,--ini", o->ini, "INI file for [SECTION]KEY substitution")->check(CLI::ExistingFile);
  sub->add_flag("-k,--keep-going", o->keep_going, "Report every error instead of stopping at the first");
  sub->add_flag("-s,--script", o->script, "Script mode: show without titles, one line per signal and thread");
  sub->add_flag("-e,--echo", o->echo, "Print each command before it runs");
  sub->add_flag("-q,--quiet", o->errors_only, "Print errors only (the default; as `rtstep run -q`)");
  sub->add_flag("-Q,--silent", o->quiet,
                "Quiet, as halcmd's -Q: hide the HAL library's and the loader's lines and the output of show, "
                "list and status (errors at FILE:LINE and the exit status remain)");
  sub->add_flag("-v,--verbose", o->verbose, "Report each command that succeeded, and the thread table, on stderr");
  sub->add_flag("-V", o->debug, "As -v");
  CLI::Option* duration =
      sub->add_option("--duration", o->duration_s,
                      "Seconds to run started threads after the file (default: until Ctrl-C; with -f: 0)")
          ->check(CLI::NonNegativeNumber);
  sub->add_flag("--no-rt", o->no_realtime, "Run the threads SCHED_OTHER without locking memory (tests, CI)");
  sub->add_option("--priority", o->priority,
                  "SCHED_FIFO priority of the first (fastest) thread, the others below it (default: [rt] "
                  "base_priority and servo_priority of --config, else 75 and 70, below the step executor)")
      ->check(CLI::Range(2, 99));
  sub->add_option("--cpus", o->cpus, "CPUs for the threads, e.g. 1 or 2-3 (default: [rt] host_cpus of --config)");
  sub->add_option("--gcode", o->gcode, "G-code file for motmod to play (needs --config); runs until it is played")
      ->check(CLI::ExistingFile);
  sub->add_option("--config,-c", o->config, "printer.cfg: the machine --gcode runs on, and [rt]'s thread placement")
      ->check(CLI::ExistingFile);
  sub->add_option("--backend", o->backend, "GPIO backend hal_gpio drives: sim (default), gpiod, rpi4, rpi5 or auto");
  // A one-shot command with options of its own follows `--`: `rtstep hal -- show pin -t float`.
  // How a program that loadusr started runs rtstep's halstreamer/halsampler on this HAL (hal/tool_socket.hpp).
  sub->add_option("--user-tool", o->user_tool, "Internal: run a built-in HAL tool for a loadusr child process")
      ->group("");
  commands.push_back({sub, [o, f_option, duration] {
                        if (!o->user_tool.empty()) return hal::run_tool_client(o->user_tool, o->args);
                        o->duration_given = duration->count() > 0;
                        return resolve_mode(*o, f_option->count() > 0) ? run_hal(*o) : 1;
                      }});
}

}  // namespace rtstep::cli

// `rtstep bench soak` (soak.hpp): generated load, then the virtual-clock print, then the real-time print.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/soak.hpp"
#include "cli/tools.hpp"
#include "rt/load.hpp"

extern char** environ;

namespace rtstep::cli {

namespace {

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// stress-ng beside the built-in load, for as long as the soak runs: one CPU, one memory and one I/O worker.
class StressNg {
 public:
  Status start(const std::string& workdir) {
    std::vector<std::string> args{"stress-ng", "--cpu", "1", "--vm", "1", "--vm-bytes", "256M", "--hdd", "1",
                                  "--hdd-bytes", "64M", "--temp-path", workdir, "--quiet"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "stress-ng", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return Error{"stress-ng: cannot start it"};
    }
    return Ok{};
  }
  ~StressNg() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

uint64_t lost_steps(const RunSummary& run) {
  uint64_t lost = 0;
  for (const auto& s : run.steppers) lost += s.steps > s.planned_steps ? s.steps - s.planned_steps : s.planned_steps - s.steps;
  return lost;
}

// The soak measures the motion on the sim backend: its print extrudes without heating first (the sim's hot
// end would take minutes), so when the extruder has a heater, cold extrusion is allowed for the soak: the
// job runs `config_path` through an include with `min_extrude_temp: 0` added. Returns the config to run.
Result<std::string> soak_config(const SoakOptions& o) {
  auto raw = config::read_raw(o.config_path);
  if (!raw) return raw.error();
  const config::Section* extruder = raw->find("extruder");
  if (extruder == nullptr || !extruder->values.count("heater_pin")) return o.config_path;
  const std::string path = fmt::format("{}/rtstep-soak-{}.cfg", o.workdir, getpid());
  std::ofstream out(path);
  out << "[include " << std::filesystem::absolute(o.config_path).string() << "]\n\n[extruder]\nmin_extrude_temp: 0\n";
  if (!out.flush()) return Error{fmt::format("{}: cannot write the soak's config", path)};
  return path;
}

Result<SoakPhase> run_phase(const SoakOptions& o, const config::MachineConfig& machine, bool virtual_clock,
                            std::ostream& log) {
  SoakPhase phase;
  phase.name = virtual_clock ? "virtual" : "realtime";
  const double motion_s = virtual_clock ? o.virtual_hours * 3600 : o.realtime_minutes * 60;
  const std::string path = fmt::format("{}/rtstep-soak-{}-{}.gcode", o.workdir, getpid(), phase.name);
  {
    std::ofstream out(path);
    if (!out) return Error{fmt::format("{}: cannot write the generated G-code", path)};
    phase.gcode = write_soak_gcode(out, soak_shape(machine), motion_s, o.seed);
    if (!out.flush()) return Error{fmt::format("{}: write failed (disk full?)", path)};
  }
  log << fmt::format("soak: {} print, {} layers, {} lines, estimated {:.0f} s of motion\n", phase.name,
                     phase.gcode.layers, phase.gcode.lines, phase.gcode.estimated_s);
  auto config_path = soak_config(o);
  if (!config_path) return config_path.error();
  RunOptions run;
  run.config_path = *config_path;
  run.gcode_path = path;
  run.virtual_clock = virtual_clock;
  run.progress = o.progress;
  run.log_is_terminal = o.log_is_terminal;
  const auto t0 = std::chrono::steady_clock::now();
  phase.run = run_job(run, log);
  phase.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  phase.lost_steps = lost_steps(phase.run);
  std::filesystem::remove(path);
  if (*config_path != o.config_path) std::filesystem::remove(*config_path);
  return phase;
}

}  // namespace

bool SoakPhase::passed() const { return run.exit_code == ExitCode::kOk && lost_steps == 0; }

int SoakReport::exit_code() const {
  if (phases.empty()) return exit_code::kUsage;  // nothing was asked to run
  for (const auto& p : phases) {
    if (p.run.exit_code != ExitCode::kOk) return static_cast<int>(p.run.exit_code);
  }
  return passed() ? exit_code::kOk : exit_code::kCheckFailed;
}

bool SoakReport::passed() const {
  if (phases.empty()) return false;
  for (const auto& p : phases) {
    if (!p.passed()) return false;
  }
  return true;
}

nlohmann::json SoakReport::to_json() const {
  nlohmann::json j;
  j["load"] = load;
  j["load_iterations"] = load_iterations;
  j["passed"] = passed();
  for (const auto& p : phases) {
    nlohmann::json phase = p.run.to_json();
    phase["phase"] = p.name;
    phase["wall_s"] = p.wall_s;
    phase["lost_steps"] = p.lost_steps;
    phase["generated"] = {{"lines", p.gcode.lines}, {"layers", p.gcode.layers}, {"estimated_s", p.gcode.estimated_s}};
    j["phases"].push_back(phase);
  }
  return j;
}

std::string SoakReport::to_text() const {
  std::string out = fmt::format("rtstep bench soak: load {}\n", load);
  for (const auto& p : phases) {
    out += fmt::format("\n== {} print: {:.1f} s of motion in {:.1f} s wall, {} moves, lost steps {}\n", p.name,
                       p.run.print_time_s, p.wall_s, p.run.moves, p.lost_steps);
    if (!p.run.error.empty()) out += "error: " + p.run.error + "\n";
    out += p.run.to_text();
  }
  out += fmt::format("\nsoak {}\n", passed() ? "passed: no step lost, every stepper where planned" : "FAILED");
  return out;
}

Result<SoakReport> run_soak(const SoakOptions& o, std::ostream& log) {
  auto machine = config::load(o.config_path);
  if (!machine) return machine.error();
  auto load_config = parse_load(o.load);
  if (!load_config) return load_config.error();
  load_config->io_dir = o.workdir;
  if (o.stress_ng != "auto" && o.stress_ng != "on" && o.stress_ng != "off") {
    return Error{"--stress-ng: expected auto, on or off, got \"" + o.stress_ng + "\""};
  }
  const bool use_stress_ng = o.stress_ng == "on" || (o.stress_ng == "auto" && on_path("stress-ng"));
  if (o.stress_ng == "on" && !on_path("stress-ng")) return Error{"--stress-ng on: stress-ng is not installed (apt install stress-ng)"};

  SoakReport report;
  rt::BackgroundLoad load;
  if (auto started = load.start(*load_config); !started) return started.error();
  StressNg stress;
  if (use_stress_ng) {
    if (auto started = stress.start(o.workdir); !started) return started.error();
  }
  report.load = load.description() + (stress.running() ? " + stress-ng cpu+vm+hdd" : "");
  log << "soak: background load " << report.load << "\n";
  for (const bool virtual_clock : {true, false}) {
    if ((virtual_clock ? o.virtual_hours : o.realtime_minutes) <= 0) continue;
    auto phase = run_phase(o, *machine, virtual_clock, log);
    if (!phase) return phase.error();
    report.phases.push_back(std::move(*phase));
  }
  report.load_iterations = load.iterations();
  return report;
}

namespace {

// --write-gcode: the virtual phase's print as a file, nothing run.
int write_soak_file(const SoakOptions& o, const std::string& path) {
  auto machine = config::load(o.config_path);
  if (!machine) return std::cerr << "rtstep bench soak: " << machine.error().message << "\n", exit_code::kUsage;
  std::ofstream out(path);
  const SoakGcode g = write_soak_gcode(out, soak_shape(*machine), o.virtual_hours * 3600, o.seed);
  if (!out.flush()) return std::cerr << "rtstep bench soak: " << path << ": cannot write\n", exit_code::kIncomplete;
  std::cout << fmt::format("{}: {} layers, {} lines, estimated {:.0f} s of motion\n", path, g.layers, g.lines,
                           g.estimated_s);
  return 0;
}

}  // namespace

void add_bench_soak_command(CLI::App& bench, Commands& commands) {
  auto o = std::make_shared<SoakOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = bench.add_subcommand(
      "soak", "A long virtual-clock print, then a real-time print, under CPU, memory and I/O load; lost steps must be 0");
  cmd->add_option("--config,-c", o->config_path, "printer.cfg")->required()->check(CLI::ExistingFile);
  cmd->add_option_function<double>(
         "--duration", [o](double seconds) { o->realtime_minutes = seconds / 60; },
         "Seconds of the real-time print (wall time; default 600)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--minutes", o->realtime_minutes, "The same in minutes (older spelling)")->check(CLI::NonNegativeNumber);
  cmd->add_option_function<double>(
         "--virtual-duration", [o](double seconds) { o->virtual_hours = seconds / 3600; },
         "Seconds of motion of the virtual-clock print (default 28800: an overnight print)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--virtual-hours", o->virtual_hours, "The same in hours (older spelling)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--load", o->load, "Built-in background load: cpu,memory,io (any subset; \"\" = none)")
      ->capture_default_str();
  cmd->add_option("--stress-ng", o->stress_ng, "Also run stress-ng: auto (when installed), on, off")->capture_default_str();
  cmd->add_option("--workdir", o->workdir, "Where the generated G-code and the I/O load's files go")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the generated print")->capture_default_str();
  cmd->add_flag("--json", *json, "Print the report as JSON");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("--quiet,-q", *quiet, "Print errors only: no progress or notes on stderr");
  auto write_only = std::make_shared<std::string>();
  cmd->add_option("--write-gcode", *write_only,
                  "Only write the --virtual-hours print to this file (to time `rtstep run` on it) and exit");
  commands.push_back({cmd, [o, json, write_only, quiet] {
                        if (!write_only->empty()) return write_soak_file(*o, *write_only);
                        o->progress = !*quiet;
                        o->log_is_terminal = isatty(STDERR_FILENO) != 0;
                        std::ostream quiet_log(nullptr);  // a stream without a buffer drops what it is given
                        auto report = run_soak(*o, *quiet ? quiet_log : std::cerr);
                        if (!report) {
                          std::cerr << "rtstep bench soak: " << report.error().message << "\n";
                          return exit_code::kUsage;
                        }
                        std::cout << (*json ? report->to_json().dump(2) + "\n" : report->to_text());
                        return report->exit_code();
                      }});
}

}  // namespace rtstep::cli

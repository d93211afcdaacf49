// `rtstep run`: options, signals and output; the pipeline itself is run_job (run.cpp).
#include <unistd.h>

#include <csignal>
#include <ostream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/signals.hpp"
#include "cli/parse_errors.hpp"
#include "cli/summary.hpp"
#include "cli/ignored_config.hpp"
#include "cli/run.hpp"

namespace rtstep::cli {

namespace {

// SIGINT: emergency stop (queued motion dropped). SIGTERM: the job stops short, the motion sent runs out.
// The handler only stores the number; run_job acts on it. A second SIGINT kills the process.
void on_signal(int sig) {
  if (sig == SIGINT && g_run_signal.load(std::memory_order_relaxed) == SIGINT) std::_Exit(130);
  g_run_signal.store(sig, std::memory_order_relaxed);
}


}  // namespace

// run's codes are the table every command uses (exit_codes.hpp).
static_assert(static_cast<int>(ExitCode::kUsage) == exit_code::kUsage && static_cast<int>(ExitCode::kJobError) == exit_code::kJob &&
              static_cast<int>(ExitCode::kExecutorFault) == exit_code::kFault &&
              static_cast<int>(ExitCode::kPositionMismatch) == exit_code::kCheckFailed &&
              static_cast<int>(ExitCode::kStopped) == exit_code::kStopped &&
              static_cast<int>(ExitCode::kTraceIncomplete) == exit_code::kIncomplete);

void add_run_command(CLI::App& app, Commands& commands) {
  struct Options {
    RunOptions run;
    bool json = false;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* run = app.add_subcommand("run", "Run a G-code file through the whole pipeline and print a summary");
  run->add_option("--config,-c", options->run.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  run->add_option("gcode", options->run.gcode_path, "G-code file to run ('-' = standard input)")
      ->required()
      ->check(existing_file_or_stdin());
  run->add_flag("--json", options->json, "Print the summary as one JSON object on stdout (also after a failure)");
  run->add_flag("--virtual-clock", options->run.virtual_clock,
                "Execute without waiting for real time: every edge at its scheduled time (verification)");
  run->add_option("--trace", options->run.trace_path,
                  "Record every pin change into FILE (docs/trace-format.md; read it with `rtstep trace`)");
  run->add_option("--connect,--ring", options->run.connect_name,
                  "Split mode: send the job to the executor of `rtstep rt --ring NAME` instead of running one here");
  run->add_option("--connect-wait", options->run.connect_wait_s,
                  "Seconds to wait for the ring of `rtstep rt` to appear and be ready (it is created at its start "
                  "and anew after each job)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  run->add_option("--backend", options->run.backend,
                  "GPIO backend: sim (default), gpiod, rpi4, rpi5, or auto (the board decides; says which and why)");
  run->add_flag("--mcu", options->run.mcu,
                "Drive the [mcu] boards (Klipper's firmware) that the steppers' pins name; without it their pins "
                "are labels on the sim backend");
  run->add_flag("--quiet,-q", options->quiet, "Print errors only: no progress, notes or M114 replies on stderr");
  commands.push_back({run, [options] {
                        if (const std::string why = unwritable_reason(options->run.trace_path); !why.empty()) {
                          std::cerr << "rtstep run: --trace " << why << '\n';
                          return exit_code::kUsage;
                        }
                        install_stop_signals(on_signal);
                        options->run.gcode_path = gcode_input_path(options->run.gcode_path);
                        options->run.progress = !options->quiet;
                        options->run.log_is_terminal = isatty(STDERR_FILENO) != 0;
                        // Notes and progress go to stderr so that --json leaves stdout as one JSON document.
                        std::ostream quiet_log(nullptr);  // a stream without a buffer drops what it is given
                        const RunSummary summary = run_job(options->run, options->quiet ? quiet_log : std::cerr);
                        if (!summary.error.empty()) std::cerr << "rtstep run: " << summary.error << '\n';
                        const IgnoredConfig ignored = ignored_config(options->run.config_path);
                        if (options->json) {
                          nlohmann::json j = summary.to_json();
                          j["ignored_keys"] = ignored.keys;
                          j["config_warnings"] = ignored.warnings;
                          std::cout << j.dump(2) << '\n';
                        } else if (!summary.steppers.empty()) {  // a job that never started has nothing to sum up
                          std::cout << summary.to_text();
                          std::cout << ignored_config_text({{}, ignored.keys, ignored.warnings});
                          if (ended_early(summary)) std::cout << stop_positions(summary);
                        }
                        return static_cast<int>(summary.exit_code);
                      }});
}

}  // namespace rtstep::cli

// `rtstep run`: options, signals and output; the pipeline itself is run_job (run.cpp).
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "machine/host_link.hpp"
#include "cli/run.hpp"

namespace rtstep::cli {

namespace {

// SIGINT: emergency stop (queued motion dropped). SIGTERM: finish the queued motion, then exit.
// The handler only stores the number; machine::HostLink's thread acts on it. A second SIGINT kills the process.
void on_signal(int sig) {
  if (sig == SIGINT && machine::g_run_signal.load(std::memory_order_relaxed) == SIGINT) std::_Exit(130);
  machine::g_run_signal.store(sig, std::memory_order_relaxed);
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Over RLIMIT_FSIZE (the ring's shared-memory object counts too) a write or ftruncate would raise SIGXFSZ
  // and kill the process mid-move; ignored, it fails with EFBIG and the job reports it.
  std::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace

void add_run_command(CLI::App& app, Commands& commands) {
  struct Options {
    RunOptions run;
    bool json = false;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* run = app.add_subcommand("run", "Run a G-code file through the whole pipeline and print a summary");
  run->add_option("--config,-c", options->run.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  run->add_option("gcode", options->run.gcode_path, "G-code file to run")->required()->check(CLI::ExistingFile);
  run->add_flag("--json", options->json, "Print the summary as one JSON object on stdout");
  run->add_flag("--virtual-clock", options->run.virtual_clock,
                "Execute without waiting for real time: every edge at its scheduled time (verification)");
  run->add_option("--trace", options->run.trace_path,
                  "Record every pin change into FILE (docs/trace-format.md; read it with `rtstep trace`)");
  run->add_option("--connect", options->run.connect_name,
                  "Split mode: send the job to the executor of `rtstep rt --shm NAME` instead of running one here");
  run->add_option("--connect-wait", options->run.connect_wait_s,
                  "Seconds to wait for the ring of `rtstep rt` to appear and be ready (it is created at its start "
                  "and anew after each job)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  run->add_option("--backend", options->run.backend,
                  "GPIO backend: sim (default), gpiod, rpi4, rpi5, or auto (the board decides; says which and why)");
  run->add_flag("--quiet,-q", options->quiet, "No progress display");
  commands.push_back({run, [options] {
                        install_signal_handlers();
                        options->run.progress = !options->quiet;
                        options->run.log_is_terminal = isatty(STDERR_FILENO) != 0;
                        // Notes and progress go to stderr so that --json leaves stdout as one JSON document.
                        const RunSummary summary = run_job(options->run, std::cerr);
                        if (options->json) {
                          std::cout << summary.to_json().dump(2) << '\n';
                        } else {
                          std::cout << summary.to_text();
                        }
                        return static_cast<int>(summary.exit_code);
                      }});
}

}  // namespace rtstep::cli

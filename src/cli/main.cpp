// rtstep: command-line entry point.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/run.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rtstep: real-time step-pulse engine for Linux (G-code in, step pulses out)"};
  app.set_version_flag("--version", std::string("rtstep ") + RTSTEP_VERSION);
  app.require_subcommand(1);

  rtstep::cli::RunOptions run_options;
  bool json = false;
  CLI::App* run = app.add_subcommand("run", "Run a G-code file through the whole pipeline and print a summary");
  run->add_option("--config,-c", run_options.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  run->add_option("gcode", run_options.gcode_path, "G-code file to run")->required()->check(CLI::ExistingFile);
  run->add_flag("--json", json, "Print the summary as one JSON object on stdout");
  run->add_flag("--virtual-clock", run_options.virtual_clock,
                "Execute without waiting for real time: every edge at its scheduled time (verification)");

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) {
    // Notes go to stderr so that --json leaves stdout as one JSON document.
    const rtstep::cli::RunSummary summary = rtstep::cli::run_job(run_options, std::cerr);
    if (json) {
      std::cout << summary.to_json().dump(2) << '\n';
    } else {
      std::cout << summary.to_text();
    }
    return static_cast<int>(summary.exit_code);
  }
  return 0;
}

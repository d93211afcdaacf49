// `rtstep run`: options and output; the pipeline itself is run_job (run.cpp).
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/run.hpp"

namespace rtstep::cli {

void add_run_command(CLI::App& app, Commands& commands) {
  struct Options {
    RunOptions run;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* run = app.add_subcommand("run", "Run a G-code file through the whole pipeline and print a summary");
  run->add_option("--config,-c", options->run.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  run->add_option("gcode", options->run.gcode_path, "G-code file to run")->required()->check(CLI::ExistingFile);
  run->add_flag("--json", options->json, "Print the summary as one JSON object on stdout");
  run->add_flag("--virtual-clock", options->run.virtual_clock,
                "Execute without waiting for real time: every edge at its scheduled time (verification)");
  commands.push_back({run, [options] {
                        // Notes go to stderr so that --json leaves stdout as one JSON document.
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

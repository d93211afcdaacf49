// rtstep: command-line entry point. Each subcommand lives in its own file (cli/commands.hpp); the parser's
// own errors are turned into rtstep's (cli/parse_errors.hpp), so every command exits with the codes of
// docs/cli.md.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/parse_errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rtstep: real-time step-pulse engine for Linux (G-code in, step pulses out)"};
  app.set_version_flag("--version", std::string("rtstep ") + RTSTEP_VERSION);
  app.require_subcommand(1);

  rtstep::cli::Commands commands;
  rtstep::cli::add_run_command(app, commands);
  rtstep::cli::add_serve_command(app, commands);
  rtstep::cli::add_rt_command(app, commands);
  rtstep::cli::add_trace_command(app, commands);
  rtstep::cli::add_bench_command(app, commands);
  rtstep::cli::add_hal_command(app, commands);
  rtstep::cli::add_plan_command(app, commands);
  rtstep::cli::add_latency_command(app, commands);
  rtstep::cli::add_threads_command(app, commands);
  rtstep::cli::add_doctor_command(app, commands);
  rtstep::cli::add_systemd_command(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return rtstep::cli::report_parse_error(app, e, argc, argv, std::cout, std::cerr);
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.action();
  }
  return 0;
}

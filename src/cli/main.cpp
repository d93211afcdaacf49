// rtstep: command-line entry point. Each subcommand lives in its own file (cli/commands.hpp).
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rtstep: real-time step-pulse engine for Linux (G-code in, step pulses out)"};
  app.set_version_flag("--version", std::string("rtstep ") + RTSTEP_VERSION);
  app.require_subcommand(1);

  rtstep::cli::Commands commands;
  rtstep::cli::add_run_command(app, commands);
  rtstep::cli::add_rt_command(app, commands);
  rtstep::cli::add_trace_command(app, commands);
  rtstep::cli::add_bench_command(app, commands);
  rtstep::cli::add_hal_command(app, commands);
  rtstep::cli::add_plan_command(app, commands);
  rtstep::cli::add_latency_command(app, commands);
  rtstep::cli::add_threads_command(app, commands);
  rtstep::cli::add_doctor_command(app, commands);
  rtstep::cli::add_systemd_command(app, commands);

  CLI11_PARSE(app, argc, argv);
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.action();
  }
  return 0;
}

// `rtstep trace FILE [--stats] [--vcd OUT] [--plot OUT.svg]`: reads a trace written by `rtstep run --trace` /
// `rtstep rt --trace`.
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "trace/trace.hpp"

namespace rtstep::cli {

namespace {

int write_plot(const trace::Trace& trace, const std::string& path) {
  const trace::SpeedPlot plot = trace::speed_plot(trace);
  std::ofstream out(path);
  out << plot.svg;
  if (!out.flush()) {
    std::cerr << "rtstep trace: " << path << ": cannot write\n";
    return exit_code::kIncomplete;
  }
  for (const trace::StepperSpeed& s : plot.steppers) {
    std::cerr << fmt::format("{}: {} steps, {} late, {} bunched\n", s.name, s.steps, s.late_steps, s.bunched_steps);
  }
  std::cerr << "wrote " << path << '\n';
  return exit_code::kOk;
}

}  // namespace

void add_trace_command(CLI::App& app, Commands& commands) {
  struct Options {
    std::string path;
    bool stats = false;
    std::string vcd_path;
    std::string plot_path;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("trace", "Inspect an edge trace: statistics, a VCD for PulseView/GTKWave, a speed plot");
  cmd->add_option("file", options->path, "Trace file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--stats", options->stats, "Edge counts per pin, shortest pulse and dir setup per stepper, lateness "
                                           "(the default without --vcd or --plot)");
  cmd->add_option("--vcd", options->vcd_path, "Write a Value Change Dump (1 ns timescale) to OUT ('-' = stdout)");
  cmd->add_option("--plot", options->plot_path,
                  "Write an SVG of each stepper's step rate over time, written against planned, late and bunched "
                  "steps marked");
  commands.push_back({cmd, [options] {
                        auto trace = trace::read_trace(options->path);
                        if (!trace) {
                          std::cerr << "rtstep trace: " << trace.error().message << '\n';
                          return exit_code::kUsage;
                        }
                        const bool stats = options->stats || (options->vcd_path.empty() && options->plot_path.empty());
                        if (stats) std::cout << trace::format_stats(*trace, trace::compute_stats(*trace));
                        if (options->vcd_path == "-") {
                          trace::write_vcd(*trace, std::cout);
                        } else if (!options->vcd_path.empty()) {
                          if (auto st = trace::write_vcd(*trace, options->vcd_path); !st) {
                            std::cerr << "rtstep trace: " << st.error().message << '\n';
                            return exit_code::kIncomplete;
                          }
                        }
                        if (!options->plot_path.empty()) {
                          if (const int code = write_plot(*trace, options->plot_path); code != exit_code::kOk) return code;
                        }
                        if (trace->lost > 0) {
                          std::cerr << "rtstep trace: " << trace->lost << " writes were lost when the trace was recorded: "
                                    << "it is incomplete\n";
                          return exit_code::kIncomplete;
                        }
                        return exit_code::kOk;
                      }});
}

}  // namespace rtstep::cli

// `rtstep trace FILE [--stats] [--vcd OUT]`: reads a trace written by `rtstep run --trace` / `rtstep rt --trace`.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "trace/trace.hpp"

namespace rtstep::cli {

void add_trace_command(CLI::App& app, Commands& commands) {
  struct Options {
    std::string path;
    bool stats = false;
    std::string vcd_path;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("trace", "Inspect an edge trace: statistics and a VCD for PulseView/GTKWave");
  cmd->add_option("file", options->path, "Trace file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--stats", options->stats, "Edge counts per pin, shortest pulse and dir setup per stepper, lateness");
  cmd->add_option("--vcd", options->vcd_path, "Write a Value Change Dump (1 ns timescale) to OUT ('-' = stdout)");
  commands.push_back({cmd, [options] {
                        auto trace = trace::read_trace(options->path);
                        if (!trace) {
                          std::cerr << "error: " << trace.error().message << '\n';
                          return 1;
                        }
                        const bool stats = options->stats || options->vcd_path.empty();
                        if (stats) std::cout << trace::format_stats(*trace, trace::compute_stats(*trace));
                        if (options->vcd_path == "-") {
                          trace::write_vcd(*trace, std::cout);
                        } else if (!options->vcd_path.empty()) {
                          if (auto st = trace::write_vcd(*trace, options->vcd_path); !st) {
                            std::cerr << "error: " << st.error().message << '\n';
                            return 1;
                          }
                        }
                        return trace->lost > 0 ? 2 : 0;
                      }});
}

}  // namespace rtstep::cli

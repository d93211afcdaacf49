// `rtstep plan`: the command line of machine::plan_job (machine/host_pipeline.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_errors.hpp"
#include "cli/ignored_config.hpp"
#include "machine/host_pipeline.hpp"

namespace rtstep::cli {

namespace {

// Why the G-code file cannot be read ("" when it can), in the words `rtstep run` uses.
std::string unreadable_reason(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("{}: cannot open G-code file: {}", path, std::strerror(errno));
  ::close(fd);
  return {};
}

}  // namespace

void add_plan_command(CLI::App& app, Commands& commands) {
  struct Options {
    machine::PlanOptions plan;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* plan = app.add_subcommand("plan", "Plan a G-code file on the host only (no executor) and summarise the steps");
  plan->add_option("--config,-c", options->plan.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  plan->add_option("gcode", options->plan.gcode_path, "G-code file to plan ('-' = standard input)")
      ->required()
      ->check(existing_file_or_stdin());
  plan->add_flag("--json", options->json, "Print the summary as one JSON object on stdout (also after a failure)");
  plan->add_option("--steps-csv", options->plan.steps_csv_dir,
                   "Write every exact step time to DIR/<stepper>.csv (time_ns,dir,position)");
  commands.push_back({plan, [options] {
                        options->plan.gcode_path = gcode_input_path(options->plan.gcode_path);
                        // Checked here so that the message gives the reason, as `rtstep run` does (a FIFO
                        // or /dev/stdin is opened once only: by plan_job).
                        if (options->plan.gcode_path != "/dev/stdin") {
                          if (const std::string why = unreadable_reason(options->plan.gcode_path); !why.empty()) {
                            std::cerr << "rtstep plan: " << why << '\n';
                            return exit_code::kUsage;
                          }
                        }
                        machine::PlanSummary summary = machine::plan_job(options->plan, std::cerr);
                        if (!summary.error.empty()) std::cerr << "rtstep plan: " << summary.error << '\n';
                        const IgnoredConfig ignored = ignored_config(options->plan.config_path);
                        if (options->json) {
                          nlohmann::json j = summary.to_json();
                          j["ignored_sections"] = ignored.sections;
                          j["ignored_keys"] = ignored.keys;
                          j["config_warnings"] = ignored.warnings;
                          std::cout << j.dump(2) << '\n';
                        } else if (!summary.steppers.empty()) {  // a plan that never started has nothing to sum up
                          summary.error.clear();  // said on stderr above
                          std::cout << summary.to_text();
                          if (!summary.ignored_commands.empty()) {
                            std::cout << fmt::format("ignored commands: {}\n", fmt::join(summary.ignored_commands, " "));
                          }
                          std::cout << ignored_config_text(ignored);
                        }
                        return summary.exit_code;
                      }});
}

}  // namespace rtstep::cli

// `rtstep plan`: the command line of machine::plan_job (machine/host_pipeline.hpp).
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "machine/host_pipeline.hpp"

namespace rtstep::cli {

void add_plan_command(CLI::App& app, Commands& commands) {
  struct Options {
    machine::PlanOptions plan;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* plan = app.add_subcommand("plan", "Plan a G-code file on the host only (no executor) and summarise the steps");
  plan->add_option("--config,-c", options->plan.config_path, "printer.cfg to use")->required()->check(CLI::ExistingFile);
  plan->add_option("gcode", options->plan.gcode_path, "G-code file to plan")->required()->check(CLI::ExistingFile);
  plan->add_flag("--json", options->json, "Print the summary as one JSON object on stdout");
  plan->add_option("--steps-csv", options->plan.steps_csv_dir,
                   "Write every exact step time to DIR/<stepper>.csv (time_ns,dir,position)");
  commands.push_back({plan, [options] {
                        const machine::PlanSummary summary = machine::plan_job(options->plan, std::cerr);
                        if (options->json) {
                          std::cout << summary.to_json().dump(2) << '\n';
                        } else {
                          std::cout << summary.to_text();
                        }
                        return summary.exit_code;
                      }});
}

}  // namespace rtstep::cli

// `rtstep doctor`: host checks with PASS / WARN / FAIL and the fix for each (rt/doctor.hpp).
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/tools.hpp"
#include "rt/cpu_list.hpp"

namespace rtstep::cli {

Result<rt::DoctorInput> doctor_input(const std::string& config_path, const std::string& cpus_override,
                                     const std::string& root) {
  rt::DoctorInput in;
  in.root = root;
  if (!config_path.empty()) {
    auto machine = config::load(config_path);
    if (!machine) return machine.error();
    in.executor_cpus = machine->rt.cpus;
    in.host_cpus = machine->rt.host_cpus;
    in.executor_priority = machine->rt.executor_priority;
  }
  if (!cpus_override.empty()) {
    auto cpus = rt::parse_cpu_list(cpus_override);
    if (!cpus) return Error{"--cpus: " + cpus.error().message};
    in.executor_cpus = std::move(cpus).value();
  }
  return in;
}

nlohmann::json doctor_json(const std::vector<rt::Check>& checks) {
  nlohmann::json list = nlohmann::json::array();
  int counts[3] = {0, 0, 0};
  for (const auto& c : checks) {
    ++counts[static_cast<int>(c.status)];
    list.push_back({{"id", c.id}, {"title", c.title}, {"status", rt::status_name(c.status)}, {"detail", c.detail}, {"fix", c.fix}});
  }
  return {{"ok", counts[2] == 0}, {"passed", counts[0]}, {"warnings", counts[1]}, {"failed", counts[2]}, {"checks", list}};
}

void add_doctor_command(CLI::App& app, Commands& commands) {
  struct Options {
    std::string config;
    std::string cpus;
    std::string root = "/";
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("doctor", "Check the host for real-time use (kernel, isolation, governor, "
                                               "throttling, limits, IRQs, board) and print the fix for each problem");
  cmd->add_option("--config,-c", o->config, "printer.cfg: the [rt] cpus and priority to check against")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cpus", o->cpus, "Executor CPUs to check (instead of [rt] cpus), e.g. 3");
  cmd->add_option("--root", o->root, "Read /proc and /sys under this directory (tests, other machines' dumps)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--json", o->json, "Print one JSON object");
  commands.push_back({cmd, [o] {
                        auto in = doctor_input(o->config, o->cpus, o->root);
                        if (!in) {
                          std::cerr << "rtstep doctor: " << in.error().message << '\n';
                          return exit_code::kUsage;
                        }
                        const auto checks = rt::run_doctor(*in);
                        std::cout << (o->json ? doctor_json(checks).dump(2) + "\n" : rt::format_doctor(checks));
                        return rt::doctor_exit_code(checks) == 0 ? exit_code::kOk : exit_code::kCheckFailed;
                      }});
}

}  // namespace rtstep::cli

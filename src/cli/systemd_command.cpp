// `rtstep systemd-unit --config FILE`: unit files for the split deployment and for `rtstep serve`
// (rt/systemd_unit.hpp).
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "machine/backend_choice.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/tools.hpp"

namespace rtstep::cli {

namespace {

std::string this_binary() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "/usr/local/bin/rtstep" : path.string();
}

}  // namespace

Result<std::vector<rt::UnitFile>> units_for(const UnitOptions& o) {
  auto machine = config::load(o.config_path);
  if (!machine) return machine.error();
  if (auto name = machine::check_backend_name(o.backend); !name) return name.error();
  auto hierarchy = rt::hierarchy_from(machine->rt);
  if (!hierarchy) return hierarchy.error();
  rt::UnitParams p;
  p.binary = o.binary.empty() ? this_binary() : o.binary;
  p.config = std::filesystem::absolute(o.config_path).lexically_normal().string();
  p.shm_name = o.shm_name;
  p.backend = o.backend;
  p.gcode = o.gcode;
  p.user = o.user;
  p.executor_cpus = hierarchy->cpus;
  p.host_cpus = hierarchy->host_cpus;
  p.executor_priority = hierarchy->executor_priority;
  p.host_priority = hierarchy->host_priority;
  p.max_priority = hierarchy->executor_priority;  // the executor is the top of the hierarchy
  p.api_path = o.api_path;
  p.pty_path = o.pty_path;
  // serve's exits that a restart must not undo: an emergency stop (SIGINT, once or twice) and a config or
  // socket it could not use (it would fail again).
  p.no_restart_exit_codes = {exit_code::kUsage, exit_code::kStopped, exit_code::kSignalBase + SIGINT};
  return rt::make_units(p);
}

void add_systemd_command(CLI::App& app, Commands& commands) {
  struct Options {
    UnitOptions unit;
    std::string output_dir;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("systemd-unit", "Print systemd units for rtstep serve, and for the executor "
                                                     "(rtstep rt) and the host, placed and prioritised from [rt]");
  cmd->add_option("--config,-c", o->unit.config_path, "printer.cfg")->required()->check(CLI::ExistingFile);
  cmd->add_option("--binary", o->unit.binary, "Absolute path of rtstep in the units (default: this binary)");
  cmd->add_option("--ring,--shm", o->unit.shm_name, "Name of the ring between the two units (default rtstep)");
  cmd->add_option("--backend", o->unit.backend, "GPIO backend of the executor unit: sim, gpiod, rpi4, rpi5 or auto")
      ->capture_default_str();
  cmd->add_option("--gcode", o->unit.gcode, "G-code file the host unit runs");
  cmd->add_option("--user", o->unit.user, "User= of the units (default root)");
  cmd->add_option("--api", o->unit.api_path, "Klipper API socket of the serve unit ('' for none)")->capture_default_str();
  cmd->add_option("--pty", o->unit.pty_path, "Printer terminal of the serve unit ('' for none)")->capture_default_str();
  cmd->add_option("--output-dir,-o", o->output_dir,
                  "Write rtstep-rt.service, rtstep-host.service and rtstep-serve.service here")
      ->check(CLI::ExistingDirectory);
  commands.push_back({cmd, [o] {
                        auto units = units_for(o->unit);
                        if (!units) {
                          std::cerr << "rtstep systemd-unit: " << units.error().message << '\n';
                          return exit_code::kUsage;
                        }
                        for (const auto& u : *units) {
                          if (o->output_dir.empty()) {
                            std::cout << "### " << u.name << "\n" << u.text << '\n';
                            continue;
                          }
                          const auto path = std::filesystem::path(o->output_dir) / u.name;
                          std::ofstream out(path);
                          out << u.text;
                          if (!out) {
                            std::cerr << "rtstep systemd-unit: " << path.string() << ": cannot write\n";
                            return exit_code::kIncomplete;
                          }
                          std::cerr << "wrote " << path.string() << '\n';
                        }
                        return 0;
                      }});
}

}  // namespace rtstep::cli

// `rtstep threads [PID | --name NAME]`: every thread of a process with its scheduling (rt/proc_threads.hpp).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/tools.hpp"
#include "rt/cpu_list.hpp"

namespace rtstep::cli {

nlohmann::json threads_json(const std::vector<rt::ProcessThreads>& processes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : processes) {
    nlohmann::json threads = nlohmann::json::array();
    for (const auto& t : p.threads) {
      threads.push_back({{"tid", t.tid},
                         {"name", t.name},
                         {"policy", t.policy},
                         {"rt_priority", t.rt_priority},
                         {"nice", t.nice},
                         {"affinity", rt::format_cpu_list(t.affinity)},
                         {"last_cpu", t.last_cpu},
                         {"cpu_percent", t.cpu_percent}});
    }
    out.push_back({{"pid", p.pid}, {"name", p.name}, {"threads", threads}});
  }
  return out;
}

void add_threads_command(CLI::App& app, Commands& commands) {
  struct Options {
    pid_t pid = 0;
    std::string name;
    int interval_ms = 1000;
    bool json = false;
    std::string proc = "/proc";
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "threads", "Show every thread of a process: policy, priority, nice, affinity, last CPU, CPU % (top -H + chrt + taskset)");
  cmd->add_option("pid", o->pid, "Process id (default: every process with a thread named rtstep or rtstep-...)");
  cmd->add_option("--name,-n", o->name, "Processes whose name is, or whose command line contains, NAME (e.g. klippy)");
  cmd->add_option("--interval", o->interval_ms, "Milliseconds over which CPU % is sampled (default 1000)")
      ->check(CLI::Range(10, 60'000));
  cmd->add_flag("--json", o->json, "Print one JSON array of processes");
  cmd->add_option("--proc", o->proc, "The /proc to read (tests)")->group("");
  commands.push_back({cmd, [o] {
                        std::vector<pid_t> pids;
                        if (o->pid > 0) {
                          pids.push_back(o->pid);
                        } else if (!o->name.empty()) {
                          pids = rt::find_processes(o->proc, o->name, getpid());
                        } else {
                          pids = rt::find_rtstep_processes(o->proc, getpid());
                        }
                        if (pids.empty()) {
                          std::cerr << "rtstep threads: "
                                    << (o->name.empty() ? "no rtstep process is running (none has a thread named rtstep "
                                                          "or rtstep-...); give a PID or --name NAME"
                                                        : "no process matches " + o->name)
                                    << '\n';
                          return exit_code::kUsage;
                        }
                        std::vector<rt::ProcessThreads> processes;
                        for (const pid_t pid : pids) {
                          auto p = rt::sample_process_threads(o->proc, pid, pids.size() == 1 ? o->interval_ms : o->interval_ms / 2);
                          if (!p) {
                            std::cerr << "rtstep threads: " << p.error().message << '\n';
                            if (o->pid > 0) return exit_code::kUsage;
                            continue;  // one of several ended meanwhile
                          }
                          processes.push_back(std::move(p).value());
                        }
                        if (o->json) {
                          std::cout << threads_json(processes).dump(2) << '\n';
                        } else {
                          for (const auto& p : processes) std::cout << rt::format_process_threads(p) << '\n';
                        }
                        return 0;
                      }});
}

}  // namespace rtstep::cli

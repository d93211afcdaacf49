// `rtstep serve`: options, signals, systemd notification and the log; the service itself is api::Serve.
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "api/serve.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/signals.hpp"

namespace rtstep::cli {
namespace {

std::atomic<int> g_serve_signal{0};

void on_signal(int sig) {
  if (sig == SIGINT && g_serve_signal.load(std::memory_order_relaxed) == SIGINT) std::_Exit(130);
  g_serve_signal.store(sig, std::memory_order_relaxed);
}

struct ServeCli {
  api::ServeOptions serve;
  std::string log_path;
};

// Log lines go to stderr (the journal under systemd) and, with --log, to that file too.
api::LogFn make_log(const std::string& path, std::shared_ptr<std::ofstream>& file) {
  if (!path.empty()) file = std::make_shared<std::ofstream>(path, std::ios::app);
  auto mu = std::make_shared<std::mutex>();
  return [file, mu](const std::string& line) {
    std::lock_guard lock(*mu);
    std::cerr << line << '\n';
    if (file && *file) *file << line << '\n' << std::flush;
  };
}

int serve(ServeCli& options) {
  std::shared_ptr<std::ofstream> log_file;
  options.serve.log = make_log(options.log_path, log_file);
  if (log_file && !*log_file) {
    std::cerr << "rtstep serve: --log " << options.log_path << ": cannot open for appending\n";
    return exit_code::kUsage;
  }
  options.serve.controller.log_path = options.log_path;
  install_stop_signals(on_signal);

  auto service = api::Serve::start(options.serve);
  if (!service) {
    std::cerr << "rtstep serve: " << service.error().message << '\n';
    return exit_code::kUsage;
  }
  options.serve.log(fmt::format("rtstep serve: config {}{}{}", options.serve.controller.config_path,
                                options.serve.api_path.empty() ? "" : ", API socket " + options.serve.api_path,
                                options.serve.pty_path.empty() ? ""
                                                               : ", printer terminal " + options.serve.pty_path + " -> " +
                                                                     (*service)->pty_device()));
  // Under systemd (Type=notify): ready once the front ends are open, then a watchdog ping while the main
  // loop lives; WatchdogSec in the unit restarts a hung service.
  sd_notify(0, "READY=1");
  uint64_t watchdog_us = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_us) > 0;
  int sig = 0;
  for (auto next_ping = std::chrono::steady_clock::now(); (sig = g_serve_signal.load()) == 0;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (watchdog && std::chrono::steady_clock::now() >= next_ping) {
      sd_notify(0, "WATCHDOG=1");
      next_ping = std::chrono::steady_clock::now() + std::chrono::microseconds(watchdog_us / 2);
    }
  }
  sd_notify(0, "STOPPING=1");
  // SIGINT: an emergency stop, as M112 (the executor stops at once, heaters off). SIGTERM: the motion sent
  // runs out (at most [rt] buffer_time), heaters off.
  if (sig == SIGINT) (*service)->controller().emergency_stop("SIGINT");
  options.serve.log(fmt::format("rtstep serve: {}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM"));
  (*service)->stop();
  return sig == SIGINT ? exit_code::kStopped : exit_code::kOk;
}

}  // namespace

void add_serve_command(CLI::App& app, Commands& commands) {
  auto options = std::make_shared<ServeCli>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run as the machine's controller: Klipper's API socket (Moonraker) and the printer terminal (OctoPrint, Printrun)");
  cmd->add_option("--config,-c", options->serve.controller.config_path, "printer.cfg to use")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--api,-a", options->serve.api_path,
                  "Klipper API socket to create (Moonraker's klippy_uds_address, e.g. ~/printer_data/comms/klippy.sock)");
  cmd->add_option("--pty,-I", options->serve.pty_path, "Printer pseudo-terminal link to create (e.g. /tmp/printer)");
  cmd->add_option("--log,-l", options->log_path, "Append the log to FILE as well as standard error");
  cmd->add_option("--group", options->serve.group,
                  "Give the socket and the terminal to this group (mode 0660); default: owner only (0600)");
  cmd->add_option("--sdcard", options->serve.controller.sdcard_path,
                  "Folder of G-code files to print (default: [virtual_sdcard] path)");
  cmd->add_option("--backend", options->serve.controller.backend, "GPIO backend: sim (default), gpiod, rpi4, rpi5 or auto");
  cmd->add_flag("--mcu", options->serve.controller.mcu,
                "Drive the boards flashed with Klipper's firmware ([mcu], [mcu NAME]) that the pins of steppers, "
                "heaters, fans and thermistors name");
  cmd->add_flag("--virtual-clock", options->serve.controller.virtual_clock,
                "Run the motion without waiting for real time (simulation, tests)");
  commands.push_back({cmd, [options] {
                        if (options->serve.api_path.empty() && options->serve.pty_path.empty()) {
                          std::cerr << "rtstep serve: give --api PATH, --pty PATH or both: nothing could reach the "
                                       "machine otherwise\n";
                          return exit_code::kUsage;
                        }
                        return serve(*options);
                      }});
}

}  // namespace rtstep::cli

// `rtstep hal FILE.hal [-i FILE.ini] [-k] [--duration S]` and `rtstep hal -` (commands from stdin; a
// prompt when stdin is a terminal): LinuxCNC-style HAL configurations on rtstep's periodic threads
// (hal/hal.hpp). After the file, started threads run for --duration seconds, or until Ctrl-C.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "hal/halcmd.hpp"

namespace rtstep::cli {

namespace {

std::atomic<bool> g_interrupted{false};  // set by SIGINT/SIGTERM while the threads run

extern "C" void on_interrupt(int /*signal*/) { g_interrupted.store(true); }

struct HalOptions {
  std::string file;
  std::string ini;
  bool keep_going = false;
  double duration_s = -1;  // < 0: until Ctrl-C
  bool no_realtime = false;
};

// Lets the started threads run, then prints the thread table and any overrun report.
void run_threads(hal::Hal& hal, const HalOptions& o) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.duration_s < 0 ? 1e9 : o.duration_s);
  if (o.duration_s < 0) std::cerr << "rtstep hal: threads running; Ctrl-C to stop\n";
  while (!g_interrupted.load() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& report : hal.take_overrun_reports()) std::cerr << "rtstep hal: " << report << "\n";
  }
  hal.stop();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int run_hal(const HalOptions& o) {
  hal::Hal hal;
  hal::Hal::ThreadOptions threads;
  threads.realtime = !o.no_realtime;
  threads.lock_memory = !o.no_realtime;
  hal.set_thread_options(threads);
  hal::Halcmd cmd(hal, std::cout, std::cerr);
  cmd.set_keep_going(o.keep_going);
  std::unique_ptr<hal::IniFile> ini;
  if (!o.ini.empty()) {
    auto loaded = hal::IniFile::load(o.ini);
    if (!loaded) {
      std::cerr << loaded.error().message << "\n";
      return 1;
    }
    ini = std::make_unique<hal::IniFile>(std::move(*loaded));
    cmd.set_ini(ini.get());
  }
  bool ok = false;
  if (o.file == "-") {
    const bool tty = isatty(STDIN_FILENO) != 0;
    ok = cmd.run_stream(std::cin, "<stdin>", tty ? "halcmd: " : "");
    if (tty) std::cout << "\n";
  } else {
    ok = cmd.run_file(o.file);
  }
  if (!ok && !o.keep_going) return 1;
  if (hal.threads_started() && !cmd.quit_requested()) {
    if (hal.running()) run_threads(hal, o);
    std::cout << hal.thread_report();
  }
  hal.shutdown();
  return cmd.error_count() == 0 ? 0 : 1;
}

}  // namespace

void add_hal_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<HalOptions>();
  CLI::App* sub = app.add_subcommand("hal", "Run a LinuxCNC-style .hal configuration on rtstep's periodic threads");
  sub->add_option("file", o->file, "HAL file to run, or - for commands from stdin")->required();
  sub->add_option("-i,--ini", o->ini, "INI file for [SECTION]KEY substitution")->check(CLI::ExistingFile);
  sub->add_flag("-k,--keep-going", o->keep_going, "Report every error instead of stopping at the first");
  sub->add_option("--duration", o->duration_s, "Seconds to run the threads after the file (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--no-rt", o->no_realtime, "Run the threads SCHED_OTHER without locking memory (tests, CI)");
  commands.push_back({sub, [o] { return run_hal(*o); }});
}

}  // namespace rtstep::cli

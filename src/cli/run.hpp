#pragma once
// `rtstep run`: the whole pipeline of DESIGN.md §1 in one process (embedded deployment): G-code file ->
// parser -> toolhead -> step generator -> shared-memory ring -> executor thread -> sim GPIO, then a summary
// that checks every stepper's final position against the planned one.
// Non-real-time orchestration; the executor thread it starts is the real-time part.

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine/mcu_boards.hpp"
#include "machine/motion_session.hpp"
#include "rt/thread_table.hpp"

namespace rtstep::cli {

struct RunOptions {
  std::string config_path;
  std::string gcode_path;
  bool virtual_clock = false;
  std::string trace_path;    // --trace FILE: record every edge (sim backend, embedded mode)
  std::string connect_name;  // --connect NAME: split mode, attach to `rtstep rt --shm NAME`
  double connect_wait_s = 10;  // --connect-wait: how long to wait for that ring to exist and be ready
  std::string backend = "sim";  // --backend: sim, gpiod, rpi4, rpi5 or auto (embedded mode)
  bool mcu = false;          // --mcu: drive the [mcu] boards the steppers' pins name (machine/mcu_boards.hpp)
  bool progress = false;     // progress on `log` (a bar when `log_is_terminal`, else plain lines)
  bool log_is_terminal = false;
};

// Exit codes of `rtstep run`, documented in docs/cli.md.
enum class ExitCode : int {
  kOk = 0,
  kUsage = 1,          // bad command line, unreadable or invalid config
  kJobError = 2,       // G-code or motion error: the job stopped at that line (queued motion was finished)
  kExecutorFault = 3,  // underrun, bad record or setup failure of the executor
  kPositionMismatch = 4,  // a stepper did not end where the plan said
  kStopped = 5,        // safety stop: SIGINT/M112, SIGTERM, host or executor lost, max_lateness, stall
  kTraceIncomplete = 6,  // the motion ran as planned, but --trace could not be written (disk full, ...)
};

// One stepper's count against the plan (machine/motion_session.hpp).
using StepperSummary = machine::StepperAccount;

struct Lateness {
  uint64_t edges = 0;
  int64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
  uint64_t late_edges = 0;       // edges later than late_threshold_ns
  int64_t late_threshold_ns = 0;
  uint64_t stalls = 0;           // episodes of writes later than the stall threshold
  int64_t longest_stall_ns = 0;
};

struct RunSummary {
  ExitCode exit_code = ExitCode::kOk;
  std::string error;  // first error, empty when none
  std::string config_path, gcode_path;
  bool virtual_clock = false;
  std::size_t moves = 0;
  double print_time_s = 0;
  std::vector<StepperSummary> steppers;
  Lateness lateness;
  std::string executor_status;
  std::string mode = "embedded";   // "embedded" or "split"
  std::string backend = "sim";     // the GPIO backend that drove the pins
  std::string host_thread;         // how the planning/feeding thread was placed ("rtstep-host SCHED_FIFO 60")
  std::vector<rt::ThreadRow> threads;  // the thread table: the executor's row
  bool realtime = false;
  uint64_t underruns = 0;          // 0 or 1: an underrun stops the job
  std::string stop_reason;         // safety stop or signal, "" when none
  uint32_t ring_capacity = 0;
  uint64_t ring_high_water = 0;    // most records queued at once, as the executor saw it
  double host_cpu_s = 0;           // CPU time of the host process (embedded: minus the executor thread)
  double executor_cpu_s = 0;       // CPU time of the executor thread
  int64_t slack_ns = 0;            // the executor's (learned) slack at the end
  std::string trace_path;
  uint64_t trace_lost = 0;         // writes the trace drain could not keep
  std::vector<machine::McuBoardSummary> boards;  // --mcu: each board's traffic
  std::vector<std::string> warnings;
  std::vector<std::string> ignored_commands;
  std::vector<std::string> ignored_sections;

  nlohmann::json to_json() const;
  std::string to_text() const;
  // "real", "virtual", or in split mode "rt": the executor's, which `rtstep rt` keeps and the ring does not
  // tell the host.
  const char* clock_name() const noexcept { return mode == "split" ? "rt" : virtual_clock ? "virtual" : "real"; }
};

// Runs a job on the machine controller: the G-code file is its print job (macros, heaters and the other
// sections of printer.cfg the controller serves). Progress, notes, warnings and the job's output (M114's
// answer, RESPOND) go to `log` as they happen.
RunSummary run_job(const RunOptions& options, std::ostream& log);

// Set by the signal handlers of `rtstep run` (0: none): SIGINT stops the machine at once (an emergency stop),
// SIGTERM stops the job short and lets the motion sent run out. run_job acts on it. Async-signal safe to store.
extern std::atomic<int> g_run_signal;

}  // namespace rtstep::cli

#pragma once
// `rtstep run`: the whole pipeline of DESIGN.md §1 in one process (embedded deployment): G-code file ->
// parser -> toolhead -> step generator -> shared-memory ring -> executor thread -> sim GPIO, then a summary
// that checks every stepper's final position against the planned one.
// Non-real-time orchestration; the executor thread it starts is the real-time part.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine/mcu_boards.hpp"
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

struct StepperSummary {
  std::string name;
  uint64_t steps = 0;          // rising edges the sim backend saw on the step pin
  uint64_t planned_steps = 0;  // steps the step generator produced
  uint64_t segments = 0;
  int64_t position = 0;        // final position (steps) counted by the sim backend
  int64_t planned_position = 0;  // floor(q + 0.5) of the final toolhead position
  int64_t homing_offset = 0;     // count renamed by homing without motion (trip point -> position_endstop)
  int64_t shortest_interval_ns = 0;  // shortest time between two rising edges as written (0: < 2 steps)
  int64_t planned_interval_ns = 0;   // the planned time between those same two steps
  uint32_t max_backlog = 0;          // most further steps already due when one was written late
  uint32_t bunch_bound = 0;          // the most it may have (lateness guard)
  std::string mcu;                   // the board that ran it (--mcu): steps sent to it, position it reported
  bool count_ok() const noexcept { return position == planned_position && steps == planned_steps; }
  bool timing_ok() const noexcept { return max_backlog <= bunch_bound; }
};

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

// Runs a job. Progress notes, warnings and M114 replies go to `log` as they happen.
RunSummary run_job(const RunOptions& options, std::ostream& log);

}  // namespace rtstep::cli

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

namespace rtstep::cli {

struct RunOptions {
  std::string config_path;
  std::string gcode_path;
  bool virtual_clock = false;
};

// Exit codes of `rtstep run`, documented in docs/cli.md.
enum class ExitCode : int {
  kOk = 0,
  kUsage = 1,          // bad command line, unreadable or invalid config
  kJobError = 2,       // G-code or motion error: the job stopped at that line (queued motion was finished)
  kExecutorFault = 3,  // underrun, bad record or setup failure of the executor
  kPositionMismatch = 4,  // a stepper did not end where the plan said
};

struct StepperSummary {
  std::string name;
  uint64_t steps = 0;          // rising edges the sim backend saw on the step pin
  uint64_t planned_steps = 0;  // steps the step generator produced
  uint64_t segments = 0;
  int64_t position = 0;        // final position (steps) counted by the sim backend
  int64_t planned_position = 0;  // floor(q + 0.5) of the final toolhead position
};

struct Lateness {
  uint64_t edges = 0;
  int64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
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
  bool realtime = false;
  std::vector<std::string> warnings;
  std::vector<std::string> ignored_commands;
  std::vector<std::string> ignored_sections;

  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Runs a job. Progress notes, warnings and M114 replies go to `log` as they happen.
RunSummary run_job(const RunOptions& options, std::ostream& log);

}  // namespace rtstep::cli

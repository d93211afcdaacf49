#pragma once
// HostPipeline: the host side of DESIGN.md §1, shared by `rtstep run` and `rtstep plan`: G-code stream ->
// parser -> toolhead (look-ahead planner) -> step generator -> a RecordSink (the ring for run, a counter for
// plan). Non-real-time.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcode/gcode.hpp"
#include "machine/executor_endstops.hpp"
#include "config/config.hpp"
#include "motion/motion.hpp"
#include "stepgen/stepgen.hpp"

namespace rtstep::machine {

struct FeedResult {
  bool ok = true;
  bool emergency_stop = false;                // M112 ended the stream: queued motion was not sent
  std::string error;                          // first error ("part.gcode:88: move out of range: ...")
  std::vector<std::string> ignored_commands;  // names of commands ignored, once each
};

class HostPipeline {
 public:
  // `machine` and `kinematics` must outlive the pipeline. `origin_ns`: CLOCK_MONOTONIC time of print time 0.
  // `homing`: home through the executor's endstop inputs (rtstep run); null: geometric virtual endstops.
  HostPipeline(const config::MachineConfig& machine, const motion::Kinematics& kinematics, std::string gcode_name,
               int64_t origin_ns, stepgen::RecordSink& sink, stepgen::StepObserver* observer = nullptr,
               const HomingLink* homing = nullptr);

  // Called at once, on the feeding thread, when the G-code asks for an emergency stop (M112), before the
  // pipeline returns; `why` names the command. Set it before feed().
  void on_emergency_stop(std::function<void(const std::string& why)> stop) { emergency_stop_ = std::move(stop); }

  // G-code streamed on the real clock: `earliest` gives the first print time the executor can still reach
  // (now plus buffer_time). After a pause (idle()) the next command starts no earlier: a dwell fills the gap.
  void follow_clock(std::function<double()> earliest) { earliest_ = std::move(earliest); }
  // The input paused: plans and sends every queued move, to a stop, and promises the executor that nothing
  // starts before their end (as M400 does), so it idles instead of underrunning. Called by the G-code
  // reader between two commands (GcodeInput's InputWait); an error ends the feed at the next command.
  void idle();
  // Pause, cancel, SIGTERM: idle() after sending only what it takes to stop (motion::Toolhead::stop_short);
  // the moves not made wait for replay_deferred() (RESUME) or discard_deferred().
  void stop_short();
  Status replay_deferred();
  void discard_deferred() { toolhead_.discard_deferred(); }

  // Reads G-code until the end of the stream or the first error, then plans and delivers everything queued
  // (also after an error: what was accepted before it still runs; not after M112, which drops it).
  // Notes and M114 replies go to `log`.
  FeedResult feed(std::istream& in, std::ostream& log);

  // One command as feed() runs it, for a caller that reads its own input (the controller: console lines,
  // print jobs). Commands the pipeline does not know (kIgnored, kT) are the caller's to report: here they
  // fail. `reply` gets what the command answers (M114, GET_POSITION).
  Status execute(const gcode::Command& cmd, std::string& reply);
  // Plans and sends everything queued, ending at rest (the end of a job; M400 also does it).
  Status finish();

  const motion::Toolhead& toolhead() const noexcept { return toolhead_; }
  motion::Toolhead& toolhead() noexcept { return toolhead_; }
  const stepgen::StepGenerator& generator() const noexcept { return generator_; }
  // Null without a HomingLink.
  const ExecutorEndstops* endstops() const noexcept { return endstops_.get(); }

 private:
  std::string gcode_name_;
  // The first command after a pause: its print time moves on to earliest_() (a G4 of the gap).
  Status resume_after_idle(uint32_t line);
  std::function<void(const std::string&)> emergency_stop_;
  std::function<double()> earliest_;
  bool idled_ = false;
  std::string idle_error_;
  stepgen::StepGenerator generator_;
  std::unique_ptr<ExecutorEndstops> endstops_;
  motion::Toolhead toolhead_;
};

}  // namespace rtstep::machine

// `rtstep plan`: the host pipeline alone, no executor (plan_command.cpp).
namespace rtstep::machine {

struct PlanOptions {
  std::string config_path;
  std::string gcode_path;
  std::string steps_csv_dir;  // empty: no CSV
};

struct PlanStepper {
  std::string name;
  uint64_t steps = 0;        // steps generated, both directions
  int64_t net_steps = 0;     // final count - initial count
  int64_t position = 0;      // final count (steps)
  uint64_t segments = 0;
  int64_t max_error_ns = 0;  // largest |compressed - exact| step time
};

struct PlanSummary {
  int exit_code = 0;  // as `rtstep run`: 0 ok, 1 usage/config, 2 G-code or motion error
  std::string error;
  std::string config_path, gcode_path;
  std::size_t moves = 0;
  double print_time_s = 0;
  double wall_time_s = 0;
  uint64_t records = 0;
  std::vector<PlanStepper> steppers;
  std::vector<std::string> ignored_commands;

  uint64_t total_steps() const noexcept;
  uint64_t total_segments() const noexcept;
  int64_t max_error_ns() const noexcept;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

PlanSummary plan_job(const PlanOptions& options, std::ostream& log);

}  // namespace rtstep::machine

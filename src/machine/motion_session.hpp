#pragma once
// MotionSession: the motion side of the controller (rtstep serve, rtstep run): a ring of its own with the
// embedded executor thread consuming it, or the ring of a running `rtstep rt` (split mode); the host link
// (heartbeats, bounded lead, emergency stop) and the host pipeline (parser commands -> toolhead -> step
// generator -> ring) with homing through the executor. It lives until the controller ends it (finish():
// the account `rtstep run` sums up) or a FIRMWARE_RESTART replaces it; an emergency stop or an executor
// fault leaves it stopped for good (fault() says why).
//
// Thread: one owner thread (the controller's) calls everything, except emergency_stop(), which any thread
// may call, and must create and destroy it: start() places that thread as rtstep-host in the [rt] hierarchy
// (after the executor's threads start, before the heartbeat thread does) and the end of the session puts
// its scheduling back. Non-real-time; the executor thread it starts is the real-time part.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "gpio/gpio.hpp"
#include "ipc/ipc.hpp"
#include "machine/executor_side.hpp"
#include "machine/mcu_boards.hpp"
#include "motion/motion.hpp"
#include "rt/thread_table.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

struct MotionOptions {
  bool virtual_clock = false;
  // Drive these pins (opened and configured by the caller, who keeps them across sessions); null: the sim
  // backend, whose carriage positions and step counts are known.
  gpio::Backend* hardware = nullptr;
  // Heater and fan outputs the executor drives by soft PWM (ThermalLink::soft_pwm_outputs); their commands
  // come through push_output().
  std::vector<SoftPwmOutput> pwm_outputs;
  std::string gcode_name = "console";  // names the source in motion errors ("console:3: move out of range")
  // Drive the [mcu] boards the steppers' pins name (mcu_boards.hpp): start() connects them first. Real clock.
  bool mcu = false;
  // With `mcu`: the heater, fan and sensor pins on the boards (ThermalLink::board_pins), configured there too.
  BoardThermalPins board_thermal;
  std::string trace_path;  // record every pin change of the embedded executor (sim backend); "" = none
  // Split mode (DESIGN.md §2): the ring of a running `rtstep rt`, attached and claimed by this function, in
  // place of a ring and executor of this process. Null: embedded.
  std::function<Result<ipc::SegmentRing>()> connect;
  std::string who = "rtstep serve";  // names the command in notes ("rtstep run: ...")
  // Set by another thread to give up waiting for the executor to start (SIGTERM meanwhile). Optional.
  const std::atomic<bool>* cancel = nullptr;
};

// One stepper's steps as the executor wrote them against the plan (sim backend).
struct StepperCount {
  std::string name;
  uint64_t steps = 0, planned_steps = 0;
  int64_t position = 0, planned_position = 0;
  bool ok() const noexcept { return steps == planned_steps && position == planned_position; }
};

// One stepper at the end of a session, as the executor (or its board) counted it against the plan.
struct StepperAccount {
  std::string name;
  uint64_t steps = 0;          // rising edges written on the step pin (sim backend), or sent to its board
  uint64_t planned_steps = 0;  // steps the step generator produced, less those past a homing trip
  uint64_t segments = 0;
  int64_t position = 0;          // final position (steps) as counted
  int64_t planned_position = 0;  // floor(q + 0.5) of the final toolhead position
  int64_t homing_offset = 0;     // count renamed by homing without motion (trip point -> position_endstop)
  int64_t shortest_interval_ns = 0;  // shortest time between two rising edges as written (0: < 2 steps)
  int64_t planned_interval_ns = 0;   // the planned time between those same two steps
  uint32_t max_backlog = 0;          // most further steps already due when one was written late
  uint32_t bunch_bound = 0;          // the most it may have (lateness guard)
  std::string mcu;                   // the board that ran it: steps sent to it, position it reported
  bool count_ok() const noexcept { return position == planned_position && steps == planned_steps; }
  bool timing_ok() const noexcept { return max_backlog <= bunch_bound; }
};

// What a session did, once it has ended (MotionSession::finish): `rtstep run`'s summary comes from it.
struct MotionAccount {
  std::optional<ipc::ExecutorResult> result;  // the executor's own account; nullopt: lost (lost_reason)
  std::string lost_reason;
  std::vector<StepperAccount> steppers;       // filled when the result came
  std::size_t moves = 0;
  double print_time_s = 0;
  std::string stop_reason;      // the host stopped early: emergency stop, SIGTERM, a board's fault ("" none)
  std::string board_fault;      // a board stopped (shutdown, restart): the root cause of what followed
  std::string host_thread;      // how the host thread was placed ("rtstep-host SCHED_FIFO 60 on CPUs 0")
  std::vector<std::string> warnings;
  uint32_t ring_capacity = 0;
  bool split = false;           // the ring of `rtstep rt` (MotionOptions::connect)
  std::optional<rt::ThreadRow> executor_row;  // embedded: the executor's step-edge lateness
  uint64_t trace_lost = 0;
  std::string trace_error;      // --trace could not be written
  std::vector<McuBoardSummary> boards;
};

// A live look at the session for a progress line. Any thread.
struct MotionProgress {
  double planned_s = 0;   // print time of the last record sent
  double executed_s = 0;  // print time the executor has run (never past planned_s)
  uint64_t steps = 0;     // steps written so far
};

class MotionSession {
 public:
  // Creates the ring, starts the executor and waits until it runs. Errors: ring, pins, placement.
  static Result<std::unique_ptr<MotionSession>> start(const config::MachineConfig& machine,
                                                      const motion::Kinematics& kinematics,
                                                      const MotionOptions& options, std::ostream& log);
  ~MotionSession();  // ends the stream: the executor finishes what was sent, then everything is released
  MotionSession(const MotionSession&) = delete;
  MotionSession& operator=(const MotionSession&) = delete;

  // One motion command (HostPipeline::execute). After idle(), the next command starts one lead from now.
  Status execute(const gcode::Command& cmd, std::string& reply);
  // The input paused: everything queued is planned to a stop and sent; the executor idles after it.
  void idle();
  // Pause, cancel, SIGTERM: as idle(), but sends only the motion it takes to stop (the toolhead slows down
  // within what it had left to do); the toolhead's position is where it stops. The moves not made are kept:
  // replay_deferred() makes them (RESUME, once back at that point), discard_deferred() drops them.
  void stop_short();
  Status replay_deferred();
  void discard_deferred();
  // Any thread: a pause, cancel or SIGTERM is on its way (motion::Toolhead::interrupt): the owner calls
  // stop_short() at its next chance, which ends it.
  void interrupt();
  bool interrupted() const;
  // The interrupt came too late for the print (it had paused already): moves go out again (console moves).
  Status resume_sending();
  // How long from now the owner may wait for more commands before idle() is due (<= 0: due now). On the
  // virtual clock, which waits for records, always 0.
  int64_t patience_ns() const;
  // True once every step sent has been written (on the real clock: the last motion's end time has passed).
  bool motion_done();
  // The executor's clock in print time (s): where the machine is in the motion's timeline now (Klipper's
  // estimated_print_time). On the virtual clock, the print time of the last motion sent.
  double clock_print_time() const;
  // A soft-PWM command (ThermalLink::take_soft_pwm) into the ring now, not behind the lead (HostLink::push_now);
  // also from the wait hook. False: the ring is full. Errors: the session cannot move any more (fault()).
  Result<bool> push_output(const ipc::Record& record);
  // The earliest time a soft-PWM record pushed now may carry (push_output): no earlier than the last one
  // pushed (each output's commands stay in order), than a resting poll of the executor from now (it reads the
  // record before its time), or than the motion sent, which the executor reads first. A homing move's records
  // reach far beyond its trip: while one is out, the command is timed by the first two rules only, which the
  // executor accepts out of the ring's time order (executor.hpp).
  int64_t output_not_before() const;
  // The executor keeps the virtual clock: MotionOptions::virtual_clock, or in split mode `rtstep rt`'s.
  bool virtual_clock() const;
  // On the sim backend, the rising edges so far of an executor pin by signal name (ExecutorSide::rising_edges).
  std::optional<uint64_t> rising_edges(const std::string& signal) const;
  // The boards' heaters, fans and sensors (MotionOptions::board_thermal), for ThermalLink::attach_boards; empty
  // without boards.
  std::weak_ptr<BoardThermalIo> thermal_boards() const;
  // Called while a push waits for the lead or for room (HostLink::set_wait_hook).
  void set_wait_hook(std::function<void()> hook);

  // Ends the session: the stream ends (the executor finishes what was sent; after an emergency stop, nothing
  // more), the boards finish, and the executor's result is taken. Called once; only the destructor after it.
  MotionAccount finish();
  // Any thread, while the session lives.
  MotionProgress progress() const;

  // Any thread: stops the executor at once; the session is over.
  void emergency_stop(const std::string& why);
  // Why the session can no longer move ("" while it can): emergency stop, executor fault (underrun,
  // bunched steps, GPIO fault), executor lost.
  std::string fault();

  const motion::Toolhead& toolhead() const;
  motion::Toolhead& toolhead();
  // Every stepper's steps so far against the plan (sim backend; empty on hardware pins and with boards).
  // Meaningful once motion_done().
  std::vector<StepperCount> counts() const;

  struct Parts;  // motion_session.cpp

 private:
  explicit MotionSession(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace rtstep::machine

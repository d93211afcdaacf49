#pragma once
// McuBoards: the boards flashed with Klipper's firmware that a machine's pins name ([mcu], [mcu NAME];
// docs/HARDWARE.md §6), driven beside (or instead of) the executor when a run asks for them (--mcu).
//
// Heaters, fans and temperature sensors (the controller's thermal system) whose pins are on a board run there
// too (BoardThermalPins, from ThermalLink::board_pins): a heater or fan output is a digital output on the board
// (software PWM on its cycle, or config_pwm_out for a hardware_pwm fan) with the heater's max_duration, so
// the board turns it off by shutting down when the host stops renewing it; a sensor_pin is an analog input
// the board samples at Klipper's cadence and range-checks (it shuts down "ADC out of range"). McuBoards is
// the BoardThermalIo ThermalLink drives them through.
//
// A stepper whose step_pin is on a board (config::board_pin: "PA2", "mcu:PA2", "toolboard:PB5") runs there:
// its dir_pin must be on the same board, and its enable_pin, when it has one there, becomes a digital output
// that follows the toolhead's enable records and goes off at finish(). An endstop_pin on the same board homes
// those steppers there (below). Every other pin stays with the executor.
//
// Homing: ExecutorEndstops sends a homing move between arm and disarm records (executor_endstops.hpp). For a
// board's steppers they come here: the disarm, which carries the move's end, arms the board's endstop and
// trsync (mcu::Link::home) before the move's first step leaves, and take_homing_report() gives
// ExecutorEndstops the board's answer in the executor's form (where each stepper stopped, and when).
// The host pipeline's segments of those steppers never enter the ring: HostLink hands them here
// (RecordDiverter), under the same bounded lead, and each board's mcu::Link turns them into queue_step
// commands. Print time is CLOCK_MONOTONIC ns on both sides (a segment's first_time_ns); each Link maps it to
// its board's clock, so the executor and the boards share one timeline.
//
// Thread safety: plan(), start(), divert(), take_homing_report(), finish() and end() on the thread that owns
// the boards and pushes the motion (the host thread of `rtstep run`, the controller's in `rtstep serve`);
// fault(), emergency_stop(), summaries() and the BoardThermalIo functions from any thread. Non-real-time: the
// links run threads of their own that allocate, lock and make system calls.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "machine/host_link.hpp"
#include "mcu/objects.hpp"
#include "thermal/sampling.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

// The thermal system's pins that are on boards (ThermalLink::board_pins): configured there with the steppers.
struct BoardThermalPins {
  struct Output {
    std::size_t output = 0;    // thermal::ThermalSystem::outputs() index
    config::PinConfig pin;     // as printer.cfg names it ("PA1", "toolboard:PB5")
    mcu::DigitalOutSpec spec;  // name, cycle, max_duration, shutdown value (its pin and invert: from `pin`)
  };
  struct Sensor {
    std::size_t sensor = 0;  // thermal::ThermalSystem sensor index (thermal::Reading::sensor)
    config::PinConfig pin;
    mcu::AdcSpec spec;       // name, sampling, limits (its pin: from `pin`)
  };
  std::vector<Output> outputs;
  std::vector<Sensor> sensors;
  bool empty() const noexcept { return outputs.empty() && sensors.empty(); }
};

// A board sensor's reading out of its limits: the board shut down ("ADC out of range").
struct BoardSensorFault {
  std::size_t sensor = 0;  // thermal::ThermalSystem sensor index
  std::string message;     // the board's ("MCU 'mcu' shutdown: ADC out of range (extruder)")
};

// What ThermalLink needs of the boards once they run. Any thread; non-real-time; never blocks.
class BoardThermalIo {
 public:
  virtual ~BoardThermalIo() = default;
  // Thermal output `output` (one of BoardThermalPins::outputs) takes `value` (0..1) at host time `time_ns`
  // (at the earliest a link's lead from now, and after that output's last update). Dropped while its board
  // is not ready (a board that shut down holds its outputs at their shutdown values).
  virtual void set_thermal_output(std::size_t output, int64_t time_ns, double value) = 0;
  // The board sensors' readings since the last call, oldest first per sensor, appended to `out`: ADC
  // fractions stamped with the host time at the end of their sampling.
  virtual void take_thermal_readings(std::vector<thermal::Reading>& out) = 0;
  // A board shut down on "ADC out of range": the sensor it names.
  virtual std::optional<BoardSensorFault> sensor_fault() const = 0;
};

struct McuBoardOptions {
  int64_t flush_lead_ns = 250'000'000;     // steps are compressed and sent this long before they are due
  int64_t ready_timeout_ns = 20'000'000'000;  // connect, synchronise and configure every board within this
};

// One stepper's account from its board, for the run summary.
struct McuStepperCount {
  std::string mcu;     // the board's name ("mcu", "toolboard")
  uint64_t steps = 0;  // steps sent to the board, less those a homing trip stopped (as the board reported)
  int64_t moved = 0;   // the board's own position count now, less the one it reported at start()
};

// One board's traffic so far, for the run summary (and docs/PERFORMANCE.md's figures).
struct McuBoardSummary {
  std::string mcu;
  uint64_t steps = 0;                // steps sent in queue_step commands
  uint64_t queue_step_commands = 0, queue_step_bytes = 0;
  uint64_t bytes_sent = 0;           // every block, framing included
  uint64_t output_commands = 0, output_bytes = 0;  // queue_digital_out / queue_pwm_out (heaters, fans, enables)
  uint64_t adc_reports = 0;          // analog_in_state messages received
  uint64_t retransmits = 0;
  double nominal_hz = 0, fitted_hz = 0;  // CLOCK_FREQ, and the clock as rtstep measured it
};

class McuBoards final : public RecordDiverter, public BoardThermalIo {
 public:
  // Which steppers (and `thermal` pins) run on which board. Errors name file, section and key: a dir_pin on
  // another board than its step_pin, a board without `serial`.
  // Null (no error) when no stepper's step_pin and no thermal pin is on a board.
  static Result<std::unique_ptr<McuBoards>> plan(const config::MachineConfig& machine, McuBoardOptions options,
                                                 const BoardThermalPins& thermal = {});
  ~McuBoards() override;  // stops every link
  McuBoards(const McuBoards&) = delete;
  McuBoards& operator=(const McuBoards&) = delete;

  // Starts every link and waits until each board is configured and has said where its steppers are; then
  // switches their enable pins on. Errors name the board, its section and serial, and the link's reason.
  Status start();
  // The board `stepper` (machine index) runs on, or "" for the executor's.
  std::string board_of(std::size_t stepper) const;
  std::vector<std::string> board_names() const;

  // Takes the segments of the boards' steppers (pushing thread). An error once a board is shut down or lost.
  Result<bool> divert(const ipc::Record& record) override;
  // The board's account of the homing move armed last, once it is complete; nullopt before (HomingLink's
  // board_report). Errors: the board cannot home (shut down, lost), or answered without positions.
  Result<std::optional<ipc::HomingReport>> take_homing_report();
  // The first board that can no longer move, with its message ("MCU 'mcu' shutdown: Timer too close"), or "".
  std::string fault() const;
  // Every board's emergency_stop (it shuts down at once). Any thread.
  void emergency_stop();

  // The end of a job: sends what is queued, waits until the last step's time has passed and every step has
  // left, asks each board where its steppers are and switches the enable pins off. One entry per machine
  // stepper, nullopt for the executor's. Errors: a board shut down or lost, or no answer in time.
  Result<std::vector<std::optional<McuStepperCount>>> finish();

  // Each board's traffic so far. Any thread.
  std::vector<McuBoardSummary> summaries() const;
  // The end of a session (rtstep serve's MotionSession): finish() when every board is well; every output of a
  // board still ready goes to its shutdown value (heaters off) whatever finish() said; each board that shut
  // down is sent its `reset` (FIRMWARE_RESTART), so that the next session can configure it.
  void end();

  // BoardThermalIo.
  void set_thermal_output(std::size_t output, int64_t time_ns, double value) override;
  void take_thermal_readings(std::vector<thermal::Reading>& out) override;
  std::optional<BoardSensorFault> sensor_fault() const override;

  struct Board;  // mcu_boards.cpp

 private:
  McuBoards(const config::MachineConfig& machine, McuBoardOptions options);
  Status wait_positions(Board& board, std::vector<int64_t>& out);
  // Every output of every ready board to its shutdown value, and those updates handed to the transport.
  void outputs_to_shutdown_values();

  McuBoardOptions options_;
  std::size_t stepper_count_ = 0;
  std::vector<std::unique_ptr<Board>> boards_;
  struct Route {
    int board = -1;             // index in boards_, -1: the executor's
    uint8_t index = 0;  // in the board's McuObjects: steppers (routes_), endstops (inputs_), digital outputs
  };
  std::vector<Route> routes_;   // per machine stepper
  std::vector<Route> inputs_;   // per endstop input (plan_endstops): the board and its endstop index there
  std::map<std::size_t, Route> thermal_outputs_;  // by thermal output: the board and its digital output there
  int64_t last_step_ns_ = 0;    // the latest step diverted (pushing thread)
  // Per machine stepper: its expected count on the board since start() and the steps that make it up.
  std::vector<int64_t> net_;
  std::vector<uint64_t> steps_;
  // The homing move being sent (between its arm and disarm records) or run: its board and request, the
  // machine steppers it drives, and last_step_ns_ before it (its steps past the trip never run).
  struct Homing {
    int board = -1;
    std::vector<std::size_t> steppers;
    int64_t start_ns = 0, last_step_before_ns = 0;
    int input = -1;
    bool armed = false;  // Link::home() was called
  };
  std::optional<Homing> homing_;
  Result<bool> divert_pin(const ipc::PinCommand& pin);
};

}  // namespace rtstep::machine

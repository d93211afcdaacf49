#pragma once
// ThermalLink: the controller's heaters, sensors and fans (thermal::ThermalSystem) on the machine's clock:
// polls the sensors on Klipper's cadence, runs control and safety, and drives the outputs. On the sim
// backend the outputs heat the sim plants (thermal::SimWorld) that the sensors read; on a machine the
// sensors are Linux IIO channels and host temperatures, and heater and fan outputs on hardware PWM
// (/sys/class/pwm) are driven here. Every other output is soft PWM in the executor (max_duration): its
// commands wait in take_soft_pwm() for the controller to push them through the motion session's ring (on the
// sim backend too, where the sim plants also take them).
// With boards flashed with Klipper's firmware (rtstep serve --mcu), a heater, fan or sensor whose pin is on a
// board ("PA1", "toolboard:PB5") is the board's: board_pins() lists them for McuBoards to configure, and once
// the boards run (attach_boards) the readings of their ADCs go into the same control loop as a local
// sensor's and the outputs' values go to the boards. A board that shuts down on "ADC out of range" is a
// thermal fault naming the sensor's heater.
//
// Thread: the controller's owner thread only. Non-real-time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ipc/ipc.hpp"
#include "machine/executor_side.hpp"
#include "machine/mcu_boards.hpp"
#include "thermal/thermal.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

class ThermalLink {
 public:
  // Errors: a section of the thermal config, a sensor the backend cannot read, an output it cannot drive
  // (each naming the section). `now_ns`: CLOCK_MONOTONIC. `boards`: the [mcu] boards driven (--mcu); pins
  // on them are theirs (board_pins()), every other pin this computer's.
  static Result<std::unique_ptr<ThermalLink>> create(const config::RawConfig& raw, bool simulated, int64_t now_ns,
                                                     const std::vector<config::McuConfig>& boards = {});
  ~ThermalLink();  // every output off

  // Samples, controls and drives the outputs up to `now_ns`. A sensor read error shuts the heaters down.
  void tick(int64_t now_ns);
  // Every heater off, fans at their shutdown speed, further targets refused (M112, executor fault, ...).
  void shutdown(const std::string& reason, int64_t now_ns);

  // The outputs the executor drives (ExecutorSideOptions::pwm_outputs / MotionOptions::pwm_outputs).
  const std::vector<SoftPwmOutput>& soft_pwm_outputs() const noexcept;
  // The heater, fan and sensor pins on boards (MotionOptions::board_thermal, for McuBoards::plan).
  const BoardThermalPins& board_pins() const noexcept;
  // The boards that carry board_pins(), once they run (MotionSession::thermal_boards()). Held weakly: once the
  // boards are gone (the session ended), their outputs and readings are dropped.
  void attach_boards(std::weak_ptr<BoardThermalIo> boards);
  // The soft-PWM commands since the last call, latest per output, as ring records (soft_pwm_record) timed
  // within [not_before_ns, not_after_ns] (MotionSession::output_not_before: each output's order). Records the
  // caller could not push (the ring was full) go back with keep_soft_pwm(), to be taken again later, unless a
  // newer command replaced them.
  std::vector<ipc::Record> take_soft_pwm(int64_t not_before_ns, int64_t not_after_ns);
  void keep_soft_pwm(const std::vector<ipc::Record>& records);

  thermal::ThermalSystem& system() noexcept { return system_; }
  const thermal::ThermalSystem& system() const noexcept { return system_; }
  // A thermal fault's message once the system has shut itself down ("" while it has not).
  std::string fault() const;
  // Printrun's M105 form: "T:21.0 /0.0 B:20.5 /0.0" (extruder first, then the bed, then the others by their
  // Klipper id); "T:0" with no heater.
  std::string m105(int64_t now_ns) const;

  struct Parts;

 private:
  ThermalLink(thermal::ThermalSystem system, std::unique_ptr<Parts> parts);
  std::string board_sensor_fault(const BoardSensorFault& fault) const;
  thermal::ThermalSystem system_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace rtstep::machine

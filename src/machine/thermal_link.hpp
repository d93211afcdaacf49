#pragma once
// ThermalLink: the controller's heaters, sensors and fans (thermal::ThermalSystem) on the machine's clock:
// polls the sensors on Klipper's cadence, runs control and safety, and drives the outputs. On the sim
// backend the outputs heat the sim plants (thermal::SimWorld) that the sensors read; on a machine the
// sensors are Linux IIO channels and host temperatures, and heater and fan outputs on hardware PWM
// (/sys/class/pwm) are driven here. Every other output is soft PWM in the executor (max_duration): its
// commands wait in take_soft_pwm() for the controller to push them through the motion session's ring (on the
// sim backend too, where the sim plants also take them).
//
// Thread: the controller's owner thread only. Non-real-time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ipc/ipc.hpp"
#include "machine/executor_side.hpp"
#include "thermal/thermal.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

class ThermalLink {
 public:
  // Errors: a section of the thermal config, a sensor the backend cannot read, an output it cannot drive
  // (each naming the section). `now_ns`: CLOCK_MONOTONIC.
  static Result<std::unique_ptr<ThermalLink>> create(const config::RawConfig& raw, bool simulated, int64_t now_ns);
  ~ThermalLink();  // every output off

  // Samples, controls and drives the outputs up to `now_ns`. A sensor read error shuts the heaters down.
  void tick(int64_t now_ns);
  // Every heater off, fans at their shutdown speed, further targets refused (M112, executor fault, ...).
  void shutdown(const std::string& reason, int64_t now_ns);

  // The outputs the executor drives (ExecutorSideOptions::pwm_outputs / MotionOptions::pwm_outputs).
  const std::vector<SoftPwmOutput>& soft_pwm_outputs() const noexcept;
  // The soft-PWM commands since the last call, latest per output, as ring records (soft_pwm_record) timed
  // within [not_before_ns, not_after_ns] (MotionSession::output_window: the ring's time order). Records the
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
  thermal::ThermalSystem system_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace rtstep::machine

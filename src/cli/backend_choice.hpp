#pragma once
// `rtstep run --backend`: which GPIO backend drives the pins, and the config checks a hardware backend
// needs before anything is opened. Non-real-time (init only).

#include <string>

#include "config/config.hpp"
#include "gpio/hardware.hpp"
#include "util/result.hpp"

namespace rtstep::cli {

struct ChosenBackend {
  gpio::BackendKind kind = gpio::BackendKind::kSim;
  std::string note;  // for `auto`: which backend and why; empty otherwise
};

// "auto" asks the board (gpio::choose_backend on `root`); "sim", "gpiod", "rpi4", "rpi5" are taken as given.
Result<ChosenBackend> choose_run_backend(const std::string& name, const std::string& root = "/");

// Every pin of the machine against the backend, naming file, section and key:
//   "printer.cfg: [stepper_x] step_pin: gpio99: the Raspberry Pi 5 has GPIO 0-27"
// and, whatever the backend, an endstop_pin that is also an output:
//   "printer.cfg: [stepper_x] endstop_pin: gpio17 is already an output ([stepper_y] step_pin)".
Status check_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind);

}  // namespace rtstep::cli

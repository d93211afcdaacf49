#pragma once
// `rtstep run --backend` and `rtstep rt --backend`: which GPIO backend drives the pins, and the config
// checks a hardware backend needs before anything is opened. Non-real-time (init only).

#include <string>

#include "config/config.hpp"
#include "gpio/hardware.hpp"
#include "util/result.hpp"

namespace rtstep::machine {

struct ChosenBackend {
  gpio::BackendKind kind = gpio::BackendKind::kSim;
  std::string note;  // for `auto`: which backend and why; empty otherwise
};

// "auto" asks the board (gpio::choose_backend on `root`); "sim", "gpiod", "rpi4", "rpi5" are taken as given.
Result<ChosenBackend> choose_run_backend(const std::string& name, const std::string& root = "/");

// A name --backend accepts ("auto" or a backend's name), without asking the board: for a unit file that
// another machine's `rtstep rt` will read. Same error as choose_run_backend.
Status check_backend_name(const std::string& name);

// What only the sim backend offers, refused before anything opens on a hardware one: --virtual-clock (it
// does not wait for real time) and --trace (it records the sim's pins).
Status check_sim_only_options(gpio::BackendKind kind, bool virtual_clock, bool trace);

// Every pin of the machine against the backend, naming file, section and key:
//   "printer.cfg: [stepper_x] step_pin: gpio99: the Raspberry Pi 5 has GPIO 0-27".
// (A pin used twice, or an endstop that is also an output, is already a config::load error.)
Status check_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind);

// The backend of `rtstep run` and `rtstep rt`: choose_run_backend(name), then check_sim_only_options and
// check_machine_pins, so that every refusal comes before anything is opened.
Result<ChosenBackend> choose_backend_for(const config::MachineConfig& machine, const std::string& name,
                                         bool virtual_clock, bool trace);

}  // namespace rtstep::machine

// --backend: the choice and the checks before anything opens (see backend_choice.hpp).
#include "machine/backend_choice.hpp"

#include <fmt/format.h>

namespace rtstep::machine {

Result<ChosenBackend> choose_run_backend(const std::string& name, const std::string& root) {
  if (name == "auto") {
    const gpio::BackendChoice choice = gpio::choose_backend(root);
    return ChosenBackend{choice.kind, fmt::format("GPIO backend {}: {}", gpio::backend_name(choice.kind), choice.reason)};
  }
  auto kind = gpio::parse_backend_kind(name);
  if (!kind) return kind.error();
  return ChosenBackend{*kind, {}};
}

Status check_backend_name(const std::string& name) {
  if (name == "auto") return Ok{};
  if (auto kind = gpio::parse_backend_kind(name); !kind) return kind.error();
  return Ok{};
}

Status check_sim_only_options(gpio::BackendKind kind, bool virtual_clock, bool trace) {
  if (kind == gpio::BackendKind::kSim) return Ok{};
  if (virtual_clock) return Error{"--virtual-clock does not wait for real time: it only runs on the sim backend"};
  if (trace) return Error{"--trace records the sim backend's pins; it cannot be used with a hardware backend"};
  return Ok{};
}

Status check_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind) {
  for (const auto& s : machine.steppers) {
    for (auto [key, pin] : {std::pair{"step_pin", &s.step_pin}, std::pair{"dir_pin", &s.dir_pin},
                            std::pair{"enable_pin", &s.enable_pin}, std::pair{"endstop_pin", &s.endstop_pin}}) {
      if (pin->empty()) continue;
      if (auto st = gpio::check_pin_name(kind, pin->name); !st) {
        return Error{fmt::format("{}: [{}] {}: {}", machine.path, s.name, key, st.error().message)};
      }
    }
  }
  return Ok{};
}

Result<ChosenBackend> choose_backend_for(const config::MachineConfig& machine, const std::string& name,
                                         bool virtual_clock, bool trace) {
  auto chosen = choose_run_backend(name);
  if (!chosen) return chosen.error();
  if (auto sim_only = check_sim_only_options(chosen->kind, virtual_clock, trace); !sim_only) return sim_only.error();
  if (auto pins = check_machine_pins(machine, chosen->kind); !pins) return pins.error();
  return chosen;
}

}  // namespace rtstep::machine

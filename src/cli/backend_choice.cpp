// choose_run_backend and check_machine_pins (see backend_choice.hpp).
#include "cli/backend_choice.hpp"

#include <map>

#include <fmt/format.h>

namespace rtstep::cli {

Result<ChosenBackend> choose_run_backend(const std::string& name, const std::string& root) {
  if (name == "auto") {
    const gpio::BackendChoice choice = gpio::choose_backend(root);
    return ChosenBackend{choice.kind, fmt::format("GPIO backend {}: {}", gpio::backend_name(choice.kind), choice.reason)};
  }
  auto kind = gpio::parse_backend_kind(name);
  if (!kind) return kind.error();
  return ChosenBackend{*kind, {}};
}

Status check_machine_pins(const config::MachineConfig& machine, gpio::BackendKind kind) {
  std::map<std::string, std::string> outputs;  // pin name -> "[section] key" of its first use
  const auto where = [](const config::StepperConfig& s, const char* key) { return fmt::format("[{}] {}", s.name, key); };
  const auto check = [&](const config::StepperConfig& s, const char* key, const config::PinConfig& pin) -> Status {
    if (pin.empty()) return Ok{};
    if (auto st = gpio::check_pin_name(kind, pin.name); !st) {
      return Error{fmt::format("{}: {}: {}", machine.path, where(s, key), st.error().message)};
    }
    return Ok{};
  };
  for (const auto& s : machine.steppers) {
    for (auto [key, pin] : {std::pair{"step_pin", &s.step_pin}, std::pair{"dir_pin", &s.dir_pin},
                            std::pair{"enable_pin", &s.enable_pin}}) {
      if (auto st = check(s, key, *pin); !st) return st;
      if (!pin->empty()) outputs.try_emplace(pin->name, where(s, key));
    }
  }
  for (const auto& s : machine.steppers) {
    if (auto st = check(s, "endstop_pin", s.endstop_pin); !st) return st;
    if (auto it = outputs.find(s.endstop_pin.name); !s.endstop_pin.empty() && it != outputs.end()) {
      return Error{fmt::format("{}: {}: {} is already an output ({})", machine.path, where(s, "endstop_pin"),
                               s.endstop_pin.name, it->second)};
    }
  }
  return Ok{};
}

}  // namespace rtstep::cli

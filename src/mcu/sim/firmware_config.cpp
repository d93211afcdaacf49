// SimFirmware (firmware.hpp): configuration — allocate_oids, the config_* commands, finalize_config with its
// CRC, get_config.

#include "mcu/sim/firmware.hpp"

namespace rtstep::mcu::sim {

bool SimFirmware::dispatch_config(const Message& m, std::vector<uint8_t>& out) {
  static const std::pair<const char*, Object::Kind> kConfigs[] = {
      {"config_stepper", Object::Kind::kStepper},   {"config_digital_out", Object::Kind::kDigitalOut},
      {"config_analog_in", Object::Kind::kAnalogIn}, {"config_endstop", Object::Kind::kEndstop},
      {"config_trsync", Object::Kind::kTrsync},     {"config_pwm_out", Object::Kind::kDigitalOut}};
  if (m.name == "allocate_oids") {
    if (oids_allocated_) {
      shutdown("oids already allocated", out);
    } else {
      objects_.assign(static_cast<std::size_t>(*m.integer("count")), Object{});
      oids_allocated_ = true;
    }
    return true;
  }
  if (m.name == "finalize_config") {
    if (is_config_) {
      shutdown("Already finalized", out);
    } else {
      is_config_ = true;
      config_crc_ = static_cast<uint32_t>(*m.integer("crc"));
    }
    return true;
  }
  for (const auto& [name, kind] : kConfigs) {
    if (m.name != name) continue;
    Object* o = object(m, Object::Kind::kNone, out);
    if (o == nullptr) return true;
    if (is_config_ || o->kind != Object::Kind::kNone) {
      shutdown("Already finalized", out);
      return true;
    }
    o->kind = kind;
    if (kind == Object::Kind::kStepper) {
      o->pin = *m.text("step_pin");
    } else if (kind != Object::Kind::kTrsync) {
      o->pin = *m.text("pin");
    }
    if (kind == Object::Kind::kDigitalOut) {
      // On or off; a hardware PWM output's duty (of PWM_MAX) counts as its on-ticks of a PWM_MAX cycle.
      o->value = static_cast<uint8_t>(*m.integer("value") != 0);
      o->default_value = static_cast<uint8_t>(*m.integer("default_value") != 0);
      o->max_duration = static_cast<uint32_t>(*m.integer("max_duration"));
      o->duty = m.name == "config_pwm_out" ? static_cast<double>(*m.integer("value")) /
                                                 dictionary_.constant_number("PWM_MAX").value()
                                           : o->value;
      if (m.name == "config_pwm_out") o->cycle_ticks = static_cast<uint32_t>(dictionary_.constant_number("PWM_MAX").value());
    }
    return true;
  }
  return false;
}

}  // namespace rtstep::mcu::sim

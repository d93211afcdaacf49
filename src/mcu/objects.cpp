// The configuration commands for an MCU's objects (objects.hpp).

#include "mcu/objects.hpp"

#include <zlib.h>

#include <cmath>

namespace rtstep::mcu {

namespace {

Status check_pin(const Dictionary& d, const std::string& object, const std::string& pin) {
  if (d.enum_value("pin", pin)) return Ok{};
  return Error{object + ": MCU has no pin '" + pin + "'"};
}

}  // namespace

uint32_t ticks_of(int64_t ns, double hz) {
  return static_cast<uint32_t>(std::llround(static_cast<double>(ns) * hz * 1e-9));
}

uint32_t config_crc(const std::vector<std::string>& commands) {
  std::string text;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (i != 0) text += '\n';
    text += commands[i];
  }
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
}

Result<ConfigPlan> build_config(const Dictionary& d, const McuObjects& objects) {
  const auto hz = d.constant_number("CLOCK_FREQ");
  if (!hz) return hz.error();
  ConfigPlan plan;
  plan.commands.push_back("allocate_oids count=" + std::to_string(objects.oid_count()));
  for (std::size_t i = 0; i < objects.steppers.size(); ++i) {
    const StepperSpec& s = objects.steppers[i];
    if (Status st = check_pin(d, s.name, s.step_pin); !st) return st.error();
    if (Status st = check_pin(d, s.name, s.dir_pin); !st) return st.error();
    plan.commands.push_back("config_stepper oid=" + std::to_string(objects.stepper_oid(i)) + " step_pin=" + s.step_pin +
                            " dir_pin=" + s.dir_pin + " invert_step=" + (s.invert_step ? "1" : "0") +
                            " step_pulse_ticks=" + std::to_string(ticks_of(s.step_pulse_ns, *hz)));
  }
  for (std::size_t i = 0; i < objects.digital_outs.size(); ++i) {
    const DigitalOutSpec& o = objects.digital_outs[i];
    if (Status st = check_pin(d, o.name, o.pin); !st) return st.error();
    const std::string oid = std::to_string(objects.digital_out_oid(i));
    plan.pwm_out.push_back(o.hardware_pwm && d.find("config_pwm_out") != nullptr && d.find("queue_pwm_out") != nullptr);
    if (plan.pwm_out.back()) {
      auto pwm_max = d.constant_number("PWM_MAX");
      if (!pwm_max) return pwm_max.error();
      plan.pwm_max = *pwm_max;
      const auto duty = [&](double v) { return std::to_string(std::lround((o.invert ? 1 - v : v) * *pwm_max)); };
      plan.commands.push_back("config_pwm_out oid=" + oid + " pin=" + o.pin + " cycle_ticks=" +
                              std::to_string(ticks_of(o.cycle_ns, *hz)) + " value=" + duty(o.start_value) +
                              " default_value=" + duty(o.shutdown_value) +
                              " max_duration=" + std::to_string(ticks_of(o.max_duration_ns, *hz)));
      continue;
    }
    const auto level = [&](double v) { return std::string((v >= 0.5) != o.invert ? "1" : "0"); };
    plan.commands.push_back("config_digital_out oid=" + oid + " pin=" + o.pin + " value=" + level(o.start_value) +
                            " default_value=" + level(o.shutdown_value) +
                            " max_duration=" + std::to_string(ticks_of(o.max_duration_ns, *hz)));
    if (o.cycle_ns > 0) {
      plan.commands.push_back("set_digital_out_pwm_cycle oid=" + oid + " cycle_ticks=" + std::to_string(ticks_of(o.cycle_ns, *hz)));
    }
  }
  if (!objects.adcs.empty()) {
    if (Status st = d.require({"config_analog_in", "query_analog_in"}); !st) return st.error();
    plan.batched_adc = d.find("query_analog_in")->format.find("bytes_per_report=") != std::string::npos;
  }
  for (std::size_t i = 0; i < objects.adcs.size(); ++i) {
    const AdcSpec& a = objects.adcs[i];
    if (Status st = check_pin(d, a.name, a.pin); !st) return st.error();
    plan.commands.push_back("config_analog_in oid=" + std::to_string(objects.adc_oid(i)) + " pin=" + a.pin);
  }
  if (!objects.endstops.empty()) {
    if (Status st = d.require({"config_endstop", "config_trsync", "endstop_home", "trsync_start", "trsync_set_timeout",
                               "stepper_stop_on_trigger", "stepper_get_position"});
        !st) {
      return st.error();
    }
  }
  for (std::size_t i = 0; i < objects.endstops.size(); ++i) {
    const EndstopSpec& e = objects.endstops[i];
    if (Status st = check_pin(d, e.name, e.pin); !st) return st.error();
    plan.commands.push_back("config_endstop oid=" + std::to_string(objects.endstop_oid(i)) + " pin=" + e.pin +
                            " pull_up=" + (e.pull_up ? "1" : "0"));
    plan.commands.push_back("config_trsync oid=" + std::to_string(objects.trsync_oid(i)));
  }
  // Every command must encode with this firmware's formats before anything is sent.
  for (const std::string& c : plan.commands) {
    std::vector<uint8_t> scratch;
    if (Status st = d.encode_text(c, scratch); !st) return st.error();
  }
  plan.crc = config_crc(plan.commands);
  return plan;
}

}  // namespace rtstep::mcu

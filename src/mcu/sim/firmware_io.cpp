// SimFirmware (firmware.hpp): digital outputs (queue_digital_out, software PWM, max_duration) and analog
// inputs (query_analog_in, batched and single reports, range checks).

#include "mcu/sim/firmware.hpp"

#include <algorithm>
#include <cmath>

namespace rtstep::mcu::sim {

namespace {

constexpr uint16_t kAdcDefault = 2048;
constexpr double kAdcMax = 4095;  // the dictionary's ADC_MAX

// The duty an output event gives its pin: on-ticks of the cycle (software or hardware PWM), or on/off.
double duty_of(uint32_t on_ticks, uint32_t cycle_ticks) {
  if (cycle_ticks == 0) return on_ticks != 0 ? 1.0 : 0.0;
  return std::min(1.0, static_cast<double>(on_ticks) / cycle_ticks);
}

}  // namespace

std::string SimFirmware::output_pin(uint8_t oid) const {
  return oid < objects_.size() && objects_[oid].kind == Object::Kind::kDigitalOut ? objects_[oid].pin : std::string();
}

// Runs the heater models up to `clock`, each heated at its output pin's duty (0 while no output drives it).
void SimFirmware::run_heaters_until(uint64_t clock) {
  if (plants_.empty() || clock <= plant_clock_) return;
  const auto dt_ns = static_cast<int64_t>(static_cast<double>(clock - plant_clock_) / options_.clock_hz * 1e9);
  for (std::size_t i = 0; i < plants_.size(); ++i) {
    double duty = 0;
    for (const Object& o : objects_) {
      if (o.kind == Object::Kind::kDigitalOut && o.pin == options_.heaters[i].heater_pin) duty = o.duty;
    }
    plants_[i].step(plant_ns_, dt_ns, duty);
  }
  plant_ns_ += dt_ns;
  plant_clock_ = clock;
}

uint16_t SimFirmware::adc_sample(const std::string& pin) {
  for (std::size_t i = 0; i < plants_.size(); ++i) {
    if (options_.heaters[i].adc_pin != pin) continue;
    if (sensors_shorted_) return 0;
    const double adc = plants_[i].sample_adc(plant_sensors_[i], plant_ns_);
    return static_cast<uint16_t>(std::lround(std::clamp(adc, 0.0, 1.0) * kAdcMax));
  }
  const auto raw = options_.adc_raw.find(pin);
  return raw == options_.adc_raw.end() ? kAdcDefault : raw->second;
}

std::vector<double> SimFirmware::heater_temperatures() const {
  std::vector<double> out;
  for (const thermal::SimPlant& p : plants_) out.push_back(p.sensor_temp());
  return out;
}

bool SimFirmware::dispatch_output(const Message& m, std::vector<uint8_t>& out) {
  if (m.name == "set_digital_out_pwm_cycle") {
    if (Object* d = object(m, Object::Kind::kDigitalOut, out)) d->cycle_ticks = static_cast<uint32_t>(*m.integer("cycle_ticks"));
  } else if (m.name == "queue_digital_out" || m.name == "queue_pwm_out") {
    Object* d = object(m, Object::Kind::kDigitalOut, out);
    const uint64_t clock = extend(static_cast<uint64_t>(*m.integer("clock")));
    if (d == nullptr || !take_move_slot(*d, clock, out)) return true;
    if (clock < now_) {
      shutdown("Timer too close", out);
      return true;
    }
    const auto on = m.integer(m.name == "queue_pwm_out" ? "value" : "on_ticks");
    d->events.push_back({clock, static_cast<uint8_t>(d - objects_.data()), static_cast<uint32_t>(*on)});
  } else if (m.name == "update_digital_out") {
    if (Object* d = object(m, Object::Kind::kDigitalOut, out)) {
      d->value = static_cast<uint8_t>(*m.integer("value") != 0);
      d->duty = d->value;
      outputs_.push_back({now_, static_cast<uint8_t>(d - objects_.data()), d->value});
    }
  } else if (m.name == "query_analog_in") {
    Object* a = object(m, Object::Kind::kAnalogIn, out);
    if (a == nullptr) return true;
    a->next_begin = extend(static_cast<uint64_t>(*m.integer("clock")));
    a->sample_ticks = static_cast<uint32_t>(*m.integer("sample_ticks"));
    a->sample_count = static_cast<uint8_t>(*m.integer("sample_count"));
    a->rest_ticks = static_cast<uint32_t>(*m.integer("rest_ticks"));
    a->bytes_per_report = static_cast<uint8_t>(m.integer("bytes_per_report").value_or(2));  // legacy: one value
    a->min_value = static_cast<uint16_t>(*m.integer("min_value"));
    a->max_value = static_cast<uint16_t>(*m.integer("max_value"));
    a->range_check_count = static_cast<uint8_t>(*m.integer("range_check_count"));
    a->invalid_count = 0;
    a->data.clear();
    if (a->bytes_per_report > 48) shutdown("Invalid analog_in bytes_per_report", out);
  } else {
    return false;
  }
  return true;
}

void SimFirmware::run_outputs_until(uint64_t clock, std::vector<uint8_t>& out) {
  for (Object& d : objects_) {
    if (d.kind != Object::Kind::kDigitalOut) continue;
    for (;;) {
      const bool due = !d.events.empty() && d.events.front().clock <= clock;
      if (due && (d.end_time == 0 || d.events.front().clock <= d.end_time)) {
        const OutputRecord e = d.events.front();
        d.events.pop_front();
        outputs_.push_back(e);
        d.value = e.on_ticks != 0;
        d.duty = duty_of(e.on_ticks, d.cycle_ticks);
        const bool steady = e.on_ticks == 0 || e.on_ticks >= d.cycle_ticks;
        const bool guarded = d.max_duration != 0 && (!steady || d.value != d.default_value);
        d.end_time = guarded ? e.clock + d.max_duration : 0;
      } else if (d.end_time != 0 && d.end_time <= clock) {
        shutdown(d.events.empty() ? "Missed scheduling of next digital out event"
                                  : "Scheduled digital out event will exceed max_duration",
                 out, d.end_time);
        return;
      } else {
        break;
      }
    }
  }
}

void SimFirmware::run_adcs_until(uint64_t clock, std::vector<uint8_t>& out) {
  for (Object& a : objects_) {
    if (a.kind != Object::Kind::kAnalogIn || a.sample_count == 0) continue;
    while (a.next_begin + uint64_t{a.sample_ticks} * (a.sample_count - 1u) <= clock && !shutdown_reason_) {
      uint32_t value = 0;
      for (uint8_t k = 0; k < a.sample_count; ++k) value += adc_sample(a.pin);
      const auto sum = static_cast<uint16_t>(std::min<uint32_t>(value, 0xFFFF));
      if (sum >= a.min_value && sum <= a.max_value) {
        a.invalid_count = 0;
      } else if (++a.invalid_count >= a.range_check_count) {
        shutdown("ADC out of range", out);
        return;
      }
      a.data.push_back(static_cast<char>(sum & 0xFF));
      a.data.push_back(static_cast<char>(sum >> 8));
      a.next_begin += a.rest_ticks;
      if (a.data.size() + 2 > a.bytes_per_report) {
        const int64_t oid = &a - objects_.data(), next = static_cast<int64_t>(a.next_begin & 0xFFFFFFFF);
        if (options_.legacy_adc) {
          respond(out, "analog_in_state", {oid, next, int64_t{sum}});
        } else {
          respond(out, "analog_in_state", {oid, next, a.data});
        }
        a.data.clear();
      }
      if (a.rest_ticks == 0) break;
    }
  }
}

}  // namespace rtstep::mcu::sim

// SimFirmware (firmware.hpp): digital outputs (queue_digital_out, software PWM, max_duration) and analog
// inputs (query_analog_in, batched and single reports, range checks).

#include "mcu/sim/firmware.hpp"

#include <algorithm>

namespace rtstep::mcu::sim {

namespace {

constexpr uint16_t kAdcDefault = 2048;

}  // namespace

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
      const auto raw = options_.adc_raw.find(a.pin);
      const uint32_t value = uint32_t{a.sample_count} * (raw == options_.adc_raw.end() ? kAdcDefault : raw->second);
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

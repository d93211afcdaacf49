// ThermalSystem (see thermal_system.hpp).

#include "thermal/thermal_system.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace rtstep::thermal {

namespace {

constexpr double kNsToS = 1e-9;
constexpr double kFanFirstCheck = 0.100;  // s after start: Klipper's PIN_MIN_TIME before the first fan check

int64_t to_ns(double s) { return static_cast<int64_t>(s * 1e9 + (s >= 0 ? 0.5 : -0.5)); }

std::string short_name_of(const std::string& name) { return name.substr(name.rfind(' ') + 1); }

std::string unknown_heater(const std::string& name) { return "Unknown heater '" + name + "'"; }

}  // namespace

ThermalSystem::ThermalSystem(const ThermalConfig& config) {
  for (const HeaterConfig& h : config.heaters) {
    heaters_.emplace_back(h);
    checks_.emplace_back(h.short_name, h.verify);
    specs_.push_back(OutputSpec{h.name, h.heater_pin, true, h.pwm_cycle_time, h.max_duration, 0.0, false});
  }
  for (const TemperatureSensorConfig& s : config.sensors) {
    Sensor sensor{s, std::nullopt, {}, 0};
    if (s.sensor.is_adc()) sensor.converter.emplace(s.sensor.converter());
    sensors_.push_back(std::move(sensor));
  }
  for (const FanConfig& f : config.fans) {
    fans_.emplace_back(f);
    specs_.push_back(OutputSpec{f.name, f.pin, false, f.cycle_time, 0.0, std::clamp(f.shutdown_speed, 0.0, f.max_power),
                                f.hardware_pwm});
  }
}

Result<ThermalSystem> ThermalSystem::create(const ThermalConfig& config) {
  ThermalSystem system(config);
  for (const Fan& fan : system.fans_) {
    std::vector<size_t> indexes;
    const bool watches = fan.config().kind == FanKind::heater_fan || fan.config().kind == FanKind::controller_fan;
    for (const std::string& name : watches ? fan.config().heaters : std::vector<std::string>{}) {
      const auto index = system.heater_index(name);
      if (!index) return Error{"[" + fan.config().name + "] heater: " + unknown_heater(name)};
      indexes.push_back(*index);
    }
    system.fan_heaters_.push_back(std::move(indexes));
  }
  return system;
}

std::optional<size_t> ThermalSystem::heater_index(const std::string& short_name) const {
  for (size_t i = 0; i < heaters_.size(); ++i) {
    if (heaters_[i].config().short_name == short_name) return i;
  }
  return std::nullopt;
}

std::optional<uint32_t> ThermalSystem::sensor_index(const std::string& name) const {
  for (size_t i = 0; i < heaters_.size(); ++i) {
    if (heaters_[i].config().name == name) return static_cast<uint32_t>(i);
  }
  for (size_t i = 0; i < sensors_.size(); ++i) {
    if (sensors_[i].config.name == name) return static_cast<uint32_t>(heaters_.size() + i);
  }
  return std::nullopt;
}

std::vector<SensorConfig> ThermalSystem::sensor_configs() const {
  std::vector<SensorConfig> out;
  for (const Heater& h : heaters_) out.push_back(h.config().sensor);
  for (const Sensor& s : sensors_) out.push_back(s.config.sensor);
  return out;
}

std::span<const OutputCommand> ThermalSystem::update(int64_t now_ns, std::span<const Reading> readings) {
  // Commands queued since the last update (shutdown, set_fan_speed) are kept; those already returned go.
  commands_.erase(commands_.begin(), commands_.begin() + static_cast<std::ptrdiff_t>(returned_));
  const double now = now_ns * kNsToS;
  if (!started_) {
    started_ = true;
    next_check_ = now;
    next_fan_check_ = now + kFanFirstCheck;
  }
  for (const Reading& r : readings) on_reading(r);
  if (!shutdown_ && now >= next_check_) {
    next_check_ += kVerifyPeriod;
    run_checks(now);
  }
  for (uint32_t i = 0; i < fans_.size(); ++i) {
    if (auto v = fans_[i].update(now)) emit(static_cast<uint32_t>(heaters_.size() + i), now_ns, *v);
  }
  if (!shutdown_ && now >= next_fan_check_) {
    next_fan_check_ += kFanCheckPeriod;
    run_fan_policies(now, now_ns);
  }
  returned_ = commands_.size();
  return commands_;
}

void ThermalSystem::on_reading(const Reading& r) {
  if (r.sensor >= heaters_.size()) {
    if (r.sensor - heaters_.size() < sensors_.size()) on_sensor_reading(sensors_[r.sensor - heaters_.size()], r);
    return;
  }
  Heater& h = heaters_[r.sensor];
  const auto pwm = h.temperature_update(r.time_ns * kNsToS, r.value);
  if (h.fault() && !shutdown_) return fail(*h.fault(), r.time_ns);
  // Klipper's pwm_delay: the value applies one report period after the reading it came from.
  if (pwm) emit(r.sensor, r.time_ns + to_ns(h.config().sensor.report_time), *pwm);
}

void ThermalSystem::on_sensor_reading(Sensor& s, const Reading& r) {
  const double temp = s.converter ? s.converter->calc_temp(r.value) : r.value;
  s.status.temperature = round2(temp);
  if (temp != 0) {
    s.status.measured_min_temp = round2(std::min(s.status.measured_min_temp, temp));
    s.status.measured_max_temp = round2(std::max(s.status.measured_max_temp, temp));
  }
  if (shutdown_) return;
  char msg[160];
  if (!s.converter) {
    // temperature_host: Klipper shuts down at the first reading beyond the limits.
    if (temp < s.config.min_temp) {
      std::snprintf(msg, sizeof msg, "HOST temperature %0.1f below minimum temperature of %0.1f.", temp,
                    s.config.min_temp);
      return fail(msg, r.time_ns);
    }
    if (temp > s.config.max_temp) {
      std::snprintf(msg, sizeof msg, "HOST temperature %0.1f above maximum temperature of %0.1f.", temp,
                    s.config.max_temp);
      return fail(msg, r.time_ns);
    }
    return;
  }
  if (temp >= s.config.min_temp && temp <= s.config.max_temp) {
    s.out_of_range = 0;
    return;
  }
  if (++s.out_of_range < kRangeCheckCount) return;
  std::snprintf(msg, sizeof msg, "ADC out of range\nSensor '%s' temperature %.3f not in range %.3f:%.3f",
                s.config.name.c_str(), temp, s.config.min_temp, s.config.max_temp);
  fail(msg, r.time_ns);
}

void ThermalSystem::run_checks(double now) {
  for (size_t i = 0; i < heaters_.size(); ++i) {
    const Heater& h = heaters_[i];
    if (auto fault = checks_[i].check(now, h.temperature(now), h.target())) {
      return fail(*fault + kHintThermal, to_ns(now));
    }
  }
}

void ThermalSystem::run_fan_policies(double now, int64_t now_ns) {
  for (size_t i = 0; i < fans_.size(); ++i) {
    Fan& fan = fans_[i];
    if (fan.config().kind != FanKind::heater_fan && fan.config().kind != FanKind::controller_fan) continue;
    bool on = false, hot = false;
    for (size_t h : fan_heaters_[i]) {
      on = on || heaters_[h].target() != 0;
      hot = hot || heaters_[h].temperature(now) > fan.config().heater_temp;
    }
    const double speed = fan.policy_speed(on, hot, steppers_enabled_);
    if (auto v = fan.set_speed(now, speed)) emit(static_cast<uint32_t>(heaters_.size() + i), now_ns, *v);
  }
}

void ThermalSystem::emit(uint32_t output, int64_t time_ns, double value) {
  commands_.push_back(OutputCommand{output, time_ns, value});
}

void ThermalSystem::fail(const std::string& message, int64_t now_ns) {
  if (shutdown_) return;
  shutdown_ = ShutdownInfo{message.substr(0, message.find('\n')), message};
  for (uint32_t i = 0; i < heaters_.size(); ++i) {
    heaters_[i].cancel_calibration();
    heaters_[i].disable();
    emit(i, now_ns, 0.0);
  }
  for (uint32_t i = 0; i < fans_.size(); ++i)
    emit(static_cast<uint32_t>(heaters_.size() + i), now_ns, fans_[i].shutdown());
}

void ThermalSystem::shutdown(const std::string& reason, int64_t now_ns) { fail(reason, now_ns); }

Status ThermalSystem::set_target(const std::string& heater, double target) {
  const auto i = heater_index(heater);
  if (!i) return Error{unknown_heater(heater)};
  if (shutdown_) return Error{"Heater " + heater + " is off after shutdown: " + shutdown_->reason};
  if (heaters_[*i].calibrating()) heaters_[*i].cancel_calibration();
  return heaters_[*i].set_target(target);
}

void ThermalSystem::turn_off_all() {
  for (Heater& h : heaters_) {
    h.cancel_calibration();
    (void)h.set_target(0);
  }
}

std::optional<uint32_t> ThermalSystem::fan_index(const std::string& fan) const {
  for (uint32_t i = 0; i < fans_.size(); ++i) {
    const FanConfig& c = fans_[i].config();
    if ((c.kind == FanKind::fan && fan == "fan") || (c.kind == FanKind::fan_generic && short_name_of(c.name) == fan)) {
      return i;
    }
  }
  return std::nullopt;
}

Status ThermalSystem::set_fan_speed(const std::string& fan, double speed, int64_t now_ns) {
  const std::optional<uint32_t> i = fan_index(fan);
  if (!i) return Error{"Unknown fan '" + fan + "'"};
  if (shutdown_) return Error{"Fan " + fan + " is at its shutdown speed after shutdown: " + shutdown_->reason};
  if (auto v = fans_[*i].set_speed(now_ns * kNsToS, std::clamp(speed, 0.0, 1.0))) {
    emit(static_cast<uint32_t>(heaters_.size() + *i), now_ns, *v);
  }
  return Ok{};
}

Status ThermalSystem::check_extrude(const std::string& heater) const {
  const auto i = heater_index(heater);
  if (!i) return Error{unknown_heater(heater)};
  if (heaters_[*i].can_extrude()) return Ok{};
  return Error{"Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details"};
}

Status ThermalSystem::start_pid_calibration(const std::string& heater, double target) {
  const auto i = heater_index(heater);
  if (!i) return Error{unknown_heater(heater)};
  if (shutdown_) return Error{"Heater " + heater + " is off after shutdown: " + shutdown_->reason};
  return heaters_[*i].start_calibration(target);
}

std::optional<PidGains> ThermalSystem::calibration_result(const std::string& heater) {
  const auto i = heater_index(heater);
  if (!i) return std::nullopt;
  return heaters_[*i].finish_calibration();
}

bool ThermalSystem::calibrating(const std::string& heater) const {
  const auto i = heater_index(heater);
  return i && heaters_[*i].calibrating();
}

std::string ThermalSystem::m105(int64_t now_ns) const {
  std::map<std::string, std::pair<double, double>> by_id;  // sorted, as Klipper sorts its ids
  for (const Heater& h : heaters_) {
    if (!h.config().gcode_id.empty()) by_id[h.config().gcode_id] = {h.temperature(now_ns * kNsToS), h.target()};
  }
  for (const Sensor& s : sensors_) {
    if (!s.config.gcode_id.empty()) by_id[s.config.gcode_id] = {s.status.temperature, 0.0};
  }
  if (by_id.empty()) return "T:0";
  std::string out;
  char item[96];
  for (const auto& [id, value] : by_id) {
    std::snprintf(item, sizeof item, "%s:%.1f /%.1f", id.c_str(), value.first, value.second);
    out += (out.empty() ? "" : " ") + std::string(item);
  }
  return out;
}

bool ThermalSystem::heater_busy(const std::string& heater) const {
  const auto i = heater_index(heater);
  return i && !shutdown_ && heaters_[*i].busy();
}

std::optional<bool> ThermalSystem::temperature_in_range(const std::string& sensor, double min, double max,
                                                        int64_t now_ns) const {
  const auto i = sensor_index(sensor);
  if (!i) return std::nullopt;
  // Heaters report their smoothed temperature; plain sensors their last reading (Klipper's get_temp).
  const double temp = *i < heaters_.size() ? heaters_[*i].temperature(now_ns * kNsToS)
                                           : sensors_[*i - heaters_.size()].status.temperature;
  return temp >= min && temp <= max;
}

std::vector<double> ThermalSystem::output_values() const {
  std::vector<double> out;
  for (const Heater& h : heaters_) out.push_back(h.power());
  for (const Fan& f : fans_) out.push_back(f.output());
  return out;
}

HeaterStatus ThermalSystem::heater_status(size_t i, int64_t now_ns) const {
  const Heater& h = heaters_[i];
  HeaterStatus s{round2(h.temperature(now_ns * kNsToS)), h.target(), h.power(), std::nullopt};
  if (h.config().is_extruder) s.can_extrude = h.can_extrude();
  return s;
}

HeatersStatus ThermalSystem::heaters_status() const {
  HeatersStatus s;
  for (const Heater& h : heaters_) {
    s.available_heaters.push_back(h.config().name);
    s.available_sensors.push_back(h.config().name);
  }
  for (const Sensor& t : sensors_) s.available_sensors.push_back(t.config.name);
  return s;
}

nlohmann::json ThermalSystem::status_json(int64_t now_ns) const {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < heaters_.size(); ++i) j[heaters_[i].config().name] = to_json(heater_status(i, now_ns));
  j["heaters"] = to_json(heaters_status());
  for (size_t i = 0; i < fans_.size(); ++i) j[fans_[i].config().name] = to_json(fan_status(i));
  for (size_t i = 0; i < sensors_.size(); ++i) j[sensors_[i].config.name] = to_json(sensors_[i].status);
  return j;
}

}  // namespace rtstep::thermal

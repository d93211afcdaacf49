// Sim thermal plant (see sim_plant.hpp).

#include "thermal/sim_plant.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "thermal/thermal_config.hpp"
#include "thermal/thermal_system.hpp"

namespace rtstep::thermal {

namespace {

constexpr int64_t kMaxSubstepNs = 10'000'000;  // 10 ms: explicit Euler stays accurate for lags >= 1 s
constexpr double kOpenAdc = 0.99999;           // an open thermistor: no current, the input at the pull-up
constexpr double kShortedAdc = 0.0;            // a shorted thermistor: the input at ground

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double uniform01(uint64_t& state) {
  return (static_cast<double>(splitmix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace

SimHeaterConfig SimHeaterConfig::defaults_for(const std::string& heater) {
  SimHeaterConfig c;
  c.heater = heater;
  if (heater == "heater_bed") {
    c.heater_power = 200;
    c.heat_capacity = 400;
    c.ambient_loss = 1.5;
    c.sensor_lag = 5;
  }
  return c;
}

bool parse_sim_fault(const std::string& word, SimFault& out) {
  for (SimFault f : {SimFault::none, SimFault::heater_disconnected, SimFault::sensor_open, SimFault::sensor_shorted,
                     SimFault::heater_stuck_on}) {
    if (word == sim_fault_name(f)) {
      out = f;
      return true;
    }
  }
  return false;
}

const char* sim_fault_name(SimFault fault) {
  switch (fault) {
    case SimFault::heater_disconnected:
      return "heater_disconnected";
    case SimFault::sensor_open:
      return "sensor_open";
    case SimFault::sensor_shorted:
      return "sensor_shorted";
    case SimFault::heater_stuck_on:
      return "heater_stuck_on";
    default:
      return "none";
  }
}

SimPlant::SimPlant(const SimHeaterConfig& config)
    : config_(config), block_(config.ambient_temp), sensor_(config.ambient_temp), rng_(config.seed) {}

bool SimPlant::fault_active(int64_t now_ns) const noexcept {
  return config_.fault != SimFault::none && now_ns >= static_cast<int64_t>(config_.fault_time * 1e9);
}

void SimPlant::step(int64_t now_ns, int64_t dt_ns, double pwm) {
  double u = std::clamp(pwm, 0.0, 1.0);
  if (fault_active(now_ns)) {
    if (config_.fault == SimFault::heater_disconnected) u = 0;
    if (config_.fault == SimFault::heater_stuck_on) u = 1;
  }
  for (int64_t done = 0; done < dt_ns;) {
    const int64_t h_ns = std::min(kMaxSubstepNs, dt_ns - done);
    const double h = h_ns * 1e-9;
    const double heat = config_.heater_power * u - config_.ambient_loss * (block_ - config_.ambient_temp);
    const double dsensor = (block_ - sensor_) / config_.sensor_lag;
    block_ += heat / config_.heat_capacity * h;
    sensor_ += dsensor * h;
    done += h_ns;
  }
}

double SimPlant::gaussian() {
  // Box-Muller: two uniforms -> one standard normal value.
  const double u1 = uniform01(rng_), u2 = uniform01(rng_);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double SimPlant::sample_temp() { return sensor_ + (config_.noise > 0 ? config_.noise * gaussian() : 0.0); }

double SimPlant::sample_adc(const AdcConverter& converter, int64_t now_ns) {
  const double temp = sample_temp();
  if (fault_active(now_ns)) {
    if (config_.fault == SimFault::sensor_open) return kOpenAdc;
    if (config_.fault == SimFault::sensor_shorted) return kShortedAdc;
  }
  return converter.calc_adc(temp);
}

Result<double> SimAdcSource::read(int64_t now_ns) {
  if (plant_ == nullptr) return converter_.calc_adc(kAmbientTemp);
  return plant_->sample_adc(converter_, now_ns);
}

SimWorld::SimWorld(const ThermalConfig& config) {
  for (const HeaterConfig& h : config.heaters) {
    SimHeaterConfig c = SimHeaterConfig::defaults_for(h.short_name);
    for (const SimHeaterConfig& s : config.sim_heaters) {
      if (s.heater == h.short_name) c = s;
    }
    plants_.emplace_back(c);
  }
  pwm_.assign(plants_.size(), 0.0);
  pending_.resize(plants_.size());
}

void SimWorld::apply(std::span<const OutputCommand> commands) {
  for (const OutputCommand& c : commands) {
    if (c.output >= plants_.size()) continue;
    // A newer command supersedes queued ones due at or after it (a shutdown's immediate 0 beats a value
    // queued for later), as the executor replaces a pin's schedule.
    auto& queue = pending_[c.output];
    std::erase_if(queue, [&](const Pending& p) { return p.time_ns >= c.time_ns; });
    queue.push_back(Pending{c.time_ns, c.value});
  }
}

void SimWorld::step(int64_t now_ns, int64_t dt_ns) {
  for (size_t i = 0; i < plants_.size(); ++i) {
    auto& queue = pending_[i];
    size_t n = 0;
    while (n < queue.size() && queue[n].time_ns <= now_ns) pwm_[i] = queue[n++].value;
    queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    plants_[i].step(now_ns, dt_ns, pwm_[i]);
  }
}

std::vector<std::unique_ptr<SampleSource>> SimWorld::make_sources(const ThermalConfig& config) {
  std::vector<std::unique_ptr<SampleSource>> out;
  for (size_t i = 0; i < config.heaters.size(); ++i) {
    const SensorConfig& s = config.heaters[i].sensor;
    if (s.is_adc()) {
      out.push_back(std::make_unique<SimAdcSource>(&plants_[i], s.converter()));
    } else {
      out.push_back(nullptr);
    }
  }
  for (const TemperatureSensorConfig& t : config.sensors) {
    if (t.sensor.is_adc()) {
      out.push_back(std::make_unique<SimAdcSource>(nullptr, t.sensor.converter()));
    } else {
      out.push_back(nullptr);
    }
  }
  return out;
}

}  // namespace rtstep::thermal

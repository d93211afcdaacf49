// Status JSON (see status.hpp).

#include "thermal/status.hpp"

#include <cmath>

namespace rtstep::thermal {

double round2(double v) noexcept { return std::round(v * 100.0) / 100.0; }

nlohmann::json to_json(const HeaterStatus& s) {
  nlohmann::json j = {{"temperature", s.temperature}, {"target", s.target}, {"power", s.power}};
  if (s.can_extrude) j["can_extrude"] = *s.can_extrude;
  return j;
}

nlohmann::json to_json(const HeatersStatus& s) {
  return {{"available_heaters", s.available_heaters},
          {"available_sensors", s.available_sensors},
          {"available_monitors", s.available_monitors}};
}

nlohmann::json to_json(const FanStatus& s) { return {{"speed", s.speed}, {"rpm", nullptr}}; }

nlohmann::json to_json(const TemperatureSensorStatus& s) {
  return {{"temperature", s.temperature},
          {"measured_min_temp", s.measured_min_temp},
          {"measured_max_temp", s.measured_max_temp}};
}

}  // namespace rtstep::thermal

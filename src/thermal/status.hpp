#pragma once
// Status snapshots with Klipper's object and field names, as plain values (never references into live
// state), and their JSON. Objects: "extruder" / "heater_bed" / "heater_generic NAME" (temperature, target,
// power; can_extrude for extruders), "heaters" (available_heaters, available_sensors, available_monitors),
// "fan" / "heater_fan NAME" / ... (speed, rpm: null), "temperature_sensor NAME" (temperature,
// measured_min_temp, measured_max_temp). Temperatures are rounded to 2 decimals as Klipper does.
// Any thread (plain values); non-real-time.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rtstep::thermal {

struct HeaterStatus {
  double temperature = 0;           // C, smoothed, 2 decimals
  double target = 0;                // C
  double power = 0;                 // last PWM value sent, 0..max_power
  std::optional<bool> can_extrude;  // extruders only
};

struct HeatersStatus {
  std::vector<std::string> available_heaters;   // "extruder", "heater_bed", "heater_generic chamber"
  std::vector<std::string> available_sensors;   // heaters and "temperature_sensor NAME"
  std::vector<std::string> available_monitors;  // none yet
};

struct FanStatus {
  double speed = 0;  // requested speed after max_power scaling
  // rpm: always null (no tachometer support)
};

struct TemperatureSensorStatus {
  double temperature = 0;
  double measured_min_temp = 99999999.0;  // Klipper's initial values
  double measured_max_temp = 0;
};

nlohmann::json to_json(const HeaterStatus& s);
nlohmann::json to_json(const HeatersStatus& s);
nlohmann::json to_json(const FanStatus& s);
nlohmann::json to_json(const TemperatureSensorStatus& s);

double round2(double v) noexcept;

}  // namespace rtstep::thermal

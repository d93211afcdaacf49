#pragma once
// Thermal configuration: the heater, sensor and fan sections of a printer.cfg, read from a RawConfig with
// Klipper's keys, defaults and limits. Every error names the file, the line, the section and the key
// ("printer.cfg:40: [heater_bed] max_temp: expected a number > 0, got "x"").
//
// Sections: the heater keys of [extruder] (and [extruderN]; motion keys there are read elsewhere; an
// [extruder] with neither heater_pin nor sensor_type has no heater), [heater_bed], [heater_generic NAME],
// [verify_heater NAME], [temperature_sensor NAME], [thermistor NAME], [fan], [heater_fan NAME],
// [controller_fan NAME], [fan_generic NAME], and rtstep's [sim_heater NAME] (sim_plant.hpp).
// sensor_type names compare without regard to case (the config reader lower-cases section names, so a
// [thermistor NAME] is found whatever case its users write). A key Klipper knows in these sections but
// rtstep does not use (tachometer_pin, enable_pin, ...) is listed in ignored_keys; any other key is an
// error. Init only; non-real-time.

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "thermal/control.hpp"
#include "thermal/sensors.hpp"
#include "thermal/sim_config.hpp"
#include "thermal/verify_heater.hpp"
#include "util/result.hpp"

namespace rtstep::thermal {

inline constexpr double kMaxHeatTime = 3.0;      // s: heater max_duration (Klipper's MAX_HEAT_TIME)
inline constexpr double kAdcReportTime = 0.300;  // s between ADC reports
inline constexpr double kAdcSampleTime = 0.001;  // s between the samples of one report
inline constexpr int kAdcSampleCount = 8;        // samples per report
inline constexpr int kRangeCheckCount = 4;       // consecutive out-of-range reports before shutdown
inline constexpr double kHostReportTime = 1.0;   // s between temperature_host reads
inline constexpr const char* kHostTempPath = "/sys/class/thermal/thermal_zone0/temp";

enum class SensorKind { thermistor, pt1000, host };

struct SensorConfig {
  std::string sensor_type;  // as written: "EPCOS 100K B57560G104F", "PT1000", "temperature_host"
  SensorKind kind = SensorKind::thermistor;
  ThermistorParams thermistor;              // kind == thermistor
  config::PinConfig pin;                    // sensor_pin (ADC sensors): "analog2", "iio:device0/in_voltage2", "PA0"
  double pullup_resistor = 4700;            // ohm
  double inline_resistor = 0;               // ohm (thermistors)
  std::string sensor_path = kHostTempPath;  // temperature_host, below the caller's root
  double report_time = kAdcReportTime;      // s; 1.0 for temperature_host
  int sample_count = kAdcSampleCount;       // 1 for temperature_host
  double sample_time = kAdcSampleTime;      // s
  bool is_adc() const noexcept { return kind != SensorKind::host; }
  // The converter of an ADC sensor (kind != host).
  AdcConverter converter() const;
};

enum class ControlKind { pid, watermark };

struct HeaterConfig {
  std::string name;        // section name: "extruder", "heater_bed", "heater_generic chamber"
  std::string short_name;  // last word: "extruder", "heater_bed", "chamber" (verify_heater, messages)
  bool is_extruder = false;
  config::PinConfig heater_pin;
  SensorConfig sensor;
  ControlKind control = ControlKind::pid;
  PidGains pid;                        // pid_Kp, pid_Ki, pid_Kd as written
  double max_delta = 2.0;              // C (watermark)
  double max_power = 1.0;              // (0, 1]
  double smooth_time = 1.0;            // s
  double pwm_cycle_time = 0.100;       // s, (0, report_time]
  double max_duration = kMaxHeatTime;  // s, for the executor's soft PWM
  double min_temp = 0, max_temp = 0;   // C (required)
  double min_extrude_temp = 170.0;     // C
  VerifyHeaterConfig verify;           // [verify_heater NAME] or defaults
  std::string gcode_id;                // M105 id: "T0" ([extruder]), "T1" ([extruder1]), "B", gcode_id key
};

struct TemperatureSensorConfig {
  std::string name;        // "temperature_sensor mcu_temp"
  std::string short_name;  // "mcu_temp"
  SensorConfig sensor;
  double min_temp = -kKelvinOffset;
  double max_temp = 99999999.9;
  std::string gcode_id;  // M105 id from the gcode_id key; empty = not in M105
};

enum class FanKind { fan, heater_fan, controller_fan, fan_generic };

struct FanConfig {
  FanKind kind = FanKind::fan;
  std::string name;  // "fan", "heater_fan hotend_fan", ...
  config::PinConfig pin;
  double max_power = 1.0;
  double kick_start_time = 0.1;  // s
  double off_below = 0.0;
  double cycle_time = 0.010;  // s
  bool hardware_pwm = false;
  double shutdown_speed = 0.0;        // heater_fan: 1
  std::vector<std::string> heaters;   // heater_fan / controller_fan: short heater names (default "extruder")
  double heater_temp = 50.0;          // heater_fan: C
  double fan_speed = 1.0;             // heater_fan / controller_fan
  double idle_speed = 1.0;            // controller_fan; default fan_speed
  int idle_timeout = 30;              // controller_fan: s
  std::vector<std::string> steppers;  // controller_fan; empty = all
};

struct ThermalConfig {
  std::vector<HeaterConfig> heaters;             // in file order
  std::vector<TemperatureSensorConfig> sensors;  // [temperature_sensor NAME]
  std::vector<FanConfig> fans;
  std::vector<SimHeaterConfig> sim_heaters;  // [sim_heater NAME]
  std::vector<std::string> ignored_keys;     // "[fan] tachometer_pin", ...
  const HeaterConfig* find_heater(const std::string& short_name) const;
};

// Reads every thermal section of `raw`. Errors name file, line, section and key.
Result<ThermalConfig> load_thermal(const config::RawConfig& raw);

}  // namespace rtstep::thermal

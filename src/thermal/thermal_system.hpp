#pragma once
// ThermalSystem: every heater, temperature sensor and fan of one ThermalConfig, stepped by its owner.
//
// Thread: ONE owner thread (the controller's loop) calls everything; no function is thread-safe and none
// is real-time. No function reads a clock: time is the `now_ns` the caller passes (CLOCK_MONOTONIC or the
// virtual clock), so runs on the virtual clock are exact and tests never wait.
//
// Each tick the caller: polls its sensors (SensorPoller) into Readings, calls update(now_ns, readings), and
// sends the returned OutputCommands (soft PWM through the ring, or SysfsPwm). Sensor order: heaters in
// config order, then [temperature_sensor]s. Output order: heaters in config order, then fans.
//
// Safety (Klipper's rules, on by default): a heater whose sensor reads outside [min_temp, max_temp] for 4
// reports ("ADC out of range"), fails verify_heater ("Heater extruder not heating at expected rate"), or any
// temperature_host beyond its limits shuts the whole system down: every heater output 0 at once, targets 0,
// fans at shutdown_speed, set_target refused; shutdown_reason() tells why (the caller stops the steppers).
// The caller also calls shutdown() for its own causes (executor lost, sensor read error, M112).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "thermal/fan.hpp"
#include "thermal/heater.hpp"
#include "thermal/sampling.hpp"
#include "thermal/status.hpp"
#include "thermal/thermal_config.hpp"
#include "thermal/verify_heater.hpp"

namespace rtstep::thermal {

// A new PWM value for one output, to take effect at time_ns.
struct OutputCommand {
  uint32_t output = 0;  // index into ThermalSystem::outputs()
  int64_t time_ns = 0;
  double value = 0;  // 0..1 duty (already limited by max_power)
};

// What the executor (or SysfsPwm) needs to drive one output; fixed at create().
struct OutputSpec {
  std::string name;  // "extruder", "heater_bed", "fan", "heater_fan hotend_fan"
  config::PinConfig pin;
  bool heater = false;
  double cycle_time = 0.1;    // s, soft-PWM period (pwm_cycle_time / cycle_time)
  double max_duration = 0;    // s the executor keeps a value without renewal; 0 = forever (fans)
  double shutdown_value = 0;  // duty on shutdown and on host loss
  bool hardware_pwm = false;
};

struct ShutdownInfo {
  std::string reason;   // first line, Klipper's words: "ADC out of range"
  std::string message;  // reason and details/hint
};

class ThermalSystem {
 public:
  // Init only. Errors: a heater_fan or controller_fan naming an unknown heater.
  static Result<ThermalSystem> create(const ThermalConfig& config);

  // One tick at `now_ns` with the sensor reports that arrived since the last tick. Returns the commands to
  // send now, including those queued by commands since the last tick (shutdown, set_fan_speed); valid
  // until the next call of any non-const function.
  std::span<const OutputCommand> update(int64_t now_ns, std::span<const Reading> readings);

  // --- Commands (M104/M140/SET_HEATER_TEMPERATURE, M106/SET_FAN_SPEED, ...) -----------------------------
  // Heater by short name ("extruder", "heater_bed", "chamber"); errors name the heater or the range.
  Status set_target(const std::string& heater, double target);
  // TURN_OFF_HEATERS: every target 0 (and any calibration ends).
  void turn_off_all();
  // [fan] (name "fan") or [fan_generic NAME] (name NAME): speed 0..1 from now_ns.
  Status set_fan_speed(const std::string& fan, double speed, int64_t now_ns);
  // For [controller_fan]: whether any stepper is enabled (thermal knows nothing of motion).
  void set_steppers_enabled(bool enabled) noexcept { steppers_enabled_ = enabled; }
  // Extrusion check ("Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details").
  Status check_extrude(const std::string& heater = "extruder") const;
  // PID_CALIBRATE HEATER=... TARGET=...: starts the relay; poll calibration_result() while waiting.
  Status start_pid_calibration(const std::string& heater, double target);
  // The gains once the relay has finished (then the heater is back on its control, target 0).
  std::optional<PidGains> calibration_result(const std::string& heater);
  // Whether a calibration is still running. Not running and no result: it was interrupted (TURN_OFF_HEATERS,
  // a new target, shutdown): Klipper's "pid_calibrate interrupted".
  bool calibrating(const std::string& heater) const;

  // --- Waits (the caller's M109/M190/TEMPERATURE_WAIT loop re-checks these each tick) --------------------
  // M109/M190: true while the heater has a target and is not settled (PID: |err| > 1 C or |slope| >
  // 0.1 C/s; watermark: below target - max_delta). False after shutdown.
  bool heater_busy(const std::string& heater) const;
  // TEMPERATURE_WAIT SENSOR=... MINIMUM=... MAXIMUM=...: true when done (in range). Sensor by its full name
  // ("extruder", "heater_bed", "heater_generic chamber", "temperature_sensor mcu"). nullopt: unknown sensor.
  std::optional<bool> temperature_in_range(const std::string& sensor, double min, double max, int64_t now_ns) const;

  // --- Shutdown -------------------------------------------------------------------------------------------
  // Every heater off now (commands returned by the next update, and by outputs() at once), fans at their
  // shutdown speed, further targets refused. The first reason wins.
  void shutdown(const std::string& reason, int64_t now_ns);
  const std::optional<ShutdownInfo>& shutdown_info() const noexcept { return shutdown_; }

  // --- Introspection and status ---------------------------------------------------------------------------
  const std::vector<OutputSpec>& outputs() const noexcept { return specs_; }
  // Current duty of every output (what the executor should be doing now).
  std::vector<double> output_values() const;
  size_t heater_count() const noexcept { return heaters_.size(); }
  size_t sensor_count() const noexcept { return heaters_.size() + sensors_.size(); }
  const Heater& heater(size_t i) const { return heaters_[i]; }
  std::optional<size_t> heater_index(const std::string& short_name) const;
  // [fan] by "fan", [fan_generic NAME] by NAME; nullopt if there is none.
  std::optional<uint32_t> fan_index(const std::string& fan) const;
  // Sensor index (for Readings) by full name; nullopt if unknown.
  std::optional<uint32_t> sensor_index(const std::string& name) const;
  // Sensor configs in sensor order (for building a SensorPoller).
  std::vector<SensorConfig> sensor_configs() const;

  // M105's answer as Klipper formats it: "B:60.0 /60.0 T0:210.3 /210.0", ids sorted; "T:0" when none.
  std::string m105(int64_t now_ns) const;
  HeaterStatus heater_status(size_t heater, int64_t now_ns) const;
  HeatersStatus heaters_status() const;
  FanStatus fan_status(size_t fan) const { return FanStatus{fans_[fan].requested()}; }
  TemperatureSensorStatus sensor_status(size_t sensor) const { return sensors_[sensor].status; }
  // Every status object by Klipper's name: {"extruder": {...}, "heater_bed": {...}, "heaters": {...}, ...}.
  nlohmann::json status_json(int64_t now_ns) const;

 private:
  struct Sensor {
    TemperatureSensorConfig config;
    std::optional<AdcConverter> converter;
    TemperatureSensorStatus status;
    int out_of_range = 0;
  };
  explicit ThermalSystem(const ThermalConfig& config);
  void on_reading(const Reading& r);
  void on_sensor_reading(Sensor& s, const Reading& r);
  void run_checks(double now);
  void run_fan_policies(double now, int64_t now_ns);
  void emit(uint32_t output, int64_t time_ns, double value);
  void fail(const std::string& message, int64_t now_ns);

  std::vector<Heater> heaters_;
  std::vector<HeaterCheck> checks_;
  std::vector<Sensor> sensors_;
  std::vector<Fan> fans_;
  std::vector<std::vector<size_t>> fan_heaters_;  // heater indexes per fan (heater_fan, controller_fan)
  std::vector<OutputSpec> specs_;
  std::vector<OutputCommand> commands_;  // queued for the next update's return
  size_t returned_ = 0;                  // how many of commands_ the last update returned
  std::optional<ShutdownInfo> shutdown_;
  bool steppers_enabled_ = false;
  bool started_ = false;
  double next_check_ = 0, next_fan_check_ = 0;
};

}  // namespace rtstep::thermal

#pragma once
// Fans as Klipper's fan.py and its users:
//   Fan: a requested speed s in [0, 1] becomes the PWM value 0 below off_below, else s * max_power; a fan
//   that starts (or jumps by more than half) runs at max_power for kick_start_time first; status speed is
//   the requested value after scaling (Klipper's last_req_value), rpm is null (no tachometer).
//   [fan]: M106/M107; [fan_generic NAME]: SET_FAN_SPEED; [heater_fan NAME]: fan_speed while any of its
//   heaters has a target or is above heater_temp, checked every second; [controller_fan NAME]: fan_speed
//   while the steppers are enabled or a heater has a target, then idle_speed for idle_timeout seconds.
//   On shutdown a fan runs at shutdown_speed (default 0; 1 for heater_fan).
// Owned by ThermalSystem; owner thread; non-real-time.

#include <cstdint>
#include <optional>

#include "thermal/thermal_config.hpp"

namespace rtstep::thermal {

inline constexpr double kFanCheckPeriod = 1.0;  // s between heater_fan / controller_fan checks

class Fan {
 public:
  explicit Fan(const FanConfig& config) : config_(config) {}
  // Requests `speed` (0..1) at `time` s. Returns the PWM value to send now, if it changed.
  std::optional<double> set_speed(double time, double speed);
  // Ends a kick-start whose time is up. Returns the PWM value to send, if any.
  std::optional<double> update(double time);
  // Shutdown: the PWM value becomes shutdown_speed * max_power (clamped), for good.
  double shutdown();
  double requested() const noexcept { return last_req_; }  // status "speed"
  double output() const noexcept { return last_value_; }   // PWM value now
  const FanConfig& config() const noexcept { return config_; }

  // heater_fan / controller_fan policy, once a second: the speed it wants given the state of its heaters.
  // `heater_on`: any listed heater has a target; `heater_hot`: any is above heater_temp;
  // `steppers_enabled`: for controller_fan.
  double policy_speed(bool heater_on, bool heater_hot, bool steppers_enabled);

 private:
  FanConfig config_;
  double last_value_ = 0, last_req_ = 0;
  std::optional<double> kick_end_;  // s: when the kick-start ends
  bool shut_down_ = false;
  int idle_left_ = 0;  // controller_fan: seconds of idle_speed left
};

}  // namespace rtstep::thermal

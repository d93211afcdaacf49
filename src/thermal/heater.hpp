#pragma once
// One heater, as Klipper's Heater: each sensor report (temperature_update) runs the control law, smooths
// the temperature over smooth_time for status, can_extrude and M109, and decides whether the PWM value must
// be sent. A value is sent when it moves by at least 5 % of max_power, or, for a heater that is on, again
// before the previous command's max_duration runs out (2.4 s after it with Klipper's 0.3 s report period),
// so the executor never turns a working heater off by itself. The command's time is the reading time + the
// report period (Klipper's pwm_delay), leaving the executor its lead. With no target, or once faulted, the
// output is 0.
// The out-of-range check is Klipper's MCU check: kRangeCheckCount consecutive ADC reports outside the
// readings of [min_temp, max_temp] are a fault "ADC out of range".
// Owned by ThermalSystem; owner thread; non-real-time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "thermal/control.hpp"
#include "thermal/pid_calibrate.hpp"
#include "thermal/thermal_config.hpp"

namespace rtstep::thermal {

inline constexpr double kMinPwmChangeRatio = 0.05;
inline constexpr double kQuellStaleTime = 7.0;  // s: a heater without readings this long reports 0 C

class Heater {
 public:
  explicit Heater(const HeaterConfig& config);

  // A sensor report: `value` is an ADC fraction (C for temperature_host). Returns the PWM value to send now, if one
  // must be sent.
  std::optional<double> temperature_update(double time, double adc_value);
  // Klipper's set_temp check: "Requested temperature (300.0) out of range (0.0:250.0)".
  Status set_target(double target);
  double target() const noexcept { return target_; }
  // Smoothed temperature, or 0 when the last reading is older than kQuellStaleTime at `time`.
  double temperature(double time) const noexcept;
  double last_temp() const noexcept { return last_temp_; }
  double power() const noexcept { return last_pwm_; }
  bool can_extrude() const noexcept { return can_extrude_; }
  // M109's rule (the control's busy()), true only with a target.
  bool busy() const;
  // The fault since the last report, if any ("ADC out of range").
  const std::optional<std::string>& fault() const noexcept { return fault_; }
  // Output forced to 0 from now on (shutdown).
  void disable() noexcept;

  // PID_CALIBRATE: replaces the control by the relay until calibration_done(); the target becomes `target`.
  Status start_calibration(double target);
  bool calibrating() const noexcept { return calibrator_ != nullptr; }
  // When the relay has finished: restores the old control, target 0, and returns the gains.
  std::optional<PidGains> finish_calibration();
  // Abandons a calibration (shutdown, TURN_OFF_HEATERS): the old control comes back.
  void cancel_calibration();

  const HeaterConfig& config() const noexcept { return config_; }
  double last_reading_time() const noexcept { return last_time_; }

 private:
  std::optional<double> set_pwm(double time, double value);
  void check_range(double adc_value, double temp);
  HeaterConfig config_;
  std::optional<AdcConverter> converter_;  // ADC sensors; temperature_host reports C
  double min_adc_, max_adc_;
  std::unique_ptr<Control> control_;
  std::unique_ptr<Control> saved_control_;  // during calibration
  PidCalibrator* calibrator_ = nullptr;     // == control_ during calibration
  double target_ = 0, last_temp_ = 0, smoothed_ = 0, last_time_ = 0;
  double last_pwm_ = 0, next_pwm_time_ = 0;
  bool can_extrude_;
  bool disabled_ = false;
  bool has_reading_ = false;
  int out_of_range_ = 0;
  std::optional<std::string> fault_;
};

// The heater control of a config: PidControl or BangBangControl.
std::unique_ptr<Control> make_control(const HeaterConfig& config);

}  // namespace rtstep::thermal

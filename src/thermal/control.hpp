#pragma once
// Heater control laws, as Klipper's heaters.py runs them: once per sensor report (0.3 s), from the reading
// time in seconds and the temperature, giving the heater's PWM value in [0, max_power].
//
// PidControl: gains written in the config are divided by kPidParamBase (255), because Klipper's (and
// Marlin's) gains are in PWM steps of 1/255 per degree. The derivative is of the measured temperature (not
// the error, so a target change kicks nothing), averaged over at least `smooth_time`; the integral is clamped
// to [0, max_power / Ki] and is not stored while the output saturates (anti-windup). "Settled" (M109's
// wait) is |target - smoothed| <= 1 C and |derivative| <= 0.1 C/s.
// BangBangControl (`control: watermark`): full max_power below target - max_delta, off above
// target + max_delta; settled when smoothed >= target - max_delta.
// Owned by one heater; called on the thermal owner thread; non-real-time.

#include <memory>

namespace rtstep::thermal {

inline constexpr double kPidParamBase = 255.0;
inline constexpr double kAmbientTemp = 25.0;    // C; the PID's first "previous temperature"
inline constexpr double kPidSettleDelta = 1.0;  // C
inline constexpr double kPidSettleSlope = 0.1;  // C/s

class Control {
 public:
  virtual ~Control() = default;
  // One reading: `time` s, `temp` C; returns the PWM value. `target` is the heater's target; a control may
  // change it (the calibrator moves it between the two relay thresholds).
  virtual double update(double time, double temp, double& target) = 0;
  // True while an M109-style wait must go on.
  virtual bool busy(double smoothed_temp, double target) const = 0;
};

struct PidGains {
  double kp = 0, ki = 0, kd = 0;  // as written in printer.cfg (pid_Kp, pid_Ki, pid_Kd)
};

class PidControl final : public Control {
 public:
  PidControl(PidGains gains, double max_power, double smooth_time);
  double update(double time, double temp, double& target) override;
  bool busy(double smoothed_temp, double target) const override;
  double derivative() const noexcept { return prev_deriv_; }
  double integral() const noexcept { return prev_integ_; }

 private:
  double kp_, ki_, kd_;  // scaled by 1/255
  double max_power_, min_deriv_time_, integ_max_ = 0;
  double prev_temp_ = kAmbientTemp, prev_time_ = 0, prev_deriv_ = 0, prev_integ_ = 0;
};

class BangBangControl final : public Control {
 public:
  BangBangControl(double max_delta, double max_power) : max_delta_(max_delta), max_power_(max_power) {}
  double update(double time, double temp, double& target) override;
  bool busy(double smoothed_temp, double target) const override { return smoothed_temp < target - max_delta_; }

 private:
  double max_delta_, max_power_;
  bool heating_ = false;
};

}  // namespace rtstep::thermal

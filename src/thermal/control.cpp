// PID and bang-bang control (see control.hpp).

#include "thermal/control.hpp"

#include <algorithm>
#include <cmath>

namespace rtstep::thermal {

PidControl::PidControl(PidGains gains, double max_power, double smooth_time)
    : kp_(gains.kp / kPidParamBase),
      ki_(gains.ki / kPidParamBase),
      kd_(gains.kd / kPidParamBase),
      max_power_(max_power),
      min_deriv_time_(smooth_time) {
  if (ki_ != 0) integ_max_ = max_power_ / ki_;
}

double PidControl::update(double time, double temp, double& target) {
  const double dt = time - prev_time_;
  const double dtemp = temp - prev_temp_;
  // Readings come every 0.3 s, closer than smooth_time: blend the new difference into the old slope so
  // the derivative spans at least smooth_time and sensor noise does not reach the output undamped.
  const double deriv =
      dt >= min_deriv_time_ ? dtemp / dt : (prev_deriv_ * (min_deriv_time_ - dt) + dtemp) / min_deriv_time_;
  const double err = target - temp;
  const double integ = std::clamp(prev_integ_ + err * dt, 0.0, integ_max_);
  const double co = kp_ * err + ki_ * integ - kd_ * deriv;
  const double bounded = std::clamp(co, 0.0, max_power_);
  prev_temp_ = temp;
  prev_time_ = time;
  prev_deriv_ = deriv;
  if (co == bounded) prev_integ_ = integ;  // saturated: keep the old integral (anti-windup)
  return bounded;
}

bool PidControl::busy(double smoothed_temp, double target) const {
  return std::fabs(target - smoothed_temp) > kPidSettleDelta || std::fabs(prev_deriv_) > kPidSettleSlope;
}

double BangBangControl::update(double /*time*/, double temp, double& target) {
  if (heating_ && temp >= target + max_delta_) {
    heating_ = false;
  } else if (!heating_ && temp <= target - max_delta_) {
    heating_ = true;
  }
  return heating_ ? max_power_ : 0.0;
}

}  // namespace rtstep::thermal

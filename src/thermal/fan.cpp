// Fan logic (see fan.hpp).

#include "thermal/fan.hpp"

#include <algorithm>

namespace rtstep::thermal {

std::optional<double> Fan::set_speed(double time, double speed) {
  if (shut_down_) return std::nullopt;
  double value = speed < config_.off_below ? 0.0 : speed;
  value = std::clamp(value * config_.max_power, 0.0, config_.max_power);
  if (value == last_value_ && !kick_end_) return std::nullopt;
  if (kick_end_ && value == last_req_) return std::nullopt;  // the same request again: let the kick finish
  const bool kick = value > 0 && config_.kick_start_time > 0 && (last_value_ == 0 || value - last_value_ > 0.5);
  last_req_ = value;
  if (kick) {
    // Spin it up at full power first: a fan started at a low duty may never turn.
    kick_end_ = time + config_.kick_start_time;
    last_value_ = config_.max_power;
    return last_value_;
  }
  kick_end_.reset();
  last_value_ = value;
  return value;
}

std::optional<double> Fan::update(double time) {
  if (!kick_end_ || time < *kick_end_ || shut_down_) return std::nullopt;
  kick_end_.reset();
  if (last_value_ == last_req_) return std::nullopt;
  last_value_ = last_req_;
  return last_value_;
}

double Fan::shutdown() {
  shut_down_ = true;
  kick_end_.reset();
  last_value_ = std::clamp(config_.shutdown_speed, 0.0, config_.max_power);
  return last_value_;
}

double Fan::policy_speed(bool heater_on, bool heater_hot, bool steppers_enabled) {
  switch (config_.kind) {
    case FanKind::heater_fan:
      return heater_on || heater_hot ? config_.fan_speed : 0.0;
    case FanKind::controller_fan:
      if (steppers_enabled || heater_on) {
        idle_left_ = config_.idle_timeout;
        return config_.fan_speed;
      }
      // Off at boot; idle_speed for idle_timeout checks after the last activity.
      if (idle_left_ > 0) {
        --idle_left_;
        return config_.idle_speed;
      }
      return 0.0;
    default:
      return requested();
  }
}

}  // namespace rtstep::thermal

// Thermal runaway check (see verify_heater.hpp).

#include "thermal/verify_heater.hpp"

#include <algorithm>

namespace rtstep::thermal {

std::optional<std::string> HeaterCheck::check(double time, double temp, double target) {
  const double h = config_.hysteresis;
  if (temp >= target - h || target <= 0) {
    // Near (or above) the target, or off: nothing to verify.
    approaching_ = starting_ = false;
    if (temp <= target + h) error_ = 0;
    last_target_ = target;
    return std::nullopt;
  }
  error_ += (target - h) - temp;
  if (!approaching_) {
    if (target != last_target_) {
      // New target: start expecting heating_gain within check_gain_time.
      approaching_ = starting_ = true;
      goal_temp_ = temp + config_.heating_gain;
      goal_time_ = time + config_.check_gain_time;
    } else if (error_ >= config_.max_error) {
      return "Heater " + name_ + " not heating at expected rate";
    }
  } else if (temp >= goal_temp_) {
    // Gained enough: next goal.
    starting_ = false;
    error_ = 0;
    goal_temp_ = temp + config_.heating_gain;
    goal_time_ = time + config_.check_gain_time;
  } else if (time >= goal_time_) {
    approaching_ = false;  // stopped gaining: the error now counts
  } else if (starting_) {
    // Heat-up may start with the temperature still dipping: measure the gain from the lowest point.
    goal_temp_ = std::min(goal_temp_, temp + config_.heating_gain);
  }
  last_target_ = target;
  return std::nullopt;
}

}  // namespace rtstep::thermal

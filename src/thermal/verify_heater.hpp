#pragma once
// Thermal runaway check, as Klipper's verify_heater.py, run once a second per heater:
//   - within hysteresis below the target (or no target): all good; the error resets once the temperature
//     is also no more than hysteresis above the target;
//   - below target - hysteresis: error += (target - hysteresis) - temp each check. On a new target the
//     heater is "approaching": it must gain heating_gain C within check_gain_time s, again and again, each
//     gain resetting the error; missing a deadline ends the approach. Outside an approach an error above
//     max_error is a fault: "Heater <name> not heating at expected rate".
// Klipper has no separate "not heating" message: a heater that never warms is caught by the same rule
// once its first gain deadline has passed. Owner thread; non-real-time.

#include <optional>
#include <string>
#include <utility>

namespace rtstep::thermal {

struct VerifyHeaterConfig {
  double hysteresis = 5.0;        // C
  double max_error = 120.0;       // C*checks
  double heating_gain = 2.0;      // C
  double check_gain_time = 20.0;  // s; Klipper's default is 60 for heater_bed (load_thermal applies it)
};

inline constexpr double kVerifyPeriod = 1.0;  // s between checks
inline constexpr const char* kHintThermal =
    "\nSee the 'verify_heater' section in docs/Config_Reference.md\n"
    "for the parameters that control this check.\n";

class HeaterCheck {
 public:
  HeaterCheck(std::string heater_name, VerifyHeaterConfig config) : name_(std::move(heater_name)), config_(config) {}
  // One check at `time` s with the heater's reported temperature and target. Returns the fault message
  // ("Heater extruder not heating at expected rate") once, when it trips.
  std::optional<std::string> check(double time, double temp, double target);
  double error() const noexcept { return error_; }
  bool approaching() const noexcept { return approaching_; }

 private:
  std::string name_;
  VerifyHeaterConfig config_;
  bool approaching_ = false, starting_ = false;
  double last_target_ = 0, goal_temp_ = 0, goal_time_ = 0, error_ = 0;
};

}  // namespace rtstep::thermal

// One heater (see heater.hpp).

#include "thermal/heater.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rtstep::thermal {

std::unique_ptr<Control> make_control(const HeaterConfig& config) {
  if (config.control == ControlKind::watermark) {
    return std::make_unique<BangBangControl>(config.max_delta, config.max_power);
  }
  return std::make_unique<PidControl>(config.pid, config.max_power, config.smooth_time);
}

Heater::Heater(const HeaterConfig& config)
    : config_(config),
      min_adc_(config.min_temp),
      max_adc_(config.max_temp),
      control_(make_control(config)),
      can_extrude_(config.min_extrude_temp <= 0) {
  if (config.sensor.is_adc()) {
    converter_.emplace(config.sensor.converter());
    // An NTC's ADC value falls as it heats, a PT1000's rises: order the limits.
    const double a = converter_->calc_adc(config.min_temp), b = converter_->calc_adc(config.max_temp);
    min_adc_ = std::min(a, b);
    max_adc_ = std::max(a, b);
  }
}

std::optional<double> Heater::temperature_update(double time, double value) {
  const double temp = converter_ ? converter_->calc_temp(value) : value;
  check_range(value, temp);
  // The first reading is the smoothed value itself (Klipper's first interval is the whole uptime).
  const double dt = has_reading_ ? time - last_time_ : config_.smooth_time;
  has_reading_ = true;
  last_temp_ = temp;
  last_time_ = time;
  const double pwm = control_->update(time, temp, target_);
  // Exponential smoothing with time constant smooth_time, for status and can_extrude.
  smoothed_ += (temp - smoothed_) * std::min(dt / config_.smooth_time, 1.0);
  can_extrude_ = smoothed_ >= config_.min_extrude_temp;
  return set_pwm(time, pwm);
}

void Heater::check_range(double value, double temp) {
  if (value >= min_adc_ && value <= max_adc_) {
    out_of_range_ = 0;
    return;
  }
  if (++out_of_range_ < kRangeCheckCount || fault_) return;
  char detail[160];
  std::snprintf(detail, sizeof detail, "Sensor '%s' temperature %.3f not in range %.3f:%.3f", config_.name.c_str(),
                temp, config_.min_temp, config_.max_temp);
  fault_ = std::string("ADC out of range\n") + detail;
}

std::optional<double> Heater::set_pwm(double time, double value) {
  if (target_ <= 0 || disabled_) value = 0;
  const double min_change = config_.max_power * kMinPwmChangeRatio;
  if ((time < next_pwm_time_ || last_pwm_ == 0) && std::fabs(value - last_pwm_) < min_change) {
    return std::nullopt;  // no significant change, and the executor's max_duration is not yet at risk
  }
  const double delay = config_.sensor.report_time;
  // Renew before max_duration runs out, with three report periods of margin for late readings.
  next_pwm_time_ = time + delay + config_.max_duration - (3 * delay + 0.001);
  last_pwm_ = value;
  return value;
}

Status Heater::set_target(double target) {
  if (target != 0 && (target < config_.min_temp || target > config_.max_temp)) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "Requested temperature (%.1f) out of range (%.1f:%.1f)", target, config_.min_temp,
                  config_.max_temp);
    return Error{msg};
  }
  target_ = target;
  return Ok{};
}

double Heater::temperature(double time) const noexcept {
  if (last_time_ < time - kQuellStaleTime) return 0.0;
  return smoothed_;
}

bool Heater::busy() const { return target_ != 0 && control_->busy(smoothed_, target_); }

void Heater::disable() noexcept {
  disabled_ = true;
  target_ = 0;
  last_pwm_ = 0;
}

Status Heater::start_calibration(double target) {
  if (calibrator_ != nullptr) return Error{"Heater " + config_.short_name + " is already calibrating"};
  if (target <= 0) return Error{"PID_CALIBRATE needs a TARGET above 0"};
  if (auto status = set_target(target); !status) return status;
  auto calibrator = std::make_unique<PidCalibrator>(target, config_.max_power);
  calibrator_ = calibrator.get();
  saved_control_ = std::move(control_);
  control_ = std::move(calibrator);
  return Ok{};
}

std::optional<PidGains> Heater::finish_calibration() {
  if (calibrator_ == nullptr || !calibrator_->done()) return std::nullopt;
  const PidGains gains = calibrator_->final_gains();
  cancel_calibration();
  return gains;
}

void Heater::cancel_calibration() {
  if (calibrator_ == nullptr) return;
  control_ = std::move(saved_control_);
  calibrator_ = nullptr;
  target_ = 0;
}

}  // namespace rtstep::thermal

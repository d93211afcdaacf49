// sysfs hardware PWM (see sysfs_pwm.hpp).

#include "thermal/sysfs_pwm.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

namespace rtstep::thermal {

std::optional<PwmChannel> parse_pwm_pin(const std::string& pin) {
  static const std::regex re("pwmchip([0-9]{1,3})/pwm([0-9]{1,3})");
  std::smatch m;
  if (!std::regex_match(pin, m, re)) return std::nullopt;
  return PwmChannel{std::stoi(m[1]), std::stoi(m[2])};
}

Result<SysfsPwm> SysfsPwm::open(const std::string& root, const std::string& pin, int64_t period_ns) {
  const std::string what = "PWM pin " + pin;
  const auto ch = parse_pwm_pin(pin);
  if (!ch) return Error{what + ": not a sysfs PWM pin (expected pwmchipN/pwmM)"};
  if (period_ns <= 0) return Error{what + ": period must be > 0 ns"};
  const std::string chip = root + "/sys/class/pwm/pwmchip" + std::to_string(ch->chip);
  if (!sysfs::is_dir(chip)) {
    return Error{what + ": no PWM chip at " + chip +
                 " (enable the PWM overlay, e.g. dtoverlay=pwm-2chan in config.txt, and reboot)"};
  }
  SysfsPwm pwm;
  pwm.what_ = what;
  pwm.period_ns_ = period_ns;
  pwm.dir_ = chip + "/pwm" + std::to_string(ch->channel);
  if (!sysfs::is_dir(pwm.dir_)) {
    auto exported = sysfs::write_file(what, chip + "/export", std::to_string(ch->channel));
    if (!exported) return exported.error();
    if (!sysfs::is_dir(pwm.dir_)) {
      return Error{what + ": " + pwm.dir_ + " is missing after writing " + std::to_string(ch->channel) + " to " + chip +
                   "/export (does the chip have that many channels? see its npwm)"};
    }
  }
  auto duty = sysfs::open_write(what, pwm.dir_ + "/duty_cycle");
  if (!duty) return duty.error();
  pwm.duty_ = std::move(duty).value();
  // Duty first: the kernel refuses a period shorter than the current duty.
  if (auto s = sysfs::write_all(what, pwm.dir_ + "/duty_cycle", pwm.duty_, "0"); !s) return s.error();
  if (auto s = sysfs::write_file(what, pwm.dir_ + "/period", std::to_string(period_ns)); !s) return s.error();
  if (auto s = sysfs::write_file(what, pwm.dir_ + "/enable", "1"); !s) return s.error();
  return pwm;
}

Status SysfsPwm::set(double duty) {
  const double d = std::clamp(duty, 0.0, 1.0);
  const auto ns = static_cast<int64_t>(std::llround(d * static_cast<double>(period_ns_)));
  return sysfs::write_all(what_, dir_ + "/duty_cycle", duty_, std::to_string(ns));
}

SysfsPwm::~SysfsPwm() {
  if (!duty_.is_open()) return;  // moved from
  (void)set(0.0);
  (void)sysfs::write_file(what_, dir_ + "/enable", "0");
}

}  // namespace rtstep::thermal

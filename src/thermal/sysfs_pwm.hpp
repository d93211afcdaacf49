#pragma once
// Linux hardware PWM through sysfs: <root>/sys/class/pwm/pwmchipN/pwmM/{period,duty_cycle,enable} (ns).
// Pin names "pwmchipN/pwmM" (Klipper's Linux MCU spelling). open() exports the channel through
// pwmchipN/export when pwmM does not exist yet, sets duty 0, the period, and enables it; set() writes the
// duty as a fraction of the period; the destructor writes duty 0 and disables the channel, so an output
// never stays on after its owner is gone (a crashed process leaves the pin as it was: heaters on hardware
// PWM get no max_duration; prefer soft PWM for heaters).
// `root` is "" on a machine and a fixture tree in tests. Owner thread; non-real-time (writes files).

#include <cstdint>
#include <optional>
#include <string>

#include "thermal/sysfs_file.hpp"
#include "util/result.hpp"

namespace rtstep::thermal {

struct PwmChannel {
  int chip = 0;
  int channel = 0;
};

// nullopt: not a sysfs PWM pin name.
std::optional<PwmChannel> parse_pwm_pin(const std::string& pin);

class SysfsPwm {
 public:
  // Errors name the pin and the path: no such chip (overlay not loaded), export failed, a file that cannot
  // be written (permission).
  static Result<SysfsPwm> open(const std::string& root, const std::string& pin, int64_t period_ns);
  SysfsPwm(SysfsPwm&&) noexcept = default;
  SysfsPwm& operator=(SysfsPwm&&) noexcept = default;
  ~SysfsPwm();
  // Duty 0..1 of the period.
  Status set(double duty);
  int64_t period_ns() const noexcept { return period_ns_; }
  const std::string& channel_dir() const noexcept { return dir_; }

 private:
  SysfsPwm() = default;
  std::string what_, dir_;
  sysfs::File duty_;
  int64_t period_ns_ = 0;
};

}  // namespace rtstep::thermal

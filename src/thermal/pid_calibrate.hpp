#pragma once
// PID calibration by the relay method, as Klipper's PID_CALIBRATE: the heater runs at max_power until the
// temperature reaches TARGET, then off until it falls to TARGET - 5 C, and so on. Each switch records the
// extreme temperature since the previous one (a peak). From the peaks: the oscillation amplitude a (half
// the last peak-to-peak swing) and the period Tu (time between peaks two apart) give the ultimate gain
// Ku = 4 max_power / (pi a) (Astrom-Hagglund), and Ziegler-Nichols turns them into Kp = 0.6 Ku * 255,
// Ki = Kp / (Tu / 2), Kd = Kp * Tu / 8. The final gains come from the cycle of median period among the
// peaks from the fifth on. Calibration ends when the heater is off and 12 peaks are recorded.
// Installed in a heater in place of its control (Heater::start_calibration); owner thread; non-real-time.

#include <string>
#include <utility>
#include <vector>

#include "thermal/control.hpp"

namespace rtstep::thermal {

inline constexpr double kTunePidDelta = 5.0;  // C below TARGET where heating resumes
inline constexpr size_t kTunePeaks = 12;

class PidCalibrator final : public Control {
 public:
  PidCalibrator(double target, double max_power) : calibrate_temp_(target), max_power_(max_power) {}
  double update(double time, double temp, double& target) override;
  // Busy until done(): a wait on the heater covers the whole calibration.
  bool busy(double smoothed_temp, double target) const override;
  bool done() const noexcept { return !heating_ && peaks_.size() >= kTunePeaks; }
  // Valid once done().
  PidGains final_gains() const;
  // Klipper's report: "PID parameters: pid_Kp=22.200 pid_Ki=1.080 pid_Kd=114.000" and the SAVE_CONFIG hint.
  static std::string describe(const PidGains& gains);
  const std::vector<std::pair<double, double>>& peaks() const noexcept { return peaks_; }  // (C, s)

 private:
  void record_peak();
  PidGains gains_at(size_t pos) const;
  double calibrate_temp_, max_power_;
  bool heating_ = false;
  double peak_ = 0, peak_time_ = 0;
  std::vector<std::pair<double, double>> peaks_;
};

}  // namespace rtstep::thermal

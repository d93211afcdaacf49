// Relay-method PID calibration (see pid_calibrate.hpp).

#include "thermal/pid_calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace rtstep::thermal {

double PidCalibrator::update(double time, double temp, double& target) {
  // Relay: switch when the temperature crosses the current threshold, which moves with each switch.
  if (heating_ && temp >= target) {
    heating_ = false;
    record_peak();
    target = calibrate_temp_ - kTunePidDelta;
  } else if (!heating_ && temp <= target) {
    heating_ = true;
    record_peak();
    target = calibrate_temp_;
  }
  // Track the extreme since the last switch: the low while heating (it still falls for a while), the high
  // while off (it still rises: the heat in the block reaches the sensor late).
  if (heating_ ? temp < peak_ : temp > peak_) {
    peak_ = temp;
    peak_time_ = time;
  }
  return heating_ ? max_power_ : 0.0;
}

bool PidCalibrator::busy(double /*smoothed_temp*/, double /*target*/) const { return !done(); }

void PidCalibrator::record_peak() {
  peaks_.emplace_back(peak_, peak_time_);
  peak_ = heating_ ? 1e300 : -1e300;
}

PidGains PidCalibrator::gains_at(size_t pos) const {
  const double swing = peaks_[pos].first - peaks_[pos - 1].first;
  const double period = peaks_[pos].second - peaks_[pos - 2].second;
  const double amplitude = 0.5 * std::fabs(swing);
  const double ku = 4 * max_power_ / (std::numbers::pi * amplitude);
  PidGains g;
  g.kp = 0.6 * ku * kPidParamBase;
  g.ki = g.kp / (0.5 * period);
  g.kd = g.kp * 0.125 * period;
  return g;
}

PidGains PidCalibrator::final_gains() const {
  // The first peaks include the heat-up from cold; use the cycle of median period among the later ones.
  std::vector<std::pair<double, size_t>> cycles;
  for (size_t pos = 4; pos < peaks_.size(); ++pos)
    cycles.emplace_back(peaks_[pos].second - peaks_[pos - 2].second, pos);
  if (cycles.empty()) return {};
  std::sort(cycles.begin(), cycles.end());
  return gains_at(cycles[cycles.size() / 2].second);
}

std::string PidCalibrator::describe(const PidGains& g) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "PID parameters: pid_Kp=%.3f pid_Ki=%.3f pid_Kd=%.3f\n"
                "The SAVE_CONFIG command will update the printer config file\n"
                "with these parameters and restart the printer.",
                g.kp, g.ki, g.kd);
  return buf;
}

}  // namespace rtstep::thermal

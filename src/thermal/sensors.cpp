// Thermistor and PT1000 conversions (see sensors.hpp).

#include "thermal/sensors.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace rtstep::thermal {

namespace {

// Published points (Klipper's temperature_sensors.cfg, which cites each maker's R-T table).
const std::map<std::string, ThermistorParams>& builtins() {
  static const std::map<std::string, ThermistorParams> table = {
      {"ATC Semitec 104GT-2", {20, 126800, 150, 1360, 300, 80.65, std::nullopt}},
      {"ATC Semitec 104NT-4-R025H42G", {25, 100000, 160, 1074, 300, 82.78, std::nullopt}},
      {"EPCOS 100K B57560G104F", {25, 100000, 150, 1641.9, 250, 226.15, std::nullopt}},
      {"Generic 3950", {25, 100000, 150, 1770, 250, 230, std::nullopt}},
      {"SliceEngineering 450", {25, 500000, 200, 3734, 400, 240, std::nullopt}},
      {"TDK NTCG104LH104JT1", {25, 100000, 50, 31230, 125, 2066, std::nullopt}},
      {"Honeywell 100K 135-104LAG-J01", {25, 100000, 0, 0, 0, 0, 3974.0}},
      {"NTC 100K MGB18-104F39050L32", {25, 100000, 0, 0, 0, 0, 4100.0}},
  };
  return table;
}

double clamp_adc(double adc) { return std::clamp(adc, kAdcClampLo, kAdcClampHi); }

}  // namespace

const ThermistorParams* builtin_thermistor(const std::string& sensor_type) {
  const auto it = builtins().find(sensor_type);
  return it == builtins().end() ? nullptr : &it->second;
}

std::vector<std::string> builtin_sensor_types() {
  std::vector<std::string> out;
  for (const auto& entry : builtins()) out.push_back(entry.first);
  out.push_back("PT1000");
  out.push_back("temperature_host");
  return out;
}

Thermistor::Thermistor(const ThermistorParams& p, double pullup, double inline_resistor)
    : pullup_(pullup), inline_(inline_resistor) {
  if (p.beta) {
    fit_beta(p.t1, p.r1, *p.beta);
    return;
  }
  // Three equations 1/T_i = c1 + c2 L_i + c3 L_i^3; subtract the first from the others to drop c1, then
  // eliminate c2 between the two differences.
  const double it1 = 1 / (p.t1 + kKelvinOffset), it2 = 1 / (p.t2 + kKelvinOffset), it3 = 1 / (p.t3 + kKelvinOffset);
  const double l1 = std::log(p.r1), l2 = std::log(p.r2), l3 = std::log(p.r3);
  const double dt12 = it1 - it2, dt13 = it1 - it3;
  const double dl12 = l1 - l2, dl13 = l1 - l3;
  const double dc12 = l1 * l1 * l1 - l2 * l2 * l2, dc13 = l1 * l1 * l1 - l3 * l3 * l3;
  c3_ = (dt12 - dt13 * dl12 / dl13) / (dc12 - dc13 * dl12 / dl13);
  if (c3_ <= 0) {
    // A negative cubic term would make the curve non-monotonic; Klipper uses beta through points 1 and 3.
    fit_beta(p.t1, p.r1, dl13 / dt13);
    return;
  }
  c2_ = (dt12 - c3_ * dc12) / dl12;
  c1_ = it1 - c2_ * l1 - c3_ * l1 * l1 * l1;
}

void Thermistor::fit_beta(double t1, double r1, double beta) {
  c3_ = 0;
  c2_ = 1 / beta;
  c1_ = 1 / (t1 + kKelvinOffset) - c2_ * std::log(r1);
}

double Thermistor::calc_temp(double adc) const {
  const double a = clamp_adc(adc);
  const double r = pullup_ * a / (1 - a);
  // A reading below the inline resistor means a short; keep the log finite (a very hot reading).
  const double ln_r = std::log(std::max(r - inline_, 1e-9));
  const double inv_t = c1_ + c2_ * ln_r + c3_ * ln_r * ln_r * ln_r;
  return 1 / inv_t - kKelvinOffset;
}

double Thermistor::calc_adc(double temp) const {
  if (temp <= -kKelvinOffset) return 1.0;
  const double inv_t = 1 / (temp + kKelvinOffset);
  double ln_r = 0;
  if (c3_ != 0) {
    // Depressed cubic c3 L^3 + c2 L + (c1 - 1/T) = 0, one real root (c2, c3 > 0): Cardano.
    const double y = (c1_ - inv_t) / (2 * c3_);
    const double x = std::sqrt(std::pow(c2_ / (3 * c3_), 3) + y * y);
    ln_r = std::cbrt(x - y) - std::cbrt(x + y);
  } else {
    ln_r = (inv_t - c1_) / c2_;
  }
  const double r = std::exp(ln_r) + inline_;
  return r / (pullup_ + r);
}

std::vector<std::pair<double, double>> LinearResistance::pt1000_table() {
  constexpr double kA = 3.9083e-3, kB = -5.775e-7, kBase = 1000.0;
  std::vector<std::pair<double, double>> out;
  for (int t = 0; t < 500; t += 10) out.emplace_back(t, kBase * (1 + kA * t + kB * t * t));
  return out;
}

LinearResistance::LinearResistance(std::vector<std::pair<double, double>> temp_ohms, double pullup) : pullup_(pullup) {
  for (const auto& [t, r] : temp_ohms) rt_.emplace_back(r, t);
  std::sort(rt_.begin(), rt_.end());
}

double LinearResistance::interpolate(double ohms) const {
  // Segment whose upper end is the first point above `ohms`; the end segments extend past the table.
  auto hi = std::upper_bound(rt_.begin(), rt_.end(), std::make_pair(ohms, 1e300));
  if (hi == rt_.begin()) ++hi;
  if (hi == rt_.end()) --hi;
  const auto lo = hi - 1;
  return lo->second + (ohms - lo->first) * (hi->second - lo->second) / (hi->first - lo->first);
}

double LinearResistance::reverse(double temp) const {
  // Temperatures rise with resistance in the table, so the same search works on the second member.
  size_t i = 1;
  while (i + 1 < rt_.size() && rt_[i].second < temp) ++i;
  const auto& lo = rt_[i - 1];
  const auto& hi = rt_[i];
  return lo.first + (temp - lo.second) * (hi.first - lo.first) / (hi.second - lo.second);
}

double LinearResistance::calc_temp(double adc) const {
  const double a = clamp_adc(adc);
  return interpolate(pullup_ * a / (1 - a));
}

double LinearResistance::calc_adc(double temp) const {
  const double r = reverse(temp);
  return r / (pullup_ + r);
}

}  // namespace rtstep::thermal

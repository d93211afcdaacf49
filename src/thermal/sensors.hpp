#pragma once
// Sensor conversions: ADC fraction (0..1 of the reference, as Klipper normalises every ADC) <-> degrees
// Celsius, for thermistors on a pull-up divider and PT1000 probes on a pull-up divider.
//
// Thermistors follow Klipper's thermistor.py: Steinhart-Hart 1/T = c1 + c2 ln R + c3 ln^3 R fitted to three
// (temperature, resistance) points, falling back to the beta equation when the fit gives c3 <= 0; the
// divider is R = pullup * adc / (1 - adc), minus an optional inline resistor; adc is clamped to
// [0.00001, 0.99999] before conversion. PT1000 is Klipper's table: Callendar-Van Dusen resistances at 0, 10,
// ..., 490 C (A = 3.9083e-3, B = -5.775e-7), linearly interpolated on resistance.
// The built-in sensor_type names and their published points are Klipper's temperature_sensors.cfg.
// Pure functions and immutable values: any thread, non-real-time (they may allocate at construction).

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace rtstep::thermal {

inline constexpr double kKelvinOffset = 273.15;  // 0 C in kelvin
inline constexpr double kAdcClampLo = 0.00001;   // Klipper's clamp of the ADC fraction before conversion
inline constexpr double kAdcClampHi = 0.99999;

// A thermistor's definition: three points, or one point and beta (then t2..r3 are unused).
struct ThermistorParams {
  double t1 = 25, r1 = 100000;  // C, ohm
  double t2 = 0, r2 = 0, t3 = 0, r3 = 0;
  std::optional<double> beta;  // set: beta equation through (t1, r1)
};

// Klipper's built-in thermistors by sensor_type name (exact spelling, case-sensitive as in Klipper), or
// nullptr. "PT1000" is not a thermistor (see LinearResistance).
const ThermistorParams* builtin_thermistor(const std::string& sensor_type);
// Every built-in name, thermistors and PT1000, for "unknown sensor_type" messages.
std::vector<std::string> builtin_sensor_types();

class Thermistor {
 public:
  Thermistor(const ThermistorParams& params, double pullup, double inline_resistor);
  // ADC fraction -> C.
  double calc_temp(double adc) const;
  // C -> ADC fraction (exact inverse of calc_temp on the unclamped range; 1 at or below absolute zero).
  double calc_adc(double temp) const;
  double c1() const noexcept { return c1_; }
  double c2() const noexcept { return c2_; }
  double c3() const noexcept { return c3_; }
  bool uses_beta() const noexcept { return c3_ == 0.0; }

 private:
  void fit_beta(double t1, double r1, double beta);
  double pullup_, inline_;
  double c1_ = 0, c2_ = 0, c3_ = 0;
};

// Resistance probe by a table of (C, ohm), on a pull-up divider (Klipper's LinearResistance).
class LinearResistance {
 public:
  LinearResistance(std::vector<std::pair<double, double>> temp_ohms, double pullup);
  double calc_temp(double adc) const;
  double calc_adc(double temp) const;
  static std::vector<std::pair<double, double>> pt1000_table();

 private:
  double interpolate(double ohms) const;       // R -> C (extrapolates past the ends)
  double reverse(double temp) const;           // C -> R
  std::vector<std::pair<double, double>> rt_;  // (ohm, C) sorted by ohm
  double pullup_;
};

// Whatever converts a sensor's ADC fraction, chosen at configure time.
class AdcConverter {
 public:
  explicit AdcConverter(Thermistor t) : impl_(std::move(t)) {}
  explicit AdcConverter(LinearResistance r) : impl_(std::move(r)) {}
  double calc_temp(double adc) const {
    return std::visit([adc](const auto& c) { return c.calc_temp(adc); }, impl_);
  }
  double calc_adc(double temp) const {
    return std::visit([temp](const auto& c) { return c.calc_adc(temp); }, impl_);
  }

 private:
  std::variant<Thermistor, LinearResistance> impl_;
};

}  // namespace rtstep::thermal

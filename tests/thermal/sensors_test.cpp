// Every sensor type against Klipper's published coefficients: the expected resistance at 25, 100, 200 and
// 250 C comes from this file's own Steinhart-Hart solve (Gaussian elimination on the three published
// points, bisection for the resistance), independent of sensors.cpp's elimination and Cardano inverse; the
// reading then goes through the divider (pull-up 4700 ohm) to an ADC fraction and back through calc_temp.

#include "thermal/sensors.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace rtstep::thermal {
namespace {

constexpr double kK = 273.15;
constexpr double kPullup = 4700;

struct Coeffs {
  double c1, c2, c3;
};

// Solves [1 L L^3] c = 1/T for the three points by Gaussian elimination with partial pivoting.
Coeffs solve_sh(const ThermistorParams& p) {
  if (p.beta) return {1 / (p.t1 + kK) - std::log(p.r1) / *p.beta, 1 / *p.beta, 0};
  double m[3][4];
  const double t[3] = {p.t1, p.t2, p.t3}, r[3] = {p.r1, p.r2, p.r3};
  for (int i = 0; i < 3; ++i) {
    const double l = std::log(r[i]);
    m[i][0] = 1, m[i][1] = l, m[i][2] = l * l * l, m[i][3] = 1 / (t[i] + kK);
  }
  for (int col = 0; col < 3; ++col) {
    int piv = col;
    for (int i = col + 1; i < 3; ++i) {
      if (std::fabs(m[i][col]) > std::fabs(m[piv][col])) piv = i;
    }
    std::swap(m[col], m[piv]);
    for (int i = 0; i < 3; ++i) {
      if (i == col) continue;
      const double f = m[i][col] / m[col][col];
      for (int k = 0; k < 4; ++k) m[i][k] -= f * m[col][k];
    }
  }
  Coeffs c{m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]};
  if (c.c3 <= 0) {
    // Klipper's fallback: beta through the first and last points.
    const double beta = (std::log(p.r1) - std::log(p.r3)) / (1 / (p.t1 + kK) - 1 / (p.t3 + kK));
    c = {1 / (p.t1 + kK) - std::log(p.r1) / beta, 1 / beta, 0};
  }
  return c;
}

// Resistance at `temp` by bisection on ln R (1/T falls monotonically as R falls).
double resistance_at(const Coeffs& c, double temp) {
  const double want = 1 / (temp + kK);
  double lo = std::log(1e-3), hi = std::log(1e9);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double inv_t = c.c1 + c.c2 * mid + c.c3 * mid * mid * mid;
    (inv_t > want ? hi : lo) = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

double divider(double r, double pullup = kPullup) { return r / (r + pullup); }

// The published points, written here independently of sensors.cpp (Klipper's temperature_sensors.cfg,
// which cites each maker's R-T table), so a typo in either place fails the test.
struct Published {
  const char* name;
  ThermistorParams params;
};
const Published kPublished[] = {
    {"EPCOS 100K B57560G104F", {25, 100000, 150, 1641.9, 250, 226.15, std::nullopt}},
    {"ATC Semitec 104GT-2", {20, 126800, 150, 1360, 300, 80.65, std::nullopt}},
    {"ATC Semitec 104NT-4-R025H42G", {25, 100000, 160, 1074, 300, 82.78, std::nullopt}},
    {"Generic 3950", {25, 100000, 150, 1770, 250, 230, std::nullopt}},
    {"Honeywell 100K 135-104LAG-J01", {25, 100000, 0, 0, 0, 0, 3974.0}},
    {"NTC 100K MGB18-104F39050L32", {25, 100000, 0, 0, 0, 0, 4100.0}},
    {"SliceEngineering 450", {25, 500000, 200, 3734, 400, 240, std::nullopt}},
    {"TDK NTCG104LH104JT1", {25, 100000, 50, 31230, 125, 2066, std::nullopt}},
};
const char* const kThermistors[] = {"EPCOS 100K B57560G104F",        "ATC Semitec 104GT-2",
                                    "ATC Semitec 104NT-4-R025H42G",  "Generic 3950",
                                    "Honeywell 100K 135-104LAG-J01", "NTC 100K MGB18-104F39050L32",
                                    "SliceEngineering 450",          "TDK NTCG104LH104JT1"};

const ThermistorParams& published(const std::string& name) {
  for (const Published& p : kPublished) {
    if (name == p.name) return p.params;
  }
  throw std::runtime_error("no published points for " + name);
}

class ThermistorTypes : public ::testing::TestWithParam<const char*> {};

TEST_P(ThermistorTypes, ReadsKlipperCoefficientsAt25To250C) {
  const ThermistorParams* p = builtin_thermistor(GetParam());
  ASSERT_NE(p, nullptr);
  const Coeffs c = solve_sh(published(GetParam()));
  const Thermistor t(*p, kPullup, 0);
  EXPECT_NEAR(t.c1(), c.c1, std::fabs(c.c1) * 1e-9);
  EXPECT_NEAR(t.c2(), c.c2, std::fabs(c.c2) * 1e-9);
  EXPECT_NEAR(t.c3(), c.c3, std::fabs(c.c3) * 1e-6 + 1e-15);
  for (double temp : {25.0, 100.0, 200.0, 250.0}) {
    const double adc = divider(resistance_at(c, temp));
    EXPECT_NEAR(t.calc_temp(adc), temp, 0.1) << GetParam() << " at " << temp;
    // Round trip through the limit computation (calc_adc, Klipper's Cardano inverse).
    EXPECT_NEAR(t.calc_adc(temp), adc, 1e-9) << GetParam() << " at " << temp;
  }
}

TEST_P(ThermistorTypes, PublishedPointsReadBackWithinATenthOfADegree) {
  const Thermistor t(*builtin_thermistor(GetParam()), kPullup, 0);
  const ThermistorParams* p = &published(GetParam());
  EXPECT_NEAR(t.calc_temp(divider(p->r1)), p->t1, 0.1);
  if (!p->beta && !t.uses_beta()) {
    EXPECT_NEAR(t.calc_temp(divider(p->r2)), p->t2, 0.1);
    EXPECT_NEAR(t.calc_temp(divider(p->r3)), p->t3, 0.1);
  }
}

INSTANTIATE_TEST_SUITE_P(Klipper, ThermistorTypes, ::testing::ValuesIn(kThermistors));

TEST(Thermistor, BetaModelMatchesTheBetaEquation) {
  // Honeywell 100K: beta 3974 through 100 kOhm at 25 C. R(T) = R25 exp(beta (1/T - 1/T25)).
  const Thermistor t(*builtin_thermistor("Honeywell 100K 135-104LAG-J01"), kPullup, 0);
  EXPECT_TRUE(t.uses_beta());
  const double r200 = 100000 * std::exp(3974 * (1 / (200 + kK) - 1 / (25 + kK)));
  EXPECT_NEAR(t.calc_temp(divider(r200)), 200, 0.01);
}

TEST(Thermistor, InlineResistorIsSubtracted) {
  const ThermistorParams& p = *builtin_thermistor("Generic 3950");
  const Thermistor with(p, kPullup, 100);
  const double r = resistance_at(solve_sh(p), 210);
  EXPECT_NEAR(with.calc_temp(divider(r + 100)), 210, 0.1);
  EXPECT_NEAR(with.calc_adc(210), divider(r + 100), 1e-9);
  // Without the correction the extra 100 ohm reads as a colder thermistor, by several degrees at 210 C.
  EXPECT_LT(Thermistor(p, kPullup, 0).calc_temp(divider(r + 100)), 205);
}

TEST(Thermistor, OtherPullupResistor) {
  const ThermistorParams& p = *builtin_thermistor("EPCOS 100K B57560G104F");
  const Thermistor t(p, 1000, 0);
  EXPECT_NEAR(t.calc_temp(divider(resistance_at(solve_sh(p), 240), 1000)), 240, 0.1);
}

TEST(Thermistor, ClampsTheAdcLikeKlipper) {
  const Thermistor t(*builtin_thermistor("EPCOS 100K B57560G104F"), kPullup, 0);
  EXPECT_DOUBLE_EQ(t.calc_temp(1.0), t.calc_temp(kAdcClampHi));
  EXPECT_DOUBLE_EQ(t.calc_temp(0.0), t.calc_temp(kAdcClampLo));
  EXPECT_LT(t.calc_temp(1.0), -20);  // open sensor: very cold
  EXPECT_GT(t.calc_temp(0.0), 400);  // shorted sensor: very hot
  EXPECT_EQ(t.calc_adc(-300), 1.0);
}

TEST(Thermistor, NegativeCubicTermFallsBackToBeta) {
  // Three points on an exact beta curve plus a bump in the middle point give c3 < 0.
  ThermistorParams p{25, 100000, 150, 1500, 250, 230, std::nullopt};
  const Thermistor t(p, kPullup, 0);
  EXPECT_TRUE(t.uses_beta());
  EXPECT_NEAR(t.calc_temp(divider(230)), 250, 0.01);
  EXPECT_NEAR(t.calc_temp(divider(100000)), 25, 0.01);
}

TEST(Pt1000, CallendarVanDusenAt25To250C) {
  const LinearResistance pt(LinearResistance::pt1000_table(), kPullup);
  for (double temp : {25.0, 100.0, 200.0, 250.0}) {
    const double r = 1000 * (1 + 3.9083e-3 * temp - 5.775e-7 * temp * temp);
    EXPECT_NEAR(pt.calc_temp(divider(r)), temp, 0.1) << temp;
    EXPECT_NEAR(pt.calc_adc(temp), divider(r), 1e-4) << temp;
  }
  // 0 C is 1000 ohm exactly; the table rises with temperature.
  EXPECT_NEAR(pt.calc_temp(divider(1000)), 0, 1e-9);
  EXPECT_GT(pt.calc_adc(200), pt.calc_adc(100));
}

TEST(SensorTypes, ListsEveryBuiltinName) {
  const auto names = builtin_sensor_types();
  for (const char* n : kThermistors) EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_NE(std::find(names.begin(), names.end(), "PT1000"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "temperature_host"), names.end());
  EXPECT_EQ(builtin_thermistor("EPCOS 100K"), nullptr);
}

}  // namespace
}  // namespace rtstep::thermal

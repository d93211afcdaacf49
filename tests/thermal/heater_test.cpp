// One heater: Klipper's PWM update rule (5 % change or renewal before max_duration), smoothing and the
// ADC range check, on hand-fed readings.

#include "thermal/heater.hpp"

#include <gtest/gtest.h>

#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

HeaterConfig bed() { return load_ok(kBaseConfig).heaters[1]; }  // watermark, Generic 3950, 0..130 C

TEST(Heater, ConstantOutputIsRenewedEvery2point4Seconds) {
  HeaterConfig c = bed();
  Heater h(c);
  const AdcConverter conv = c.sensor.converter();
  ASSERT_TRUE(h.set_target(60).ok());
  std::vector<double> sent;
  for (int i = 1; i <= 40; ++i) {
    const double t = 0.3 * i;
    if (auto v = h.temperature_update(t, conv.calc_adc(50))) {
      EXPECT_EQ(*v, 1.0);
      sent.push_back(t);
    }
  }
  ASSERT_GE(sent.size(), 4u);
  // next = t + pwm_delay + 3 - (3 * 0.3 + 0.001): with readings 0.3 s apart, every 8th reading.
  for (size_t i = 1; i < sent.size(); ++i) EXPECT_NEAR(sent[i] - sent[i - 1], 2.4, 1e-9);
}

TEST(Heater, SmallChangesAreNotSent) {
  HeaterConfig c = load_ok(kBaseConfig).heaters[0];  // PID
  c.pid = {255 * 0.01, 0, 0};                        // 1 % per degree
  Heater h(c);
  const AdcConverter conv = c.sensor.converter();
  ASSERT_TRUE(h.set_target(100).ok());
  EXPECT_EQ(h.temperature_update(0.3, conv.calc_adc(50)), 0.5);
  EXPECT_EQ(h.temperature_update(0.6, conv.calc_adc(52)), std::nullopt);  // 0.48: under 5 %
  auto v = h.temperature_update(0.9, conv.calc_adc(56));                  // 0.44: 6 % from 0.5
  ASSERT_TRUE(v);
  EXPECT_NEAR(*v, 0.44, 0.002);
  // Target 0: the output drops to 0 at the next reading.
  ASSERT_TRUE(h.set_target(0).ok());
  EXPECT_EQ(h.temperature_update(1.2, conv.calc_adc(56)), 0.0);
  EXPECT_EQ(h.temperature_update(1.5, conv.calc_adc(56)), std::nullopt);  // stays 0, nothing to renew
}

TEST(Heater, SmoothsOverSmoothTime) {
  HeaterConfig c = bed();
  Heater h(c);
  const AdcConverter conv = c.sensor.converter();
  h.temperature_update(0.3, conv.calc_adc(25));
  EXPECT_NEAR(h.temperature(0.3), 25, 0.01);  // the first reading seeds it
  h.temperature_update(0.6, conv.calc_adc(35));
  EXPECT_NEAR(h.temperature(0.6), 28, 0.01);  // 25 + 10 * 0.3 / 1
  EXPECT_NEAR(h.last_temp(), 35, 0.01);
  EXPECT_EQ(h.temperature(0.6 + kQuellStaleTime + 0.1), 0.0);  // stale: reported as 0
}

TEST(Heater, FourReportsOutOfRangeAreAFault) {
  HeaterConfig c = bed();
  Heater h(c);
  const AdcConverter conv = c.sensor.converter();
  for (int i = 1; i <= 3; ++i) h.temperature_update(0.3 * i, conv.calc_adc(131));
  EXPECT_FALSE(h.fault());
  h.temperature_update(1.2, conv.calc_adc(129));  // back in range: the count restarts
  for (int i = 5; i <= 7; ++i) h.temperature_update(0.3 * i, conv.calc_adc(131));
  EXPECT_FALSE(h.fault());
  h.temperature_update(2.4, conv.calc_adc(131));
  ASSERT_TRUE(h.fault());
  EXPECT_EQ(*h.fault(), "ADC out of range\nSensor 'heater_bed' temperature 131.000 not in range 0.000:130.000");
}

}  // namespace
}  // namespace rtstep::thermal::testing

// PID and watermark control laws against Klipper's rules, on hand-computed readings.

#include "thermal/control.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace rtstep::thermal {
namespace {

TEST(Pid, GainsAreInUnitsOf1Over255) {
  // Kp 255: one degree of error is full power; Ki, Kd 0. First reading at the previous temperature.
  PidControl pid({255, 0, 0}, 1.0, 1.0);
  double target = 25.5;
  EXPECT_DOUBLE_EQ(pid.update(1.0, 25.0, target), 0.5);
  target = 100;
  EXPECT_DOUBLE_EQ(pid.update(2.0, 25.0, target), 1.0);  // clamped to max_power
}

TEST(Pid, OutputIsLimitedToMaxPower) {
  PidControl pid({255, 0, 0}, 0.6, 1.0);
  double target = 200;
  EXPECT_DOUBLE_EQ(pid.update(1.0, 25.0, target), 0.6);
}

TEST(Pid, DerivativeIsOfTheMeasurementAveragedOverSmoothTime) {
  // Kd 255 only. Readings 0.3 s apart, smooth_time 1 s: deriv = (prev * 0.7 + dT) / 1.
  PidControl pid({0, 0, 255}, 1.0, 1.0);
  double target = 200;
  pid.update(1.5, 25.0, target);  // first: dt 1.5 >= 1: deriv = 0 / 1.5
  EXPECT_DOUBLE_EQ(pid.derivative(), 0.0);
  pid.update(1.8, 26.0, target);
  EXPECT_NEAR(pid.derivative(), 1.0, 1e-12);  // (0 * 0.7 + 1) / 1
  pid.update(2.1, 27.0, target);
  EXPECT_NEAR(pid.derivative(), 1.7, 1e-12);  // (1 * 0.7 + 1) / 1
  // A target change alone moves nothing in the derivative (no derivative kick).
  target = 50;
  pid.update(2.4, 27.0, target);
  EXPECT_NEAR(pid.derivative(), 1.19, 1e-12);  // (1.7 * 0.7 + 0) / 1
}

TEST(Pid, IntegralIsClampedToMaxPowerOverKi) {
  // Ki 25.5 (0.1 /C/s scaled): the integral may not exceed max_power / Ki = 0.5 / 0.1 = 5 C*s.
  PidControl pid({0, 25.5, 0}, 0.5, 1.0);
  double target = 35;
  pid.update(1.0, 25.0, target);  // err 10 over dt 1: integ 10 -> clamped 5 -> output 0.5 (not saturated)
  EXPECT_DOUBLE_EQ(pid.integral(), 5.0);
  target = 0;  // negative error: integral floors at 0
  pid.update(200.0, 25.0, target);
  EXPECT_DOUBLE_EQ(pid.integral(), 0.0);
}

TEST(Pid, IntegralIsNotStoredWhileSaturated) {
  PidControl pid({255, 25.5, 0}, 1.0, 1.0);
  double target = 100;
  pid.update(1.0, 25.0, target);  // P alone saturates
  EXPECT_DOUBLE_EQ(pid.integral(), 0.0);
  target = 25.2;  // near target: not saturated, the integral now accumulates
  pid.update(2.0, 25.0, target);
  EXPECT_NEAR(pid.integral(), 0.2, 1e-12);
}

TEST(Pid, SettledRule) {
  PidControl pid({20, 1, 100}, 1.0, 1.0);
  double target = 210;
  pid.update(10.0, 209.5, target);  // derivative (209.5-25)/10 = 18 C/s: busy
  EXPECT_TRUE(pid.busy(209.5, 210));
  for (int i = 1; i < 40; ++i) pid.update(10.0 + 0.3 * i, 209.5, target);  // steady: slope decays
  EXPECT_LT(std::fabs(pid.derivative()), kPidSettleSlope);
  EXPECT_FALSE(pid.busy(209.5, 210));  // within 1 C
  EXPECT_TRUE(pid.busy(208.9, 210));   // 1.1 C away
}

TEST(Watermark, SwitchesAtTargetPlusMinusMaxDelta) {
  BangBangControl bb(2.0, 0.8);
  double target = 60;
  EXPECT_DOUBLE_EQ(bb.update(0, 57.9, target), 0.8);  // <= 58: on
  EXPECT_DOUBLE_EQ(bb.update(0, 61.9, target), 0.8);  // still heating below 62
  EXPECT_DOUBLE_EQ(bb.update(0, 62.0, target), 0.0);  // >= 62: off
  EXPECT_DOUBLE_EQ(bb.update(0, 58.1, target), 0.0);  // stays off above 58
  EXPECT_TRUE(bb.busy(57.9, 60));
  EXPECT_FALSE(bb.busy(58.0, 60));
}

}  // namespace
}  // namespace rtstep::thermal

// PID_CALIBRATE's relay and Klipper's formulas, on a synthetic oscillation with known peaks.

#include "thermal/pid_calibrate.hpp"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

namespace rtstep::thermal {
namespace {

TEST(PidCalibrate, RelaySwitchesAtTargetAndFiveBelow) {
  PidCalibrator cal(200, 0.9);
  double target = 200;
  EXPECT_EQ(cal.update(0.3, 25, target), 0.9);  // heating
  EXPECT_EQ(target, 200);
  EXPECT_EQ(cal.update(10, 200, target), 0.0);  // reached: off, threshold 195
  EXPECT_EQ(target, 195);
  EXPECT_EQ(cal.update(11, 196, target), 0.0);
  EXPECT_EQ(cal.update(12, 195, target), 0.9);  // back on
  EXPECT_EQ(target, 200);
  EXPECT_TRUE(cal.busy(0, 0));
}

TEST(PidCalibrate, GainsFromTheMedianCycle) {
  // Feed a triangle wave between 193 and 202 with a 20 s period, reading every 0.1 s; the relay's peaks are
  // the wave's extremes. Expected (Klipper): amplitude 4.5 C, Ku = 4 * 1.0 / (pi * 4.5), Tu = 20 s,
  // Kp = 0.6 Ku 255, Ki = Kp / 10, Kd = Kp * 2.5.
  PidCalibrator cal(200, 1.0);
  double target = 200;
  double t = 0;
  // Start from cold so the first peaks are odd, as on a real heat-up.
  for (double temp = 25; temp < 200; temp += 1, t += 0.1) cal.update(t, temp, target);
  const double t0 = t;
  while (!cal.done() && t < t0 + 1000) {
    const double phase = std::fmod(t - t0, 20.0);
    // Symmetric triangle: 193 -> 202 in 10 s, back to 193 in 10 s.
    const double temp = phase < 10 ? 193 + 0.9 * phase : 202 - 0.9 * (phase - 10);
    cal.update(t, temp, target);
    t += 0.1;
  }
  ASSERT_TRUE(cal.done());
  const PidGains g = cal.final_gains();
  const double ku = 4.0 / (std::numbers::pi * 4.5);
  const double kp = 0.6 * ku * 255;
  EXPECT_NEAR(g.kp, kp, kp * 0.02);
  EXPECT_NEAR(g.ki, kp / 10, kp / 10 * 0.03);
  EXPECT_NEAR(g.kd, kp * 2.5, kp * 2.5 * 0.03);
  EXPECT_EQ(PidCalibrator::describe({22.2, 1.08, 114}),
            "PID parameters: pid_Kp=22.200 pid_Ki=1.080 pid_Kd=114.000\n"
            "The SAVE_CONFIG command will update the printer config file\n"
            "with these parameters and restart the printer.");
}

}  // namespace
}  // namespace rtstep::thermal

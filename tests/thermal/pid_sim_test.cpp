// PID on the sim plant (default 40 W hot end: 12 J/K, 0.1 W/K to ambient, 3 s sensor lag, 0.05 C noise),
// on the virtual clock: heat-up from 25 C to 210 C, overshoot, and holding within +-1 C once settled; and
// PID_CALIBRATE's relay on the same plant.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

struct HeatUp {
  double overshoot = 0;                    // C above target, maximum over the run
  double settle_time = -1;                 // s from the target until M109's rule says settled
  double hold_min = 1e9, hold_max = -1e9;  // C over the hold window after settling
};

// Heats the extruder to `target` with `gains`, waits for M109's rule, then holds for `hold_s`.
HeatUp heat_up(const std::string& gains, double target, double hold_s) {
  std::string text = kBaseConfig;
  const size_t at = text.find("pid_Kp: 21.527\npid_Ki: 1.063\npid_Kd: 108.982\n");
  text.replace(at, std::string("pid_Kp: 21.527\npid_Ki: 1.063\npid_Kd: 108.982\n").size(), gains);
  SimRig rig(text);
  HeatUp out;
  EXPECT_TRUE(rig.system().set_target("extruder", target).ok());
  rig.tick();  // the first tick registers the target with the checks
  const bool settled = rig.run_until(600 * kS, [&] {
    out.overshoot = std::max(out.overshoot, rig.temp(0) - target);
    return !rig.system().heater_busy("extruder");
  });
  EXPECT_TRUE(settled) << "not settled after 600 s, at " << rig.temp(0);
  out.settle_time = rig.seconds();
  rig.run_until(rig.now() + static_cast<int64_t>(hold_s * 1e9), [&] {
    out.overshoot = std::max(out.overshoot, rig.temp(0) - target);
    out.hold_min = std::min(out.hold_min, rig.temp(0));
    out.hold_max = std::max(out.hold_max, rig.temp(0));
    return false;
  });
  EXPECT_FALSE(rig.system().shutdown_info().has_value());
  return out;
}

TEST(PidSim, HeatsTo210AndHoldsWithinOneDegree) {
  // The example printer.cfg's gains (a stock Ender-3 hot end, Klipper units).
  const HeatUp r = heat_up("pid_Kp: 21.527\npid_Ki: 1.063\npid_Kd: 108.982\n", 210, 300);
  std::printf(
      "PID 25->210 C, Kp 21.527 Ki 1.063 Kd 108.982: overshoot %.2f C, settled (M109) at %.1f s, "
      "hold over 300 s: %.2f..%.2f C\n",
      r.overshoot, r.settle_time, r.hold_min, r.hold_max);
  EXPECT_LT(r.overshoot, 5.0);
  EXPECT_GE(r.hold_min, 209.0);
  EXPECT_LE(r.hold_max, 211.0);
}

TEST(PidSim, CalibrationOnThePlantGivesGainsThatHold) {
  SimRig rig(kBaseConfig);
  ASSERT_TRUE(rig.system().start_pid_calibration("extruder", 210).ok());
  std::optional<PidGains> gains;
  const bool done = rig.run_until(1800 * kS, [&] {
    gains = rig.system().calibration_result("extruder");
    return gains.has_value();
  });
  ASSERT_TRUE(done) << "calibration did not finish";
  EXPECT_FALSE(rig.system().shutdown_info().has_value());
  EXPECT_EQ(rig.system().heater(0).target(), 0.0);  // Klipper leaves the heater off afterwards
  std::printf("PID_CALIBRATE on the sim plant finished at %.0f s: %s\n", rig.seconds(),
              PidCalibrator::describe(*gains).c_str());
  EXPECT_GT(gains->kp, 5);
  EXPECT_GT(gains->ki, 0.1);
  EXPECT_GT(gains->kd, 10);

  char text[160];
  std::snprintf(text, sizeof text, "pid_Kp: %.3f\npid_Ki: %.3f\npid_Kd: %.3f\n", gains->kp, gains->ki, gains->kd);
  const HeatUp r = heat_up(text, 210, 300);
  std::printf(
      "PID 25->210 C with the calibrated gains: overshoot %.2f C, settled (M109) at %.1f s, hold "
      "%.2f..%.2f C\n",
      r.overshoot, r.settle_time, r.hold_min, r.hold_max);
  EXPECT_GE(r.hold_min, 209.0);
  EXPECT_LE(r.hold_max, 211.0);
}

TEST(PidSim, RunsRepeatExactly) {
  SimRig a(kBaseConfig), b(kBaseConfig);
  ASSERT_TRUE(a.system().set_target("extruder", 200).ok());
  ASSERT_TRUE(b.system().set_target("extruder", 200).ok());
  a.run_for(60 * kS);
  b.run_for(60 * kS);
  EXPECT_EQ(a.temp(0), b.temp(0));  // bit for bit: seeded noise, virtual clock
  EXPECT_GT(a.temp(0), 150);
}

}  // namespace
}  // namespace rtstep::thermal::testing

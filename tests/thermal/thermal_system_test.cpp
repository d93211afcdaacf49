// ThermalSystem's commands, waits and status on the sim plant.

#include <cmath>

#include <gtest/gtest.h>

#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

TEST(ThermalSystem, OutputsDescribeEveryPin) {
  SimRig rig(kBaseConfig);
  const auto& o = rig.system().outputs();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].name, "extruder");
  EXPECT_TRUE(o[0].heater);
  EXPECT_EQ(o[0].pin.name, "PA1");
  EXPECT_EQ(o[0].cycle_time, 0.1);
  EXPECT_EQ(o[0].max_duration, 3.0);
  EXPECT_EQ(o[2].name, "fan");
  EXPECT_FALSE(o[2].heater);
  EXPECT_EQ(o[2].cycle_time, 0.01);
  EXPECT_EQ(o[2].max_duration, 0.0);
}

TEST(ThermalSystem, HeaterCommandsAreRenewedBeforeMaxDuration) {
  // A steady heater whose value barely changes must still be re-sent before the executor's 3 s run out.
  SimRig rec(kBaseConfig);
  ASSERT_TRUE(rec.system().set_target("extruder", 200).ok());
  int64_t last = -1, max_gap = 0;
  for (int64_t end = 300 * kS; rec.now() < end;) {
    rec.tick();
    for (const OutputCommand& c : rec.last_commands()) {
      if (c.output != 0) continue;
      if (last >= 0 && rec.now() > 100 * kS) max_gap = std::max(max_gap, c.time_ns - last);
      last = c.time_ns;
    }
  }
  EXPECT_GT(max_gap, 0);
  EXPECT_LE(max_gap, static_cast<int64_t>(2.4e9));  // Klipper: 3 s - 3 * 0.3 s, plus one report
}

TEST(ThermalSystem, M109WaitEndsWhenSettled) {
  SimRig rig(kBaseConfig);
  EXPECT_FALSE(rig.system().heater_busy("extruder"));  // no target: no wait
  ASSERT_TRUE(rig.system().set_target("extruder", 200).ok());
  rig.tick();
  EXPECT_TRUE(rig.system().heater_busy("extruder"));
  ASSERT_TRUE(rig.run_until(400 * kS, [&] { return !rig.system().heater_busy("extruder"); }));
  EXPECT_NEAR(rig.system().heater_status(0, rig.now()).temperature, 200, 1.0);
}

TEST(ThermalSystem, WatermarkBedWaitEndsAboveTargetMinusMaxDelta) {
  SimRig rig(kBaseConfig);
  ASSERT_TRUE(rig.system().set_target("heater_bed", 60).ok());
  rig.tick();
  ASSERT_TRUE(rig.run_until(600 * kS, [&] { return !rig.system().heater_busy("heater_bed"); }));
  EXPECT_GE(rig.system().heater(1).temperature(rig.seconds()), 58.0);
  // And it holds around the target within the watermark band (plus the sensor's lag).
  double lo = 1e9, hi = -1e9;
  rig.run_until(rig.now() + 300 * kS, [&] {
    lo = std::min(lo, rig.temp(1));
    hi = std::max(hi, rig.temp(1));
    return false;
  });
  EXPECT_GT(lo, 56.0);
  EXPECT_LT(hi, 64.0);
}

TEST(ThermalSystem, TemperatureWait) {
  SimRig rig(std::string(kBaseConfig) + "[temperature_sensor chamber]\nsensor_type: Generic 3950\nsensor_pin: PB9\n");
  rig.run_for(2 * kS);
  EXPECT_EQ(rig.system().temperature_in_range("temperature_sensor chamber", 20, 30, rig.now()), true);
  EXPECT_EQ(rig.system().temperature_in_range("temperature_sensor chamber", 40, 1e300, rig.now()), false);
  EXPECT_EQ(rig.system().temperature_in_range("extruder", -1e300, 30, rig.now()), true);
  EXPECT_EQ(rig.system().temperature_in_range("nothing", 0, 1, rig.now()), std::nullopt);
}

TEST(ThermalSystem, TurnOffAllHeaters) {
  SimRig rig(kBaseConfig);
  ASSERT_TRUE(rig.system().set_target("extruder", 200).ok());
  ASSERT_TRUE(rig.system().set_target("heater_bed", 60).ok());
  rig.run_for(10 * kS);
  rig.system().turn_off_all();
  rig.run_for(1 * kS);
  EXPECT_EQ(rig.world().pwm(0), 0.0);
  EXPECT_EQ(rig.world().pwm(1), 0.0);
  EXPECT_FALSE(rig.system().shutdown_info());  // not a shutdown: targets can be set again
  EXPECT_TRUE(rig.system().set_target("extruder", 100).ok());
}

TEST(ThermalSystem, StatusObjectsWithKlippersNames) {
  SimRig rig(std::string(kBaseConfig) + "[temperature_sensor chamber]\nsensor_type: Generic 3950\nsensor_pin: PB9\n");
  ASSERT_TRUE(rig.system().set_target("extruder", 200).ok());
  rig.run_for(5 * kS);
  const auto j = rig.system().status_json(rig.now());
  EXPECT_EQ(j["extruder"]["target"], 200.0);
  EXPECT_GT(j["extruder"]["temperature"].get<double>(), 25.0);
  EXPECT_GT(j["extruder"]["power"].get<double>(), 0.0);
  EXPECT_EQ(j["extruder"]["can_extrude"], false);
  EXPECT_FALSE(j["heater_bed"].contains("can_extrude"));
  EXPECT_EQ(j["heaters"]["available_heaters"], nlohmann::json({"extruder", "heater_bed"}));
  EXPECT_EQ(j["heaters"]["available_sensors"],
            nlohmann::json({"extruder", "heater_bed", "temperature_sensor chamber"}));
  EXPECT_EQ(j["heaters"]["available_monitors"], nlohmann::json::array());
  EXPECT_EQ(j["fan"]["speed"], 0.0);
  EXPECT_NEAR(j["temperature_sensor chamber"]["temperature"].get<double>(), 25.0, 0.01);
  EXPECT_NEAR(j["temperature_sensor chamber"]["measured_min_temp"].get<double>(), 25.0, 0.01);
  EXPECT_NEAR(j["temperature_sensor chamber"]["measured_max_temp"].get<double>(), 25.0, 0.01);
  // Two decimals, as Klipper rounds.
  const double t = j["extruder"]["temperature"].get<double>();
  EXPECT_NEAR(t * 100, std::round(t * 100), 1e-6);
}

TEST(ThermalSystem, CalibrationNeedsATargetInRange) {
  SimRig rig(kBaseConfig);
  EXPECT_EQ(rig.system().start_pid_calibration("extruder", 0).error().message, "PID_CALIBRATE needs a TARGET above 0");
  EXPECT_EQ(rig.system().start_pid_calibration("extruder", 260).error().message,
            "Requested temperature (260.0) out of range (0.0:250.0)");
  EXPECT_FALSE(rig.system().calibrating("extruder"));
}

TEST(ThermalSystem, M105) {
  SimRig rig(kBaseConfig);
  ASSERT_TRUE(rig.system().set_target("extruder", 210).ok());
  rig.run_for(1 * kS);
  const std::string m = rig.system().m105(rig.now());
  EXPECT_EQ(m.substr(0, 2), "B:");
  EXPECT_NE(m.find(" /0.0 T0:"), std::string::npos) << m;
  EXPECT_EQ(m.substr(m.size() - 6), "/210.0") << m;
  SimRig none("[fan]\npin: PA0\n");
  EXPECT_EQ(none.system().m105(0), "T:0");
}

TEST(ThermalSystem, CalibrationCanBeCancelled) {
  SimRig rig(kBaseConfig);
  ASSERT_TRUE(rig.system().start_pid_calibration("extruder", 200).ok());
  rig.run_for(30 * kS);
  EXPECT_TRUE(rig.system().calibrating("extruder"));
  EXPECT_FALSE(rig.system().start_pid_calibration("extruder", 200).ok());  // already running
  rig.system().turn_off_all();
  EXPECT_EQ(rig.system().calibration_result("extruder"), std::nullopt);
  EXPECT_EQ(rig.system().heater(0).target(), 0.0);
  EXPECT_FALSE(rig.system().calibrating("extruder"));  // and no result: "pid_calibrate interrupted"
}

}  // namespace
}  // namespace rtstep::thermal::testing

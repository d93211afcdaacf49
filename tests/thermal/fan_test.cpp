// Fans: Klipper's speed scaling, kick-start, off_below; heater_fan and controller_fan policies; status.

#include "thermal/fan.hpp"

#include <gtest/gtest.h>

#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

FanConfig fan_config(double max_power = 1.0, double kick = 0.1, double off_below = 0.0) {
  FanConfig c;
  c.name = "fan";
  c.max_power = max_power;
  c.kick_start_time = kick;
  c.off_below = off_below;
  return c;
}

TEST(Fan, KickStartsAtFullPowerThenSettles) {
  Fan fan(fan_config());
  EXPECT_EQ(fan.set_speed(1.0, 0.3), 1.0);  // from off: full power first
  EXPECT_EQ(fan.requested(), 0.3);
  EXPECT_EQ(fan.set_speed(1.02, 0.3), std::nullopt);  // repeated request: the kick goes on
  EXPECT_FALSE(fan.update(1.05));
  EXPECT_EQ(fan.update(1.1), 0.3);  // after kick_start_time
  EXPECT_EQ(fan.output(), 0.3);
  EXPECT_EQ(fan.set_speed(2.0, 0.5), 0.5);           // +0.2: no kick
  EXPECT_EQ(fan.set_speed(3.0, 0.5), std::nullopt);  // unchanged
  EXPECT_EQ(fan.set_speed(4.0, 0.0), 0.0);
}

TEST(Fan, MaxPowerScalesAndOffBelowCutsOff) {
  Fan fan(fan_config(0.8, 0.0, 0.2));
  EXPECT_EQ(fan.set_speed(0, 0.5), 0.4);  // 0.5 * 0.8, no kick configured
  EXPECT_EQ(fan.set_speed(1, 0.1), 0.0);  // below off_below
  EXPECT_EQ(fan.set_speed(2, 1.0), 0.8);
}

TEST(Fan, ShutdownSpeedSticks) {
  FanConfig c = fan_config();
  c.shutdown_speed = 0.7;
  Fan fan(c);
  EXPECT_EQ(fan.shutdown(), 0.7);
  EXPECT_EQ(fan.set_speed(5, 0.1), std::nullopt);
  EXPECT_EQ(fan.output(), 0.7);
}

TEST(HeaterFan, RunsWhileTheHeaterIsOnOrHot) {
  SimRig rig(std::string(kBaseConfig) + "[heater_fan hotend]\npin: PB1\nkick_start_time: 0\n");
  rig.run_for(3 * kS);
  EXPECT_EQ(rig.system().output_values()[3], 0.0);
  ASSERT_TRUE(rig.system().set_target("extruder", 200).ok());
  rig.run_for(1100 * kMs);
  EXPECT_EQ(rig.system().output_values()[3], 1.0);
  rig.run_for(120 * kS);
  ASSERT_TRUE(rig.system().set_target("extruder", 0).ok());
  rig.run_for(2 * kS);
  EXPECT_EQ(rig.system().output_values()[3], 1.0);  // still above heater_temp (50 C)
  ASSERT_TRUE(rig.run_until(rig.now() + 1200 * kS, [&] { return rig.system().output_values()[3] == 0.0; }));
  EXPECT_LE(rig.system().heater(0).temperature(rig.seconds()), 50.0);
  EXPECT_GT(rig.system().heater(0).temperature(rig.seconds()), 45.0);
}

TEST(ControllerFan, FollowsSteppersThenIdles) {
  SimRig rig(std::string(kBaseConfig) +
             "[controller_fan board]\npin: PB2\nkick_start_time: 0\nidle_speed: 0.4\nidle_timeout: 5\n");
  rig.run_for(2 * kS);
  EXPECT_EQ(rig.system().output_values()[3], 0.0);  // off at boot
  rig.system().set_steppers_enabled(true);
  rig.run_for(1 * kS);
  EXPECT_EQ(rig.system().output_values()[3], 1.0);
  rig.system().set_steppers_enabled(false);
  rig.run_for(2 * kS);
  EXPECT_EQ(rig.system().output_values()[3], 0.4);
  rig.run_for(6 * kS);
  EXPECT_EQ(rig.system().output_values()[3], 0.0);  // idle_timeout over
}

TEST(FanCommands, SetFanSpeedAndStatus) {
  SimRig rig(std::string(kBaseConfig) + "[fan_generic aux]\npin: PB3\nmax_power: 0.5\n");
  ASSERT_TRUE(rig.system().set_fan_speed("fan", 0.6, rig.now()).ok());
  ASSERT_TRUE(rig.system().set_fan_speed("aux", 1.0, rig.now()).ok());
  EXPECT_FALSE(rig.system().set_fan_speed("nope", 1.0, rig.now()).ok());
  // Commands given between ticks reach the outputs with the next tick (kick-start first).
  rig.tick();
  rig.run_for(200 * kMs);
  const auto v = rig.system().output_values();
  EXPECT_EQ(v[2], 0.6);
  EXPECT_EQ(v[3], 0.5);
  const auto j = rig.system().status_json(rig.now());
  EXPECT_EQ(j["fan"]["speed"], 0.6);
  EXPECT_TRUE(j["fan"]["rpm"].is_null());
  EXPECT_EQ(j["fan_generic aux"]["speed"], 0.5);
}

}  // namespace
}  // namespace rtstep::thermal::testing

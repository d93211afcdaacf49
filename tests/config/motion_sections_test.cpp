// [sim], [gcode_arcs] and the extruder's extrude-only limits (config/motion_sections.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "config_test_util.hpp"

namespace rtstep::config::testing {
namespace {

// Line 32 onwards, after kMinimal's 31 lines.
constexpr const char* kExtruder =
    "[extruder]\n"               // 32
    "step_pin: PB3\n"            // 33
    "dir_pin: !PB4\n"            // 34
    "microsteps: 16\n"           // 35
    "rotation_distance: 33.5\n"  // 36
    "nozzle_diameter: 0.4\n"     // 37
    "filament_diameter: 1.75\n"; // 38

TEST(MotionSections, DefaultsWhenAbsent) {
  auto m = load_text(kMinimal);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_FALSE(m->motion.sim_start_position[0].has_value());
  EXPECT_EQ(m->motion.arc_resolution, 1.0);
  EXPECT_EQ(m->motion.max_extrude_only_velocity, m->printer.max_velocity);
}

TEST(MotionSections, ExtrudeOnlyLimitsDefaultToKlippersCrossSectionRatio) {
  auto m = load_text(std::string(kMinimal) + kExtruder);
  ASSERT_TRUE(m.ok()) << m.error().message;
  // 4 * 0.4^2 mm^2 of nozzle over pi * 1.75^2 / 4 mm^2 of filament, times max_velocity 300 / max_accel 3000.
  const double ratio = 4 * 0.16 / (std::numbers::pi * 1.75 * 1.75 / 4);
  EXPECT_NEAR(m->motion.max_extrude_only_velocity, 300 * ratio, 1e-9);
  EXPECT_NEAR(m->motion.max_extrude_only_accel, 3000 * ratio, 1e-9);
  EXPECT_EQ(m->motion.instant_corner_velocity, 1.0);
}

TEST(MotionSections, ExplicitValuesAreRead) {
  auto m = load_text(std::string(kMinimal) + kExtruder +
                     "max_extrude_only_velocity: 25\nmax_extrude_only_accel: 800\ninstantaneous_corner_velocity: 2\n"
                     "[sim]\nstart_position_x: 100\nstart_position_z: 12.5\n[gcode_arcs]\nresolution: 0.2\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->motion.max_extrude_only_velocity, 25);
  EXPECT_EQ(m->motion.max_extrude_only_accel, 800);
  EXPECT_EQ(m->motion.instant_corner_velocity, 2);
  EXPECT_EQ(m->motion.sim_start_position[0], 100.0);
  EXPECT_FALSE(m->motion.sim_start_position[1].has_value());
  EXPECT_EQ(m->motion.sim_start_position[2], 12.5);
  EXPECT_EQ(m->motion.arc_resolution, 0.2);
  EXPECT_TRUE(m->ignored_sections.empty());
}

TEST(MotionSections, ErrorsNameFileLineSectionAndKey) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[sim]\nstart_position_x: 300\n"),
            "printer.cfg:33: [sim] start_position_x: expected a number in [0, 235], got \"300\"");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[gcode_arcs]\nresolution: 0\n"),
            "printer.cfg:33: [gcode_arcs] resolution: expected a number > 0, got \"0\"");
  EXPECT_EQ(error_of(std::string(kMinimal) + kExtruder + "max_extrude_only_velocity: -1\n"),
            "printer.cfg:39: [extruder] max_extrude_only_velocity: expected a number > 0, got \"-1\"");
}

TEST(MotionSections, UnknownKeysInTheNewSectionsAreErrors) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[sim]\nstart_position_q: 1\n"),
            "printer.cfg:33: [sim] start_position_q: unknown key in this section (did you mean start_position_x?)");
  // Klipper's name of the extruder's corner limit, not a shortening of it.
  EXPECT_EQ(error_of(std::string(kMinimal) + kExtruder + "instant_corner_velocity: 2\n"),
            "printer.cfg:39: [extruder] instant_corner_velocity: unknown key in this section (did you mean "
            "instantaneous_corner_velocity?)");
}

}  // namespace
}  // namespace rtstep::config::testing

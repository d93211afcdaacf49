// Tests of [stepper_*] and [extruder]: values, defaults, homing direction, range checks, pin conflicts.

#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::error_of;
using testing::kMinimal;
using testing::load_text;
using testing::remove_line;
using testing::replace_line;

MachineConfig load_ok(const std::string& text) {
  auto config = load_text(text);
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config ? std::move(config).value() : MachineConfig{};
}

// kMinimal with stepper_x's position_endstop line (12) replaced.
std::string with_x_endstop(const std::string& lines) { return replace_line(kMinimal, 12, lines); }

constexpr const char* kExtruder =
    "[extruder]\n"                           // 32
    "step_pin: PB3\n"                        // 33
    "dir_pin: !PB4\n"                        // 34
    "enable_pin: !PC3\n"                     // 35
    "microsteps: 16\n"                       // 36
    "rotation_distance: 33.5\n"              // 37
    "nozzle_diameter: 0.4\n"                 // 38
    "heater_pin: PA1\n"                      // 39
    "sensor_type: EPCOS 100K B57560G104F\n"  // 40
    "control: pid\n"                         // 41
    "pid_Kp: 21.5\n"                         // 42
    "max_temp: 250\n";                       // 43

TEST(Stepper, ReadsAxisSteppersWithDefaults) {
  const MachineConfig m = load_ok(kMinimal);
  ASSERT_EQ(m.steppers.size(), 3u);
  const StepperConfig& x = m.steppers[0];
  EXPECT_EQ(x.name, "stepper_x");
  EXPECT_EQ(x.axis, 'x');
  EXPECT_EQ(x.step_pin.name, "PB9");
  EXPECT_EQ(x.dir_pin.name, "PC2");
  EXPECT_EQ(x.enable_pin.name, "PC3");
  EXPECT_TRUE(x.enable_pin.inverted);
  EXPECT_TRUE(x.endstop_pin.empty());
  EXPECT_EQ(x.microsteps, 16);
  EXPECT_EQ(x.full_steps_per_rotation, 200);
  EXPECT_EQ(x.rotation_distance, 40.0);
  EXPECT_EQ(x.gear_ratio, 1.0);
  EXPECT_EQ(x.steps_per_mm(), 80.0);
  EXPECT_EQ(x.position_min, 0.0);
  EXPECT_EQ(x.position_max, 235.0);
  EXPECT_EQ(x.position_endstop, 0.0);
  EXPECT_EQ(x.homing_speed, 5.0);
  EXPECT_EQ(x.homing_retract_dist, 5.0);
  EXPECT_EQ(x.second_homing_speed, 2.5);
  EXPECT_FALSE(x.homing_positive_dir);
  EXPECT_EQ(x.step_pulse_duration, 2e-6);
  EXPECT_EQ(m.steppers[1].axis, 'y');
  EXPECT_EQ(m.steppers[2].axis, 'z');
  EXPECT_EQ(m.steppers[2].steps_per_mm(), 400.0);
  EXPECT_EQ(m.find_stepper("stepper_z"), &m.steppers[2]);
  EXPECT_EQ(m.find_stepper("extruder"), nullptr);
}

TEST(Stepper, ReadsEveryKey) {
  const MachineConfig m = load_ok(
      with_x_endstop("position_endstop: 235\nposition_min: -5\nfull_steps_per_rotation: 400\ngear_ratio: 80:16, 3:2\n"
                     "endstop_pin: ^!PA5\nhoming_speed: 50\nhoming_retract_dist: 0\nsecond_homing_speed: 10\n"
                     "homing_positive_dir: true\nstep_pulse_duration: 0.000005"));
  const StepperConfig& x = m.steppers[0];
  EXPECT_EQ(x.position_endstop, 235.0);
  EXPECT_EQ(x.position_min, -5.0);
  EXPECT_EQ(x.full_steps_per_rotation, 400);
  EXPECT_DOUBLE_EQ(x.gear_ratio, 7.5);
  EXPECT_DOUBLE_EQ(x.steps_per_mm(), 400 * 16 * 7.5 / 40);
  EXPECT_EQ(x.endstop_pin.name, "PA5");
  EXPECT_TRUE(x.endstop_pin.pullup && x.endstop_pin.inverted);
  EXPECT_EQ(x.homing_speed, 50.0);
  EXPECT_EQ(x.homing_retract_dist, 0.0);
  EXPECT_EQ(x.second_homing_speed, 10.0);
  EXPECT_TRUE(x.homing_positive_dir);
  EXPECT_EQ(x.step_pulse_duration, 5e-6);
  EXPECT_TRUE(m.ignored_keys.empty());
}

TEST(Stepper, SecondHomingSpeedDefaultsToHalfTheHomingSpeed) {
  EXPECT_EQ(load_ok(with_x_endstop("position_endstop: 0\nhoming_speed: 50")).steppers[0].second_homing_speed, 25.0);
}

TEST(Stepper, HomingDirectionIsInferredFromTheEndstop) {
  const auto dir_for = [](const std::string& endstop) {
    return load_ok(with_x_endstop("position_endstop: " + endstop)).steppers[0].homing_positive_dir;
  };
  EXPECT_FALSE(dir_for("0"));
  EXPECT_FALSE(dir_for("58.75"));  // lowest quarter of [0, 235]
  EXPECT_TRUE(dir_for("176.25"));  // highest quarter
  EXPECT_TRUE(dir_for("235"));
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 100")),
            "printer.cfg:6: [stepper_x] cannot infer homing_positive_dir: position_endstop (100) is in the middle "
            "of [0, 235]; set homing_positive_dir explicitly");
  EXPECT_TRUE(
      load_ok(with_x_endstop("position_endstop: 100\nhoming_positive_dir: yes")).steppers[0].homing_positive_dir);
}

TEST(Stepper, ExplicitHomingDirectionMustMatchTheEndstop) {
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nhoming_positive_dir: True")),
            "printer.cfg:13: [stepper_x] homing_positive_dir: true homes toward position_max, but position_endstop "
            "equals position_min (0)");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 235\nhoming_positive_dir: 0")),
            "printer.cfg:13: [stepper_x] homing_positive_dir: false homes toward position_min, but position_endstop "
            "equals position_max (235)");
}

TEST(Stepper, Booleans) {
  for (const char* yes : {"True", "true", "TRUE", "1", "yes", "Yes"}) {
    EXPECT_TRUE(load_ok(with_x_endstop(std::string("position_endstop: 100\nhoming_positive_dir: ") + yes))
                    .steppers[0]
                    .homing_positive_dir)
        << yes;
  }
  for (const char* no : {"False", "false", "0", "no", "NO"}) {
    EXPECT_FALSE(load_ok(with_x_endstop(std::string("position_endstop: 100\nhoming_positive_dir: ") + no))
                     .steppers[0]
                     .homing_positive_dir)
        << no;
  }
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 100\nhoming_positive_dir: maybe")),
            "printer.cfg:13: [stepper_x] homing_positive_dir: expected a boolean (true/false, yes/no, 1/0), got "
            "\"maybe\"");
}

TEST(StepperErrors, MissingRequiredKeys) {
  EXPECT_EQ(error_of(remove_line(kMinimal, 11)), "printer.cfg:6: [stepper_x] missing required key rotation_distance");
  EXPECT_EQ(error_of(remove_line(kMinimal, 7)), "printer.cfg:6: [stepper_x] missing required key step_pin");
  EXPECT_EQ(error_of(remove_line(kMinimal, 17)), "printer.cfg:15: [stepper_y] missing required key dir_pin");
  EXPECT_EQ(error_of(remove_line(kMinimal, 28)), "printer.cfg:24: [stepper_z] missing required key microsteps");
  EXPECT_EQ(error_of(remove_line(kMinimal, 30)), "printer.cfg:24: [stepper_z] missing required key position_endstop");
  EXPECT_EQ(error_of(remove_line(kMinimal, 31)), "printer.cfg:24: [stepper_z] missing required key position_max");
}

TEST(StepperErrors, BadValues) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 11, "rotation_distance: abc")),
            "printer.cfg:11: [stepper_x] rotation_distance: expected a number > 0, got \"abc\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 11, "rotation_distance: 0")),
            "printer.cfg:11: [stepper_x] rotation_distance: expected a number > 0, got \"0\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 10, "microsteps: 16.0")),
            "printer.cfg:10: [stepper_x] microsteps: expected an integer in [1, 1048576], got \"16.0\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 19, "microsteps: 0")),
            "printer.cfg:19: [stepper_y] microsteps: expected an integer in [1, 1048576], got \"0\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nfull_steps_per_rotation: 201")),
            "printer.cfg:13: [stepper_x] full_steps_per_rotation: expected a multiple of 4, got \"201\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\ngear_ratio: 80/16")),
            "printer.cfg:13: [stepper_x] gear_ratio: expected gear ratios like \"80:16\" or \"57:11, 2:1\" (numbers "
            "> 0), got \"80/16\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\ngear_ratio: 80:0")),
            "printer.cfg:13: [stepper_x] gear_ratio: expected gear ratios like \"80:16\" or \"57:11, 2:1\" (numbers "
            "> 0), got \"80:0\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nhoming_speed: 0")),
            "printer.cfg:13: [stepper_x] homing_speed: expected a number > 0, got \"0\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nhoming_retract_dist: -1")),
            "printer.cfg:13: [stepper_x] homing_retract_dist: expected a number >= 0, got \"-1\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nsecond_homing_speed: x")),
            "printer.cfg:13: [stepper_x] second_homing_speed: expected a number > 0, got \"x\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nstep_pulse_duration: 2")),
            "printer.cfg:13: [stepper_x] step_pulse_duration: expected a number in [0, 0.001], got \"2\"");
}

TEST(StepperErrors, PositionsMustBeOrdered) {
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nposition_min: 300")),
            "printer.cfg:14: [stepper_x] position_max: expected a number > position_min (300), got \"235\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 300")),
            "printer.cfg:12: [stepper_x] position_endstop: expected a number in [position_min, position_max] = [0, "
            "235], got \"300\"");
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: -1")),
            "printer.cfg:12: [stepper_x] position_endstop: expected a number in [position_min, position_max] = [0, "
            "235], got \"-1\"");
}

TEST(Extruder, ReadsMotorKeysAndLeavesHeaterKeys) {
  const MachineConfig m = load_ok(std::string(kMinimal) + kExtruder);
  ASSERT_EQ(m.steppers.size(), 4u);
  const StepperConfig& e = m.steppers[3];
  EXPECT_EQ(e.name, "extruder");
  EXPECT_EQ(e.axis, 'e');
  EXPECT_TRUE(e.dir_pin.inverted);
  EXPECT_EQ(e.rotation_distance, 33.5);
  EXPECT_DOUBLE_EQ(e.steps_per_mm(), 3200 / 33.5);
  EXPECT_EQ(e.max_extrude_only_distance, 50.0);
  EXPECT_TRUE(m.ignored_keys.empty());  // the heater keys are the thermal module's
  EXPECT_TRUE(m.ignored_sections.empty());
}

TEST(Extruder, Errors) {
  EXPECT_EQ(error_of(replace_line(std::string(kMinimal) + kExtruder, 37, "")),
            "printer.cfg:32: [extruder] missing required key rotation_distance");
  EXPECT_EQ(error_of(std::string(kMinimal) + kExtruder + "max_extrude_only_distance: -1\n"),
            "printer.cfg:44: [extruder] max_extrude_only_distance: expected a number >= 0, got \"-1\"");
}

TEST(ExtraSteppers, FollowTheirAxisInOrder) {
  const std::string z1 =
      "[stepper_z1]\nstep_pin: PC0\ndir_pin: PC1\nenable_pin: !PC3\nmicrosteps: 32\nrotation_distance: 8\n"
      "endstop_pin: PA9\n";
  const std::string z_switch = replace_line(kMinimal, 30, "position_endstop: 0\nendstop_pin: ^PA7");  // z1's needs one
  const MachineConfig m = load_ok(z_switch + kExtruder + z1 +
                                  "[stepper_y1]\nstep_pin: PD0\n"
                                  "dir_pin: PD1\nmicrosteps: 16\nrotation_distance: 40\n");
  ASSERT_EQ(m.steppers.size(), 6u);
  EXPECT_EQ(m.steppers[3].name, "stepper_z1");
  EXPECT_EQ(m.steppers[3].axis, 'z');
  EXPECT_EQ(m.steppers[3].microsteps, 32);
  EXPECT_EQ(m.steppers[3].position_max, 250.0);  // the axis' travel, from stepper_z
  EXPECT_EQ(m.steppers[3].endstop_pin.name, "PA9");
  EXPECT_EQ(m.steppers[4].name, "stepper_y1");
  EXPECT_EQ(m.steppers[4].axis, 'y');
  EXPECT_EQ(m.steppers[5].name, "extruder");  // always last
  // Travel keys belong to the axis' first stepper: Klipper refuses them in an extra stepper's section.
  EXPECT_EQ(error_of(z_switch + z1 + "position_max: 100\n"),
            "printer.cfg:40: [stepper_z1] position_max: unknown key in this section (an extra stepper takes only the "
            "motor keys and endstop_pin; travel and homing are set in its axis' first stepper section)");
}

TEST(ExtraSteppers, MissingKey) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[stepper_z1]\nstep_pin: PC0\ndir_pin: PC1\nmicrosteps: 16\n"),
            "printer.cfg:32: [stepper_z1] missing required key rotation_distance");
}

TEST(PinConflicts, SamePinTwiceNamesBothUses) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 16, "step_pin: PB9")),
            "printer.cfg:16: [stepper_y] step_pin: pin \"PB9\" is already used by [stepper_x] step_pin "
            "(printer.cfg:7)");
  // Modifiers and case do not make a different pin.
  EXPECT_EQ(error_of(replace_line(kMinimal, 26, "dir_pin: !pb9")),
            "printer.cfg:26: [stepper_z] dir_pin: pin \"!pb9\" is already used by [stepper_x] step_pin "
            "(printer.cfg:7)");
  EXPECT_EQ(error_of(replace_line(kMinimal, 8, "dir_pin: PB9")),
            "printer.cfg:8: [stepper_x] dir_pin: pin \"PB9\" is already used by [stepper_x] step_pin (printer.cfg:7)");
}

TEST(PinConflicts, EnablePinsMayBeSharedOnlyWithEnablePins) {
  EXPECT_TRUE(load_text(kMinimal).ok());  // all three share !PC3
  EXPECT_EQ(error_of(replace_line(kMinimal, 27, "enable_pin: PB5")),
            "printer.cfg:27: [stepper_z] enable_pin: pin \"PB5\" is already used by [stepper_z] step_pin "
            "(printer.cfg:25)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[extruder]\nstep_pin: PC3\ndir_pin: PB4\nmicrosteps: 16\n"
                                             "rotation_distance: 33.5\n"),
            "printer.cfg:33: [extruder] step_pin: pin \"PC3\" is already used by [stepper_x] enable_pin "
            "(printer.cfg:9)");
}

TEST(PinConflicts, AnEndstopIsNeverAnOutput) {
  EXPECT_EQ(error_of(with_x_endstop("position_endstop: 0\nendstop_pin: ^PB9")),
            "printer.cfg:13: [stepper_x] endstop_pin: pin \"^PB9\" is already used by [stepper_x] step_pin "
            "(printer.cfg:7)");
}

TEST(PinConflicts, AxesMayShareASwitchButAnExtraStepperHasItsOwnOrNone) {
  const std::string shared = with_x_endstop("position_endstop: 0\nendstop_pin: ^PA5");                  // line 13
  const std::string both = replace_line(shared, 22, "position_endstop: 0\nendstop_pin: ^PA5");         // y's: 23
  EXPECT_TRUE(load_text(both).ok()) << error_of(both);
  const std::string with_z = replace_line(both, 32, "position_endstop: 0\nendstop_pin: ^PA7");         // z's: 33
  // [stepper_z1] is line 35; its endstop_pin line 40.
  const std::string z1 = with_z + "[stepper_z1]\nstep_pin: PC0\ndir_pin: PC1\nmicrosteps: 16\nrotation_distance: 8\n";
  EXPECT_TRUE(load_text(z1 + "endstop_pin: ^PA8\n").ok()) << error_of(z1 + "endstop_pin: ^PA8\n");
  EXPECT_TRUE(load_text(z1).ok()) << "without endstop_pin it homes on stepper_z's switch: " << error_of(z1);
  EXPECT_EQ(error_of(z1 + "endstop_pin: PA5\n"),
            "printer.cfg:40: [stepper_z1] endstop_pin: pin \"PA5\" is already used by [stepper_x] endstop_pin "
            "(printer.cfg:13); leave endstop_pin out to home [stepper_z1] on its axis' switch");
  EXPECT_EQ(error_of(z1 + "endstop_pin: PA7\n"),
            "printer.cfg:40: [stepper_z1] endstop_pin: pin \"PA7\" is already used by [stepper_z] endstop_pin "
            "(printer.cfg:33); leave endstop_pin out to home [stepper_z1] on its axis' switch");
  EXPECT_EQ(error_of(z1 + "endstop_pin: PB5\n"),
            "printer.cfg:40: [stepper_z1] endstop_pin: pin \"PB5\" is already used by [stepper_z] step_pin "
            "(printer.cfg:27)");
}

// One switch reads one way: the executor samples it once for every axis that homes on it.
TEST(PinConflicts, AxesSharingASwitchReadItWithTheSameModifiers) {
  const std::string shared = with_x_endstop("position_endstop: 0\nendstop_pin: ^PA5");  // line 13
  const std::string same = replace_line(shared, 22, "position_endstop: 0\nendstop_pin: ^pa5");
  EXPECT_TRUE(load_text(same).ok()) << "the name's case does not matter: " << error_of(same);
  EXPECT_EQ(error_of(replace_line(shared, 22, "position_endstop: 0\nendstop_pin: !PA5")),
            "printer.cfg:23: [stepper_y] endstop_pin: pin \"!PA5\" is the switch of [stepper_x] endstop_pin "
            "(printer.cfg:13) written \"^PA5\": one switch is read one way; give both the same modifiers");
  EXPECT_FALSE(load_text(replace_line(shared, 22, "position_endstop: 0\nendstop_pin: PA5")).ok())
      << "without the pull-up the other axis would read the switch floating";
}

TEST(ExtraSteppers, AnOwnEndstopNeedsOneOnThePrimary) {
  // kMinimal's stepper_z has no endstop_pin; [stepper_z1] is line 32, its endstop_pin line 37.
  const std::string z1 = std::string(kMinimal) +
                         "[stepper_z1]\nstep_pin: PC0\ndir_pin: PC1\nmicrosteps: 16\nrotation_distance: 8\n";
  EXPECT_EQ(error_of(z1 + "endstop_pin: ^PA8\n"),
            "printer.cfg:37: [stepper_z1] endstop_pin: [stepper_z] has no endstop_pin: give the axis its switch first");
}

TEST(ExtraSteppers, SimStartPositionOfAnExtraStepper) {
  // stepper_z on ^PA7 (line 31), [stepper_z1] from line 33 on its own ^PA8 (line 38), [sim] at line 39.
  const std::string z = replace_line(kMinimal, 30, "position_endstop: 0\nendstop_pin: ^PA7");
  const std::string z1 = z + "[stepper_z1]\nstep_pin: PC0\ndir_pin: PC1\nmicrosteps: 16\nrotation_distance: 8\n";
  const MachineConfig m = load_ok(z1 + "endstop_pin: ^PA8\n[sim]\nstart_position_z: 10\nstart_position_z1: 12\n");
  ASSERT_EQ(m.motion.sim_stepper_start.count("stepper_z1"), 1u);
  EXPECT_EQ(m.motion.sim_stepper_start.at("stepper_z1"), 12.0);
  EXPECT_EQ(error_of(z1 + "endstop_pin: ^PA8\n[sim]\nstart_position_z1: 900\n"),
            "printer.cfg:40: [sim] start_position_z1: expected a number in [0, 250], got \"900\"");
  EXPECT_EQ(error_of(z1 + "[sim]\nstart_position_z1: 12\n"),
            "printer.cfg:39: [sim] start_position_z1: [stepper_z1] has no endstop_pin of its own, so its end of the "
            "axis moves with [stepper_z]");
}

}  // namespace
}  // namespace rtstep::config

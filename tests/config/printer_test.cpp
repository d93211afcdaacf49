// Tests of the typed layer's frame: required sections, [printer], number parsing, ignored sections and
// keys, case-insensitivity.

#include <gtest/gtest.h>

#include <clocale>

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

TEST(Printer, MinimalConfigLoadsWithDefaults) {
  const MachineConfig m = load_ok(kMinimal);
  EXPECT_EQ(m.path, "printer.cfg");
  EXPECT_EQ(m.printer.kinematics, "cartesian");
  EXPECT_EQ(m.printer.max_velocity, 300.0);
  EXPECT_EQ(m.printer.max_accel, 3000.0);
  EXPECT_EQ(m.printer.square_corner_velocity, 5.0);
  EXPECT_EQ(m.printer.minimum_cruise_ratio, 0.5);
  EXPECT_EQ(m.printer.max_z_velocity, 300.0);  // absent: the toolhead's limits
  EXPECT_EQ(m.printer.max_z_accel, 3000.0);
  EXPECT_TRUE(m.ignored_sections.empty());
  EXPECT_TRUE(m.ignored_keys.empty());
}

TEST(Printer, ReadsEveryKey) {
  const MachineConfig m = load_ok(replace_line(kMinimal, 5,
                                               "square_corner_velocity: 8\nminimum_cruise_ratio: 0\n"
                                               "max_z_velocity: 15\nmax_z_accel: 200\n"));
  EXPECT_EQ(m.printer.square_corner_velocity, 8.0);
  EXPECT_EQ(m.printer.minimum_cruise_ratio, 0.0);
  EXPECT_EQ(m.printer.max_z_velocity, 15.0);
  EXPECT_EQ(m.printer.max_z_accel, 200.0);
}

TEST(Printer, MissingRequiredSections) {
  // The missing section comes first; the keys left under another header are then checked against it.
  EXPECT_EQ(error_of(replace_line(kMinimal, 1, "[mcu]")),
            "printer.cfg: missing required section [printer]\n"
            "printer.cfg:2: [mcu] kinematics: unknown key in this section\n"
            "printer.cfg:3: [mcu] max_velocity: unknown key in this section\n"
            "printer.cfg:4: [mcu] max_accel: unknown key in this section");
  EXPECT_EQ(error_of(replace_line(kMinimal, 6, "[stepper_a]")), "printer.cfg: missing required section [stepper_x]");
  const auto first_line = [](const std::string& s) { return s.substr(0, s.find('\n')); };
  const std::string extruder_as_y = error_of(replace_line(kMinimal, 15, "[extruder]"));
  EXPECT_EQ(first_line(extruder_as_y), "printer.cfg: missing required section [stepper_y]");
  EXPECT_NE(extruder_as_y.find("\nprinter.cfg:21: [extruder] position_endstop: unknown key in this section"),
            std::string::npos);
  EXPECT_EQ(first_line(error_of(replace_line(kMinimal, 24, "[stepper_z1]"))),
            "printer.cfg: missing required section [stepper_z]");
}

TEST(Printer, MissingRequiredKeysNameTheSectionHeaderLine) {
  EXPECT_EQ(error_of(remove_line(kMinimal, 2)), "printer.cfg:1: [printer] missing required key kinematics");
  EXPECT_EQ(error_of(remove_line(kMinimal, 3)), "printer.cfg:1: [printer] missing required key max_velocity");
  EXPECT_EQ(error_of(remove_line(kMinimal, 4)), "printer.cfg:1: [printer] missing required key max_accel");
}

TEST(Printer, UnsupportedKinematics) {
  for (const char* name : {"delta", "corexz", "hybrid_corexy", "polar", "none"}) {
    EXPECT_EQ(error_of(replace_line(kMinimal, 2, std::string("kinematics: ") + name)),
              std::string("printer.cfg:2: [printer] kinematics: kinematics \"") + name +
                  "\" is not supported (supported: cartesian, corexy)");
  }
  EXPECT_EQ(load_ok(replace_line(kMinimal, 2, "kinematics: CoreXY")).printer.kinematics, "corexy");
}

TEST(Printer, BadValues) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 3, "max_velocity: abc")),
            "printer.cfg:3: [printer] max_velocity: expected a number > 0, got \"abc\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 4, "max_accel: -1")),
            "printer.cfg:4: [printer] max_accel: expected a number > 0, got \"-1\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "square_corner_velocity: -0.1")),
            "printer.cfg:5: [printer] square_corner_velocity: expected a number >= 0, got \"-0.1\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "minimum_cruise_ratio: 1")),
            "printer.cfg:5: [printer] minimum_cruise_ratio: expected a number in [0, 1), got \"1\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "max_z_velocity: 301")),
            "printer.cfg:5: [printer] max_z_velocity: expected a number in (0, 300], got \"301\"");
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "max_z_accel: 0")),
            "printer.cfg:5: [printer] max_z_accel: expected a number in (0, 3000], got \"0\"");
}

TEST(Numbers, RejectJunkNanAndInfinity) {
  for (const char* text : {"300mm", "300 mm", "3,5", "0x10", "nan", "NaN", "inf", "-inf", "infinity", "1e999", "",
                           "--3", "+-3", "3e", "."}) {
    EXPECT_EQ(error_of(replace_line(kMinimal, 3, std::string("max_velocity: ") + text)),
              std::string("printer.cfg:3: [printer] max_velocity: expected a number > 0, got \"") + text + "\"")
        << text;
  }
}

TEST(Numbers, AcceptUsualSpellings) {
  for (const auto& [text, value] : std::vector<std::pair<const char*, double>>{
           {"300", 300}, {"300.", 300}, {"+300", 300}, {"3e2", 300}, {"3E+2", 300}, {".5", 0.5}, {"0.50", 0.5}}) {
    EXPECT_EQ(load_ok(replace_line(kMinimal, 3, std::string("max_velocity: ") + text)).printer.max_velocity, value)
        << text;
  }
}

TEST(Numbers, IgnoreTheUserLocale) {
  // A locale with a decimal comma must not change how "0.5" reads.
  const char* previous = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = previous != nullptr ? previous : "C";
  if (std::setlocale(LC_NUMERIC, "de_DE.UTF-8") == nullptr && std::setlocale(LC_NUMERIC, "fr_FR.UTF-8") == nullptr) {
    GTEST_SKIP() << "no locale with a decimal comma installed";
  }
  const MachineConfig m = load_ok(replace_line(kMinimal, 5, "minimum_cruise_ratio: 0.25"));
  std::setlocale(LC_NUMERIC, saved.c_str());
  EXPECT_EQ(m.printer.minimum_cruise_ratio, 0.25);
}

TEST(CaseInsensitivity, SectionsKeysKinematicsAndBooleans) {
  std::string text = replace_line(kMinimal, 1, "[PRINTER]");
  text = replace_line(text, 2, "KINEMATICS: Cartesian");
  text = replace_line(text, 6, "[Stepper_X]");
  text = replace_line(text, 7, "Step_Pin: PB9");
  text = replace_line(text, 13, "Position_Max: 235\nHoming_Positive_Dir: FALSE");
  const MachineConfig m = load_ok(text);
  EXPECT_EQ(m.printer.kinematics, "cartesian");
  EXPECT_EQ(m.steppers[0].name, "stepper_x");
  EXPECT_EQ(m.steppers[0].step_pin.name, "PB9");  // values keep their case
  EXPECT_FALSE(m.steppers[0].homing_positive_dir);
}

}  // namespace
}  // namespace rtstep::config

// What editors and accidents do to a printer.cfg: byte order marks, CRLF, bytes that are not text, numbers
// far out of any sensible size, step distances off by orders of magnitude. tests/corpus/ has the same as
// files run through the binary; these pin the rules down at the loader.

#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::error_of;
using testing::kMinimal;
using testing::load_text;
using testing::replace_line;
using testing::TempDir;

TEST(ConfigBadInput, ByteOrderMarkAtTheStartOfEachFileIsSkipped) {
  TempDir dir;
  dir.write("steppers.cfg", "\xEF\xBB\xBF" + std::string(kMinimal).substr(std::string(kMinimal).find("[stepper_x]")));
  const std::string main =
      dir.write("printer.cfg", "\xEF\xBB\xBF[printer]\nkinematics: cartesian\nmax_velocity: 300\nmax_accel: 3000\n"
                               "[include steppers.cfg]\n");
  const auto loaded = load(main);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->printer.max_velocity, 300);
  EXPECT_EQ(loaded->steppers.at(2).rotation_distance, 8);
}

TEST(ConfigBadInput, ByteOrderMarkElsewhereIsNotSkipped) {
  // Only the first bytes of a file can be a byte order mark; later it is part of the key, which is then no key
  // of the section, though it looks like one.
  const auto loaded = load_text(replace_line(kMinimal, 10, "\xEF\xBB\xBFmicrosteps: 16"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message,
            "printer.cfg:10: [stepper_x] \xEF\xBB\xBFmicrosteps: unknown key in this section (did you mean microsteps?)");
}

TEST(ConfigBadInput, CrlfLoadsTheSameAsLf) {
  std::string crlf;
  for (char c : std::string(kMinimal)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto a = load_text(kMinimal);
  const auto b = load_text(crlf);
  ASSERT_TRUE(a.ok() && b.ok());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a->steppers[i].step_pin.name, b->steppers[i].step_pin.name);
    EXPECT_EQ(a->steppers[i].steps_per_mm(), b->steppers[i].steps_per_mm());
    EXPECT_EQ(a->steppers[i].position_max, b->steppers[i].position_max);
  }
}

TEST(ConfigBadInput, ControlBytesAreRefusedWithLineAndColumn) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 10, std::string("microsteps: 1\0" "6", 15))),
            "printer.cfg:10: unexpected byte 0x00 at column 14 (the file is not text, or is damaged)");
  // In a comment too: a comment with an escape byte is a binary file as much as a value with one.
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "# colour \x1B[31m red")),
            "printer.cfg:5: unexpected byte 0x1B at column 10 (the file is not text, or is damaged)");
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "\x7F")),
            "printer.cfg:5: unexpected byte 0x7F at column 1 (the file is not text, or is damaged)");
  // Tabs, CR line endings and bytes above 0x7F (UTF-8, Latin-1) are text.
  EXPECT_EQ(error_of(replace_line(kMinimal, 5, "# caf\xE9 \xE2\x80\x94\t\r")), "<ok>");
}

TEST(ConfigBadInput, IndentedKeyLineContinuesTheValueAbove) {
  // A tab or spaces before `microsteps` make it part of enable_pin's value, as in Klipper: named as such.
  EXPECT_EQ(error_of(replace_line(kMinimal, 10, "\tmicrosteps: 16")),
            "printer.cfg:9: [stepper_x] enable_pin: \"!PC3\" continues on an indented line (\"microsteps: 16\"); an "
            "indented line continues the key above it, so start key lines in the first column");
  EXPECT_EQ(error_of(replace_line(kMinimal, 12, "position_endstop: 0\n  # note\n  position_max: 235")),
            "printer.cfg:12: [stepper_x] position_endstop: \"0\" continues on an indented line (\"position_max: "
            "235\"); an indented line continues the key above it, so start key lines in the first column");
}

TEST(ConfigBadInput, NumbersTooLargeToMeanAnythingAreNamedSo) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 3, "max_velocity: 1e308")),
            "printer.cfg:3: [printer] max_velocity: number \"1e308\" is too large (the limit is 1e+299)");
  EXPECT_EQ(error_of(replace_line(kMinimal, 13, "position_max: -1e299")),
            "printer.cfg:13: [stepper_x] position_max: number \"-1e299\" is too large (the limit is 1e+299)");
  // Beyond double range: not a number at all.
  EXPECT_EQ(error_of(replace_line(kMinimal, 3, "max_velocity: 1e309")),
            "printer.cfg:3: [printer] max_velocity: expected a number > 0, got \"1e309\"");
}

TEST(ConfigBadInput, StepDistanceMustBeBetweenOneNanometreAndOneMetre) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 11, "rotation_distance: 1e-300")),
            "printer.cfg:11: [stepper_x] rotation_distance: one step would be 3.125e-304 mm (rotation_distance "
            "1e-300 / (200 full steps * 16 microsteps * gear_ratio 1)); it must be between 1e-06 and 1000 mm");
  EXPECT_NE(error_of(replace_line(kMinimal, 29, "rotation_distance: 1e200")).find(
                "printer.cfg:29: [stepper_z] rotation_distance: one step would be 3.125e+196 mm"),
            std::string::npos);
  // Just inside the edges: 1.25 nm and 0.94 m per step load.
  EXPECT_EQ(error_of(replace_line(kMinimal, 11, "rotation_distance: 0.004")), "<ok>");
  EXPECT_EQ(error_of(replace_line(kMinimal, 11, "rotation_distance: 3000000")), "<ok>");
}

TEST(ConfigBadInput, TravelMustFitTheStepCounter) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 13, "position_max: 1e200")),
            "printer.cfg:13: [stepper_x] position_max: 1e+200 mm is 8e+201 steps from 0 at 80 steps/mm; rtstep "
            "counts at most 1e+12 steps");
  EXPECT_EQ(error_of(replace_line(kMinimal, 12, "position_endstop: 0\nposition_min: -2e10")),
            "printer.cfg:13: [stepper_x] position_min: -2e+10 mm is 1.6e+12 steps from 0 at 80 steps/mm; rtstep "
            "counts at most 1e+12 steps");
  EXPECT_EQ(error_of(replace_line(kMinimal, 13, "position_max: 1e10")), "<ok>");  // 8e11 steps
}

}  // namespace
}  // namespace rtstep::config

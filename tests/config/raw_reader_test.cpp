// Tests of the raw layer: sections, keys, comments, continuation lines, case, and syntax errors.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

RawConfig parse_ok(const std::string& text) {
  auto raw = parse_raw(text, "printer.cfg");
  EXPECT_TRUE(raw.ok()) << raw.error().message;
  return raw ? std::move(raw).value() : RawConfig{};
}

std::string parse_error(const std::string& text) {
  auto raw = parse_raw(text, "printer.cfg");
  return raw ? std::string("<ok>") : raw.error().message;
}

const std::string& value_of(const RawConfig& raw, const std::string& section, const std::string& key) {
  static const std::string kMissing = "<missing>";
  const Section* s = raw.find(section);
  if (s == nullptr || s->values.count(key) == 0) return kMissing;
  return s->values.at(key).text;
}

TEST(RawReader, ReadsSectionsKeysAndOrigins) {
  const RawConfig raw = parse_ok("# header comment\n[printer]\nkinematics: cartesian\nmax_velocity = 300\n\n[mcu]\n");
  ASSERT_EQ(raw.sections.size(), 2u);
  EXPECT_EQ(raw.sections[0].name, "printer");
  EXPECT_EQ(raw.sections[0].file, "printer.cfg");
  EXPECT_EQ(raw.sections[0].line, 2u);
  EXPECT_EQ(raw.sections[1].name, "mcu");
  EXPECT_EQ(value_of(raw, "printer", "kinematics"), "cartesian");
  EXPECT_EQ(value_of(raw, "printer", "max_velocity"), "300");  // '=' works like ':'
  const Value& v = raw.find("printer")->values.at("max_velocity");
  EXPECT_EQ(v.file, "printer.cfg");
  EXPECT_EQ(v.line, 4u);
  EXPECT_EQ(raw.find("nope"), nullptr);
}

TEST(RawReader, SplitsAtTheFirstSeparator) {
  const RawConfig raw = parse_ok("[a]\nserial: /dev/serial/by-id/usb-x:y=z\nk = a:b\n");
  EXPECT_EQ(value_of(raw, "a", "serial"), "/dev/serial/by-id/usb-x:y=z");
  EXPECT_EQ(value_of(raw, "a", "k"), "a:b");
}

TEST(RawReader, StripsComments) {
  const RawConfig raw = parse_ok(
      "; semicolon comment\n"
      "[a]  # comment after a header\n"
      "  # indented comment\n"
      "one: 1 # trailing hash comment\n"
      "two: 2\t; trailing semicolon comment\n"
      "three: PB9#kept\n"
      "four: #\n");
  EXPECT_EQ(value_of(raw, "a", "one"), "1");
  EXPECT_EQ(value_of(raw, "a", "two"), "2");
  EXPECT_EQ(value_of(raw, "a", "three"), "PB9#kept");  // a '#' glued to text is not a comment
  EXPECT_EQ(value_of(raw, "a", "four"), "");
}

TEST(RawReader, JoinsIndentedContinuationLines) {
  const RawConfig raw = parse_ok(
      "[gcode_macro start]\n"
      "gcode:\n"
      "    G28        ; home\n"
      "\n"
      "    # a comment inside the block\n"
      "\tG1 Z5\n"
      "description: first\n"
      "  second\n"
      "after: x\n");
  EXPECT_EQ(value_of(raw, "gcode_macro start", "gcode"), "G28\nG1 Z5");
  EXPECT_EQ(value_of(raw, "gcode_macro start", "description"), "first\nsecond");
  EXPECT_EQ(value_of(raw, "gcode_macro start", "after"), "x");
}

TEST(RawReader, LowerCasesSectionAndKeyNamesButNotValues) {
  const RawConfig raw = parse_ok("[Stepper_X]\nStep_Pin: PB9\n[GCODE_MACRO Print_Start]\n");
  EXPECT_EQ(value_of(raw, "stepper_x", "step_pin"), "PB9");
  EXPECT_NE(raw.find("gcode_macro print_start"), nullptr);
}

TEST(RawReader, LaterDuplicateKeyWins) {
  const RawConfig raw = parse_ok("[a]\nk: 1\nK: 2\n");
  EXPECT_EQ(value_of(raw, "a", "k"), "2");
  EXPECT_EQ(raw.find("a")->values.at("k").line, 3u);
}

TEST(RawReader, RepeatedSectionMergesIntoTheFirst) {
  const RawConfig raw = parse_ok("[a]\nk: 1\nj: 1\n[b]\n[A]\nk: 2\n");
  ASSERT_EQ(raw.sections.size(), 2u);
  EXPECT_EQ(raw.sections[0].line, 1u);  // where it was first opened
  EXPECT_EQ(value_of(raw, "a", "k"), "2");
  EXPECT_EQ(value_of(raw, "a", "j"), "1");
}

TEST(RawReader, AcceptsCrLfLineEnds) {
  const RawConfig raw = parse_ok("[a]\r\nk: v\r\ngcode:\r\n  G28\r\n");
  EXPECT_EQ(value_of(raw, "a", "k"), "v");
  EXPECT_EQ(value_of(raw, "a", "gcode"), "G28");
}

TEST(RawReader, ReadsKlipperSaveConfigBlock) {
  const RawConfig raw = parse_ok(
      "[stepper_z]\n"
      "position_max: 250\n"
      "#*# a comment that looks like the block, before it\n"
      "#*# <---------------------- SAVE_CONFIG ---------------------->\n"
      "#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.\n"
      "#*#\n"
      "#*# [stepper_z]\n"
      "#*# position_endstop = 0.625\n"
      "#*#\n"
      "#*# [bed_mesh default]\n"
      "#*# points =\n"
      "#*# \t0.1, 0.2\n"
      "#*# \t0.3, 0.4\n");
  EXPECT_EQ(value_of(raw, "stepper_z", "position_endstop"), "0.625");
  EXPECT_EQ(raw.find("stepper_z")->values.at("position_endstop").line, 8u);
  EXPECT_EQ(value_of(raw, "bed_mesh default", "points"), "0.1, 0.2\n0.3, 0.4");
}

TEST(RawReaderErrors, TextOutsideAnySection) {
  EXPECT_EQ(parse_error("# comment\nkinematics: cartesian\n[printer]\n"),
            "printer.cfg:2: \"kinematics: cartesian\" is outside any section; put a [section] header above it");
}

TEST(RawReaderErrors, KeyWithoutSeparator) {
  EXPECT_EQ(parse_error("[stepper_x]\nstep_pin PB9\n"),
            "printer.cfg:2: [stepper_x] \"step_pin PB9\" is not a \"key: value\" line (no ':' or '=')");
}

TEST(RawReaderErrors, EmptyKeyName) {
  EXPECT_EQ(parse_error("[stepper_x]\n: PB9\n"), "printer.cfg:2: [stepper_x] missing key name before ':'");
}

TEST(RawReaderErrors, MalformedHeaders) {
  EXPECT_EQ(parse_error("[a]\n[stepper_x\n"), "printer.cfg:2: malformed section header \"[stepper_x\": missing ']'");
  EXPECT_EQ(parse_error("\n\n[ ]\n"), "printer.cfg:3: empty section name \"[]\"");
}

TEST(RawReaderErrors, ContinuationWithoutAKeyIsAKeyLine) {
  // An indented line right after a header has nothing to continue; it is read as a key line.
  EXPECT_EQ(parse_error("[a]\n  G28\n"), "printer.cfg:2: [a] \"G28\" is not a \"key: value\" line (no ':' or '=')");
}

TEST(RawReaderErrors, MissingFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/nope.cfg";
  auto raw = read_raw(path);
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().message, "config file \"" + path + "\" does not exist");
}

}  // namespace
}  // namespace rtstep::config

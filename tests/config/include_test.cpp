// Tests of [include]: paths relative to the including file, globs, loops, missing files.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::data_path;
using testing::TempDir;

std::string read_error(const std::string& path) {
  auto raw = read_raw(path);
  return raw ? std::string("<ok>") : raw.error().message;
}

TEST(Include, FollowsRelativePathsAndGlobs) {
  auto raw = read_raw(data_path("includes/main.cfg"));
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  std::vector<std::string> names;
  for (const Section& s : raw->sections) names.push_back(s.name);
  // Sections in order of first appearance; the glob's matches in sorted order (a_start before b_end).
  EXPECT_EQ(names, (std::vector<std::string>{"printer", "stepper_x", "stepper_y", "stepper_z", "gcode_macro start",
                                             "gcode_macro end"}));
  // parts/steppers.cfg includes xy.cfg relative to parts/, not to main.cfg.
  const Section* x = raw->find("stepper_x");
  EXPECT_EQ(x->file, data_path("includes/parts/xy.cfg"));
  EXPECT_EQ(x->line, 1u);
  EXPECT_EQ(x->values.at("step_pin").file, data_path("includes/parts/xy.cfg"));
  // The later [stepper_x] in main.cfg overrides one key and keeps the rest.
  EXPECT_EQ(x->values.at("homing_speed").text, "40");
  EXPECT_EQ(x->values.at("homing_speed").file, data_path("includes/main.cfg"));
  EXPECT_EQ(x->values.at("homing_speed").line, 11u);
}

TEST(Include, LoadsIntoAMachineConfig) {
  auto config = load(data_path("includes/main.cfg"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->printer.kinematics, "corexy");
  EXPECT_EQ(config->steppers.size(), 3u);
  EXPECT_EQ(config->find_stepper("stepper_x")->homing_speed, 40.0);
  EXPECT_EQ(config->find_stepper("stepper_x")->step_pin.name, "gpio17");
  EXPECT_TRUE(config->find_stepper("stepper_y")->homing_positive_dir);  // endstop at position_max
  EXPECT_TRUE(config->ignored_sections.empty());  // the included macros are rtstep's (src/macro)
}

TEST(Include, LoopIsAnErrorNamingTheChain) {
  const std::string dir = data_path("include_errors/");
  EXPECT_EQ(read_error(dir + "a.cfg"), dir + "c.cfg:2: [include a.cfg]: include loop: " + dir + "a.cfg -> " + dir +
                                           "b.cfg -> " + dir + "c.cfg -> " + dir + "a.cfg");
}

TEST(Include, SelfIncludeIsALoop) {
  const std::string self = data_path("include_errors/self.cfg");
  EXPECT_EQ(read_error(self), self + ":1: [include self.cfg]: include loop: " + self + " -> " + self);
}

TEST(Include, MissingFileIsAnError) {
  const std::string dir = data_path("include_errors/");
  EXPECT_EQ(read_error(dir + "missing.cfg"), dir + "missing.cfg:3: [include does_not_exist.cfg]: config file \"" + dir +
                                                 "does_not_exist.cfg\" does not exist");
}

TEST(Include, GlobMatchingNothingIsAnError) {
  const std::string dir = data_path("include_errors/");
  EXPECT_EQ(read_error(dir + "glob_none.cfg"),
            dir + "glob_none.cfg:1: [include nothing/*.cfg]: no file matches \"" + dir + "nothing/*.cfg\"");
}

TEST(Include, EmptyIncludeIsAnError) {
  TempDir dir;
  const std::string main = dir.write("printer.cfg", "[mcu]\n[include ]\n");
  EXPECT_EQ(read_error(main), main + ":2: [include] needs a file name");
}

TEST(Include, SameFileTwiceWithoutALoopIsAllowed) {
  // a includes common twice (through b as well): not a loop, the later keys win again.
  TempDir dir;
  dir.write("common.cfg", "[mcu]\nserial: /dev/x\n");
  dir.write("b.cfg", "[include common.cfg]\n");
  const std::string main = dir.write("a.cfg", "[include common.cfg]\n[include b.cfg]\n");
  auto raw = read_raw(main);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(raw->sections.size(), 1u);
}

TEST(Include, KeysAfterAnIncludeNeedTheirOwnHeader) {
  TempDir dir;
  dir.write("other.cfg", "[mcu]\n");
  const std::string main = dir.write("printer.cfg", "[printer]\n[include other.cfg]\nkinematics: cartesian\n");
  EXPECT_EQ(read_error(main),
            main + ":3: \"kinematics: cartesian\" is outside any section; put a [section] header above it");
}

TEST(Include, ErrorsInsideIncludedFilesNameThatFile) {
  TempDir dir;
  const std::string part = dir.write("sub/part.cfg", "[stepper_x]\nrotation_distance: abc\n");
  const std::string main = dir.write("printer.cfg", std::string(testing::kMinimal) + "[include sub/part.cfg]\n");
  auto config = load(main);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, part + ":2: [stepper_x] rotation_distance: expected a number > 0, got \"abc\"");
}

TEST(Include, DirectoryIsNotAConfigFile) {
  TempDir dir;
  dir.write("sub/x.cfg", "");
  const std::string main = dir.write("printer.cfg", "[include sub]\n");
  EXPECT_EQ(read_error(main), main + ":1: [include sub]: config file \"" + dir.path() + "/sub\" is a directory");
}

TEST(Include, MissingTopLevelFile) {
  TempDir dir;
  EXPECT_EQ(read_error(dir.path() + "/printer.cfg"), "config file \"" + dir.path() + "/printer.cfg\" does not exist");
  auto config = load(dir.path() + "/printer.cfg");
  ASSERT_FALSE(config.ok());
}

}  // namespace
}  // namespace rtstep::config

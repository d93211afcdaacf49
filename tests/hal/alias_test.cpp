// alias / unalias: the alias is the name show and list print; the alias and the original name both work;
// the error cases; save writes alias lines that rebuild the same HAL.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

TEST(Alias, ShowAndListPrintTheAliasAndBothNamesWork) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt not count=2\nalias pin not.0.in x-limit\nnet lim not.1.out => not.0.in\n"))
      << s.err();
  s.clear();
  ASSERT_TRUE(s.run("show pin\nlist pin\nshow alias\n")) << s.err();
  EXPECT_EQ(s.out(),
            "Component Pins:\n"
            "Owner   Type  Dir         Value  Name\n"
            "     4  bit   OUT         FALSE  not.0.out\n"
            "     4  s32   OUT             0  not.0.time\n"
            "     4  bit   IN          FALSE  not.1.in\n"
            "     4  bit   OUT         FALSE  not.1.out ==> lim\n"
            "     4  s32   OUT             0  not.1.time\n"
            "     4  bit   IN          FALSE  x-limit <== lim\n"
            "\n"
            "not.0.out not.0.time not.1.in not.1.out not.1.time x-limit \n"
            "Pin Aliases:\n"
            " Alias                                            Original Name\n"
            " x-limit                                          not.0.in\n"
            "\n"
            "Parameter Aliases:\n"
            " Alias                                            Original Name\n"
            "\n");
  s.clear();
  EXPECT_FALSE(s.run("alias param not.0.time zz-time\n")) << "not.0.time is a pin, not a parameter";
  EXPECT_EQ(s.err(), "HAL: ERROR: param 'not.0.time' not found\ntest.hal:1: alias failed\n");
  // The original name still finds the pin for every command.
  s.clear();
  ASSERT_TRUE(s.run("unlinkp not.0.in\nsetp not.0.in 1\ngetp x-limit\nptype not.0.in\nlinkps not.0.in lim\n"
                    "gets lim\n"))
      << s.err();
  EXPECT_EQ(s.out(), "TRUE\nbit\nFALSE\n");
  EXPECT_EQ(hal.find_pin("not.0.in"), hal.find_pin("x-limit"));
  EXPECT_EQ(hal.pins().count("not.0.in"), 0U);
}

TEST(Alias, ParamAliasAndRealiasAndUnalias) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt lowpass\nalias param lowpass.0.gain g1\nsetp g1 0.25\nalias param lowpass.0.gain g2\n"))
      << s.err();
  s.clear();
  ASSERT_TRUE(s.run("getp lowpass.0.gain\nshow param g\nshow alias lowpass\n")) << s.err();
  EXPECT_EQ(s.out(),
            "0.25\n"
            "Parameters:\n"
            "Owner   Type  Dir         Value  Name\n"
            "     4  float RW           0.25  g2\n"
            "\n"
            "Pin Aliases:\n"
            " Alias                                            Original Name\n"
            "\n"
            "Parameter Aliases:\n"
            " Alias                                            Original Name\n"
            " g2                                               lowpass.0.gain\n"
            "\n")
      << "aliasing again replaces the alias; a pattern may match the original name";
  EXPECT_EQ(hal.find_param("g1"), nullptr);
  // unalias by the alias or by the original name; unaliasing an unaliased name does nothing.
  ASSERT_TRUE(s.run("unalias param g2\nunalias param lowpass.0.gain\nalias param lowpass.0.gain g3\n"
                    "unalias param lowpass.0.gain\n"))
      << s.err();
  EXPECT_EQ(hal.params().count("lowpass.0.gain"), 1U);
  EXPECT_EQ(hal.find_param("g3"), nullptr);
  EXPECT_EQ(hal.params().at("lowpass.0.gain")->original, "");
}

TEST(Alias, Errors) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt and2 count=2\nalias pin and2.1.in0 taken\n")) << s.err();
  // The HAL library's message, then halcmd's line, as LinuxCNC 2.9 prints them.
  const std::string failed = "\ntest.hal:1: alias failed\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"alias pin and2.0.in0 and2.0.in1", "HAL: ERROR: duplicate pin/alias name 'and2.0.in1'" + failed},
      {"alias pin and2.0.in0 taken", "HAL: ERROR: duplicate pin/alias name 'taken'" + failed},
      {"alias pin and2.0.in0 and2.1.in0", "HAL: ERROR: duplicate pin/alias name 'and2.1.in0'" + failed},
      {"alias pin nosuch x", "HAL: ERROR: pin 'nosuch' not found" + failed},
      {"alias param nosuch x", "HAL: ERROR: param 'nosuch' not found" + failed},
      {"unalias pin nosuch", "HAL: ERROR: pin 'nosuch' not found\ntest.hal:1: unalias failed\n"},
      {"alias signal and2.0.in0 x", "test.hal:1: alias failed\n"},
      {"alias pin and2.0.in0", "test.hal:1: alias requires 3 arguments, 2 given\n"},
      {"unalias pin", "test.hal:1: unalias requires 2 arguments, 1 given\n"},
      {"alias pin and2.0.in0 " + std::string(128, 'a'),
       "HAL: ERROR: alias name '" + std::string(128, 'a') + "' is too long" + failed},
  };
  for (const auto& [line, message] : cases) {
    s.clear();
    EXPECT_FALSE(s.run(line + "\n")) << line;
    EXPECT_EQ(s.err(), message) << line;
  }
  EXPECT_NE(hal.find_pin("and2.0.in0"), nullptr) << "failed aliases changed nothing";
  EXPECT_EQ(hal.find_pin("and2.0.in0")->original, "");
  s.clear();
  EXPECT_FALSE(s.run("lock config\nalias pin and2.0.in0 x\n"));
  EXPECT_EQ(s.err(), "test.hal:2: HAL is locked (config): 'alias' is not permitted; 'unlock' first\n");
}

TEST(Alias, UnloadrtForgetsTheAliasesOfItsPins) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt not\nloadrt or2\nalias pin not.0.in a\nalias pin or2.0.in0 b\nunloadrt not\n"
                    "alias pin or2.0.in1 a\nloadrt not\n"))
      << s.err();
  EXPECT_EQ(hal.find_pin("a"), hal.find_pin("or2.0.in1"));
  EXPECT_EQ(hal.find_pin("not.0.in")->original, "") << "the reloaded pin has its own name";
  EXPECT_EQ(hal.find_pin("b"), hal.find_pin("or2.0.in0"));
}

TEST(Alias, SaveRebuildsTheAliases) {
  Hal hal;
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt lowpass\nloadrt not\nalias pin not.0.in flood\nalias param lowpass.0.gain k\n"
                    "setp k 0.125\nnet coolant not.0.out => flood\n"))
      << s.err();
  s.clear();
  ASSERT_TRUE(s.run("save alias\n")) << s.err();
  EXPECT_EQ(s.out(), "# pin aliases\nalias pin not.0.in flood\n# param aliases\nalias param lowpass.0.gain k\n");
  const auto path = std::filesystem::temp_directory_path() / "rtstep_alias_save.hal";
  ASSERT_TRUE(s.run("save all " + path.string() + "\n")) << s.err();
  Hal copy;
  Session c(copy);
  ASSERT_TRUE(c.run("source " + path.string() + "\n")) << c.err();
  s.clear();
  c.clear();
  ASSERT_TRUE(s.run("show pin\nshow param\nshow alias\nshow sig\n"));
  ASSERT_TRUE(c.run("show pin\nshow param\nshow alias\nshow sig\n"));
  EXPECT_EQ(c.out(), s.out());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rtstep::hal

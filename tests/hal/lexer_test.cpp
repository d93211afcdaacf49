// halcmd's lexer: continuation, comments, quotes, $ENV and [SECTION]KEY substitution; the INI reader.
#include <gtest/gtest.h>

#include <sstream>

#include "hal/lexer.hpp"

namespace rtstep::hal {
namespace {

std::optional<std::string> fake_env(const std::string& name) {
  if (name == "AXIS") return std::string("x");
  if (name == "RATE") return std::string("25000");
  return std::nullopt;
}

std::vector<std::string> tokens(const std::string& line, const IniFile* ini = nullptr) {
  auto t = tokenize(line, ini, &fake_env);
  EXPECT_TRUE(t.ok()) << line << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : std::vector<std::string>{};
}

std::string error_of(const std::string& line, const IniFile* ini = nullptr) {
  auto t = tokenize(line, ini, &fake_env);
  return t.ok() ? "(ok)" : t.error().message;
}

using V = std::vector<std::string>;

TEST(Lexer, SplitsOnWhitespaceAndDropsComments) {
  EXPECT_EQ(tokens("  net  s  a.b   c.d # the rest"), (V{"net", "s", "a.b", "c.d"}));
  EXPECT_EQ(tokens("# only a comment"), V{});
  EXPECT_EQ(tokens("\tsetp\tx\t1\t"), (V{"setp", "x", "1"}));
}

TEST(Lexer, QuotesGroupTextAndHideComments) {
  EXPECT_EQ(tokens("loadrt x names=\"a b\" 'c # d'"), (V{"loadrt", "x", "names=a b", "c # d"}));
  EXPECT_EQ(error_of("setp a \"open"), "unterminated quoted string");
  EXPECT_EQ(error_of("setp a 'open # c"), "unterminated quoted string");
}

TEST(Lexer, SubstitutesEnvironmentVariables) {
  EXPECT_EQ(tokens("net $(AXIS)-pos stepgen.$AXIS"), (V{"net", "x-pos", "stepgen.x"}));
  EXPECT_EQ(tokens("loadrt threads period1=$RATE"), (V{"loadrt", "threads", "period1=25000"}));
  // halcmd's texts, periods included.
  EXPECT_EQ(error_of("setp a $NOPE"), "Environment variable 'NOPE' not found.");
  EXPECT_EQ(error_of("setp a $(NOPE"), "Missing close parenthesis.");
  EXPECT_EQ(error_of("setp a $ 1"), "Empty variable name.");
}

TEST(Lexer, SubstitutesIniValues) {
  auto ini = IniFile::parse("[EMCMOT]\nSERVO_PERIOD = 1000000 # ns\n[JOINT_0]\nSCALE=4000\n; c\n", "m.ini");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(tokens("setp stepgen.0.position-scale [JOINT_0]SCALE", &*ini),
            (V{"setp", "stepgen.0.position-scale", "4000"}));
  EXPECT_EQ(tokens("x [EMCMOT](SERVO_PERIOD) []SCALE", &*ini), (V{"x", "1000000", "4000"}));
  EXPECT_EQ(error_of("x [JOINT_1]SCALE", &*ini), "Ini variable '[JOINT_1]SCALE' not found.");
  EXPECT_EQ(error_of("x [JOINT_0]SCALE"), "Ini variable '[JOINT_0]SCALE' not found.") << "no INI file: halcmd's text";
  EXPECT_EQ(error_of("x [JOINT_0 SCALE", &*ini), "Missing close square bracket.");
}

TEST(Lexer, BackslashJoinsLinesWithoutASpace) {
  std::istringstream in("loadrt and2 names=a\\\n,b\nshow\r\n\\\nlast");
  const auto lines = read_logical_lines(in);
  ASSERT_EQ(lines.size(), 3U);
  // Each logical line is numbered by the physical line it ends on, as halcmd's messages number it.
  EXPECT_EQ(lines[0].text, "loadrt and2 names=a,b");
  EXPECT_EQ(lines[0].line, 2);
  EXPECT_EQ(lines[1].text, "show");
  EXPECT_EQ(lines[1].line, 3);
  EXPECT_EQ(lines[2].text, "last");
  EXPECT_EQ(lines[2].line, 5);
}

TEST(Lexer, IniErrorsNameFileAndLine) {
  auto ini = IniFile::parse("[A]\nkey value\n", "bad.ini");
  ASSERT_FALSE(ini.ok());
  EXPECT_EQ(ini.error().message, "bad.ini:2: error: expected KEY = VALUE");
}

}  // namespace
}  // namespace rtstep::hal

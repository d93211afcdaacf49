// Success paths: every command rtstep knows, with its parameters.

#include <gtest/gtest.h>

#include "gcode/gcode.hpp"
#include "test_util.hpp"

namespace rtstep::gcode {
namespace {

using testing::parse;

TEST(GcodeCommands, LinearMoveReadsEveryAxisAndFeed) {
  const auto p = parse("G1 X12.345 Y-67.89 Z.5 E-.0123 F3000", 7);
  ASSERT_TRUE(p.ok) << p.error.to_string();
  const Command& c = p.command;
  EXPECT_EQ(c.kind, CommandKind::kG);
  EXPECT_EQ(c.number, 1);
  EXPECT_EQ(c.name, "G1");
  EXPECT_EQ(c.line, 7U);
  EXPECT_TRUE(c.is(CommandKind::kG, 1));
  EXPECT_DOUBLE_EQ(c.get('X'), 12.345);
  EXPECT_DOUBLE_EQ(c.get('Y'), -67.89);
  EXPECT_DOUBLE_EQ(c.get('Z'), 0.5);
  EXPECT_DOUBLE_EQ(c.get('E'), -0.0123);
  EXPECT_DOUBLE_EQ(c.get('F'), 3000.0);
  EXPECT_EQ(c.present, (1U << ('X' - 'A')) | (1U << ('Y' - 'A')) | (1U << ('Z' - 'A')) | (1U << ('E' - 'A')) |
                           (1U << ('F' - 'A')));
  EXPECT_EQ(c.bare, 0U);
  EXPECT_FALSE(c.has('I'));
  EXPECT_DOUBLE_EQ(c.get_or('I', -1.0), -1.0);
}

TEST(GcodeCommands, RapidMoveAndLeadingZeroNumber) {
  const auto p = parse("G00 X1");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.command.is(CommandKind::kG, 0));
  EXPECT_EQ(p.command.name, "G0");
  const auto q = parse("G01 Y2");
  ASSERT_TRUE(q.ok);
  EXPECT_EQ(q.command.name, "G1");
}

TEST(GcodeCommands, NumberForms) {
  const auto p = parse("G1 X+1 Y1. Z-0 E007.50");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('X'), 1.0);
  EXPECT_DOUBLE_EQ(p.command.get('Y'), 1.0);
  EXPECT_DOUBLE_EQ(p.command.get('Z'), 0.0);
  EXPECT_DOUBLE_EQ(p.command.get('E'), 7.5);
}

TEST(GcodeCommands, CompactWordsWithoutSpaces) {
  const auto p = parse("G1X10Y-2.5E.1F1200");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('X'), 10.0);
  EXPECT_DOUBLE_EQ(p.command.get('Y'), -2.5);
  EXPECT_DOUBLE_EQ(p.command.get('E'), 0.1);
  EXPECT_DOUBLE_EQ(p.command.get('F'), 1200.0);
}

TEST(GcodeCommands, ExponentLettersAreTheExtruderWord) {
  // E is an axis, so there is no exponent form: X1e999 is X1 then E999, as in Marlin and Klipper.
  const auto p = parse("G1 X1e999");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('X'), 1.0);
  EXPECT_DOUBLE_EQ(p.command.get('E'), 999.0);
}

TEST(GcodeCommands, SpaceBetweenLetterAndNumber) {
  const auto p = parse("G 1 X 5 Y\t-3");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_TRUE(p.command.is(CommandKind::kG, 1));
  EXPECT_DOUBLE_EQ(p.command.get('X'), 5.0);
  EXPECT_DOUBLE_EQ(p.command.get('Y'), -3.0);
}

TEST(GcodeCommands, LowerCaseLetters) {
  const auto p = parse("g1 x1 y2 f300");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.command.name, "G1");
  EXPECT_DOUBLE_EQ(p.command.get('X'), 1.0);
  EXPECT_DOUBLE_EQ(p.command.get('F'), 300.0);
  const auto m = parse("m104 s200");
  ASSERT_TRUE(m.ok);
  EXPECT_EQ(m.command.name, "M104");
  EXPECT_DOUBLE_EQ(m.command.get('S'), 200.0);
}

TEST(GcodeCommands, ArcWithCentreOffsets) {
  const auto p = parse("G2 X10 Y0 I5 J0 E1.5 F600");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_TRUE(p.command.is(CommandKind::kG, 2));
  EXPECT_DOUBLE_EQ(p.command.get('I'), 5.0);
  EXPECT_TRUE(p.command.has('J'));
  const auto q = parse("G3 I-5");  // a full circle: centre given, end point = start
  ASSERT_TRUE(q.ok) << q.error.to_string();
  EXPECT_TRUE(q.command.is(CommandKind::kG, 3));
}

TEST(GcodeCommands, ArcWithRadius) {
  const auto p = parse("G3 X10 R5");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('R'), 5.0);
  EXPECT_TRUE(parse("G2 Y3 R-5").ok);  // negative R: the long way round
}

TEST(GcodeCommands, Dwell) {
  const auto ms = parse("G4 P500");
  ASSERT_TRUE(ms.ok);
  EXPECT_TRUE(ms.command.is(CommandKind::kG, 4));
  EXPECT_DOUBLE_EQ(ms.command.get('P'), 500.0);
  const auto s = parse("G4 S1.5");
  ASSERT_TRUE(s.ok);
  EXPECT_DOUBLE_EQ(s.command.get('S'), 1.5);
  const auto none = parse("G4");  // Marlin: a zero dwell
  ASSERT_TRUE(none.ok);
  EXPECT_EQ(none.command.present, 0U);
}

TEST(GcodeCommands, ModesWithoutParameters) {
  for (const char* line : {"G20", "G21", "G90", "G91", "M82", "M83", "M107", "M112", "M114", "M400"}) {
    const auto p = parse(line);
    ASSERT_TRUE(p.ok) << line << ": " << p.error.to_string();
    EXPECT_EQ(p.command.name, line);
    EXPECT_NE(p.command.kind, CommandKind::kIgnored) << line;
  }
}

TEST(GcodeCommands, HomeBareAndWithValues) {
  const auto all = parse("G28");
  ASSERT_TRUE(all.ok);
  EXPECT_EQ(all.command.present, 0U);
  const auto bare = parse("G28 X Y");
  ASSERT_TRUE(bare.ok) << bare.error.to_string();
  EXPECT_TRUE(bare.command.has('X'));
  EXPECT_TRUE(bare.command.has('Y'));
  EXPECT_FALSE(bare.command.has('Z'));
  EXPECT_EQ(bare.command.bare, (1U << ('X' - 'A')) | (1U << ('Y' - 'A')));
  const auto valued = parse("G28 X0 Z0");
  ASSERT_TRUE(valued.ok);
  EXPECT_EQ(valued.command.bare, 0U);
  EXPECT_TRUE(valued.command.has('Z'));
}

TEST(GcodeCommands, SetPosition) {
  const auto p = parse("G92 E0");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.command.is(CommandKind::kG, 92));
  EXPECT_TRUE(p.command.has('E'));
  EXPECT_DOUBLE_EQ(p.command.get('E'), 0.0);
  EXPECT_TRUE(parse("G92 X1 Y2 Z3 E4").ok);
}

TEST(GcodeCommands, SteppersOnAndOff) {
  EXPECT_TRUE(parse("M17").ok);
  const auto off = parse("M84 X E");
  ASSERT_TRUE(off.ok) << off.error.to_string();
  EXPECT_TRUE(off.command.is(CommandKind::kM, 84));
  EXPECT_EQ(off.command.bare, (1U << ('X' - 'A')) | (1U << ('E' - 'A')));
  const auto timeout = parse("M18 S60");
  ASSERT_TRUE(timeout.ok);
  EXPECT_DOUBLE_EQ(timeout.command.get('S'), 60.0);
}

TEST(GcodeCommands, Temperatures) {
  for (const char* line : {"M104 S200", "M109 S210", "M140 S60", "M190 S60"}) {
    const auto p = parse(line);
    ASSERT_TRUE(p.ok) << line;
    EXPECT_EQ(p.command.kind, CommandKind::kM);
    EXPECT_TRUE(p.command.has('S'));
  }
  const auto r = parse("M109 R200");  // wait for the temperature, heating or cooling
  ASSERT_TRUE(r.ok);
  EXPECT_DOUBLE_EQ(r.command.get('R'), 200.0);
  const auto tool = parse("M104 T0 S0");  // T: a vendor extra, kept
  ASSERT_TRUE(tool.ok);
  EXPECT_TRUE(tool.command.has('T'));
  EXPECT_DOUBLE_EQ(tool.command.get('S'), 0.0);
}

TEST(GcodeCommands, Fan) {
  const auto p = parse("M106 S255");
  ASSERT_TRUE(p.ok);
  EXPECT_DOUBLE_EQ(p.command.get('S'), 255.0);
  EXPECT_TRUE(parse("M106 S0").ok);
  EXPECT_TRUE(parse("M106").ok);
  EXPECT_TRUE(parse("M106 P1 S127.5").ok);
}

TEST(GcodeCommands, AccelerationLimits) {
  const auto p = parse("M204 P1000 R1000 T1000");  // R: a vendor extra, ignored
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_TRUE(p.command.is(CommandKind::kM, 204));
  EXPECT_DOUBLE_EQ(p.command.get('P'), 1000.0);
  EXPECT_TRUE(parse("M204 S500").ok);
}

TEST(GcodeCommands, FeedAndFlowFactors) {
  const auto feed = parse("M220 S150");
  ASSERT_TRUE(feed.ok);
  EXPECT_DOUBLE_EQ(feed.command.get('S'), 150.0);
  EXPECT_TRUE(parse("M221 S95").ok);
  EXPECT_TRUE(parse("M220").ok);
}

TEST(GcodeCommands, ExtrasOnNonMotionCommandsAreKept) {
  const auto p = parse("M107 P1 Q");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_TRUE(p.command.has('P'));
  EXPECT_TRUE(p.command.has('Q'));
  EXPECT_EQ(p.command.bare, 1U << ('Q' - 'A'));
}

TEST(GcodeCommands, UnknownCommandsAreIgnoredWithTheirName) {
  struct Case {
    const char* line;
    const char* name;
    int32_t number;
  };
  for (const Case& c : {Case{"M73 P50 R10", "M73", 73}, Case{"M201 X500 Y500", "M201", 201},
                        Case{"M900 K0.05", "M900", 900}, Case{"T0", "T0", 0}, Case{"t1", "T1", 1},
                        Case{"G29", "G29", 29}, Case{"G17", "G17", 17}, Case{"M0073", "M73", 73}}) {
    const auto p = parse(c.line);
    ASSERT_TRUE(p.ok) << c.line << ": " << p.error.to_string();
    EXPECT_EQ(p.command.kind, CommandKind::kIgnored) << c.line;
    EXPECT_EQ(p.command.name, c.name);
    EXPECT_EQ(p.command.number, c.number);
    EXPECT_FALSE(p.command.first_ignored);  // only the Reader knows what came before
  }
}

TEST(GcodeCommands, FreeTextOfUnknownCommandsIsNotParsed) {
  const auto p = parse("M117 Hello 1.2.3 X Q# caf\xC3\xA9");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_EQ(p.command.kind, CommandKind::kIgnored);
  EXPECT_EQ(p.command.name, "M117");
  EXPECT_EQ(p.command.present, 0U);
}

}  // namespace
}  // namespace rtstep::gcode

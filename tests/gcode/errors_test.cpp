// Every error path: the exact message, with file, line and column.

#include <gtest/gtest.h>

#include <string>

#include "gcode/gcode.hpp"
#include "test_util.hpp"

namespace rtstep::gcode {
namespace {

using testing::error_of;
using testing::parse;

TEST(GcodeErrors, ToStringFormat) {
  ParseError e{"part.gcode", 812, 7, "bad number \"1.2.3\" for X"};
  EXPECT_EQ(e.to_string(), "part.gcode:812:7: bad number \"1.2.3\" for X");
}

TEST(GcodeErrors, RejectedLineLeavesNoCommand) {
  const auto p = parse("G1 X1 Y1.2.3", 4);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.command.kind, CommandKind::kEmpty);
  EXPECT_EQ(p.command.present, 0U);
  EXPECT_EQ(p.error.file, "part.gcode");
  EXPECT_EQ(p.error.line, 4U);
  EXPECT_EQ(p.error.column, 8U);
  EXPECT_EQ(p.error.message, "bad number \"1.2.3\" for Y");
}

TEST(GcodeErrors, MalformedNumbers) {
  EXPECT_EQ(error_of("G1 X1.2.3", 812), "part.gcode:812:5: bad number \"1.2.3\" for X");
  EXPECT_EQ(error_of("G1 X--1"), "part.gcode:1:5: bad number \"--1\" for X");
  EXPECT_EQ(error_of("G1 X1-2"), "part.gcode:1:5: bad number \"1-2\" for X");
  EXPECT_EQ(error_of("G1 X."), "part.gcode:1:5: bad number \".\" for X");
  EXPECT_EQ(error_of("G1 Y-"), "part.gcode:1:5: bad number \"-\" for Y");
  EXPECT_EQ(error_of("M104 S+-5"), "part.gcode:1:7: bad number \"+-5\" for S");
}

TEST(GcodeErrors, NanAndInfinity) {
  EXPECT_EQ(error_of("G1 X nan"), "part.gcode:1:6: bad number \"nan\" for X");
  EXPECT_EQ(error_of("G1 Xinf"), "part.gcode:1:5: bad number \"inf\" for X");
  EXPECT_EQ(error_of("G1 X-NaN Y1"), "part.gcode:1:5: bad number \"-NaN\" for X");
  EXPECT_EQ(error_of("G1 X1 Y-Infinity"), "part.gcode:1:8: bad number \"-Infinity\" for Y");
}

TEST(GcodeErrors, Overflow) {
  const std::string huge = "1" + std::string(400, '0');
  EXPECT_EQ(error_of("G1 X" + huge), "part.gcode:1:5: bad number \"1" + std::string(39, '0') +
                                         "...\" for X (out of range)");
}

TEST(GcodeErrors, DuplicateParameter) {
  EXPECT_EQ(error_of("G1 X1 Y2 X3"), "part.gcode:1:10: duplicate parameter X");
  EXPECT_EQ(error_of("G1 x1 X3"), "part.gcode:1:7: duplicate parameter X");
  EXPECT_EQ(error_of("M104 S200 S210"), "part.gcode:1:11: duplicate parameter S");
}

TEST(GcodeErrors, MissingNumber) {
  EXPECT_EQ(error_of("G1 X"), "part.gcode:1:4: missing number for X");
  EXPECT_EQ(error_of("G1 X Y1"), "part.gcode:1:4: missing number for X");
  EXPECT_EQ(error_of("G92 E"), "part.gcode:1:5: missing number for E");
  EXPECT_EQ(error_of("M104 S"), "part.gcode:1:6: missing number for S");
  EXPECT_EQ(error_of("G"), "part.gcode:1:1: missing number for G");
  EXPECT_EQ(error_of("N"), "part.gcode:1:1: missing number for N");
  EXPECT_EQ(error_of("M84 S"), "part.gcode:1:5: missing number for S");
}

TEST(GcodeErrors, CommandNumberMustBeAnInteger) {
  EXPECT_EQ(error_of("G1.5 X1"), "part.gcode:1:2: bad command number \"1.5\" for G (must be an integer)");
  EXPECT_EQ(error_of("G91.1"), "part.gcode:1:2: bad command number \"91.1\" for G (must be an integer)");
  EXPECT_EQ(error_of("M-104"), "part.gcode:1:2: bad command number \"-104\" for M (must be an integer)");
  EXPECT_EQ(error_of("T1.5"), "part.gcode:1:2: bad command number \"1.5\" for T (must be an integer)");
  EXPECT_EQ(error_of("G99999999999"),
            "part.gcode:1:2: bad command number \"99999999999\" for G (must be an integer)");
}

TEST(GcodeErrors, BadLineNumber) {
  EXPECT_EQ(error_of("N1.5 G1"), "part.gcode:1:2: bad line number \"1.5\"");
  EXPECT_EQ(error_of("N-3 G1"), "part.gcode:1:2: bad line number \"-3\"");
}

TEST(GcodeErrors, UnexpectedParameterOnMotion) {
  EXPECT_EQ(error_of("G1 X1 Q5"), "part.gcode:1:7: unexpected parameter Q for G1");
  EXPECT_EQ(error_of("G0 I1"), "part.gcode:1:4: unexpected parameter I for G0");
  EXPECT_EQ(error_of("G2 X1 I1 K1"), "part.gcode:1:10: unexpected parameter K for G2");
  EXPECT_EQ(error_of("G3 X1 R1 P2"), "part.gcode:1:10: unexpected parameter P for G3");
  EXPECT_EQ(error_of("G92 F100"), "part.gcode:1:5: unexpected parameter F for G92");
  EXPECT_EQ(error_of("G1 X1 T0"), "part.gcode:1:7: unexpected parameter T for G1");
}

TEST(GcodeErrors, OneCommandPerLine) {
  EXPECT_EQ(error_of("G90 G21"), "part.gcode:1:5: only one command per line: found G21 after G90");
  EXPECT_EQ(error_of("M104 S200 M105"), "part.gcode:1:11: only one command per line: found M105 after M104");
}

TEST(GcodeErrors, FeedRateMustBePositive) {
  EXPECT_EQ(error_of("G1 X1 F0"), "part.gcode:1:8: F must be > 0 for G1 (got 0)");
  EXPECT_EQ(error_of("G0 F-100"), "part.gcode:1:5: F must be > 0 for G0 (got -100)");
  EXPECT_EQ(error_of("G2 X1 I1 F0.0"), "part.gcode:1:11: F must be > 0 for G2 (got 0.0)");
}

TEST(GcodeErrors, ParameterRanges) {
  EXPECT_EQ(error_of("M104 S-5"), "part.gcode:1:7: S must be >= 0 for M104 (got -5)");
  EXPECT_EQ(error_of("M109 R-1"), "part.gcode:1:7: R must be >= 0 for M109 (got -1)");
  EXPECT_EQ(error_of("M140 S-60"), "part.gcode:1:7: S must be >= 0 for M140 (got -60)");
  EXPECT_EQ(error_of("M190 S-1"), "part.gcode:1:7: S must be >= 0 for M190 (got -1)");
  EXPECT_EQ(error_of("M220 S0"), "part.gcode:1:7: S must be > 0 for M220 (got 0)");
  EXPECT_EQ(error_of("M221 S-10"), "part.gcode:1:7: S must be > 0 for M221 (got -10)");
  EXPECT_EQ(error_of("M204 S0"), "part.gcode:1:7: S must be > 0 for M204 (got 0)");
  EXPECT_EQ(error_of("M204 P1000 T-1"), "part.gcode:1:13: T must be > 0 for M204 (got -1)");
  EXPECT_EQ(error_of("M106 S256"), "part.gcode:1:7: S must be in 0..255 for M106 (got 256)");
  EXPECT_EQ(error_of("M106 S-1"), "part.gcode:1:7: S must be in 0..255 for M106 (got -1)");
  EXPECT_EQ(error_of("G4 P-1"), "part.gcode:1:5: P must be >= 0 for G4 (got -1)");
  EXPECT_EQ(error_of("G4 S-0.5"), "part.gcode:1:5: S must be >= 0 for G4 (got -0.5)");
  EXPECT_EQ(error_of("M84 S-1"), "part.gcode:1:6: S must be >= 0 for M84 (got -1)");
}

TEST(GcodeErrors, WholeLineRules) {
  EXPECT_EQ(error_of("G2 X10 Y0"), "part.gcode:1:1: G2 needs I/J (centre offset) or R (radius)");
  EXPECT_EQ(error_of("G3"), "part.gcode:1:1: G3 needs I/J (centre offset) or R (radius)");
  EXPECT_EQ(error_of("G2 X10 I5 R5"), "part.gcode:1:1: G2 takes I/J or R, not both");
  EXPECT_EQ(error_of("  G3 R5"), "part.gcode:1:3: G3 with R needs X or Y (a full circle has no unique centre)");
  EXPECT_EQ(error_of("G2 X1 R0"), "part.gcode:1:1: R must not be 0 for G2");
  EXPECT_EQ(error_of("G4 P100 S1"), "part.gcode:1:1: G4 takes P (ms) or S (s), not both");
  EXPECT_EQ(error_of("M204"), "part.gcode:1:1: M204 needs S, P or T");
  EXPECT_EQ(error_of("M204 R1000"), "part.gcode:1:1: M204 needs S, P or T");
}

TEST(GcodeErrors, UnsupportedMotionIsRefusedNotSkipped) {
  EXPECT_EQ(error_of("G5 I1 J1 P1 Q1 X1 Y1"), "part.gcode:1:1: G5 (spline move) is not supported");
  EXPECT_EQ(error_of("G6 X1"), "part.gcode:1:1: G6 (direct stepper move) is not supported");
  EXPECT_EQ(error_of("G18"), "part.gcode:1:1: G18 (XZ arc plane) is not supported: arcs are in the XY plane only");
  EXPECT_EQ(error_of("G19"), "part.gcode:1:1: G19 (YZ arc plane) is not supported: arcs are in the XY plane only");
}

TEST(GcodeErrors, UnclosedParenComment) {
  EXPECT_EQ(error_of("G1 X1 (never closed"), "part.gcode:1:7: comment \"(\" is not closed on this line");
  EXPECT_EQ(error_of("(open ; then semicolon"), "part.gcode:1:1: comment \"(\" is not closed on this line");
  EXPECT_EQ(error_of("G1 X1 (ok) (bad"), "part.gcode:1:12: comment \"(\" is not closed on this line");
}

TEST(GcodeErrors, BinaryGarbage) {
  using namespace std::string_literals;
  EXPECT_EQ(error_of("G1 X1\0"s), "part.gcode:1:6: unexpected byte 0x00");
  EXPECT_EQ(error_of("\x01G1"), "part.gcode:1:1: unexpected byte 0x01");
  EXPECT_EQ(error_of("G1 X1 ; comment \x1B[0m"), "part.gcode:1:17: unexpected byte 0x1B");
  EXPECT_EQ(error_of("G1 X1 (\x7F)"), "part.gcode:1:8: unexpected byte 0x7F");
  EXPECT_EQ(error_of("G1 X1 \xC3\xA9"), "part.gcode:1:7: unexpected byte 0xC3");
  EXPECT_EQ(error_of("\xFF\xFE"), "part.gcode:1:1: unexpected byte 0xFF");
  EXPECT_EQ(error_of("M117 bell\a"), "part.gcode:1:10: unexpected byte 0x07");
}

TEST(GcodeErrors, GarbageTokens) {
  EXPECT_EQ(error_of("G1 X1 #5"), "part.gcode:1:7: unexpected character '#'");
  EXPECT_EQ(error_of("123"), "part.gcode:1:1: unexpected character '1'");
  EXPECT_EQ(error_of("G1 X1 = 2"), "part.gcode:1:7: unexpected character '='");
  EXPECT_EQ(error_of("G1 X1 Y2 %"), "part.gcode:1:10: unexpected character '%'");
  EXPECT_EQ(error_of("PRINT-START"), "part.gcode:1:6: unexpected character '-' in command name");
}

TEST(GcodeErrors, ParameterWithoutCommand) {
  // Modal `X10 Y10` continues a move in some dialects; guessing which one is dangerous.
  EXPECT_EQ(error_of("X10 Y10"), "part.gcode:1:1: missing command before parameter X");
  EXPECT_EQ(error_of("N5 S100"), "part.gcode:1:4: missing command before parameter S");
}

}  // namespace
}  // namespace rtstep::gcode

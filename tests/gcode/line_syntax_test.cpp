// Line structure: blank lines, comments, line numbers, checksums, line endings.

#include <gtest/gtest.h>

#include <string>

#include "gcode/gcode.hpp"
#include "test_util.hpp"

namespace rtstep::gcode {
namespace {

using testing::error_of;
using testing::parse;

// "N1 G1 X1*" + the XOR of the bytes before '*', the way a host adds it.
std::string with_checksum(std::string_view body) {
  unsigned sum = 0;
  for (char c : body) {
    sum ^= static_cast<unsigned char>(c);
  }
  return std::string(body) + '*' + std::to_string(sum);
}

TEST(GcodeLineSyntax, BlankAndCommentOnlyLinesAreEmpty) {
  for (const char* line : {"", "   ", "\t", "\r", "; a comment", "(a comment)", "  (a) (b) ; c", "N10",
                           "N10 ; numbered comment", "; caf\xC3\xA9 \xE2\x82\xAC"}) {
    const auto p = parse(line, 3);
    ASSERT_TRUE(p.ok) << '"' << line << "\": " << p.error.to_string();
    EXPECT_EQ(p.command.kind, CommandKind::kEmpty) << line;
    EXPECT_EQ(p.command.line, 3U);
  }
}

TEST(GcodeLineSyntax, CommentsAroundAndBetweenWords) {
  const auto p = parse("G1 (move) X1 (then) Y2 ; done X9");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('X'), 1.0);
  EXPECT_DOUBLE_EQ(p.command.get('Y'), 2.0);
  EXPECT_FALSE(p.command.has('Z'));
  const auto semicolon_in_paren = parse("G1 X1 (a;b) Y2");
  ASSERT_TRUE(semicolon_in_paren.ok) << semicolon_in_paren.error.to_string();
  EXPECT_DOUBLE_EQ(semicolon_in_paren.command.get('Y'), 2.0);
  const auto utf8 = parse("G1 X1 (d\xC3\xA9placement) Y2");
  ASSERT_TRUE(utf8.ok) << utf8.error.to_string();
}

TEST(GcodeLineSyntax, LineNumberIsSkipped) {
  const auto p = parse("N123 G1 X5");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.command.is(CommandKind::kG, 1));
  EXPECT_FALSE(p.command.has('N'));
  EXPECT_TRUE(parse("n7G1X5").ok);
}

TEST(GcodeLineSyntax, RightChecksumIsAccepted) {
  const std::string line = with_checksum("N10 G1 X5 Y6");
  const auto p = parse(line);
  ASSERT_TRUE(p.ok) << line << ": " << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('Y'), 6.0);
  const auto commented = parse(with_checksum("N11 M104 S200") + " ; set hot end");
  ASSERT_TRUE(commented.ok) << commented.error.to_string();
  EXPECT_DOUBLE_EQ(commented.command.get('S'), 200.0);
}

TEST(GcodeLineSyntax, ChecksumOfAKnownLine) {
  // Worked by hand: the XOR of "N1 G28" is 0x4E^0x31^0x20^0x47^0x32^0x38 = 0x12 = 18.
  EXPECT_TRUE(parse("N1 G28*18").ok);
  EXPECT_EQ(error_of("N1 G28*12", 9), "part.gcode:9:7: checksum mismatch: line says 12, computed 18");
}

TEST(GcodeLineSyntax, BadChecksumText) {
  EXPECT_EQ(error_of("N1 G28*"), "part.gcode:1:7: missing checksum after '*'");
  EXPECT_EQ(error_of("N1 G28*1x"), "part.gcode:1:7: bad checksum \"1x\"");
  EXPECT_EQ(error_of("G1 X1*12 Y2"), "part.gcode:1:6: bad checksum \"12 Y2\"");
}

TEST(GcodeLineSyntax, CarriageReturnIsBlank) {
  const auto p = parse("G1 X1\r");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('X'), 1.0);
}

TEST(GcodeLineSyntax, TabsSeparateWords) {
  const auto p = parse("\tG1\tX1\tY2");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('Y'), 2.0);
}

TEST(GcodeLineSyntax, ExactlyMaxLengthLineParses) {
  std::string line = "G1 X1 ;";
  line.resize(kMaxLineLength, 'c');
  const auto p = parse(line);
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_DOUBLE_EQ(p.command.get('X'), 1.0);
}

}  // namespace
}  // namespace rtstep::gcode

// Klipper-style extended commands: NAME KEY=VALUE.

#include <gtest/gtest.h>

#include "gcode/gcode.hpp"
#include "test_util.hpp"

namespace rtstep::gcode {
namespace {

using testing::error_of;
using testing::parse;

TEST(GcodeExtended, SetVelocityLimitWithEveryParameter) {
  const auto p = parse("SET_VELOCITY_LIMIT VELOCITY=300 ACCEL=3000 SQUARE_CORNER_VELOCITY=5 MINIMUM_CRUISE_RATIO=0.5");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  const Command& c = p.command;
  EXPECT_EQ(c.kind, CommandKind::kExtended);
  EXPECT_EQ(c.name, "SET_VELOCITY_LIMIT");
  EXPECT_EQ(c.number, 0);
  ASSERT_EQ(c.params.size(), 4U);
  EXPECT_EQ(c.param("VELOCITY"), "300");
  EXPECT_EQ(c.param("ACCEL"), "3000");
  EXPECT_EQ(c.param("SQUARE_CORNER_VELOCITY"), "5");
  EXPECT_EQ(c.param("MINIMUM_CRUISE_RATIO"), "0.5");
  EXPECT_EQ(c.param("ACCEL_TO_DECEL"), "");
  EXPECT_EQ(c.present, 0U);
}

TEST(GcodeExtended, NamesAndKeysAreUpperCasedValuesAreNot) {
  const auto p = parse("set_velocity_limit accel=1e4 Velocity='250.5'");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_EQ(p.command.name, "SET_VELOCITY_LIMIT");
  ASSERT_EQ(p.command.params.size(), 2U);
  EXPECT_EQ(p.command.params[0].key, "ACCEL");
  EXPECT_EQ(p.command.params[0].value, "1e4");
  EXPECT_EQ(p.command.params[1].key, "VELOCITY");
  EXPECT_EQ(p.command.params[1].value, "250.5");
}

TEST(GcodeExtended, QuotedValuesAndComments) {
  const auto p = parse("N4 SET_VELOCITY_LIMIT ACCEL=\"500\" (slow down) ; for the first layer");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_EQ(p.command.param("ACCEL"), "500");
  EXPECT_EQ(p.command.params.size(), 1U);
}

TEST(GcodeExtended, AccelToDecelIsAcceptedAlone) {
  const auto p = parse("SET_VELOCITY_LIMIT ACCEL_TO_DECEL=1500");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_EQ(p.command.param("ACCEL_TO_DECEL"), "1500");
}

TEST(GcodeExtended, NoParametersIsAQuery) {
  const auto p = parse("SET_VELOCITY_LIMIT");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.command.kind, CommandKind::kExtended);
  EXPECT_TRUE(p.command.params.empty());
  const auto g = parse("get_position");
  ASSERT_TRUE(g.ok);
  EXPECT_EQ(g.command.kind, CommandKind::kExtended);
  EXPECT_EQ(g.command.name, "GET_POSITION");
}

TEST(GcodeExtended, UnknownExtendedCommandsAreIgnoredUnparsed) {
  const auto p = parse("print_start EXTRUDER=200 BED=60 \"odd 'text");
  ASSERT_TRUE(p.ok) << p.error.to_string();
  EXPECT_EQ(p.command.kind, CommandKind::kIgnored);
  EXPECT_EQ(p.command.name, "PRINT_START");
  EXPECT_TRUE(p.command.params.empty());
  const auto mesh = parse("BED_MESH_CALIBRATE");
  ASSERT_TRUE(mesh.ok);
  EXPECT_EQ(mesh.command.name, "BED_MESH_CALIBRATE");
}

TEST(GcodeExtended, BadValues) {
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=abc"), "part.gcode:1:26: bad number \"abc\" for ACCEL");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=nan"), "part.gcode:1:26: bad number \"nan\" for ACCEL");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT VELOCITY=inf"), "part.gcode:1:29: bad number \"inf\" for VELOCITY");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=1e999"),
            "part.gcode:1:26: bad number \"1e999\" for ACCEL (out of range)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=+-1"), "part.gcode:1:26: bad number \"+-1\" for ACCEL");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL="), "part.gcode:1:26: missing value for ACCEL");
}

TEST(GcodeExtended, ValueRanges) {
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT VELOCITY=0"),
            "part.gcode:1:29: VELOCITY must be > 0 for SET_VELOCITY_LIMIT (got 0)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=-5"), "part.gcode:1:26: ACCEL must be > 0 for SET_VELOCITY_LIMIT (got -5)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT SQUARE_CORNER_VELOCITY=-1"),
            "part.gcode:1:43: SQUARE_CORNER_VELOCITY must be >= 0 for SET_VELOCITY_LIMIT (got -1)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT MINIMUM_CRUISE_RATIO=1"),
            "part.gcode:1:41: MINIMUM_CRUISE_RATIO must be >= 0 and < 1 for SET_VELOCITY_LIMIT (got 1)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL_TO_DECEL=0"),
            "part.gcode:1:35: ACCEL_TO_DECEL must be > 0 for SET_VELOCITY_LIMIT (got 0)");
  EXPECT_TRUE(parse("SET_VELOCITY_LIMIT SQUARE_CORNER_VELOCITY=0 MINIMUM_CRUISE_RATIO=0").ok);
}

TEST(GcodeExtended, MalformedParameters) {
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL 3000"),
            "part.gcode:1:20: malformed parameter \"ACCEL\" (expected KEY=VALUE)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=3000 VELOCITY"),
            "part.gcode:1:31: malformed parameter \"VELOCITY\" (expected KEY=VALUE)");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT =5"), "part.gcode:1:20: unexpected character '='");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=\"3000"), "part.gcode:1:26: unterminated quote");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=\"3000\"x"), "part.gcode:1:32: unexpected character 'x'");
}

TEST(GcodeExtended, UnknownAndDuplicateKeys) {
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT VELOCTY=300"),
            "part.gcode:1:20: unexpected parameter VELOCTY for SET_VELOCITY_LIMIT");
  EXPECT_EQ(error_of("GET_POSITION X=1"), "part.gcode:1:14: unexpected parameter X for GET_POSITION");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL=1 accel=2"), "part.gcode:1:28: duplicate parameter ACCEL");
  EXPECT_EQ(error_of("SET_VELOCITY_LIMIT ACCEL_TO_DECEL=1000 MINIMUM_CRUISE_RATIO=0.5"),
            "part.gcode:1:40: give MINIMUM_CRUISE_RATIO or ACCEL_TO_DECEL, not both");
}

}  // namespace
}  // namespace rtstep::gcode

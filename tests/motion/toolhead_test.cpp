#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gcode/gcode.hpp"
#include "motion/motion.hpp"
#include "test_machine.hpp"

namespace rtstep::motion {
namespace {

struct Recorder final : MoveSink {
  std::vector<Move> moves;
  std::vector<std::pair<std::size_t, bool>> enables;
  Status on_move(const Move& m) override { moves.push_back(m); return Ok{}; }
  Status on_enable(std::size_t stepper, bool enabled, double) override {
    enables.emplace_back(stepper, enabled);
    return Ok{};
  }
};

class ToolheadTest : public ::testing::Test {
 protected:
  config::MachineConfig machine = testing::test_machine();
  Recorder sink;
  Toolhead toolhead{machine, *Kinematics::create(machine), sink, "part.gcode"};
  uint32_t line = 0;

  // Parses and executes one line; returns the error message, or "" on success.
  std::string exec(const std::string& text) {
    gcode::LineScratch scratch;
    gcode::Command cmd;
    gcode::ParseError error;
    if (!gcode::parse_line(text, ++line, "part.gcode", scratch, cmd, error)) return "parse: " + error.to_string();
    std::string reply;
    auto done = toolhead.execute(cmd, reply);
    return done.ok() ? std::string() : done.error().message;
  }
  void ok(const std::string& text) { ASSERT_EQ(exec(text), "") << text; }
};

TEST_F(ToolheadTest, MoveBeforeHomingIsRefused) {
  EXPECT_EQ(exec("G1 X10 F600"), "part.gcode:1: must home axis first: X");
  EXPECT_TRUE(sink.moves.empty());
}

TEST_F(ToolheadTest, AbsoluteAndRelativeMoves) {
  ok("G28");
  ok("G90");
  ok("G1 X10 Y20 F6000");
  ok("G91");
  ok("G1 X5 Y-5");
  ok("M400");
  EXPECT_DOUBLE_EQ(toolhead.position()[kX], 15);
  EXPECT_DOUBLE_EQ(toolhead.position()[kY], 15);
  ASSERT_EQ(sink.moves.size(), 2u);
  EXPECT_EQ(sink.moves[1].line, 5u);
  EXPECT_DOUBLE_EQ(sink.moves[1].start_time, sink.moves[0].end_time());
}

TEST_F(ToolheadTest, OutOfRangeMoveEmitsNothingAndKeepsState) {
  ok("G28");
  EXPECT_EQ(exec("G1 X251 F6000"), "part.gcode:2: move out of range: X=251.000 (max 235.000)");
  EXPECT_EQ(exec("G1 Y-1"), "part.gcode:3: move out of range: Y=-1.000 (min 0.000)");
  EXPECT_TRUE(sink.moves.empty());
  ok("G1 X1");  // the rejected lines changed nothing: X1 is absolute from 0
  EXPECT_DOUBLE_EQ(toolhead.position()[kX], 1);
}

TEST_F(ToolheadTest, G92ShiftsTheLogicalOriginWithoutMoving) {
  ok("G28");
  ok("G1 X50 F6000");
  ok("G92 X0");
  ok("M400");
  EXPECT_EQ(sink.moves.size(), 1u);
  ok("G1 X10");
  EXPECT_DOUBLE_EQ(toolhead.position()[kX], 60);
}

TEST_F(ToolheadTest, ExtrusionModesAndFactor) {
  ok("G28");
  ok("M82");
  ok("G1 X10 E2 F1200");
  ok("G1 X20 E3");
  EXPECT_DOUBLE_EQ(toolhead.position()[kE], 3);
  ok("M83");
  ok("M221 S50");
  ok("G1 X30 E2");
  EXPECT_DOUBLE_EQ(toolhead.position()[kE], 4);
}

TEST_F(ToolheadTest, InchesScaleAxesButNotFeedOfE) {
  ok("G28");
  ok("G20");
  ok("G1 X1 F60");
  ok("M400");
  EXPECT_DOUBLE_EQ(toolhead.position()[kX], 25.4);
  ASSERT_EQ(sink.moves.size(), 1u);
  EXPECT_NEAR(sink.moves[0].cruise_v, 25.4, 1e-9);  // F60 in/min = 1 in/s
}

TEST_F(ToolheadTest, SpeedIsCappedByMaxVelocityAndZLimits) {
  ok("G28");
  ok("G1 X200 F60000");  // 1000 mm/s asked, 300 allowed
  ok("M400");
  EXPECT_NEAR(sink.moves.back().cruise_v, 300, 1e-9);
  ok("G1 Z10 F6000");  // 100 mm/s asked, max_z_velocity 5
  ok("M400");
  EXPECT_NEAR(sink.moves.back().cruise_v, 5, 1e-9);
  EXPECT_NEAR(sink.moves.back().accel, 100, 1e-9);
}

// minimum_cruise_ratio as Klipper applies it: a move's accel-to-decel bound is min(max_accel * (1 - ratio),
// the move's own acceleration). A lone 0.2 mm Z move (100 mm/s^2, against 3000 * 0.5) is therefore a plain
// triangle, 2 sqrt(d / a) long; scaling its own acceleration by (1 - ratio) made it 6 % longer.
TEST_F(ToolheadTest, MinimumCruiseRatioLeavesALimitedAccelerationMoveItsOwnAcceleration) {
  ok("G28");
  ok("G91");
  ok("G1 Z0.2 F600");
  ok("M400");
  const Move& z = sink.moves.back();
  EXPECT_NEAR(z.accel, 100, 1e-9);
  EXPECT_NEAR(z.duration(), 2 * std::sqrt(0.2 / 100), 1e-9);
  EXPECT_NEAR(z.cruise_t, 0, 1e-9);
}

// Klipper's extruder check_move: a retraction during travel is held to the extrude-only limits too, scaled
// by how much E moves per mm of the move; an extrusion with travel is not.
TEST_F(ToolheadTest, ARetractionDuringTravelKeepsTheExtrudeOnlyLimits) {
  machine.motion.max_extrude_only_velocity = 20;
  machine.motion.max_extrude_only_accel = 500;
  ok("G28");
  ok("M83");
  ok("G1 X10 E-5 F60000");  // E 0.5 mm per mm of travel: at most 40 mm/s and 1000 mm/s^2
  ok("M400");
  EXPECT_NEAR(sink.moves.back().accel, 1000, 1e-6);
  EXPECT_LE(sink.moves.back().cruise_v, 40 + 1e-9);
  ok("G1 X20 E0.5 F60000");  // extruding while travelling: the toolhead's limits
  ok("M400");
  EXPECT_NEAR(sink.moves.back().accel, 3000, 1e-6);
  // A retraction longer than max_extrude_only_distance (50 mm) is refused, with travel or not.
  EXPECT_NE(exec("G1 X30 E-60").find("max_extrude_only_distance"), std::string::npos);
}

TEST_F(ToolheadTest, SpeedFactorAndVelocityLimit) {
  ok("G28");
  ok("M220 S50");
  ok("G1 X100 F6000");
  ok("M400");
  EXPECT_NEAR(sink.moves.back().cruise_v, 50, 1e-9);
  ok("SET_VELOCITY_LIMIT VELOCITY=20 ACCEL=500");
  ok("G1 X0");
  ok("M400");
  EXPECT_NEAR(sink.moves.back().cruise_v, 20, 1e-9);
  EXPECT_NEAR(sink.moves.back().accel, 500, 1e-9);
  ok("M204 S1000");
  ok("G1 X100");
  ok("M400");
  EXPECT_NEAR(sink.moves.back().accel, 1000, 1e-9);
}

TEST_F(ToolheadTest, ExtrudeOnlyMoveLongerThanTheLimitIsRefused) {
  ok("G28");
  ok("M83");
  EXPECT_EQ(exec("G1 E60 F300"),
            "part.gcode:3: extrude only move too long (60.000 mm > max_extrude_only_distance 50.000 mm)");
  ok("G1 E40 F300");
  ok("M400");
  EXPECT_DOUBLE_EQ(sink.moves.back().distance, 40);
}

TEST_F(ToolheadTest, HomingReturnsToTheEndstopWithRealMotion) {
  ok("G28");
  ok("G1 X100 F6000");
  ok("G28 X");
  // Approach at homing_speed until the virtual endstop trips, retract 5 mm, re-approach at second_homing_speed.
  ASSERT_EQ(sink.moves.size(), 4u);
  EXPECT_DOUBLE_EQ(toolhead.position()[kX], 0);
  EXPECT_NEAR(sink.moves[1].cruise_v, 50, 1e-9);
  EXPECT_NEAR(sink.moves[1].distance, 100, 1e-9);
  EXPECT_NEAR(sink.moves[2].distance, 5, 1e-9);
  EXPECT_NEAR(sink.moves[3].cruise_v, 2.5, 1e-9);
  EXPECT_NEAR(sink.moves[3].end[kX], 0, 1e-9);
}

TEST_F(ToolheadTest, MotorsOffForgetsHomingAndMovesEnableSteppers) {
  ok("G28");
  ok("G1 X10 F6000");
  ok("M400");
  ASSERT_FALSE(sink.enables.empty());
  EXPECT_EQ(sink.enables[0], (std::pair<std::size_t, bool>{0, true}));
  ok("M84");
  EXPECT_EQ(exec("G1 X20"), "part.gcode:5: must home axis first: X");
}

TEST_F(ToolheadTest, FeedRateOnlyLineMovesNothing) {
  ok("G28");
  ok("G1 F1200");
  EXPECT_TRUE(sink.moves.empty());
  ok("G1 X12");
  ok("M400");
  EXPECT_NEAR(sink.moves.back().cruise_v, 20, 1e-9);
}

TEST_F(ToolheadTest, DwellAdvancesPrintTime) {
  ok("G4 P250");
  EXPECT_DOUBLE_EQ(toolhead.print_time(), 0.25);
  ok("G4 S1");
  EXPECT_DOUBLE_EQ(toolhead.print_time(), 1.25);
}

TEST_F(ToolheadTest, EmergencyStopIsAnError) {
  EXPECT_EQ(exec("M112"), "part.gcode:1: emergency stop (M112)");
}

TEST_F(ToolheadTest, PositionReport) {
  ok("G28");
  ok("G1 X12.5 Y7 F6000");
  gcode::LineScratch scratch;
  gcode::Command cmd;
  gcode::ParseError error;
  ASSERT_TRUE(gcode::parse_line("M114", 9, "part.gcode", scratch, cmd, error));
  std::string reply;
  ASSERT_TRUE(toolhead.execute(cmd, reply).ok());
  EXPECT_EQ(reply.substr(0, reply.find('\n')), "X:12.500 Y:7.000 Z:0.000 E:0.000");
}

}  // namespace
}  // namespace rtstep::motion

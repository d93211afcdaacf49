// The look-ahead planner seen from the toolhead: when moves leave the queue, junction speeds, limits,
// and the no-ops and errors of bad moves.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "recorder.hpp"

namespace rtstep::motion {
namespace {

using testing::ToolheadRig;

TEST(Planner, MovesWaitForLookAheadAndFlushOnM400G4AndFinish) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 X10 F6000", "G1 X20"});
  EXPECT_TRUE(rig.sink.moves.empty());  // a later move could still let them go faster
  rig.run({"M400"});
  ASSERT_EQ(rig.sink.moves.size(), 2u);
  EXPECT_NEAR(rig.sink.moves[0].end_v, 100, 1e-9);  // straight on at full speed
  EXPECT_NEAR(rig.sink.moves[1].end_v, 0, 1e-12);   // the flush ends at rest
  rig.run({"G1 X30", "G4 P100"});
  EXPECT_EQ(rig.sink.moves.size(), 3u);
  rig.run({"G1 X40"});
  ASSERT_TRUE(rig.toolhead.finish().ok());
  EXPECT_EQ(rig.sink.moves.size(), 4u);
  EXPECT_NEAR(rig.toolhead.print_time(), rig.sink.moves.back().end_time(), 1e-12);
}

TEST(Planner, AFullWindowFlushesWithoutWaitingForTheEnd) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 F6000"});
  // 2 mm moves at 100 mm/s: the 0.25 s window holds about 12 of them.
  for (int i = 1; i <= 100; ++i) ASSERT_EQ(rig.exec(fmt::format("G1 X{}", 2 * i)), "");
  EXPECT_GT(rig.sink.moves.size(), 50u);
  for (std::size_t i = 1; i + 1 < rig.sink.moves.size(); ++i) {
    EXPECT_NEAR(rig.sink.moves[i].start_time, rig.sink.moves[i - 1].end_time(), 1e-12);
    EXPECT_NEAR(rig.sink.moves[i].start_v, rig.sink.moves[i - 1].end_v, 1e-9);
  }
}

TEST(Planner, JunctionSpeedDependsOnTheAngle) {
  // 90 degrees: square_corner_velocity. Shallower turns are faster, sharper ones slower.
  double corner[3];
  const char* second[3] = {"G1 X60 Y10", "G1 X50 Y10", "G1 X40 Y10"};  // 45, 90 and 135 degree turns
  for (int i = 0; i < 3; ++i) {
    ToolheadRig rig(testing::test_machine());
    rig.run({"G28", "G1 X50 F6000", second[i], "M400"});
    corner[i] = rig.sink.moves[0].end_v;
    EXPECT_NEAR(rig.sink.moves[1].start_v, corner[i], 1e-12);
  }
  EXPECT_NEAR(corner[1], 5, 1e-9);
  EXPECT_GT(corner[0], corner[1]);
  EXPECT_LT(corner[2], corner[1]);
}

TEST(Planner, ExtrudeOnlyMovesStartAndEndAtRest) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "M83", "G1 X10 E1 F6000", "G1 E-1", "G1 X20 E1", "M400"});
  ASSERT_EQ(rig.sink.moves.size(), 3u);
  EXPECT_NEAR(rig.sink.moves[0].end_v, 0, 1e-12);
  EXPECT_NEAR(rig.sink.moves[2].start_v, 0, 1e-12);
}

TEST(Planner, ExtruderSpeedJumpLimitsTheJunction) {
  // instant_corner_velocity 1 mm/s: going straight on from extruding to not extruding (E ratio 0.1 -> 0)
  // may change E's speed by at most 1 mm/s, so the junction is at most 1 / 0.1 = 10 mm/s.
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "M83", "G1 X10 E1 F6000", "G1 X20", "M400"});
  EXPECT_NEAR(rig.sink.moves[0].end_v, 10, 1e-9);
}

TEST(Planner, ZeroLengthMovesAreNoOpsAndFeedRateStillChanges) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 X0 Y0 F1200", "G1", "M400"});
  EXPECT_TRUE(rig.sink.moves.empty());
  rig.run({"G1 X12", "M400"});
  EXPECT_NEAR(rig.sink.moves.back().cruise_v, 20, 1e-9);
}

TEST(Planner, NaNAndInfiniteCoordinatesAreRefusedByTheParser) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28"});
  EXPECT_EQ(rig.exec("G1 Xnan").rfind("parse: part.gcode:2:", 0), 0u);
  EXPECT_EQ(rig.exec("G1 Yinf").rfind("parse: part.gcode:3:", 0), 0u);
  rig.run({"M400"});
  EXPECT_TRUE(rig.sink.moves.empty());
}

TEST(Planner, BadLimitsAreRefusedWithTheLine) {
  ToolheadRig rig(testing::test_machine());
  EXPECT_EQ(rig.exec("SET_VELOCITY_LIMIT VELOCITY=0"),
            "parse: part.gcode:1:29: VELOCITY must be > 0 for SET_VELOCITY_LIMIT (got 0)");
  EXPECT_EQ(rig.exec("M204 S0").rfind("parse: part.gcode:2:", 0), 0u);
  // Limits that are accepted take effect on the next move.
  rig.run({"G28", "SET_VELOCITY_LIMIT VELOCITY=40 ACCEL=1000 MINIMUM_CRUISE_RATIO=0", "G1 X100 F6000", "M400"});
  EXPECT_NEAR(rig.sink.moves.back().cruise_v, 40, 1e-9);
  EXPECT_NEAR(rig.sink.moves.back().accel, 1000, 1e-9);
}

}  // namespace
}  // namespace rtstep::motion

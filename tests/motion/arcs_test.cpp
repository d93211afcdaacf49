// G2/G3: geometry of the segments, helical components, and the errors of bad arcs.
#include <gtest/gtest.h>

#include <cmath>

#include "recorder.hpp"

namespace rtstep::motion {
namespace {

using testing::ToolheadRig;

TEST(Arcs, SegmentsLieOnTheCircleAndAreNoLongerThanTheResolution) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 X50 Y50 F6000", "G2 X70 Y70 I20 J0", "M400"});
  // Clockwise from (50,50) around (70,50) to (70,70): a quarter circle of radius 20 through (52.7, 60).
  ASSERT_GT(rig.sink.moves.size(), 30u);  // 31.4 mm of arc at 1 mm resolution
  for (std::size_t i = 1; i < rig.sink.moves.size(); ++i) {
    const Move& m = rig.sink.moves[i];
    EXPECT_NEAR(std::hypot(m.end[kX] - 70, m.end[kY] - 50), 20, 1e-9);
    EXPECT_LE(m.distance, 1.0 + 1e-9);
    EXPECT_LE(m.end[kX], 70 + 1e-9);
    EXPECT_GE(m.end[kY], 50 - 1e-9);
  }
  EXPECT_DOUBLE_EQ(rig.toolhead.position()[kX], 70);
  EXPECT_DOUBLE_EQ(rig.toolhead.position()[kY], 70);
}

TEST(Arcs, ResolutionComesFromTheConfig) {
  auto machine = testing::test_machine();
  machine.motion.arc_resolution = 5;
  ToolheadRig rig(machine);
  rig.run({"G28", "G1 X50 Y50 F6000", "G3 X50 Y50 I10 J0", "M400"});  // full circle, 62.8 mm
  EXPECT_EQ(rig.sink.moves.size(), 1u + 13u);
}

TEST(Arcs, HelicalZAndEAreSpreadAlongTheArc) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 X50 Y50 F6000", "M83", "G2 X50 Y50 I10 J0 Z4 E8", "M400"});
  const std::size_t n = rig.sink.moves.size() - 1;
  for (std::size_t i = 1; i <= n; ++i) {
    const Move& m = rig.sink.moves[i];
    EXPECT_NEAR(m.end[kZ], 4.0 * static_cast<double>(i) / static_cast<double>(n), 1e-9);
    EXPECT_NEAR(m.end[kE], 8.0 * static_cast<double>(i) / static_cast<double>(n), 1e-9);
  }
}

TEST(Arcs, RadiusFormPicksTheShortOrTheLongArc) {
  ToolheadRig rig(testing::test_machine());
  // From (50,50) to (70,50) with R 10: a half circle around (60,50); counter-clockwise goes below the chord.
  rig.run({"G28", "G1 X50 Y50 F6000", "G3 X70 Y50 R10", "M400"});
  double min_y = 100;
  for (const Move& m : rig.sink.moves) min_y = std::min(min_y, m.end[kY]);
  EXPECT_NEAR(min_y, 40, 0.05);
  // R 20 vs R -20 from (70,50) to (50,50), clockwise: the short arc (above the chord... of 20 mm of chord)
  // or the long way round the same-radius circle.
  const std::size_t first = rig.sink.moves.size();
  rig.run({"G2 X50 Y50 R20", "M400"});
  double short_arc = 0;
  for (std::size_t i = first; i < rig.sink.moves.size(); ++i) short_arc += rig.sink.moves[i].distance;
  const std::size_t second = rig.sink.moves.size();
  rig.run({"G2 X70 Y50 R-20", "M400"});
  double long_arc = 0;
  for (std::size_t i = second; i < rig.sink.moves.size(); ++i) long_arc += rig.sink.moves[i].distance;
  // The chord of 20 mm subtends 2 asin(0.5) = 60 degrees of a radius-20 circle: 20.94 mm, or 104.72 the long way.
  EXPECT_NEAR(short_arc, 20 * M_PI / 3, 0.01);
  EXPECT_NEAR(long_arc, 20 * 5 * M_PI / 3, 0.05);
  EXPECT_DOUBLE_EQ(rig.toolhead.position()[kX], 70);
}

TEST(Arcs, BadArcsAreErrorsAndMoveNothing) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 X50 Y50 F6000", "G2 X60 Y50 I5 J0", "M400"});  // a valid half circle to (60,50)
  const std::size_t before = rig.sink.moves.size();
  EXPECT_EQ(rig.exec("G2 X70 Y50 I2 J0"),
            "part.gcode:5: arc radius is inconsistent: 2.000 mm at the start, 8.000 mm at the end");
  EXPECT_EQ(rig.exec("G2 X80 Y50 I5 J0"),
            "part.gcode:6: arc radius is inconsistent: 5.000 mm at the start, 15.000 mm at the end");
  EXPECT_EQ(rig.exec("G2 X100 Y50 R10"),
            "part.gcode:7: arc radius R=10.000 is too small for the 40.000 mm between start and end");
  EXPECT_EQ(rig.exec("G2 X70 Y60 I0 J0"), "part.gcode:8: arc radius is zero (I and J are both 0)");
  // A full circle of radius 40 around (20,50) would reach X = -20: refused, nothing of it queued.
  const std::string out = rig.exec("G2 I-40 J0");
  EXPECT_EQ(out.rfind("part.gcode:9: move out of range: X=-", 0), 0u) << out;
  EXPECT_NE(out.find("(min 0.000)"), std::string::npos) << out;
  rig.run({"M400"});
  EXPECT_EQ(rig.sink.moves.size(), before);
  EXPECT_DOUBLE_EQ(rig.toolhead.position()[kX], 60);
}

}  // namespace
}  // namespace rtstep::motion

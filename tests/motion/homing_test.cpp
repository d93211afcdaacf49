// G28 against the virtual endstops ([sim] start_position_*) and against any EndstopTripSource.
#include <gtest/gtest.h>

#include <cmath>

#include "recorder.hpp"

namespace rtstep::motion {
namespace {

using testing::ToolheadRig;

TEST(Homing, CarriageOnTheEndstopIsHomedInPlace) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28"});
  EXPECT_TRUE(rig.sink.moves.empty());
  EXPECT_EQ(rig.exec("G1 X10 F6000"), "");
}

TEST(Homing, CarriageElsewhereApproachesRetractsAndReapproaches) {
  auto machine = testing::test_machine();
  machine.motion.sim_start_position[0] = 100;
  machine.motion.sim_start_position[2] = 20;
  ToolheadRig rig(machine);
  EXPECT_DOUBLE_EQ(initial_position(rig.machine)[kX], 100);
  rig.run({"G28 X"});
  ASSERT_EQ(rig.sink.moves.size(), 3u);
  const Move& approach = rig.sink.moves[0];
  EXPECT_NEAR(approach.distance, 100, 1e-9);       // stopped by the switch, not at the end of the search
  EXPECT_NEAR(approach.cruise_v, 50, 1e-9);        // homing_speed
  EXPECT_NEAR(approach.end_v, 50, 1e-9);           // the trip stops the steppers at speed
  EXPECT_NEAR(approach.decel_t, 0, 1e-12);
  EXPECT_NEAR(rig.sink.moves[1].end[kX], 5, 1e-9);  // homing_retract_dist
  EXPECT_NEAR(rig.sink.moves[2].end[kX], 0, 1e-9);
  EXPECT_NEAR(rig.sink.moves[2].cruise_v, 2.5, 1e-9);  // second_homing_speed
  // Z is not homed yet; X is.
  EXPECT_EQ(rig.exec("G1 Z5"), "part.gcode:2: must home axis first: Z");
  rig.run({"G28 Z"});
  EXPECT_NEAR(rig.sink.moves[3].cruise_v, 5, 1e-9);  // homing_speed 50 capped by max_z_velocity
  EXPECT_DOUBLE_EQ(rig.toolhead.position()[kZ], 0);
}

// A trip source standing in for a hardware endstop input: trips a fixed distance into every homing move.
struct FixedTrip final : EndstopTripSource {
  double at = 0;
  int calls = 0;
  std::optional<double> trip_distance(std::size_t, const Move& move) override {
    ++calls;
    if (at > move.distance) return std::nullopt;
    return at;
  }
};

TEST(Homing, TheTripSourceDecidesWhereTheCarriageStops) {
  auto machine = testing::test_machine();
  machine.motion.sim_start_position[1] = 50;
  FixedTrip trip;
  trip.at = 3;
  ToolheadRig rig(machine, &trip);
  rig.run({"G28 Y"});
  EXPECT_EQ(trip.calls, 2);
  ASSERT_EQ(rig.sink.moves.size(), 3u);
  EXPECT_NEAR(rig.sink.moves[0].distance, 3, 1e-9);
  EXPECT_DOUBLE_EQ(rig.toolhead.position()[kY], 0);  // where it trips is position_endstop by definition
}

TEST(Homing, AnEndstopThatNeverTripsIsAnError) {
  auto machine = testing::test_machine();
  machine.motion.sim_start_position[0] = 100;
  FixedTrip trip;
  trip.at = 1e9;
  ToolheadRig rig(machine, &trip);
  EXPECT_EQ(rig.exec("G28 X"), "part.gcode:1: homing X: endstop did not trigger within 352.500 mm");
  EXPECT_TRUE(rig.sink.moves.empty());
  EXPECT_EQ(rig.exec("G1 X10 F600"), "part.gcode:2: must home axis first: X");
}

}  // namespace
}  // namespace rtstep::motion

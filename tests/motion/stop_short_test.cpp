// Toolhead::stop_short (pause, cancel, SIGTERM): the toolhead stops within the moves it had left, from the
// speed the motion already sent ends at, and the moves it did not make come back whole with
// replay_deferred(). Deterministic: the toolhead alone, with a recording sink.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "recorder.hpp"

namespace rtstep::motion {
namespace {

using testing::ToolheadRig;

// Total machine E and XY path length of what was sent.
struct Totals {
  double e = 0, path = 0;
};
Totals totals(const std::vector<Move>& moves) {
  Totals t;
  for (const Move& m : moves) {
    t.e += m.end[kE] - m.start[kE];
    t.path += std::hypot(m.end[kX] - m.start[kX], m.end[kY] - m.start[kY]);
  }
  return t;
}

// A long run of 2 mm extruding moves at full speed: the planner sends them lazily, so at any line the
// queue holds moves not yet sent while the last sent one ends at speed.
void long_run(ToolheadRig& rig, int moves) {
  rig.run({"G28", "G90", "M83", "G1 F6000"});
  for (int i = 1; i <= moves; ++i) ASSERT_EQ(rig.exec(fmt::format("G1 X{} E0.1", 2 * i)), "");
}

TEST(StopShort, StopsWithinWhatWasLeftAndEndsAtRest) {
  ToolheadRig rig(testing::test_machine());
  ASSERT_NO_FATAL_FAILURE(long_run(rig, 60));
  const std::size_t sent_before = rig.sink.moves.size();
  ASSERT_GT(sent_before, 0u);
  const double entry_v = rig.sink.moves.back().end_v;
  ASSERT_GT(entry_v, 0);  // sent moves end at speed: stopping needs some of the queued ones
  ASSERT_TRUE(rig.toolhead.stop_short().ok());
  EXPECT_TRUE(rig.toolhead.has_deferred());
  const std::vector<Move>& moves = rig.sink.moves;
  ASSERT_GT(moves.size(), sent_before);
  EXPECT_NEAR(moves.back().end_v, 0, 1e-9);
  // Only what stopping takes: from entry_v at the planner's acceleration, v^2 / (2 a) mm past the sent moves.
  double stopping = 0;
  for (std::size_t i = sent_before; i < moves.size(); ++i) stopping += moves[i].distance;
  EXPECT_NEAR(stopping, entry_v * entry_v / (2 * moves.back().accel), 1e-6);
  for (std::size_t i = 1; i < moves.size(); ++i) {
    EXPECT_NEAR(moves[i].start_v, moves[i - 1].end_v, 1e-9) << i;  // no jump in speed anywhere
  }
  // The toolhead (and the G-code) now stand where it stopped.
  EXPECT_NEAR(rig.toolhead.position()[kX], moves.back().end[kX], 1e-9);
  EXPECT_NEAR(rig.toolhead.state().gcode_position[kX], moves.back().end[kX], 1e-9);
  EXPECT_LT(rig.toolhead.position()[kX], 120);
}

TEST(StopShort, ReplayMakesEveryMoveOnceFromWhereTheToolheadIs) {
  ToolheadRig rig(testing::test_machine());
  ASSERT_NO_FATAL_FAILURE(long_run(rig, 60));
  ASSERT_TRUE(rig.toolhead.stop_short().ok());
  const Coord stop = rig.toolhead.position();
  // Away and back, as a pause's park and RESUME do (relative E: nothing extruded by the park).
  rig.run({"G1 Z5 F600", "G1 X0 Y0 F6000", fmt::format("G1 X{:.9f} Y{:.9f} Z{:.9f}", stop[kX], stop[kY], stop[kZ]),
           "M400"});
  const std::size_t before_replay = rig.sink.moves.size();
  ASSERT_TRUE(rig.toolhead.replay_deferred().ok());
  EXPECT_FALSE(rig.toolhead.has_deferred());
  rig.run({"M400"});
  // The print's own moves, without the park and the way back: every mm of X and of E, once.
  std::vector<Move> print(rig.sink.moves.begin(), rig.sink.moves.begin() + static_cast<std::ptrdiff_t>(before_replay));
  print.erase(std::remove_if(print.begin(), print.end(), [](const Move& m) { return m.end[kE] == m.start[kE]; }),
              print.end());
  print.insert(print.end(), rig.sink.moves.begin() + static_cast<std::ptrdiff_t>(before_replay), rig.sink.moves.end());
  const Totals t = totals(print);
  EXPECT_NEAR(t.e, 60 * 0.1, 1e-9);
  EXPECT_NEAR(t.path, 120, 1e-6);
  EXPECT_NEAR(rig.toolhead.position()[kX], 120, 1e-9);
  EXPECT_NEAR(rig.toolhead.state().gcode_position[kX], 120, 1e-9);
  EXPECT_NEAR(rig.sink.moves.back().end_v, 0, 1e-9);
}

TEST(StopShort, AtRestNothingIsKeptAndDiscardDropsTheRest) {
  ToolheadRig rig(testing::test_machine());
  rig.run({"G28", "G1 X10 F6000", "M400"});
  const std::size_t sent = rig.sink.moves.size();
  ASSERT_TRUE(rig.toolhead.stop_short().ok());
  EXPECT_FALSE(rig.toolhead.has_deferred());
  EXPECT_EQ(rig.sink.moves.size(), sent);
  // Queued moves after a stop at rest: none has to be made to stop, all are kept, then dropped.
  rig.run({"G1 X20", "G1 X30"});
  ASSERT_TRUE(rig.toolhead.stop_short().ok());
  EXPECT_EQ(rig.sink.moves.size(), sent);
  EXPECT_TRUE(rig.toolhead.has_deferred());
  EXPECT_NEAR(rig.toolhead.position()[kX], 10, 1e-9);
  rig.toolhead.discard_deferred();
  ASSERT_TRUE(rig.toolhead.replay_deferred().ok());
  rig.run({"M400"});
  EXPECT_EQ(rig.sink.moves.size(), sent);
}

}  // namespace
}  // namespace rtstep::motion

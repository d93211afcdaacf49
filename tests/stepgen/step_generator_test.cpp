#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../motion/test_machine.hpp"
#include "pipeline_harness.hpp"
#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

struct Collect final : RecordSink {
  std::vector<ipc::Record> records;
  Status push(const ipc::Record& r) override { records.push_back(r); return Ok{}; }
};

TEST(StepGenerator, DiagonalMoveGivesTimeOrderedSegmentsOfBothSteppers) {
  const auto machine = testing::test_machine();
  auto kin = motion::Kinematics::create(machine);
  ASSERT_TRUE(kin.ok());
  Collect sink;
  StepGenerator gen(machine, *kin, motion::Coord{}, 5'000'000'000, 1000, sink);
  motion::Move m;
  m.end = {30, 40, 0, 2};
  m.distance = 50;
  m.axis_ratio = {0.6, 0.8, 0, 0.04};
  motion::plan_trapezoid(m, 100, 3000);
  ASSERT_TRUE(gen.on_enable(0, true, 0).ok());
  ASSERT_TRUE(gen.on_move(m).ok());
  ASSERT_TRUE(gen.on_flush(m.end_time()).ok());  // a move's steps may be held back until a flush

  ASSERT_EQ(sink.records[0].kind, ipc::RecordKind::kPin);
  EXPECT_EQ(sink.records[0].pin.time_ns, 5'000'000'000);
  std::vector<uint64_t> steps(4, 0);
  int64_t last = 0;
  for (const auto& r : sink.records) {
    EXPECT_GE(r.time_ns(), last);
    last = r.time_ns();
    if (r.kind == ipc::RecordKind::kSegment) {
      EXPECT_EQ(r.segment.dir, 1);
      steps[r.segment.stepper] += r.segment.count;
      EXPECT_LE(r.segment.last_time(), 5'000'000'000 + std::llround(m.duration() * 1e9));
    }
  }
  EXPECT_EQ(steps[0], 2400u);  // 30 mm * 80 steps/mm
  EXPECT_EQ(steps[1], 3200u);
  EXPECT_EQ(steps[2], 0u);
  EXPECT_EQ(steps[3], gen.totals(3).steps);
  EXPECT_EQ(gen.position_steps(0), 2400);
  EXPECT_EQ(gen.totals(0).steps, 2400u);
}

TEST(StepGenerator, InitialPositionComesFromTheStart) {
  const auto machine = testing::test_machine();
  auto kin = motion::Kinematics::create(machine);
  Collect sink;
  StepGenerator gen(machine, *kin, motion::Coord{10, 0, 0, 0}, 0, 1000, sink);
  EXPECT_EQ(gen.initial_steps(0), 800);
  EXPECT_EQ(gen.position_steps(0), 800);
}

}  // namespace
}  // namespace rtstep::stepgen

namespace rtstep::stepgen {
namespace {

// Moves that take both paths of the generator (ramps step by step, cruises in closed form) and their seams:
// single steps, moves shorter than one step, direction changes, very slow and very long moves.
TEST(StepGenerator, EveryStepOfMixedMovesIsWithinTheBound) {
  for (int64_t tolerance : {1000, 25, 2}) {
    testing::Pipeline p(testing::test_machine(), tolerance);
    p.run({"G28", "G90", "M83", "G1 X100 F6000", "G1 X100.0125 F6000", "G1 X100.013", "G1 X100.0001",
           "G1 X99.98 F60", "G1 X150 F600", "G1 X20 F18000", "G1 X20.3 Y0.2 F1", "G1 X200 Y190 E3 F9000",
           "G4 P10", "G1 X0 Y0 F12000", "G1 E-1 F1800", "G1 E1"});
    p.finish();
    EXPECT_TRUE(p.records.ordered);
    bool all_valid = false;
    const auto expanded = p.records.expanded(4, all_valid);
    ASSERT_TRUE(all_valid);
    for (std::size_t s = 0; s < 4; ++s) {
      const auto& exact = p.times(s);
      ASSERT_EQ(expanded[s].size(), exact.size()) << "stepper " << s;
      for (std::size_t k = 0; k < exact.size(); ++k) {
        ASSERT_LE(std::llabs(expanded[s][k] - exact[k]), tolerance) << "stepper " << s << " step " << k;
      }
      EXPECT_LE(p.generator.totals(s).max_error_ns, tolerance);
      EXPECT_EQ(p.generator.totals(s).steps, exact.size());
    }
    EXPECT_EQ(p.generator.position_steps(0), 0);
  }
}

}  // namespace
}  // namespace rtstep::stepgen

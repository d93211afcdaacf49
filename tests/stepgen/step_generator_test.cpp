#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../motion/test_machine.hpp"
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

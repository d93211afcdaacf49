// The closed-form cruise path (StepCompressor::add_cruise): every step of the segments it proves is compared
// with the exact time the solver gives it, for the worst cases of the proof.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <deque>
#include <vector>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

motion::Move x_move(double from, double to, double v, double a, double start_time = 0) {
  motion::Move m;
  m.start = {from, 0, 0, 0};
  m.end = {to, 0, 0, 0};
  m.distance = std::fabs(to - from);
  m.axis_ratio = {(to - from) / m.distance, 0, 0, 0};
  m.start_time = start_time;
  motion::plan_trapezoid(m, v, a);
  return m;
}

struct CruiseCase {
  double steps_per_mm, from, to, v, a, start_time;
  int64_t origin_ns, tolerance_ns;
};

// Compresses the whole move (ramps step by step, the cruise in closed form, as StepGenerator does), expands
// every segment and compares it step by step with MoveSteps::times. Returns the segments.
std::deque<ipc::StepSegment> check_move(const CruiseCase& c) {
  StepSolver solver(c.steps_per_mm, {1, 0, 0, 0}, std::llround(c.from * c.steps_per_mm));
  const MoveSteps steps = solver.take(x_move(c.from, c.to, c.v, c.a, c.start_time), c.origin_ns);
  std::vector<int64_t> exact(static_cast<std::size_t>(steps.count()));
  steps.times(0, steps.count(), exact.data());

  StepCompressor compressor(0, c.tolerance_ns);
  compressor.set_dir(steps.dir());
  std::deque<ipc::StepSegment> out;
  steps.times(0, steps.accel_end(), compressor.pending().append(static_cast<std::size_t>(steps.accel_end())));
  compressor.add_cruise(steps, steps.accel_end(), steps.cruise_end(), out);
  const auto rest = static_cast<std::size_t>(steps.count() - steps.cruise_end());
  steps.times(steps.cruise_end(), steps.count(), compressor.pending().append(rest));
  compressor.compress(true, out);

  std::size_t k = 0;
  int64_t previous = INT64_MIN;
  for (const auto& s : out) {
    EXPECT_TRUE(ipc::is_valid(s));
    EXPECT_EQ(s.dir, steps.dir());
    for (uint32_t j = 0; j < s.count; ++j, ++k) {
      if (k >= exact.size()) {
        ADD_FAILURE() << "more steps than the move has";
        return out;
      }
      const int64_t t = s.step_time(j);
      if (std::llabs(t - exact[k]) > c.tolerance_ns) {
        ADD_FAILURE() << "step " << k << ": " << t << " vs exact " << exact[k];
        return out;
      }
      // Every two steps at least the executor's same-direction spacing apart, across segment joins too.
      if (k > 0 && t - previous < compressor.spacing().min_interval_ns) {
        ADD_FAILURE() << "steps " << k - 1 << " and " << k << " are " << t - previous << " ns apart";
        return out;
      }
      previous = t;
    }
  }
  EXPECT_EQ(k, exact.size());
  EXPECT_LE(compressor.max_error_ns(), c.tolerance_ns);
  return out;
}

TEST(CruiseCompressor, IntegerIntervalIsOneSegmentPerCruise) {
  // 100 mm/s at 80 steps/mm: exactly 125 us per step, so the expansion never drifts.
  const auto out = check_move({80, 0, 180, 100, 3000, 0, 0, 1000});
  std::size_t cruise_segments = 0;
  for (const auto& s : out) cruise_segments += s.count > 10'000 ? 1 : 0;
  EXPECT_EQ(cruise_segments, 1u);
}

TEST(CruiseCompressor, FractionalIntervalsDriftAndAreSplitWithinTheBound) {
  // 1/(80 * 97.3) s per step is not a whole number of ns: segments end where the drift uses up the bound.
  for (int64_t tolerance : {1000, 100, 20, 5}) {
    const auto out = check_move({80, 0, 200, 97.3, 3000, 0.123456789, 7'000'000'123, tolerance});
    EXPECT_GT(out.size(), 2u) << tolerance;
  }
}

TEST(CruiseCompressor, ATolerancePastHalfTheIntervalNeverReordersSteps) {
  // [rt] max_step_error allows 10 us; at 800 steps/mm and 235.9 mm/s a step comes every 5.3 us. Two cruise
  // segments may not each spend that much at their shared boundary: the executor refuses overlapping segments,
  // and plays steps closer than ipc::kMinStepIntervalNs late.
  check_move({800, 0, 1000, 235.9, 3000, 0, 0, 10'000});
  check_move({800, 0, 1000, 235.9, 3000, 0.5, 123, 3'000});
}

TEST(CruiseCompressor, ToleranceTooTightForTheProofFallsBackToStepByStep) {
  // 1 ns leaves no room for the rounding terms of the proof: the cruise is compressed step by step.
  check_move({80, 0, 50, 97.3, 3000, 0, 0, 1});
}

TEST(CruiseCompressor, VerySlowMovesAndLongPrintTimes) {
  check_move({80, 0, 2, 0.01, 3000, 0, 0, 1000});               // one step every 1.25 s
  check_move({80, 0, 30, 33.3, 3000, 9.0e5, 0, 1000});          // 250 hours into the print
  check_move({80, 0, 30, 33.3, 3000, 3.0e7, 1'000'000, 1000});  // a year into the print: coarse doubles
}

TEST(CruiseCompressor, HugeStepCountsAreSplitAtTheSegmentLimit) {
  // 4.8 million steps of cruise at exactly 12.5 us per step: only ipc::kMaxSegmentCount ends a segment.
  const auto out = check_move({16000, 0, 300, 5, 3000, 0, 0, 1000});
  EXPECT_GE(out.size(), 5u);
}

TEST(CruiseCompressor, NegativeDirectionAndConstantSpeedMoves) {
  check_move({80, 100, 10, 73.1, 3000, 0, 0, 1000});
  // accel 0: the whole move is one cruise at constant speed.
  StepSolver solver(80, {1, 0, 0, 0}, 0);
  motion::Move m = x_move(0, 10, 50, 0);
  const MoveSteps steps = solver.take(m, 0);
  EXPECT_EQ(steps.accel_end(), 0);
  EXPECT_EQ(steps.cruise_end(), steps.count());
}

TEST(MoveSteps, AnyRangeGivesTheSameTimesAsTheWholeMove) {
  StepSolver solver(80, {1, 0, 0, 0}, 0);
  const MoveSteps steps = solver.take(x_move(0, 40, 120, 2500, 1.5), 42);
  ASSERT_GT(steps.accel_end(), 0);
  ASSERT_GT(steps.cruise_end(), steps.accel_end());
  ASSERT_LT(steps.cruise_end(), steps.count());
  std::vector<int64_t> all(static_cast<std::size_t>(steps.count()));
  steps.times(0, steps.count(), all.data());
  for (int64_t begin : {int64_t{0}, steps.accel_end() - 3, steps.cruise_end() - 1}) {
    const int64_t end = std::min(steps.count(), begin + 500);
    std::vector<int64_t> part(static_cast<std::size_t>(end - begin));
    steps.times(begin, end, part.data());
    for (int64_t k = begin; k < end; ++k) ASSERT_EQ(part[static_cast<std::size_t>(k - begin)], all[static_cast<std::size_t>(k)]);
  }
  for (int64_t k = steps.accel_end(); k < steps.cruise_end(); ++k) {
    ASSERT_EQ(steps.cruise_time(k), all[static_cast<std::size_t>(k)]);
  }
  for (std::size_t k = 1; k < all.size(); ++k) ASSERT_GT(all[k], all[k - 1]);
}

}  // namespace
}  // namespace rtstep::stepgen

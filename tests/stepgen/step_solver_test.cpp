#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

motion::Move x_move(double from, double to, double v, double a) {
  motion::Move m;
  m.start = {from, 0, 0, 0};
  m.end = {to, 0, 0, 0};
  m.distance = std::fabs(to - from);
  m.axis_ratio = {(to - from) / m.distance, 0, 0, 0};
  motion::plan_trapezoid(m, v, a);
  return m;
}

TEST(StepSolver, EveryStepIsAtItsHalfStepBoundary) {
  const double steps_per_mm = 80;
  StepSolver solver(steps_per_mm, {1, 0, 0, 0}, 0);
  const motion::Move m = x_move(0, 10, 100, 2000);
  std::vector<int64_t> times;
  EXPECT_EQ(solver.solve(m, 1'000'000'000, times), 1);
  ASSERT_EQ(times.size(), 800u);
  EXPECT_EQ(solver.position(), 800);
  for (std::size_t k = 0; k < times.size(); ++k) {
    // The toolhead is at the boundary (k + 0.5) / 80 mm when step k happens (to within the ns rounding).
    const double t = static_cast<double>(times[k] - 1'000'000'000) * 1e-9;
    const double expected_mm = (static_cast<double>(k) + 0.5) / steps_per_mm;
    EXPECT_NEAR(m.distance_at(t), expected_mm, 100 * 1e-9 + 1e-9) << "step " << k;
    if (k > 0) {
      EXPECT_GT(times[k], times[k - 1]);
    }
  }
}

TEST(StepSolver, NegativeMovesStepDownAndKeepFloorRounding) {
  StepSolver solver(80, {1, 0, 0, 0}, 800);
  std::vector<int64_t> times;
  EXPECT_EQ(solver.solve(x_move(10, 4.99, 50, 1000), 0, times), 0);
  // 10 mm = 800 steps; 4.99 mm = 399.2 steps -> floor(399.7) = 399.
  EXPECT_EQ(solver.position(), 399);
  EXPECT_EQ(times.size(), 401u);
  EXPECT_EQ(solver.steps_at({4.99, 0, 0, 0}), 399);
}

TEST(StepSolver, PositionsStayConsistentOverManySmallMoves) {
  StepSolver solver(80, {1, 0, 0, 0}, 0);
  double x = 0;
  std::vector<int64_t> times;
  for (int i = 0; i < 1000; ++i) {
    const double next = x + ((i % 3 == 2) ? -0.0137 : 0.0211);
    solver.solve(x_move(x, next, 50, 1000), 0, times);
    x = next;
    ASSERT_EQ(solver.position(), solver.steps_at({x, 0, 0, 0})) << "after move " << i;
  }
}

TEST(StepSolver, MixedKinematicsRowUsesBothAxes) {
  StepSolver solver(10, {1, 1, 0, 0}, 0);  // corexy A = X + Y
  motion::Move m;
  m.start = {0, 0, 0, 0};
  m.end = {3, 4, 0, 0};
  m.distance = 5;
  m.axis_ratio = {0.6, 0.8, 0, 0};
  motion::plan_trapezoid(m, 10, 100);
  std::vector<int64_t> times;
  solver.solve(m, 0, times);
  EXPECT_EQ(times.size(), 70u);  // (3 + 4) mm * 10 steps/mm
}

}  // namespace
}  // namespace rtstep::stepgen

// StepSolver: exact half-step boundary crossings of one stepper over one move.
#include <cmath>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {

double StepSolver::steps_at_exact(const motion::Coord& pos) const noexcept {
  return steps_per_mm_ * (row_[0] * pos[0] + row_[1] * pos[1] + row_[2] * pos[2] + row_[3] * pos[3]);
}

int64_t StepSolver::steps_at(const motion::Coord& pos) const noexcept {
  return static_cast<int64_t>(std::floor(steps_at_exact(pos) + 0.5));
}

uint8_t StepSolver::solve(const motion::Move& move, int64_t origin_ns, std::vector<int64_t>& times) {
  // q(d) = q_start + rate * d: steps as a function of the distance d travelled along the move.
  const double q_start = steps_at_exact(move.start);
  const double q_end = steps_at_exact(move.end);
  const double rate = steps_per_mm_ * (row_[0] * move.axis_ratio[0] + row_[1] * move.axis_ratio[1] +
                                       row_[2] * move.axis_ratio[2] + row_[3] * move.axis_ratio[3]);
  const auto time_of_boundary = [&](double boundary) {
    const double d = (boundary - q_start) / rate;
    const double t = move.start_time + move.time_at_distance(d);
    return origin_ns + std::llround(t * 1e9);
  };
  if (q_end > q_start) {
    // Going up, the count becomes n + 1 when q reaches n + 0.5.
    while (static_cast<double>(position_) + 0.5 <= q_end) {
      times.push_back(time_of_boundary(static_cast<double>(position_) + 0.5));
      ++position_;
    }
    return 1;
  }
  // Going down, the count becomes n - 1 when q drops below n - 0.5.
  while (static_cast<double>(position_) - 0.5 > q_end) {
    times.push_back(time_of_boundary(static_cast<double>(position_) - 0.5));
    --position_;
  }
  return 0;
}

}  // namespace rtstep::stepgen

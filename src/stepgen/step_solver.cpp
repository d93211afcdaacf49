// StepSolver: exact half-step boundary crossings of one stepper over one move, in closed form per phase.
#include <algorithm>
#include <cmath>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

constexpr double kNsPerS = 1e9;

// Rounds a non-negative ns count to the nearest integer; a plain conversion is much cheaper than llround in
// the per-step loops, and times here are never negative.
inline int64_t round_ns(double ns) noexcept { return static_cast<int64_t>(ns + 0.5); }

}  // namespace

double StepSolver::steps_at_exact(const motion::Coord& pos) const noexcept {
  return steps_per_mm_ * (row_[0] * pos[0] + row_[1] * pos[1] + row_[2] * pos[2] + row_[3] * pos[3]);
}

int64_t StepSolver::steps_at(const motion::Coord& pos) const noexcept {
  return static_cast<int64_t>(std::floor(steps_at_exact(pos) + 0.5));
}

double StepSolver::peak_step_rate(const motion::Move& move) const noexcept {
  const double rate = steps_per_mm_ * (row_[0] * move.axis_ratio[0] + row_[1] * move.axis_ratio[1] +
                                       row_[2] * move.axis_ratio[2] + row_[3] * move.axis_ratio[3]);
  return std::fabs(rate) * std::max({move.start_v, move.cruise_v, move.end_v});
}

int64_t* StepBuffer::append(std::size_t n) {
  if (end_ + n > capacity_) {
    const std::size_t live = size();
    if (live + n > capacity_ / 2) {
      // Grow; new[] of int64_t leaves the memory uninitialised, which is the point.
      const std::size_t capacity = std::max<std::size_t>({2 * capacity_, 2 * (live + n), 1024});
      std::unique_ptr<int64_t[]> grown(new int64_t[capacity]);
      std::copy(data(), data() + live, grown.get());
      data_ = std::move(grown);
      capacity_ = capacity;
    } else {
      std::copy(data(), data() + live, data_.get());  // compact: the consumed front is reused
    }
    begin_ = 0;
    end_ = live;
  }
  int64_t* out = data_.get() + end_;
  end_ += n;
  return out;
}

uint8_t StepSolver::solve(const motion::Move& move, int64_t origin_ns, std::vector<int64_t>& times) {
  const bool up = steps_in(move) > 0;
  StepBuffer buffer;
  const std::size_t n = solve(move, origin_ns, buffer);
  times.insert(times.end(), buffer.data(), buffer.data() + n);
  return up ? 1 : 0;
}

std::size_t StepSolver::solve(const motion::Move& move, int64_t origin_ns, StepBuffer& times) {
  // The count at the end is floor(q_end + 0.5): taking it from the end position (not from summing steps)
  // is what keeps the count exact over any number of moves.
  const int64_t target = steps_at(move.end);
  const int64_t n = target - position_;
  if (n == 0) return 0;
  const bool up = n > 0;
  const int64_t count = up ? n : -n;
  const double q_start = steps_at_exact(move.start);
  const double rate = steps_per_mm_ * (row_[0] * move.axis_ratio[0] + row_[1] * move.axis_ratio[1] +
                                       row_[2] * move.axis_ratio[2] + row_[3] * move.axis_ratio[3]);
  // Step k crosses the boundary position_ +- (k + 0.5), at distance d0 + k * dd along the move.
  const double dd = 1.0 / std::fabs(rate);
  const double first_boundary = up ? static_cast<double>(position_) + 0.5 : static_cast<double>(position_) - 0.5;
  const double d0 = std::fabs(first_boundary - q_start) * dd;

  int64_t* out = times.append(static_cast<std::size_t>(count));
  const double base_ns = move.start_time * kNsPerS;
  const double accel_d = move.accel_distance();
  const double cruise_end_d = accel_d + move.cruise_distance();
  const double inv_accel_ns = move.accel > 0 ? kNsPerS / move.accel : 0;
  int64_t k = 0;

  // Acceleration: d = v0 t + a t^2 / 2, so t = (sqrt(v0^2 + 2 a d) - v0) / a.
  if (move.accel_t > 0) {
    const double v0 = move.start_v, v0_sq = v0 * v0, two_a = 2.0 * move.accel;
    for (; k < count; ++k) {
      const double d = d0 + static_cast<double>(k) * dd;
      if (d > accel_d) break;
      out[k] = origin_ns + round_ns(base_ns + (std::sqrt(v0_sq + two_a * d) - v0) * inv_accel_ns);
    }
  }
  // Cruise: linear in k, one multiply-add per step.
  if (move.cruise_t > 0 || move.accel <= 0) {
    const double inv_v_ns = kNsPerS / move.cruise_v;
    const double a_ns = base_ns + move.accel_t * kNsPerS + (d0 - accel_d) * inv_v_ns;
    const double b_ns = dd * inv_v_ns;
    const bool last_phase = move.decel_t <= 0 || move.accel <= 0;
    for (; k < count; ++k) {
      const double d = d0 + static_cast<double>(k) * dd;
      if (d > cruise_end_d && !last_phase) break;
      out[k] = origin_ns + round_ns(a_ns + static_cast<double>(k) * b_ns);
    }
  }
  // Deceleration: t = (vc - sqrt(vc^2 - 2 a d)) / a from the start of the phase; the clamp absorbs rounding at
  // the very end of the move.
  const double vc = move.cruise_v, vc_sq = vc * vc, two_a = 2.0 * move.accel;
  const double decel_base_ns = base_ns + (move.accel_t + move.cruise_t) * kNsPerS;
  for (; k < count; ++k) {
    const double d = d0 + static_cast<double>(k) * dd - cruise_end_d;
    out[k] = origin_ns + round_ns(decel_base_ns + (vc - std::sqrt(std::max(0.0, vc_sq - two_a * d))) * inv_accel_ns);
  }
  position_ = target;
  return static_cast<std::size_t>(count);
}

}  // namespace rtstep::stepgen

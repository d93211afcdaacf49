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
  const MoveSteps steps = take(move, origin_ns);
  const std::size_t old_size = times.size();
  times.resize(old_size + static_cast<std::size_t>(steps.count()));
  steps.times(0, steps.count(), times.data() + old_size);
  return steps.dir();
}

std::size_t StepSolver::solve(const motion::Move& move, int64_t origin_ns, StepBuffer& times) {
  const MoveSteps steps = take(move, origin_ns);
  if (steps.count() == 0) return 0;
  steps.times(0, steps.count(), times.append(static_cast<std::size_t>(steps.count())));
  return static_cast<std::size_t>(steps.count());
}

MoveSteps StepSolver::take(const motion::Move& move, int64_t origin_ns) noexcept {
  MoveSteps s;
  // The count at the end is floor(q_end + 0.5): taking it from the end position (not from summing steps)
  // is what keeps the count exact over any number of moves.
  const int64_t target = steps_at(move.end);
  const int64_t n = target - position_;
  if (n == 0) return s;
  const bool up = n > 0;
  s.count_ = up ? n : -n;
  s.dir_ = up ? 1 : 0;
  s.origin_ns_ = origin_ns;
  const double q_start = steps_at_exact(move.start);
  const double rate = steps_per_mm_ * (row_[0] * move.axis_ratio[0] + row_[1] * move.axis_ratio[1] +
                                       row_[2] * move.axis_ratio[2] + row_[3] * move.axis_ratio[3]);
  // Step k crosses the boundary position_ +- (k + 0.5), at distance d0 + k * dd along the move.
  s.dd_ = 1.0 / std::fabs(rate);
  const double first_boundary = up ? static_cast<double>(position_) + 0.5 : static_cast<double>(position_) - 0.5;
  s.d0_ = std::fabs(first_boundary - q_start) * s.dd_;
  s.base_ns_ = move.start_time * kNsPerS;
  s.inv_accel_ns_ = move.accel > 0 ? kNsPerS / move.accel : 0;
  s.v0_ = move.start_v;
  s.two_a_ = 2.0 * move.accel;
  const double accel_d = move.accel_distance();
  s.cruise_end_d_ = accel_d + move.cruise_distance();
  s.vc_ = move.cruise_v;
  s.decel_base_ns_ = s.base_ns_ + (move.accel_t + move.cruise_t) * kNsPerS;
  const double inv_v_ns = kNsPerS / move.cruise_v;
  s.cruise_a_ns_ = s.base_ns_ + move.accel_t * kNsPerS + (s.d0_ - accel_d) * inv_v_ns;
  s.cruise_b_ns_ = s.dd_ * inv_v_ns;

  // Phase boundaries: a step belongs to the first phase whose end distance it does not pass. Without an
  // acceleration (accel <= 0) the cruise takes every step.
  s.accel_end_ = move.accel_t > 0 ? s.first_beyond(accel_d, 0) : 0;
  const bool cruise_is_last = move.decel_t <= 0 || move.accel <= 0;
  if (move.cruise_t > 0 || move.accel <= 0) {
    s.cruise_end_ = cruise_is_last ? s.count_ : s.first_beyond(s.cruise_end_d_, s.accel_end_);
  } else {
    s.cruise_end_ = s.accel_end_;
  }
  position_ = target;
  return s;
}

int64_t MoveSteps::first_beyond(double distance, int64_t lo) const noexcept {
  // Estimate from the closed form, then settle with the very comparison the phases are defined by.
  double estimate = std::ceil((distance - d0_) / dd_);
  if (!(estimate > static_cast<double>(lo))) estimate = static_cast<double>(lo);  // also NaN
  if (!(estimate < static_cast<double>(count_))) estimate = static_cast<double>(count_);
  auto k = static_cast<int64_t>(estimate);
  const auto beyond = [&](int64_t i) { return d0_ + static_cast<double>(i) * dd_ > distance; };
  while (k > lo && beyond(k - 1)) --k;
  while (k < count_ && !beyond(k)) ++k;
  return k;
}

void MoveSteps::times(int64_t begin, int64_t end, int64_t* out) const noexcept {
  const auto piece = [&](int64_t from, int64_t to, auto phase) {
    from = std::max(from, begin);
    to = std::min(to, end);
    if (from < to) (this->*phase)(from, to, out + (from - begin));
  };
  piece(0, accel_end_, &MoveSteps::accel_times);
  piece(accel_end_, cruise_end_, &MoveSteps::cruise_times);
  piece(cruise_end_, count_, &MoveSteps::decel_times);
}

// Acceleration: d = v0 t + a t^2 / 2, so t = (sqrt(v0^2 + 2 a d) - v0) / a.
void MoveSteps::accel_times(int64_t begin, int64_t end, int64_t* out) const noexcept {
  const double v0_sq = v0_ * v0_;
  for (int64_t k = begin; k < end; ++k) {
    const double d = d0_ + static_cast<double>(k) * dd_;
    *out++ = origin_ns_ + round_ns(base_ns_ + (std::sqrt(v0_sq + two_a_ * d) - v0_) * inv_accel_ns_);
  }
}

// Cruise: linear in k, one multiply-add per step.
void MoveSteps::cruise_times(int64_t begin, int64_t end, int64_t* out) const noexcept {
  for (int64_t k = begin; k < end; ++k) *out++ = cruise_time(k);
}

int64_t MoveSteps::cruise_time(int64_t k) const noexcept {
  return origin_ns_ + round_ns(cruise_a_ns_ + static_cast<double>(k) * cruise_b_ns_);
}

// Deceleration: t = (vc - sqrt(vc^2 - 2 a d)) / a from the start of the phase; the clamp absorbs rounding at
// the very end of the move.
void MoveSteps::decel_times(int64_t begin, int64_t end, int64_t* out) const noexcept {
  const double vc_sq = vc_ * vc_;
  for (int64_t k = begin; k < end; ++k) {
    const double d = d0_ + static_cast<double>(k) * dd_ - cruise_end_d_;
    *out++ = origin_ns_ + round_ns(decel_base_ns_ + (vc_ - std::sqrt(std::max(0.0, vc_sq - two_a_ * d))) * inv_accel_ns_);
  }
}

}  // namespace rtstep::stepgen

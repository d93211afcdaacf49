// LookAhead: junction speeds and the backward pass that assigns trapezoids (planner.hpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "motion/planner.hpp"

namespace rtstep::motion {

void PlanMove::init(double speed, double accel_limit, double accel_to_decel, double jd) noexcept {
  accel = accel_limit;
  max_cruise_v2 = speed * speed;
  delta_v2 = 2.0 * move.distance * accel;
  smooth_delta_v2 = std::min(delta_v2, 2.0 * move.distance * accel_to_decel);
  junction_deviation = jd;
  min_move_t = move.distance / speed;
}

// The fastest speed at which `move` may start after `prev`: how sharply the path turns (junction deviation
// and the centripetal bound), how much E's speed jumps, and what `prev` can reach.
void LookAhead::junction(PlanMove& move, const PlanMove& prev) const noexcept {
  move.max_start_v2 = 0;
  move.max_smoothed_v2 = 0;
  if (!move.kinematic || !prev.kinematic) return;  // extrude-only moves start and end at rest
  const Coord& r = move.move.axis_ratio;
  const Coord& p = prev.move.axis_ratio;
  double max_v2 = std::min({move.max_cruise_v2, prev.max_cruise_v2, prev.max_start_v2 + prev.delta_v2});
  const double e_jump = std::fabs(r[kE] - p[kE]);
  if (e_jump > 0) max_v2 = std::min(max_v2, (instant_corner_v_ / e_jump) * (instant_corner_v_ / e_jump));
  // cos of the angle between the incoming direction reversed and the outgoing one: -1 means straight on.
  const double cos_theta = -(r[kX] * p[kX] + r[kY] * p[kY] + r[kZ] * p[kZ]);
  const double sin_half = std::sqrt(std::max(0.5 * (1.0 - cos_theta), 0.0));
  const double cos_half = std::sqrt(std::max(0.5 * (1.0 + cos_theta), 0.0));
  const double one_minus_sin_half = 1.0 - sin_half;
  if (one_minus_sin_half > 0 && cos_half > 0) {
    // Junction deviation: a virtual circle tangent to both moves whose radius follows from the deviation.
    const double radius_per_jd = sin_half / one_minus_sin_half;
    // The circle may not reach further than half of either move ("approximated centripetal velocity").
    const double quarter_tan_half = 0.25 * sin_half / cos_half;
    max_v2 = std::min({max_v2, radius_per_jd * move.junction_deviation * move.accel,
                       radius_per_jd * prev.junction_deviation * prev.accel, move.delta_v2 * quarter_tan_half,
                       prev.delta_v2 * quarter_tan_half});
  }
  move.max_start_v2 = max_v2;
  move.max_smoothed_v2 = std::min(max_v2, prev.max_smoothed_v2 + prev.smooth_delta_v2);
}

void LookAhead::add(const PlanMove& move) {
  // A lazy plan always keeps at least one move queued, so an empty queue means the last move ended at rest.
  queue_.push_back(move);
  if (queue_.size() >= 2) junction(queue_.back(), queue_[queue_.size() - 2]);
  flush_budget_ -= move.min_move_t;
  if (flush_budget_ <= 0 || queue_.size() - ready_ >= kMaxQueued) plan(true);
  // A window of moves that all keep accelerating cannot be planned lazily; bound memory anyway.
  if (queue_.size() - ready_ >= 2 * kMaxQueued) plan(false);
}

bool LookAhead::pop(Move& out) {
  if (ready_ == 0) return false;
  out = queue_.front().move;
  popped_end_v2_ = out.end_v * out.end_v;
  queue_.pop_front();
  --ready_;
  return true;
}

namespace {

// The first `length` mm of `m` (0 < length < m.move.distance), or what is left after them: the limits that
// scale with the distance scale with it; the junction limit stays with the head.
PlanMove cut(const PlanMove& m, double length, bool head) {
  PlanMove part = m;
  const double share = (head ? length : m.move.distance - length) / m.move.distance;
  Coord split{};
  for (std::size_t a = 0; a < 4; ++a) split[a] = m.move.start[a] + m.move.axis_ratio[a] * length;
  (head ? part.move.end : part.move.start) = split;
  part.move.distance = m.move.distance * share;
  part.delta_v2 = m.delta_v2 * share;
  part.smooth_delta_v2 = m.smooth_delta_v2 * share;
  part.min_move_t = m.min_move_t * share;
  return part;
}

}  // namespace

std::vector<PlanMove> LookAhead::stop_short() {
  // Finished moves not popped yet are not sent either: they may be planned again.
  ready_ = 0;
  const std::size_t first = 0;
  // The squared speed at which the moves [first, k] can start when move k, cut to `length`, ends at rest.
  const auto reachable = [&](std::size_t k, double length) {
    const PlanMove& last = queue_[k];
    double v2 = std::min(last.max_start_v2, 2.0 * length * last.accel);
    for (std::size_t j = k; j-- > first;) v2 = std::min(queue_[j].max_start_v2, v2 + queue_[j].delta_v2);
    return v2;
  };
  const double needed_v2 = popped_end_v2_ * (1 - 1e-12);
  std::size_t k = first;
  while (k < queue_.size() && reachable(k, queue_[k].move.distance) < needed_v2) ++k;
  std::vector<PlanMove> rest;
  if (k == queue_.size()) return rest;  // the whole queue is needed to stop (the plan already ends at rest)
  // The shortest part of move k that still stops in time.
  double lo = 0, hi = queue_[k].move.distance;
  if (needed_v2 <= 0) hi = 0;
  for (int i = 0; i < 60 && hi - lo > 1e-9; ++i) {
    const double mid = 0.5 * (lo + hi);
    (reachable(k, mid) >= needed_v2 ? hi : lo) = mid;
  }
  std::size_t keep_end = k;  // moves [first, keep_end) stay
  if (hi >= queue_[k].move.distance - 1e-9) {
    keep_end = k + 1;  // the whole move is needed
  } else if (hi > 1e-9) {
    const PlanMove whole = queue_[k];
    rest.push_back(cut(whole, hi, false));
    queue_[k] = cut(whole, hi, true);
    keep_end = k + 1;
  }
  for (std::size_t j = keep_end; j < queue_.size(); ++j) rest.push_back(queue_[j]);
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(keep_end), queue_.end());
  return rest;
}

// Backward pass over the moves not yet final, assuming the last one ends at rest. For each move: the
// fastest start reachable from the next move's start (start_v2), and the same on the smoothed
// (reduced-acceleration) scale, which decides the cruise speed. A move that can only accelerate is
// "delayed" until the peak it accelerates towards is known. Lazily, moves after the last point where the
// profile peaks stay queued: a later move could still let them go faster.
void LookAhead::plan(bool lazy) {
  flush_budget_ = kFlushTime;
  const std::size_t first = ready_;
  const std::size_t end = queue_.size();
  if (first == end) return;
  bool find_flush_point = lazy;
  std::size_t flush_end = end;  // moves [first, flush_end) become final
  delayed_.clear();
  double next_end_v2 = 0, next_smoothed_v2 = 0, peak_cruise_v2 = 0;
  const auto finalise = [](PlanMove& m, double start_v2, double cruise_v2, double end_v2) {
    set_profile(m.move, std::min(start_v2, cruise_v2), cruise_v2, std::min(end_v2, cruise_v2), m.accel);
  };
  for (std::size_t i = end; i-- > first;) {
    PlanMove& m = queue_[i];
    const double reachable_start_v2 = next_end_v2 + m.delta_v2;
    const double start_v2 = std::min(m.max_start_v2, reachable_start_v2);
    const double reachable_smoothed_v2 = next_smoothed_v2 + m.smooth_delta_v2;
    const double smoothed_v2 = std::min(m.max_smoothed_v2, reachable_smoothed_v2);
    if (smoothed_v2 < reachable_smoothed_v2) {
      // This move can accelerate. If it can also decelerate (or follows a run of pure accelerations), it
      // holds the peak of its neighbourhood.
      if (smoothed_v2 + m.smooth_delta_v2 > next_smoothed_v2 || !delayed_.empty()) {
        if (find_flush_point && peak_cruise_v2 > 0) {
          flush_end = i;
          find_flush_point = false;
        }
        peak_cruise_v2 = std::min(m.max_cruise_v2, (smoothed_v2 + reachable_smoothed_v2) * 0.5);
        if (!delayed_.empty()) {
          if (!find_flush_point && i < flush_end) {
            // The delayed moves (later in the queue) accelerate towards this peak.
            double cruise_v2 = peak_cruise_v2;
            for (auto it = delayed_.rbegin(); it != delayed_.rend(); ++it) {
              cruise_v2 = std::min(cruise_v2, it->start_v2);
              finalise(queue_[it->index], it->start_v2, cruise_v2, it->end_v2);
            }
          }
          delayed_.clear();
        }
      }
      if (!find_flush_point && i < flush_end) {
        const double cruise_v2 =
            std::min({(start_v2 + reachable_start_v2) * 0.5, m.max_cruise_v2, peak_cruise_v2});
        finalise(m, start_v2, cruise_v2, next_end_v2);
      }
    } else {
      delayed_.push_back({i, start_v2, next_end_v2});
    }
    next_end_v2 = start_v2;
    next_smoothed_v2 = smoothed_v2;
  }
  if (find_flush_point) return;  // lazy and nothing is final yet
  if (!lazy) {
    // Moves still delayed at the front accelerate from their start without a peak ahead of them.
    for (const Delayed& d : delayed_) finalise(queue_[d.index], d.start_v2, std::max(d.start_v2, d.end_v2), d.end_v2);
  }
  ready_ = flush_end;
}

}  // namespace rtstep::motion

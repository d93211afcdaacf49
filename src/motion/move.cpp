// Trapezoidal velocity profiles: building them, cutting them, and the distance travelled at a time.
#include <algorithm>
#include <cmath>

#include "motion/motion.hpp"

namespace rtstep::motion {
namespace {

// Distance covered in `t` seconds starting at speed `v` under acceleration `a` (a may be negative).
double ramp_distance(double v, double a, double t) noexcept { return (v + 0.5 * a * t) * t; }

// Time to cover `d` mm starting at speed `v` with acceleration `a` (a may be negative), written in the form
// 2d / (v + sqrt(v^2 + 2ad)) that stays accurate when a is tiny or v is large.
double ramp_time(double v, double a, double d) noexcept {
  const double root = std::sqrt(std::max(0.0, v * v + 2.0 * a * d));
  const double denominator = v + root;
  return denominator > 0 ? 2.0 * d / denominator : 0.0;
}

}  // namespace

double Move::distance_at(double t) const noexcept {
  t = std::clamp(t, 0.0, duration());
  if (t <= accel_t) return ramp_distance(start_v, accel, t);
  const double accel_d = accel_distance();
  if (t <= accel_t + cruise_t) return accel_d + cruise_v * (t - accel_t);
  return accel_d + cruise_distance() + ramp_distance(cruise_v, -accel, t - accel_t - cruise_t);
}

double Move::time_at_distance(double d) const noexcept {
  d = std::clamp(d, 0.0, distance);
  const double accel_d = accel_distance();
  if (d <= accel_d) return std::min(ramp_time(start_v, accel, d), accel_t);
  const double cruise_d = cruise_distance();
  if (d <= accel_d + cruise_d) return accel_t + (d - accel_d) / cruise_v;
  return accel_t + cruise_t + std::min(ramp_time(cruise_v, -accel, d - accel_d - cruise_d), decel_t);
}

void set_profile(Move& move, double start_v2, double cruise_v2, double end_v2, double accel) noexcept {
  // Distances of the ramps follow from v^2 = v0^2 + 2 a d; the cruise takes what is left. Rounding can
  // leave the cruise a hair negative when the planner hands a pure ramp; clamp it.
  const double half_inv_accel = 0.5 / accel;
  const double accel_d = (cruise_v2 - start_v2) * half_inv_accel;
  const double decel_d = (cruise_v2 - end_v2) * half_inv_accel;
  const double cruise_d = std::max(0.0, move.distance - accel_d - decel_d);
  move.accel = accel;
  move.start_v = std::sqrt(start_v2);
  move.cruise_v = std::sqrt(cruise_v2);
  move.end_v = std::sqrt(end_v2);
  move.accel_t = accel_d / ((move.start_v + move.cruise_v) * 0.5);
  move.cruise_t = cruise_d / move.cruise_v;
  move.decel_t = decel_d / ((move.end_v + move.cruise_v) * 0.5);
}

void plan_trapezoid(Move& move, double max_v, double accel) noexcept {
  // Reaching max_v and coming back to rest takes max_v^2 / accel mm; shorter moves peak lower.
  const double peak_v2 = std::min(max_v * max_v, accel * move.distance);
  set_profile(move, 0, peak_v2, 0, accel);
}

void truncate_move(Move& move, double distance) noexcept {
  const double t = move.time_at_distance(distance);
  const double v = [&] {
    if (t <= move.accel_t) return move.start_v + move.accel * t;
    if (t <= move.accel_t + move.cruise_t) return move.cruise_v;
    return move.cruise_v - move.accel * (t - move.accel_t - move.cruise_t);
  }();
  if (t <= move.accel_t) {
    move.accel_t = t;
    move.cruise_v = v;
    move.cruise_t = move.decel_t = 0;
  } else if (t <= move.accel_t + move.cruise_t) {
    move.cruise_t = t - move.accel_t;
    move.decel_t = 0;
  } else {
    move.decel_t = t - move.accel_t - move.cruise_t;
  }
  move.end_v = v;
  for (std::size_t a = 0; a < 4; ++a) move.end[a] = move.start[a] + move.axis_ratio[a] * distance;
  move.distance = distance;
}

}  // namespace rtstep::motion

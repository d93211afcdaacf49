// Trapezoidal velocity profiles: the distance travelled at a time and its inverse.
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
  const double accel_d = ramp_distance(start_v, accel, accel_t);
  if (t <= accel_t + cruise_t) return accel_d + cruise_v * (t - accel_t);
  const double cruise_d = cruise_v * cruise_t;
  return accel_d + cruise_d + ramp_distance(cruise_v, -accel, t - accel_t - cruise_t);
}

double Move::time_at_distance(double d) const noexcept {
  d = std::clamp(d, 0.0, distance);
  const double accel_d = ramp_distance(start_v, accel, accel_t);
  if (d <= accel_d) return std::min(ramp_time(start_v, accel, d), accel_t);
  const double cruise_d = cruise_v * cruise_t;
  if (d <= accel_d + cruise_d) return accel_t + (d - accel_d) / cruise_v;
  return accel_t + cruise_t + std::min(ramp_time(cruise_v, -accel, d - accel_d - cruise_d), decel_t);
}

void plan_trapezoid(Move& move, double max_v, double accel) noexcept {
  move.start_v = move.end_v = 0;
  move.accel = accel;
  // Reaching max_v and coming back to rest takes max_v^2 / accel mm; shorter moves peak lower.
  const double peak_v = std::min(max_v, std::sqrt(accel * move.distance));
  const double ramp_d = peak_v * peak_v / (2.0 * accel);
  move.cruise_v = peak_v;
  move.accel_t = move.decel_t = peak_v / accel;
  move.cruise_t = std::max(0.0, (move.distance - 2.0 * ramp_d) / peak_v);
}

Result<Kinematics> Kinematics::create(const config::MachineConfig& machine) {
  Kinematics kin;
  const bool corexy = machine.printer.kinematics == "corexy";
  if (!corexy && machine.printer.kinematics != "cartesian") {
    return Error{"kinematics \"" + machine.printer.kinematics + "\" is not supported"};
  }
  for (const auto& stepper : machine.steppers) {
    Coord row{};
    switch (stepper.axis) {
      case 'x': row = corexy ? Coord{1, 1, 0, 0} : Coord{1, 0, 0, 0}; break;
      case 'y': row = corexy ? Coord{1, -1, 0, 0} : Coord{0, 1, 0, 0}; break;
      case 'z': row = Coord{0, 0, 1, 0}; break;
      case 'e': row = Coord{0, 0, 0, 1}; break;
      default: return Error{"stepper " + stepper.name + " has no axis rtstep can drive"};
    }
    kin.rows_.push_back(row);
  }
  return kin;
}

double Kinematics::stepper_position(std::size_t i, const Coord& pos) const noexcept {
  const Coord& c = rows_[i];
  return c[kX] * pos[kX] + c[kY] * pos[kY] + c[kZ] * pos[kZ] + c[kE] * pos[kE];
}

}  // namespace rtstep::motion

// G2/G3 arcs in the XY plane (I/J centre or R radius), with helical Z and E: split into straight segments
// no longer than [gcode_arcs] resolution, every segment checked before any is queued.
#include <cmath>
#include <numbers>
#include <vector>

#include <fmt/format.h>

#include "motion/motion.hpp"
#include "motion/toolhead_util.hpp"

namespace rtstep::motion {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// Radius mismatch accepted between start and end of an I/J arc: slicers round coordinates to 1 um, so a
// few um is rounding; beyond 0.005 mm and 0.1 % of the radius (or beyond 0.5 mm) the file is wrong.
constexpr double kRadiusAbsSlack = 0.005, kRadiusRelSlack = 0.001, kRadiusMaxError = 0.5;

struct ArcGeometry {
  double cx = 0, cy = 0, radius = 0, start_angle = 0, travel = 0;  // travel: signed angle, rad
};

// The centre for the R form: on the perpendicular bisector of the chord, on the side that gives the short
// arc for R > 0 and the long one for R < 0, for the arc's direction.
Result<ArcGeometry> centre_from_radius(double sx, double sy, double ex, double ey, double r, bool clockwise) {
  const double dx = ex - sx, dy = ey - sy;
  const double chord = std::hypot(dx, dy);
  if (chord < kMinMoveDistance) return Error{"arc with R needs distinct start and end points"};
  double h2 = r * r - chord * chord / 4.0;
  if (h2 < 0) {
    if (std::fabs(r) < chord / 2.0 - kRadiusAbsSlack) {
      return Error{fmt::format("arc radius R={:.3f} is too small for the {:.3f} mm between start and end", r, chord)};
    }
    h2 = 0;  // rounding: a half circle
  }
  // Left of the chord for a counter-clockwise short arc; flipped for clockwise or for R < 0.
  double side = std::sqrt(h2) / chord;
  if (clockwise != (r < 0)) side = -side;
  ArcGeometry g;
  g.cx = (sx + ex) / 2.0 - dy * side;
  g.cy = (sy + ey) / 2.0 + dx * side;
  g.radius = std::fabs(r);
  return g;
}

Result<ArcGeometry> arc_geometry(const gcode::Command& cmd, double sx, double sy, double ex, double ey, double scale) {
  const bool clockwise = cmd.number == 2;
  ArcGeometry g;
  if (cmd.has('R')) {
    auto centred = centre_from_radius(sx, sy, ex, ey, cmd.get('R') * scale, clockwise);
    if (!centred) return centred;
    g = *centred;
  } else {
    g.cx = sx + cmd.get_or('I', 0.0) * scale;
    g.cy = sy + cmd.get_or('J', 0.0) * scale;
    g.radius = std::hypot(sx - g.cx, sy - g.cy);
    const double end_radius = std::hypot(ex - g.cx, ey - g.cy);
    if (g.radius < kMinMoveDistance) return Error{"arc radius is zero (I and J are both 0)"};
    const double mismatch = std::fabs(end_radius - g.radius);
    if (mismatch > kRadiusMaxError || (mismatch > kRadiusAbsSlack && mismatch > kRadiusRelSlack * g.radius)) {
      return Error{fmt::format("arc radius is inconsistent: {:.3f} mm at the start, {:.3f} mm at the end", g.radius,
                               end_radius)};
    }
  }
  g.start_angle = std::atan2(sy - g.cy, sx - g.cx);
  double travel = std::atan2(ey - g.cy, ex - g.cx) - g.start_angle;  // in (-2pi, 2pi)
  // Same start and end: a full circle. Otherwise the travel in the arc's direction, in (0, 2pi).
  if (std::hypot(ex - sx, ey - sy) < kMinMoveDistance) {
    travel = 0;
  } else if (clockwise) {
    while (travel >= 0) travel -= kTwoPi;
  } else {
    while (travel <= 0) travel += kTwoPi;
  }
  if (travel == 0) travel = clockwise ? -kTwoPi : kTwoPi;
  g.travel = travel;
  return g;
}

}  // namespace

Result<Ok> Toolhead::arc_move(const gcode::Command& cmd) {
  const Coord from = gcode_position_;
  const Coord to = gcode_target(cmd);
  for (double v : to) {
    if (!std::isfinite(v)) return error(cmd.line, "arc to a non-finite position");
  }
  auto geometry = arc_geometry(cmd, from[kX], from[kY], to[kX], to[kY], unit_scale_);
  if (!geometry) return error(cmd.line, geometry.error().message);
  const ArcGeometry& g = *geometry;
  const double dz = to[kZ] - from[kZ], de = to[kE] - from[kE];
  const double length = std::hypot(g.radius * g.travel, dz);
  const double pieces = std::max(1.0, std::ceil(length / machine_.motion.arc_resolution - 1e-9));
  if (!(pieces <= kMaxArcSegments)) {
    return error(cmd.line, fmt::format("arc is {:.3f} mm long (radius {:.3f} mm): more than {:g} segments of "
                                       "[gcode_arcs] resolution {:g} mm", length, g.radius, kMaxArcSegments,
                                       machine_.motion.arc_resolution));
  }
  // The whole arc lays filament evenly, so one check covers every segment.
  const std::string too_much = check_extrusion_rate(machine_.motion, g.radius * std::fabs(g.travel), 0, dz,
                                                    de * extrude_factor_);
  if (!too_much.empty()) return error(cmd.line, too_much);
  const double feed_rate = cmd.has('F') ? cmd.get('F') * unit_scale_ / 60.0 : feed_rate_;
  if (auto slow = check_move_duration(length, feed_rate * speed_factor_, max_velocity_, cmd.line, source_name_); !slow) {
    return slow;
  }
  const auto segments = static_cast<std::size_t>(pieces);

  // Every point in G-code coordinates, the last one exactly the target; then all checked before queueing.
  std::vector<Coord> points(segments);
  for (std::size_t i = 1; i < segments; ++i) {
    const double f = static_cast<double>(i) / static_cast<double>(segments);
    const double angle = g.start_angle + g.travel * f;
    points[i - 1] = {g.cx + g.radius * std::cos(angle), g.cy + g.radius * std::sin(angle), from[kZ] + dz * f,
                     from[kE] + de * f};
  }
  points.back() = to;
  std::vector<Coord> targets;
  targets.reserve(points.size());
  Coord previous = position_;
  for (const Coord& p : points) {
    targets.push_back(machine_target(p));
    if (auto checked = check_limits(previous, targets.back(), cmd.line); !checked) return checked;
    previous = targets.back();
  }
  if (cmd.has('F')) feed_rate_ = cmd.get('F') * unit_scale_ / 60.0;
  gcode_position_ = to;
  for (const Coord& target : targets) {
    if (auto queued = queue_move(target, feed_rate_ * speed_factor_, cmd.line); !queued) return queued;
  }
  return Ok{};
}

}  // namespace rtstep::motion

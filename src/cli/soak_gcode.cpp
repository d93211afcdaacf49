// The soak's generated print (soak.hpp): slicer-like layers over a box in the middle of the bed.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <ostream>
#include <random>

#include <fmt/format.h>

#include "cli/soak.hpp"

namespace rtstep::cli {

namespace {

constexpr double kLayerHeight = 0.2;
constexpr double kLineWidth = 0.45;
constexpr double kExtrusionPerMm = 0.033;  // a 0.45 x 0.2 line from 1.75 mm filament
constexpr double kRetract = 0.8;
constexpr double kCornerRadius = 3.0;

// Emits moves and keeps the estimate; `done()` ends the print once the estimate reaches the target.
class Writer {
 public:
  Writer(std::ostream& out, const SoakShape& shape, double target_s) : out_(out), shape_(shape), target_s_(target_s) {}

  bool done() const { return result_.estimated_s >= target_s_; }
  const SoakGcode& result() const { return result_; }
  double x() const { return x_; }
  double y() const { return y_; }

  void line(const std::string& text) {
    out_ << text << '\n';
    ++result_.lines;
  }
  void travel(double x, double y, double feed) {
    line(fmt::format("G0 X{:.3f} Y{:.3f} F{:.0f}", x, y, feed));
    advance(std::hypot(x - x_, y - y_), feed);
    x_ = x;
    y_ = y;
  }
  void extrude(double x, double y, double feed) {
    const double length = std::hypot(x - x_, y - y_);
    line(fmt::format("G1 X{:.3f} Y{:.3f} E{:.5f} F{:.0f}", x, y, length * kExtrusionPerMm, feed));
    advance(length, feed);
    x_ = x;
    y_ = y;
  }
  // A quarter circle counter-clockwise around (cx, cy) to (x, y).
  void arc_ccw(double x, double y, double cx, double cy, double feed) {
    const double length = std::numbers::pi / 2 * kCornerRadius;
    line(fmt::format("G3 X{:.3f} Y{:.3f} I{:.3f} J{:.3f} E{:.5f} F{:.0f}", x, y, cx - x_, cy - y_,
                     length * kExtrusionPerMm, feed));
    advance(length, feed);
    x_ = x;
    y_ = y;
  }
  void z(double z, double feed) {
    line(fmt::format("G1 Z{:.3f} F{:.0f}", z, feed));
    advance(std::abs(z - z_), feed);
    z_ = z;
  }
  void extruder(double e, double feed) {
    line(fmt::format("G1 E{:.3f} F{:.0f}", e, feed));
    advance(std::abs(e), feed);
  }
  void dwell_ms(int ms) {
    line(fmt::format("G4 P{}", ms));
    result_.estimated_s += ms / 1000.0;
  }
  double z_now() const { return z_; }

 private:
  void advance(double length_mm, double feed_mm_per_min) {
    const double speed = std::min(feed_mm_per_min / 60.0, shape_.max_velocity);
    result_.estimated_s += length_mm / speed;
  }
  std::ostream& out_;
  SoakShape shape_;
  double target_s_;
  SoakGcode result_;
  double x_ = 0, y_ = 0, z_ = 0;
};

struct Box {
  double x0, y0, x1, y1;
};

// A rectangle with rounded corners, counter-clockwise from the middle of its bottom edge.
void perimeter(Writer& w, const Box& b, double feed) {
  const double r = kCornerRadius;
  w.extrude(b.x1 - r, b.y0, feed);
  w.arc_ccw(b.x1, b.y0 + r, b.x1 - r, b.y0 + r, feed);
  w.extrude(b.x1, b.y1 - r, feed);
  w.arc_ccw(b.x1 - r, b.y1, b.x1 - r, b.y1 - r, feed);
  w.extrude(b.x0 + r, b.y1, feed);
  w.arc_ccw(b.x0, b.y1 - r, b.x0 + r, b.y1 - r, feed);
  w.extrude(b.x0, b.y0 + r, feed);
  w.arc_ccw(b.x0 + r, b.y0, b.x0 + r, b.y0 + r, feed);
  w.extrude((b.x0 + b.x1) / 2, b.y0, feed);
}

void retracted_travel(Writer& w, double x, double y, double travel_feed) {
  w.extruder(-kRetract, 2400);
  w.z(w.z_now() + 0.4, 600);
  w.travel(x, y, travel_feed);
  w.z(w.z_now() - 0.4, 600);
  w.extruder(kRetract, 2400);
}

// A round feature as a slicer writes it: many short chords (0.5 mm), which is what stresses the compressor.
void circle(Writer& w, double cx, double cy, double radius, double feed) {
  const int chords = std::max(12, static_cast<int>(2 * std::numbers::pi * radius / 0.5));
  for (int i = 1; i <= chords && !w.done(); ++i) {
    const double a = 2 * std::numbers::pi * i / chords;
    w.extrude(cx + radius * std::cos(a), cy + radius * std::sin(a), feed);
  }
}

// Zig-zag lines across the box, along X on even layers and along Y on odd ones.
void infill(Writer& w, const Box& b, bool along_x, double feed) {
  const double first = along_x ? b.y0 : b.x0;
  const double last = along_x ? b.y1 : b.x1;
  bool forward = true;
  for (double c = first; c <= last && !w.done(); c += kLineWidth * 2) {
    const double from = forward ? (along_x ? b.x0 : b.y0) : (along_x ? b.x1 : b.y1);
    const double to = forward ? (along_x ? b.x1 : b.y1) : (along_x ? b.x0 : b.y0);
    if (along_x) {
      w.extrude(from, c, feed);
      w.extrude(to, c, feed);
    } else {
      w.extrude(c, from, feed);
      w.extrude(c, to, feed);
    }
    forward = !forward;
  }
}

}  // namespace

SoakShape soak_shape(const config::MachineConfig& machine) {
  SoakShape shape;
  shape.max_velocity = machine.printer.max_velocity;
  for (const auto& s : machine.steppers) {
    if (s.axis == 'x') shape.x_min = s.position_min, shape.x_max = s.position_max;
    if (s.axis == 'y') shape.y_min = s.position_min, shape.y_max = s.position_max;
    if (s.axis == 'z') shape.z_max = s.position_max;
  }
  return shape;
}

SoakGcode write_soak_gcode(std::ostream& out, const SoakShape& shape, double motion_s, uint32_t seed) {
  std::mt19937 random(seed);
  const auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random); };
  Writer w(out, shape, motion_s);
  w.line(fmt::format("; rtstep soak print: about {:.0f} s of motion, seed {}", motion_s, seed));
  w.line("G28");
  w.line("G90");
  w.line("M83");
  // The box: 60 mm, or 60 % of the smaller travel, in the middle of the bed.
  const double side = std::min({60.0, 0.6 * (shape.x_max - shape.x_min), 0.6 * (shape.y_max - shape.y_min)});
  const double cx = (shape.x_min + shape.x_max) / 2, cy = (shape.y_min + shape.y_max) / 2;
  const Box outer{cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2};
  const Box inner{outer.x0 + kLineWidth, outer.y0 + kLineWidth, outer.x1 - kLineWidth, outer.y1 - kLineWidth};
  const Box fill{inner.x0 + kLineWidth, inner.y0 + kLineWidth, inner.x1 - kLineWidth, inner.y1 - kLineWidth};
  const int layers_in_z = std::max(1, static_cast<int>((shape.z_max - 1.0) / kLayerHeight));
  const double fastest = std::min(shape.max_velocity, 150.0) * 60;
  w.z(kLayerHeight, 600);
  std::size_t layer = 0;
  while (!w.done()) {
    const double z = kLayerHeight * static_cast<double>(layer % static_cast<std::size_t>(layers_in_z) + 1);
    retracted_travel(w, (outer.x0 + outer.x1) / 2, outer.y0, fastest);
    w.z(z, 600);
    const double wall_feed = uniform(1500, 3000);
    perimeter(w, outer, wall_feed);
    if (!w.done()) retracted_travel(w, (inner.x0 + inner.x1) / 2, inner.y0, fastest);
    if (!w.done()) perimeter(w, inner, wall_feed * 1.2);
    const double radius = uniform(3, side / 6);
    const double ccx = uniform(fill.x0 + radius + 1, fill.x1 - radius - 1);
    const double ccy = uniform(fill.y0 + radius + 1, fill.y1 - radius - 1);
    if (!w.done()) retracted_travel(w, ccx + radius, ccy, fastest);
    if (!w.done()) circle(w, ccx, ccy, radius, wall_feed);
    if (!w.done()) retracted_travel(w, fill.x0, fill.y0, fastest);
    if (!w.done()) infill(w, fill, layer % 2 == 0, std::min(uniform(4800, 9000), fastest));
    ++layer;
    if (layer % 10 == 0 && !w.done()) w.dwell_ms(200);
  }
  w.line("M400");
  SoakGcode result = w.result();
  result.layers = layer;
  return result;
}

}  // namespace rtstep::cli

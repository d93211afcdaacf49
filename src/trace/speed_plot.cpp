// The speed plot (see trace.hpp): one panel per stepper. Each rising step edge k > 0 gives a written speed,
// 1e9 / (issued_k - issued_k-1), and a planned one, 1e9 / (scheduled_k - scheduled_k-1). Both are reduced
// to one column per pixel (the lowest and highest speed in it), so a trace of millions of steps stays a
// small file; the late and bunched steps are drawn one by one (up to a cap) over them.

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "trace/trace.hpp"

namespace rtstep::trace {

namespace {

constexpr int kLeft = 80, kRight = 20, kTop = 50, kGap = 40;  // margins, px

struct Column {
  double low = std::numeric_limits<double>::infinity(), high = 0;
  bool used() const { return high > 0 || low == 0; }
  void add(double v) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
};

struct Marker {
  double t_s = 0, speed = 0;
};

// One stepper's steps: its figures, its columns and its markers.
struct Panel {
  StepperSpeed figures;
  std::vector<Column> written, planned;
  std::vector<Marker> late, bunched;
};

double speed_of(int64_t interval_ns) {
  return interval_ns > 0 ? 1e9 / static_cast<double>(interval_ns) : std::numeric_limits<double>::infinity();
}

Panel panel_of(const Trace& trace, const TraceStepper& stepper, int64_t t0, int64_t span, const SpeedPlotOptions& o) {
  Panel p;
  p.figures.name = stepper.name;
  p.written.resize(static_cast<std::size_t>(o.width));
  p.planned.resize(static_cast<std::size_t>(o.width));
  const gpio::PinMask step = gpio::PinMask{1} << stepper.step_pin;
  bool have_previous = false;
  int64_t last_issued = 0, last_scheduled = 0;
  for (const gpio::EdgeRecord& r : trace.records) {
    if ((r.changed & step) == 0 || (r.levels & step) == 0) continue;  // only rising step edges
    ++p.figures.steps;
    const int64_t lateness = r.issued_ns - r.scheduled_ns;
    const double t_s = static_cast<double>(r.scheduled_ns - t0) / 1e9;
    if (have_previous) {
      const int64_t written_ns = r.issued_ns - last_issued, planned_ns = r.scheduled_ns - last_scheduled;
      const double written = speed_of(written_ns), planned = speed_of(planned_ns);
      const auto x = static_cast<std::size_t>(
          std::clamp<double>(static_cast<double>(r.scheduled_ns - t0) / static_cast<double>(span) * o.width, 0, o.width - 1));
      p.written[x].add(written);
      p.planned[x].add(planned);
      p.figures.max_planned_speed = std::max(p.figures.max_planned_speed, planned);
      p.figures.max_speed = std::max(p.figures.max_speed, written);
      if (static_cast<double>(written_ns) < o.bunch_ratio * static_cast<double>(planned_ns)) {
        ++p.figures.bunched_steps;
        if (p.bunched.size() < o.max_markers) p.bunched.push_back({t_s, written});
      }
    }
    if (lateness > o.late_threshold_ns) {
      ++p.figures.late_steps;
      if (p.late.size() < o.max_markers) p.late.push_back({t_s, have_previous ? speed_of(r.issued_ns - last_issued) : 0});
    }
    have_previous = true;
    last_issued = r.issued_ns;
    last_scheduled = r.scheduled_ns;
  }
  return p;
}

// A round step for axis ticks: 1, 2 or 5 x 10^n, about a fifth of `range`.
double tick_step(double range) {
  const double raw = range / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double f : {1.0, 2.0, 5.0}) {
    if (f * magnitude >= raw) return f * magnitude;
  }
  return 10 * magnitude;
}

std::string polyline(const std::vector<Column>& columns, double y0, double height, double top_speed, const char* style) {
  std::string points;
  for (std::size_t x = 0; x < columns.size(); ++x) {
    if (!columns[x].used()) continue;
    for (const double v : {columns[x].low, columns[x].high}) {
      const double y = y0 + height - std::min(v, top_speed) / top_speed * height;
      points += fmt::format("{},{:.1f} ", kLeft + static_cast<int>(x), y);
    }
  }
  return points.empty() ? std::string() : fmt::format("<polyline points=\"{}\" {}/>\n", points, style);
}

}  // namespace

SpeedPlot speed_plot(const Trace& trace, const SpeedPlotOptions& o) {
  SpeedPlot plot;
  int64_t t0 = 0, t1 = 1;
  if (!trace.records.empty()) {
    t0 = trace.records.front().scheduled_ns;
    t1 = std::max(t0 + 1, trace.records.back().scheduled_ns);
  }
  const int64_t span = t1 - t0;
  const auto panels_count = static_cast<int>(trace.header.steppers.size());
  const int height = kTop + panels_count * (o.panel_height + kGap) + 20;
  std::string& svg = plot.svg;
  svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"18\" font-size=\"14\">Step rate per stepper: as written (blue) and as planned (grey, dashed)</text>\n"
      "<text x=\"{}\" y=\"34\">red circles: written more than {:.1f} us late; orange triangles: bunched (less than {:.0f} % "
      "of the planned interval after the step before); a value above the top is drawn at the top</text>\n",
      kLeft + o.width + kRight, height, kLeft, kLeft, o.late_threshold_ns / 1e3, o.bunch_ratio * 100);
  for (int i = 0; i < panels_count; ++i) {
    const Panel p = panel_of(trace, trace.header.steppers[static_cast<std::size_t>(i)], t0, span, o);
    plot.steppers.push_back(p.figures);
    const double y0 = kTop + i * (o.panel_height + kGap) + 14;
    const double h = o.panel_height;
    // The scale follows the plan: a bunched step's speed is a spike that would flatten everything else.
    const double planned_top = std::isfinite(p.figures.max_planned_speed) ? p.figures.max_planned_speed : 0;
    const double step = tick_step(std::max(planned_top * 1.25, 1.0));
    const double top = std::ceil(std::max(planned_top * 1.25, 1.0) / step) * step;
    svg += fmt::format("<text x=\"{}\" y=\"{:.0f}\" font-weight=\"bold\">{}: {} steps, {} late, {} bunched; "
                       "highest {:.0f} steps/s written, {:.0f} planned</text>\n",
                       kLeft, y0 - 4, p.figures.name, p.figures.steps, p.figures.late_steps, p.figures.bunched_steps,
                       std::isfinite(p.figures.max_speed) ? p.figures.max_speed : -1.0, planned_top);
    svg += fmt::format("<rect x=\"{}\" y=\"{:.0f}\" width=\"{}\" height=\"{:.0f}\" fill=\"none\" stroke=\"#888\"/>\n", kLeft,
                       y0, o.width, h);
    for (double v = 0; v <= top + step / 2; v += step) {
      const double y = y0 + h - v / top * h;
      svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
                         "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n",
                         kLeft, kLeft + o.width, y, y, kLeft - 4, y + 4, v);
    }
    svg += fmt::format("<text x=\"12\" y=\"{:.0f}\" transform=\"rotate(-90 12 {:.0f})\" text-anchor=\"middle\">steps/s</text>\n",
                       y0 + h / 2, y0 + h / 2);
    svg += polyline(p.planned, y0, h, top, "fill=\"none\" stroke=\"#999\" stroke-width=\"2\" stroke-dasharray=\"4 3\"");
    svg += polyline(p.written, y0, h, top, "fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1\"");
    const auto x_of = [&](double t_s) { return kLeft + t_s * 1e9 / static_cast<double>(span) * o.width; };
    const auto y_of = [&](double speed) { return y0 + h - std::min(speed, top) / top * h; };
    for (const Marker& m : p.late) {
      svg += fmt::format("<circle class=\"late\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"none\" stroke=\"red\"/>\n",
                         x_of(m.t_s), y_of(m.speed));
    }
    for (const Marker& m : p.bunched) {
      const double x = x_of(m.t_s), y = y_of(m.speed);
      svg += fmt::format("<polygon class=\"bunched\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"orange\"/>\n",
                         x, y - 4, x - 4, y + 3, x + 4, y + 3);
    }
    if (p.figures.bunched_steps > p.bunched.size() || p.figures.late_steps > p.late.size()) {
      svg += fmt::format("<text x=\"{}\" y=\"{:.0f}\" text-anchor=\"end\">(the first {} of each kind are marked)</text>\n",
                         kLeft + o.width, y0 - 4, o.max_markers);
    }
  }
  // The time axis, under the last panel.
  const double axis_y = kTop + panels_count * (o.panel_height + kGap) + 14 - kGap + 14;
  const double seconds = static_cast<double>(span) / 1e9;
  const double t_step = tick_step(std::max(seconds, 1e-6));
  for (double t = 0; t <= seconds + t_step / 100; t += t_step) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">{:g}</text>\n", kLeft + t / seconds * o.width,
                       axis_y, t);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{:.0f}\" text-anchor=\"end\">time, s (from the first deadline)</text>\n",
                     kLeft + o.width, axis_y + 14);
  svg += "</svg>\n";
  return plot;
}

}  // namespace rtstep::trace

// Trace statistics (rtstep trace --stats): edge counts per pin; per stepper the steps, the position the
// pulses add up to, and the shortest pulse, low time, dir setup and dir hold actually seen on the pins;
// lateness of the writes.

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "trace/trace.hpp"

namespace rtstep::trace {

namespace {

struct PinTimes {
  int64_t last_rise = INT64_MIN, last_fall = INT64_MIN, last_change = INT64_MIN;
  int64_t last_rise_scheduled = INT64_MIN;  // when the write of the last rise was due
};

void shorten(int64_t& shortest, int64_t value) { shortest = std::min(shortest, value); }

// a - b, saturated at the int64 limits: a damaged or hostile trace may hold any times, and the statistics of
// one must not overflow (found by fuzz/trace.cpp).
int64_t difference(int64_t a, int64_t b) {
  int64_t d = 0;
  if (__builtin_sub_overflow(a, b, &d)) return a < b ? INT64_MIN : INT64_MAX;
  return d;
}

int64_t order_statistic(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

// One stepper's view of a write whose time is `t`.
void step_events(const gpio::EdgeRecord& r, const TraceStepper& st, std::vector<PinTimes>& times,
                 StepperStats& s, bool& dir_changed) {
  const int64_t t = r.issued_ns;
  const gpio::PinMask step = gpio::PinMask{1} << st.step_pin, dir = gpio::PinMask{1} << st.dir_pin;
  PinTimes& sp = times[st.step_pin];
  if ((r.changed & dir) != 0) {
    if (sp.last_fall != INT64_MIN && (r.levels & step) == 0) shorten(s.shortest_dir_hold_ns, difference(t, sp.last_fall));
    dir_changed = true;
  }
  if ((r.changed & step) == 0) return;
  if ((r.levels & step) != 0) {
    // The interval as written beside the planned one (the writes' deadlines): a late catch-up shows here.
    if (sp.last_rise != INT64_MIN && difference(t, sp.last_rise) < s.shortest_interval_ns) {
      s.shortest_interval_ns = difference(t, sp.last_rise);
      s.planned_interval_ns = difference(r.scheduled_ns, sp.last_rise_scheduled);
    }
    sp.last_rise_scheduled = r.scheduled_ns;
    ++s.steps;
    s.position += (r.levels & dir) != 0 ? 1 : -1;
    if (sp.last_fall != INT64_MIN) shorten(s.shortest_low_ns, difference(t, sp.last_fall));
    // A dir change in this same write is 0 ns of setup (times[] learns of this write only afterwards).
    if (dir_changed) {
      shorten(s.shortest_dir_setup_ns, (r.changed & dir) != 0 ? 0 : difference(t, times[st.dir_pin].last_change));
    }
    dir_changed = false;
  } else if (sp.last_rise != INT64_MIN) {
    shorten(s.shortest_pulse_ns, difference(t, sp.last_rise));
  }
}

}  // namespace

TraceStats compute_stats(const Trace& trace) {
  TraceStats stats;
  const std::size_t pin_count = trace.header.pin_names.size();
  stats.pins.resize(pin_count);
  stats.steppers.resize(trace.header.steppers.size());
  stats.writes = trace.records.size();
  stats.lost = trace.lost;
  std::vector<PinTimes> times(pin_count);
  std::vector<bool> dir_changed(trace.header.steppers.size(), false);
  std::vector<int64_t> lateness;
  lateness.reserve(trace.records.size());
  for (const gpio::EdgeRecord& r : trace.records) {
    lateness.push_back(difference(r.issued_ns, r.scheduled_ns));
    for (std::size_t i = 0; i < trace.header.steppers.size(); ++i) {
      bool changed = dir_changed[i];
      step_events(r, trace.header.steppers[i], times, stats.steppers[i], changed);
      dir_changed[i] = changed;
    }
    for (gpio::PinMask m = r.changed; m != 0; m &= m - 1) {
      const auto pin = static_cast<std::size_t>(std::countr_zero(m));
      if (pin >= pin_count) continue;
      const bool high = ((r.levels >> pin) & 1U) != 0;
      (high ? stats.pins[pin].rising : stats.pins[pin].falling)++;
      (high ? times[pin].last_rise : times[pin].last_fall) = r.issued_ns;
      times[pin].last_change = r.issued_ns;
    }
  }
  if (!trace.records.empty()) stats.duration_ns = difference(trace.records.back().issued_ns, trace.records.front().issued_ns);
  std::sort(lateness.begin(), lateness.end());
  stats.lateness_p50_ns = order_statistic(lateness, 0.5);
  stats.lateness_p99_ns = order_statistic(lateness, 0.99);
  stats.lateness_p999_ns = order_statistic(lateness, 0.999);
  stats.lateness_max_ns = lateness.empty() ? 0 : lateness.back();
  return stats;
}

namespace {
std::string ns_or_dash(int64_t ns) { return ns == INT64_MAX ? "-" : fmt::format("{:.3f}", static_cast<double>(ns) / 1e3); }
}  // namespace

std::string format_stats(const Trace& trace, const TraceStats& stats) {
  std::string out = fmt::format("{} writes over {:.6f} s, {} clock{}\n", stats.writes,
                                static_cast<double>(stats.duration_ns) / 1e9,
                                (trace.header.flags & kFlagVirtualClock) != 0 ? "virtual" : "real",
                                trace.complete ? "" : " (no trailer: the file was not closed)");
  if (stats.lost > 0) out += fmt::format("WARNING: {} writes were lost (the drain fell behind)\n", stats.lost);
  out += fmt::format("{:<24} {:>10} {:>10}\n", "pin", "rising", "falling");
  for (std::size_t i = 0; i < stats.pins.size(); ++i) {
    out += fmt::format("{:<24} {:>10} {:>10}\n", trace.header.pin_names[i], stats.pins[i].rising, stats.pins[i].falling);
  }
  out += fmt::format("{:<12} {:>10} {:>12} {:>12} {:>12} {:>14} {:>13} {:>22}\n", "stepper", "steps", "position",
                     "pulse us", "low us", "dir setup us", "dir hold us", "interval/planned us");
  for (std::size_t i = 0; i < stats.steppers.size(); ++i) {
    const StepperStats& s = stats.steppers[i];
    const std::string interval = s.shortest_interval_ns == INT64_MAX
                                     ? "-"
                                     : ns_or_dash(s.shortest_interval_ns) + "/" + ns_or_dash(s.planned_interval_ns);
    out += fmt::format("{:<12} {:>10} {:>12} {:>12} {:>12} {:>14} {:>13} {:>22}\n", trace.header.steppers[i].name,
                       s.steps, s.position, ns_or_dash(s.shortest_pulse_ns), ns_or_dash(s.shortest_low_ns),
                       ns_or_dash(s.shortest_dir_setup_ns), ns_or_dash(s.shortest_dir_hold_ns), interval);
  }
  out += "(pulse, low, dir setup, dir hold and the interval between rising edges are the shortest seen; planned:\n"
         " the time between the deadlines of those same two edges)\n";
  out += fmt::format("lateness per write: p50 {:.3f} us, p99 {:.3f} us, p99.9 {:.3f} us, max {:.3f} us\n",
                     stats.lateness_p50_ns / 1e3, stats.lateness_p99_ns / 1e3, stats.lateness_p999_ns / 1e3,
                     stats.lateness_max_ns / 1e3);
  return out;
}

}  // namespace rtstep::trace

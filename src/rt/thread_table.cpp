// The thread table (see thread_table.hpp).
#include "rt/thread_table.hpp"

#include <cstdio>

namespace rtstep::rt {

ThreadRow thread_row(const PeriodicStats& stats) {
  ThreadRow row;
  row.name = stats.label;
  row.period_ns = stats.period_ns;
  row.avg_time_ns = stats.avg_exec_ns;
  row.max_time_ns = stats.max_exec_ns;
  row.max_latency_ns = stats.latency.max_ns;
  row.utilisation = stats.utilisation();
  row.overruns = stats.overruns;
  return row;
}

ThreadRow executor_row(const std::string& name, const LatencyHistogram::Snapshot& lateness) {
  ThreadRow row;
  row.name = name;
  row.avg_time_ns = static_cast<int64_t>(lateness.mean_ns);
  row.max_time_ns = lateness.max_ns;
  row.note = "times are step-edge lateness (" + std::to_string(lateness.count) + " edges)";
  return row;
}

std::string format_thread_table(std::span<const ThreadRow> rows) {
  std::string out = "Real-time threads:\n";
  char line[200];
  std::snprintf(line, sizeof line, "%11s  %-16s %10s %10s %10s %6s %9s\n", "Period", "Name", "Avg-Time", "Max-Time",
                "Max-Wake", "Util", "Overruns");
  out += line;
  bool flagged = false;
  bool overran = false;
  for (const auto& r : rows) {
    const std::string period = r.period_ns > 0 ? format_duration(r.period_ns) : "events";
    const std::string wake = r.period_ns > 0 ? format_duration(r.max_latency_ns) : "-";
    char util[16] = "-";
    if (r.utilisation >= 0) {
      const bool high = r.utilisation > 0.5;
      flagged = flagged || high;
      // Past 100 % the figure only says how badly a cycle overran (5605 % helps nobody): the column says so.
      if (r.utilisation > 1.0) {
        overran = true;
        std::snprintf(util, sizeof util, ">100%%!");
      } else {
        std::snprintf(util, sizeof util, "%.0f%%%s", r.utilisation * 100, high ? "!" : "");
      }
    }
    std::snprintf(line, sizeof line, "%11s  %-16s %10s %10s %10s %6s %9llu\n", period.c_str(), r.name.c_str(),
                  format_duration(r.avg_time_ns).c_str(), format_duration(r.max_time_ns).c_str(), wake.c_str(), util,
                  static_cast<unsigned long long>(r.overruns));
    out += line;
    if (!r.note.empty()) out += "             " + r.note + "\n";
  }
  if (flagged) out += "! utilisation above 50 %: (max wake-up latency + execution) uses more than half the period\n";
  if (overran) {
    out += "  >100 %: a cycle ended after its next deadline (counted in Overruns): lengthen the period, or make the\n"
           "  host's latency smaller (rtstep doctor, TUNING.md)\n";
  }
  return out;
}

}  // namespace rtstep::rt

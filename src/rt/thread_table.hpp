#pragma once
// A `show thread`-style table of rtstep's real-time threads: the periodic threads (periodic.hpp) and the
// step executor, one row each, so one table answers "which thread is short of time". Non-real-time.

#include <cstdint>
#include <span>
#include <string>

#include "rt/histogram.hpp"
#include "rt/periodic.hpp"

namespace rtstep::rt {

struct ThreadRow {
  std::string name;
  int64_t period_ns = 0;         // 0 = event-driven (the executor)
  int64_t avg_time_ns = 0;       // periodic: execution time; executor: step-edge lateness
  int64_t max_time_ns = 0;
  int64_t max_latency_ns = 0;    // periodic: wake-up latency max; executor: unused (its time is lateness)
  double utilisation = -1;       // (exec + latency) / period, worst cycle; < 0 = not applicable
  uint64_t overruns = 0;
  std::string note;              // "executor: lateness per step edge", a fallback warning, ...
};

ThreadRow thread_row(const PeriodicStats& stats);
// The executor's row from its step-edge lateness histogram (actual write time - scheduled time).
ThreadRow executor_row(const std::string& name, const LatencyHistogram::Snapshot& lateness);

// The table, one header line and one line per row; a utilisation above 50 % is flagged with '!' and
// explained under the table. Every row's note follows it on its own line.
std::string format_thread_table(std::span<const ThreadRow> rows);

}  // namespace rtstep::rt

#pragma once
// The record stream a StepGenerator produced, judged as the executor will judge it: the record check of its
// loop (every segment ipc::is_valid, record times nondecreasing, a stepper's segment starting after the last
// step of its previous one), the gaps it needs to put every step out on time (stepgen::StepSpacing), and how
// far the steps it will play are from the exact ones (time shift per step, count error at any instant).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "stepgen/stepgen.hpp"

namespace rtstep::testing {

// One stepper's steps in order: time (ns) and direction (+1 / -1).
struct StepTrack {
  std::vector<int64_t> time;
  std::vector<int8_t> dir;
  int64_t net() const {
    int64_t n = 0;
    for (int8_t d : dir) n += d;
    return n;
  }
};

// The steps the segments of `records` stand for, per stepper (invalid segments included: check them apart).
inline std::vector<StepTrack> played_steps(const std::vector<ipc::Record>& records, std::size_t steppers) {
  std::vector<StepTrack> out(steppers);
  for (const auto& r : records) {
    if (r.kind != ipc::RecordKind::kSegment || r.segment.stepper >= steppers) continue;
    StepTrack& t = out[r.segment.stepper];
    for (uint32_t k = 0; k < r.segment.count; ++k) {
      t.time.push_back(r.segment.step_time(k));
      t.dir.push_back(r.segment.dir == 1 ? 1 : -1);
    }
  }
  return out;
}

// "" when the executor's record check would take every record; otherwise the first it would refuse and why.
inline std::string first_rejected(const std::vector<ipc::Record>& records) {
  int64_t previous = INT64_MIN;
  std::vector<int64_t> last_step(ipc::kMaxSteppers, INT64_MIN);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ipc::Record& r = records[i];
    const int64_t t = r.time_ns();
    if (t < previous) return fmt::format("record {} at {} ns comes after one at {} ns", i, t, previous);
    previous = t;
    if (r.kind != ipc::RecordKind::kSegment) continue;
    const ipc::StepSegment& s = r.segment;
    if (!ipc::is_valid(s)) {
      return fmt::format("record {}: invalid segment (first {} interval {} add {} count {})", i, s.first_time_ns,
                         s.interval_ns, s.add_ns, s.count);
    }
    if (t <= last_step[s.stepper]) {
      return fmt::format("record {}: stepper {} segment at {} ns overlaps its previous one (last step {} ns)", i,
                         s.stepper, t, last_step[s.stepper]);
    }
    last_step[s.stepper] = s.last_time();
  }
  return "";
}

// "" when every two consecutive steps are at least `spacing` apart (the reversal gap where the direction
// changes); otherwise the first pair that is not.
inline std::string first_short_gap(const StepTrack& t, const stepgen::StepSpacing& spacing) {
  for (std::size_t i = 1; i < t.time.size(); ++i) {
    const bool reversal = t.dir[i] != t.dir[i - 1];
    const int64_t need = reversal ? spacing.min_reversal_ns : spacing.min_interval_ns;
    const int64_t gap = t.time[i] - t.time[i - 1];
    if (gap < need) {
      return fmt::format("steps {} and {}{}: {} ns apart, {} ns needed", i - 1, i, reversal ? " (reversal)" : "", gap,
                         need);
    }
  }
  return "";
}

// The largest |exact count - played count| at any instant: both start at 0, every step moves its count by its
// direction at its time, and steps at one instant are all taken before the counts are compared.
inline int64_t max_count_error(const StepTrack& exact, const StepTrack& played) {
  std::vector<std::pair<int64_t, int>> events;  // (time, change of exact - played)
  events.reserve(exact.time.size() + played.time.size());
  for (std::size_t i = 0; i < exact.time.size(); ++i) events.emplace_back(exact.time[i], exact.dir[i]);
  for (std::size_t i = 0; i < played.time.size(); ++i) events.emplace_back(played.time[i], -played.dir[i]);
  std::sort(events.begin(), events.end());
  int64_t error = 0, worst = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    error += events[i].second;
    if (i + 1 == events.size() || events[i + 1].first != events[i].first) worst = std::max(worst, error < 0 ? -error : error);
  }
  return worst;
}

// Played step i against exact step i (the same steps, in the same order and directions): the smallest and
// largest played - exact, ns. Empty tracks give {0, 0}.
inline std::pair<int64_t, int64_t> shift_range(const StepTrack& exact, const StepTrack& played) {
  int64_t low = 0, high = 0;
  for (std::size_t i = 0; i < std::min(exact.time.size(), played.time.size()); ++i) {
    low = std::min(low, played.time[i] - exact.time[i]);
    high = std::max(high, played.time[i] - exact.time[i]);
  }
  return {low, high};
}

}  // namespace rtstep::testing

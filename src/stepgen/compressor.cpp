// compress(): pack exact step times into StepSegments within a tolerance.
//
// Greedy: from the first unconsumed step, find the longest run that one (interval, add) pair reproduces
// within the tolerance. Candidate pairs are fitted through the run's first, middle and last steps; the
// run length grows by doubling and is then narrowed by bisection. Every accepted run is checked step by
// step against the bound, so the bound holds whatever the fit does.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

// The segment through t[0], t[mid] and t[last] of a run of `count` steps (count >= 3), or the plain
// interval for count 2.
ipc::StepSegment fit(std::span<const int64_t> t, uint32_t count) {
  ipc::StepSegment s;
  s.first_time_ns = t[0];
  s.count = count;
  if (count == 1) return s;
  if (count == 2) {
    s.interval_ns = t[1] - t[0];
    return s;
  }
  // (t[k] - t[0]) / k = interval + add * (k - 1) / 2: a line in k through two measured points.
  const uint32_t last = count - 1, mid = last / 2;
  const double slope_mid = static_cast<double>(t[mid] - t[0]) / mid;
  const double slope_last = static_cast<double>(t[last] - t[0]) / last;
  const double add = 2.0 * (slope_last - slope_mid) / static_cast<double>(last - mid);
  s.add_ns = std::llround(add);
  s.interval_ns = std::llround(slope_mid - static_cast<double>(s.add_ns) * (mid - 1) / 2.0);
  return s;
}

bool within(const ipc::StepSegment& s, std::span<const int64_t> t, int64_t tolerance_ns) {
  if (!ipc::is_valid(s)) return false;
  for (uint32_t k = 0; k < s.count; ++k) {
    if (std::llabs(s.step_time(k) - t[k]) > tolerance_ns) return false;
  }
  return true;
}

// The longest run starting at t[0] that one segment reproduces (at least 1 step).
ipc::StepSegment longest_run(std::span<const int64_t> t, int64_t tolerance_ns) {
  const uint32_t available = static_cast<uint32_t>(std::min<std::size_t>(t.size(), ipc::kMaxSegmentCount));
  ipc::StepSegment best = fit(t, 1);
  uint32_t good = 1, bad = available + 1;
  // Grow by doubling until a run fails, then bisect between the last good and the first bad length.
  for (uint32_t n = 2; n <= available; n = std::min(n * 2, available)) {
    ipc::StepSegment candidate = fit(t, n);
    if (!within(candidate, t, tolerance_ns)) {
      bad = n;
      break;
    }
    best = candidate;
    good = n;
    if (n == available) break;
  }
  while (bad - good > 1) {
    const uint32_t n = good + (bad - good) / 2;
    ipc::StepSegment candidate = fit(t, n);
    if (within(candidate, t, tolerance_ns)) { best = candidate; good = n; } else { bad = n; }
  }
  return best;
}

}  // namespace

bool compress(std::span<const int64_t> times, uint8_t stepper, uint8_t dir, int64_t tolerance_ns,
              std::vector<ipc::StepSegment>& out) {
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] - times[i - 1] < ipc::kMinStepIntervalNs) return false;
  }
  std::size_t done = 0;
  while (done < times.size()) {
    ipc::StepSegment s = longest_run(times.subspan(done), tolerance_ns);
    s.stepper = stepper;
    s.dir = dir;
    out.push_back(s);
    done += s.count;
  }
  return true;
}

}  // namespace rtstep::stepgen

// StepCompressor: pack exact step times into StepSegments within a tolerance, streaming.
//
// Greedy: from the first pending step, find a long run that one (interval, add) pair reproduces within the
// tolerance. A candidate of length n is fitted through the run's first, middle and last steps, then checked
// step by step by iterating the expansion with two additions per step (t += iv; iv += add: the same
// integers as ipc::StepSegment::step_time, without its multiplications). A check that fails at step j still
// proves the first j steps, so every check yields a valid segment; a handful of fits (grown from the previous
// segment's length, then shrunk towards the failure point) keeps the best. Nothing leaves unchecked.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

constexpr int kMaxFits = 8;  // fits tried per segment

// Nearest integer (halves away from zero) of a finite |x| < 2^62; inline, unlike the library llround,
// which the fit below would otherwise call twice per candidate.
inline int64_t round_to_int(double x) noexcept { return static_cast<int64_t>(x < 0 ? x - 0.5 : x + 0.5); }

// The segment through t[0], t[mid] and t[last] of a run of `count` steps, or the plain interval for 2.
ipc::StepSegment fit(const int64_t* t, uint32_t count) {
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
  const auto max_add = static_cast<double>(ipc::kMaxAbsAddNs);
  s.add_ns = round_to_int(std::clamp(add, -max_add, max_add));
  s.interval_ns = round_to_int(slope_mid - static_cast<double>(s.add_ns) * (mid - 1) / 2.0);
  return s;
}

// How many leading steps of `s`, continued up to `limit` steps, are within `tol` of `t`; their largest error
// in `error`. Continuing past the fitted window lets a fit that holds keep going without a refit.
uint32_t valid_prefix(const ipc::StepSegment& s, const int64_t* t, uint32_t limit, int64_t tol, int64_t& error) {
  int64_t time = s.first_time_ns, interval = s.interval_ns, high = 0, low = 0;
  const auto span = static_cast<uint64_t>(2 * tol);
  uint32_t k = 0;
  for (; k < limit; ++k) {
    const int64_t e = time - t[k];
    if (static_cast<uint64_t>(e + tol) > span) break;  // e outside [-tol, tol], in one comparison
    high = std::max(high, e);
    low = std::min(low, e);
    time += interval;
    interval += s.add_ns;
  }
  error = std::max(high, -low);
  return k;
}

}  // namespace

ipc::StepSegment StepCompressor::next_segment(std::size_t start, uint32_t available, int64_t& error_ns) {
  const int64_t* t = pending_.data() + start;
  ipc::StepSegment best = fit(t, 1);
  error_ns = 0;
  uint32_t good = 1;
  // Start a little beyond the previous segment's length. A fit that fails does so early and costs little;
  // one that holds over its window is continued as far as it goes, then refitted once over a longer window.
  uint32_t n = std::clamp<uint32_t>(2 * hint_ + 2, 2, available);
  bool refitted = false;  // each refit re-checks the steps already proven: allow only one
  for (int tries = 0; tries < kMaxFits; ++tries) {
    ipc::StepSegment candidate = fit(t, n);
    int64_t error = 0;
    const uint32_t valid = valid_prefix(candidate, t, available, tolerance_ns_, error);
    candidate.count = valid;
    // Intervals must stay >= the spacing's min_interval_ns; rounding can break that only at the extremes.
    while (candidate.count > 1 && !playable(candidate)) candidate.count = candidate.count * 3 / 4;
    const bool improved = candidate.count > good;
    if (improved) {
      best = candidate;
      good = candidate.count;
      error_ns = error;
    }
    if (valid >= n) {
      // The fit held over its window: a longer window may hold longer still, unless this one did not help.
      // A fit that ran far past its window (a cruise) would only be re-checked by a refit: keep it.
      if (valid == available || !improved || refitted || valid >= 4 * n) break;
      refitted = true;
      n = std::min<uint32_t>(available, 2 * valid);
    } else {
      const uint32_t shorter = good + (n - good) / 2;  // shrink towards what fitted
      if (shorter <= good || shorter >= n) break;
      n = std::max<uint32_t>(shorter, 2);
    }
  }
  best.count = end_before_next_step(best, t, pending_.size() - start);
  hint_ = good;
  return best;
}

// A segment starts on its first step's exact time, but its last step may be late by the whole tolerance,
// which [rt] max_step_error lets exceed the step interval: it must still come min_interval_ns before the next
// step (which starts the next segment on its own time), or the executor would play that one late, or refuse
// two overlapping segments. Where the next step is not known yet (the last pending one), the segment ends on a
// step that is not late, so that whatever follows (a reversal) keeps its gap from the time it was given.
// Shortening keeps the segment valid: its intervals change monotonically, so the ones left lie between its
// first and last. It always ends: a one-step segment is its step's own time, spaced from the next.
uint32_t StepCompressor::end_before_next_step(const ipc::StepSegment& s, const int64_t* t, std::size_t known) const {
  uint32_t count = s.count;
  if (count == known) {
    if (count == 1 || s.step_time(count - 1) <= t[count - 1]) return count;
    --count;
  }
  while (count > 1 && s.step_time(count - 1) > t[count] - spacing_.min_interval_ns) --count;
  return count;
}

void StepCompressor::compress(bool all, std::deque<ipc::StepSegment>& out) {
  std::size_t done = 0;
  const std::size_t size = pending_.size();
  while (done < size) {
    const std::size_t left = size - done;
    // Without `all`, keep enough steps back that a segment never ends just because this move ended.
    if (!all && left < kHoldSteps) break;
    const auto available = static_cast<uint32_t>(std::min<std::size_t>(left, kMaxRun));
    int64_t error = 0;
    const ipc::StepSegment s = next_segment(done, available, error);
    emit(s, error, out);
    done += s.count;
  }
  pending_.consume(done);
}

void StepCompressor::emit(ipc::StepSegment s, int64_t error_ns, std::deque<ipc::StepSegment>& out) {
  s.stepper = stepper_;
  s.dir = dir_;
  out.push_back(s);
  max_error_ns_ = std::max(max_error_ns_, error_ns);
  ++segments_;
  last_ns_ = s.last_time();
  last_dir_ = dir_;
}

bool compress(std::span<const int64_t> times, uint8_t stepper, uint8_t dir, int64_t tolerance_ns,
              std::vector<ipc::StepSegment>& out) {
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] - times[i - 1] < ipc::kMinStepIntervalNs) return false;
  }
  StepCompressor compressor(stepper, tolerance_ns);
  compressor.set_dir(dir);
  std::copy(times.begin(), times.end(), compressor.pending().append(times.size()));
  std::deque<ipc::StepSegment> segments;
  compressor.compress(true, segments);
  out.insert(out.end(), segments.begin(), segments.end());
  return true;
}

}  // namespace rtstep::stepgen

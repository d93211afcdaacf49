// StepCompressor::add_cruise: segments for a cruise taken from its closed form, each proven within the
// tolerance from its two end steps, so that the steps between them are never generated or checked.
//
// The proof. In a cruise the exact time of step k is R(k) = origin + round(x(k)), where x(k) is a + k * b
// evaluated in double and y(k) = a + k * b is the same in exact arithmetic; eta bounds |x - y| plus the
// rounding of round() itself, so |R(k) - origin - y(k)| <= 0.5 + eta. A segment of n steps with add 0 puts
// step k + j at first + j * I. Its error e(j) = first + j * I - R(k + j) is within 0.5 + eta of the linear
// g(j) = first + j * I - origin - y(k + j). A linear function is largest at an end, and at each end g is
// within 0.5 + eta of e, so over the whole segment
//   |e(j)| <= max(|e(0)|, |e(n - 1)|) + 1 + 2 eta,
// which needs only the two end steps, computed with the solver's own expression (MoveSteps::cruise_time).
//
// I = round(b), so the expansion drifts by |b - I| <= 0.5 ns per step against the exact times; first is
// moved back by half the drift of the whole segment, so the error swings evenly around zero and a segment
// can run about 2 * (tolerance - 1.5) / |b - I| steps (to ipc::kMaxSegmentCount when b is an integer).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {

void StepCompressor::add_cruise(const MoveSteps& steps, int64_t begin, int64_t end,
                                std::deque<ipc::StepSegment>& out) {
  start_run(steps.dir(), out);
  if (!pending_.empty()) compress(true, out);  // the steps before the cruise come first
  const double b = steps.cruise_b_ns();
  const int64_t interval = std::llround(b);
  const double drift = static_cast<double>(interval) - b;  // ns per step, |drift| <= 0.5
  // Doubles carry 53 bits: the multiply, the add and round() each lose at most 2^-53 of the magnitude.
  const double magnitude = std::fabs(steps.cruise_a_ns()) + std::fabs(b) * static_cast<double>(end) + 1.0;
  const double slack = 1.0 + 2.0 * magnitude * 0x1p-50;
  // Neighbouring segments keep the executor's spacing: two consecutive exact times are at least interval - 1
  // apart, and each end may miss its exact time by at most end_limit, so the gap between the last step of one
  // segment and the first of the next is at least min_interval_ns (a tolerance past half the interval would
  // even let them overlap, which the executor refuses). The steps before the cruise end on a step that is not
  // late (compressor.cpp); the first segment is checked against the last step emitted, and the steps after the
  // cruise are spaced from its last (StepCompressor::space_from).
  const int64_t end_limit = std::min(tolerance_ns_, (interval - 1 - spacing_.min_interval_ns) / 2);
  const double room = static_cast<double>(end_limit) - slack - 0.5;  // for half the drift, after rounding
  int64_t k = begin;
  while (k < end) {
    int64_t n = std::min<int64_t>(end - k, ipc::kMaxSegmentCount);
    if (drift != 0) n = std::min<int64_t>(n, 1 + static_cast<int64_t>(std::max(0.0, 2.0 * room / std::fabs(drift))));
    bool emitted = false;
    for (; n >= 2; n = n * 3 / 4) {
      const int64_t exact_first = steps.cruise_time(k);
      const int64_t exact_last = steps.cruise_time(k + n - 1);
      ipc::StepSegment s;
      s.first_time_ns = exact_first - std::llround(drift * static_cast<double>(n - 1) / 2.0);
      s.interval_ns = interval;
      s.count = static_cast<uint32_t>(n);
      const int64_t end_error = std::max(std::llabs(s.first_time_ns - exact_first),
                                         std::llabs(s.last_time() - exact_last));
      const auto bound = static_cast<int64_t>(std::ceil(static_cast<double>(end_error) + slack));
      s.stepper = stepper_;
      if (bound > end_limit || !playable(s)) continue;
      // The first step may come early by end_limit: too close to the last step emitted (the cruise follows a
      // reversal, or a delayed step), this and the rest of the cruise go step by step.
      if (s.first_time_ns < last_ns_ + gap_after_last()) break;
      emit(s, bound, out);
      k += n;
      emitted = true;
      break;
    }
    if (!emitted) break;
  }
  // What no proof covers (a tolerance too tight for the rounding, a gap to keep) is compressed step by step.
  add_steps(steps, k, end, out);
}

}  // namespace rtstep::stepgen

#include "executor/spin_floor.hpp"

#include <algorithm>

#include "util/clock.hpp"

namespace rtstep::executor {

namespace {

constexpr int64_t kGapThresholdNs = 1'000;

// Time by which deadlines in the gaps are late beyond `x`, summed: each gap g holds deadlines late by
// 0..g, of which the part late by more than x has length g - x.
double excess_over(std::span<const int64_t> gaps, int64_t x) noexcept {
  double sum = 0;
  for (int64_t g : gaps) sum += static_cast<double>(std::max<int64_t>(0, g - x));
  return sum;
}

}  // namespace

int64_t random_deadline_lateness(std::span<const int64_t> gaps_ns, int64_t total_ns, double tail) noexcept {
  if (gaps_ns.empty() || total_ns <= 0) return 0;
  const double budget = tail * static_cast<double>(total_ns);
  int64_t lo = 0;  // excess_over(lo) > budget unless lo is the answer 0
  int64_t hi = *std::max_element(gaps_ns.begin(), gaps_ns.end());  // excess_over(hi) == 0 <= budget
  if (excess_over(gaps_ns, 0) <= budget) return 0;
  while (hi - lo > 1) {  // excess_over is non-increasing in x: bisect for the smallest x within budget
    const int64_t mid = lo + (hi - lo) / 2;
    (excess_over(gaps_ns, mid) <= budget ? hi : lo) = mid;
  }
  return hi;
}

SpinFloor measure_spin_floor(double seconds, std::span<int64_t> gap_buffer) noexcept {
  SpinFloor f;
  std::size_t kept = 0;
  const int64_t start = monotonic_ns();
  const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
  int64_t prev = start, now = start;
  uint64_t reads = 0;
  while (now < end) {
    now = monotonic_ns();
    ++reads;
    const int64_t gap = now - prev;
    prev = now;
    if (gap <= kGapThresholdNs) continue;
    if (kept < gap_buffer.size()) {
      gap_buffer[kept++] = gap;
    } else {
      f.gaps_truncated = true;
    }
  }
  const std::span<const int64_t> gaps(gap_buffer.data(), kept);
  const int64_t total = now - start;
  f.seconds = static_cast<double>(total) / 1e9;
  f.reads = reads;
  int64_t lost = 0;
  for (int64_t g : gaps) {
    f.gaps_over_1us += 1;
    f.gaps_over_10us += g > 10'000;
    f.gaps_over_100us += g > 100'000;
    f.gaps_over_1ms += g > 1'000'000;
    lost += g;
    f.longest_gap_ns = std::max(f.longest_gap_ns, g);
  }
  f.lost_fraction = total > 0 ? static_cast<double>(lost) / static_cast<double>(total) : 0;
  f.p99_bound_ns = random_deadline_lateness(gaps, total, 0.01);
  f.p999_bound_ns = random_deadline_lateness(gaps, total, 0.001);
  return f;
}

}  // namespace rtstep::executor

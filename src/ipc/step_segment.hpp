#pragma once
// StepSegment: the unit of work that crosses from the host to the executor (DESIGN.md §3).
//
// A segment is `count` steps of one stepper in one direction. Step k (0-based) has its rising edge at
//   t(k) = first_time_ns + k * interval_ns + add_ns * k * (k - 1) / 2
// This header is the single definition of that expansion: the compressor checks its error bound with
// it and the executor schedules edges with it, so the two cannot disagree.
// Everything here is real-time safe (constexpr arithmetic, no allocation).

#include <cstdint>
#include <type_traits>

namespace rtstep::ipc {

inline constexpr uint32_t kMaxSteppers = 16;

struct StepSegment {
  int64_t first_time_ns = 0;  // CLOCK_MONOTONIC ns of step 0's rising edge
  int64_t interval_ns = 0;    // ns from step 0 to step 1
  int64_t add_ns = 0;         // ns added to the interval after every step (may be negative)
  uint32_t count = 0;         // steps in the segment, >= 1
  uint8_t stepper = 0;        // stepper index, < kMaxSteppers
  uint8_t dir = 0;            // 1 = positive direction, 0 = negative
  uint16_t reserved = 0;      // zero

  // Rising-edge time of step k, k < count. Real-time safe.
  constexpr int64_t step_time(uint32_t k) const noexcept {
    const int64_t kk = k;
    return first_time_ns + kk * interval_ns + add_ns * (kk * (kk - 1) / 2);
  }
  constexpr int64_t last_time() const noexcept { return step_time(count - 1); }
};
static_assert(std::is_trivially_copyable_v<StepSegment>);
static_assert(sizeof(StepSegment) == 32);

// Largest count a segment may have; keeps add_ns * k*(k-1)/2 far from int64 overflow with |add_ns| < 2^20.
inline constexpr uint32_t kMaxSegmentCount = 1U << 20;
inline constexpr int64_t kMaxAbsAddNs = int64_t{1} << 20;
// Shortest time between two steps of one stepper that a segment may ask for (200 kHz).
inline constexpr int64_t kMinStepIntervalNs = 5'000;
// Longest interval a segment may ask for (about 18 minutes), and the range of step times: together they keep
// step_time() of any valid segment far inside int64 (2^62 + 2^20 * 2^40 + 2^20 * 2^39 < 2^63).
inline constexpr int64_t kMaxIntervalNs = int64_t{1} << 40;
inline constexpr int64_t kMaxTimeNs = int64_t{1} << 62;
constexpr bool time_in_range(int64_t t_ns) noexcept { return t_ns >= 0 && t_ns < kMaxTimeNs; }

// True when the segment is well formed: count in [1, kMaxSegmentCount], stepper < kMaxSteppers, dir 0 or 1,
// |add_ns| <= kMaxAbsAddNs, the first step's time in [0, kMaxTimeNs), and every interval between
// consecutive steps in [kMinStepIntervalNs, kMaxIntervalNs] (intervals change linearly with k, so checking
// the first and the last suffices). Real-time safe.
constexpr bool is_valid(const StepSegment& s) noexcept {
  if (s.count < 1 || s.count > kMaxSegmentCount || s.stepper >= kMaxSteppers || s.dir > 1) return false;
  if (s.add_ns > kMaxAbsAddNs || s.add_ns < -kMaxAbsAddNs) return false;
  if (!time_in_range(s.first_time_ns)) return false;
  if (s.count == 1) return true;
  const int64_t first_interval = s.interval_ns;
  const int64_t last_interval = s.interval_ns + s.add_ns * (int64_t{s.count} - 2);
  const auto in_bounds = [](int64_t interval) { return interval >= kMinStepIntervalNs && interval <= kMaxIntervalNs; };
  return in_bounds(first_interval) && in_bounds(last_interval);
}

}  // namespace rtstep::ipc

#pragma once
// LatencyHistogram: a lock-free log-linear histogram of non-negative durations in ns, 0 ns to 2^31 - 1 ns
// (~2.1 s: the top octave is [2^kMaxExponent, 2^(kMaxExponent+1))).
//
// Buckets: values below 64 ns have a bucket each; above, every power-of-two range [2^e, 2^(e+1)) is split
// into 32 equal sub-buckets, so a bucket's width is at most 1/32 (about 3 %) of its value. Values above
// the top land in an overflow bucket; the exact maximum and minimum are kept beside the buckets.
//
// One writer (record, real-time safe: relaxed atomics only); any number of readers (snapshot, non-real-time).

#include <array>
#include <atomic>
#include <cstdint>

namespace rtstep::rt {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 5;                       // 32 sub-buckets per octave
  static constexpr int kLinearLimitBits = kSubBucketBits + 1;    // values < 64 are exact
  static constexpr int kMaxExponent = 30;                        // last octave starts at 2^30 ns ~ 1.07 s
  static constexpr std::size_t kBucketCount =
      (std::size_t{1} << kLinearLimitBits) + (kMaxExponent - kLinearLimitBits + 1) * (std::size_t{1} << kSubBucketBits) + 1;

  // Real-time safe. Negative values (an edge written early) count as 0 and in early_count().
  void record(int64_t ns) noexcept;

  struct Snapshot {
    uint64_t count = 0;
    uint64_t early = 0;     // values that were negative
    int64_t min_ns = 0;     // the true minimum, negative when something was early (0 when empty)
    int64_t max_ns = 0;
    double mean_ns = 0;
    std::array<uint64_t, kBucketCount> buckets{};
    // Upper bound of the bucket holding quantile q in [0, 1] (exact for values < 64 ns; the max for q = 1).
    int64_t quantile(double q) const noexcept;
    // Values strictly above `threshold_ns`, counted by whole buckets (an upper estimate within one bucket).
    uint64_t count_above(int64_t threshold_ns) const noexcept;
  };
  // Non-real-time: copies the counters (a consistent-enough view while the writer runs).
  Snapshot snapshot() const noexcept;
  void reset() noexcept;  // only while no writer runs

  // Bucket of a value (negative values map to bucket 0). Real-time safe.
  static std::size_t bucket_of(int64_t ns) noexcept;
  // Largest value that maps to `bucket` (INT64_MAX for the overflow bucket). Real-time safe.
  static int64_t bucket_upper(std::size_t bucket) noexcept;

 private:
  std::array<std::atomic<uint64_t>, kBucketCount> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> early_{0};
  std::atomic<int64_t> sum_{0};
  std::atomic<int64_t> min_{INT64_MAX};
  std::atomic<int64_t> max_{0};
};

}  // namespace rtstep::rt

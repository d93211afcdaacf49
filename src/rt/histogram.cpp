// LatencyHistogram (see histogram.hpp): log-linear buckets, one writer, relaxed atomics.
//
// Bucket index of a value v >= 64 with e = floor(log2 v): the octave [2^e, 2^(e+1)) starts at
// 64 + (e - 6) * 32 and its 32 sub-buckets are the 5 bits below the leading one. Values < 64 index
// themselves, so the linear part and the first octave ([64, 128), width 2) join without a gap.

#include "rt/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rtstep::rt {

namespace {
constexpr std::size_t kLinearBuckets = std::size_t{1} << LatencyHistogram::kLinearLimitBits;  // 64
constexpr std::size_t kSubBuckets = std::size_t{1} << LatencyHistogram::kSubBucketBits;       // 32
constexpr std::size_t kOverflowBucket = LatencyHistogram::kBucketCount - 1;
}  // namespace

std::size_t LatencyHistogram::bucket_of(int64_t ns) noexcept {
  if (ns < 0) return 0;
  const auto v = static_cast<uint64_t>(ns);
  if (v < kLinearBuckets) return static_cast<std::size_t>(v);
  const int exponent = 63 - std::countl_zero(v);
  if (exponent > kMaxExponent) return kOverflowBucket;
  const auto sub = static_cast<std::size_t>((v >> (exponent - kSubBucketBits)) & (kSubBuckets - 1));
  return kLinearBuckets + static_cast<std::size_t>(exponent - kLinearLimitBits) * kSubBuckets + sub;
}

int64_t LatencyHistogram::bucket_upper(std::size_t bucket) noexcept {
  if (bucket < kLinearBuckets) return static_cast<int64_t>(bucket);
  if (bucket >= kOverflowBucket) return INT64_MAX;
  const std::size_t octave = (bucket - kLinearBuckets) / kSubBuckets;
  const std::size_t sub = (bucket - kLinearBuckets) % kSubBuckets;
  const int exponent = static_cast<int>(octave) + kLinearLimitBits;
  const int64_t width = int64_t{1} << (exponent - kSubBucketBits);
  return (int64_t{1} << exponent) + static_cast<int64_t>(sub + 1) * width - 1;
}

void LatencyHistogram::record(int64_t ns) noexcept {
  // Single writer: load/store pairs are enough and avoid locked read-modify-write instructions.
  auto bump = [](std::atomic<uint64_t>& a) { a.store(a.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); };
  if (ns < 0) bump(early_);
  if (ns < min_.load(std::memory_order_relaxed)) min_.store(ns, std::memory_order_relaxed);
  const int64_t clamped = std::max<int64_t>(ns, 0);
  if (clamped > max_.load(std::memory_order_relaxed)) max_.store(clamped, std::memory_order_relaxed);
  bump(buckets_[bucket_of(clamped)]);
  sum_.store(sum_.load(std::memory_order_relaxed) + clamped, std::memory_order_relaxed);
  bump(count_);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const noexcept {
  Snapshot s;
  s.count = count_.load(std::memory_order_relaxed);
  s.early = early_.load(std::memory_order_relaxed);
  s.min_ns = s.count == 0 ? 0 : min_.load(std::memory_order_relaxed);
  s.max_ns = max_.load(std::memory_order_relaxed);
  s.mean_ns = s.count == 0 ? 0.0 : static_cast<double>(sum_.load(std::memory_order_relaxed)) / static_cast<double>(s.count);
  for (std::size_t i = 0; i < kBucketCount; ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  return s;
}

void LatencyHistogram::reset() noexcept {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  early_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  min_.store(INT64_MAX, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

int64_t LatencyHistogram::Snapshot::quantile(double q) const noexcept {
  // Count from the buckets, not `count`: while the writer runs the two may differ by a few.
  uint64_t total = 0;
  for (const uint64_t b : buckets) total += b;
  if (total == 0) return 0;
  if (q >= 1.0) return max_ns;
  const double wanted = std::ceil(std::max(q, 0.0) * static_cast<double>(total));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets[i];
    // The bucket's upper bound can exceed every recorded value; the exact max is a tighter bound.
    if (seen >= rank) return std::min(bucket_upper(i), max_ns);
  }
  return max_ns;
}

uint64_t LatencyHistogram::Snapshot::count_above(int64_t threshold_ns) const noexcept {
  uint64_t n = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (bucket_upper(i) > threshold_ns) n += buckets[i];
  }
  return n;
}

}  // namespace rtstep::rt

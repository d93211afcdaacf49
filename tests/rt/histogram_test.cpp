// LatencyHistogram: bucket mapping, quantiles on known data, negative values and overflow.

#include "rt/histogram.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace rtstep::rt {
namespace {

using H = LatencyHistogram;

TEST(LatencyHistogram, SmallValuesHaveABucketEach) {
  for (int64_t v = 0; v < 64; ++v) {
    EXPECT_EQ(H::bucket_of(v), static_cast<std::size_t>(v));
    EXPECT_EQ(H::bucket_upper(static_cast<std::size_t>(v)), v);
  }
  EXPECT_EQ(H::bucket_of(64), 64U);
  EXPECT_EQ(H::bucket_of(65), 64U);  // [64, 128) has width 2
  EXPECT_EQ(H::bucket_of(66), 65U);
}

TEST(LatencyHistogram, BucketBoundsRoundTripAndIncrease) {
  int64_t previous_upper = -1;
  for (std::size_t b = 0; b + 1 < H::kBucketCount; ++b) {
    const int64_t upper = H::bucket_upper(b);
    ASSERT_GT(upper, previous_upper) << b;
    // The bucket is exactly (previous upper, upper]: both ends map back to it, and the next value does not.
    ASSERT_EQ(H::bucket_of(upper), b) << b;
    ASSERT_EQ(H::bucket_of(previous_upper + 1), b) << b;
    ASSERT_EQ(H::bucket_of(upper + 1), b + 1) << b;
    // Width at most 1/32 of the bucket's values.
    ASSERT_LE((upper - previous_upper) * 32, std::max<int64_t>(upper, 32)) << b;
    previous_upper = upper;
  }
  EXPECT_EQ(previous_upper, (int64_t{1} << 31) - 1);
  EXPECT_EQ(H::bucket_of(int64_t{1} << 31), H::kBucketCount - 1);
  EXPECT_EQ(H::bucket_of(INT64_MAX), H::kBucketCount - 1);
  EXPECT_EQ(H::bucket_upper(H::kBucketCount - 1), INT64_MAX);
}

TEST(LatencyHistogram, QuantilesOfOneToThousand) {
  auto h = std::make_unique<H>();
  for (int64_t v = 1; v <= 1000; ++v) h->record(v);
  const H::Snapshot s = h->snapshot();
  EXPECT_EQ(s.count, 1000U);
  EXPECT_EQ(s.min_ns, 1);
  EXPECT_EQ(s.max_ns, 1000);
  EXPECT_DOUBLE_EQ(s.mean_ns, 500.5);
  EXPECT_EQ(s.quantile(0.0), 1);
  EXPECT_EQ(s.quantile(0.05), 50);  // exact below 64
  EXPECT_EQ(s.quantile(1.0), 1000);
  // Above 64 the answer is the upper bound of the bucket holding the true quantile: within ~3 % above it.
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<int64_t>(q * 1000);
    EXPECT_GE(s.quantile(q), exact) << q;
    EXPECT_LE(s.quantile(q), exact + exact / 32 + 1) << q;
  }
}

TEST(LatencyHistogram, NegativeValuesCountAsZeroAndEarly) {
  auto h = std::make_unique<H>();
  h->record(-500);
  h->record(-1);
  h->record(10);
  const H::Snapshot s = h->snapshot();
  EXPECT_EQ(s.count, 3U);
  EXPECT_EQ(s.early, 2U);
  EXPECT_EQ(s.buckets[0], 2U);
  EXPECT_EQ(s.min_ns, -500);
  EXPECT_EQ(s.max_ns, 10);
  EXPECT_EQ(s.quantile(0.5), 0);
}

TEST(LatencyHistogram, OverflowKeepsTheExactMaximum) {
  auto h = std::make_unique<H>();
  h->record(5);
  h->record(int64_t{5} << 31);
  const H::Snapshot s = h->snapshot();
  EXPECT_EQ(s.buckets[H::kBucketCount - 1], 1U);
  EXPECT_EQ(s.max_ns, int64_t{5} << 31);
  EXPECT_EQ(s.quantile(0.99), int64_t{5} << 31);
  EXPECT_EQ(s.count_above(1'000'000'000), 1U);
}

TEST(LatencyHistogram, CountAbove) {
  auto h = std::make_unique<H>();
  for (int64_t v = 1; v <= 1000; ++v) h->record(v);
  const H::Snapshot s = h->snapshot();
  EXPECT_EQ(s.count_above(0), 1000U);
  EXPECT_EQ(s.count_above(50), 950U);    // exact in the linear range
  // Counted by whole buckets: [992, 1007] is one bucket, so > 995 and even > 1000 count 992..1000.
  EXPECT_EQ(s.count_above(995), 9U);
  EXPECT_EQ(s.count_above(1000), 9U);
  EXPECT_EQ(s.count_above(1007), 0U);
  EXPECT_EQ(s.count_above(-5), 1000U);
}

TEST(LatencyHistogram, EmptyAndReset) {
  auto h = std::make_unique<H>();
  H::Snapshot s = h->snapshot();
  EXPECT_EQ(s.count, 0U);
  EXPECT_EQ(s.min_ns, 0);
  EXPECT_EQ(s.quantile(0.5), 0);
  EXPECT_EQ(s.mean_ns, 0.0);
  h->record(100);
  h->reset();
  s = h->snapshot();
  EXPECT_EQ(s.count, 0U);
  EXPECT_EQ(s.max_ns, 0);
  h->record(7);
  EXPECT_EQ(h->snapshot().min_ns, 7);
}

}  // namespace
}  // namespace rtstep::rt

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "stepgen/stepgen.hpp"

namespace rtstep::stepgen {
namespace {

// Expands segments back into step times with the shared definition in ipc/step_segment.hpp.
std::vector<int64_t> expand(const std::vector<ipc::StepSegment>& segments) {
  std::vector<int64_t> out;
  for (const auto& s : segments) {
    for (uint32_t k = 0; k < s.count; ++k) out.push_back(s.step_time(k));
  }
  return out;
}

void expect_within(const std::vector<int64_t>& exact, const std::vector<ipc::StepSegment>& segments, int64_t tol) {
  const auto got = expand(segments);
  ASSERT_EQ(got.size(), exact.size());
  for (std::size_t i = 0; i < exact.size(); ++i) {
    ASSERT_LE(std::llabs(got[i] - exact[i]), tol) << "step " << i;
  }
  for (const auto& s : segments) EXPECT_TRUE(ipc::is_valid(s));
}

std::vector<int64_t> accelerating_steps(int n, double accel_steps_per_s2) {
  std::vector<int64_t> t;
  for (int k = 0; k < n; ++k) t.push_back(std::llround(std::sqrt(2.0 * (k + 0.5) / accel_steps_per_s2) * 1e9));
  return t;
}

TEST(Compressor, ConstantRateIsOneSegment) {
  std::vector<int64_t> t;
  for (int k = 0; k < 5000; ++k) t.push_back(1'000'000 + k * 12'500);
  std::vector<ipc::StepSegment> out;
  ASSERT_TRUE(compress(t, 2, 1, 1000, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 5000u);
  EXPECT_EQ(out[0].interval_ns, 12'500);
  EXPECT_EQ(out[0].stepper, 2);
  EXPECT_EQ(out[0].dir, 1);
  expect_within(t, out, 1000);
}

TEST(Compressor, AccelerationStaysWithinTheBound) {
  const auto t = accelerating_steps(20000, 3000 * 80.0);
  for (int64_t tol : {100, 1000, 5000}) {
    std::vector<ipc::StepSegment> out;
    ASSERT_TRUE(compress(t, 0, 0, tol, out));
    expect_within(t, out, tol);
    // A quadratic segment follows sqrt-shaped acceleration for many steps: far fewer segments than steps.
    EXPECT_LT(out.size() * 20, t.size()) << "tolerance " << tol;
  }
}

// `count` step times from 0, each gap drawn uniformly from [min_gap, max_gap] ns.
std::vector<int64_t> jittered_steps(int count, int64_t min_gap, int64_t max_gap, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> gap(min_gap, max_gap);
  std::vector<int64_t> t{0};
  for (int k = 1; k < count; ++k) t.push_back(t.back() + gap(rng));
  return t;
}

TEST(Compressor, JitteredTimesStillRespectTheBound) {
  const auto t = jittered_steps(3000, 6'000, 60'000, 42);
  std::vector<ipc::StepSegment> out;
  ASSERT_TRUE(compress(t, 0, 1, 1000, out));
  expect_within(t, out, 1000);
}

// A segment starts on its first step's exact time; its last step may be late by the tolerance. With a
// tolerance above the step interval ([rt] max_step_error allows 10 us, steps may be 5 us apart) that last
// step must still come before the next segment's first, or the executor refuses the pair as overlapping;
// and as far before it as the executor's spacing asks, or it plays the next one late.
TEST(Compressor, ATolerancePastTheIntervalNeverReordersSteps) {
  const auto t = jittered_steps(20000, 5'000, 9'000, 7);
  std::vector<ipc::StepSegment> out;
  ASSERT_TRUE(compress(t, 0, 1, 10'000, out));
  expect_within(t, out, 10'000);
  ASSERT_GT(out.size(), 1u);
  for (std::size_t i = 1; i < out.size(); ++i) {
    ASSERT_GE(out[i].first_time_ns - out[i - 1].last_time(), StepSpacing{}.min_interval_ns) << "segment " << i;
  }
}

TEST(Compressor, SingleStepAndEmptyInput) {
  std::vector<ipc::StepSegment> out;
  ASSERT_TRUE(compress(std::vector<int64_t>{}, 0, 1, 1000, out));
  EXPECT_TRUE(out.empty());
  const std::vector<int64_t> one{123456};
  ASSERT_TRUE(compress(one, 1, 0, 1000, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].count, 1u);
  EXPECT_EQ(out[0].first_time_ns, 123456);
}

TEST(Compressor, StepsTooCloseTogetherAreRefusedNotDropped) {
  const std::vector<int64_t> t{0, 10'000, 12'000};
  std::vector<ipc::StepSegment> out;
  EXPECT_FALSE(compress(t, 0, 1, 1000, out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace rtstep::stepgen

// The spin floor: the lateness bound of a random deadline from known gaps, and a short real spin.
#include "executor/spin_floor.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rtstep::executor {
namespace {

TEST(SpinFloor, RandomDeadlineInOneGapIsLateByTheRestOfTheGap) {
  const std::vector<int64_t> gaps{100};
  // 1 % of 1000 ns = 10 ns of deadlines are late by more than x: those in the last 10 ns before the gap's
  // end are late by less, so x = 100 - 10.
  EXPECT_EQ(random_deadline_lateness(gaps, 1000, 0.01), 90);
  EXPECT_EQ(random_deadline_lateness(gaps, 1000, 0.10), 0);  // the whole gap fits in the 10 % tail
}

TEST(SpinFloor, SeveralGapsShareTheTail) {
  const std::vector<int64_t> gaps{100, 50};
  // excess(x) = (100 - x) + (50 - x) for x < 50, = 100 - x above: a 5 % tail (50 ns) is reached at x = 50.
  EXPECT_EQ(random_deadline_lateness(gaps, 1000, 0.05), 50);
  // 2 % (20 ns) lies above 50: 100 - x = 20.
  EXPECT_EQ(random_deadline_lateness(gaps, 1000, 0.02), 80);
}

TEST(SpinFloor, NoGapsNoLateness) {
  EXPECT_EQ(random_deadline_lateness({}, 1000, 0.01), 0);
  const std::vector<int64_t> gaps{5};
  EXPECT_EQ(random_deadline_lateness(gaps, 0, 0.01), 0);
}

TEST(SpinFloor, ShortSpinAccountsForItsTime) {
  std::vector<int64_t> buffer(1 << 16);
  const SpinFloor f = measure_spin_floor(0.05, buffer);
  EXPECT_GE(f.seconds, 0.05);
  EXPECT_GT(f.reads, 1000u);
  EXPECT_GE(f.gaps_over_1us, f.gaps_over_10us);
  EXPECT_GE(f.gaps_over_10us, f.gaps_over_100us);
  EXPECT_GE(f.gaps_over_100us, f.gaps_over_1ms);
  EXPECT_GE(f.lost_fraction, 0.0);
  EXPECT_LT(f.lost_fraction, 1.0);
  EXPECT_LE(f.p99_bound_ns, f.p999_bound_ns);
  EXPECT_LE(f.p999_bound_ns, f.longest_gap_ns);
  EXPECT_EQ(f.gaps_over_1us == 0, f.longest_gap_ns == 0);
}

}  // namespace
}  // namespace rtstep::executor

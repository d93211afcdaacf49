// clock_sync.hpp: the regression against a simulated MCU whose crystal drifts from the host clock, with
// jittered and delayed answers, on a virtual clock.

#include "mcu/clock_sync.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace rtstep::mcu {
namespace {

constexpr double kNominalHz = 72'000'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;
constexpr double kJitterBoundUs = 300;  // the sessions' one-way delays vary by 500 µs; the bias is 250 µs

// An MCU clock: true frequency nominal * (1 + ppm), started long before the host connects so that its
// 32-bit clock has wrapped many times.
struct SimMcu {
  double hz;
  int64_t t0_ns;
  double clock0;
  double clock_at(int64_t host_ns) const { return clock0 + static_cast<double>(host_ns - t0_ns) * 1e-9 * hz; }
  uint64_t clock64(int64_t host_ns) const { return static_cast<uint64_t>(std::floor(clock_at(host_ns))); }
};

// Sends queries the way the link does and answers them with jitter: the request takes 0.1-0.6 ms to be
// read, the answer 0.1-0.6 ms to come back; `late` in 1 of `late_every` answers adds 30 ms before the MCU
// reads its clock (a busy MCU). Returns the host time after the last sample.
struct Session {
  SimMcu mcu;
  ClockSync sync{kNominalHz};
  std::mt19937 rng{17};
  int64_t now = 5 * kSecond;
  int late_every = 0;
  int late_count = 0;
  int64_t last_query = 0;
  uint64_t last_read = 0;  // the 64-bit clock the MCU last read

  void connect() {
    const int64_t read = now + 300'000;
    const uint64_t c = mcu.clock64(read);
    sync.start(static_cast<uint32_t>(c >> 32), static_cast<uint32_t>(c), now);
    now = read + 300'000;
  }
  // One get_clock exchange at the time the schedule asks for.
  bool sample() {
    now = std::max(now, sync.next_query_ns(last_query));
    last_query = now;
    std::uniform_int_distribution<int64_t> jitter(100'000, 600'000);
    int64_t read = now + jitter(rng);
    if (late_every != 0 && rng() % static_cast<unsigned>(late_every) == 0) {
      read += 30 * kMs;
      ++late_count;
    }
    const int64_t received = read + jitter(rng);
    last_read = mcu.clock64(read);
    const bool used = sync.on_clock(static_cast<uint32_t>(mcu.clock64(read)), now, received);
    now = received;
    return used;
  }
  // Prediction error at host time t, in µs of MCU time.
  double error_us(int64_t t) const { return (sync.estimate().clock_at(t) - mcu.clock_at(t)) / mcu.hz * 1e6; }
};

Session drifting_session(double ppm) {
  Session s;
  s.mcu = {kNominalHz * (1 + ppm * 1e-6), 0, 3.0e12};
  return s;
}

TEST(ClockSync, BurstThenOneQueryAboutEverySecond) {
  ClockSync sync(kNominalHz);
  sync.start(0, 0, kSecond);
  EXPECT_EQ(sync.next_query_ns(0), kSecond + kBurstIntervalNs);
  for (int i = 0; i < kBurstQueries; ++i) {
    EXPECT_EQ(sync.next_query_ns(kSecond), kSecond + kBurstIntervalNs) << i;
    (void)sync.on_clock(static_cast<uint32_t>(i * 7'200'000), kSecond + i * kBurstIntervalNs, kSecond + i * kBurstIntervalNs + 500'000);
  }
  EXPECT_EQ(sync.next_query_ns(kSecond), kSecond + kQueryIntervalNs);
}

TEST(ClockSync, UptimeGivesTheFullClock) {
  ClockSync sync(kNominalHz);
  sync.start(7, 0x12345678, kSecond);
  EXPECT_EQ(sync.last_clock(), (uint64_t{7} << 32) | 0x12345678);
}

TEST(ClockSync, TracksADriftingCrystalWithJitter) {
  Session s = drifting_session(+80);  // a crystal 80 ppm fast
  s.connect();
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(s.sample());
  // The fitted frequency is within 1 ppm of the true one. The predicted clock is ahead of the MCU's by
  // the mean one-way delay less the minimum half round trip (0.35 - 0.1 ms here): no fit can tell where
  // between send and receive the MCU read its clock, so it is placed after the fastest answer's half trip.
  EXPECT_NEAR(s.sync.frequency_hz(), s.mcu.hz, 1e-6 * kNominalHz);
  EXPECT_LT(std::fabs(s.error_us(s.now)), kJitterBoundUs);
  EXPECT_LT(std::fabs(s.error_us(s.now + kSecond)), kJitterBoundUs);
  // Round trips were 0.2-1.2 ms: the minimum half round trip found is at most 0.3 ms.
  EXPECT_LE(s.sync.min_half_rtt_ns(), 300'000);
  // host_ns_at inverts clock_at to within a tick.
  const uint64_t c = s.sync.clock_at(s.now);
  EXPECT_NEAR(static_cast<double>(s.sync.clock_at(s.sync.host_ns_at(c))), static_cast<double>(c), 2.0);
}

TEST(ClockSync, FollowsAChangeOfDrift) {
  Session s = drifting_session(-30);
  s.connect();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s.sample());
  // The crystal warms up: from now on it runs 20 ppm faster, continuing from the same clock.
  const double clock_now = s.mcu.clock_at(s.now);
  s.mcu = {s.mcu.hz * (1 + 20e-6), s.now, clock_now};
  for (int i = 0; i < 300; ++i) (void)s.sample();
  EXPECT_NEAR(s.sync.frequency_hz(), s.mcu.hz, 1e-6 * kNominalHz);
  EXPECT_LT(std::fabs(s.error_us(s.now)), kJitterBoundUs);
}

TEST(ClockSync, IgnoresLateAnswers) {
  Session s = drifting_session(+10);
  s.connect();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.sample());
  s.late_every = 5;
  for (int i = 0; i < 400; ++i) (void)s.sample();
  ASSERT_GT(s.late_count, 40);
  EXPECT_EQ(s.sync.rejected(), s.late_count);
  EXPECT_NEAR(s.sync.frequency_hz(), s.mcu.hz, 1e-6 * kNominalHz);
  EXPECT_LT(std::fabs(s.error_us(s.now)), kJitterBoundUs);
}

TEST(ClockSync, FollowsALinkThatGotSlower) {
  Session s = drifting_session(+25);
  s.connect();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.sample());
  // From now on every request and answer waits 3 ms more (a slower route): the first slow samples are not
  // fitted, then the slower round trip is taken as the link's own and sampling goes on (after the late-answer
  // rule has let the clock's apparent 3 ms jump pass).
  int rejected = 0;
  for (int i = 0; i < 300; ++i) {
    s.now = std::max(s.now, s.sync.next_query_ns(s.last_query));
    s.last_query = s.now;
    const int64_t read = s.now + 3 * kMs + 300'000, received = read + 3 * kMs + 300'000;
    rejected += s.sync.on_clock(static_cast<uint32_t>(s.mcu.clock64(read)), s.now, received) ? 0 : 1;
    s.now = received;
  }
  EXPECT_GE(rejected, 30);
  EXPECT_LE(rejected, 42);
  EXPECT_NEAR(s.sync.frequency_hz(), s.mcu.hz, 2e-6 * kNominalHz);
  EXPECT_GE(s.sync.min_half_rtt_ns(), 3 * kMs);
}

TEST(ClockSync, StartsTheFitAgainWhenTheFirstAnswersWereSlow) {
  Session s = drifting_session(+40);
  s.connect();
  // A busy start: the first answers are read 8 ms after their request and come back 8 ms later.
  for (int i = 0; i < 5; ++i) {
    s.now = std::max(s.now, s.sync.next_query_ns(s.last_query));
    s.last_query = s.now;
    const int64_t read = s.now + 8 * kMs, received = read + 8 * kMs;
    ASSERT_TRUE(s.sync.on_clock(static_cast<uint32_t>(s.mcu.clock64(read)), s.now, received));
    s.now = received;
  }
  EXPECT_EQ(s.sync.samples(), 5);
  ASSERT_TRUE(s.sample());  // a quick answer: the fit starts again from it
  EXPECT_EQ(s.sync.samples(), 1);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(s.sample());
  EXPECT_LE(s.sync.min_half_rtt_ns(), 600'000);
  EXPECT_NEAR(s.sync.frequency_hz(), s.mcu.hz, 5e-6 * kNominalHz);
  EXPECT_LT(std::fabs(s.error_us(s.now)), kJitterBoundUs);
}

TEST(ClockSync, WidensThirtyTwoBitClocksAcrossWraps) {
  Session s = drifting_session(0);
  s.mcu.clock0 = 4294967296.0 * 1000 - 72e6;  // wraps one second after connecting
  s.connect();
  // 72 MHz wraps 32 bits every 59.65 s; 300 samples cover about five minutes.
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(s.sample());
    ASSERT_EQ(s.sync.last_clock(), s.last_read);  // exactly the MCU's 64-bit clock, from 32 bits
  }
  EXPECT_GT(s.sync.last_clock() >> 32, 1000u);
  // A clock in a later message, a little before or after the last one read, lands next to it.
  const uint64_t last = s.sync.last_clock();
  EXPECT_EQ(s.sync.extend(static_cast<uint32_t>(last + 5000)), last + 5000);
  EXPECT_EQ(s.sync.extend(static_cast<uint32_t>(last - 5000)), last - 5000);
  EXPECT_EQ(s.sync.extend(static_cast<uint32_t>(last + 0x7FFFFFFF)), last + 0x7FFFFFFF);
}

TEST(PrintClock, StaysContinuousAndMonotonicWhileFollowingTheEstimate) {
  Session s = drifting_session(+50);
  s.connect();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s.sample());
  PrintClock pc(s.sync.estimate());
  int64_t committed = s.now + 2 * kSecond;  // commands already sent up to here (the host runs ahead)
  for (int i = 0; i < 200; ++i) {
    (void)s.sample();
    const uint64_t before = pc.clock_at(committed);
    pc.calibrate(committed, s.now, s.sync.estimate());
    // Nothing already committed moves (within the tick a floor can flip), and the mapping keeps rising.
    EXPECT_NEAR(static_cast<double>(pc.clock_at(committed)), static_cast<double>(before), 1.0);
    EXPECT_LT(pc.clock_at(committed), pc.clock_at(committed + 1000));
    committed = s.now + 2 * kSecond;
  }
  // After the corrections have settled, print time maps to the MCU's clock as the estimate does.
  const int64_t t = s.now + PrintClock::kCalibrateAheadNs;
  EXPECT_LT(std::fabs((static_cast<double>(pc.clock_at(t)) - s.mcu.clock_at(t)) / s.mcu.hz * 1e6), kJitterBoundUs);
  EXPECT_NEAR(static_cast<double>(pc.print_ns_at(pc.clock_at(t))), static_cast<double>(t), 20.0);
}

}  // namespace
}  // namespace rtstep::mcu

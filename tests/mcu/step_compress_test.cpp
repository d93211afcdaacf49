// step_compress.hpp: exact step times to queue_step commands and back, checked against Klipper's bound.

#include "mcu/step_compress.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "mcu/dictionary.hpp"
#include "test_dictionary.hpp"

namespace rtstep::mcu {
namespace {

constexpr double kHz = 72'000'000;
constexpr uint32_t kMaxError = 1800;  // 25 µs at 72 MHz

struct Compressed {
  std::vector<StepCommand> commands;
  std::vector<uint64_t> expanded;
};

Compressed compress(const std::vector<uint64_t>& ticks, uint64_t start = 0, uint32_t max_error = kMaxError) {
  StepCompressor sc(max_error);
  sc.reset(start);
  for (const uint64_t t : ticks) {
    const Status s = sc.push(t);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  Compressed c;
  const Status s = sc.flush(c.commands);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  uint64_t last = start;
  for (const StepCommand& cmd : c.commands) {
    EXPECT_EQ(cmd.after_clock, last);
    expand_steps(last, cmd.move, c.expanded);
    last = c.expanded.back();
    EXPECT_EQ(cmd.end_clock, last);
  }
  EXPECT_EQ(sc.last_step_clock(), last);
  EXPECT_EQ(sc.queued(), 0u);
  return c;
}

// The guarantee, checked on the expansion independently of the compressor: every step at or before its
// requested tick and at most min(max_error, half the gap to the previous step) before it — the previous
// step being the requested one inside a command and the one executed at a command's start — and steps in
// strictly increasing order.
void expect_within_bound(const std::vector<uint64_t>& req, const Compressed& c, uint64_t start = 0,
                         uint32_t max_error = kMaxError) {
  ASSERT_EQ(c.expanded.size(), req.size());
  std::size_t i = 0;
  uint64_t prev_actual = start;
  for (const StepCommand& cmd : c.commands) {
    for (uint32_t k = 0; k < cmd.move.count; ++k, ++i) {
      const uint64_t prev = k == 0 ? prev_actual : req[i - 1];
      const auto early = std::min<uint64_t>(max_error, (req[i] - prev) / 2);
      ASSERT_LE(c.expanded[i], req[i]) << "step " << i << " late";
      ASSERT_GE(c.expanded[i], req[i] - early) << "step " << i << " too early";
      ASSERT_GT(c.expanded[i], i == 0 ? start : c.expanded[i - 1]) << "step " << i << " not after the previous";
    }
    prev_actual = c.expanded[i - 1];
  }
}

std::vector<uint64_t> constant_speed(uint64_t first, uint64_t interval, std::size_t n) {
  std::vector<uint64_t> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(first + i * interval);
  return v;
}

// A move from rest at `accel` steps/s² to `cruise` steps/s, a cruise, and back to rest: exact step times
// from the kinematics, floored to ticks.
std::vector<uint64_t> trapezoid(double accel, double cruise, std::size_t cruise_steps, uint64_t start) {
  std::vector<double> t;
  const auto ramp = static_cast<std::size_t>(cruise * cruise / (2 * accel));
  for (std::size_t k = 1; k <= ramp; ++k) t.push_back(std::sqrt(2.0 * static_cast<double>(k) / accel));
  const double t_ramp = t.back();
  for (std::size_t k = 1; k <= cruise_steps; ++k) t.push_back(t_ramp + static_cast<double>(k) / cruise);
  const double t_cruise = t.back();
  const double t_end = t_cruise + cruise / accel;
  for (std::size_t k = ramp; k-- > 1;) t.push_back(t_end - std::sqrt(2.0 * static_cast<double>(k) / accel));
  std::vector<uint64_t> ticks;
  for (const double s : t) ticks.push_back(start + static_cast<uint64_t>(std::floor(s * kHz)));
  return ticks;
}

TEST(StepCompressor, ConstantSpeedIsOneCommand) {
  const auto req = constant_speed(1000, 1000, 10000);
  const auto c = compress(req);
  ASSERT_EQ(c.commands.size(), 1u);
  EXPECT_EQ(c.commands[0].move.interval, 1000u);
  EXPECT_EQ(c.commands[0].move.count, 10000u);
  EXPECT_EQ(c.commands[0].move.add, 0);
  EXPECT_EQ(c.expanded, req);
}

TEST(StepCompressor, CountStopsAt65535) {
  const auto req = constant_speed(500, 500, 100000);
  const auto c = compress(req);
  ASSERT_EQ(c.commands.size(), 2u);
  EXPECT_EQ(c.commands[0].move.count, 65535u);
  EXPECT_EQ(c.commands[1].move.count, 100000u - 65535u);
  expect_within_bound(req, c);
}

TEST(StepCompressor, TrapezoidMovesStayWithinTheBound) {
  const uint64_t start = 5'000'000'000ULL;  // past 2^32: 64-bit clocks throughout
  const auto req = trapezoid(/*accel=*/40000, /*cruise=*/8000, /*cruise_steps=*/4000, start + 720);
  const auto c = compress(req, start);
  expect_within_bound(req, c, start);
  // A compression worth sending: more than 20 steps per command on average over the whole move.
  EXPECT_GT(static_cast<double>(req.size()) / static_cast<double>(c.commands.size()), 20.0)
      << req.size() << " steps in " << c.commands.size() << " commands";
}

TEST(StepCompressor, JitteredStepsStayWithinTheBound) {
  std::mt19937 rng(3);
  std::vector<uint64_t> req;
  uint64_t t = 100;
  for (int i = 0; i < 20000; ++i) {
    t += 1 + rng() % 3000;  // anything from 1 tick to 3000 ticks apart
    req.push_back(t);
  }
  const auto c = compress(req);
  expect_within_bound(req, c);
}

TEST(StepCompressor, CloseStepsMayOnlyMoveByHalfTheirSpacing) {
  // Steps 6 ticks apart (12 MHz step rate at 72 MHz: far above a real motor, but a valid request): the
  // window is 3 ticks, not 25 µs.
  std::vector<uint64_t> req;
  for (uint64_t i = 1; i <= 50; ++i) req.push_back(i * 6 + (i % 3 == 0 ? 1 : 0));
  const auto c = compress(req);
  expect_within_bound(req, c);
}

TEST(StepCompressor, TighterMaxErrorStillHolds) {
  const auto req = trapezoid(20000, 5000, 1000, 1000);
  for (const uint32_t err : {0u, 1u, 72u, 720u}) {
    const auto c = compress(req, 0, err);
    expect_within_bound(req, c, 0, err);
  }
}

// Mixed random patterns — speed ramps with noise, bursts of close steps, long pauses up to the limit —
// with random error bounds: every compression succeeds and its expansion holds the bound.
TEST(StepCompressor, RandomPatternsAlwaysHoldTheBound) {
  std::mt19937_64 rng(2121);
  for (int trial = 0; trial < 60; ++trial) {
    const auto max_error = static_cast<uint32_t>(rng() % 4000);
    std::vector<uint64_t> req;
    uint64_t t = 1 + rng() % 100000;
    double interval = 50 + static_cast<double>(rng() % 20000);
    const double accel = (static_cast<double>(rng() % 2001) - 1000.0) / 1000.0;  // ticks per step, per step
    for (int i = 0; i < 3000; ++i) {
      switch (rng() % 50) {
        case 0: t += 1 + rng() % 3; break;                                 // a burst
        case 1: t += (uint64_t{3} << 28) - 200000 - rng() % 1000; break;   // a pause near the limit
        default:
          interval = std::clamp(interval + accel + static_cast<double>(rng() % 21) - 10, 2.0, 1e6);
          t += static_cast<uint64_t>(interval);
      }
      req.push_back(t);
    }
    const auto c = compress(req, 0, max_error);
    expect_within_bound(req, c, 0, max_error);
    if (HasFatalFailure()) return;
  }
}

TEST(StepCompressor, RefusesStepsOutOfOrderOrTooFarApart) {
  StepCompressor sc(kMaxError);
  sc.reset(1000);
  EXPECT_FALSE(sc.push(1000).ok());
  ASSERT_TRUE(sc.push(2000).ok());
  EXPECT_FALSE(sc.push(1999).ok());
  const Status far = sc.push(2000 + (uint64_t{3} << 28));
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.error().message.find("reset the step clock"), std::string::npos);
  EXPECT_EQ(sc.queued(), 1u);
}

TEST(StepCompressor, CommandsEncodeAsQueueStepAndDecodeBack) {
  auto d = Dictionary::parse_json(test::kDictionaryJson);
  ASSERT_TRUE(d.ok());
  const auto req = trapezoid(40000, 8000, 500, 72000);
  const auto c = compress(req);
  std::vector<uint8_t> bytes;
  for (const StepCommand& cmd : c.commands) ASSERT_TRUE(encode_queue_step(d.value(), 3, cmd.move, bytes).ok());
  const auto msgs = d->decode_all(bytes);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), c.commands.size());
  std::vector<uint64_t> expanded;
  uint64_t last = 0;
  for (const Message& m : *msgs) {
    ASSERT_EQ(m.name, "queue_step");
    EXPECT_EQ(*m.integer("oid"), 3);
    const StepMove move{static_cast<uint32_t>(*m.integer("interval")), static_cast<uint16_t>(*m.integer("count")),
                        static_cast<int16_t>(*m.integer("add"))};
    expand_steps(last, move, expanded);
    last = expanded.back();
  }
  EXPECT_EQ(expanded, c.expanded);
  // Bytes per step on this move (informational bound: well under one byte per step).
  EXPECT_LT(static_cast<double>(bytes.size()) / static_cast<double>(req.size()), 1.0);
}

}  // namespace
}  // namespace rtstep::mcu

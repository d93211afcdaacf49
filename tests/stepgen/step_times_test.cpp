// The planner and step generator checked on the exact step times they produce: durations against the
// closed-form trapezoid, speed and acceleration limits, junction speeds, exact final positions, and the
// compression bound on every step.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

#include <fmt/format.h>

#include "../motion/test_machine.hpp"
#include "pipeline_harness.hpp"

namespace rtstep::stepgen {
namespace {

using testing::Pipeline;
constexpr double kSpm = 80.0;  // X/Y steps per mm of the test machine
constexpr std::size_t kXs = 0, kYs = 1, kZs = 2, kEs = 3;

int64_t ns(double seconds) { return std::llround(seconds * 1e9); }

TEST(StepTimes, SingleMoveDurationIsTheClosedFormTrapezoid) {
  auto machine = testing::test_machine();
  machine.printer.minimum_cruise_ratio = 0;  // plain trapezoids (the ratio is tested below)
  Pipeline p(machine);
  p.run({"G28", "G1 X100 F6000", "M400"});
  // 100 mm at 100 mm/s with 3000 mm/s^2: ramps of 1/30 s and 5/3 mm each, cruise 96.667 mm.
  const double ramp_t = 100.0 / 3000.0, cruise_t = (100.0 - 2 * 100.0 * 100.0 / 6000.0) / 100.0;
  const double total = 2 * ramp_t + cruise_t;
  EXPECT_NEAR(p.toolhead.print_time(), total, 1e-12);
  const auto& t = p.times(kXs);
  ASSERT_EQ(t.size(), 8000u);
  // First step at 0.5 step = 1/160 mm into the ramp; the last 1/160 mm before the end.
  const double half_step_t = std::sqrt(2.0 * (0.5 / kSpm) / 3000.0);
  EXPECT_NEAR(t.front(), ns(half_step_t), 1);
  EXPECT_NEAR(t.back(), ns(total - half_step_t), 1);
  // Step 4000 (boundary 4000.5 steps = 50.00625 mm) is in the cruise: time from the cruise's line.
  EXPECT_NEAR(t[4000], ns(ramp_t + (4000.5 / kSpm - 100.0 * 100.0 / 6000.0) / 100.0), 1);
  // A move too short to reach the feed rate is a triangle: peak sqrt(a d), duration 2 sqrt(d / a).
  p.run({"G1 X101 F60000", "M400"});
  const double triangle = 2 * std::sqrt(1.0 / 3000.0);
  EXPECT_NEAR(t.back(), ns(total + triangle - half_step_t), 1);
  EXPECT_NEAR(p.toolhead.print_time(), total + triangle, 1e-12);
}

TEST(StepTimes, MinimumCruiseRatioKeepsACruiseInShortMoves) {
  // Klipper's minimum_cruise_ratio 0.5: a lone 1 mm move peaks where half of it can be cruise, v^2 = a d / 2,
  // instead of the triangle's a d: ramps of 0.25 mm each and 0.5 mm of cruise.
  Pipeline p(testing::test_machine());
  p.run({"G28", "G1 X1 F60000", "M400"});
  const double v = std::sqrt(3000.0 * 1.0 / 2.0);
  const double duration = 2 * v / 3000.0 + 0.5 / v;
  EXPECT_NEAR(p.toolhead.print_time(), duration, 1e-12);
  const auto& t = p.times(kXs);
  ASSERT_EQ(t.size(), 80u);
  EXPECT_NEAR(t.back(), ns(duration - std::sqrt(2.0 * (0.5 / kSpm) / 3000.0)), 1);
  // Step 40 (40.5 steps = 0.50625 mm) is in the cruise.
  EXPECT_NEAR(t[40], ns(v / 3000.0 + (40.5 / kSpm - 0.25) / v), 1);
}

// Speeds and accelerations seen by one stepper, from windows of `m` consecutive steps in one direction.
// The tolerance is what rounding each time to 1 ns can do: a window of duration T measured to +-1 ns has
// a relative speed error of 1/T; two adjacent windows give an acceleration error of 2 v / T / T_mid.
void expect_within_limits(const std::vector<int64_t>& t, const std::vector<int8_t>& dir, double steps_per_mm,
                          double max_v, double max_a, int m = 8) {
  double prev_v = -1, prev_mid = 0;
  for (std::size_t k = 0; k + m < t.size(); k += static_cast<std::size_t>(m)) {
    bool same_dir = true;
    for (int j = 1; j <= m; ++j) same_dir = same_dir && dir[k + j] == dir[k];
    const double window = static_cast<double>(t[k + m] - t[k]);
    const double v = m / steps_per_mm / (window * 1e-9);
    const double v_tol = v / window;
    if (!same_dir) { prev_v = -1; continue; }
    ASSERT_LE(v, max_v * (1 + 1e-9) + v_tol) << "step " << k;
    const double mid = 0.5 * static_cast<double>(t[k] + t[k + m]);
    if (prev_v >= 0) {
      const double dt = (mid - prev_mid) * 1e-9;
      const double a = std::fabs(v - prev_v) / dt;
      ASSERT_LE(a, max_a * (1 + 1e-9) + 2 * (v_tol + v / window) / dt) << "step " << k << " v " << v;
    }
    prev_v = v;
    prev_mid = mid;
  }
}

TEST(StepTimes, SpeedAndAccelerationFromStepsStayWithinTheLimits) {
  Pipeline p(testing::test_machine());
  p.run({"G28", "G1 Z20 F6000"});
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> pos(0, 200), feed(600, 30000), z(5, 30);
  for (int i = 0; i < 120; ++i) {
    // Moves along X only: no corners, so an axis' speed can only change by accelerating (a corner lets an
    // axis component jump, by design of junction deviation). Reversals stop first.
    ASSERT_EQ(p.exec(fmt::format("G1 X{:.3f} F{:.0f}", pos(rng), feed(rng))), "");
    if (i % 10 == 0) {
      ASSERT_EQ(p.exec(fmt::format("G1 Z{:.3f}", z(rng))), "");
    }
  }
  p.finish();
  expect_within_limits(p.log.times[kXs], p.log.dirs[kXs], kSpm, 300, 3000);
  expect_within_limits(p.log.times[kZs], p.log.dirs[kZs], 400, 5, 100, 4);
}

TEST(StepTimes, ExtrudeOnlyMovesUseTheExtruderLimits) {
  auto machine = testing::test_machine();
  machine.motion.max_extrude_only_velocity = 20;
  machine.motion.max_extrude_only_accel = 500;
  Pipeline p(machine);
  p.run({"G28", "M83", "G1 E30 F6000", "G1 E-30", "M400"});
  const double spm = 3200 / 33.5;
  expect_within_limits(p.log.times[kEs], p.log.dirs[kEs], spm, 20, 500);
  // 30 mm at 20 mm/s with 500 mm/s^2 each way: 2 * (0.04 s + 0.8 mm) ramps and a cruise.
  EXPECT_NEAR(p.toolhead.print_time(), 2 * (2 * 0.04 + (30 - 0.8) / 20), 1e-9);
}

// Time to cover `d` mm from speed v with acceleration a.
double ramp_time(double v, double a, double d) { return (std::sqrt(v * v + 2 * a * d) - v) / a; }

TEST(StepTimes, CornerSpeedFollowsSquareCornerVelocity) {
  for (double scv : {5.0, 10.0}) {
    Pipeline p(testing::test_machine());
    p.run({"G28", fmt::format("SET_VELOCITY_LIMIT SQUARE_CORNER_VELOCITY={}", scv), "G1 X50 F6000", "G1 Y50", "M400"});
    // A 90 degree corner is taken at square_corner_velocity: X's last step is 1/160 mm before the corner,
    // Y's first 1/160 mm after it, each reached decelerating to / accelerating from scv at 3000 mm/s^2.
    const int64_t gap = p.times(kYs).front() - p.times(kXs).back();
    EXPECT_NEAR(gap, ns(2 * ramp_time(scv, 3000, 0.5 / kSpm)), 2) << "scv " << scv;
  }
  // Straight on through a junction: no slowdown at all (steps keep the cruise interval, 1e9 / 8000 ns).
  Pipeline p(testing::test_machine());
  p.run({"G28", "G1 X50 F6000", "G1 X100", "M400"});
  const auto& t = p.times(kXs);
  EXPECT_EQ(t[4000] - t[3999], 125'000);
  // Reversal: a full stop (the junction speed is 0), so the last interval before it is a ramp's last.
  Pipeline r(testing::test_machine());
  r.run({"G28", "G1 X50 F6000", "G1 X0", "M400"});
  const auto& u = r.times(kXs);
  EXPECT_NEAR(u[4000] - u[3999], ns(2 * ramp_time(0, 3000, 0.5 / kSpm)), 2);
}

TEST(StepTimes, MinimumCruiseRatioLowersThePeakOfShortZigZags) {
  // Klipper semantics: short moves between sharp corners do not accelerate to a peak they would leave at
  // once; with minimum_cruise_ratio 0 they do. Observable as a longer print time with the ratio.
  double duration[2];
  for (int i = 0; i < 2; ++i) {
    auto machine = testing::test_machine();
    machine.printer.minimum_cruise_ratio = i == 0 ? 0.0 : 0.5;
    Pipeline p(machine);
    p.run({"G28", "G1 X10 Y10 F30000"});
    for (int k = 0; k < 20; ++k) ASSERT_EQ(p.exec(fmt::format("G1 X{} Y{}", 10 + (k % 2) * 5, 10 + k)), "");
    p.finish();
    duration[i] = p.toolhead.print_time();
  }
  EXPECT_GT(duration[1], duration[0] * 1.01);
}

// Random moves, G92 resets and mode switches; the expected machine position is tracked here independently.
TEST(StepTimes, FinalPositionsAreExactAfterThousandsOfRandomMoves) {
  Pipeline p(testing::test_machine());
  p.run({"G28"});
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> unit(0, 1);
  double machine[4] = {0, 0, 0, 0}, offset[4] = {0, 0, 0, 0};  // logical = machine - offset
  bool relative = false, relative_e = false;
  const char letters[] = "XYZE";
  const double hi[3] = {235, 235, 250};
  for (int i = 0; i < 2500; ++i) {
    const double r = unit(rng);
    if (r < 0.05) {
      relative = !relative;
      ASSERT_EQ(p.exec(relative ? "G91" : "G90"), "");
    } else if (r < 0.08) {
      relative_e = !relative_e;
      ASSERT_EQ(p.exec(relative_e ? "M83" : "M82"), "");
    } else if (r < 0.12) {
      const int a = static_cast<int>(unit(rng) * 4);
      const double v = std::round(unit(rng) * 100) / 10;
      offset[a] = machine[a] - v;
      ASSERT_EQ(p.exec(fmt::format("G92 {}{:.1f}", letters[a], v)), "");
    } else {
      std::string cmd = fmt::format("G1 F{:.0f}", 1200 + unit(rng) * 12000);
      for (int a = 0; a < 4; ++a) {
        if (unit(rng) < 0.4) continue;
        const double lim = a == 3 ? 1e9 : hi[a];
        const double step = a == 2 ? 0.5 : 6.0;
        double target = std::clamp(machine[a] + std::round((unit(rng) - 0.5) * 2 * step * 1000) / 1000, 0.0, lim);
        const bool rel = a == 3 ? (relative || relative_e) : relative;
        const double word = rel ? target - machine[a] : target - offset[a];
        cmd += fmt::format(" {}{:.3f}", letters[a], word);
        // What the G-code asks for after the 3-decimal rounding, as the toolhead sees it.
        machine[a] = rel ? machine[a] + std::round(word * 1000) / 1000 : std::round(word * 1000) / 1000 + offset[a];
      }
      ASSERT_EQ(p.exec(cmd), "") << cmd;
    }
  }
  p.finish();
  const double spm[4] = {80, 80, 400, 3200 / 33.5};
  for (std::size_t s = 0; s < 4; ++s) {
    const auto expected = static_cast<int64_t>(std::floor(machine[s] * spm[s] + 0.5));
    EXPECT_EQ(p.generator.position_steps(s), expected) << "stepper " << s;
    EXPECT_EQ(p.generator.initial_steps(s) + p.net(s), expected) << "stepper " << s;
    const auto& t = p.times(s);
    for (std::size_t k = 1; k < t.size(); ++k) ASSERT_GT(t[k], t[k - 1]) << "stepper " << s << " step " << k;
  }
}

TEST(StepTimes, CoreXYEndsWhereTheGcodeSays) {
  Pipeline p(testing::test_machine("corexy"));
  p.run({"G28", "G1 X100 Y50 F6000", "G1 X20 Y80", "M400"});
  // A = X + Y, B = X - Y, in steps.
  EXPECT_EQ(p.generator.position_steps(kXs), 100 * 80);
  EXPECT_EQ(p.generator.position_steps(kYs), -60 * 80);
  EXPECT_EQ(p.net(kXs), 100 * 80);
  EXPECT_EQ(p.net(kYs), -60 * 80);
  EXPECT_EQ(p.generator.totals(kXs).steps, 150u * 80 + 50 * 80);
}

TEST(StepTimes, ArcsEndWhereTheGcodeSays) {
  Pipeline p(testing::test_machine());
  p.run({"G28", "G1 X50 Y50 F6000", "G2 X50 Y50 I20 J0", "G3 X80 Y80 R30 Z2 E3", "M400"});
  EXPECT_EQ(p.generator.position_steps(kXs), 80 * 80);
  EXPECT_EQ(p.generator.position_steps(kYs), 80 * 80);
  EXPECT_EQ(p.generator.position_steps(kZs), 2 * 400);
  EXPECT_EQ(p.generator.position_steps(kEs), static_cast<int64_t>(std::floor(3 * 3200 / 33.5 + 0.5)));
  // The full circle of radius 20 around (70, 50) swept X over [50, 90]: 2 * 40 mm each way.
  EXPECT_EQ(p.generator.totals(kXs).steps, 50u * 80 + 80 * 80 + 30 * 80);
}

TEST(StepTimes, EveryCompressedStepIsWithinMaxStepError) {
  for (int64_t tolerance : {1000, 100}) {
    Pipeline p(testing::test_machine(), tolerance);
    p.run({"G28", "G1 Z1 F600", "G1 X10 Y10 F6000", "M83"});
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> pos(10, 60);
    for (int i = 0; i < 150; ++i) {
      ASSERT_EQ(p.exec(fmt::format("G1 X{:.2f} Y{:.2f} E0.3 F{}", pos(rng), pos(rng), 1200 + i * 100)), "");
    }
    p.run({"G2 I5 J5", "G1 E-2 F1800", "G4 P100", "G1 E2"});
    p.finish();
    EXPECT_TRUE(p.records.ordered);
    bool all_valid = false;
    const auto expanded = p.records.expanded(4, all_valid);
    ASSERT_TRUE(all_valid);
    for (std::size_t s = 0; s < 4; ++s) {
      const auto& exact = p.times(s);
      ASSERT_EQ(expanded[s].size(), exact.size()) << "stepper " << s;
      for (std::size_t k = 0; k < exact.size(); ++k) {
        ASSERT_LE(std::llabs(expanded[s][k] - exact[k]), tolerance) << "stepper " << s << " step " << k;
        if (k > 0) {
          ASSERT_GT(expanded[s][k], expanded[s][k - 1]);
        }
      }
      EXPECT_LE(p.generator.totals(s).max_error_ns, tolerance);
    }
  }
}

// A move whose steps come faster than a segment can express is refused, and the error says which limit to
// change: 256 microsteps give X 1280 steps/mm, 384,000 steps/s at 300 mm/s.
TEST(StepTimes, AMoveTooFastForASegmentNamesTheLimitToChange) {
  auto machine = testing::test_machine();
  machine.steppers[kXs].microsteps = 256;
  Pipeline p(machine);
  p.run({"G28"});
  std::string error = p.exec("G1 X200 F18000");
  if (error.empty()) error = p.exec("M400");
  EXPECT_NE(error.find("stepper_x would step at"), std::string::npos) << error;
  EXPECT_NE(error.find("lower [printer] max_velocity or the move's feed rate, or use fewer microsteps for stepper_x"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace rtstep::stepgen

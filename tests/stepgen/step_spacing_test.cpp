// The executor's spacing kept by the compressor (step_spacing.cpp), and the step+dir+step filter of the
// generator, on hand-made steps and tiny moves whose exact times the test reads before judging the result.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "../config/config_test_util.hpp"
#include "../motion/test_machine.hpp"
#include "pipeline_harness.hpp"
#include "stepgen/stepgen.hpp"
#include "stream_checks.hpp"

namespace rtstep::stepgen {
namespace {

std::vector<int64_t> expand(const std::deque<ipc::StepSegment>& segments) {
  std::vector<int64_t> out;
  for (const auto& s : segments) {
    for (uint32_t k = 0; k < s.count; ++k) out.push_back(s.step_time(k));
  }
  return out;
}

TEST(StepSpacing, FollowsThePulseTheDirHoldAndTheDirSetup) {
  auto machine = testing::test_machine();
  // Defaults: 2 us pulses, 200 ns hold and setup; in one direction the segment bound is the larger.
  EXPECT_EQ(step_spacing(machine, 0).min_interval_ns, ipc::kMinStepIntervalNs);
  EXPECT_EQ(step_spacing(machine, 0).min_reversal_ns, 2'000 + kDirHoldNs + 200);
  machine.steppers[1].step_pulse_duration = 3.2e-6;
  machine.rt.dir_setup_ns = 1'000;
  EXPECT_EQ(step_spacing(machine, 1).min_interval_ns, 6'400);  // a low time as long as the pulse
  EXPECT_EQ(step_spacing(machine, 1).min_reversal_ns, 3'200 + kDirHoldNs + 1'000);
  EXPECT_EQ(step_spacing(machine, 0).min_reversal_ns, 2'000 + kDirHoldNs + 1'000);
}

TEST(StepSpacing, AStepBackAtTheSameNanosecondIsDelayedByTheReversalGap) {
  StepCompressor c(0, 1000);
  std::deque<ipc::StepSegment> out;
  c.add_step(1, 1'000'000, out);
  c.add_step(0, 1'000'000, out);  // the same instant, the other way
  c.add_step(0, 1'004'000, out);  // 4 us after the exact time of the one before: delayed too
  c.add_step(0, 1'020'000, out);  // far enough: on time
  c.compress(true, out);
  ASSERT_GE(out.size(), 2U);
  EXPECT_EQ(out.front().dir, 1);
  EXPECT_EQ(out.front().count, 1U);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_EQ(out[i].dir, 0);
  const std::vector<int64_t> want{1'000'000, 1'002'400, 1'007'400, 1'020'000};
  EXPECT_EQ(expand(out), want);
  EXPECT_EQ(c.delayed_steps(), 2U);
  EXPECT_EQ(c.max_delay_ns(), 3'400);
  for (const auto& s : out) EXPECT_TRUE(ipc::is_valid(s));
}

TEST(StepSpacing, ReversalsCloserThanTheGapOneAfterAnotherAddOneGapEach) {
  // Four steps, alternating, within 3 ns: each waits one reversal gap for the one before.
  StepCompressor c(0, 1000, StepSpacing{5'000, 3'000});
  std::deque<ipc::StepSegment> out;
  for (int k = 0; k < 4; ++k) c.add_step(static_cast<uint8_t>(k % 2), 500'000 + k, out);
  c.compress(true, out);
  const std::vector<int64_t> want{500'000, 503'000, 506'000, 509'000};
  EXPECT_EQ(expand(out), want);
  EXPECT_EQ(c.max_delay_ns(), 9'000 - 3);
}

TEST(StepSpacing, ForgettingTheLastStepLetsTheNextOneKeepItsTime) {
  // Homing: the executor stopped the stepper before the end of what it was sent.
  StepCompressor c(0, 1000);
  std::deque<ipc::StepSegment> out;
  c.add_step(1, 2'000'000, out);
  c.compress(true, out);
  c.forget_last_step();
  c.add_step(0, 2'000'100, out);
  c.compress(true, out);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].first_time_ns, 2'000'100);
  EXPECT_EQ(c.delayed_steps(), 0U);
}

TEST(StepSpacing, ALongPulseLowersTheFastestStepRateAndSaysWhy) {
  auto machine = testing::test_machine();
  machine.steppers[0].step_pulse_duration = 4e-6;  // 8 us from step to step: at most 125k steps/s
  testing::Pipeline p(machine);
  ASSERT_EQ(p.exec("G28"), "");
  // 80 steps/mm at 1700 mm/s: 136k steps/s, which a segment could express but this pulse cannot.
  ASSERT_EQ(p.exec("SET_VELOCITY_LIMIT VELOCITY=2000 ACCEL=100000"), "");
  ASSERT_EQ(p.exec("G1 X230 F102000"), "");
  const std::string error = p.exec("M400");  // the planner hands the move on by M400
  EXPECT_NE(error.find("more than the 124984 [stepper_x] step_pulse_duration allows"), std::string::npos) << error;
  EXPECT_NE(error.find("or a shorter step_pulse_duration"), std::string::npos) << error;
  EXPECT_TRUE(p.times(0).empty()) << "nothing of the move goes out";
}

// --- the step+dir+step filter ([rt] step_dir_step_filter) on tiny moves of X (80 steps/mm: a step every
// 0.0125 mm, half-step boundaries at 0.00625 + k * 0.0125) ---

struct Filtered {
  std::vector<int64_t> exact;       // every exact step time of X
  testing::StepTrack played;        // what was sent
  StepperTotals totals;
};

Filtered run_x(std::initializer_list<std::string> moves, bool filter = true) {
  auto machine = testing::test_machine();
  machine.rt.step_dir_step_filter = filter;
  testing::Pipeline p(machine);
  p.run({"G28", "G1 F6000"});
  p.run(moves);
  p.run({"M400"});
  p.finish();
  Filtered f;
  f.exact = p.times(0);
  f.played = testing::played_steps(p.records.records, p.generator.stepper_count())[0];
  f.totals = p.generator.totals(0);
  EXPECT_EQ(f.played.net(), p.net(0));
  EXPECT_EQ(testing::first_rejected(p.records.records), "");
  return f;
}

TEST(StepDirStepFilter, IsAnRtKeyOffByDefault) {
  const auto load = [](const std::string& text) {
    auto raw = config::parse_raw(text, "printer.cfg");
    EXPECT_TRUE(raw.ok());
    return config::interpret(*raw, "printer.cfg");
  };
  const std::string minimal = config::testing::kMinimal;
  const auto off = load(minimal);
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_FALSE(off->rt.step_dir_step_filter);
  const auto on = load(minimal + "\n[rt]\nstep_dir_step_filter: true\n");
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_TRUE(on->rt.step_dir_step_filter);
  const auto bad = load(minimal + "\n[rt]\nstep_dir_step_filter: sometimes\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("printer.cfg:34: [rt] step_dir_step_filter"), std::string::npos)
      << bad.error().message;
}

TEST(StepDirStepFilter, APairWithin750usIsRemoved) {
  // Out 0.00005 mm past a boundary and back: the step and the step back come about 0.37 ms apart.
  const Filtered f = run_x({"G1 X0.0063", "G1 X0"});
  ASSERT_EQ(f.exact.size(), 2U);
  ASSERT_LT(f.exact[1] - f.exact[0], kStepDirStepFilterNs);
  EXPECT_TRUE(f.played.time.empty());
  EXPECT_EQ(f.totals.removed_pairs, 1U);
  EXPECT_EQ(f.totals.steps, 0U);
}

TEST(StepDirStepFilter, APairFurtherApartIsKept) {
  // 0.0008 mm past the boundary: about 1.5 ms there and back.
  const Filtered f = run_x({"G1 X0.00705", "G1 X0"});
  ASSERT_EQ(f.exact.size(), 2U);
  ASSERT_GT(f.exact[1] - f.exact[0], kStepDirStepFilterNs);
  EXPECT_EQ(f.played.time, f.exact);
  EXPECT_EQ(f.totals.removed_pairs, 0U);
}

TEST(StepDirStepFilter, OffSendsEveryStep) {
  const Filtered f = run_x({"G1 X0.0063", "G1 X0"}, false);
  ASSERT_EQ(f.exact.size(), 2U);
  EXPECT_EQ(f.played.time.size(), 2U);
  EXPECT_EQ(f.totals.removed_pairs, 0U);
  EXPECT_EQ(f.totals.steps, 2U);
}

TEST(StepDirStepFilter, AStepAfterARemovedPairIsNotPairedAgain) {
  // Up, down, up across one boundary within microseconds: the first two go as a pair; the third is checked
  // against the next step only (there is none), as Klipper's host does, and stays.
  const Filtered f = run_x({"G1 X0.006251", "G1 X0.006249", "G1 X0.006251"});
  ASSERT_EQ(f.exact.size(), 3U);
  ASSERT_LT(f.exact[2] - f.exact[0], kStepDirStepFilterNs);
  EXPECT_EQ(f.totals.removed_pairs, 1U);
  ASSERT_EQ(f.played.time.size(), 1U);
  EXPECT_EQ(f.played.dir[0], 1);
  EXPECT_EQ(f.played.time[0], f.exact[2]);
}

TEST(StepDirStepFilter, SameDirectionStepsAreNeverRemoved) {
  const Filtered f = run_x({"G1 X0.0063", "G1 X0.0188", "G1 X0.0313"});
  ASSERT_EQ(f.exact.size(), 3U);
  EXPECT_EQ(f.played.time, f.exact);
  EXPECT_EQ(f.totals.removed_pairs, 0U);
}

}  // namespace
}  // namespace rtstep::stepgen

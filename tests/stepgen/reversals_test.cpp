// Reversals without a stop (issue 15, item 4), on whole G-code streams: a long corexy zig-zag whose corners
// turn stepper_y (B = X - Y) back at speed, with tiny back-and-forth moves at some corners, and a jittery file.
// Both contain reversals closer than the executor's reversal gap, some within one nanosecond. Through the
// planner and StepGenerator, every record must be one the executor takes, every gap at least what it needs
// (stepgen::StepSpacing), every step delayed by at most the reversal gap (plus the compression tolerance),
// and the count never more than one step from the exact count; with the step+dir+step filter the removed
// pairs are counted and the final positions still agree. The real executor then plays the stream on the
// virtual clock without coalescing: not one edge late.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "../executor/executor_rig.hpp"
#include "../motion/test_machine.hpp"
#include "pipeline_harness.hpp"
#include "stream_checks.hpp"

namespace rtstep::stepgen {
namespace {

using testing::Pipeline;
using testing::StepTrack;
constexpr int64_t kTolerance = 1000;  // ns, [rt] max_step_error's default

// A corexy zig-zag at 100 mm/s: moves of 0.2 mm in X and 0.2 -/+ d in Y, alternately, so that B = 80 (X - Y)
// goes up by 80 d steps and back at every pair of corners while the toolhead turns by under 2 degrees. d is
// half a step (0.00625 mm) plus an overshoot: none at every fourth pair (B lands exactly on a half-step
// boundary and turns back at once: a step and a step back within a nanosecond, or no step), otherwise between
// 1e-7 and 3e-5 mm (B turns back within a fraction of a microsecond to some tens of microseconds). Every 16th
// corner adds a tiny back-and-forth in X: half a step out (exactly onto a boundary of A and B) and back, then
// a full step out and back. The zig-zag runs diagonally over 100 mm and back.
std::vector<std::string> corexy_zigzag(int corners) {
  std::mt19937 rng(15);
  std::uniform_real_distribution<double> exponent(-7, -4.5);
  std::vector<std::string> lines = {"G28", "G1 X50 Y50 F6000"};
  double x = 50, y = 50, d = 0;
  for (int k = 0; k < corners; ++k) {
    if (k % 2 == 0) d = 0.00625 + ((k / 2) % 4 == 0 ? 0.0 : std::pow(10.0, exponent(rng)));
    const double way = (k / 500) % 2 == 0 ? 1.0 : -1.0;
    x += way * 0.2;
    y += way * ((k % 2 == 0) ? 0.2 - d : 0.2 + d);
    lines.push_back(fmt::format("G1 X{:.7f} Y{:.7f}", x, y));
    if (k % 16 == 15) {
      lines.push_back(fmt::format("G1 X{:.7f}", x + 0.00625));
      lines.push_back(fmt::format("G1 X{:.7f}", x));
      lines.push_back(fmt::format("G1 X{:.7f}", x + 0.0125));
      lines.push_back(fmt::format("G1 X{:.7f}", x));
    }
  }
  lines.push_back("M400");
  return lines;
}

// A jittery path: along the diagonal in 0.05 mm steps (100 mm one way, then back) with up to 0.004 mm of
// noise in X and Y, written with 3 decimals as slicers write, at feed rates that change from move to move.
// On a corexy B = X - Y then turns back and forth at speed; on a cartesian X and Y sometimes do. At 100
// steps/mm (jitter_machine) one coordinate in ten lies exactly on a half-step boundary.
std::vector<std::string> jittery(int moves) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> noise(-0.004, 0.004);
  std::uniform_int_distribution<int> feed(1200, 9000);
  std::vector<std::string> lines = {"G28", "G1 X20 Y20 F6000"};
  for (int k = 1; k <= moves; ++k) {
    const double along = 0.05 * (k % 4000 < 2000 ? k % 2000 : 2000 - k % 2000);
    lines.push_back(fmt::format("G1 X{:.3f} Y{:.3f} F{}", 20 + along + noise(rng), 20 + along + noise(rng), feed(rng)));
  }
  lines.push_back("M400");
  return lines;
}

config::MachineConfig corexy(bool filter) {
  auto machine = testing::test_machine("corexy");
  machine.rt.step_dir_step_filter = filter;
  return machine;
}

// The jittery file's machines: X and Y at 100 steps/mm (rotation_distance 32).
config::MachineConfig jitter_machine(const char* kinematics, bool filter) {
  auto machine = testing::test_machine(kinematics);
  machine.steppers[0].rotation_distance = machine.steppers[1].rotation_distance = 32;
  machine.rt.step_dir_step_filter = filter;
  return machine;
}

struct Outcome {
  std::vector<StepTrack> exact, played;
  std::vector<StepperTotals> totals;
  std::vector<ipc::Record> records;
};

Outcome run(const config::MachineConfig& machine, const std::vector<std::string>& lines) {
  Pipeline p(machine, kTolerance);
  for (const auto& l : lines) EXPECT_EQ(p.exec(l), "") << l;
  p.finish();
  EXPECT_TRUE(p.records.ordered);
  Outcome o;
  const std::size_t n = p.generator.stepper_count();
  o.exact.resize(n);
  for (std::size_t i = 0; i < n && i < p.log.times.size(); ++i) {
    o.exact[i].time = p.log.times[i];
    o.exact[i].dir = p.log.dirs[i];
  }
  o.played = testing::played_steps(p.records.records, n);
  for (std::size_t i = 0; i < n; ++i) o.totals.push_back(p.generator.totals(i));
  o.records = p.records.records;
  return o;
}

// Reversals in the exact times closer than the reversal gap, and those at one nanosecond.
std::pair<int, int> close_reversals(const StepTrack& t, int64_t gap) {
  int close = 0, same_ns = 0;
  for (std::size_t i = 1; i < t.time.size(); ++i) {
    if (t.dir[i] == t.dir[i - 1]) continue;
    if (t.time[i] - t.time[i - 1] < gap) ++close;
    if (t.time[i] == t.time[i - 1]) ++same_ns;
  }
  return {close, same_ns};
}

// What must hold of any stream, filter or not.
void expect_playable(const config::MachineConfig& machine, const Outcome& o) {
  EXPECT_EQ(testing::first_rejected(o.records), "");
  for (std::size_t i = 0; i < o.played.size(); ++i) {
    EXPECT_EQ(testing::first_short_gap(o.played[i], step_spacing(machine, i)), "") << machine.steppers[i].name;
    EXPECT_EQ(o.played[i].time.size(), o.totals[i].steps) << machine.steppers[i].name;
    EXPECT_EQ(o.played[i].net(), o.exact[i].net()) << machine.steppers[i].name << ": final position";
    EXPECT_LE(testing::max_count_error(o.exact[i], o.played[i]), 1) << machine.steppers[i].name;
  }
}

// Without the filter: every step, in order and direction, never early by more than the tolerance, late by at
// most one reversal gap more.
void expect_every_step(const config::MachineConfig& machine, const Outcome& o) {
  for (std::size_t i = 0; i < o.played.size(); ++i) {
    const std::string& name = machine.steppers[i].name;
    ASSERT_EQ(o.played[i].time.size(), o.exact[i].time.size()) << name;
    EXPECT_EQ(o.played[i].dir, o.exact[i].dir) << name;
    EXPECT_EQ(o.totals[i].removed_pairs, 0U) << name;
    const auto [low, high] = testing::shift_range(o.exact[i], o.played[i]);
    const int64_t gap = step_spacing(machine, i).min_reversal_ns;
    EXPECT_GE(low, -kTolerance) << name;
    EXPECT_LE(high, gap + kTolerance) << name;
    EXPECT_LE(o.totals[i].max_delay_ns, gap) << name;
  }
}

constexpr std::size_t kA = 0, kB = 1;  // corexy: stepper_x drives A = X + Y, stepper_y drives B = X - Y

TEST(Reversals, CorexyZigzagKeepsEveryStepAndTheExecutorsGaps) {
  const auto machine = corexy(false);
  const Outcome o = run(machine, corexy_zigzag(4000));
  // The input does what it is for: B turns back at the corners, A in the tiny back-and-forth moves, many
  // times closer than the reversal gap and often within one nanosecond (the executor refused those as
  // overlapping segments, and played the others late).
  for (std::size_t i : {kA, kB}) {
    const auto [close, same_ns] = close_reversals(o.exact[i], step_spacing(machine, i).min_reversal_ns);
    EXPECT_GT(close, i == kB ? 500 : 100) << machine.steppers[i].name;
    EXPECT_GT(same_ns, 100) << machine.steppers[i].name;
    EXPECT_GE(o.totals[i].delayed_steps, static_cast<uint64_t>(close)) << machine.steppers[i].name;
  }
  expect_playable(machine, o);
  expect_every_step(machine, o);
}

TEST(Reversals, JitteryFileKeepsEveryStepAndTheExecutorsGaps) {
  const auto machine = jitter_machine("corexy", false);
  const Outcome o = run(machine, jittery(6000));
  const auto [close, same_ns] = close_reversals(o.exact[kB], step_spacing(machine, kB).min_reversal_ns);
  EXPECT_GT(close, 100);
  EXPECT_GT(same_ns, 100);
  expect_playable(machine, o);
  expect_every_step(machine, o);
}

// The filter removes pairs (counted), and only pairs: the final positions agree, and each stepper sends its
// exact steps less two per pair.
void expect_filtered(const config::MachineConfig& machine, const Outcome& o) {
  expect_playable(machine, o);
  for (std::size_t i = 0; i < o.played.size(); ++i) {
    EXPECT_EQ(o.played[i].time.size() + 2 * o.totals[i].removed_pairs, o.exact[i].time.size())
        << machine.steppers[i].name;
  }
}

TEST(Reversals, StepDirStepFilterRemovesPairsAndKeepsPositions) {
  const auto zigzag = corexy_zigzag(4000);
  const Outcome off = run(corexy(false), zigzag);
  const Outcome on = run(corexy(true), zigzag);
  expect_filtered(corexy(true), on);
  // Every close reversal is within 750 us, and so are many of B's turns that are not close.
  for (std::size_t i : {kA, kB}) {
    const auto close = close_reversals(on.exact[i], step_spacing(corexy(true), i).min_reversal_ns).first;
    EXPECT_GE(on.totals[i].removed_pairs, static_cast<uint64_t>(close) / 2) << i;
  }
  EXPECT_GT(on.totals[kB].removed_pairs, 1500U);
  // The same geometry: the filter changes only what is sent.
  EXPECT_EQ(off.exact[kB].time, on.exact[kB].time);
  EXPECT_EQ(off.played[kA].time.size(), on.played[kA].time.size() + 2 * on.totals[kA].removed_pairs);
  // Nothing is left to delay but turns slower than the filter's window.
  EXPECT_EQ(on.totals[kB].delayed_steps, 0U);

  const auto machine = jitter_machine("corexy", true);
  const Outcome jitter = run(machine, jittery(6000));
  expect_filtered(machine, jitter);
  EXPECT_GT(jitter.totals[kB].removed_pairs, 100U);
}

// The real executor, configured as `rtstep run` configures it from the same machine (pulse from
// step_pulse_duration, dir setup from [rt] dir_setup_time, dir hold its own default), plays the stream on the
// virtual clock. Without coalescing, an edge is late only if one of its rules held it back: none may be.
void expect_executor_plays_on_time(const config::MachineConfig& machine, const Outcome& o) {
  using namespace executor::rig;
  const std::size_t n = o.played.size();
  Rig rig(n);
  executor::ExecutorConfig config = make_config(n, true);
  for (std::size_t i = 0; i < n; ++i) config.steppers[i].pulse_ns = std::llround(machine.steppers[i].step_pulse_duration * 1e9);
  config.dir_setup_ns = machine.rt.dir_setup_ns;
  ASSERT_EQ(config.dir_hold_ns, kDirHoldNs) << "stepgen's spacing assumes the executor's dir hold time";
  config.coalesce_ns = 0;
  config.late_threshold_ns = 0;
  executor::StepExecutor exec(config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  // Pushes while the executor runs: one that stopped on a bad record reads no more.
  const auto push = [&](const ipc::Record& r) {
    while (!rig.producer->try_push(r)) {
      if (!exec.running()) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
  };
  for (const auto& r : o.records) {
    if (!push(r)) break;
  }
  push(ipc::Record::end_of_stream());
  const executor::ExecutorReport report = exec.join();
  ASSERT_EQ(report.status, executor::ExecutorStatus::kFinished) << report.message();
  EXPECT_EQ(report.late_edges, 0U);
  EXPECT_EQ(exec.lateness().snapshot().max_ns, 0);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(report.stepper_steps[i], o.played[i].time.size()) << machine.steppers[i].name;
    EXPECT_EQ(rig.sim.position(i), o.played[i].net()) << machine.steppers[i].name;
  }
}

TEST(Reversals, ExecutorPlaysTheZigzagWithoutALateEdge) {
  for (const bool filter : {false, true}) {
    SCOPED_TRACE(filter ? "filter on" : "filter off");
    const auto machine = corexy(filter);
    expect_executor_plays_on_time(machine, run(machine, corexy_zigzag(1500)));
  }
}

TEST(Reversals, ExecutorPlaysTheJitteryFileWithoutALateEdge) {
  auto machine = jitter_machine("corexy", false);
  // A long pulse and dir setup: the spacing follows them.
  for (auto& s : machine.steppers) s.step_pulse_duration = 3e-6;
  machine.rt.dir_setup_ns = 1'000;
  expect_executor_plays_on_time(machine, run(machine, jittery(3000)));
}

}  // namespace
}  // namespace rtstep::stepgen

// The speed plot (trace.hpp: speed_plot) of the bundled example's trace: the example run on the virtual
// clock with --trace, read back, then some steps made late as a stalled executor would write them; every
// bunched step the plot marks must be one the trace's own times show, and none may be missed.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "trace/trace.hpp"

namespace rtstep::trace {
namespace {

const std::string kRtstep = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";
const std::string kSource = RTSTEP_SOURCE_DIR;

// The example's trace, recorded by the binary.
Trace example_trace() {
  const std::string path = (std::filesystem::temp_directory_path() / ("rtstep-plot-" + std::to_string(getpid()) + ".trace")).string();
  const std::string command = "'" + kRtstep + "' run --virtual-clock -q -c '" + kSource + "/examples/printer.cfg' '" +
                              kSource + "/examples/square.gcode' --trace '" + path + "' > /dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  auto trace = read_trace(path);
  std::filesystem::remove(path);
  EXPECT_TRUE(trace.ok());
  return trace.ok() ? std::move(trace).value() : Trace{};
}

// A stall: the CPU is taken away at `from` for `length`; the writes due meanwhile are then written one
// after the other, 2 us apart, until the executor has caught up with its deadlines.
void stall(Trace& trace, int64_t from, int64_t length) {
  int64_t cursor = from + length;
  for (gpio::EdgeRecord& r : trace.records) {
    if (r.scheduled_ns < from) continue;
    if (r.scheduled_ns >= cursor) break;
    r.issued_ns = cursor;
    cursor += 2'000;
  }
}

// The trace's own figures: rising edges of the stepper's step pin written less than half their planned
// interval after the one before, and later than 10 us.
std::pair<uint64_t, uint64_t> bunched_and_late(const Trace& trace, const TraceStepper& stepper) {
  const gpio::PinMask step = gpio::PinMask{1} << stepper.step_pin;
  uint64_t bunched = 0, late = 0;
  const gpio::EdgeRecord* previous = nullptr;
  for (const gpio::EdgeRecord& r : trace.records) {
    if ((r.changed & step) == 0 || (r.levels & step) == 0) continue;
    if (previous != nullptr && 2 * (r.issued_ns - previous->issued_ns) < r.scheduled_ns - previous->scheduled_ns) ++bunched;
    if (r.issued_ns - r.scheduled_ns > 10'000) ++late;
    previous = &r;
  }
  return {bunched, late};
}

TEST(SpeedPlot, TheExampleOnTheVirtualClockMovedAsPlanned) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  const Trace trace = example_trace();
  ASSERT_EQ(trace.header.steppers.size(), 4u);
  const SpeedPlot plot = speed_plot(trace);
  const TraceStats stats = compute_stats(trace);
  for (std::size_t i = 0; i < plot.steppers.size(); ++i) {
    EXPECT_EQ(plot.steppers[i].steps, stats.steppers[i].steps) << plot.steppers[i].name;
    EXPECT_EQ(plot.steppers[i].bunched_steps, 0u);
    EXPECT_EQ(plot.steppers[i].late_steps, 0u);
    // On the virtual clock every edge is written at its deadline: the fastest written is the fastest planned.
    EXPECT_DOUBLE_EQ(plot.steppers[i].max_speed, plot.steppers[i].max_planned_speed);
  }
  EXPECT_EQ(plot.svg.find("class=\"bunched\""), std::string::npos);
  EXPECT_NE(plot.svg.find("stepper_x: 27200 steps, 0 late, 0 bunched"), std::string::npos);
}

TEST(SpeedPlot, MarksExactlyTheBunchedStepsOfAStalledRun) {
  if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs " << kRtstep;
  Trace trace = example_trace();
  ASSERT_FALSE(trace.records.empty());
  const int64_t t0 = trace.records.front().scheduled_ns;
  // Three stalls in the square's perimeters, of 1.3 ms (the README's VM) to 5 ms.
  stall(trace, t0 + 1'200'000'000, 1'300'000);
  stall(trace, t0 + 2'500'000'000, 3'000'000);
  stall(trace, t0 + 4'000'000'000, 5'000'000);
  const SpeedPlot plot = speed_plot(trace);
  uint64_t marked_total = 0;
  for (std::size_t i = 0; i < trace.header.steppers.size(); ++i) {
    const auto [bunched, late] = bunched_and_late(trace, trace.header.steppers[i]);
    EXPECT_EQ(plot.steppers[i].bunched_steps, bunched) << trace.header.steppers[i].name;
    EXPECT_EQ(plot.steppers[i].late_steps, late) << trace.header.steppers[i].name;
    marked_total += std::min<uint64_t>(bunched, 2000);
  }
  EXPECT_GT(plot.steppers[0].bunched_steps, 0u) << "X moves during the stalls";
  // Each marked step is one triangle of class "bunched".
  const std::regex marker("class=\"bunched\"");
  const auto count = static_cast<uint64_t>(std::distance(std::sregex_iterator(plot.svg.begin(), plot.svg.end(), marker),
                                                         std::sregex_iterator()));
  EXPECT_EQ(count, marked_total);
  // The catch-up is as fast as the figures of --stats say: the shortest interval written.
  const TraceStats stats = compute_stats(trace);
  EXPECT_NEAR(plot.steppers[0].max_speed, 1e9 / static_cast<double>(stats.steppers[0].shortest_interval_ns), 1e-6);
}

}  // namespace
}  // namespace rtstep::trace

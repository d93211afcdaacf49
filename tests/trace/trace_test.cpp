// Trace files end to end: the executor (virtual clock) drives a recording sim backend, TraceWriter drains
// it to a file, and read_trace / compute_stats / write_vcd must give back exactly what happened on the pins.

#include "trace/trace.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ipc/ipc.hpp"
#include "executor/executor.hpp"

namespace rtstep::trace {
namespace {

std::string temp_path(const std::string& name) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("rtstep-trace-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + name))
      .string();
}

ipc::StepSegment seg(uint8_t stepper, int64_t first, int64_t interval, uint32_t count, uint8_t dir) {
  ipc::StepSegment s;
  s.stepper = stepper;
  s.first_time_ns = first;
  s.interval_ns = interval;
  s.count = count;
  s.dir = dir;
  return s;
}

// Two steppers (pins: 0 step, 1 dir; 2 step, 3 dir), pulses of 2 us and 4.5 us, dir setup 500 ns.
struct TracedRun {
  explicit TracedRun(std::size_t buffer = 1 << 16) {
    header.pin_names = {"stepper_x.step", "stepper_x.dir", "stepper_y.step", "stepper_y.dir"};
    header.steppers = {{"stepper_x", 0, 1}, {"stepper_y", 2, 3}};
    header.flags = kFlagVirtualClock;
    std::vector<gpio::PinSpec> pins;
    for (const auto& n : header.pin_names) pins.push_back({n, false});
    EXPECT_TRUE(sim.configure(pins).ok());
    sim.track_stepper(0, 1);
    sim.track_stepper(2, 3);
    sim.enable_recording(buffer);
    path = temp_path("run.trace");
  }
  ~TracedRun() { std::filesystem::remove(path); }

  executor::ExecutorReport execute(const std::vector<ipc::StepSegment>& segments, bool drain = true) {
    const std::string name = "/rtstep-trace-test-" + std::to_string(getpid());
    auto producer = ipc::SegmentRing::create(name, 256);
    EXPECT_TRUE(producer.ok());
    auto consumer = ipc::SegmentRing::attach(name);
    EXPECT_TRUE(consumer.ok());
    for (const auto& s : segments) EXPECT_TRUE(producer->try_push(ipc::Record::of(s)));
    EXPECT_TRUE(producer->try_push(ipc::Record::end_of_stream()));
    executor::ExecutorConfig config;
    config.steppers = {{0, 1, gpio::kMaxPins, 2'000}, {2, 3, gpio::kMaxPins, 4'500}};
    config.dir_setup_ns = 500;
    config.virtual_clock = true;
    config.lock_memory = false;
    TraceWriter writer;
    if (drain) {
      EXPECT_TRUE(writer.start(path, header, sim).ok());
    }
    executor::StepExecutor exec(config, *consumer, sim);
    EXPECT_TRUE(exec.start().ok());
    const executor::ExecutorReport report = exec.join();
    if (!drain) {
      EXPECT_TRUE(writer.start(path, header, sim).ok());
    }
    EXPECT_TRUE(writer.finish().ok());
    return report;
  }

  TraceHeader header;
  gpio::SimBackend sim;
  std::string path;
};

TEST(Trace, StatsGiveBackCountsPositionsPulseWidthsAndDirSetup) {
  TracedRun run;
  const auto report = run.execute({seg(0, 1'000'000, 20'000, 50, 1), seg(1, 1'003'000, 30'000, 40, 0),
                                   seg(0, 2'100'000, 20'000, 30, 0), seg(1, 2'300'000, 25'000, 10, 1)});
  ASSERT_EQ(report.status, executor::ExecutorStatus::kFinished) << report.message();
  auto trace = read_trace(run.path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_TRUE(trace->complete);
  EXPECT_EQ(trace->lost, 0U);
  EXPECT_EQ(trace->header.pin_names.size(), 4U);
  EXPECT_EQ(trace->header.steppers[1].name, "stepper_y");
  const TraceStats stats = compute_stats(*trace);
  EXPECT_EQ(stats.pins[0].rising, 80U);
  EXPECT_EQ(stats.pins[0].falling, 80U);
  EXPECT_EQ(stats.pins[2].rising, 50U);
  EXPECT_EQ(stats.steppers[0].steps, 80U);
  EXPECT_EQ(stats.steppers[0].position, 50 - 30);
  EXPECT_EQ(stats.steppers[1].position, -40 + 10);
  EXPECT_EQ(stats.steppers[0].position, run.sim.position(0)) << "trace and live counters agree";
  // Pulse widths on the recorded edges are the configured ones; the dir setup is honoured.
  EXPECT_EQ(stats.steppers[0].shortest_pulse_ns, 2'000);
  EXPECT_EQ(stats.steppers[1].shortest_pulse_ns, 4'500);
  EXPECT_GE(stats.steppers[0].shortest_dir_setup_ns, 500);
  EXPECT_GE(stats.steppers[1].shortest_dir_setup_ns, 500);
  EXPECT_GT(stats.steppers[0].shortest_dir_hold_ns, 0);
  EXPECT_EQ(stats.writes, trace->records.size());
  const std::string text = format_stats(*trace, stats);
  EXPECT_NE(text.find("stepper_x.step"), std::string::npos) << text;
}

TEST(Trace, VcdHasOneWirePerPinAndEveryChange) {
  TracedRun run;
  ASSERT_EQ(run.execute({seg(0, 1'000'000, 20'000, 3, 1)}).status, executor::ExecutorStatus::kFinished);
  auto trace = read_trace(run.path);
  ASSERT_TRUE(trace.ok());
  std::ostringstream vcd;
  write_vcd(*trace, vcd);
  const std::string text = vcd.str();
  EXPECT_NE(text.find("$timescale 1ns $end"), std::string::npos);
  EXPECT_NE(text.find("$var wire 1 ! stepper_x_step $end"), std::string::npos) << text;
  EXPECT_NE(text.find("$var wire 1 $ stepper_y_dir $end"), std::string::npos) << text;
  EXPECT_NE(text.find("$enddefinitions $end"), std::string::npos);
  // dir up, then 3 pulses: 1 + 6 changes of pin 0/1 after the initial dump.
  std::size_t ones = 0, pos = text.find("$end\n#");
  for (std::size_t p = text.find("\n1!", pos); p != std::string::npos; p = text.find("\n1!", p + 1)) ++ones;
  EXPECT_EQ(ones, 3U);
  // Time 0 is the dir write, 500 ns (dir setup) before the first step; steps 20 us apart, in ns.
  EXPECT_NE(text.find("\n#500\n1!"), std::string::npos) << text;
  EXPECT_NE(text.find("\n#20500\n1!"), std::string::npos) << text;
}

TEST(Trace, AFullBufferCountsLostWritesAndNeverBlocksTheExecutor) {
  TracedRun run(/*buffer=*/8);
  const auto report = run.execute({seg(0, 1'000'000, 20'000, 100, 1)}, /*drain=*/false);
  EXPECT_EQ(report.status, executor::ExecutorStatus::kFinished);
  EXPECT_EQ(run.sim.rising_edges(0), 100U) << "every step reached the pins";
  auto trace = read_trace(run.path);
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(trace->records.size(), 8U);
  EXPECT_EQ(trace->lost + trace->records.size(), 1U + 200U) << "the dir write and 100 pulses";
  EXPECT_NE(format_stats(*trace, compute_stats(*trace)).find("writes were lost"), std::string::npos);
}

TEST(Trace, ReadRefusesWhatIsNotATrace) {
  const std::string path = temp_path("bad.trace");
  std::ofstream(path) << "this is not a trace at all, not even close to one";
  auto bad = read_trace(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("wrong magic"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find(path), std::string::npos);
  std::filesystem::remove(path);
  auto missing = read_trace(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos);
}

TEST(Trace, SignalNamesAreSanitised) {
  EXPECT_EQ(signal_name("stepper_x.step"), "stepper_x_step");
  EXPECT_EQ(signal_name("gpiochip0/gpio17"), "gpiochip0_gpio17");
  EXPECT_EQ(signal_name(""), "pin");
}

}  // namespace
}  // namespace rtstep::trace

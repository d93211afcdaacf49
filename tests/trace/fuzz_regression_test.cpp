// Regression tests for what fuzz/trace.cpp found (docs/FUZZING.md): statistics and VCD of traces whose
// times a damaged or hostile file sets to anything. Each used to overflow int64 arithmetic (undefined
// behaviour; in practice wrapped, negative figures).

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "trace/trace.hpp"

namespace rtstep::trace {
namespace {

Trace two_pin_trace() {
  Trace t;
  t.header.pin_names = {"x_step", "x_dir"};
  t.header.steppers = {TraceStepper{"stepper_x", 0, 1}};
  return t;
}

// One write that raises dir and step together: its dir setup is 0 ns. It used to be measured from "dir
// never changed" (INT64_MIN), which overflowed.
TEST(FuzzRegression, DirAndStepInTheSameWriteIsZeroSetup) {
  Trace t = two_pin_trace();
  t.records.push_back(gpio::EdgeRecord{1'011'200, 1'011'200, 0b11, 0b11});
  const TraceStats stats = compute_stats(t);
  ASSERT_EQ(stats.steppers.size(), 1U);
  EXPECT_EQ(stats.steppers[0].steps, 1U);
  EXPECT_EQ(stats.steppers[0].shortest_dir_setup_ns, 0);
}

// Lateness, duration, pulse and low times between the most distant times saturate instead of wrapping.
TEST(FuzzRegression, ExtremeTimesSaturate) {
  Trace t = two_pin_trace();
  t.records.push_back(gpio::EdgeRecord{INT64_MIN, INT64_MAX, 0b01, 0b01});  // step high, 2^64 ns early
  t.records.push_back(gpio::EdgeRecord{INT64_MAX, -1, 0b01, 0b00});         // step low, 2^63 ns late
  const TraceStats stats = compute_stats(t);
  EXPECT_EQ(stats.lateness_max_ns, INT64_MAX);
  EXPECT_EQ(stats.duration_ns, INT64_MAX);
  EXPECT_EQ(stats.steppers[0].shortest_pulse_ns, INT64_MAX);
  EXPECT_FALSE(format_stats(t, stats).empty());
}

// VCD times are relative to the first write and never go back, even across the whole int64 range.
TEST(FuzzRegression, VcdTimesSaturate) {
  Trace t = two_pin_trace();
  t.records.push_back(gpio::EdgeRecord{INT64_MIN, 0, 0b01, 0b01});
  t.records.push_back(gpio::EdgeRecord{INT64_MAX, 0, 0b01, 0b00});
  t.records.push_back(gpio::EdgeRecord{0, 0, 0b10, 0b10});
  std::ostringstream out;
  write_vcd(t, out);
  const std::string vcd = out.str();
  const std::string max = "#" + std::to_string(INT64_MAX) + "\n";
  EXPECT_NE(vcd.find(max), std::string::npos) << vcd;
  EXPECT_EQ(vcd.find("#-"), std::string::npos) << "a negative VCD time: " << vcd;
}

}  // namespace
}  // namespace rtstep::trace

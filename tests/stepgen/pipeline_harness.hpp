#pragma once
// Toolhead -> StepGenerator in memory, for tests that check the exact step times (not internal variables):
// every exact step time per stepper (StepObserver) and every record delivered (checked for time order).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gcode/gcode.hpp"
#include "motion/motion.hpp"
#include "stepgen/stepgen.hpp"

namespace rtstep::testing {

struct StepLog final : stepgen::StepObserver {
  std::vector<std::vector<int64_t>> times;  // per stepper, exact ns
  std::vector<std::vector<int8_t>> dirs;    // +1 / -1 per step
  void on_steps(std::size_t stepper, std::span<const int64_t> t, uint8_t dir, int64_t) override {
    if (times.size() <= stepper) { times.resize(stepper + 1); dirs.resize(stepper + 1); }
    times[stepper].insert(times[stepper].end(), t.begin(), t.end());
    dirs[stepper].insert(dirs[stepper].end(), t.size(), dir == 1 ? 1 : -1);
  }
};

struct Records final : stepgen::RecordSink {
  // Every step time the segments stand for, per stepper (`steppers` of them); `all_valid` false when a
  // segment failed ipc::is_valid (its steps are left out).
  std::vector<std::vector<int64_t>> expanded(std::size_t steppers, bool& all_valid) const {
    std::vector<std::vector<int64_t>> times(steppers);
    all_valid = true;
    for (const auto& r : records) {
      if (r.kind != ipc::RecordKind::kSegment) continue;
      if (!ipc::is_valid(r.segment)) {
        all_valid = false;
        continue;
      }
      for (uint32_t k = 0; k < r.segment.count; ++k) times[r.segment.stepper].push_back(r.segment.step_time(k));
    }
    return times;
  }

  std::vector<ipc::Record> records;
  bool ordered = true;
  Status push(const ipc::Record& r) override {
    if (!records.empty() && r.time_ns() < records.back().time_ns()) ordered = false;
    records.push_back(r);
    return Ok{};
  }
};

class Pipeline {
 public:
  explicit Pipeline(config::MachineConfig m, int64_t tolerance_ns = 1000)
      : machine(std::move(m)),
        kinematics(*motion::Kinematics::create(machine)),
        generator(machine, kinematics, motion::initial_position(machine), 0, tolerance_ns, records, &log),
        toolhead(machine, kinematics, generator, "part.gcode") {}

  // Parses and executes one line; returns the error message, or "" on success.
  std::string exec(const std::string& text) {
    gcode::LineScratch scratch;
    gcode::Command cmd;
    gcode::ParseError error;
    if (!gcode::parse_line(text, ++line, "part.gcode", scratch, cmd, error)) return "parse: " + error.to_string();
    std::string reply;
    auto done = toolhead.execute(cmd, reply);
    return done.ok() ? std::string() : done.error().message;
  }
  void run(std::initializer_list<std::string> lines) {
    for (const auto& l : lines) ASSERT_EQ(exec(l), "") << l;
  }
  void finish() { ASSERT_TRUE(toolhead.finish().ok()); }
  const std::vector<int64_t>& times(std::size_t stepper) {
    if (log.times.size() <= stepper) log.times.resize(stepper + 1);
    return log.times[stepper];
  }
  // Net steps seen by the observer for a stepper.
  int64_t net(std::size_t stepper) {
    int64_t n = 0;
    if (stepper < log.dirs.size()) for (int8_t d : log.dirs[stepper]) n += d;
    return n;
  }

  config::MachineConfig machine;
  motion::Kinematics kinematics;
  Records records;
  StepLog log;
  stepgen::StepGenerator generator;
  motion::Toolhead toolhead;
  uint32_t line = 0;
};

}  // namespace rtstep::testing

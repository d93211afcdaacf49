#pragma once
// A MoveSink that keeps what the toolhead sends, and a toolhead fixture that runs G-code lines.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gcode/gcode.hpp"
#include "motion/motion.hpp"
#include "test_machine.hpp"

namespace rtstep::testing {

struct MoveRecorder final : motion::MoveSink {
  std::vector<motion::Move> moves;
  int flushes = 0;
  Status on_move(const motion::Move& m) override { moves.push_back(m); return Ok{}; }
  Status on_enable(std::size_t, bool, double) override { return Ok{}; }
  Status on_flush(double) override { ++flushes; return Ok{}; }
};

class ToolheadRig {
 public:
  explicit ToolheadRig(config::MachineConfig m, motion::EndstopTripSource* endstops = nullptr)
      : machine(std::move(m)), toolhead(machine, *motion::Kinematics::create(machine), sink, "part.gcode", endstops) {}
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
  config::MachineConfig machine;
  MoveRecorder sink;
  motion::Toolhead toolhead;
  uint32_t line = 0;
};

}  // namespace rtstep::testing

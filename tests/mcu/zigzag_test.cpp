// The zig-zag print (the lines of the stepgen benchmark's zigzag) planned by rtstep's own pipeline
// (G-code reader, toolhead, step generator) and turned into queue_step commands at 16 MHz by
// StepperChannel, as a link does; every command is decoded and expanded again and each step compared
// with the tick its segment asks for: never late, at most min(25 µs, half the step gap) early. Prints the
// compression figures (steps per queue_step, bytes per step) for docs/PERFORMANCE.md.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "mcu/move_queue.hpp"
#include "mcu/sim/firmware.hpp"
#include "motion/motion.hpp"
#include "stepgen/stepgen.hpp"

namespace rtstep::mcu {
namespace {

constexpr double kHz = 16e6;
constexpr uint32_t kMaxError = 400;          // 25 µs at 16 MHz
constexpr int64_t kFlushWindowNs = 500'000'000;  // a controller 0.75 s ahead, the link's 0.25 s flush lead

config::StepperConfig stepper(const char* name, char axis, double rotation_distance, double max) {
  config::StepperConfig s;
  s.name = name;
  s.axis = axis;
  s.microsteps = 16;
  s.rotation_distance = rotation_distance;
  s.position_max = max;
  s.homing_speed = 50;
  return s;
}

// examples/printer.cfg's mechanics: 80 steps/mm X/Y, 400 Z, E at rotation_distance 33.5.
config::MachineConfig example_machine() {
  config::MachineConfig m;
  m.printer.kinematics = "cartesian";
  m.printer.max_velocity = 300;
  m.printer.max_accel = 3000;
  m.printer.max_z_velocity = 5;
  m.printer.max_z_accel = 100;
  m.steppers = {stepper("stepper_x", 'x', 40, 235), stepper("stepper_y", 'y', 40, 235),
                stepper("stepper_z", 'z', 8, 250), stepper("extruder", 'e', 33.5, 0)};
  m.steppers[3].max_extrude_only_distance = 100;
  return m;
}

std::string zigzag(int n) {
  std::string out = "G28\nG90\nM83\nG1 Z0.3 F600\nG1 X10 Y10 F6000\n";
  double y = 10;
  bool right = true;
  for (int moves = 0; moves < n; moves += 2) {
    char line[128];
    std::snprintf(line, sizeof line, "G1 X%.3f Y%.3f E%.5f F6000\n", right ? 190.0 : 10.0, y, 180 * 0.033);
    out += line;
    y += 0.4;
    std::snprintf(line, sizeof line, "G1 X%.3f Y%.3f E%.5f F6000\n", right ? 190.0 : 10.0, y, 0.4 * 0.033);
    out += line;
    right = !right;
  }
  return out + "M400\n";
}

// One stepper: its channel, and the ticks its segments ask for, checked against the commands as they come.
struct Checked {
  StepperChannel channel;
  std::deque<uint64_t> wanted;
  uint64_t last_wanted = 0, last_clock = 0;
  int dir = -1;
  uint64_t steps = 0, commands = 0, bytes = 0, violations = 0;
  std::deque<int> wanted_dirs;

  void check(const Dictionary& d, const std::vector<MoveCommand>& out, uint8_t invert) {
    for (const MoveCommand& c : out) {
      for (const auto& message : c.messages) {
        std::size_t pos = 0;
        const Message m = d.decode(message, pos).value();
        if (m.name == "reset_step_clock") last_clock = static_cast<uint64_t>(*m.integer("clock"));
        if (m.name == "set_next_step_dir") dir = static_cast<int>(*m.integer("dir"));
        if (m.name != "queue_step") continue;
        bytes += message.size();
        ++commands;
        std::vector<uint64_t> ticks;
        expand_steps(last_clock, {static_cast<uint32_t>(*m.integer("interval")), static_cast<uint16_t>(*m.integer("count")),
                                  static_cast<int16_t>(*m.integer("add"))},
                     ticks);
        for (const uint64_t t : ticks) {
          const uint64_t want = wanted.front();
          const uint64_t early = std::min<uint64_t>(kMaxError, (want - last_wanted) / 2);
          if (t > want || t + early < want || (dir ^ invert) != wanted_dirs.front()) ++violations;
          last_wanted = want;
          wanted.pop_front();
          wanted_dirs.pop_front();
          ++steps;
        }
        last_clock = ticks.back();
      }
    }
  }
};

struct ChannelSink final : stepgen::RecordSink {
  const Dictionary& dictionary;
  PrintClock clock{ClockEstimate{0, 1'000'000.0, kHz * 1e-9}};
  std::vector<Checked> steppers;
  std::chrono::nanoseconds channel_time{0};  // spent in StepperChannel (segments to encoded commands)

  explicit ChannelSink(const Dictionary& d) : dictionary(d) {
    for (uint8_t i = 0; i < 4; ++i) {
      steppers.push_back({StepperChannel(d, i, StepperSpec{"s" + std::to_string(i), "PA0", "PA1", false, false, 2'000}, kMaxError),
                          {}, 0, 0, -1, 0, 0, 0, 0, {}});
    }
  }
  Status push(const ipc::Record& r) override {
    if (r.kind != ipc::RecordKind::kSegment) return Ok{};
    const ipc::StepSegment& s = r.segment;
    Checked& c = steppers.at(s.stepper);
    for (uint32_t k = 0; k < s.count; ++k) {
      c.wanted.push_back(clock.clock_at(s.step_time(k)));
      c.wanted_dirs.push_back(s.dir);
    }
    std::vector<MoveCommand> out;
    const auto t0 = std::chrono::steady_clock::now();
    if (Status st = c.channel.push(s, clock, out); !st) return st;
    if (c.channel.queued() != 0 && s.last_time() - c.channel.first_queued_ns() > kFlushWindowNs) {
      if (Status st = c.channel.flush(out); !st) return st;
    }
    channel_time += std::chrono::steady_clock::now() - t0;
    c.check(dictionary, out, 0);
    return Ok{};
  }
  Status finish() {
    for (Checked& c : steppers) {
      std::vector<MoveCommand> out;
      if (Status st = c.channel.flush(out); !st) return st;
      c.check(dictionary, out, 0);
    }
    return Ok{};
  }
};

TEST(McuZigzag, PlannedStepsBecomeQueueStepsWithinTheBound) {
  const sim::SimFirmware fw({});
  const config::MachineConfig machine = example_machine();
  const auto kinematics = *motion::Kinematics::create(machine);
  ChannelSink sink(fw.dictionary());
  stepgen::StepGenerator generator(machine, kinematics, motion::initial_position(machine), 0, 1000, sink);
  motion::Toolhead toolhead(machine, kinematics, generator, "zigzag.gcode");
  std::istringstream in(zigzag(200));
  gcode::Reader reader(in, "zigzag.gcode");
  std::string reply;
  while (reader.next() == gcode::ReadStatus::kCommand) ASSERT_TRUE(toolhead.execute(reader.command(), reply)) << reply;
  ASSERT_TRUE(toolhead.finish());
  ASSERT_TRUE(sink.finish().ok());
  const char* names[] = {"X", "Y", "Z", "E"};
  uint64_t steps = 0, bytes = 0, commands = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const Checked& c = sink.steppers[i];
    EXPECT_EQ(c.steps, generator.totals(i).steps) << names[i];
    EXPECT_TRUE(c.wanted.empty()) << names[i];
    EXPECT_EQ(c.violations, 0u) << names[i];
    steps += c.steps;
    bytes += c.bytes;
    commands += c.commands;
    if (c.commands != 0) {
      std::printf("mcu zigzag 16 MHz %s: %llu steps, %llu queue_step, %.1f steps/queue_step, %.3f bytes/step\n", names[i],
                  static_cast<unsigned long long>(c.steps), static_cast<unsigned long long>(c.commands),
                  static_cast<double>(c.steps) / static_cast<double>(c.commands),
                  static_cast<double>(c.bytes) / static_cast<double>(c.steps));
    }
  }
  std::printf("mcu zigzag 16 MHz all: %llu steps, %.1f steps/queue_step, %.3f bytes/step, %.1f ms per million steps in StepperChannel\n",
              static_cast<unsigned long long>(steps), static_cast<double>(steps) / static_cast<double>(commands),
              static_cast<double>(bytes) / static_cast<double>(steps),
              static_cast<double>(sink.channel_time.count()) / 1e6 / (static_cast<double>(steps) / 1e6));
  EXPECT_GT(steps, 1'000'000u);
}

}  // namespace
}  // namespace rtstep::mcu

// move_queue.hpp: segments to queue_step commands, decoded with the firmware's dictionary and expanded
// again, each step inside Klipper's window around the tick its exact time maps to; and the move slots.

#include "mcu/move_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "mcu/sim/firmware.hpp"

namespace rtstep::mcu {
namespace {

constexpr double kHz = 16e6;
constexpr uint32_t kMaxError = 400;  // 25 µs at 16 MHz

struct Decoded {
  std::vector<uint64_t> ticks;  // expanded steps
  std::vector<int> dirs;        // direction of each step (as the dir pin is set)
  int resets = 0;
};

// Runs the commands the way the firmware does: reset_step_clock sets the last step, set_next_step_dir
// the direction, queue_step adds its steps.
Decoded run(const Dictionary& d, const std::vector<MoveCommand>& commands) {
  Decoded out;
  uint64_t last = 0;
  int dir = -1;
  for (const MoveCommand& c : commands) {
    for (const auto& bytes : c.messages) {
      std::size_t pos = 0;
      const auto m = d.decode(bytes, pos);
      EXPECT_TRUE(m.ok());
      if (m->name == "reset_step_clock") {
        last = static_cast<uint64_t>(*m->integer("clock"));  // the test's clocks stay below 2^32
        ++out.resets;
      } else if (m->name == "set_next_step_dir") {
        dir = static_cast<int>(*m->integer("dir"));
      } else if (m->name == "queue_step") {
        EXPECT_EQ(c.req_clock, last);
        const StepMove move{static_cast<uint32_t>(*m->integer("interval")), static_cast<uint16_t>(*m->integer("count")),
                            static_cast<int16_t>(*m->integer("add"))};
        const std::size_t before = out.ticks.size();
        expand_steps(last, move, out.ticks);
        out.dirs.insert(out.dirs.end(), out.ticks.size() - before, dir);
        last = out.ticks.back();
        EXPECT_EQ(c.end_clock, last);
      }
    }
  }
  return out;
}

TEST(StepperChannel, SegmentsBecomeCommandsWithinTheBound) {
  const sim::SimFirmware fw({});
  const Dictionary& d = fw.dictionary();
  const PrintClock clock(ClockEstimate{1'000'000'000, 5'000'000.0, kHz * 1e-9});
  StepperChannel ch(d, 3, StepperSpec{"stepper_z", "PA0", "PA1", false, true, 2'000}, kMaxError);
  // Accelerate forwards, cruise, decelerate, then back at a steady rate after a pause.
  const std::vector<ipc::StepSegment> segs = {
      {1'100'000'000, 200'000, -300, 400, 3, 1, 0},
      {1'100'000'000 + 200'000 * 399 - 300 * 399 * 398 / 2 + 80'000, 80'000, 0, 1000, 3, 1, 0},
      {1'300'000'000, 50'000, 0, 500, 3, 0, 0},
  };
  std::vector<MoveCommand> commands;
  for (const auto& s : segs) ASSERT_TRUE(ch.push(s, clock, commands).ok());
  ASSERT_TRUE(ch.flush(commands).ok());
  EXPECT_EQ(ch.queued(), 0u);
  const Decoded got = run(d, commands);
  std::vector<uint64_t> want;
  std::vector<int> want_dirs;
  for (const auto& s : segs) {
    for (uint32_t k = 0; k < s.count; ++k) {
      want.push_back(clock.clock_at(s.step_time(k)));
      want_dirs.push_back(s.dir ^ 1);  // invert_dir
    }
  }
  ASSERT_EQ(got.ticks.size(), want.size());
  EXPECT_EQ(got.dirs, want_dirs);
  EXPECT_EQ(got.resets, 1);
  for (std::size_t i = 0; i < want.size(); ++i) {
    const uint64_t gap = i == 0 ? kMaxError : want[i] - want[i - 1];
    const uint64_t early = std::min<uint64_t>(kMaxError, gap / 2);
    ASSERT_LE(got.ticks[i], want[i]) << "step " << i << " late";
    ASSERT_GE(got.ticks[i] + early, want[i]) << "step " << i << " too early";
  }
  uint32_t steps = 0;
  for (const auto& c : commands) steps += c.steps;
  EXPECT_EQ(steps, want.size());
  EXPECT_LT(commands.size(), 40u);  // 1900 steps in a few dozen commands
}

TEST(StepperChannel, ALongPauseResetsTheStepClock) {
  const sim::SimFirmware fw({});
  const PrintClock clock(ClockEstimate{0, 0.0, kHz * 1e-9});
  StepperChannel ch(fw.dictionary(), 0, StepperSpec{"stepper_x", "PA0", "PA1", false, false, 2'000}, kMaxError);
  std::vector<MoveCommand> commands;
  ASSERT_TRUE(ch.push({1'000'000'000, 100'000, 0, 10, 0, 1, 0}, clock, commands).ok());
  // 60 s later: more than 3 × 2^28 ticks at 16 MHz.
  ASSERT_TRUE(ch.push({61'000'000'000, 100'000, 0, 10, 0, 1, 0}, clock, commands).ok());
  ASSERT_TRUE(ch.flush(commands).ok());
  const Decoded got = run(fw.dictionary(), commands);
  EXPECT_EQ(got.resets, 2);
  ASSERT_EQ(got.ticks.size(), 20u);
  EXPECT_EQ(got.ticks.back(), clock.clock_at(61'000'000'000 + 9 * 100'000));
}

TEST(StepperChannel, StepsOutOfOrderAreAnError) {
  const sim::SimFirmware fw({});
  const PrintClock clock(ClockEstimate{0, 0.0, kHz * 1e-9});
  StepperChannel ch(fw.dictionary(), 0, StepperSpec{"stepper_x", "PA0", "PA1", false, false, 2'000}, kMaxError);
  std::vector<MoveCommand> commands;
  ASSERT_TRUE(ch.push({1'000'000'000, 100'000, 0, 10, 0, 1, 0}, clock, commands).ok());
  const Status s = ch.push({1'000'500'000, 100'000, 0, 10, 0, 1, 0}, clock, commands);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("stepper_x: step at MCU clock"), std::string::npos) << s.error().message;
}

MoveCommand step_command(uint64_t req, uint64_t end) {
  MoveCommand c;
  c.req_clock = req;
  c.end_clock = end;
  c.steps = 1;
  return c;
}

TEST(MoveQueue, CommandsLeaveAsTheBoardHasSlots) {
  MoveQueue q;
  q.configure(6, 1, 1e-3);  // 6 slots, one kept for the output; margin 5 ms = 5000 ticks at 1 MHz
  EXPECT_EQ(q.step_slots(), 5u);
  for (uint64_t i = 0; i < 10; ++i) q.add_steps(step_command(100'000 + i * 10'000, 110'000 + i * 10'000));
  q.add_steps(step_command(95'000, 99'000));  // another stepper's command, needed earlier
  std::vector<uint64_t> sent;
  const auto send = [&](const MoveCommand& c) { sent.push_back(c.req_clock); };
  q.release(0, send);
  EXPECT_EQ(sent, (std::vector<uint64_t>{95'000, 100'000, 110'000, 120'000, 130'000}));
  q.release(99'000 + 5'000, send);  // no slot has passed its end and the margin yet
  EXPECT_EQ(sent.size(), 5u);
  q.release(110'000 + 5'001, send);  // the first two have
  EXPECT_EQ(sent.size(), 7u);
  EXPECT_EQ(sent.back(), 150'000u);
  EXPECT_EQ(q.waiting(), 4u);
  // The output has its own slot: one update at a time on the board, whatever the steps do.
  MoveCommand out;
  out.req_clock = out.end_clock = 200'000;
  q.add_output(0, out);
  out.req_clock = out.end_clock = 300'000;
  q.add_output(0, out);
  q.release(115'001, send);
  EXPECT_EQ(sent.back(), 200'000u);
  q.release(200'000 + 5'001, send);
  EXPECT_EQ(sent.back(), 300'000u);
  q.clear();
  EXPECT_EQ(q.waiting(), 0u);
}

}  // namespace
}  // namespace rtstep::mcu

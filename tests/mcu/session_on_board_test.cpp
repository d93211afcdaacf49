// rtstep serve's motion (machine::MotionSession) with MotionOptions::mcu against two rtstep-mcu-sim processes
// on real pseudo-terminals: G28 homes X and Y on the boards' switches and the moves after it leave each
// carriage where the G-code says; an emergency stop shuts the boards down and the next session (what
// FIRMWARE_RESTART starts) finds them reset and configures them again.
// Time bounds are loose (a loaded 2-core machine).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "board_config.hpp"
#include "config/config.hpp"
#include "gcode/gcode.hpp"
#include "machine/motion_session.hpp"
#include "motion/motion.hpp"
#include "sim_process.hpp"
#include "util/clock.hpp"

namespace rtstep::mcu {
namespace {

using test::args;
using test::SimProcess;

// The board's position count of a stepper: +1 per step with dir 1, -1 with dir 0.
int64_t position_of(const test::SimRecord& record, int oid, uint32_t boot) {
  int64_t position = 0;
  for (const auto& s : record.steps_of(oid, boot)) position += s.dir == 1 ? 1 : -1;
  return position;
}

class SessionOnBoard : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mcu_.running() && toolboard_.running());
    dir_ = std::filesystem::temp_directory_path() / ("rtstep-mcu-session-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string path = (dir_ / "printer.cfg").string();
    std::ofstream(path) << test::config_text(mcu_.pty(), toolboard_.pty());
    auto machine = config::load(path);
    ASSERT_TRUE(machine.ok()) << machine.error().message;
    machine_.emplace(std::move(*machine));
    auto kinematics = motion::Kinematics::create(*machine_);
    ASSERT_TRUE(kinematics.ok());
    kinematics_.emplace(std::move(*kinematics));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<machine::MotionSession> start() {
    machine::MotionOptions options;
    options.mcu = true;
    std::ostringstream log;
    auto session = machine::MotionSession::start(*machine_, *kinematics_, options, log);
    EXPECT_TRUE(session.ok()) << session.error().message;
    return session.ok() ? std::move(*session) : nullptr;
  }

  // Runs `gcode` line by line as the controller does, then idles and waits for the motion to end.
  static void run(machine::MotionSession& session, const std::string& gcode) {
    std::istringstream in(gcode);
    gcode::Reader reader(in, "console");
    std::string reply;
    for (gcode::ReadStatus st = reader.next(); st != gcode::ReadStatus::kEndOfFile; st = reader.next()) {
      ASSERT_EQ(st, gcode::ReadStatus::kCommand);
      if (reader.command().kind == gcode::CommandKind::kEmpty) continue;
      auto done = session.execute(reader.command(), reply);
      ASSERT_TRUE(done.ok()) << done.error().message;
    }
    session.idle();
    const int64_t give_up = monotonic_ns() + 60'000'000'000;
    while (!session.motion_done() && monotonic_ns() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(session.motion_done());
  }

  SimProcess mcu_{args({"--clock-freq", "16000000"}, test::kMcuSwitch)};
  SimProcess toolboard_{args({"--clock-freq", "72000000", "--id-seed", "3"}, test::kToolboardSwitch)};
  std::filesystem::path dir_;
  std::optional<config::MachineConfig> machine_;
  std::optional<motion::Kinematics> kinematics_;
};

TEST_F(SessionOnBoard, HomesOnTheBoardsAndMovesWhereTheGcodeSays) {
  auto session = start();
  ASSERT_TRUE(session);
  run(*session, "G28 X Y\nG90\nG1 X20 Y10 F6000\nG1 X30 Y30\n");
  EXPECT_EQ(session->fault(), "");
  session.reset();  // the session ends: the boards finish and switch their enable pins off
  // Each carriage stopped at its switch (400 steps below its start, within a few steps) and then moved
  // 30 mm (2400 steps) from there.
  const int64_t x = position_of(mcu_.record(), 0, 0), y = position_of(toolboard_.record(), 0, 0);
  EXPECT_GE(x, -403 + 2400);
  EXPECT_LE(x, -400 + 2400);
  EXPECT_GE(y, -403 + 2400);
  EXPECT_LE(y, -400 + 2400);
  EXPECT_TRUE(mcu_.record().shutdowns.empty());
}

TEST_F(SessionOnBoard, AfterAnEmergencyStopTheNextSessionResetsAndConfiguresTheBoards) {
  auto session = start();
  ASSERT_TRUE(session);
  session->emergency_stop("M112");
  EXPECT_EQ(session->fault(), "emergency stop (M112)");
  // The boards shut down on their emergency_stop.
  const int64_t give_up = monotonic_ns() + 10'000'000'000;
  while (mcu_.record().shutdowns.empty() && monotonic_ns() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(mcu_.record().shutdowns, (std::vector<std::string>{"Command request"}));
  session.reset();  // FIRMWARE_RESTART: the old session goes, a board that shut down gets its `reset`
  session = start();
  ASSERT_TRUE(session);
  run(*session, "G28 X\nG90\nG1 X10 F6000\n");
  session.reset();
  const test::SimRecord record = mcu_.record();
  EXPECT_EQ(record.restarts, 1);
  const int64_t x = position_of(record, 0, 1);  // steps after the restart (boot 1)
  EXPECT_GE(x, -403 + 800);
  EXPECT_LE(x, -400 + 800);
}

}  // namespace
}  // namespace rtstep::mcu

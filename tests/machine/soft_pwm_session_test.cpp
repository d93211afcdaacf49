// The heaters' soft PWM end to end, as rtstep serve drives it: ThermalLink's commands pushed through a live
// MotionSession's ring (HostLink::push_now) reach the executor, which toggles the heater pin at the commanded
// duty and stops toggling when the heater is turned off; the commands also go in while motion is queued
// behind the lead, without disturbing the steps. Real clock, real executor thread, sim backend.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "machine/motion_session.hpp"
#include "machine/thermal_link.hpp"
#include "util/clock.hpp"

namespace rtstep::machine {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = RTSTEP_SOURCE_DIR "/tests/data/serve-test.cfg";

struct Rig {
  std::string config_path = kConfig;
  config::RawConfig raw;
  std::optional<config::MachineConfig> machine;
  std::optional<motion::Kinematics> kinematics;
  std::unique_ptr<ThermalLink> thermal;
  std::unique_ptr<MotionSession> motion;

  void start() {
    auto read = config::read_raw(config_path);
    ASSERT_TRUE(read) << read.error().message;
    raw = std::move(*read);
    auto loaded = config::interpret(raw, config_path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    machine.emplace(std::move(*loaded));
    auto kin = motion::Kinematics::create(*machine);
    ASSERT_TRUE(kin) << kin.error().message;
    kinematics.emplace(std::move(*kin));
    auto link = ThermalLink::create(raw, true, monotonic_ns());
    ASSERT_TRUE(link) << link.error().message;
    thermal = std::move(*link);
    MotionOptions options;
    options.pwm_outputs = thermal->soft_pwm_outputs();
    std::ostringstream log;
    auto session = MotionSession::start(*machine, *kinematics, options, log);
    ASSERT_TRUE(session) << session.error().message;
    motion = std::move(*session);
  }

  // Runs the heaters for `duration`, pushing their commands as the controller does (every 50 ms).
  void heat_for(std::chrono::milliseconds duration) {
    for (auto end = std::chrono::steady_clock::now() + duration; std::chrono::steady_clock::now() < end;) {
      thermal->tick(monotonic_ns());
      std::vector<ipc::Record> records = thermal->take_soft_pwm(motion->output_not_before(), INT64_MAX);
      for (const ipc::Record& r : records) {
        auto pushed = motion->push_output(r);
        ASSERT_TRUE(pushed) << pushed.error().message;
        ASSERT_TRUE(*pushed);
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  uint64_t heater_rises() const { return motion->rising_edges("extruder.pwm").value_or(0); }
};

TEST(SoftPwmSession, TheExecutorTogglesTheHeaterWhileItHeatsAndStopsWhenItIsOff) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.start());
  ASSERT_TRUE(rig.motion->rising_edges("extruder.pwm").has_value());
  ASSERT_NO_FATAL_FAILURE(rig.heat_for(300ms));
  EXPECT_EQ(rig.heater_rises(), 0U);  // no target: the heater stays off

  ASSERT_TRUE(rig.thermal->system().set_target("extruder", 200));
  ASSERT_NO_FATAL_FAILURE(rig.heat_for(1000ms));
  // Far below its target the heater is on at max_power (1.0: a rise per 0.1 s cycle, at least).
  const uint64_t heating = rig.heater_rises();
  EXPECT_GE(heating, 1U);

  rig.thermal->system().turn_off_all();
  ASSERT_NO_FATAL_FAILURE(rig.heat_for(300ms));  // the off command reaches the executor
  const uint64_t off = rig.heater_rises();
  ASSERT_NO_FATAL_FAILURE(rig.heat_for(500ms));
  EXPECT_EQ(rig.heater_rises(), off);  // five cycles without a rise
  EXPECT_EQ(rig.motion->fault(), "");
}

// Heats the extruder while `lines` run, its commands pushed from the wait hook as the controller does; then
// the motion ends with every step as planned and no fault.
void run_with_heater_hook(Rig& rig, std::initializer_list<const char*> lines) {
  ASSERT_TRUE(rig.thermal->system().set_target("extruder", 200));
  // While a push waits for the lead, the controller's wait hook pushes the heaters' commands.
  rig.motion->set_wait_hook([&rig] {
    rig.thermal->tick(monotonic_ns());
    for (const ipc::Record& r : rig.thermal->take_soft_pwm(rig.motion->output_not_before(), INT64_MAX)) {
      auto pushed = rig.motion->push_output(r);
      if (!pushed || !*pushed) ADD_FAILURE() << "a soft-PWM command was not taken";
    }
  });
  std::string reply;
  for (const char* line : lines) {
    gcode::LineScratch scratch;
    gcode::Command cmd;
    gcode::ParseError error;
    ASSERT_TRUE(gcode::parse_line(line, 1, "test", scratch, cmd, error)) << line;
    ASSERT_TRUE(rig.motion->execute(cmd, reply)) << line;
  }
  rig.motion->idle();
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       !rig.motion->motion_done() && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(rig.motion->motion_done());
  EXPECT_EQ(rig.motion->fault(), "");
  EXPECT_GE(rig.heater_rises(), 1U);
  for (const StepperCount& c : rig.motion->counts()) {
    EXPECT_TRUE(c.ok()) << c.name << ": " << c.steps << " steps at " << c.position << ", planned " << c.planned_steps
                        << " at " << c.planned_position;
  }
}

// Heating while the axes home (a slicer's start: M104, then G28): a homing move goes out whole, its records
// reaching far ahead of the trip, while the heater's commands come now. The executor takes each at its time,
// and the moves after the trip start from the trip.
TEST(SoftPwmSession, HeaterCommandsDuringAHomingMoveKeepTheMotionInOrder) {
  const auto cfg = std::filesystem::temp_directory_path() / ("rtstep-pwm-homing-" + std::to_string(::getpid()) + ".cfg");
  std::ofstream(cfg) << "[include " << kConfig << "]\n[sim]\nstart_position_x: 60\nstart_position_y: 60\n";
  Rig rig;
  rig.config_path = cfg.string();
  ASSERT_NO_FATAL_FAILURE(rig.start());
  std::filesystem::remove(cfg);
  ASSERT_NO_FATAL_FAILURE(run_with_heater_hook(rig, {"G28", "G1 X10 Y10 F3000", "G1 X30 Y5"}));
}

TEST(SoftPwmSession, HeaterCommandsGoInBetweenQueuedMotionWithoutLosingAStep) {
  Rig rig;
  ASSERT_NO_FATAL_FAILURE(rig.start());
  ASSERT_NO_FATAL_FAILURE(run_with_heater_hook(rig, {"G28", "G1 X100 Y100 F3000", "G1 X10 Y50", "G1 X120 Y20"}));
}

}  // namespace
}  // namespace rtstep::machine

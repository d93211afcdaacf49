// G28 through the whole pipeline of `rtstep run`: the executor samples the sim's endstop inputs (switches
// at position_endstop) while the homing moves run, stops each stepper at the trip and reports where; the
// host goes on from there. Checked against the pins themselves (the trace): the carriage reaches the
// switch and never passes it, and every stepper ends where the plan says, with no step lost or extra.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "scratch_dir.hpp"
#include "step_counts.hpp"
#include "machine/executor_endstops.hpp"
#include "cli/run.hpp"
#include "config/config.hpp"
#include "trace/trace.hpp"

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;

std::string example_config() {
  std::ifstream in(kSource + "/examples/printer.cfg");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class HomingRunTest : public ScratchDirTest {
 protected:
  HomingRunTest() : ScratchDirTest("rtstep-homing") {}
  RunSummary run(const std::string& config, const std::string& gcode, bool virtual_clock, std::string trace = "") {
    RunOptions options;
    options.config_path = config;
    options.gcode_path = gcode;
    options.virtual_clock = virtual_clock;
    options.trace_path = std::move(trace);
    return run_job(options, log_);
  }
  std::ostringstream log_;
};

TEST_F(HomingRunTest, CarriagesStopAtTheirSwitchesAndEndWherePlanned) {
  const auto cfg = write("printer.cfg", example_config() +
                                            "\n[sim]\nstart_position_x: 100\nstart_position_y: 50.3\nstart_position_z: 10\n");
  const auto gcode = write("home.gcode", "G28\nG1 X10 Y20 Z1 F6000\n");
  const auto trace_path = (dir_ / "home.trace").string();
  const RunSummary s = run(cfg, gcode, true, trace_path);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  expect_steps_as_planned(s);
  EXPECT_EQ(s.steppers[0].planned_position, 800);   // X10 at 80 steps/mm
  EXPECT_EQ(s.steppers[1].planned_position, 1600);  // Y20
  EXPECT_EQ(s.steppers[2].planned_position, 400);   // Z1 at 400 steps/mm
  const auto json = s.to_json();
  for (const auto& stepper : json["steppers"]) EXPECT_EQ(stepper["homing_offset_steps"], 0) << stepper["name"];

  auto trace = trace::read_trace(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  // Each switch is at position_endstop 0 (count 0): reached, never passed, by the two approaches.
  const auto [x_low, x_high] = count_range(*trace, 0, 8000);
  EXPECT_EQ(x_low, 0);
  EXPECT_EQ(x_high, 8000);
  const auto [y_low, y_high] = count_range(*trace, 1, 4024);  // 50.3 mm * 80 = 4024
  EXPECT_EQ(y_low, 0);
  const auto [z_low, z_high] = count_range(*trace, 2, 4000);
  EXPECT_EQ(z_low, 0);
  (void)y_high;
  (void)z_high;
  // The search moves were much longer than the way to the switch: the executor cut them.
  EXPECT_LT(s.print_time_s, 10.0) << "the toolhead went on from the trip, not from the end of the search";
}

// X and Y switches wired to one pin: the pin reads triggered while either switch is pressed, as on the
// machine, so X leaves its switch before Y homes; each axis then stops at its own switch.
TEST_F(HomingRunTest, AxesSharingASwitchPinEachStopAtTheirOwnSwitch) {
  std::string text = example_config();
  text.replace(text.find("endstop_pin: ^PA6"), 17, "endstop_pin: ^PA5");
  const auto cfg = write("printer.cfg", text + "\n[sim]\nstart_position_x: 100\nstart_position_y: 50\n");
  const auto trace_path = (dir_ / "home.trace").string();
  const RunSummary s = run(cfg, write("home.gcode", "G28 X\nG1 X10 F6000\nG28 Y\nG1 X10 Y20 F6000\n"), true, trace_path);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  expect_steps_as_planned(s);
  auto trace = trace::read_trace(trace_path);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ(count_range(*trace, 0, 8000).first, 0) << "X stopped at its own switch (X100 = 8000 steps)";
  EXPECT_EQ(count_range(*trace, 1, 4000).first, 0) << "Y stopped at its own switch (Y50 = 4000 steps)";
}

// printer.cfg compares pin names without case, so "PA5" and "pa5" are one switch: the executor samples it
// as one input (on a board the same line cannot be requested twice).
TEST_F(HomingRunTest, ASwitchNamedInTwoCasesIsOneInput) {
  std::string text = example_config();
  text.replace(text.find("endstop_pin: ^PA6"), 17, "endstop_pin: ^pa5");
  auto machine = config::load(write("printer.cfg", text));
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  const machine::EndstopPlan plan = machine::plan_endstops(*machine);
  EXPECT_EQ(plan.axis_input[0], plan.axis_input[1]);
  ASSERT_EQ(plan.inputs.size(), 2U) << "X/Y's switch and Z's";
  EXPECT_EQ(plan.inputs[0].name, "PA5") << "named as the first stepper wrote it";
}

TEST_F(HomingRunTest, OnTheRealClockHomingNeitherUnderrunsNorLosesSteps) {
  std::string text = example_config();
  text = std::regex_replace(text, std::regex("homing_speed: 5\n"), "homing_speed: 5\nhoming_retract_dist: 1\n");
  // The lateness guards off: a stall of the loaded test machine is not what this case tests.
  const auto cfg = write("printer.cfg", text + "\n[sim]\nstart_position_x: 3\nstart_position_y: 2\nstart_position_z: 0.4\n"
                                              "[rt]\nmax_lateness: 0\nmax_bunch: 0\n");
  const auto gcode = write("home.gcode", "G28\nG1 X2 Y2 F3000\n");
  const RunSummary s = run(cfg, gcode, false);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error;
  EXPECT_EQ(s.underruns, 0u);
  for (const auto& stepper : s.steppers) {
    EXPECT_EQ(stepper.position, stepper.planned_position) << stepper.name;
    EXPECT_EQ(stepper.steps, stepper.planned_steps) << stepper.name;
  }
}

}  // namespace
}  // namespace rtstep::cli

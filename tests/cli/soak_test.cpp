// `rtstep bench soak`: the generated print is valid, lands where planned and has the length asked for; a short
// soak under real load loses no step on either clock.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "cli/soak.hpp"

namespace rtstep::cli {
namespace {

const std::string kExampleConfig = std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg";

config::MachineConfig example_machine() {
  auto machine = config::load(kExampleConfig);
  if (!machine) {
    ADD_FAILURE() << machine.error().message;
    return {};
  }
  return *machine;
}

TEST(SoakGcode, ShapeComesFromTheTravelLimits) {
  const SoakShape shape = soak_shape(example_machine());
  EXPECT_EQ(shape.x_max, 235);
  EXPECT_EQ(shape.y_max, 235);
  EXPECT_EQ(shape.z_max, 250);
  EXPECT_EQ(shape.max_velocity, 300);
}

TEST(SoakGcode, SameSeedSameFileOtherSeedOtherFile) {
  const SoakShape shape = soak_shape(example_machine());
  std::ostringstream a, b, c;
  write_soak_gcode(a, shape, 120, 7);
  write_soak_gcode(b, shape, 120, 7);
  write_soak_gcode(c, shape, 120, 8);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_NE(a.str(), c.str());
}

TEST(SoakGcode, HasEveryKindOfMoveAndStopsAtTheTarget) {
  std::ostringstream out;
  const SoakGcode g = write_soak_gcode(out, soak_shape(example_machine()), 600, 1);
  const std::string text = out.str();
  for (const char* word : {"G28", "G0 X", "G3 X", "G1 E-0.800", "G4 P200", "M400"}) {
    EXPECT_NE(text.find(word), std::string::npos) << word;
  }
  EXPECT_GE(g.estimated_s, 600);
  EXPECT_LT(g.estimated_s, 610);  // ends with the move that crosses the target
  EXPECT_GE(g.layers, 2u);
}

class SoakRun : public ::testing::Test {
 protected:
  std::string dir_ = std::filesystem::temp_directory_path() / ("rtstep-soak-test-" + std::to_string(getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_F(SoakRun, GeneratedPrintEndsWherePlannedOnTheVirtualClock) {
  const std::string path = dir_ + "/print.gcode";
  std::ofstream out(path);
  const SoakGcode g = write_soak_gcode(out, soak_shape(example_machine()), 900, 3);
  out.close();
  RunOptions options;
  options.config_path = kExampleConfig;
  options.gcode_path = path;
  options.virtual_clock = true;
  std::ostringstream log;
  const RunSummary s = run_job(options, log);
  ASSERT_EQ(s.exit_code, ExitCode::kOk) << s.error << "\n" << log.str();
  EXPECT_TRUE(s.ignored_commands.empty());
  // The estimate leaves out acceleration, so the print is a little longer, never shorter.
  EXPECT_GE(s.print_time_s, g.estimated_s);
  EXPECT_LT(s.print_time_s, g.estimated_s * 1.5);
  for (const auto& stepper : s.steppers) {
    EXPECT_GT(stepper.steps, 0u) << stepper.name;
    EXPECT_EQ(stepper.steps, stepper.planned_steps) << stepper.name;
    EXPECT_EQ(stepper.position, stepper.planned_position) << stepper.name;
  }
}

TEST_F(SoakRun, ShortSoakUnderLoadLosesNoStep) {
  SoakOptions o;
  // The guards off: under this load the machine itself may stall past them; the soak counts lost steps.
  o.config_path = std::string(RTSTEP_SOURCE_DIR) + "/tests/data/example-unguarded.cfg";
  o.virtual_hours = 0.05;     // 3 minutes of motion
  o.realtime_minutes = 0.03;  // about 2 s
  o.load = "cpu,memory";
  o.stress_ng = "off";
  o.workdir = dir_;
  std::ostringstream log;
  auto report = run_soak(o, log);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->phases.size(), 2u);
  for (const auto& phase : report->phases) {
    EXPECT_TRUE(phase.passed()) << phase.name << ": " << phase.run.error;
    EXPECT_EQ(phase.lost_steps, 0u) << phase.name;
  }
  EXPECT_GT(report->load_iterations, 0u);
  EXPECT_TRUE(report->passed());
  EXPECT_EQ(report->to_json()["phases"][1]["phase"], "realtime");
  // The generated files are removed; the directory is empty again.
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST(SoakOptions, BadLoadAndStressNgValuesAreErrors) {
  std::ostringstream log;
  SoakOptions o;
  o.config_path = kExampleConfig;
  o.load = "gpu";
  auto bad_load = run_soak(o, log);
  ASSERT_FALSE(bad_load);
  EXPECT_NE(bad_load.error().message.find("gpu"), std::string::npos);
  o.load = "";
  o.stress_ng = "maybe";
  auto bad_stress = run_soak(o, log);
  ASSERT_FALSE(bad_stress);
  EXPECT_NE(bad_stress.error().message.find("--stress-ng"), std::string::npos);
}

}  // namespace
}  // namespace rtstep::cli

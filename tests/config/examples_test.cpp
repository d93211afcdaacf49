// Scenario tests: the shipped examples/printer.cfg and a Klipper-style Ender-3 config load with the
// expected values and ignored sections.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_util.hpp"

namespace rtstep::config {
namespace {

using testing::data_path;

MachineConfig load_file(const std::string& path) {
  auto config = load(path);
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config ? std::move(config).value() : MachineConfig{};
}

TEST(Examples, PrinterCfgLoads) {
  const std::string path = std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg";
  const MachineConfig m = load_file(path);
  EXPECT_EQ(m.path, path);
  EXPECT_EQ(m.printer.kinematics, "cartesian");
  EXPECT_EQ(m.printer.max_velocity, 300.0);
  EXPECT_EQ(m.printer.max_accel, 3000.0);
  EXPECT_EQ(m.printer.max_z_velocity, 5.0);
  EXPECT_EQ(m.printer.max_z_accel, 100.0);

  ASSERT_EQ(m.steppers.size(), 4u);
  const StepperConfig& x = *m.find_stepper("stepper_x");
  EXPECT_EQ(x.step_pin.name, "PB9");
  EXPECT_EQ(x.steps_per_mm(), 80.0);
  EXPECT_EQ(x.position_max, 235.0);
  EXPECT_EQ(x.homing_speed, 50.0);
  EXPECT_EQ(x.second_homing_speed, 25.0);
  EXPECT_FALSE(x.homing_positive_dir);
  EXPECT_EQ(x.endstop_pin.name, "PA5");
  EXPECT_TRUE(x.endstop_pin.pullup);
  EXPECT_EQ(m.find_stepper("stepper_y")->position_max, 235.0);
  const StepperConfig& z = *m.find_stepper("stepper_z");
  EXPECT_EQ(z.steps_per_mm(), 400.0);
  EXPECT_EQ(z.position_min, -2.0);
  EXPECT_EQ(z.position_max, 250.0);
  EXPECT_TRUE(z.dir_pin.inverted);
  const StepperConfig& e = m.steppers.back();
  EXPECT_EQ(e.name, "extruder");
  EXPECT_EQ(e.rotation_distance, 33.5);
  EXPECT_EQ(e.max_extrude_only_distance, 100.0);

  EXPECT_EQ(m.rt.executor_priority, 80);
  EXPECT_EQ(m.rt.cpus, (std::vector<int>{1}));
  EXPECT_EQ(m.rt.host_cpus, (std::vector<int>{0}));
  EXPECT_EQ(m.rt.slack_ns, 100000);
  EXPECT_EQ(m.rt.buffer_time_ns, 500'000'000);
  EXPECT_EQ(m.rt.ring_capacity, 4096u);
  EXPECT_EQ(m.rt.max_step_error, 1e-6);
  EXPECT_EQ(m.rt.dir_setup_ns, 200);
  EXPECT_TRUE(m.rt.allow_non_realtime);

  // Heaters, the fan and macros are rtstep's (thermal, macro); only the MCU board is not.
  EXPECT_EQ(m.ignored_sections, (std::vector<std::string>{"mcu"}));
  EXPECT_TRUE(m.ignored_keys.empty());
  EXPECT_TRUE(m.report.warnings.empty());
}

TEST(Examples, KlipperEnder3ConfigLoads) {
  const MachineConfig m = load_file(data_path("ender3.cfg"));
  EXPECT_EQ(m.printer.max_velocity, 250.0);
  EXPECT_EQ(m.printer.square_corner_velocity, 6.0);
  const StepperConfig& x = *m.find_stepper("stepper_x");
  EXPECT_EQ(x.position_min, -3.0);
  EXPECT_EQ(x.position_endstop, -3.0);
  EXPECT_FALSE(x.homing_positive_dir);
  EXPECT_TRUE(x.dir_pin.inverted);
  // stepper_z's position_endstop comes from the SAVE_CONFIG block.
  EXPECT_EQ(m.find_stepper("stepper_z")->position_endstop, 0.625);
  EXPECT_EQ(m.find_stepper("extruder")->rotation_distance, 34.406);
  EXPECT_EQ(m.ignored_sections,
            (std::vector<std::string>{"mcu", "display_status", "tmc2209 stepper_x",
                                      "tmc2209 stepper_y", "tmc2209 stepper_z", "tmc2209 extruder", "display",
                                      "output_pin beeper"}));
  EXPECT_TRUE(m.ignored_keys.empty());
  std::vector<std::string> warned;
  for (const ConfigNote& w : m.report.warnings) warned.push_back(w.name());
  // The removed key and the motion features rtstep does not do, in file order; the mesh comes from SAVE_CONFIG.
  EXPECT_EQ(warned, (std::vector<std::string>{"[printer] max_accel_to_decel", "[extruder] pressure_advance",
                                              "[bed_screws]", "[bed_mesh default]"}));
}

}  // namespace
}  // namespace rtstep::config

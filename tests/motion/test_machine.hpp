#pragma once
// A cartesian test machine built in code, so motion and stepgen tests do not depend on the config reader.
#include "config/config.hpp"

namespace rtstep::testing {

inline config::StepperConfig test_stepper(const char* name, char axis, double rotation_distance, double max) {
  config::StepperConfig s;
  s.name = name;
  s.axis = axis;
  s.step_pin.name = std::string(name) + "_step";
  s.dir_pin.name = std::string(name) + "_dir";
  s.microsteps = 16;
  s.full_steps_per_rotation = 200;
  s.rotation_distance = rotation_distance;
  s.position_min = 0;
  s.position_max = max;
  s.position_endstop = 0;
  s.homing_speed = 50;
  return s;
}

inline config::MachineConfig test_machine(const char* kinematics = "cartesian") {
  config::MachineConfig m;
  m.path = "test.cfg";
  m.printer.kinematics = kinematics;
  m.printer.max_velocity = 300;
  m.printer.max_accel = 3000;
  m.printer.square_corner_velocity = 5;
  m.printer.max_z_velocity = 5;
  m.printer.max_z_accel = 100;
  m.steppers = {test_stepper("stepper_x", 'x', 40, 235), test_stepper("stepper_y", 'y', 40, 235),
                test_stepper("stepper_z", 'z', 8, 250), test_stepper("extruder", 'e', 33.5, 0)};
  m.steppers[3].max_extrude_only_distance = 50;
  return m;
}

}  // namespace rtstep::testing

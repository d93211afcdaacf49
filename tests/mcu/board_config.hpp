#pragma once
// The printer.cfg of the tests that drive simulated boards: X and the extruder on [mcu], Y on
// [mcu toolboard], Z on this computer's GPIO (the executor); the boards' switches for rtstep-mcu-sim.

#include <string>
#include <vector>

namespace rtstep::mcu::test {

inline std::string config_text(const std::string& mcu, const std::string& toolboard) {
  return R"([printer]
kinematics: cartesian
max_velocity: 200
max_accel: 3000
max_z_velocity: 5
max_z_accel: 100

[stepper_x]
step_pin: PA0
dir_pin: PA1
enable_pin: !PA2
microsteps: 16
rotation_distance: 40
endstop_pin: ^PC0
position_endstop: 0
position_max: 200

[stepper_y]
step_pin: toolboard:PB3
dir_pin: toolboard:PB4
enable_pin: !toolboard:PB5
microsteps: 16
rotation_distance: 40
endstop_pin: ^toolboard:PC1
position_endstop: 0
position_max: 200

[stepper_z]
step_pin: gpio20
dir_pin: gpio21
microsteps: 16
rotation_distance: 8
endstop_pin: gpio22
position_endstop: 0
position_max: 100

[extruder]
step_pin: PA4
dir_pin: !PA5
enable_pin: !PA2
microsteps: 16
rotation_distance: 33.5
nozzle_diameter: 0.4
filament_diameter: 1.75

[mcu]
serial: )" + mcu + R"(

[mcu toolboard]
serial: )" + toolboard + R"(
baud: 115200

[rt]
buffer_time: 1.5
max_lateness: 0
max_bunch: 0
)";
}

// The boards' switches: X's 5 mm (400 steps) below where its carriage starts, Y's likewise.
inline const std::vector<std::string> kMcuSwitch = {"--endstop", "PC0=PA0:-400"};
inline const std::vector<std::string> kToolboardSwitch = {"--endstop", "PC1=PB3:-400"};

inline std::vector<std::string> args(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

}  // namespace rtstep::mcu::test

// Cartesian kinematics: every stepper drives one axis directly.
#include "motion/motion.hpp"

namespace rtstep::motion {

Result<Kinematics> build_cartesian(const config::MachineConfig& machine) {
  Kinematics kin;
  for (const auto& stepper : machine.steppers) {
    switch (stepper.axis) {
      case 'x': kin.rows_.push_back({1, 0, 0, 0}); break;
      case 'y': kin.rows_.push_back({0, 1, 0, 0}); break;
      case 'z': kin.rows_.push_back({0, 0, 1, 0}); break;
      case 'e': kin.rows_.push_back({0, 0, 0, 1}); break;
      default: return Error{"stepper " + stepper.name + " has no axis rtstep can drive"};
    }
  }
  return kin;
}

}  // namespace rtstep::motion

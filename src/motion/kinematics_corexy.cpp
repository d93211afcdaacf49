// CoreXY kinematics: the belts of stepper_x (A) and stepper_y (B) each move X + Y and X - Y; Z and E direct.
#include "motion/motion.hpp"

namespace rtstep::motion {

Result<Kinematics> build_corexy(const config::MachineConfig& machine) {
  Kinematics kin;
  for (const auto& stepper : machine.steppers) {
    switch (stepper.axis) {
      case 'x': kin.rows_.push_back({1, 1, 0, 0}); break;
      case 'y': kin.rows_.push_back({1, -1, 0, 0}); break;
      case 'z': kin.rows_.push_back({0, 0, 1, 0}); break;
      case 'e': kin.rows_.push_back({0, 0, 0, 1}); break;
      default: return Error{"stepper " + stepper.name + " has no axis rtstep can drive"};
    }
  }
  return kin;
}

}  // namespace rtstep::motion

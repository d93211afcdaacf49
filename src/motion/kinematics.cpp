// Kinematics: chooses the builder named by [printer] kinematics, and the limits common to all of them.
#include <cmath>
#include <limits>
#include <string_view>

#include "motion/motion.hpp"

namespace rtstep::motion {
namespace {

struct Entry {
  std::string_view name;
  KinematicsBuilder build;
};
// One line per kinematics; a new one is its own file plus a line here.
constexpr Entry kKinematics[] = {{"cartesian", build_cartesian}, {"corexy", build_corexy}};

}  // namespace

Result<Kinematics> Kinematics::create(const config::MachineConfig& machine) {
  for (const Entry& entry : kKinematics) {
    if (entry.name != machine.printer.kinematics) continue;
    auto kin = entry.build(machine);
    if (!kin) return kin;
    kin->max_z_velocity_ = machine.printer.max_z_velocity > 0 ? machine.printer.max_z_velocity : machine.printer.max_velocity;
    kin->max_z_accel_ = machine.printer.max_z_accel > 0 ? machine.printer.max_z_accel : machine.printer.max_accel;
    return kin;
  }
  return Error{"kinematics \"" + machine.printer.kinematics + "\" is not supported"};
}

double Kinematics::stepper_position(std::size_t i, const Coord& pos) const noexcept {
  const Coord& c = rows_[i];
  return c[kX] * pos[kX] + c[kY] * pos[kY] + c[kZ] * pos[kZ] + c[kE] * pos[kE];
}

void Kinematics::limits(const Coord& axis_ratio, double& max_v, double& max_accel) const noexcept {
  max_v = max_accel = std::numeric_limits<double>::infinity();
  const double z = std::fabs(axis_ratio[kZ]);
  if (z == 0) return;
  // Z is slow: the move's speed is capped so that its Z component respects max_z_velocity and max_z_accel.
  max_v = max_z_velocity_ / z;
  max_accel = max_z_accel_ / z;
}

Coord initial_position(const config::MachineConfig& machine) noexcept {
  Coord pos{};
  for (const auto& stepper : machine.steppers) {
    if (stepper.axis < 'x' || stepper.axis > 'z') continue;
    const auto a = static_cast<std::size_t>(stepper.axis - 'x');
    pos[a] = machine.motion.sim_start_position[a].value_or(stepper.position_endstop);
  }
  return pos;
}

}  // namespace rtstep::motion

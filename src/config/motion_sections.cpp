// [sim], [gcode_arcs] and the extruder's extrude-only limits: the motion settings that are not [printer].
#include "config/motion_sections.hpp"
#include "config/steppers.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <string_view>

namespace rtstep::config {
namespace {

void read_sim(SectionReader& r, const MachineConfig& m, MotionConfig& motion) {
  for (std::size_t a = 0; a < 3; ++a) {
    const std::string key = std::string("start_position_") + static_cast<char>('x' + a);
    if (r.find(key) == nullptr) continue;
    const StepperConfig& axis = m.steppers[a];  // stepper_x, _y, _z come first
    // The virtual carriage must be somewhere it could physically be: inside the axis travel.
    motion.sim_start_position[a] = r.number(key, Range::closed(axis.position_min, axis.position_max), std::nullopt);
  }
  for (const StepperConfig& s : m.steppers) {
    if (extra_stepper_axis(s.name) == 0) continue;
    const std::string key = "start_position_" + s.name.substr(std::string_view("stepper_").size());
    if (r.find(key) == nullptr) continue;
    if (s.endstop_pin.empty()) {  // it homes on its axis' switch: the sim keeps it with its axis
      r.fail_value(key, "[" + s.name + "] has no endstop_pin of its own, so its end of the axis moves with [stepper_" +
                            s.axis + "]");
      continue;
    }
    motion.sim_stepper_start[s.name] = r.number(key, Range::closed(s.position_min, s.position_max), 0.0);
  }
}

// Klipper's defaults for extrude-only moves scale the toolhead limits by how much filament the nozzle can
// take: max_extrude_cross_section (default 4 * nozzle_diameter^2) over the filament's cross-section.
void read_extruder_limits(SectionReader& r, const MachineConfig& m, MotionConfig& motion) {
  motion.nozzle_diameter = r.number("nozzle_diameter", Range::positive(), motion.nozzle_diameter);
  motion.filament_diameter = r.number("filament_diameter", Range::positive(), motion.filament_diameter);
  const double cross_section = r.number("max_extrude_cross_section", Range::positive(),
                                        4.0 * motion.nozzle_diameter * motion.nozzle_diameter);
  motion.max_extrude_cross_section = cross_section;
  const double filament_area = std::numbers::pi * motion.filament_diameter * motion.filament_diameter / 4.0;
  const double ratio = cross_section / filament_area;
  motion.max_extrude_only_velocity =
      r.number("max_extrude_only_velocity", Range::positive(), m.printer.max_velocity * ratio);
  motion.max_extrude_only_accel = r.number("max_extrude_only_accel", Range::positive(), m.printer.max_accel * ratio);
  motion.instant_corner_velocity =
      r.number("instantaneous_corner_velocity", Range::at_least(0), motion.instant_corner_velocity);
}

}  // namespace

void read_motion_sections(const RawConfig& raw, MachineConfig& m, std::vector<SectionReader>& readers,
                          ErrorSink& errors) {
  MotionConfig& motion = m.motion;
  if (errors.failed() || m.steppers.size() < 3) return;  // the axis limits below need valid steppers
  if (const Section* sim = raw.find("sim")) read_sim(readers.emplace_back(*sim, errors), m, motion);
  if (const Section* arcs = raw.find("gcode_arcs")) {
    motion.arc_resolution = readers.emplace_back(*arcs, errors).number("resolution", Range::positive(), 1.0);
  }
  for (SectionReader& r : readers) {
    if (r.section().name == "extruder") read_extruder_limits(r, m, motion);
  }
  if (motion.max_extrude_only_velocity == 0) {  // no [extruder]: keep the fields meaningful anyway
    motion.max_extrude_only_velocity = m.printer.max_velocity;
    motion.max_extrude_only_accel = m.printer.max_accel;
  }
}

}  // namespace rtstep::config

#pragma once
// Private: reading [stepper_*] and [extruder] sections, and the pin-conflict check across steppers.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/section_reader.hpp"

namespace rtstep::config {

// Where a step, dir, enable or endstop pin was assigned, to name both uses when one pin appears twice.
struct PinUse {
  std::string pin;  // name without modifiers, lower-cased for comparison
  std::string key;  // "step_pin", "dir_pin", "enable_pin", "endstop_pin"
  PinConfig as_read;  // with its modifiers: a switch shared by two axes must be read the same way by both
  const Section* section = nullptr;
  const Value* value = nullptr;
};

// stepper_x, stepper_y, stepper_z: the primary stepper of an axis, with position and homing keys.
StepperConfig read_axis_stepper(SectionReader& reader, char axis, std::vector<PinUse>& pins);
// stepper_z1, stepper_x2, ...: moves with the primary of its axis and copies its position and homing. Its
// own endstop_pin (optional) needs one on the primary: the axis' position comes from the primary's switch.
StepperConfig read_extra_stepper(SectionReader& reader, const StepperConfig& primary, std::vector<PinUse>& pins);
// [extruder]: motor keys and max_extrude_only_distance; its heater keys are left unused (ignored).
StepperConfig read_extruder(SectionReader& reader, std::vector<PinUse>& pins);

// 'x', 'y' or 'z' when `name` is stepper_<axis> followed by one or more digits; 0 otherwise.
char extra_stepper_axis(const std::string& name);

// Reports the first pin used twice, except an enable pin shared with other enable pins and an endstop pin
// shared by primary steppers (stepper_x, _y, _z) with the same modifiers. An endstop pin that is also an output is an error, as is
// an extra stepper's endstop pin used anywhere else.
void check_pin_conflicts(const std::vector<PinUse>& pins, ErrorSink& errors);

}  // namespace rtstep::config

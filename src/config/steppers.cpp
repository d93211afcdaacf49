// Reading stepper sections. Keys and defaults follow Klipper's [stepper_*] and [extruder] so existing
// configs load; the checks run at load time so that a bad axis is reported with its line, not found
// later by a move that cannot be planned.

#include "config/steppers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "config/text.hpp"

namespace rtstep::config {

namespace {

constexpr double kMaxStepPulseDuration = 0.001;  // s; longer pulses mean a unit mistake (µs written as s)
// One step between 1 nm and 1 m: outside that, rotation_distance or microsteps is off by orders of magnitude
// (a step count that cannot be stored, or a machine that cannot move at all).
constexpr double kMinStepDistance = 1e-6;  // mm
constexpr double kMaxStepDistance = 1e3;   // mm
// Step positions are int64 counts computed from millimetres in double precision; far below 2^53, so a
// count is exact to a small fraction of a step anywhere in the travel.
constexpr double kMaxTravelSteps = 1e12;

// Reads a pin and remembers where it came from for the conflict check.
PinConfig read_pin(SectionReader& reader, const std::string& key, bool required, std::vector<PinUse>& pins) {
  PinConfig pin = reader.pin(key, required);
  if (!pin.empty()) pins.push_back(PinUse{text::to_lower(pin.name), key, pin, &reader.section(), reader.find(key)});
  return pin;
}

// Keys shared by every stepper: pins and the step-distance chain.
void read_motor(SectionReader& reader, StepperConfig& s, std::vector<PinUse>& pins) {
  s.step_pin = read_pin(reader, "step_pin", true, pins);
  s.dir_pin = read_pin(reader, "dir_pin", true, pins);
  s.enable_pin = read_pin(reader, "enable_pin", false, pins);
  s.microsteps = static_cast<int>(reader.integer("microsteps", Range::closed(1, 1 << 20), std::nullopt));
  s.full_steps_per_rotation =
      static_cast<int>(reader.integer("full_steps_per_rotation", Range::closed(1, 1 << 20), 200));
  // A motor's full steps come in groups of four coil states; anything else is a typo.
  if (s.full_steps_per_rotation % 4 != 0) reader.fail_expected("full_steps_per_rotation", "a multiple of 4");
  s.rotation_distance = reader.number("rotation_distance", Range::positive(), std::nullopt);
  s.gear_ratio = reader.gear_ratio("gear_ratio");
  s.step_pulse_duration =
      reader.number("step_pulse_duration", Range::closed(0, kMaxStepPulseDuration), s.step_pulse_duration);
  const double step = 1.0 / s.steps_per_mm();
  if (s.rotation_distance > 0 && s.microsteps > 0 && !(step >= kMinStepDistance && step <= kMaxStepDistance)) {
    reader.fail_value("rotation_distance",
                      "one step would be " + text::format_approx(step) + " mm (rotation_distance " +
                          text::format_number(s.rotation_distance) + " / (" +
                          std::to_string(s.full_steps_per_rotation) + " full steps * " + std::to_string(s.microsteps) +
                          " microsteps * gear_ratio " + text::format_number(s.gear_ratio) +
                          ")); it must be between 1e-06 and 1000 mm");
  }
}

// The axis travel in steps must fit the step counter with room to spare (kMaxTravelSteps).
void check_travel_steps(SectionReader& reader, const StepperConfig& s) {
  if (!std::isfinite(s.steps_per_mm()) || s.steps_per_mm() <= 0) return;  // already reported by read_motor
  const std::pair<const char*, double> ends[] = {{"position_min", s.position_min}, {"position_max", s.position_max}};
  for (const auto& [key, position] : ends) {
    const double steps = std::fabs(position) * s.steps_per_mm();
    if (steps <= kMaxTravelSteps) continue;
    reader.fail_value(key, text::format_number(position) + " mm is " + text::format_approx(steps) +
                               " steps from 0 at " + text::format_approx(s.steps_per_mm()) +
                               " steps/mm; rtstep counts at most 1e+12 steps");
    return;
  }
}

// Klipper's rule when homing_positive_dir is absent: an endstop in the lowest quarter of the travel homes
// toward the minimum, in the highest quarter toward the maximum; in between it must be said explicitly.
void infer_homing_dir(SectionReader& reader, StepperConfig& s) {
  const double quarter = (s.position_max - s.position_min) / 4;
  if (s.position_endstop <= s.position_min + quarter) {
    s.homing_positive_dir = false;
  } else if (s.position_endstop >= s.position_max - quarter) {
    s.homing_positive_dir = true;
  } else {
    reader.fail_section("cannot infer homing_positive_dir: position_endstop (" +
                        text::format_number(s.position_endstop) + ") is in the middle of [" +
                        text::format_number(s.position_min) + ", " + text::format_number(s.position_max) +
                        "]; set homing_positive_dir explicitly");
  }
}

// An explicit direction must home away from the side the endstop is on.
void check_homing_dir(SectionReader& reader, const StepperConfig& s) {
  if (s.homing_positive_dir && s.position_endstop == s.position_min) {
    reader.fail_value("homing_positive_dir",
                      "true homes toward position_max, but position_endstop equals position_min (" +
                          text::format_number(s.position_min) + ")");
  } else if (!s.homing_positive_dir && s.position_endstop == s.position_max) {
    reader.fail_value("homing_positive_dir",
                      "false homes toward position_min, but position_endstop equals position_max (" +
                          text::format_number(s.position_max) + ")");
  }
}

void read_travel(SectionReader& reader, StepperConfig& s) {
  s.position_min = reader.number("position_min", Range::any(), 0.0);
  s.position_max = reader.number("position_max", Range::any(), std::nullopt);
  s.position_endstop = reader.number("position_endstop", Range::any(), std::nullopt);
  if (reader.find("position_max") != nullptr && s.position_max <= s.position_min) {
    reader.fail_expected("position_max", "a number > position_min (" + text::format_number(s.position_min) + ")");
  }
  if (reader.find("position_endstop") != nullptr &&
      (s.position_endstop < s.position_min || s.position_endstop > s.position_max)) {
    reader.fail_expected("position_endstop", "a number in [position_min, position_max] = [" +
                                                 text::format_number(s.position_min) + ", " +
                                                 text::format_number(s.position_max) + "]");
  }
}

void read_homing(SectionReader& reader, StepperConfig& s) {
  s.homing_speed = reader.number("homing_speed", Range::positive(), s.homing_speed);
  s.homing_retract_dist = reader.number("homing_retract_dist", Range::at_least(0), s.homing_retract_dist);
  s.second_homing_speed = reader.number("second_homing_speed", Range::positive(), s.homing_speed / 2);
  if (const auto dir = reader.boolean("homing_positive_dir")) {
    s.homing_positive_dir = *dir;
    check_homing_dir(reader, s);
  } else {
    infer_homing_dir(reader, s);
  }
}

bool same_modifiers(const PinConfig& a, const PinConfig& b) {
  return a.inverted == b.inverted && a.pullup == b.pullup && a.pulldown == b.pulldown;
}

}  // namespace

StepperConfig read_axis_stepper(SectionReader& reader, char axis, std::vector<PinUse>& pins) {
  StepperConfig s;
  s.name = reader.section().name;
  s.axis = axis;
  read_motor(reader, s, pins);
  s.endstop_pin = read_pin(reader, "endstop_pin", false, pins);
  read_travel(reader, s);
  check_travel_steps(reader, s);
  read_homing(reader, s);
  return s;
}

StepperConfig read_extra_stepper(SectionReader& reader, const StepperConfig& primary, std::vector<PinUse>& pins) {
  StepperConfig s = primary;  // travel and homing belong to the axis, not to each motor
  s.name = reader.section().name;
  s.step_pulse_duration = StepperConfig{}.step_pulse_duration;
  s.endstop_pin = {};
  read_motor(reader, s, pins);
  s.endstop_pin = read_pin(reader, "endstop_pin", false, pins);  // absent: homes on its axis' switch
  if (!s.endstop_pin.empty() && primary.endstop_pin.empty()) {
    // The axis homes on the primary's switch; a switch of this motor's own only stops it on the way there.
    reader.fail_value("endstop_pin", "[" + primary.name + "] has no endstop_pin: give the axis its switch first");
  }
  check_travel_steps(reader, s);  // the primary's travel at this motor's step distance
  return s;
}

StepperConfig read_extruder(SectionReader& reader, std::vector<PinUse>& pins) {
  StepperConfig s;
  s.name = reader.section().name;
  s.axis = 'e';
  read_motor(reader, s, pins);
  s.max_extrude_only_distance =
      reader.number("max_extrude_only_distance", Range::at_least(0), s.max_extrude_only_distance);
  return s;
}

char extra_stepper_axis(const std::string& name) {
  constexpr std::string_view kPrefix = "stepper_";
  if (!name.starts_with(kPrefix) || name.size() < kPrefix.size() + 2) return 0;
  const char axis = name[kPrefix.size()];
  if (axis != 'x' && axis != 'y' && axis != 'z') return 0;
  const auto digits = std::string_view(name).substr(kPrefix.size() + 1);
  const bool numeric = std::all_of(digits.begin(), digits.end(),
                                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  return numeric ? axis : 0;
}

void check_pin_conflicts(const std::vector<PinUse>& pins, ErrorSink& errors) {
  for (size_t i = 0; i < pins.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const PinUse& later = pins[i];
      const PinUse& earlier = pins[j];
      if (later.pin != earlier.pin) continue;
      // Boards often drive several drivers' enable inputs from one pin; Klipper allows it too.
      if (later.key == "enable_pin" && earlier.key == "enable_pin") continue;
      // Two axes may home on one switch; an extra stepper (stepper_z1) has a switch of its own or none.
      const bool both_endstops = later.key == "endstop_pin" && earlier.key == "endstop_pin";
      const bool extra = extra_stepper_axis(later.section->name) != 0 || extra_stepper_axis(earlier.section->name) != 0;
      if (both_endstops && !extra) {
        if (same_modifiers(later.as_read, earlier.as_read)) continue;
        errors.add(Error{location(*later.section, *later.value) + "endstop_pin: pin " + text::quote(later.value->text) +
                         " is the switch of [" + earlier.section->name + "] endstop_pin (" + earlier.value->file + ":" +
                         std::to_string(earlier.value->line) + ") written " + text::quote(earlier.value->text) +
                         ": one switch is read one way; give both the same modifiers"});
        return;
      }
      std::string message = location(*later.section, *later.value) + later.key + ": pin " +
                            text::quote(later.value->text) + " is already used by [" + earlier.section->name + "] " +
                            earlier.key + " (" + earlier.value->file + ":" + std::to_string(earlier.value->line) + ")";
      if (both_endstops) message += "; leave endstop_pin out to home [" + later.section->name + "] on its axis' switch";
      errors.add(Error{std::move(message)});
      return;
    }
  }
}

}  // namespace rtstep::config

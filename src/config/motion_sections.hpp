#pragma once
// Motion settings outside [printer]: [sim], [gcode_arcs] and the extruder's extrude-only limits
// (MotionConfig in config.hpp). Non-real-time (init only).

#include <vector>

#include "config/config.hpp"
#include "config/section_reader.hpp"

namespace rtstep::config {

// Fills `m.motion` from `raw`. [sim] and [gcode_arcs] get readers of their own (appended to `readers`, so
// their unused keys are reported); the extruder keys are read through the extruder's existing reader.
// Needs m.printer and m.steppers read already. Errors go to `errors`.
void read_motion_sections(const RawConfig& raw, MachineConfig& m, std::vector<SectionReader>& readers,
                          ErrorSink& errors);

}  // namespace rtstep::config

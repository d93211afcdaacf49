#pragma once
// Reading [mcu] and [mcu NAME] (config.hpp: McuConfig). Internal to the config module; init only.

#include <vector>

#include "config/config.hpp"
#include "config/section_reader.hpp"

namespace rtstep::config {

// Appends every board section of `raw` to `m.mcus` ([mcu] first). Errors go to `errors` naming file, line,
// section and key.
void read_mcu_sections(const RawConfig& raw, MachineConfig& m, std::vector<SectionReader>& readers, ErrorSink& errors);

}  // namespace rtstep::config

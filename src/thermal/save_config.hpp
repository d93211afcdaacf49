#pragma once
// SAVE_CONFIG's rewrite of a printer.cfg, on text in memory (the caller reads and writes the file, keeping
// Klipper's backup "printer-YYYYMMDD_HHMMSS.cfg"). As Klipper's configfile.py:
//   - the auto-save block starts at the header
//       #*# <---------------------- SAVE_CONFIG ---------------------->
//       #*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.
//       #*#
//     and holds `#*# [section]` and `#*# key = value` lines (option names lower-cased, sections in order of
//     first appearance, a `#*#` line between sections);
//   - new values are merged into that block (a new section goes at its end);
//   - a key above the block that the block now sets is commented out with a leading '#' (with its
//     continuation lines), so the file has one value per key;
//   - a block with other lines after its header, or a second header, is corrupt: nothing is written.
// Pure function; any thread; non-real-time.

#include <string>
#include <vector>

#include "util/result.hpp"

namespace rtstep::thermal {

struct SaveConfigEntry {
  std::string section;  // "extruder", "heater_bed", "heater_generic chamber"
  std::string key;      // "pid_Kp" (written lower-cased, as Klipper's parser stores it)
  std::string value;    // "22.200"
};

// `text` with `entries` saved. Error: "Existing config autosave is corrupted. Can't complete SAVE_CONFIG".
Result<std::string> save_config_update(const std::string& text, const std::vector<SaveConfigEntry>& entries);

// The entries PID_CALIBRATE leaves for SAVE_CONFIG: control = pid and the three gains with 3 decimals.
std::vector<SaveConfigEntry> pid_save_entries(const std::string& heater_section, double kp, double ki, double kd);

}  // namespace rtstep::thermal

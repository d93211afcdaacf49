#pragma once
// What of a printer.cfg rtstep reads but does not act on (sections and keys Klipper knows, rtstep does not
// use), for the summaries of `rtstep run` and `rtstep plan`: both list them alike. Non-real-time.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rtstep::cli {

struct IgnoredConfig {
  std::vector<std::string> sections;  // "heater_bed", "gcode_macro start", ...
  std::vector<std::string> keys;      // "[stepper_x] endstop_pin", ...
  std::vector<std::string> warnings;  // what changes motion and rtstep does not do (config::ConfigReport)
};

// Loads the file again (cheap); empty when it does not load (its error was reported by the command).
IgnoredConfig ignored_config(const std::string& config_path);

// "ignored config sections: ...\nignored config keys: ...\n" (the lines that have something), then one
// "config warning: ..." line per warning.
std::string ignored_config_text(const IgnoredConfig& ignored);

}  // namespace rtstep::cli

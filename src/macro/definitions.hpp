#pragma once
// Macro definitions read from printer.cfg: `[gcode_macro NAME]` and the template-bearing keys of
// `[delayed_gcode NAME]`, as Klipper reads them (klippy/extras/gcode_macro.py, delayed_gcode.py).
//
//   [gcode_macro PRINT_START]
//   description: Heat, home and prime          (default "G-Code macro")
//   rename_existing: BASE_PRINT_START          (optional: the built-in it replaces stays callable so)
//   variable_prime_length: 20                  (any number of variable_<name>: a Python literal)
//   gcode:                                     (required: the template, compiled at load)
//     M190 S{params.BED|default(60)|float}
//
// Errors name the file, the line, the section and the key; a template error also names the line and
// column inside the template, counted from its first line (the text after "gcode:" when there is any,
// else the first indented line):
//   "printer.cfg:42: [gcode_macro print_start] gcode:3:14: unexpected '}'"
//   "printer.cfg:40: [gcode_macro print_start] variable_temps: not a valid Python literal: ..."
// A key that is none of those is an error with the nearest valid key, as Klipper rejects unused options.
//
// Thread: non-real-time (init only).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "macro/template.hpp"
#include "macro/value.hpp"
#include "util/result.hpp"

namespace rtstep::macro {

struct MacroDefinition {
  std::string name;         // the command, upper-cased as Klipper registers it: "PRINT_START"
  std::string section;      // "gcode_macro print_start" (lower-cased, as config sections are)
  std::string file;         // where the section was opened
  uint32_t line = 0;
  std::string description = "G-Code macro";
  std::optional<std::string> rename_existing;  // upper-cased: "BASE_G28"
  Value variables = Value::dict();  // variable name (lower-cased, without "variable_") -> value, in line order
  Template gcode;           // named "gcode_macro PRINT_START" in render errors
};

struct DelayedGcodeDefinition {
  std::string name;         // as written after "delayed_gcode" (lower-cased): UPDATE_DELAYED_GCODE ID=name
  std::string section;
  std::string file;
  uint32_t line = 0;
  double initial_duration = 0;  // seconds, >= 0; 0 = not scheduled at start
  Template gcode;
};

// Every [gcode_macro NAME] section, in config order. Checks what Klipper checks at load: one word after
// "gcode_macro", gcode present and compiling, literals of variable_* (JSON-storable), rename_existing of
// the same kind as the name (both traditional G-code like G28 / M104, or both extended like PAUSE).
Result<std::vector<MacroDefinition>> load_macros(const config::RawConfig& raw);

// Every [delayed_gcode NAME] section, in config order.
Result<std::vector<DelayedGcodeDefinition>> load_delayed_gcodes(const config::RawConfig& raw);

// Klipper's "traditional" G-code command: one letter then a number ("G28", "M104", "G28.1").
bool is_traditional_gcode(std::string_view command);

}  // namespace rtstep::macro

#pragma once
// The sections a printer.cfg may have and the keys of each: Klipper's, as its docs/Config_Reference.md
// documents them (the table in klipper_sections.cpp follows Klipper v0.13.0-730, 2026-08-07), and rtstep's
// own ([rt], [sim], [sim_heater NAME]). Each entry also says what rtstep does with the section and, for a
// section it uses, which of its keys it ignores or does not do. The config check (check.cpp) reads it;
// when rtstep starts to act on a section or key, its entry here is the one line to change.
// Constant data: every function is non-real-time and safe to call from any thread.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rtstep::config {

// What rtstep does with a section.
enum class Support : uint8_t {
  kUsed,     // read and acted on (its keys may still be ignored or warned one by one)
  kIgnored,  // valid, without effect in rtstep (an MCU board, a display, LEDs, driver currents, ...)
  kWarned,   // valid, and changes how the machine moves or homes, which rtstep does not do (probing,
             // bed meshes, input shaping, ...): the user must know the machine will move without it
};

// How a section's name is written.
enum class Naming : uint8_t {
  kPlain,         // [fan]
  kNamed,         // [gcode_macro NAME], [tmc2209 stepper_x], [display_data GROUP NAME]
  kPlainOrNamed,  // [mcu] and [mcu NAME]
  kNumbered,      // [stepper_z1], [extruder1]: the entry's name followed by digits
};

struct SectionSpec {
  std::string_view name;  // the section's first word, lower-cased: "stepper_x", "gcode_macro", "tmc2209"
  Naming naming;
  // Space-separated key lists (several, so that groups shared by many sections are written once). A key
  // with '#' matches one or more digits there ("screw#_name"), with '*' any non-empty text ("variable_*").
  std::array<std::string_view, 4> keys;
  Support support;
  std::string_view ignored_keys = {};  // of a used section: keys without effect in rtstep
  std::string_view warned_keys = {};   // of a used section: keys that change motion, which rtstep does not do
  std::string_view what = {};          // of a warned section or key: what rtstep does not do ("probing")
  std::string_view hint = {};          // added to the error for an unknown key when no key is near it
  bool rtstep_own = false;             // a section of rtstep, not of Klipper
};

// A key Klipper once had and removed: still found in configs written for an older Klipper.
struct RemovedKey {
  std::string_view section;  // SectionSpec::name
  std::string_view key;
  std::string_view removed;  // date of Klipper's change, "2025-08-11"
  std::string_view instead;  // what replaced it, or ""
};

// Every entry, in the order of Klipper's reference (rtstep's own last).
std::span<const SectionSpec> section_specs();
// The entry for a section name as written in the file (lower-cased, e.g. "tmc2209 stepper_x", "extruder1"),
// or nullptr when no section of that name exists.
const SectionSpec* find_section_spec(std::string_view section_name);
// Whether `key` (lower-cased) is a key of the entry, patterns included.
bool has_key(const SectionSpec& spec, std::string_view key);
// Whether `key` is in a space-separated list of keys (patterns included).
bool list_has_key(std::string_view list, std::string_view key);
// The entry's keys without the patterns, for suggestions.
std::vector<std::string_view> plain_keys(const SectionSpec& spec);
// The removed key of that entry, or nullptr.
const RemovedKey* find_removed_key(const SectionSpec& spec, std::string_view key);

}  // namespace rtstep::config

#pragma once
// config: reads a Klipper-style printer.cfg into typed settings.
//
// File format (DESIGN.md §4): `[section]` headers, `key: value` or `key = value`, `#` and `;` comments
// (whole-line, or after whitespace inside a value), indented continuation lines appended to the previous
// value with a newline, `[include other.cfg]` (path relative to the including file, glob patterns
// allowed; include loops are an error). A later section with the same name merges into the earlier one,
// later keys overriding, as Klipper does. Section and key names are case-insensitive (lower-cased).
// Lines may end in "\n" or "\r\n"; a UTF-8 byte order mark at the start of a file is skipped; control bytes
// other than tab and CR (NUL, ESC, DEL, ...) are an error anywhere, comments included.
//
// Errors name the file, line, section and key:
//   "printer.cfg:14: [stepper_x] rotation_distance: expected a number > 0, got "abc""
//   "printer.cfg:12: [stepper_x] missing required key rotation_distance"   (line of the section header)
// In the top-level file, a Klipper SAVE_CONFIG block (`#*# [section]` lines after the `#*# <--- SAVE_CONFIG`
// marker) is read as configuration, as Klipper does, so values saved by calibration are not lost.
// Every section and key is checked as Klipper checks them (check()): a key its section does not have is an
// error with the nearest valid key ("did you mean homing_speed?"), so is an unknown section close to a known
// one. A valid section or key rtstep does not use is listed in MachineConfig::report as ignored, one that
// changes how the machine moves or homes as a warning, so a real Klipper config (`[mcu]`, `[bed_mesh]`,
// `[tmc2209 stepper_x]`) loads on the sim backend unchanged and says what rtstep leaves out.
// All functions are non-real-time (init only).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace rtstep::config {

// --- Raw layer: sections of key/value strings with their origin -----------------------------------

struct Value {
  std::string text;   // continuation lines joined with '\n', comments and surrounding blanks removed
  std::string file;   // file that set it (after includes)
  uint32_t line = 0;  // 1-based line of the key
};

struct Section {
  std::string name;  // lower-cased, e.g. "stepper_x", "gcode_macro start"
  std::string file;  // where the section was first opened
  uint32_t line = 0;
  std::map<std::string, Value> values;  // key (lower-cased) -> value
};

struct RawConfig {
  std::vector<Section> sections;  // in order of first appearance
  const Section* find(const std::string& name) const;
};

// Reads `path` and its includes. Errors: missing file, unreadable file, line outside any section,
// malformed header or key line, include loop, include matching no file.
Result<RawConfig> read_raw(const std::string& path);
// Same, from text already in memory; `name` is used in messages and includes resolve relative to
// the current directory.
Result<RawConfig> parse_raw(const std::string& text, const std::string& name);

// --- Check against Klipper's sections and keys (check.cpp; the table is klipper_sections.cpp) ------------

// One finding of the check, with the place it was written.
struct ConfigNote {
  std::string where;    // "printer.cfg:14" (the key's line, or the section header's)
  std::string section;  // "stepper_x", "tmc2209 stepper_x"
  std::string key;      // "" when the note is about the whole section
  std::string reason;   // for warnings: "rtstep does not do input shaping"; "" for ignored entries
  std::string name() const;  // "[mcu]" or "[stepper_x] homing_retract_speed"
  std::string text() const;  // "printer.cfg:40: [input_shaper]: rtstep does not do input shaping"
};

struct ConfigReport {
  // Keys not valid in their section (with the nearest valid key), unknown sections close to a known one,
  // sections that need or refuse a NAME. Complete messages naming file, line, section and key.
  std::vector<std::string> errors;
  std::vector<ConfigNote> ignored;   // valid in Klipper, without effect in rtstep
  // Valid in Klipper but changing how the machine moves or homes, which rtstep does not do; keys Klipper
  // removed; sections that are neither Klipper's nor rtstep's (a third-party extension's).
  std::vector<ConfigNote> warnings;
};

// Checks every section and key of `raw` against the table: what Klipper (and rtstep, for its own sections)
// accepts, and what rtstep does with it. Sections in file order, keys in line order within a section.
ConfigReport check(const RawConfig& raw);

// --- Typed layer ---------------------------------------------------------------------------------

struct PinConfig {
  std::string name;       // label as written without modifiers: "gpio17", "PC2", "gpiochip0/gpio17", "rpi:gpio20"
  bool inverted = false;  // leading '!'
  bool pullup = false;    // leading '^' (inputs)
  bool pulldown = false;  // leading '~' (inputs)
  bool empty() const noexcept { return name.empty(); }
};

struct PrinterConfig {
  std::string kinematics;                // "cartesian" or "corexy" (required)
  double max_velocity = 0;               // mm/s (required, > 0)
  double max_accel = 0;                  // mm/s^2 (required, > 0)
  double square_corner_velocity = 5.0;   // mm/s (>= 0)
  double minimum_cruise_ratio = 0.5;     // [0, 1)
  double max_z_velocity = 0;             // mm/s, (0, max_velocity]; absent: max_velocity (filled in by load)
  double max_z_accel = 0;                // mm/s^2, (0, max_accel]; absent: max_accel (filled in by load)
};

struct StepperConfig {
  std::string name;  // section name: "stepper_x", "stepper_y", "stepper_z", "extruder", "stepper_z1", ...
  char axis = 0;     // 'x', 'y', 'z' for stepper_<axis>[N]; 'e' for extruder
  PinConfig step_pin;    // required
  PinConfig dir_pin;     // required
  PinConfig enable_pin;  // optional; several steppers may share one enable pin
  PinConfig endstop_pin; // optional; the sim homes against virtual endstops, hardware inputs are read later
  int microsteps = 0;                   // required, > 0
  int full_steps_per_rotation = 200;    // > 0
  double rotation_distance = 0;         // mm per full rotation, required, > 0
  double gear_ratio = 1.0;              // product of `gear_ratio: a:b, c:d` pairs (a/b * c/d); 1 if absent
  // Axis keys below are read from the primary stepper_<axis>; extra steppers (stepper_z1, ...) copy them.
  double position_min = 0;              // mm (axes only)
  double position_max = 0;              // mm (axes only; required for x, y, z; > position_min)
  double position_endstop = 0;          // mm (axes only; required for x, y, z; in [position_min, position_max])
  double homing_speed = 5.0;            // mm/s
  double homing_retract_dist = 5.0;     // mm
  double second_homing_speed = 2.5;     // mm/s; default homing_speed / 2
  bool homing_positive_dir = false;     // absent: false if position_endstop is in the lowest quarter of the
                                        // travel, true if in the highest quarter, else an error (as Klipper)
  double step_pulse_duration = 2e-6;    // seconds, [0, 0.001]
  double max_extrude_only_distance = 50.0;  // mm (extruder only)
  double steps_per_mm() const noexcept {
    return full_steps_per_rotation * microsteps * gear_ratio / rotation_distance;
  }
};

// [rt]: real-time placement and timing of the executor (DESIGN.md §4). Times are written in the file in
// seconds, as Klipper writes times (`slack: 0.00005`), and stored here in integer nanoseconds.
struct RtConfig {
  int executor_priority = 80;          // SCHED_FIFO priority 1..99
  std::vector<int> cpus;               // executor CPUs, e.g. "1" or "2-3"; empty = no pinning
  std::vector<int> host_cpus;          // CPUs for every other rtstep thread; empty = no pinning; must not
                                       // overlap `cpus`
  int64_t slack_ns = 50'000;           // `slack` [0, 0.01] s: sleep until deadline - slack, then spin
  int64_t buffer_time_ns = 500'000'000;  // `buffer_time` [0.02, 5] s: the bounded lead of the host over the executor
  uint32_t ring_capacity = 4096;       // records; power of two in [64, 1048576]
  double max_step_error = 1e-6;        // seconds, compression tolerance, (0, 10e-6]
  int64_t dir_setup_ns = 200;          // `dir_setup_time` [0, 0.001] s: direction change to next step edge
  bool step_dir_step_filter = false;   // `step_dir_step_filter`: remove a step and a step back within 750 us, as
                                       // Klipper's host does (stepgen::kStepDirStepFilterNs)
  bool allow_non_realtime = true;      // fall back to SCHED_OTHER when SCHED_FIFO is refused
  // Executor safety and timing (issue 4; docs/configuration.md).
  bool learn_slack = true;             // `learn_slack`: follow the observed wake-up latency, starting at `slack`
  int64_t max_slack_ns = 500'000;      // `max_slack` [0.000002, 0.01] s: ceiling of the learned slack
  int64_t max_lateness_ns = 2'000'000; // `max_lateness` [0, 1] s: stop rather than write an edge this late; 0 = off
  double max_bunch = 1.0;              // `max_bunch` [0, 1000] full steps: the lateness guard stops rather than let a
                                       // late stepper catch up more microsteps than this many full steps; 0 = off
  int64_t late_threshold_ns = 10'000;  // `late_threshold` [0, 1] s: edges later than this count as late
  int64_t stall_threshold_ns = 1'000'000;  // `stall_threshold` (0, 1] s: writes later than this are a stall
  int64_t underrun_margin_ns = 2'000'000;  // `underrun_margin` (0, 1] s: how late the host may deliver
  int64_t heartbeat_timeout_ns = 100'000'000;  // `heartbeat_timeout` [0.01, 10] s: either side lost after this
  // The thread hierarchy (rt/hierarchy.hpp): executor > base > servo > host > planner, then logging.
  int base_priority = 75;              // SCHED_FIFO, periodic base thread
  int servo_priority = 70;             // SCHED_FIFO, periodic servo thread
  int host_priority = 60;              // SCHED_FIFO, the thread feeding the ring; 0 = SCHED_OTHER
  int planner_priority = 50;           // SCHED_FIFO, the planner; 0 = SCHED_OTHER
  int log_nice = 10;                   // SCHED_OTHER nice 0..19: logging, progress, any API
  int64_t base_period_ns = 25'000;     // `base_period` [0, 0.01] s; 0 = no base thread
  int64_t servo_period_ns = 1'000'000; // `servo_period` (0, 0.1] s; a whole multiple of base_period
};

// Motion settings outside [printer] (read by motion_sections.cpp; reference in docs/configuration.md).
struct MotionConfig {
  // [sim] start_position_x/_y/_z: where the virtual carriage rests when the job starts (mm); absent = on its
  // endstop (position_endstop). A carriage elsewhere makes G28 travel to the virtual endstop.
  std::array<std::optional<double>, 3> sim_start_position;
  // [sim] start_position_z1 (x1, y2, ...): where an extra stepper's end of its axis rests when it is not
  // with the rest of the axis (mm, within the axis travel), by stepper name; its own endstop switch (if it
  // has one) is then nearer or further. Absent: with its axis.
  std::map<std::string, double> sim_stepper_start;
  double arc_resolution = 1.0;            // [gcode_arcs] resolution: longest arc segment, mm (> 0)
  // [extruder] limits of extrude-only moves, as Klipper: absent = max_velocity (max_accel) times
  // max_extrude_cross_section / filament area (filled in by load).
  double max_extrude_only_velocity = 0;   // mm/s
  double max_extrude_only_accel = 0;      // mm/s^2
  double instant_corner_velocity = 1.0;   // [extruder] instantaneous_corner_velocity, mm/s: largest instant change
                                          // of E speed at a corner
  // [extruder] max_extrude_cross_section, mm^2: the most filament a move with XY travel may lay per mm of
  // travel, as a cross-section (Klipper's rule); default 4 * nozzle_diameter^2 (filled in by load). 0 (a
  // config built in code) = no check.
  double max_extrude_cross_section = 0;
  double nozzle_diameter = 0.4;           // mm
  double filament_diameter = 1.75;        // mm
};

// [mcu] and [mcu NAME]: a board flashed with Klipper's firmware (docs/HARDWARE.md §6). Always read; the
// board is driven only when a run asks for it (`rtstep run --mcu`): otherwise its pins stay labels on the
// sim backend, as before, so a Klipper config runs unchanged without the board.
struct McuConfig {
  std::string name;           // "mcu" for [mcu], NAME for [mcu NAME]
  std::string serial;         // "" when the section has none (canbus_uuid: rtstep does not do CAN)
  uint32_t baud = 250'000;
  std::string restart_method = "command";  // Klipper's: command, arduino, cheetah, rpi_usb
  std::string where;          // "printer.cfg:86" (the section header), for messages
};

// A pin on a board: index in MachineConfig::mcus and the board's own pin name ("PA2").
struct BoardPin {
  std::size_t mcu = 0;
  std::string pin;
};

struct MachineConfig {
  std::string path;
  PrinterConfig printer;
  MotionConfig motion;
  std::vector<StepperConfig> steppers;  // stepper_x, stepper_y, stepper_z, then extra (z1, ...), then extruder
  RtConfig rt;
  std::vector<McuConfig> mcus;  // [mcu] first when present, then [mcu NAME] in file order
  ConfigReport report;                        // what the check found (errors empty: load failed otherwise)
  std::vector<std::string> ignored_sections;  // report.ignored's whole sections: "mcu", "tmc2209 stepper_x"
  std::vector<std::string> ignored_keys;      // report.ignored's keys: "[stepper_x] homing_retract_speed"
  const StepperConfig* find_stepper(const std::string& name) const;
};

// Reads and validates a printer.cfg: required sections [printer], [stepper_x], [stepper_y], [stepper_z];
// [extruder] and [rt] optional. Every error names file, line, section and key.
Result<MachineConfig> load(const std::string& path);
// Same, from a RawConfig already read.
Result<MachineConfig> interpret(const RawConfig& raw, const std::string& path);

// Parses a pin description: optional '!', '^' (pull-up) and '~' (pull-down) in any order, each at most once
// and not both '^' and '~', then a name of letters, digits, '_', '/', '.', '-', ':' (Klipper's "chip:pin").
// Errors name only the problem ("bad pin "PB 9": whitespace inside the name"); the caller adds file,
// line, section and key.
Result<PinConfig> parse_pin(const std::string& text);
// The board a pin names, Klipper's way: "NAME:PIN" with NAME a configured [mcu NAME] ("mcu:PA2" for [mcu]);
// a name without a prefix goes to [mcu] when one is configured, unless it is a local GPIO line ("gpio17",
// "gpiochip0/gpio17"). nullopt: a pin of this computer (also "rpi:gpio20" without an [mcu rpi]).
std::optional<BoardPin> board_pin(const std::vector<McuConfig>& mcus, const PinConfig& pin);

// Parses a CPU list like "0-1,3" into sorted, unique CPU numbers (each < 1024). Empty text: empty list.
Result<std::vector<int>> parse_cpu_list(const std::string& text);

}  // namespace rtstep::config

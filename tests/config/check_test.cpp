// The config check (config::check, klipper_sections.cpp): keys and sections Klipper does not have are errors
// naming the nearest valid one; valid ones rtstep does not use are listed as ignored; those that change how
// the machine moves or homes are warnings.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/klipper_sections.hpp"
#include "config/text.hpp"
#include "config_test_util.hpp"

namespace rtstep::config::testing {
namespace {

std::vector<std::string> names(const std::vector<ConfigNote>& notes) {
  std::vector<std::string> out;
  for (const ConfigNote& n : notes) out.push_back(n.name());
  return out;
}

// The report of `text` loaded after the minimal config (its sections start at line 32).
ConfigReport report_of(const std::string& text) {
  auto m = load_text(std::string(kMinimal) + text);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? m->report : ConfigReport{};
}

TEST(CheckKeys, MisspeltKeysNameTheNearestValidKey) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 13, "position_max: 235\nhoming_sped: 50")),
            "printer.cfg:14: [stepper_x] homing_sped: unknown key in this section (did you mean homing_speed?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[rt]\nslak: 0.00002\n"),
            "printer.cfg:33: [rt] slak: unknown key in this section (did you mean slack?)");
  EXPECT_EQ(error_of(replace_line(kMinimal, 3, "max_velocty: 300")),
            "printer.cfg:3: [printer] max_velocty: unknown key in this section (did you mean max_velocity?)");
  EXPECT_EQ(error_of(replace_line(kMinimal, 29, "rotation_distanse: 8")),
            "printer.cfg:29: [stepper_z] rotation_distanse: unknown key in this section (did you mean "
            "rotation_distance?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[heater_bed]\nheater_pn: PA1\n"),
            "printer.cfg:33: [heater_bed] heater_pn: unknown key in this section (did you mean heater_pin?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[tmc2209 stepper_x]\nuart_pin: PC4\nrun_curent: 0.8\n"),
            "printer.cfg:34: [tmc2209 stepper_x] run_curent: unknown key in this section (did you mean run_current?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[sim_heater extruder]\nheater_powr: 40\n"),
            "printer.cfg:33: [sim_heater extruder] heater_powr: unknown key in this section (did you mean "
            "heater_power?)");
}

TEST(CheckKeys, KeysFarFromAnyValidKeyGetTheSectionsHintOrNone) {
  EXPECT_EQ(error_of(replace_line(kMinimal, 13, "position_max: 235\ndriver_type: tmc2209")),
            "printer.cfg:14: [stepper_x] driver_type: unknown key in this section");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[gcode_macro START]\nspeed: 50\ngcode:\n  G28\n"),
            "printer.cfg:33: [gcode_macro start] speed: unknown key in this section (a macro variable is written "
            "variable_NAME)");
}

TEST(CheckKeys, EveryErrorOfTheFileAtOnceInFileOrder) {
  const std::string text = replace_line(replace_line(kMinimal, 22, "position_mx: 235"), 11, "rotation_dist: 40");
  EXPECT_EQ(error_of(text),
            "printer.cfg:11: [stepper_x] rotation_dist: unknown key in this section (did you mean rotation_distance?)\n"
            "printer.cfg:22: [stepper_y] position_mx: unknown key in this section (did you mean position_max?)");
}

TEST(CheckKeys, AFileOfManyBadKeysStopsAtAScreenful) {
  std::string text = kMinimal;
  text += "[rt]\n";
  for (int i = 0; i < 30; ++i) text += "key" + std::to_string(i) + ": 1\n";
  const std::string error = error_of(text);
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 20);
  EXPECT_TRUE(error.ends_with("\n(and 10 more errors)")) << error;
}

TEST(CheckKeys, MisspeltKeyInAnIncludedFileNamesThatFile) {
  TempDir dir;
  dir.write("steppers/z.cfg",
            "[stepper_z]\nstep_pin: PB5\ndir_pin: PB6\nmicrosteps: 16\nrotation_distance: 8\n"
            "position_endstop: 0\nposition_max: 250\nhomming_speed: 5\n");
  std::string main = kMinimal;
  main = main.substr(0, main.find("[stepper_z]")) + "[include steppers/*.cfg]\n";
  const std::string path = dir.write("printer.cfg", main);
  const auto loaded = load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, dir.path() +
                                        "/steppers/z.cfg:8: [stepper_z] homming_speed: unknown key in this "
                                        "section (did you mean homing_speed?)");
}

TEST(CheckKeys, PatternsAndCaseAreKlippers) {
  // variable_*, driver_*, numbered screws and fault regions, upper-case keys (Klipper lower-cases them).
  const ConfigReport r = report_of(
      "[gcode_macro START]\nvariable_Bed_Temp: 60\nvariable_park: [1, 2]\ngcode:\n  G28\n"
      "[tmc2209 stepper_x]\nuart_pin: PC4\ndriver_SGTHRS: 120\ndriver_TBL: 2\n"
      "[bed_screws]\nscrew1: 30, 30\nscrew1_name: front left\nscrew12_fine_adjust: 1, 1\n"
      "[bed_mesh]\nfaulty_region_3_min: 1, 1\nfaulty_region_3_max: 2, 2\n"
      "[heater_bed]\nheater_pin: PA1\nsensor_type: EPCOS 100K B57560G104F\nsensor_pin: PF3\ncontrol: pid\n"
      "PID_Kp: 1\nPID_Ki: 1\nPID_Kd: 1\nmin_temp: 0\nmax_temp: 120\n");
  EXPECT_EQ(names(r.ignored), (std::vector<std::string>{"[tmc2209 stepper_x]"}));
  EXPECT_EQ(names(r.warnings), (std::vector<std::string>{"[bed_screws]", "[bed_mesh]"}));
  EXPECT_EQ(error_of(std::string(kMinimal) + "[bed_screws]\nscrewA_name: x\n"),
            "printer.cfg:33: [bed_screws] screwa_name: unknown key in this section");
}

TEST(CheckSections, MisspeltSectionsNameTheNearestSection) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[heater_bd]\nheater_pin: PA1\n"),
            "printer.cfg:32: [heater_bd] unknown section (did you mean [heater_bed]?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[stepper_zz]\nstep_pin: PC0\n"),
            "printer.cfg:32: [stepper_zz] unknown section (did you mean [stepper_z]?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[tmc2209x stepper_x]\nuart_pin: PC4\n"),
            "printer.cfg:32: [tmc2209x stepper_x] unknown section (did you mean [tmc2209 stepper_x]?)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[gcode_macro]\ngcode:\n  G28\n"),
            "printer.cfg:32: [gcode_macro] needs a name: [gcode_macro NAME]");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[probe front]\npin: PG15\n"),
            "printer.cfg:32: [probe front] takes no name: write [probe]");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[extruder_1]\nstep_pin: PC0\n"),
            "printer.cfg:32: [extruder_1] unknown section (did you mean [extruder]?)");
}

TEST(CheckSections, SectionsOfNoKnownModuleAreWarnedNotRefused) {
  // A third-party extension's section loads in Klipper with the extension installed: listed, not an error.
  // A short name near a known one ([mmu], [mcu]) is more likely an extension's than a misspelling.
  const ConfigReport r = report_of("[shaketune]\nresult_folder: ~/results\n[mmu]\ngate_count: 4\n");
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].text(),
            "printer.cfg:32: [shaketune]: is not a section of Klipper or of rtstep; rtstep ignores it (a third-party "
            "extension's?)");
  EXPECT_EQ(r.warnings[1].text(),
            "printer.cfg:34: [mmu]: is not a section of Klipper or of rtstep (did you mean [mcu]?); rtstep ignores it "
            "(a third-party extension's?)");
  EXPECT_TRUE(r.ignored.empty());
}

TEST(CheckLists, IgnoredAndWarnedSectionsAndKeys) {
  const std::string text = replace_line(replace_line(kMinimal, 13, "position_max: 235\nhoming_retract_speed: 20"), 4,
                                        "max_accel: 3000\nmax_accel_to_decel: 1500");
  auto m = load_text(text +
                     "[mcu]\nserial: /dev/ttyUSB0\n"            // 34
                     "[tmc2209 stepper_x]\nuart_pin: PC4\n"     // 36
                     "[fan]\npin: PA8\ntachometer_pin: PC14\n"  // 38
                     "[extruder]\nstep_pin: PB3\ndir_pin: PB4\nmicrosteps: 16\nrotation_distance: 33\n"
                     "pressure_advance: 0.05\n"                              // 46
                     "[input_shaper]\nshaper_freq_x: 50\n"                   // 47
                     "[probe]\npin: PG15\nz_offset: 1\n"                     // 49
                     "[bed_mesh]\nmesh_min: 10, 10\nmesh_max: 200, 200\n");  // 52
  ASSERT_TRUE(m.ok()) << m.error().message;
  const ConfigReport& r = m->report;
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(names(r.ignored), (std::vector<std::string>{"[mcu]", "[tmc2209 stepper_x]", "[fan] tachometer_pin"}));
  EXPECT_EQ(m->ignored_sections, (std::vector<std::string>{"mcu", "tmc2209 stepper_x"}));
  EXPECT_EQ(m->ignored_keys, (std::vector<std::string>{"[fan] tachometer_pin"}));
  std::vector<std::string> texts;
  for (const ConfigNote& w : r.warnings) texts.push_back(w.text());
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "printer.cfg:5: [printer] max_accel_to_decel: removed from Klipper on 2025-08-11 (use "
                       "minimum_cruise_ratio); rtstep ignores it",
                       "printer.cfg:15: [stepper_x] homing_retract_speed: rtstep does not do a homing retract speed of "
                       "its own (it retracts at homing_speed)",
                       "printer.cfg:46: [extruder] pressure_advance: rtstep does not do pressure advance",
                       "printer.cfg:47: [input_shaper]: rtstep does not do input shaping",
                       "printer.cfg:49: [probe]: rtstep does not do probing (PROBE, a probe as Z endstop)",
                       "printer.cfg:52: [bed_mesh]: rtstep does not do bed mesh compensation (moves are not corrected "
                       "for the shape of the bed)"}));
}

TEST(CheckLists, ASecondExtruderIsWarnedWithItsRemovedKey) {
  const ConfigReport r = report_of("[extruder1]\nstep_pin: PC0\nshared_heater: extruder\n");
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].text(),
            "printer.cfg:34: [extruder1] shared_heater: removed from Klipper on 2024-02-15 (use [extruder_stepper "
            "NAME]); rtstep ignores it");
  EXPECT_EQ(r.warnings[1].text(), "printer.cfg:32: [extruder1]: rtstep does not do a second extruder's motion (its "
                                  "heater is controlled, its motor never moves)");
}

TEST(CheckLists, AFullVoronConfigLoadsWithItsLists) {
  auto m = load(data_path("voron/printer.cfg"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->printer.kinematics, "corexy");
  ASSERT_EQ(m->steppers.size(), 7u);  // x, y, z, z1, z2, z3, extruder
  EXPECT_EQ(m->find_stepper("stepper_z3")->position_max, 310);
  EXPECT_EQ(m->report.ignored.front().where, data_path("voron/printer.cfg") + ":8");
  EXPECT_EQ(names(m->report.ignored),
            (std::vector<std::string>{"[mcu]", "[tmc2209 stepper_x]", "[tmc2209 stepper_y]", "[tmc2209 stepper_z]",
                                      "[tmc2209 stepper_z1]", "[tmc2209 stepper_z2]", "[tmc2209 stepper_z3]",
                                      "[tmc2209 extruder]", "[controller_fan controller_fan] tachometer_pin",
                                      "[virtual_sdcard] on_error_gcode", "[display_status]", "[neopixel sb_leds]",
                                      "[board_pins octopus]"}));
  // Everything that changes how this machine moves or homes, including what SAVE_CONFIG saved.
  EXPECT_EQ(names(m->report.warnings),
            (std::vector<std::string>{"[extruder] pressure_advance", "[extruder] pressure_advance_smooth_time",
                                      "[probe]", "[quad_gantry_level]", "[bed_mesh]", "[input_shaper]",
                                      "[bed_mesh default]"}));
}

TEST(CheckTable, KeysRtstepReadsAreReadAndWarnedKeysAreNot) {
  // Every key the table calls used in a section the config loader reads is read: a nonsense value fails the
  // load naming it. A warned key is not read: the same value loads, and is warned.
  // The value is wrong for every kind of key: not a number, a boolean, a pin, a CPU list or a kinematics.
  const std::string bad = ": not a value";
  // `line` is the blank line after the section's keys: a key written there overrides an earlier one.
  const auto check_section = [&](const char* section, int line) {
    const SectionSpec* spec = find_section_spec(section);
    ASSERT_NE(spec, nullptr);
    for (const std::string_view key : plain_keys(*spec)) {
      if (list_has_key(spec->ignored_keys, key)) continue;
      const std::string error = error_of(replace_line(kMinimal, line, std::string(key) + bad));
      if (list_has_key(spec->warned_keys, key)) {
        EXPECT_EQ(error, "<ok>") << key;
      } else {
        EXPECT_NE(error.find("] " + std::string(key) + ":"), std::string::npos) << key << ": " << error;
      }
    }
  };
  check_section("printer", 5);
  check_section("stepper_x", 14);
  for (const std::string_view key : plain_keys(*find_section_spec("rt"))) {
    const std::string error = error_of(std::string(kMinimal) + "[rt]\n" + std::string(key) + bad + "\n");
    EXPECT_NE(error.find("[rt] " + std::string(key) + ":"), std::string::npos) << key << ": " << error;
  }
}

TEST(CheckTable, EntriesAreWellFormed) {
  for (const SectionSpec& spec : section_specs()) {
    std::vector<std::string_view> keys = plain_keys(spec);
    for (const std::string_view key : keys) {
      EXPECT_TRUE(std::none_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
          << spec.name << " " << key;  // the raw reader lower-cases keys
    }
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end()) << spec.name << " lists a key twice";
    // An ignored or warned key must be a key of the section; a warned section must say what rtstep does not do.
    for (const std::string_view list : {spec.ignored_keys, spec.warned_keys}) {
      for (size_t b = 0; b < list.size();) {
        const size_t e = std::min(list.find(' ', b), list.size());
        EXPECT_TRUE(has_key(spec, list.substr(b, e - b))) << spec.name << " " << list.substr(b, e - b);
        b = e + 1;
      }
    }
    if (spec.support == Support::kWarned || !spec.warned_keys.empty()) {
      EXPECT_FALSE(spec.what.empty()) << spec.name;
    }
  }
}

TEST(Nearest, SuggestsOnlyCloseSpellings) {
  EXPECT_EQ(text::edit_distance("homing_sped", "homing_speed"), 1u);
  EXPECT_EQ(text::edit_distance("", "abc"), 3u);
  EXPECT_EQ(text::nearest("slak", {"slack", "cpus"}), "slack");
  EXPECT_EQ(text::nearest("kinematics", {"serial", "baud"}), "");
  EXPECT_EQ(text::nearest("position_mx", {"position_min", "position_max"}), "position_max");
  EXPECT_EQ(text::nearest("ab", {"ac", "ad"}), "ac");  // the first of a tie
}

}  // namespace
}  // namespace rtstep::config::testing

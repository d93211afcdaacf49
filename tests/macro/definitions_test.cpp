// [gcode_macro] and [delayed_gcode] sections read from config text: names, keys, variables, templates
// compiled at load, and errors that name the file, line, section, key and the line inside the template.

#include "macro/definitions.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace rtstep::macro {
namespace {

Result<std::vector<MacroDefinition>> load(const std::string& text) {
  auto raw = config::parse_raw(text, "printer.cfg");
  if (!raw) return raw.error();
  return load_macros(*raw);
}

std::string load_error(const std::string& text) {
  auto macros = load(text);
  return macros ? "loaded" : macros.error().message;
}

TEST(LoadMacros, ReadsEveryKey) {
  auto macros = load(
      "[printer]\n"
      "kinematics: cartesian\n"
      "[gcode_macro print_start]\n"
      "description: Heat and home\n"
      "variable_prime_length: 20.5\n"
      "variable_points: [(10, 10), (100, 100)]\n"
      "variable_name: 'abc'\n"
      "gcode:\n"
      "  M190 S{params.BED|default(60)|float}\n"
      "  G28\n"
      "[gcode_macro G28]\n"
      "rename_existing: g28.1\n"
      "gcode: G28.1 {rawparams}\n");
  ASSERT_TRUE(macros.ok()) << macros.error().message;
  ASSERT_EQ(macros->size(), 2U);
  const MacroDefinition& start = (*macros)[0];
  EXPECT_EQ(start.name, "PRINT_START");
  EXPECT_EQ(start.section, "gcode_macro print_start");
  EXPECT_EQ(start.file, "printer.cfg");
  EXPECT_EQ(start.line, 3U);
  EXPECT_EQ(start.description, "Heat and home");
  EXPECT_FALSE(start.rename_existing.has_value());
  EXPECT_EQ(start.variables.str(), "{'prime_length': 20.5, 'points': [(10, 10), (100, 100)], 'name': 'abc'}");
  EXPECT_EQ(start.gcode.source(), "M190 S{params.BED|default(60)|float}\nG28");
  EXPECT_EQ(start.gcode.name(), "gcode_macro PRINT_START");
  const MacroDefinition& g28 = (*macros)[1];
  EXPECT_EQ(g28.name, "G28");
  EXPECT_EQ(g28.description, "G-Code macro");
  EXPECT_EQ(g28.rename_existing.value_or(""), "G28.1");
}

TEST(LoadMacros, TemplateErrorNamesFileSectionKeyAndTemplateLine) {
  EXPECT_EQ(load_error("[gcode_macro start]\n"
                       "gcode:\n"
                       "  G28\n"
                       "  M104 S{params.T|int\n"),
            "printer.cfg:2: [gcode_macro start] gcode:2:7: unclosed '{': expected '}' before the end of the template");
  EXPECT_EQ(load_error("[gcode_macro start]\n"
                       "gcode:\n"
                       "  {% if x %}\n"
                       "  G28\n"),
            "printer.cfg:2: [gcode_macro start] gcode:2:4: unexpected end of template: '{% if %}' at 1:1 is not closed "
            "(expected '{% endif %}')");
}

TEST(LoadMacros, VariableErrorNamesTheKey) {
  EXPECT_EQ(load_error("[gcode_macro start]\nvariable_speed: fast\ngcode: G28\n"),
            "printer.cfg:2: [gcode_macro start] variable_speed: not a valid Python literal: malformed value: the name "
            "'fast' is not a literal (quote text: 'abc'; use True, False or None) at column 1 (write text in quotes: "
            "'abc'; True, False, None; numbers; [lists]; {dicts})");
}

TEST(LoadMacros, MissingGcodeAndBadNames) {
  EXPECT_EQ(load_error("[gcode_macro start]\ndescription: x\n"), "printer.cfg:1: [gcode_macro start] missing required key gcode");
  EXPECT_EQ(load_error("[gcode_macro]\ngcode: G28\n"), "printer.cfg:1: [gcode_macro] a gcode_macro needs a name: [gcode_macro NAME]");
  EXPECT_EQ(load_error("[gcode_macro a b]\ngcode: G28\n"), "printer.cfg:1: [gcode_macro a b] the macro name contains whitespace");
}

TEST(LoadMacros, UnknownKeysSuggestTheNearest) {
  EXPECT_EQ(load_error("[gcode_macro start]\ngcode: G28\ndescripton: x\n"),
            "printer.cfg:3: [gcode_macro start] descripton: unknown key for this section (did you mean description?)");
  EXPECT_EQ(load_error("[gcode_macro start]\ngcode: G28\nspeed: 5\n"),
            "printer.cfg:3: [gcode_macro start] speed: unknown key for this section (a macro variable is written "
            "variable_speed)");
}

TEST(LoadMacros, RenameMustBeOfTheSameKind) {
  EXPECT_EQ(load_error("[gcode_macro G28]\nrename_existing: BASE_G28\ngcode: G28.1\n"),
            "printer.cfg:2: [gcode_macro g28] rename_existing: G-Code macro rename of different types ('G28' vs "
            "'BASE_G28'): both must be like G28, or both like PAUSE");
  EXPECT_EQ(load_error("[gcode_macro PAUSE]\nrename_existing: BASE_PAUSE\ngcode: BASE_PAUSE\n"), "loaded");
}

TEST(LoadMacros, OtherSectionsAreIgnored) {
  auto macros = load("[gcode_macro_x]\nfoo: 1\n[printer]\nkinematics: corexy\n");
  ASSERT_TRUE(macros.ok());
  EXPECT_TRUE(macros->empty());
}

TEST(TraditionalGcode, AsKlipperDecides) {
  EXPECT_TRUE(is_traditional_gcode("G28"));
  EXPECT_TRUE(is_traditional_gcode("m104"));
  EXPECT_TRUE(is_traditional_gcode("G28.1"));
  EXPECT_FALSE(is_traditional_gcode("PAUSE"));
  EXPECT_FALSE(is_traditional_gcode("BASE_G28"));
  EXPECT_FALSE(is_traditional_gcode("G28X"));
  EXPECT_FALSE(is_traditional_gcode("G"));
}

TEST(LoadDelayedGcodes, ReadsGcodeAndInitialDuration) {
  auto raw = config::parse_raw(
      "[delayed_gcode clear_display]\ninitial_duration: 2.5\ngcode:\n  M117\n"
      "[delayed_gcode other]\ngcode: RESPOND MSG=hi\n",
      "printer.cfg");
  ASSERT_TRUE(raw.ok());
  auto delayed = load_delayed_gcodes(*raw);
  ASSERT_TRUE(delayed.ok()) << delayed.error().message;
  ASSERT_EQ(delayed->size(), 2U);
  EXPECT_EQ((*delayed)[0].name, "clear_display");
  EXPECT_DOUBLE_EQ((*delayed)[0].initial_duration, 2.5);
  EXPECT_EQ((*delayed)[0].gcode.source(), "M117");
  EXPECT_DOUBLE_EQ((*delayed)[1].initial_duration, 0.0);
}

TEST(LoadDelayedGcodes, Errors) {
  auto raw = config::parse_raw("[delayed_gcode x]\ninitial_duration: -1\ngcode: M117\n", "printer.cfg");
  ASSERT_TRUE(raw.ok());
  auto delayed = load_delayed_gcodes(*raw);
  ASSERT_FALSE(delayed.ok());
  EXPECT_EQ(delayed.error().message.substr(0, 45), "printer.cfg:2: [delayed_gcode x] initial_dura");
  raw = config::parse_raw("[delayed_gcode x]\ngcode: {\n", "printer.cfg");
  ASSERT_TRUE(raw.ok());
  delayed = load_delayed_gcodes(*raw);
  ASSERT_FALSE(delayed.ok());
  EXPECT_EQ(delayed.error().message, "printer.cfg:2: [delayed_gcode x] gcode:1:1: unclosed '{': expected '}' before the end of the template");
}

}  // namespace
}  // namespace rtstep::macro

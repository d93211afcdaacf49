// Macros in the shapes real configurations use, run as the controller will run them: PRINT_START with
// BED/EXTRUDER parameters, a loop over points, a G28 override, PAUSE/RESUME/CANCEL_PRINT in the style the
// front ends ship (text written for these tests), actions, command parameters and SET_GCODE_VARIABLE.

#include "macro/runner.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "macro/literal.hpp"
#include "macro_test_util.hpp"

namespace rtstep::macro {
namespace {

using testing::dict;
using testing::str;

constexpr const char* kConfig = R"([gcode_macro PRINT_START]
description: Heat, home if needed, prime
variable_prime_length: 20
variable_park: {'x': 5, 'y': 5, 'z': 0.3}
gcode:
  {% set bed = params.BED|default(60)|float %}
  {% set extruder = params.EXTRUDER|default(200)|float %}
  M140 S{bed}
  M104 S{extruder * 0.75}
  {% if "xyz" not in printer.toolhead.homed_axes %}
    G28
  {% endif %}
  M190 S{bed}
  M109 S{extruder}
  G90
  G1 X{park.x} Y{park.y} Z{park.z} F3000
  G1 X{park.x + 100} E{prime_length} F1500

[gcode_macro PURGE_POINTS]
variable_points: [(10, 10), (100, 10),
  (100, 100)]
gcode:
  {% for x, y in points %}
  G1 X{x} Y{y} F{params.F|default(3000)|int} ; point {loop.index} of {loop.length}
  {% endfor %}

[gcode_macro G28]
rename_existing: G28.1
gcode:
  G28.1 {rawparams}
  {% if 'Z' in params or not params %}G1 Z5 F600{% endif %}

[gcode_macro _CLIENT_VARIABLE]
variable_park_at_cancel: True
variable_park_x: 10.0
variable_z_lift: 2.0
gcode:

[gcode_macro PAUSE]
description: Pause the print and park the head
rename_existing: PAUSE_BASE
gcode:
  {% set client = printer['gcode_macro _CLIENT_VARIABLE']|default({}) %}
  {% set lift = client.z_lift|default(2.0)|float %}
  {% if printer.pause_resume.is_paused %}
    {action_respond_info("Print already paused")}
  {% else %}
    {% set z = [printer.toolhead.position[2] + lift, printer.toolhead.axis_maximum.z]|min %}
    SET_GCODE_VARIABLE MACRO=RESUME VARIABLE=last_extruder_temp VALUE="{{'temp': printer.extruder.target}}"
    PAUSE_BASE
    G91
    G1 Z{z - printer.toolhead.position[2]} F600
    G90
    G1 X{client.park_x} Y{printer.toolhead.axis_maximum.y - 10} F6000
  {% endif %}

[gcode_macro RESUME]
description: Resume the print
rename_existing: RESUME_BASE
variable_last_extruder_temp: {'temp': 0}
gcode:
  {% set velocity = printer.configfile.settings.pause_resume.recover_velocity %}
  {% set get_params = ('VELOCITY=%s' % params.VELOCITY) if params.VELOCITY else ('VELOCITY=%s' % velocity) %}
  {% if printer.extruder.temperature < last_extruder_temp.temp - 5 %}
    M109 S{last_extruder_temp.temp}
  {% endif %}
  RESUME_BASE {get_params}

[gcode_macro CANCEL_PRINT]
description: Cancel the print, park and cool down
rename_existing: CANCEL_PRINT_BASE
gcode:
  {% set client = printer['gcode_macro _CLIENT_VARIABLE']|default({}) %}
  {% if printer.pause_resume.is_paused|lower == 'false' and client.park_at_cancel|default(false) %}
    G91
    G1 Z{client.z_lift} F600
    G90
  {% endif %}
  TURN_OFF_HEATERS
  M106 S0
  CANCEL_PRINT_BASE
)";

class Macros : public ::testing::Test {
 protected:
  void SetUp() override {
    auto raw = config::parse_raw(kConfig, "printer.cfg");
    ASSERT_TRUE(raw.ok()) << raw.error().message;
    auto loaded = load_macros(*raw);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    macros_ = std::move(loaded.value());
    for (const MacroDefinition& m : macros_) variables_.dict_data().set(m.name, m.variables.deep_copy());
    actions_.respond_info = [this](const std::string& m) { responses_.push_back(m); };
    printer_ = build_printer();
  }

  const MacroDefinition& macro(const std::string& name) const {
    for (const MacroDefinition& m : macros_) {
      if (m.name == name) return m;
    }
    throw std::runtime_error("no macro " + name);
  }
  Value& variables(const std::string& name) { return *variables_.dict_data().find(name); }

  // The status objects the controller exports, with the macros' variables as printer["gcode_macro X"].
  Value build_printer() {
    Value printer = dict({
        {"toolhead", dict({{"homed_axes", str("")},
                           {"position", Value::list({Value::real(50), Value::real(60), Value::real(10), Value::real(0)})},
                           {"axis_maximum", dict({{"x", Value::real(235)}, {"y", Value::real(235)}, {"z", Value::real(250)}})}})},
        {"extruder", dict({{"temperature", Value::real(180)}, {"target", Value::real(210)}})},
        {"pause_resume", dict({{"is_paused", Value::boolean(false)}})},
        {"configfile", dict({{"settings", dict({{"pause_resume", dict({{"recover_velocity", Value::real(50)}})}})}})},
    });
    for (const MacroDefinition& m : macros_) printer.dict_data().set("gcode_macro " + m.name, variables(m.name));
    return printer;
  }

  std::vector<std::string> run(const std::string& line) {
    auto call = parse_call(line);
    EXPECT_TRUE(call.ok()) << call.error().message;
    std::string name = line.substr(0, line.find(' '));
    auto out = run_macro(macro(name), variables(name), *call, printer_, actions_);
    if (!out) return {"ERROR: " + out.error().message};
    return out->lines;
  }

  std::vector<MacroDefinition> macros_;
  Value variables_ = Value::dict();
  Value printer_;
  Actions actions_;
  std::vector<std::string> responses_;
};

using Lines = std::vector<std::string>;

TEST_F(Macros, PrintStartHeatsHomesAndPrimes) {
  EXPECT_EQ(run("PRINT_START BED=60 EXTRUDER=210"),
            (Lines{"M140 S60.0", "M104 S157.5", "G28", "M190 S60.0", "M109 S210.0", "G90", "G1 X5 Y5 Z0.3 F3000",
                   "G1 X105 E20 F1500"}));
}

TEST_F(Macros, PrintStartSkipsHomingWhenHomedAndUsesDefaults) {
  printer_.dict_data().find("toolhead")->dict_data().set("homed_axes", str("xyz"));
  EXPECT_EQ(run("PRINT_START"),
            (Lines{"M140 S60.0", "M104 S150.0", "M190 S60.0", "M109 S200.0", "G90", "G1 X5 Y5 Z0.3 F3000",
                   "G1 X105 E20 F1500"}));
}

TEST_F(Macros, ParameterNamesAreUpperCasedValuesKeptAsText) {
  EXPECT_EQ(run("PRINT_START bed=70.5 Extruder=\"215\"")[0], "M140 S70.5");
}

TEST_F(Macros, LoopOverAListOfPoints) {
  EXPECT_EQ(run("PURGE_POINTS F=1200"),
            (Lines{"G1 X10 Y10 F1200", "G1 X100 Y10 F1200", "G1 X100 Y100 F1200"}));
}

TEST_F(Macros, G28OverrideCallsTheRenamedBuiltin) {
  EXPECT_EQ(run("G28 X Y"), (Lines{"G28.1 X Y"}));
  EXPECT_EQ(run("G28 Z"), (Lines{"G28.1 Z", "G1 Z5 F600"}));
  EXPECT_EQ(run("G28"), (Lines{"G28.1", "G1 Z5 F600"}));
}

TEST_F(Macros, PauseParksAndSavesTheTemperature) {
  const Lines lines = run("PAUSE");
  EXPECT_EQ(lines, (Lines{"SET_GCODE_VARIABLE MACRO=RESUME VARIABLE=last_extruder_temp VALUE=\"{'temp': 210.0}\"",
                          "PAUSE_BASE", "G91", "G1 Z2.0 F600", "G90", "G1 X10.0 Y225.0 F6000"}));
  // The controller runs SET_GCODE_VARIABLE: the VALUE, quotes removed, is a Python literal.
  auto call = parse_call(lines[0]);
  ASSERT_TRUE(call.ok());
  Value& resume_vars = variables("RESUME");
  ASSERT_TRUE(set_gcode_variable(resume_vars, "last_extruder_temp",
                                 call->params.dict_data().find("VALUE")->text()).ok());
  printer_ = build_printer();
  EXPECT_EQ(run("RESUME"), (Lines{"M109 S210.0", "RESUME_BASE VELOCITY=50.0"}));
  EXPECT_EQ(run("RESUME VELOCITY=20"), (Lines{"M109 S210.0", "RESUME_BASE VELOCITY=20"}));
}

TEST_F(Macros, PauseWhenPausedOnlyResponds) {
  printer_.dict_data().find("pause_resume")->dict_data().set("is_paused", Value::boolean(true));
  EXPECT_EQ(run("PAUSE"), Lines{});
  EXPECT_EQ(responses_, (std::vector<std::string>{"Print already paused"}));
}

TEST_F(Macros, CancelPrintParksCoolsAndCancels) {
  EXPECT_EQ(run("CANCEL_PRINT"),
            (Lines{"G91", "G1 Z2.0 F600", "G90", "TURN_OFF_HEATERS", "M106 S0", "CANCEL_PRINT_BASE"}));
  ASSERT_TRUE(set_gcode_variable(variables("_CLIENT_VARIABLE"), "park_at_cancel", "False").ok());
  printer_ = build_printer();
  EXPECT_EQ(run("CANCEL_PRINT"), (Lines{"TURN_OFF_HEATERS", "M106 S0", "CANCEL_PRINT_BASE"}));
}

TEST(Actions, RaiseErrorStopsTheMacroWithTheUsersMessage) {
  auto t = Template::compile("G28\n{% if not params.X %}{action_raise_error('X is required')}{% endif %}\nG1 X{params.X}",
                             "gcode_macro MOVE");
  ASSERT_TRUE(t.ok());
  Context c = base_context(Value::dict(), Actions{});
  c.set("params", Value::dict());
  auto out = run_template(*t, c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "X is required");
}

TEST(Actions, EmergencyStopAndRemoteMethod) {
  std::string stopped;
  std::string method;
  std::string arguments;
  Actions actions;
  actions.emergency_stop = [&](const std::string& m) { stopped = m; };
  actions.call_remote_method = [&](const std::string& m, const Value& args) {
    method = m;
    arguments = args.str();
  };
  auto t = Template::compile("{action_call_remote_method('notify', name='done', count=2)}{action_emergency_stop()}"
                             "{action_emergency_stop('too hot')}",
                             "t");
  ASSERT_TRUE(t.ok());
  auto out = run_template(*t, base_context(Value::dict(), actions));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->lines.empty());
  EXPECT_EQ(method, "notify");
  EXPECT_EQ(arguments, "{'name': 'done', 'count': 2}");
  EXPECT_EQ(stopped, "too hot");
}

TEST(Actions, MissingCallbackIsAnError) {
  auto t = Template::compile("{action_respond_info('x')}", "t");
  ASSERT_TRUE(t.ok());
  auto out = run_template(*t, base_context(Value::dict(), Actions{}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "t:1:21: action_respond_info is not available here");
}

TEST(ParseCall, ExtendedAndTraditional) {
  auto call = parse_call("N12 PRINT_START BED=60 extruder=210 NAME=\"a b\" ; comment");
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->params.str(), "{'BED': '60', 'EXTRUDER': '210', 'NAME': 'a b'}");
  EXPECT_EQ(call->rawparams, "BED=60 extruder=210 NAME=\"a b\"");
  call = parse_call("M104 S200 T0");
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->params.str(), "{'S': '200', 'T': '0'}");
  call = parse_call("G28");
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->params.str(), "{}");
  EXPECT_EQ(call->rawparams, "");
  EXPECT_FALSE(parse_call("PRINT_START BED").ok());
  EXPECT_FALSE(parse_call("PRINT_START MSG=\"open").ok());
}

TEST(SetGcodeVariable, ParsesALiteralAndReplacesTheDict) {
  Value vars = Value::dict();
  vars.dict_data().set("count", Value::integer(0));
  const Value before = vars;
  ASSERT_TRUE(set_gcode_variable(vars, "count", "[1, 'a']").ok());
  EXPECT_EQ(vars.str(), "{'count': [1, 'a']}");
  EXPECT_EQ(before.str(), "{'count': 0}");  // a snapshot taken before is unchanged
  auto unknown = set_gcode_variable(vars, "COUNT", "1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "Unknown gcode_macro variable 'COUNT'");
  auto bad = set_gcode_variable(vars, "count", "abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "Unable to parse 'abc' as a literal: malformed value: the name 'abc' is not a literal (quote text: 'abc'; "
            "use True, False or None) at column 1");
}

}  // namespace
}  // namespace rtstep::macro

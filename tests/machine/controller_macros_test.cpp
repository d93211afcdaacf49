// Klipper's macros in machine::Controller, in the shapes real printer.cfg files use: a PRINT_START that heats,
// homes only when not homed and primes, run from a slicer file; a loop over a list variable; a G28 override
// with rename_existing; PAUSE/RESUME/CANCEL_PRINT overrides as front ends ship them; SET_GCODE_VARIABLE,
// [delayed_gcode], [idle_timeout] gcode; and the errors (recursion, a failing template, a name clash).
// Real clock, real executor thread, sim backend (controller_fixture.hpp).

#include "controller_fixture.hpp"

namespace rtstep::machine {
namespace {

using ControllerMacroTest = ControllerTest;

// Plants that heat in seconds, without sensor noise, and a derivative gain to suit them, so that the waits of
// a PRINT_START (Klipper's settle rule: within 1 C and nearly flat) take seconds too.
const char* const kPrintStart = R"(
[sim_heater extruder]
heat_capacity: 4
sensor_lag: 0.5
noise: 0

[sim_heater heater_bed]
heat_capacity: 40
sensor_lag: 0.5
noise: 0

[extruder]
pid_Kd: 5

[heater_bed]
pid_Kd: 20

[gcode_macro PRINT_START]
description: Heat, home when needed, prime
variable_prime_length: 2.5
gcode:
  {% set bed = params.BED|default(60)|float %}
  {% set hotend = params.EXTRUDER|default(200)|float %}
  M140 S{bed}
  M104 S{hotend}
  {% if printer.toolhead.homed_axes != "xyz" %}
    RESPOND MSG="homing first"
    G28
  {% endif %}
  M190 S{bed}
  M109 S{hotend}
  G90
  G1 Z2 F600
  G92 E0
  G1 X60 Y5 E{prime_length} F1200
  G92 E0
  RESPOND MSG="primed {printer['gcode_macro PRINT_START'].prime_length} mm at {hotend}"
)";

TEST_F(ControllerMacroTest, PrintStartHeatsHomesAndPrimesBeforeASlicerFile) {
  ready_with(kPrintStart);
  // The slicer's file: no G28 of its own, the macro homes.
  std::string body = "PRINT_START BED=30 EXTRUDER=35\nM83\nG1 Z0.3 F600\n";
  for (int i = 0; i < 3; ++i) body += "G1 X20 Y20 E0.5 F6000\nG1 X30 Y20 E0.5\nG1 X30 Y30 E0.5\n";
  const std::string file = write("sliced.gcode", body + "G1 X10 Y10 F6000\n");
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + file).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "complete")) << status("print_stats").dump() << log_;
  EXPECT_TRUE(prints("echo: homing first"));
  EXPECT_TRUE(prints("echo: primed 2.5 mm at 35.0")) << ::testing::PrintToString(output());
  EXPECT_EQ(status("toolhead")["homed_axes"], "xyz");
  EXPECT_EQ(status("heater_bed")["target"], 30.0);
  EXPECT_EQ(status("extruder")["target"], 35.0);
  EXPECT_NEAR(status("extruder")["temperature"].get<double>(), 35.0, 1.5);  // M109 waited for the heat
  EXPECT_NEAR(status("print_stats")["filament_used"].get<double>(), 2.5 + 9 * 0.5, 1e-6);
  EXPECT_EQ(status("toolhead")["position"][0], 10.0);

  // Homed already: the second call does not home again.
  const ScriptOutcome again = run("PRINT_START BED=30 EXTRUDER=35");
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(std::count(again.output.begin(), again.output.end(), "echo: homing first"), 0);
}

TEST_F(ControllerMacroTest, AMacroLoopsOverAListVariable) {
  ready_with(R"(
[gcode_macro VISIT]
variable_points: [[10, 10], [20, 10], [20, 20]]
gcode:
  {% for p in points %}
    G1 X{p[0]} Y{p[1]} F6000
    RESPOND MSG="point {loop.index} of {points|length}"
  {% endfor %}
)");
  const ScriptOutcome visited = run("G28\nVISIT\nM400");
  ASSERT_TRUE(visited.ok) << visited.error;
  EXPECT_EQ(visited.output, (std::vector<std::string>{"echo: point 1 of 3", "echo: point 2 of 3", "echo: point 3 of 3"}));
  EXPECT_EQ(status("toolhead")["position"], Json::array({20.0, 20.0, 0.0, 0.0}));
  // The macro's variables are a status object, as Klipper's gcode_macro objects.
  EXPECT_EQ(status("gcode_macro VISIT")["points"], Json::parse("[[10, 10], [20, 10], [20, 20]]"));
}

TEST_F(ControllerMacroTest, RenameExistingOverridesG28AndCallsTheOriginal) {
  ready_with(R"(
[gcode_macro G28]
rename_existing: G28.1
gcode:
  RESPOND MSG="homing [{rawparams}]"
  G28.1 {rawparams}
  G1 Z5 F600
)");
  const ScriptOutcome homed = run("G28\nM400");
  ASSERT_TRUE(homed.ok) << homed.error;
  EXPECT_EQ(homed.output, std::vector<std::string>{"echo: homing []"});
  EXPECT_EQ(status("toolhead")["homed_axes"], "xyz");
  EXPECT_EQ(status("toolhead")["position"][2], 5.0);
  const ScriptOutcome helped = run("HELP");
  EXPECT_NE(std::find(helped.output.begin(), helped.output.end(), "// G28.1: Renamed builtin of 'G28'"),
            helped.output.end());
}

const char* const kPauseResumeCancel = R"(
[gcode_macro PAUSE]
rename_existing: PAUSE_BASE
gcode:
  PAUSE_BASE
  SAVE_GCODE_STATE NAME=park
  G91
  G1 Z5 F600
  G90
  G1 X0 Y0 F6000
  RESPOND MSG="parked"

[gcode_macro RESUME]
rename_existing: RESUME_BASE
gcode:
  RESTORE_GCODE_STATE NAME=park MOVE=1 MOVE_SPEED=100
  RESUME_BASE

[gcode_macro CANCEL_PRINT]
rename_existing: CANCEL_PRINT_BASE
gcode:
  TURN_OFF_HEATERS
  CANCEL_PRINT_BASE
  G91
  G1 Z2 F600
  G90
)";

TEST_F(ControllerMacroTest, PauseAndResumeMacrosParkAndComeBack) {
  ready_with(kPauseResumeCancel);
  const std::string file = write("pause.gcode", squares(2) + "G1 X50 Y60 F6000\nPAUSE\nG1 X60 Y60\n");
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + file).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "paused")) << status("print_stats").dump();
  ASSERT_TRUE(prints("echo: parked"));
  ASSERT_TRUE(run("M400").ok);
  Json parked = status("toolhead")["position"];
  EXPECT_EQ(parked[0], 0.0);
  EXPECT_EQ(parked[1], 0.0);
  EXPECT_NEAR(parked[2].get<double>(), 0.3 + 5, 1e-9);
  const ScriptOutcome resumed = run("RESUME");
  ASSERT_TRUE(resumed.ok) << resumed.error;
  ASSERT_TRUE(reaches("print_stats", "state", "complete")) << status("print_stats").dump() << log_;
  const Json back = status("toolhead")["position"];
  EXPECT_EQ(back[0], 60.0);
  EXPECT_EQ(back[1], 60.0);
  EXPECT_NEAR(back[2].get<double>(), 0.3, 1e-9);  // RESUME_BASE went back down to the paused layer
  EXPECT_NEAR(back[3].get<double>(), 4.0, 1e-9);  // no extrusion lost or added by the park
}

TEST_F(ControllerMacroTest, CancelMacroEndsThePrintWithHeatersOff) {
  ready_with(kPauseResumeCancel);
  const std::string file = write("cancel.gcode", "M104 S40\n" + squares(1) + "PAUSE\nG1 X60 Y60\n");
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + file).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "paused")) << status("print_stats").dump();
  EXPECT_EQ(status("extruder")["target"], 40.0);
  const ScriptOutcome cancelled = run("CANCEL_PRINT\nM400");
  ASSERT_TRUE(cancelled.ok) << cancelled.error;
  EXPECT_EQ(status("print_stats")["state"], "cancelled");
  EXPECT_EQ(status("extruder")["target"], 0.0);
  EXPECT_EQ(status("pause_resume")["is_paused"], false);
  EXPECT_NEAR(status("toolhead")["position"][2].get<double>(), 0.3 + 5 + 2, 1e-9);
}

TEST_F(ControllerMacroTest, SetGcodeVariableChangesWhatTheMacroSees) {
  ready_with(R"(
[gcode_macro SAY]
variable_word: 'first'
variable_count: 0
gcode:
  RESPOND MSG="{word} {count}"
)");
  EXPECT_EQ(run("SAY").output, std::vector<std::string>{"echo: first 0"});
  ASSERT_TRUE(run("SET_GCODE_VARIABLE MACRO=SAY VARIABLE=word VALUE='\"second\"'\n"
                  "SET_GCODE_VARIABLE MACRO=say VARIABLE=count VALUE=2")
                  .ok);
  EXPECT_EQ(run("SAY").output, std::vector<std::string>{"echo: second 2"});
  EXPECT_EQ(status("gcode_macro SAY")["count"], 2);
  EXPECT_EQ(run("SET_GCODE_VARIABLE MACRO=SAY VARIABLE=nope VALUE=1").error, "Unknown gcode_macro variable 'nope'");
  EXPECT_EQ(run("SET_GCODE_VARIABLE MACRO=NOPE VARIABLE=word VALUE=1").error, "The value 'NOPE' is not valid for MACRO");
  EXPECT_FALSE(run("SET_GCODE_VARIABLE MACRO=SAY VARIABLE=count VALUE=[1,").ok);
  EXPECT_EQ(status("gcode_macro SAY")["count"], 2);
}

TEST_F(ControllerMacroTest, AFailingMacroRunsNoneOfItsMotion) {
  ready_with(R"(
[gcode_macro CHECKED_MOVE]
gcode:
  G1 X50 F6000
  {% if params.SAFE|default(0)|int == 0 %}
    { action_raise_error("not safe to move") }
  {% endif %}
  G1 X60

[gcode_macro PING]
gcode:
  PONG

[gcode_macro PONG]
gcode:
  PING
)");
  ASSERT_TRUE(run("G28\nG1 X5 F6000\nM400").ok);
  const ScriptOutcome refused = run("CHECKED_MOVE");
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("not safe to move"), std::string::npos) << refused.error;
  ASSERT_TRUE(run("M400").ok);
  EXPECT_EQ(status("toolhead")["position"][0], 5.0);  // the G1 before the error did not run either
  const ScriptOutcome looped = run("PING");
  EXPECT_FALSE(looped.ok);
  EXPECT_EQ(looped.error, "Macro PING called recursively");
  const ScriptOutcome moved = run("CHECKED_MOVE SAFE=1\nM400");
  ASSERT_TRUE(moved.ok) << moved.error;
  EXPECT_EQ(status("toolhead")["position"][0], 60.0);
  EXPECT_EQ(status("webhooks")["state"], "ready");
}

TEST_F(ControllerMacroTest, AMacroThatTakesABuiltInNameWithoutRenameIsAConfigError) {
  start_with("[gcode_macro M104]\ngcode:\n  RESPOND MSG=hot\n");
  ASSERT_TRUE(reaches("webhooks", "state", "error")) << status("webhooks").dump();
  const std::string message = status("webhooks")["state_message"];
  EXPECT_NE(message.find("[gcode_macro m104]: M104 is a built-in command: add rename_existing"), std::string::npos)
      << message;
  EXPECT_NE(message.find((sdcard_ / "printer.cfg").string() + ":"), std::string::npos) << message;
}

TEST_F(ControllerMacroTest, DelayedGcodeRunsWhenDueAndIdleTimeoutRunsItsGcode) {
  ready_with(R"(
[delayed_gcode report]
gcode:
  RESPOND MSG="report ran"
  SET_GCODE_VARIABLE MACRO=STATE VARIABLE=reported VALUE=True

[gcode_macro STATE]
variable_reported: False
gcode:
  RESPOND MSG="{reported}"

[idle_timeout]
timeout: 600
gcode:
  RESPOND MSG="idle: heaters {printer.extruder.target} -> off"
  TURN_OFF_HEATERS
  M84
)");
  ASSERT_TRUE(run("UPDATE_DELAYED_GCODE ID=report DURATION=0.2").ok);
  ASSERT_TRUE(prints("echo: report ran"));
  EXPECT_EQ(run("STATE").output, std::vector<std::string>{"echo: True"});
  EXPECT_EQ(run("UPDATE_DELAYED_GCODE ID=nothing DURATION=1").error, "The value 'nothing' is not valid for ID");

  ASSERT_TRUE(run("M104 S40\nSET_IDLE_TIMEOUT TIMEOUT=0.3").ok);
  ASSERT_TRUE(prints("echo: idle: heaters 40.0 -> off")) << log_;
  ASSERT_TRUE(reaches("extruder", "target", 0.0));
}

}  // namespace
}  // namespace rtstep::machine

// Klipper's optional G-code sections in machine::Controller: [safe_z_home], [homing_override],
// [firmware_retraction], [save_variables], [respond] and [exclude_object] on a sliced file with several objects.
// Real clock, real executor thread, sim backend (controller_fixture.hpp); every print that ends "complete"
// had each stepper's steps checked against the plan by the controller.

#include <fmt/format.h>

#include "controller_fixture.hpp"

namespace rtstep::machine {
namespace {

class ControllerExtrasTest : public ControllerTest {
 protected:
  double position(std::size_t axis) { return status("toolhead")["position"][axis].get<double>(); }
};

TEST_F(ControllerExtrasTest, SafeZHomeHomesZAtItsPointAndHops) {
  ready_with("[safe_z_home]\nhome_xy_position: 100, 120\nz_hop: 5\nspeed: 100\n");
  const ScriptOutcome early = run("G28 Z");
  EXPECT_EQ(early.error, "Must home X and Y axes first");
  ASSERT_TRUE(run("G28\nM400").ok);
  EXPECT_EQ(status("toolhead")["homed_axes"], "xyz");
  EXPECT_EQ(position(0), 100.0);
  EXPECT_EQ(position(1), 120.0);
  EXPECT_EQ(position(2), 5.0);
  // Homed: the next G28 lifts before the X and Y switches are sought (Z stays clear of the bed).
  ASSERT_TRUE(run("G1 Z1 F600\nG28 X\nM400").ok);
  EXPECT_EQ(position(2), 5.0);
  EXPECT_EQ(position(0), 0.0);
}

TEST_F(ControllerExtrasTest, HomingOverrideRunsItsGcodeForItsAxes) {
  ready_with(R"([homing_override]
axes: z
gcode:
  RESPOND MSG="override [{rawparams}]"
  G28 Y
  G28 X
  G1 X50 Y50 F6000
  G28 Z
  G1 Z3 F600
)");
  const ScriptOutcome plain = run("G28 X\nM400");
  ASSERT_TRUE(plain.ok) << plain.error;
  EXPECT_TRUE(plain.output.empty());  // X alone is not an overridden axis
  const ScriptOutcome all = run("G28\nM400");
  ASSERT_TRUE(all.ok) << all.error;
  EXPECT_EQ(all.output, std::vector<std::string>{"echo: override []"});
  EXPECT_EQ(status("toolhead")["homed_axes"], "xyz");
  EXPECT_EQ(position(0), 50.0);
  EXPECT_EQ(position(2), 3.0);
}

TEST_F(ControllerExtrasTest, FirmwareRetractionHidesInTheEFigures) {
  ready_with("[firmware_retraction]\nretract_length: 1.5\nretract_speed: 30\nunretract_extra_length: 0.2\n");
  ASSERT_TRUE(run("G28\nM82\nG1 X20 Y20 E5 F3000\nG10\nG10\nM400").ok);
  EXPECT_NEAR(position(3), 3.5, 1e-9);                                          // pulled back once
  EXPECT_NEAR(status("gcode_move")["gcode_position"][3].get<double>(), 5, 1e-9);  // the file's E is unchanged
  ASSERT_TRUE(run("G11\nM400").ok);
  EXPECT_NEAR(position(3), 5.2, 1e-9);
  EXPECT_EQ(run("GET_RETRACTION").output,
            std::vector<std::string>{
                "// RETRACT_LENGTH=1.50000 RETRACT_SPEED=30.00000 UNRETRACT_EXTRA_LENGTH=0.20000 UNRETRACT_SPEED=10.00000"});
  ASSERT_TRUE(run("SET_RETRACTION RETRACT_LENGTH=2").ok);
  EXPECT_EQ(status("firmware_retraction")["retract_length"], 2.0);
  EXPECT_FALSE(run("SET_RETRACTION RETRACT_SPEED=0").ok);
  EXPECT_EQ(status("firmware_retraction")["retract_speed"], 30.0);
}

TEST_F(ControllerExtrasTest, SaveVariablesKeepsValuesAcrossARestart) {
  const std::string file = (sdcard_ / "variables.cfg").string();
  ready_with("[save_variables]\nfilename: " + file + R"(
[gcode_macro SHOW]
gcode:
  RESPOND MSG="{printer.save_variables.variables.count} {printer.save_variables.variables.tool}"
)");
  ASSERT_TRUE(run("SAVE_VARIABLE VARIABLE=count VALUE=3\nSAVE_VARIABLE VARIABLE=tool VALUE='\"T1\"'").ok);
  EXPECT_EQ(run("SAVE_VARIABLE VARIABLE=Count VALUE=1").error, "VARIABLE must not contain upper case");
  EXPECT_FALSE(run("SAVE_VARIABLE VARIABLE=x VALUE=[1,").ok);
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "[Variables]\ncount = 3\ntool = 'T1'\n");
  ASSERT_TRUE(run("FIRMWARE_RESTART").ok);
  ASSERT_TRUE(reaches("webhooks", "state", "ready"));
  EXPECT_EQ(status("save_variables")["variables"], Json::parse(R"({"count": 3, "tool": "T1"})"));
  EXPECT_EQ(run("SHOW").output, std::vector<std::string>{"echo: 3 T1"});
}

TEST_F(ControllerExtrasTest, RespondTakesItsDefaultsFromTheRespondSection) {
  ready_with("[respond]\ndefault_type: command\n");
  EXPECT_EQ(run("RESPOND MSG=hello").output, std::vector<std::string>{"// hello"});
  EXPECT_EQ(run("RESPOND TYPE=error MSG=\"bad news\"").output, std::vector<std::string>{"!! bad news"});
  EXPECT_EQ(run("RESPOND PREFIX=tip: MSG=hi").output, std::vector<std::string>{"tip: hi"});
  EXPECT_EQ(run("RESPOND TYPE=loud MSG=x").error,
            "RESPOND TYPE 'loud' is invalid. Must be one of 'echo', 'command', or 'error'");
}

// Two objects, three layers each, absolute extrusion as slicers write it; object B is excluded from inside
// the file after its first layer (deterministic whatever the machine's load).
std::string two_objects() {
  std::string text = "EXCLUDE_OBJECT_DEFINE NAME=a CENTER=25,25 POLYGON=[[20,20],[30,20],[30,30]]\n"
                     "EXCLUDE_OBJECT_DEFINE NAME=b CENTER=65,25\nG28\nG90\nM82\nG92 E0\n";
  double e = 0;
  for (int layer = 1; layer <= 3; ++layer) {
    text += fmt::format("G1 Z{:.1f} F600\n", 0.3 * layer);
    for (const auto& [name, x] : {std::pair{"a", 20}, std::pair{"b", 60}}) {
      text += fmt::format("EXCLUDE_OBJECT_START NAME={}\nG1 X{} Y20 F6000\n", name, x);
      for (const auto& [dx, dy] : {std::pair{10, 0}, std::pair{10, 10}, std::pair{0, 10}}) {
        e += 0.5;
        text += fmt::format("G1 X{} Y{} E{:.1f}\n", x + dx, 20 + dy, e);
      }
      text += fmt::format("EXCLUDE_OBJECT_END NAME={}\n", name);
    }
    if (layer == 1) text += "EXCLUDE_OBJECT NAME=b\n";
  }
  return text + "G1 X100 Y100 F6000\n";
}

TEST_F(ControllerExtrasTest, AnExcludedObjectIsNotPrintedAndNoExtrusionIsLost) {
  ready_with("[exclude_object]\n");
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + write("objects.gcode", two_objects())).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "complete")) << status("print_stats").dump() << log_;
  // Layer 1: both objects (6 x 0.5 mm); layers 2 and 3: object A only (6 x 0.5 mm).
  EXPECT_NEAR(status("print_stats")["filament_used"].get<double>(), 6.0, 1e-6);
  EXPECT_NEAR(position(3), 6.0, 1e-9);
  EXPECT_NEAR(position(2), 0.9, 1e-9);
  const Json objects = status("exclude_object");
  EXPECT_EQ(objects["excluded_objects"], Json::array({"B"}));
  EXPECT_EQ(objects["objects"][0], Json::parse(R"({"name": "A", "center": [25.0, 25.0],
                                                    "polygon": [[20, 20], [30, 20], [30, 30]]})"));
  EXPECT_EQ(objects["objects"][1]["name"], "B");
  EXPECT_EQ(objects["current_object"], nullptr);
  const ScriptOutcome listed = run("EXCLUDE_OBJECT LIST=1");
  EXPECT_EQ(listed.output, (std::vector<std::string>{"// Known objects: A B", "// Excluded objects: B"}));
}

}  // namespace
}  // namespace rtstep::machine

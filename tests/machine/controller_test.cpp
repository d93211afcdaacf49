// machine::Controller driven without the command line: console scripts, status objects, print jobs with
// pause/resume/cancel, shutdown and FIRMWARE_RESTART, the bounded lead. Real clock, real executor thread,
// sim backend; the lateness guards are off (tests/data/serve-test.cfg), as a stall of a loaded test machine
// is not what these tests check. Every print's steps are counted against the plan by the controller itself:
// a print that ends in "complete" had them all.

#include "controller_fixture.hpp"

namespace rtstep::machine {
namespace {

TEST_F(ControllerTest, HomesMovesAndReportsTheToolhead) {
  ready();
  EXPECT_EQ(status("toolhead")["homed_axes"], "");
  EXPECT_TRUE(run("G28").ok);
  const ScriptOutcome moved = run("G1 X10 Y20 F6000\nM400");
  ASSERT_TRUE(moved.ok) << moved.error;
  const Json toolhead = status("toolhead");
  EXPECT_EQ(toolhead["homed_axes"], "xyz");
  EXPECT_EQ(toolhead["position"], Json::array({10.0, 20.0, 0.0, 0.0}));
  EXPECT_EQ(toolhead["axis_maximum"][0], 235.0);
  EXPECT_EQ(status("gcode_move")["gcode_position"], Json::array({10.0, 20.0, 0.0, 0.0}));
  const ScriptOutcome m114 = run("M114");
  ASSERT_EQ(m114.output.size(), 1U);
  EXPECT_EQ(m114.output[0].rfind("X:10.000 Y:20.000 Z:0.000", 0), 0U) << m114.output[0];
}

TEST_F(ControllerTest, AConsoleErrorChangesNothing) {
  ready();
  ASSERT_TRUE(run("G28\nG1 X5 Y5 F6000").ok);
  const ScriptOutcome bad = run("G1 X1000\nG1 X7");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("move out of range: X=1000.000 (max 235.000)"), std::string::npos) << bad.error;
  EXPECT_EQ(status("toolhead")["position"][0], 5.0);  // neither the bad line nor the one after it ran
  const ScriptOutcome garbled = run("G1 X1.2.3");
  EXPECT_FALSE(garbled.ok);
  EXPECT_NE(garbled.error.find("console:1:"), std::string::npos) << garbled.error;
  const ScriptOutcome unknown = run("NO_SUCH_COMMAND A=1");
  EXPECT_TRUE(unknown.ok);
  EXPECT_EQ(unknown.output, std::vector<std::string>{"// Unknown command:\"NO_SUCH_COMMAND\""});
  EXPECT_EQ(status("webhooks")["state"], "ready");
}

TEST_F(ControllerTest, ReportsTemperaturesAndRefusesColdExtrusion) {
  // The example's own min_extrude_temp (Klipper's default, 170 C).
  const std::string cold_config = (sdcard_ / "cold.cfg").string();
  std::ofstream(cold_config) << "[include " RTSTEP_SOURCE_DIR "/examples/printer.cfg]\n[rt]\nmax_lateness: 0\nmax_bunch: 0\n";
  start(cold_config);
  ASSERT_TRUE(reaches("webhooks", "state", "ready")) << log_;
  const ScriptOutcome m105 = run("M104 S60\nM140 S40\nM105");
  ASSERT_TRUE(m105.ok) << m105.error;
  EXPECT_TRUE(m105.ack.rfind("T:", 0) == 0 && m105.ack.find(" /60.0 B:") != std::string::npos &&
              m105.ack.find(" /40.0") != std::string::npos)
      << m105.ack;
  EXPECT_EQ(status("extruder")["target"], 60.0);
  EXPECT_EQ(status("heater_bed")["target"], 40.0);
  const ScriptOutcome cold = run("G28\nG1 E5 F300");
  EXPECT_FALSE(cold.ok);
  EXPECT_NE(cold.error.find("Extrude below minimum temp"), std::string::npos) << cold.error;
  EXPECT_TRUE(run("TURN_OFF_HEATERS").ok);
  EXPECT_EQ(status("extruder")["target"], 0.0);
  EXPECT_TRUE(run("M115").ack.rfind("FIRMWARE_NAME:rtstep", 0) == 0);
}

TEST_F(ControllerTest, PrintsAFileToTheEndWithEveryStep) {
  ready();
  const std::string file = write("part.gcode", squares(5));
  ASSERT_TRUE(run("M20").ok);
  EXPECT_EQ(run("M20").output, (std::vector<std::string>{"Begin file list",
                                                         "part.gcode " + std::to_string(squares(5).size()),
                                                         "End file list"}));
  const ScriptOutcome started = run("SDCARD_PRINT_FILE FILENAME=\"" + file + "\"");
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(reaches("print_stats", "state", "complete")) << status("print_stats").dump() << log_;
  const Json stats = status("print_stats");
  EXPECT_EQ(stats["message"], "");
  EXPECT_EQ(stats["filename"], "part.gcode");
  EXPECT_NEAR(stats["filament_used"].get<double>(), 10.0, 1e-6);  // 20 moves of 0.5 mm
  EXPECT_EQ(status("virtual_sdcard")["progress"], 1.0);
  EXPECT_EQ(status("toolhead")["position"][0], 10.0);
  EXPECT_EQ(run("M27").output, std::vector<std::string>{"Not SD printing."});
}

TEST_F(ControllerTest, PausesAndResumesWhereThePrintStopped) {
  ready();
  // PAUSE inside the file (as a filament-change macro does): deterministic, whatever the machine's load.
  const std::string file = write("pause.gcode", squares(2) + "G1 X50 Y60 F6000\nPAUSE\nG1 X60 Y60\n");
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + file).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "paused")) << status("print_stats").dump();
  EXPECT_EQ(status("pause_resume")["is_paused"], true);
  // While paused the console moves the head away (where PAUSE stopped it depends on what was sent by then:
  // the moves read but not made are made after RESUME); a console error does not end the print.
  ASSERT_TRUE(run("G91\nG1 Z5 F600\nG90").ok);
  EXPECT_FALSE(run("G1 X5000").ok);
  EXPECT_EQ(status("print_stats")["state"], "paused");
  EXPECT_EQ(run("PAUSE").error, "Print already paused");
  const ScriptOutcome resumed = run("RESUME");
  ASSERT_TRUE(resumed.ok) << resumed.error;
  ASSERT_TRUE(reaches("print_stats", "state", "complete")) << status("print_stats").dump() << log_;
  EXPECT_EQ(status("print_stats")["message"], "");
  EXPECT_EQ(status("toolhead")["position"][0], 60.0);
  EXPECT_NEAR(status("toolhead")["position"][2].get<double>(), 0.3, 1e-9);  // back down from the console's lift
  EXPECT_NEAR(status("print_stats")["filament_used"].get<double>(), 4.0, 1e-9);  // every move made once
  EXPECT_EQ(status("gcode_move")["absolute_coordinates"], true);  // the file's G90, restored by RESUME
  EXPECT_EQ(run("RESUME").error, "Print is not paused, resume aborted");
}

TEST_F(ControllerTest, CancelsAPausedPrint) {
  ready();
  const std::string file = write("cancel.gcode", squares(1) + "PAUSE\n" + squares(3));
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + file).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "paused"));
  ASSERT_TRUE(run("CANCEL_PRINT").ok);
  EXPECT_EQ(status("print_stats")["state"], "cancelled");
  EXPECT_EQ(status("pause_resume")["is_paused"], false);
  EXPECT_EQ(status("virtual_sdcard")["is_active"], false);
  // The machine is still ready for the next job.
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + write("next.gcode", squares(1))).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "complete")) << status("print_stats").dump();
}

TEST_F(ControllerTest, RefusesBadJobCommands) {
  ready();
  EXPECT_NE(run("SDCARD_PRINT_FILE FILENAME=missing.gcode").error.find("Unable to open file \"missing.gcode\""),
            std::string::npos);
  EXPECT_NE(run("SDCARD_PRINT_FILE FILENAME=../etc/passwd").error.find("not a file of the virtual_sdcard folder"),
            std::string::npos);
  EXPECT_EQ(run("SDCARD_PRINT_FILE").error, "Error on 'SDCARD_PRINT_FILE': missing FILENAME");
  EXPECT_EQ(run("RESUME").error, "Print is not paused, resume aborted");
  EXPECT_NE(run("SDCARD_PRINT_FILE FILENAME=\"unclosed").error.find("quote"), std::string::npos);
  EXPECT_EQ(status("print_stats")["state"], "standby");
}

TEST_F(ControllerTest, AFileCutShortFailsTheJobCleanly) {
  ready();
  std::string long_file = squares(400);
  const std::string file = write("cut.gcode", long_file);
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + file).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "printing"));
  std::filesystem::resize_file(sdcard_ / file, 100);
  ASSERT_TRUE(reaches("print_stats", "state", "error")) << status("print_stats").dump();
  EXPECT_NE(status("print_stats")["message"].get<std::string>().find("cut short"), std::string::npos);
  EXPECT_EQ(status("webhooks")["state"], "ready");  // the job failed, not the machine
  EXPECT_TRUE(run("G28\nG1 X1 F6000").ok);
}

TEST_F(ControllerTest, EmergencyStopShutsDownAndFirmwareRestartRecovers) {
  ready();
  ASSERT_TRUE(run("G28\nM104 S60").ok);
  ASSERT_TRUE(run("M112").ok);
  ASSERT_TRUE(reaches("webhooks", "state", "shutdown"));
  const std::string message = status("webhooks")["state_message"];
  EXPECT_EQ(message.rfind("Shutdown due to M112 command", 0), 0U) << message;
  EXPECT_EQ(status("extruder")["target"], 0.0);  // every heater off
  const ScriptOutcome refused = run("G1 X10");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.error, message);
  EXPECT_TRUE(run("STATUS").ok);
  ASSERT_TRUE(run("FIRMWARE_RESTART").ok);
  EXPECT_EQ(status("webhooks")["state"], "ready");
  EXPECT_EQ(status("toolhead")["homed_axes"], "");
  EXPECT_TRUE(run("G28\nG1 X10 F6000\nM400").ok);
}

TEST_F(ControllerTest, EmergencyStopFromAnyThreadEndsAPrint) {
  ready();
  ASSERT_TRUE(run("SDCARD_PRINT_FILE FILENAME=" + write("long.gcode", squares(400))).ok);
  ASSERT_TRUE(reaches("print_stats", "state", "printing"));
  controller_->emergency_stop("emergency_stop");
  ASSERT_TRUE(reaches("webhooks", "state", "shutdown"));
  EXPECT_EQ(status("print_stats")["state"], "error");
}

TEST_F(ControllerTest, ABadConfigLeavesTheControllerInErrorUntilRestart) {
  const std::string bad = (sdcard_ / "bad.cfg").string();
  std::ofstream(bad) << "[printer]\nkinematics: cartesian\n";
  start(bad);
  ASSERT_TRUE(reaches("webhooks", "state", "error"));
  EXPECT_NE(status("webhooks")["state_message"].get<std::string>().find("bad.cfg"), std::string::npos);
  EXPECT_FALSE(run("G28").ok);
}

}  // namespace
}  // namespace rtstep::machine

// load_thermal: Klipper's keys and defaults, and errors that name file, line, section and key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "thermal_test_util.hpp"

namespace rtstep::thermal::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ThermalConfig, BaseConfigWithKlippersDefaults) {
  const ThermalConfig c = load_ok(kBaseConfig);
  ASSERT_EQ(c.heaters.size(), 2u);
  const HeaterConfig& e = c.heaters[0];
  EXPECT_EQ(e.name, "extruder");
  EXPECT_TRUE(e.is_extruder);
  EXPECT_EQ(e.heater_pin.name, "PA1");
  EXPECT_EQ(e.sensor.sensor_type, "EPCOS 100K B57560G104F");
  EXPECT_EQ(e.sensor.pin.name, "PC5");
  EXPECT_EQ(e.sensor.pullup_resistor, 4700);
  EXPECT_EQ(e.control, ControlKind::pid);
  EXPECT_EQ(e.pid.kp, 21.527);
  EXPECT_EQ(e.pid.ki, 1.063);
  EXPECT_EQ(e.pid.kd, 108.982);
  EXPECT_EQ(e.max_power, 1.0);
  EXPECT_EQ(e.smooth_time, 1.0);
  EXPECT_EQ(e.pwm_cycle_time, 0.1);
  EXPECT_EQ(e.max_duration, 3.0);
  EXPECT_EQ(e.min_extrude_temp, 170.0);
  EXPECT_EQ(e.verify.hysteresis, 5.0);
  EXPECT_EQ(e.verify.max_error, 120.0);
  EXPECT_EQ(e.verify.heating_gain, 2.0);
  EXPECT_EQ(e.verify.check_gain_time, 20.0);
  const HeaterConfig& b = c.heaters[1];
  EXPECT_FALSE(b.is_extruder);
  EXPECT_EQ(b.control, ControlKind::watermark);
  EXPECT_EQ(b.max_delta, 2.0);
  EXPECT_EQ(b.verify.check_gain_time, 60.0);  // Klipper's bed default
  ASSERT_EQ(c.fans.size(), 1u);
  EXPECT_EQ(c.fans[0].cycle_time, 0.010);
  EXPECT_EQ(c.fans[0].kick_start_time, 0.1);
  EXPECT_EQ(c.fans[0].shutdown_speed, 0.0);
}

TEST(ThermalConfig, EverySection) {
  const ThermalConfig c = load_ok(std::string(kBaseConfig) +
                                  "[thermistor My NTC]\n"
                                  "temperature1: 250\nresistance1: 230\n"
                                  "temperature2: 25\nresistance2: 100000\n"
                                  "temperature3: 150\nresistance3: 1770\n"
                                  "[heater_generic chamber]\n"
                                  "heater_pin: pwmchip0/pwm1\nsensor_type: my ntc\nsensor_pin: analog2\n"
                                  "pullup_resistor: 10000\ninline_resistor: 50\n"
                                  "control: watermark\nmax_delta: 1\nmin_temp: -10\nmax_temp: 70\nmax_power: 0.5\n"
                                  "gcode_id: C\n"
                                  "[verify_heater chamber]\nmax_error: 300\ncheck_gain_time: 120\n"
                                  "[temperature_sensor raspberry_pi]\nsensor_type: temperature_host\nmax_temp: 85\n"
                                  "[temperature_sensor pt]\nsensor_type: PT1000\nsensor_pin: analog3\n"
                                  "pullup_resistor: 4400\n"
                                  "[heater_fan hotend_fan]\npin: PB1\nheater_temp: 45\n"
                                  "[controller_fan board]\npin: PB2\nidle_speed: 0.3\nidle_timeout: 60\n"
                                  "stepper: stepper_x, stepper_y\nheater: extruder, heater_bed\n"
                                  "[fan_generic aux]\npin: PB3\noff_below: 0.2\nmax_power: 0.8\n"
                                  "tachometer_pin: PB4\n"
                                  "[sim_heater extruder]\nheater_power: 50\nnoise: 0\nfault: sensor_open\n"
                                  "fault_time: 12.5\nseed: 7\n");
  ASSERT_EQ(c.heaters.size(), 3u);
  const HeaterConfig& ch = c.heaters[2];
  EXPECT_EQ(ch.name, "heater_generic chamber");
  EXPECT_EQ(ch.short_name, "chamber");
  EXPECT_EQ(ch.sensor.sensor_type, "my ntc");
  EXPECT_EQ(ch.sensor.thermistor.t1, 25);  // sorted by temperature, as Klipper
  EXPECT_EQ(ch.sensor.thermistor.r3, 230);
  EXPECT_EQ(ch.sensor.pullup_resistor, 10000);
  EXPECT_EQ(ch.sensor.inline_resistor, 50);
  EXPECT_EQ(ch.max_power, 0.5);
  EXPECT_EQ(ch.verify.max_error, 300);
  EXPECT_EQ(ch.verify.check_gain_time, 120);
  EXPECT_EQ(ch.verify.hysteresis, 5);
  ASSERT_EQ(c.sensors.size(), 2u);
  EXPECT_EQ(c.sensors[0].name, "temperature_sensor raspberry_pi");
  EXPECT_EQ(c.sensors[0].sensor.kind, SensorKind::host);
  EXPECT_EQ(c.sensors[0].sensor.report_time, 1.0);
  EXPECT_EQ(c.sensors[0].sensor.sensor_path, "/sys/class/thermal/thermal_zone0/temp");
  EXPECT_EQ(c.sensors[0].max_temp, 85);
  EXPECT_EQ(c.sensors[1].sensor.kind, SensorKind::pt1000);
  EXPECT_EQ(c.sensors[1].min_temp, -273.15);
  ASSERT_EQ(c.fans.size(), 4u);
  EXPECT_EQ(c.fans[1].kind, FanKind::heater_fan);
  EXPECT_EQ(c.fans[1].shutdown_speed, 1.0);  // heater_fan default
  EXPECT_EQ(c.fans[1].heaters, std::vector<std::string>{"extruder"});
  EXPECT_EQ(c.fans[1].heater_temp, 45);
  EXPECT_EQ(c.fans[2].kind, FanKind::controller_fan);
  EXPECT_EQ(c.fans[2].idle_speed, 0.3);
  EXPECT_EQ(c.fans[2].idle_timeout, 60);
  EXPECT_EQ(c.fans[2].steppers, (std::vector<std::string>{"stepper_x", "stepper_y"}));
  EXPECT_EQ(c.fans[2].heaters, (std::vector<std::string>{"extruder", "heater_bed"}));
  EXPECT_EQ(c.fans[3].off_below, 0.2);
  ASSERT_EQ(c.sim_heaters.size(), 1u);
  EXPECT_EQ(c.sim_heaters[0].heater_power, 50);
  EXPECT_EQ(c.sim_heaters[0].heat_capacity, 12);  // default kept
  EXPECT_EQ(c.sim_heaters[0].fault, SimFault::sensor_open);
  EXPECT_EQ(c.sim_heaters[0].fault_time, 12.5);
  EXPECT_EQ(c.sim_heaters[0].seed, 7u);
  EXPECT_EQ(c.ignored_keys, (std::vector<std::string>{"[fan_generic aux] tachometer_pin"}));
  EXPECT_EQ(c.heaters[0].gcode_id, "T0");
  EXPECT_EQ(c.heaters[1].gcode_id, "B");
  EXPECT_EQ(ch.gcode_id, "C");
  EXPECT_TRUE(ThermalSystem::create(c).ok());
}

TEST(ThermalConfig, ExtruderWithoutHeaterKeysHasNoHeater) {
  const ThermalConfig c = load_ok("[extruder]\nstep_pin: PB3\nrotation_distance: 33.5\n");
  EXPECT_TRUE(c.heaters.empty());
}

TEST(ThermalConfig, ExtruderMotionKeysAreLeftAlone) {
  // Keys of [extruder] that are not heater keys are another reader's business, not an error here.
  const ThermalConfig c = load_ok(replace_once(kBaseConfig, "[extruder]\n", "[extruder]\nnozzle_diameter: 0.4\n"));
  EXPECT_EQ(c.heaters.size(), 2u);
}

TEST(ThermalConfig, SaveConfigBlockProvidesTheGains) {
  const std::string text =
      replace_once(kBaseConfig, "control: pid\npid_Kp: 21.527\npid_Ki: 1.063\npid_Kd: 108.982\n", "") +
      "\n#*# <---------------------- SAVE_CONFIG ---------------------->\n"
      "#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.\n"
      "#*#\n#*# [extruder]\n#*# control = pid\n#*# pid_kp = 27.142\n#*# pid_ki = 1.371\n"
      "#*# pid_kd = 134.347\n";
  const ThermalConfig c = load_ok(text);
  ASSERT_EQ(c.heaters.size(), 2u);
  EXPECT_EQ(c.heaters[0].pid.kp, 27.142);
  EXPECT_EQ(c.heaters[0].pid.kd, 134.347);
}

TEST(ThermalConfig, ExampleConfigLoads) {
  auto raw = config::read_raw(std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg");
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  auto c = load_thermal(raw.value());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->heaters.size(), 2u);
  EXPECT_EQ(c->fans.size(), 1u);
}

TEST(ThermalConfig, Ender3ConfigMissesTheBedControl) {
  // tests/config/data/ender3.cfg has no `control` for [heater_bed]: Klipper refuses it too.
  auto raw = config::read_raw(std::string(RTSTEP_SOURCE_DIR) + "/tests/config/data/ender3.cfg");
  ASSERT_TRUE(raw.ok());
  auto c = load_thermal(raw.value());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("ender3.cfg:"));
  EXPECT_THAT(c.error().message, HasSubstr("[heater_bed] missing required key control"));
}

TEST(ThermalConfigErrors, NameFileLineSectionAndKey) {
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 130\n", "max_temp: hot\n")),
            "printer.cfg:18: [heater_bed] max_temp: expected a number > 0, got \"hot\"");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "control: watermark\n", "\n")),
            "printer.cfg:12: [heater_bed] missing required key control");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "control: watermark\n", "control: fuzzy\n")),
            "printer.cfg:16: [heater_bed] control: expected pid or watermark, got \"fuzzy\"");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "pid_Kd: 108.982\n", "\n")),
            "printer.cfg:1: [extruder] missing required key pid_kd");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "heater_pin: PA1\n", "heater_pin: P A1\n")).substr(0, 35),
            "printer.cfg:2: [extruder] heater_pi");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 250\n", "max_temp: 250\nmax_power: 1.5\n")),
            "printer.cfg:11: [extruder] max_power: expected a number in (0, 1], got \"1.5\"");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 250\n", "max_temp: 250\npwm_cycle_time: 0.5\n")),
            "printer.cfg:11: [extruder] pwm_cycle_time: expected a number in [1e-04, 0.3], got \"0.5\"");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 250\n", "max_temp: 250\npwm_cycle_time: 0.00005\n")),
            "printer.cfg:11: [extruder] pwm_cycle_time: expected a number in [1e-04, 0.3], got \"0.00005\"");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 250\n", "max_temp: 250\nmin_extrude_temp: 300\n")),
            "printer.cfg:11: [extruder] min_extrude_temp: expected a number in [0, 250], got \"300\"");
}

TEST(ThermalConfigErrors, SensorTypes) {
  EXPECT_THAT(error_of(replace_once(kBaseConfig, "Generic 3950", "Generic 3951")),
              StartsWith("printer.cfg:14: [heater_bed] sensor_type: Unknown temperature sensor 'Generic 3951' "
                         "(rtstep knows ATC Semitec 104GT-2, "));
  EXPECT_THAT(error_of(replace_once(kBaseConfig, "Generic 3950", "MAX31865")),
              StartsWith("printer.cfg:14: [heater_bed] sensor_type: 'MAX31865' is not supported by rtstep"));
  // Case does not matter (section names are lower-cased by the reader).
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "Generic 3950", "generic 3950")), "<ok>");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "sensor_pin: PC4\n", "\n")),
            "printer.cfg:12: [heater_bed] missing required key sensor_pin");
}

TEST(ThermalConfigErrors, UnknownKeysAndSections) {
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "speedy: 1\n"),
            "printer.cfg:22: [fan] speedy: unknown key in this section");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 130\n", "max_temp: 130\npid_kq: 1\n")),
            "printer.cfg:19: [heater_bed] pid_kq: unknown key in this section");
  EXPECT_EQ(error_of(replace_once(kBaseConfig, "max_temp: 130\n", "max_temp: 130\npid_Kp: 1\n")),
            "printer.cfg:19: [heater_bed] pid_kp: is only used with control: pid (this heater has control: watermark)");
  EXPECT_EQ(
      error_of(replace_once(kBaseConfig, "max_temp: 250\n", "max_temp: 250\nmax_delta: 3\n")),
      "printer.cfg:11: [extruder] max_delta: is only used with control: watermark (this heater has control: pid)");
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[verify_heater nozzle]\n"),
            "printer.cfg:22: [verify_heater nozzle] Unknown heater 'nozzle'");
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[sim_heater nozzle]\n"),
            "printer.cfg:22: [sim_heater nozzle] Unknown heater 'nozzle'");
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[heater_fan]\npin: PB1\n"),
            "printer.cfg:22: [heater_fan] needs a name: [heater_fan NAME]");
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[heater_generic heater_bed]\n"),
            "printer.cfg:22: [heater_generic heater_bed] Heater heater_bed already registered");
}

TEST(ThermalConfigErrors, Thermistor) {
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[thermistor x]\ntemperature1: 25\nresistance1: 100000\n"),
            "printer.cfg:22: [thermistor x] missing required key temperature2");
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[thermistor x]\ntemperature1: 25\nresistance1: -5\nbeta: 3950\n"),
            "printer.cfg:24: [thermistor x] resistance1: expected a number > 0, got \"-5\"");
}

TEST(ThermalConfigErrors, SimHeater) {
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[sim_heater extruder]\nfault: melted\n"),
            "printer.cfg:23: [sim_heater extruder] fault: expected none, heater_disconnected, sensor_open, "
            "sensor_shorted or heater_stuck_on, got \"melted\"");
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[sim_heater extruder]\nheat_capacity: 0\n"),
            "printer.cfg:23: [sim_heater extruder] heat_capacity: expected a number > 0, got \"0\"");
}

TEST(ThermalConfigErrors, FanNamingAnUnknownHeater) {
  EXPECT_EQ(error_of(std::string(kBaseConfig) + "[heater_fan h]\npin: PB1\nheater: extruder, nozzle\n"),
            "printer.cfg:24: [heater_fan h] heater: Unknown heater 'nozzle'");
  // A heater_fan watches the extruder by default: without one, that is the error.
  EXPECT_EQ(error_of("[heater_fan h]\npin: PB1\n"), "printer.cfg:1: [heater_fan h] heater: Unknown heater 'extruder'");
}

}  // namespace
}  // namespace rtstep::thermal::testing

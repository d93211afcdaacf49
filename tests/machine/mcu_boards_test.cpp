// Which pins name a board ([mcu], [mcu NAME]) and which steppers McuBoards sends there, from printer.cfg text;
// the errors for a stepper split between boards and a board without a serial port; which heater, fan and sensor
// pins ThermalLink hands to the boards. (Driving the boards is tested against rtstep-mcu-sim in
// tests/mcu/run_on_board_test.cpp and tests/mcu/heater_on_board_test.cpp.)

#include "machine/mcu_boards.hpp"

#include <gtest/gtest.h>

#include "machine/thermal_link.hpp"

namespace rtstep::machine {
namespace {

const std::string kToolboardY = "step_pin: toolboard:PB3\ndir_pin: toolboard:PB4\n";

// Two lines of pins for X and for Y; `more` at the end (line 31 on).
std::string printer(const std::string& x_pins, const std::string& y_pins = kToolboardY, const std::string& more = "") {
  return "[printer]\nkinematics: cartesian\nmax_velocity: 200\nmax_accel: 3000\n"
         "[stepper_x]\n" + x_pins + "microsteps: 16\nrotation_distance: 40\nposition_endstop: 0\nposition_max: 200\n"
         "[stepper_y]\n" + y_pins + "microsteps: 16\nrotation_distance: 40\n"
         "position_endstop: 0\nposition_max: 200\n"
         "[stepper_z]\nstep_pin: gpio20\ndir_pin: gpiochip0/gpio21\nmicrosteps: 16\nrotation_distance: 8\n"
         "position_endstop: 0\nposition_max: 100\n"
         "[mcu]\nserial: /dev/serial/by-id/usb-Klipper_main\n[mcu toolboard]\nserial: /dev/ttyUSB_Tool\nbaud: 115200\n" +
         more;
}

config::MachineConfig load(const std::string& text) {
  auto raw = config::parse_raw(text, "printer.cfg");
  EXPECT_TRUE(raw.ok()) << raw.error().message;
  auto machine = config::interpret(*raw, "printer.cfg");
  EXPECT_TRUE(machine.ok()) << machine.error().message;
  return std::move(machine).value();
}

TEST(McuConfig, BoardSectionsAreReadWithTheirSerialAndBaud) {
  const config::MachineConfig m = load(printer("step_pin: PA0\ndir_pin: PA1\n"));
  ASSERT_EQ(m.mcus.size(), 2u);
  EXPECT_EQ(m.mcus[0].name, "mcu");
  EXPECT_EQ(m.mcus[0].serial, "/dev/serial/by-id/usb-Klipper_main");
  EXPECT_EQ(m.mcus[0].baud, 250000u);
  EXPECT_EQ(m.mcus[1].name, "toolboard");
  EXPECT_EQ(m.mcus[1].serial, "/dev/ttyUSB_Tool");  // a path keeps its case
  EXPECT_EQ(m.mcus[1].baud, 115200u);
  EXPECT_EQ(m.mcus[1].where, "printer.cfg:28");
}

TEST(McuConfig, PinsNameTheirBoardAsKlipperDoes) {
  const config::MachineConfig m = load(printer("step_pin: PA0\ndir_pin: PA1\n"));
  const auto on = [&](const std::string& name) { return config::board_pin(m.mcus, config::PinConfig{name}); };
  ASSERT_TRUE(on("PA2"));
  EXPECT_EQ(on("PA2")->mcu, 0u);
  EXPECT_EQ(on("PA2")->pin, "PA2");
  EXPECT_EQ(on("mcu:PA2")->pin, "PA2");
  ASSERT_TRUE(on("toolboard:PB5"));
  EXPECT_EQ(on("toolboard:PB5")->mcu, 1u);
  EXPECT_EQ(on("ToolBoard:PB5")->pin, "PB5");
  // This computer's lines, and a chip prefix naming no board, stay local.
  EXPECT_FALSE(on("gpio17"));
  EXPECT_FALSE(on("gpiochip0/gpio17"));
  EXPECT_FALSE(on("rpi:gpio20"));
  // Without any [mcu], every pin is local (a label on the sim backend).
  EXPECT_FALSE(config::board_pin({}, config::PinConfig{"PA2"}));
}

TEST(McuConfig, AnUnknownRestartMethodIsRefusedWithItsKey) {
  auto raw = config::parse_raw(printer("step_pin: PA0\ndir_pin: PA1\n", kToolboardY, "[mcu extra]\nserial: /dev/x\nrestart_method: reboot\n"),
                               "printer.cfg");
  ASSERT_TRUE(raw.ok());
  auto machine = config::interpret(*raw, "printer.cfg");
  ASSERT_FALSE(machine.ok());
  EXPECT_EQ(machine.error().message,
            "printer.cfg:33: [mcu extra] restart_method: expected one of command, arduino, cheetah, rpi_usb, got \"reboot\"");
}

TEST(McuBoards, StepperRoutesFollowTheirStepPins) {
  const config::MachineConfig m = load(printer("step_pin: mcu:PA0\ndir_pin: !PA1\nenable_pin: !PA2\n"));
  auto boards = McuBoards::plan(m, {});
  ASSERT_TRUE(boards.ok()) << boards.error().message;
  ASSERT_TRUE(*boards);
  EXPECT_EQ((*boards)->board_of(0), "mcu");
  EXPECT_EQ((*boards)->board_of(1), "toolboard");
  EXPECT_EQ((*boards)->board_of(2), "");
  EXPECT_EQ((*boards)->board_names(), (std::vector<std::string>{"mcu", "toolboard"}));
  // Segments of a local stepper stay on the ring.
  ipc::StepSegment z{1'000'000'000, 100'000, 0, 10, 2, 1, 0};
  auto taken = (*boards)->divert(ipc::Record::of(z));
  ASSERT_TRUE(taken.ok());
  EXPECT_FALSE(*taken);
}

TEST(McuBoards, NoStepperOnABoardMeansNoBoards) {
  auto boards = McuBoards::plan(load(printer("step_pin: gpio5\ndir_pin: gpio6\n", "step_pin: gpio7\ndir_pin: gpio8\n")), {});
  ASSERT_TRUE(boards.ok()) << boards.error().message;
  EXPECT_FALSE(*boards);
}

TEST(McuBoards, AStepperSplitBetweenBoardsIsRefused) {
  auto split = McuBoards::plan(load(printer("step_pin: PA0\ndir_pin: toolboard:PA1\n")), {});
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.error().message,
            "printer.cfg: [stepper_x] dir_pin: toolboard:PA1 is on MCU 'toolboard', its step_pin PA0 on MCU 'mcu': "
            "both must be on one board");
  auto half_local = McuBoards::plan(load(printer("step_pin: PA0\ndir_pin: gpio4\n")), {});
  ASSERT_FALSE(half_local.ok());
  EXPECT_EQ(half_local.error().message,
            "printer.cfg: [stepper_x] dir_pin: gpio4 is on this computer, its step_pin PA0 on MCU 'mcu': both must be "
            "on one board");
}

TEST(McuBoards, ABoardWithoutASerialPortIsRefused) {
  std::string text = printer("step_pin: PA0\ndir_pin: PA1\n");
  text.replace(text.find("serial: /dev/ttyUSB_Tool"), 24, "canbus_uuid: 11aa22bb33cc");
  auto boards = McuBoards::plan(load(text), {});
  ASSERT_FALSE(boards.ok());
  EXPECT_EQ(boards.error().message,
            "printer.cfg:28: [mcu toolboard] has no serial: rtstep reaches a board through its serial port (CAN is "
            "not supported)");
}

}  // namespace
}  // namespace rtstep::machine

namespace rtstep::machine {
namespace {

// The steppers on this computer; a bed and two fans on the boards, a thermistor through the Pi's IIO.
const std::string kHeatersOnBoards =
    "[heater_bed]\nheater_pin: PA3\nsensor_type: EPCOS 100K B57560G104F\nsensor_pin: PC5\ncontrol: watermark\n"
    "min_temp: 0\nmax_temp: 130\n"
    "[fan]\npin: toolboard:PB6\nhardware_pwm: True\n"
    "[heater_fan hotend_fan]\npin: PA8\nheater: heater_bed\n"
    "[fan_generic local]\npin: gpio12\n"
    "[temperature_sensor chamber]\nsensor_type: EPCOS 100K B57560G104F\nsensor_pin: analog2\n"
    "[temperature_sensor board]\nsensor_type: EPCOS 100K B57560G104F\nsensor_pin: toolboard:PA7\n";

struct Loaded {
  config::RawConfig raw;
  config::MachineConfig machine;
};

Loaded load_raw(const std::string& text) {
  auto raw = config::parse_raw(text, "printer.cfg");
  EXPECT_TRUE(raw.ok()) << raw.error().message;
  auto machine = config::interpret(*raw, "printer.cfg");
  EXPECT_TRUE(machine.ok()) << machine.error().message;
  return {std::move(*raw), std::move(machine).value()};
}

TEST(McuBoards, HeaterFanAndSensorPinsOnABoardAreTheBoards) {
  const Loaded l = load_raw(printer("step_pin: gpio5\ndir_pin: gpio6\n", "step_pin: gpio7\ndir_pin: gpio8\n", kHeatersOnBoards));
  auto thermal = ThermalLink::create(l.raw, true, 0, l.machine.mcus);
  ASSERT_TRUE(thermal.ok()) << thermal.error().message;
  const BoardThermalPins& pins = (*thermal)->board_pins();
  // Outputs: the bed (output 0), [fan] (1) and the heater_fan (2) on boards; fan_generic (3) on gpio12.
  ASSERT_EQ(pins.outputs.size(), 3u);
  EXPECT_EQ(pins.outputs[0].output, 0u);
  EXPECT_EQ(pins.outputs[0].spec.name, "heater_bed");
  EXPECT_EQ(pins.outputs[0].spec.max_duration_ns, 3'000'000'000);
  EXPECT_EQ(pins.outputs[0].spec.cycle_ns, 100'000'000);
  EXPECT_EQ(pins.outputs[0].spec.shutdown_value, 0.0);
  EXPECT_EQ(pins.outputs[1].pin.name, "toolboard:PB6");
  EXPECT_EQ(pins.outputs[1].spec.max_duration_ns, 0);
  EXPECT_EQ(pins.outputs[1].spec.cycle_ns, 10'000'000);
  EXPECT_TRUE(pins.outputs[1].spec.hardware_pwm) << "config_pwm_out where the firmware has it";
  EXPECT_EQ(pins.outputs[2].spec.name, "heater_fan hotend_fan");
  EXPECT_EQ(pins.outputs[2].spec.shutdown_value, 1.0) << "a heater_fan runs when its board shuts down";
  // Only the local fan is left for the executor.
  ASSERT_EQ((*thermal)->soft_pwm_outputs().size(), 1u);
  EXPECT_EQ((*thermal)->soft_pwm_outputs()[0].pin.name, "gpio12");
  // Sensors: the bed's thermistor on the board, range-checked between the ADC values of 130 C and 0 C (an NTC:
  // hotter reads lower); the chamber's IIO channel stays here; the board's own sensor is sensor 2.
  ASSERT_EQ(pins.sensors.size(), 2u);
  EXPECT_EQ(pins.sensors[1].sensor, 2u);
  EXPECT_EQ(pins.sensors[1].spec.name, "temperature_sensor board");
  EXPECT_EQ(pins.sensors[1].pin.name, "toolboard:PA7");
  EXPECT_EQ(pins.sensors[0].sensor, 0u);
  EXPECT_EQ(pins.sensors[0].spec.name, "heater_bed");
  EXPECT_EQ(pins.sensors[0].spec.sample_count, 8);
  EXPECT_EQ(pins.sensors[0].spec.sample_ns, 1'000'000);
  EXPECT_EQ(pins.sensors[0].spec.report_ns, 300'000'000);
  EXPECT_EQ(pins.sensors[0].spec.range_check_count, 4);
  const thermal::Thermistor epcos(*thermal::builtin_thermistor("EPCOS 100K B57560G104F"), 4700, 0);
  EXPECT_DOUBLE_EQ(pins.sensors[0].spec.min_value, epcos.calc_adc(130));  // about 0.37
  EXPECT_DOUBLE_EQ(pins.sensors[0].spec.max_value, epcos.calc_adc(0));    // about 0.97

  // Boards for those pins, though no stepper is on one.
  auto boards = McuBoards::plan(l.machine, {}, pins);
  ASSERT_TRUE(boards.ok()) << boards.error().message;
  ASSERT_TRUE(*boards);
  EXPECT_EQ((*boards)->board_names(), (std::vector<std::string>{"mcu", "toolboard"}));
  EXPECT_EQ((*boards)->board_of(0), "");
}

TEST(McuBoards, WithoutTheBoardsEveryThermalPinStaysHere) {
  const Loaded l = load_raw(printer("step_pin: gpio5\ndir_pin: gpio6\n", "step_pin: gpio7\ndir_pin: gpio8\n", kHeatersOnBoards));
  auto thermal = ThermalLink::create(l.raw, true, 0);  // no --mcu: MCU pins are labels on the sim backend
  ASSERT_TRUE(thermal.ok()) << thermal.error().message;
  EXPECT_TRUE((*thermal)->board_pins().empty());
  EXPECT_EQ((*thermal)->soft_pwm_outputs().size(), 3u);  // the hardware_pwm fan is left to /sys/class/pwm
}

TEST(McuBoards, AHeaterOnABoardWithoutASerialPortIsRefused) {
  std::string text = printer("step_pin: gpio5\ndir_pin: gpio6\n", "step_pin: gpio7\ndir_pin: gpio8\n", kHeatersOnBoards);
  text.replace(text.find("serial: /dev/ttyUSB_Tool"), 24, "canbus_uuid: 11aa22bb33cc");
  const Loaded l = load_raw(text);
  auto thermal = ThermalLink::create(l.raw, true, 0, l.machine.mcus);
  ASSERT_TRUE(thermal.ok()) << thermal.error().message;
  auto boards = McuBoards::plan(l.machine, {}, (*thermal)->board_pins());
  ASSERT_FALSE(boards.ok());
  EXPECT_EQ(boards.error().message,
            "printer.cfg:28: [mcu toolboard] has no serial: rtstep reaches a board through its serial port (CAN is "
            "not supported)");
}

}  // namespace
}  // namespace rtstep::machine

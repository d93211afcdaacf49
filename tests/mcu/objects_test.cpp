// objects.hpp: the configuration text an MCU gets for rtstep's objects, checked against the simulated
// firmware's dictionary; the CRC against the value Python's zlib.crc32 gives for the same text (what
// Klipper's host sends).

#include "mcu/objects.hpp"

#include <gtest/gtest.h>

#include "mcu/sim/firmware.hpp"

namespace rtstep::mcu {
namespace {

McuObjects example() {
  McuObjects o;
  o.steppers.push_back({"stepper_x", "PA0", "PA1", false, false, 2'000});
  o.digital_outs.push_back({"heater", "PC5", false, 0, 0, 3'000'000'000, 100'000'000});
  o.adcs.push_back({"thermistor", "PA3", 1'000'000, 8, 300'000'000, 1, 0, 1, 0});
  o.adcs.push_back({"bed", "PB1", 1'000'000, 8, 300'000'000, 1, 0, 1, 0});
  return o;
}

TEST(McuObjects, ConfigurationTextAndCrc) {
  const sim::SimFirmware fw({});
  const auto plan = build_config(fw.dictionary(), example());
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const std::vector<std::string> expected = {
      "allocate_oids count=4",
      "config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=144",
      "config_digital_out oid=1 pin=PC5 value=0 default_value=0 max_duration=216000000",
      "set_digital_out_pwm_cycle oid=1 cycle_ticks=7200000",
      "config_analog_in oid=2 pin=PA3",
      "config_analog_in oid=3 pin=PB1",
  };
  EXPECT_EQ(plan->commands, expected);
  EXPECT_EQ(plan->crc, 1261455242u);  // python3: zlib.crc32("\n".join(expected).encode())
  EXPECT_TRUE(plan->batched_adc);
}

TEST(McuObjects, InvertedOutputsStartAndStopAtTheInvertedLevel) {
  const sim::SimFirmware fw({});
  McuObjects o;
  o.digital_outs.push_back({"fan", "PB7", true, 0, 0, 0, 0});
  const auto plan = build_config(fw.dictionary(), o);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->commands.at(1), "config_digital_out oid=0 pin=PB7 value=1 default_value=1 max_duration=0");
}

TEST(McuObjects, AnUnknownPinNamesTheObject) {
  const sim::SimFirmware fw({});
  McuObjects o = example();
  o.steppers[0].dir_pin = "PZ9";
  const auto plan = build_config(fw.dictionary(), o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message, "stepper_x: MCU has no pin 'PZ9'");
}

TEST(McuObjects, AFirmwareWithoutAdcsIsRefusedOnlyWhenAdcsAreConfigured) {
  sim::FirmwareOptions options;
  options.omit = {"config_analog_in"};
  const sim::SimFirmware fw(options);
  McuObjects o = example();
  const auto refused = build_config(fw.dictionary(), o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("'config_analog_in'"), std::string::npos) << refused.error().message;
  o.adcs.clear();
  EXPECT_TRUE(build_config(fw.dictionary(), o).ok());
}

}  // namespace
}  // namespace rtstep::mcu

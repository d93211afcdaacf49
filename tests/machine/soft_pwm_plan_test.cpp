// The executor's soft-PWM outputs from printer.cfg's thermal sections (soft_pwm_plan), the record a thermal
// output command becomes (soft_pwm_record), and their pins in the pin plan and the executor's config.
#include "machine/executor_side.hpp"

#include <gtest/gtest.h>

#include "thermal/thermal.hpp"

namespace rtstep::machine {
namespace {

const std::string kPrinterCfg = std::string(RTSTEP_SOURCE_DIR) + "/examples/printer.cfg";

// examples/printer.cfg's thermal sections ([extruder] PA1, [heater_bed] PA2, [fan] PA0) plus `extra`.
thermal::ThermalSystem thermal_of(const std::string& extra = "") {
  auto raw = config::read_raw(kPrinterCfg);
  EXPECT_TRUE(raw.ok()) << raw.error().message;
  if (!extra.empty()) {
    auto more = config::parse_raw(extra, "extra.cfg");
    EXPECT_TRUE(more.ok()) << more.error().message;
    for (auto& section : more->sections) raw->sections.push_back(section);
  }
  auto thermal_config = thermal::load_thermal(*raw);
  EXPECT_TRUE(thermal_config.ok()) << thermal_config.error().message;
  auto system = thermal::ThermalSystem::create(*thermal_config);
  EXPECT_TRUE(system.ok()) << system.error().message;
  return std::move(*system);
}

TEST(SoftPwmPlan, HeatersThenFansWithTheirCyclesAndMaxDuration) {
  const thermal::ThermalSystem thermal = thermal_of();
  const SoftPwmPlan plan = soft_pwm_plan(thermal.outputs());
  ASSERT_EQ(plan.outputs.size(), 3U);
  EXPECT_EQ(plan.outputs[0].name, "extruder");
  EXPECT_EQ(plan.outputs[0].pin.name, "PA1");
  EXPECT_EQ(plan.outputs[0].cycle_ns, 100'000'000) << "pwm_cycle_time's default";
  EXPECT_EQ(plan.outputs[0].max_duration_ns, 3'000'000'000) << "a heater's max_duration";
  EXPECT_EQ(plan.outputs[1].name, "heater_bed");
  EXPECT_EQ(plan.outputs[2].name, "fan");
  EXPECT_EQ(plan.outputs[2].cycle_ns, 10'000'000) << "a fan's cycle_time default";
  EXPECT_EQ(plan.outputs[2].max_duration_ns, 0) << "fans never expire";
  EXPECT_EQ(plan.executor_output, (std::vector<int>{0, 1, 2}));
}

TEST(SoftPwmPlan, OnlyAFanThatRunsAtShutdownIsOnAtStop) {
  const thermal::ThermalSystem thermal = thermal_of("[heater_fan hotend_fan]\npin: PA5\nheater: extruder\n");
  const SoftPwmPlan plan = soft_pwm_plan(thermal.outputs());
  ASSERT_EQ(plan.outputs.size(), 4U);
  for (const SoftPwmOutput& out : plan.outputs) {
    EXPECT_EQ(out.on_at_stop, out.name == "heater_fan hotend_fan") << out.name;  // shutdown_speed 1 by default
  }
  auto machine = config::load(kPrinterCfg);
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  const PinPlan pins = plan_pins(*machine, plan.outputs);
  ASSERT_EQ(pins.pwm.size(), 4U);
  EXPECT_TRUE(pins.pwm[3].on_at_stop);
  EXPECT_FALSE(pins.pwm[0].on_at_stop);
}

TEST(SoftPwmPlan, HardwarePwmFansAreLeftToSysfs) {
  const thermal::ThermalSystem thermal =
      thermal_of("[fan_generic exhaust]\npin: pwmchip0/pwm1\nhardware_pwm: true\n[fan_generic chamber]\npin: PB0\n");
  const SoftPwmPlan plan = soft_pwm_plan(thermal.outputs());
  ASSERT_EQ(plan.outputs.size(), 4U);
  EXPECT_EQ(plan.outputs[3].name, "fan_generic chamber");
  EXPECT_EQ(plan.executor_output, (std::vector<int>{0, 1, 2, -1, 3}));
  thermal::OutputCommand to_exhaust{3, 5'000, 0.5};
  EXPECT_FALSE(soft_pwm_record(plan, to_exhaust, 0).has_value()) << "hardware PWM: not the executor's";
  thermal::OutputCommand to_chamber{4, 5'000, 0.5};
  const auto record = soft_pwm_record(plan, to_chamber, 0);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->pwm.output, 3);
  thermal::OutputCommand unknown{9, 5'000, 0.5};
  EXPECT_FALSE(soft_pwm_record(plan, unknown, 0).has_value());
}

TEST(SoftPwmPlan, ACommandBecomesAPwmRecordNoEarlierThanTheLastRecord) {
  const SoftPwmPlan plan = soft_pwm_plan(thermal_of().outputs());
  const auto heater = soft_pwm_record(plan, thermal::OutputCommand{0, 1'000'000, 0.3}, 4'000'000);
  ASSERT_TRUE(heater.has_value());
  EXPECT_EQ(heater->kind, ipc::RecordKind::kPwm);
  EXPECT_EQ(heater->pwm.output, 0);
  EXPECT_EQ(heater->pwm.cycle_ns, 100'000'000);
  EXPECT_EQ(heater->pwm.on_ns, 30'000'000);
  EXPECT_EQ(heater->time_ns(), 4'000'000) << "records reach the executor in time order";
  const auto fan = soft_pwm_record(plan, thermal::OutputCommand{2, 9'000'000, 1.0}, 4'000'000);
  ASSERT_TRUE(fan.has_value());
  EXPECT_EQ(fan->pwm.on_ns, fan->pwm.cycle_ns);
  EXPECT_EQ(fan->time_ns(), 9'000'000);
}

TEST(SoftPwmPlan, OutputsGetPinsAfterTheSteppersAndReachTheExecutorConfig) {
  auto machine = config::load(kPrinterCfg);
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  const SoftPwmPlan plan = soft_pwm_plan(thermal_of().outputs());
  const PinPlan pins = plan_pins(*machine, plan.outputs);
  ASSERT_EQ(pins.pwm.size(), 3U);
  const std::size_t first = plan_pins(*machine).pins.size();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(pins.pwm[i].pin, first + i);
    EXPECT_EQ(pins.pins[first + i].name, plan.outputs[i].pin.name);
    EXPECT_EQ(pins.signal_names[first + i], plan.outputs[i].name + ".pwm");
  }
  const executor::ExecutorConfig config = executor_config(*machine, pins, false);
  ASSERT_EQ(config.pwm_outputs.size(), 3U);
  EXPECT_EQ(config.pwm_outputs[0].max_duration_ns, 3'000'000'000);
  EXPECT_EQ(config.pwm_outputs[2].cycle_ns, 10'000'000);
}

TEST(SoftPwmPlan, AHeaterOnAStepperPinIsAConfigErrorNamingTheFile) {
  auto machine = config::load(kPrinterCfg);
  ASSERT_TRUE(machine.ok()) << machine.error().message;
  SoftPwmPlan plan = soft_pwm_plan(thermal_of().outputs());
  plan.outputs[0].pin.name = "PB9";  // stepper_x's step pin
  gpio::SimBackend sim;
  const Status st = configure_machine_pins(*machine, sim, plan.outputs);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("printer.cfg: pin PB9 used twice"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace rtstep::machine

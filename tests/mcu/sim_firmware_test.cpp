// sim/firmware.hpp in-process: the simulated firmware's transport, homing (endstop_home with trsync
// stopping a stepper where its switch closes), move slots and shutdown rules, its heater model (a thermistor
// warmed by the board's own output pin) and the ADC range check, driven with messages encoded from its own
// dictionary.

#include "mcu/sim/firmware.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rtstep::mcu::sim {
namespace {

// The host's side, reduced to what these tests need: numbered blocks out, decoded messages back.
struct Host {
  explicit Host(SimFirmware& firmware) : fw(firmware) {}
  SimFirmware& fw;
  uint8_t seq = 0;
  uint64_t clock = 1'000'000;
  std::vector<Message> received;
  int acks = 0;

  std::vector<Message> send(const std::string& text) {
    std::vector<uint8_t> msg, block;
    EXPECT_TRUE(fw.dictionary().encode_text(text, msg).ok()) << text;
    (void)append_block(block, seq++, msg);
    return feed(fw.receive(block, clock));
  }
  std::vector<Message> advance(uint64_t to) {
    clock = to;
    return feed(fw.advance(clock));
  }
  std::vector<Message> feed(const std::vector<uint8_t>& bytes) {
    BlockParser parser;
    std::vector<Message> out;
    (void)parser.feed(bytes);
    while (auto b = parser.next()) {
      if (b->empty()) {
        ++acks;
        continue;
      }
      auto messages = fw.dictionary().decode_all(b->payload());
      EXPECT_TRUE(messages.ok());
      if (messages.ok()) out.insert(out.end(), messages->begin(), messages->end());
    }
    received.insert(received.end(), out.begin(), out.end());
    return out;
  }
};

void configure_homing(Host& h) {
  h.send("allocate_oids count=3");
  h.send("config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100");
  h.send("config_endstop oid=1 pin=PA5 pull_up=1");
  h.send("config_trsync oid=2");
  h.send("finalize_config crc=42");
}

TEST(SimFirmware, HomingStopsTheStepperWhereItsSwitchCloses) {
  FirmwareOptions options;
  options.endstops["PA5"] = {"PA0", -100};  // closed once stepper PA0 is at -100 or below
  SimFirmware fw(options);
  Host h(fw);
  configure_homing(h);
  h.send("trsync_start oid=2 report_clock=0 report_ticks=0 expire_reason=4");
  h.send("stepper_stop_on_trigger oid=0 trsync_oid=2");
  h.send("trsync_set_timeout oid=2 clock=90000000");
  h.send("endstop_home oid=1 clock=1000000 sample_ticks=100 sample_count=4 rest_ticks=1000 pin_value=1 trsync_oid=2 trigger_reason=1");
  // 1000 steps backwards, 10000 ticks apart from clock 2,000,000.
  h.send("reset_step_clock oid=0 clock=1990000");
  h.send("set_next_step_dir oid=0 dir=0");
  h.send("queue_step oid=0 interval=10000 count=1000 add=0");
  const auto msgs = h.advance(20'000'000);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].name, "trsync_state");
  EXPECT_EQ(*msgs[0].integer("can_trigger"), 0);
  EXPECT_EQ(*msgs[0].integer("trigger_reason"), 1);
  // Step 100 (position -100) is at 2,990,000; the next sample at or after it, four samples 100 ticks
  // apart, triggers: samples start at 1,000,000 every 1000 ticks.
  EXPECT_EQ(*msgs[0].integer("clock"), 2'990'000 + 300);
  ASSERT_EQ(fw.steppers().size(), 1u);
  EXPECT_EQ(fw.steppers()[0].position, -100);
  EXPECT_EQ(fw.steppers()[0].steps, 100u);
  const auto pos = h.send("stepper_get_position oid=0");
  ASSERT_EQ(pos.size(), 1u);
  EXPECT_EQ(*pos[0].integer("pos"), -100);
  // The timeout no longer fires: the trsync has triggered once.
  EXPECT_TRUE(h.advance(100'000'000).empty());
  EXPECT_TRUE(fw.shutdowns().empty());
}

TEST(SimFirmware, AHomingThatNeverTriggersExpires) {
  FirmwareOptions options;
  options.endstops["PA5"] = {"PA0", -100};
  SimFirmware fw(options);
  Host h(fw);
  configure_homing(h);
  h.send("trsync_start oid=2 report_clock=0 report_ticks=0 expire_reason=4");
  h.send("stepper_stop_on_trigger oid=0 trsync_oid=2");
  h.send("trsync_set_timeout oid=2 clock=3000000");
  h.send("endstop_home oid=1 clock=1000000 sample_ticks=100 sample_count=4 rest_ticks=1000 pin_value=1 trsync_oid=2 trigger_reason=1");
  h.send("reset_step_clock oid=0 clock=1990000");
  h.send("set_next_step_dir oid=0 dir=0");
  h.send("queue_step oid=0 interval=100000 count=50 add=0");  // only 10 steps before the timeout
  const auto msgs = h.advance(20'000'000);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(*msgs[0].integer("trigger_reason"), 4);
  EXPECT_EQ(*msgs[0].integer("clock"), 3'000'000);
  EXPECT_EQ(fw.steppers()[0].steps, 10u);
}

TEST(SimFirmware, MoreMovesThanSlotsShutsDown) {
  FirmwareOptions options;
  options.move_count = 4;
  SimFirmware fw(options);
  Host h(fw);
  h.send("allocate_oids count=1");
  h.send("config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100");
  h.send("finalize_config crc=1");
  h.send("reset_step_clock oid=0 clock=2000000");
  for (int i = 0; i < 5; ++i) h.send("queue_step oid=0 interval=1000 count=10 add=0");
  ASSERT_EQ(fw.shutdowns().size(), 1u);
  EXPECT_EQ(fw.shutdowns()[0], "Move queue overflow");
  const auto after = h.send("get_clock");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].name, "clock");  // allowed in shutdown
  const auto refused = h.send("queue_step oid=0 interval=1000 count=10 add=0");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].name, "is_shutdown");
  EXPECT_EQ(*refused[0].text("static_string_id"), "Move queue overflow");
}

TEST(SimFirmware, AStepInThePastShutsDown) {
  SimFirmware fw({});
  Host h(fw);
  h.send("allocate_oids count=1");
  h.send("config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100");
  h.send("finalize_config crc=1");
  h.send("reset_step_clock oid=0 clock=500000");
  h.send("queue_step oid=0 interval=1000 count=10 add=0");  // first step at 501,000: before now (1,000,000)
  ASSERT_EQ(fw.shutdowns().size(), 1u);
  EXPECT_EQ(fw.shutdowns()[0], "Timer too close");
  EXPECT_EQ(h.received.back().name, "shutdown");
}

TEST(SimFirmware, ABlockOutOfSequenceIsNakedAndIgnored) {
  SimFirmware fw({});
  Host h(fw);
  h.seq = 3;  // the firmware expects 0 after boot
  EXPECT_TRUE(h.send("get_clock").empty());
  EXPECT_EQ(fw.naks_sent(), 1u);
  h.seq = 0;
  EXPECT_EQ(h.send("get_clock").size(), 1u);
}

TEST(SimFirmware, IdsAreShuffledBySeedAndCommandsCanBeLeftOut) {
  FirmwareOptions a, b;
  b.id_seed = 99;
  b.omit = {"queue_step"};
  const SimFirmware fa(a), fb(b);
  EXPECT_NE(fa.dictionary().find("get_clock")->id, fb.dictionary().find("get_clock")->id);
  EXPECT_EQ(fa.dictionary().find("identify")->id, 1);
  EXPECT_EQ(fb.dictionary().find("queue_step"), nullptr);
  EXPECT_TRUE(require_rtstep_core(fa.dictionary()).ok());
  EXPECT_FALSE(require_rtstep_core(fb.dictionary()).ok());
}

}  // namespace
}  // namespace rtstep::mcu::sim

namespace rtstep::mcu::sim {
namespace {

// The sum of the last analog_in_state report for `oid` among `msgs` (batched form: one little-endian u16).
std::optional<uint32_t> last_adc_sum(const std::vector<Message>& msgs) {
  std::optional<uint32_t> sum;
  for (const Message& m : msgs) {
    if (m.name != "analog_in_state") continue;
    const std::string values = *m.text("values");
    sum = static_cast<uint8_t>(values[0]) | (uint32_t{static_cast<uint8_t>(values[1])} << 8);
  }
  return sum;
}

// A hot end on the board: PC5 reads the thermistor of a plant heated by PA1 (soft PWM, 1,000-tick cycle);
// 8 samples every 100,000 ticks (the clock runs at 1 MHz here, so 0.1 s), limits [min, max] of the sum.
struct HotEnd {
  static FirmwareOptions options() {
    FirmwareOptions o;
    o.clock_hz = 1'000'000;
    thermal::SimHeaterConfig plant = thermal::SimHeaterConfig::defaults_for("extruder");
    plant.noise = 0;
    plant.heat_capacity = 2;
    plant.sensor_lag = 0.5;
    o.heaters.push_back({"PC5", "PA1", plant});
    return o;
  }
  SimFirmware fw{options()};
  Host h{fw};
  explicit HotEnd(uint16_t min_sum = 0, uint16_t max_sum = 65535) {
    h.send("allocate_oids count=2");
    h.send("config_digital_out oid=0 pin=PA1 value=0 default_value=0 max_duration=0");
    h.send("set_digital_out_pwm_cycle oid=0 cycle_ticks=1000");
    h.send("config_analog_in oid=1 pin=PC5");
    h.send("finalize_config crc=1");
    h.send("query_analog_in oid=1 clock=1100000 sample_ticks=100 sample_count=8 rest_ticks=100000 bytes_per_report=2 "
           "min_value=" + std::to_string(min_sum) + " max_value=" + std::to_string(max_sum) + " range_check_count=4");
  }
};

TEST(SimFirmware, AHeaterModelHeatedByTheBoardsOwnPinWarmsItsThermistor) {
  HotEnd hot;
  const auto cold = last_adc_sum(hot.h.advance(1'500'000));
  ASSERT_TRUE(cold);
  // Ambient 25 C on a 100k NTC with 4.7k pull-up: about 0.955 of ADC_MAX, times 8 samples.
  EXPECT_NEAR(*cold, 8 * 4095 * 0.955, 8 * 4095 * 0.01);
  // Full on for 2 s: the thermistor warms, an NTC reads lower.
  hot.h.send("queue_digital_out oid=0 clock=1600000 on_ticks=1000");
  const auto warm = last_adc_sum(hot.h.advance(3'600'000));
  ASSERT_TRUE(warm);
  EXPECT_LT(*warm, *cold - 8 * 4095 / 20);
  ASSERT_EQ(hot.fw.heater_temperatures().size(), 1u);
  EXPECT_GT(hot.fw.heater_temperatures()[0], 45.0);
  // Off: once the thermistor has caught up with the block, it cools.
  hot.h.send("queue_digital_out oid=0 clock=3700000 on_ticks=0");
  (void)hot.h.advance(5'500'000);
  const double after_off = hot.fw.heater_temperatures()[0];
  (void)hot.h.advance(8'000'000);
  EXPECT_LT(hot.fw.heater_temperatures()[0], after_off);
  EXPECT_TRUE(hot.fw.shutdowns().empty());
  ASSERT_EQ(hot.fw.outputs().size(), 2u);
  EXPECT_EQ(hot.fw.output_pin(hot.fw.outputs()[0].oid), "PA1");
}

TEST(SimFirmware, AShortedThermistorIsOutOfRangeAfterRangeCheckCountReports) {
  HotEnd hot(8 * 1000, 8 * 4000);  // the sums of readings 1000..4000
  (void)hot.h.advance(1'500'000);
  EXPECT_TRUE(hot.fw.shutdowns().empty());
  hot.fw.short_heater_sensors();
  // Three reports out of range are still sent; the fourth shuts the board down instead.
  const auto msgs = hot.h.advance(1'550'000 + 4 * 100'000);
  EXPECT_EQ(std::count_if(msgs.begin(), msgs.end(), [](const Message& m) { return m.name == "analog_in_state"; }), 3);
  EXPECT_EQ(last_adc_sum(msgs), std::optional<uint32_t>(0));
  EXPECT_EQ(hot.fw.shutdowns(), (std::vector<std::string>{"ADC out of range"}));
}

}  // namespace
}  // namespace rtstep::mcu::sim

// link.hpp against rtstep-mcu-sim, a real process on a real pseudo-terminal: configuration, clock
// synchronisation against a drifting crystal, step streams counted by the board, retransmission under
// injected line faults, board restarts, refused firmware, shutdowns, outputs and ADC reports.
// Time bounds are generous (the machine may be loaded): they catch wrong behaviour, not slow machines.

#include "mcu/link.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "sim_process.hpp"
#include "util/clock.hpp"

namespace rtstep::mcu {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;
// Motion starts this long after the link is ready, so that the clock fit spans a few samples beyond the
// burst (on a loaded machine a burst sample can be a millisecond late).
constexpr int64_t kSettleNs = 2 * kSecond;
// Steps are checked against their planned host times within this: it covers the clock estimate on a
// heavily loaded machine (the simulator and the link are ordinary processes there), and is well below what
// a wrong mapping or an ignored drift gives. The bound on each step (never late, at most 25 µs early
// against the mapping) is checked exactly in move_queue_test.cpp and zigzag_test.cpp.
constexpr int64_t kToleranceNs = 10'000'000;

McuObjects two_steppers() {
  McuObjects o;
  o.steppers.push_back({"stepper_x", "PA0", "PA1", false, false, 2'000});
  o.steppers.push_back({"stepper_y", "PB3", "PB4", false, true, 2'000});
  return o;
}

// Steps are compressed and sent 0.8 s before they are due (0.25 s by default) and each move is pushed
// 1.2 s ahead: a test machine busy with other work may leave the link's thread and the simulator unscheduled
// for longer than the default lead, which on a real host means a host too slow for its board.
constexpr int64_t kPushLeadNs = 1'200'000'000;

LinkOptions options_for(const test::SimProcess& sim) {
  LinkOptions o;
  o.serial = sim.pty();
  o.flush_lead_ns = 800'000'000;
  return o;
}

bool wait_until(const std::function<bool()>& done, int64_t timeout_ns) {
  const int64_t end = monotonic_ns() + timeout_ns;
  while (!done()) {
    if (monotonic_ns() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A zig-zag: moves of accelerate / cruise / decelerate, alternating direction, 20 ms apart. `scale`
// stretches the intervals so two steppers differ.
struct Zigzag {
  std::vector<std::vector<ipc::StepSegment>> moves;
  int64_t end_ns = 0;

  Zigzag(uint8_t stepper, int64_t start_ns, int count, double scale) {
    int64_t t = start_ns;
    for (int m = 0; m < count; ++m) {
      const auto dir = static_cast<uint8_t>(m % 2 == 0 ? 1 : 0);
      const auto s = [&](int64_t v) { return static_cast<int64_t>(static_cast<double>(v) * scale); };
      std::vector<ipc::StepSegment> move;
      const auto add = [&](uint32_t n, int64_t gap, int64_t interval, int64_t add_ns) {
        ipc::StepSegment seg{t + gap, interval, add_ns, n, stepper, dir, 0};
        move.push_back(seg);
        t = seg.last_time();
      };
      add(300, 20 * kMs, s(150'000), -400);  // accelerate
      add(600, s(30'000), s(30'000), 0);     // cruise
      add(300, s(30'400), s(30'800), 400);   // decelerate
      moves.push_back(move);
    }
    end_ns = t;
  }
  uint64_t steps() const {
    uint64_t n = 0;
    for (const auto& m : moves) {
      for (const auto& s : m) n += s.count;
    }
    return n;
  }
};

// Pushes each move kPushLeadNs before it starts, as a controller with a bounded lead does.
void play(Link& link, const std::vector<const Zigzag*>& zigzags) {
  std::size_t next = 0;
  bool more = true;
  while (more) {
    more = false;
    for (const Zigzag* z : zigzags) {
      if (next >= z->moves.size()) continue;
      more = true;
      const int64_t starts = z->moves[next].front().first_time_ns;
      while (monotonic_ns() < starts - kPushLeadNs) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      link.push_segments(z->moves[next]);
    }
    ++next;
  }
}

// Every planned step of `zigzag` was taken by the board, in order, in its direction (as the dir pin sees
// it), within `tolerance_ns` of its planned time.
void expect_steps(const test::SimRecord& record, int oid, uint32_t boot, const Zigzag& zigzag, bool invert_dir,
                  int64_t tolerance_ns) {
  const auto taken = record.steps_of(oid, boot);
  ASSERT_EQ(taken.size(), zigzag.steps()) << "stepper oid " << oid;
  std::size_t i = 0;
  int64_t worst = 0;
  for (const auto& move : zigzag.moves) {
    for (const auto& seg : move) {
      for (uint32_t k = 0; k < seg.count; ++k, ++i) {
        ASSERT_EQ(taken[i].dir, seg.dir ^ (invert_dir ? 1 : 0)) << "step " << i;
        worst = std::max<int64_t>(worst, std::llabs(taken[i].host_ns - seg.step_time(k)));
      }
    }
  }
  EXPECT_LT(worst, tolerance_ns) << "stepper oid " << oid << ": first step off by "
                                 << taken.front().host_ns - zigzag.moves.front().front().first_time_ns << " ns, last by "
                                 << taken.back().host_ns - zigzag.end_ns << " ns";
}

TEST(Link, ConfiguresTheBoardAndFindsItConfiguredOnReconnect) {
  test::SimProcess sim({"--id-seed", "7"});
  ASSERT_TRUE(sim.running());
  McuObjects objects = two_steppers();
  objects.digital_outs.push_back({"heater", "PC5", false, 0, 0, 2 * kSecond, 100 * kMs});
  objects.adcs.push_back({"thermistor", "PA3", kMs, 8, 300 * kMs, 1, 0, 1, 0});
  uint32_t crc = 0;
  {
    Link link(options_for(sim), objects);
    link.start();
    ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
    const LinkStatus s = link.status();
    EXPECT_EQ(s.generation, 1u);
    EXPECT_TRUE(s.configured_here);
    EXPECT_EQ(s.firmware_version, "rtstep-mcu-sim");
    EXPECT_EQ(s.mcu_type, "rtstep-sim");
    EXPECT_EQ(s.move_count, 512u);
    EXPECT_EQ(s.nominal_hz, 72e6);
    crc = s.config_crc;
  }
  const test::SimRecord r = sim.record();
  EXPECT_EQ(r.config_crc, crc);
  ASSERT_EQ(r.steppers.size(), 2u);
  EXPECT_EQ(r.steppers.at(0).step_pin, "PA0");
  EXPECT_EQ(r.steppers.at(1).step_pin, "PB3");
  EXPECT_TRUE(r.shutdowns.empty());
  // A second host with the same objects finds the board configured with its CRC and takes it as it is.
  Link again(options_for(sim), objects);
  again.start();
  ASSERT_TRUE(again.wait_ready(20 * kSecond)) << again.status().message;
  EXPECT_FALSE(again.status().configured_here);
  again.stop();
  // One with other objects is told the board needs a restart.
  objects.steppers.pop_back();
  Link other(options_for(sim), objects);
  other.start();
  EXPECT_FALSE(other.wait_ready(20 * kSecond));
  EXPECT_EQ(other.status().phase, LinkPhase::kFailed);
  EXPECT_NE(other.status().message.find("FIRMWARE_RESTART"), std::string::npos) << other.status().message;
  // FIRMWARE_RESTART clears the board, which then takes the new configuration.
  other.firmware_restart();
  ASSERT_TRUE(wait_until([&] { return other.status().phase == LinkPhase::kReady; }, 20 * kSecond)) << other.status().message;
  EXPECT_TRUE(other.status().configured_here);
  other.stop();
  EXPECT_EQ(sim.record().steppers.size(), 1u);
}

TEST(Link, ABoardShutDownBeforeTheHostConnectedSaysSo) {
  test::SimProcess sim;
  ASSERT_TRUE(sim.running());
  {
    Link first(options_for(sim), two_steppers());
    first.start();
    ASSERT_TRUE(first.wait_ready(20 * kSecond)) << first.status().message;
    first.emergency_stop();
    ASSERT_TRUE(wait_until([&] { return first.status().phase == LinkPhase::kShutdown; }, 10 * kSecond));
  }
  Link second(options_for(sim), two_steppers());
  second.start();
  EXPECT_FALSE(second.wait_ready(20 * kSecond));
  EXPECT_EQ(second.status().phase, LinkPhase::kShutdown);
  EXPECT_NE(second.status().message.find("shut down from before"), std::string::npos) << second.status().message;
  second.firmware_restart();
  ASSERT_TRUE(wait_until([&] { return second.status().phase == LinkPhase::kReady; }, 20 * kSecond)) << second.status().message;
}

TEST(Link, ZigzagStepsTakenByTheBoardEqualTheSegments) {
  test::SimProcess sim({"--clock-freq", "16000000", "--start-clock", "4294000000"});
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  const int64_t start = monotonic_ns() + kSettleNs;
  const Zigzag x(0, start, 8, 1.0), y(1, start + 3 * kMs, 6, 1.37);
  play(link, {&x, &y});
  ASSERT_TRUE(wait_until([&] { return monotonic_ns() > std::max(x.end_ns, y.end_ns) + 300 * kMs; }, 30 * kSecond));
  const LinkStatus s = link.status();
  EXPECT_EQ(s.phase, LinkPhase::kReady) << s.message;
  EXPECT_EQ(s.steps_sent, x.steps() + y.steps());
  EXPECT_EQ(s.steps_dropped, 0u);
  // The compression works: many steps per queue_step (a ramp of 300 steps fits a few commands).
  EXPECT_GT(s.steps_sent, 20 * s.queue_step_commands);
  const test::SimRecord r = sim.record();
  EXPECT_TRUE(r.shutdowns.empty()) << r.shutdowns.front();
  expect_steps(r, 0, 0, x, false, kToleranceNs);
  expect_steps(r, 1, 0, y, true, kToleranceNs);  // stepper_y has invert_dir
  EXPECT_EQ(r.steppers.at(0).position, 0);  // 8 moves: back where it started
  EXPECT_EQ(r.steppers.at(1).position, 0);
}

TEST(Link, ClockSyncFollowsADriftingCrystal) {
  // 0.5 % fast (no crystal is that bad): ignoring it would put the steps 12 to 18 ms off.
  test::SimProcess sim({"--drift-ppm", "5000"});
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  const int64_t start = monotonic_ns() + kSettleNs;
  const Zigzag x(0, start, 12, 1.0);
  play(link, {&x});
  ASSERT_TRUE(wait_until([&] { return monotonic_ns() > x.end_ns + 300 * kMs; }, 30 * kSecond));
  const LinkStatus s = link.status();
  EXPECT_NEAR(s.fitted_hz, 72e6 * 1.005, 72e6 * 1000e-6);
  const test::SimRecord r = sim.record();
  EXPECT_TRUE(r.shutdowns.empty());
  expect_steps(r, 0, 0, x, false, kToleranceNs);
}

TEST(Link, RetransmitsThroughACorruptingLine) {
  test::SimProcess sim({"--corrupt-rx", "700", "--drop-rx", "2500", "--corrupt-tx", "900"});
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  ASSERT_TRUE(link.wait_ready(30 * kSecond)) << link.status().message;
  const int64_t start = monotonic_ns() + kSettleNs;
  const Zigzag x(0, start, 6, 1.0), y(1, start, 6, 0.8);
  play(link, {&x, &y});
  ASSERT_TRUE(wait_until([&] { return monotonic_ns() > std::max(x.end_ns, y.end_ns) + 300 * kMs; }, 30 * kSecond));
  const LinkStatus s = link.status();
  EXPECT_GT(s.transmit.retransmits, 0u);
  EXPECT_GT(s.invalid_bytes, 0u);  // the corrupted answers were discarded
  const test::SimRecord r = sim.record();
  EXPECT_GT(r.naks, 0u);
  EXPECT_TRUE(r.shutdowns.empty()) << r.shutdowns.front();
  expect_steps(r, 0, 0, x, false, kToleranceNs);
  expect_steps(r, 1, 0, y, true, kToleranceNs);
}

TEST(Link, ReconnectsAfterTheBoardRestarts) {
  test::SimProcess sim;
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  sim.signal(SIGUSR1);  // the board resets by itself
  ASSERT_TRUE(wait_until([&] { return link.status().generation == 2 && link.status().phase == LinkPhase::kReady; }, 30 * kSecond))
      << link.status().message;
  EXPECT_EQ(link.status().restarts, 1);
  EXPECT_TRUE(link.status().configured_here);
  // Steps after the restart reach the restarted board.
  const Zigzag x(0, monotonic_ns() + kSettleNs, 2, 1.0);
  play(link, {&x});
  ASSERT_TRUE(wait_until([&] { return monotonic_ns() > x.end_ns + 300 * kMs; }, 30 * kSecond));
  test::SimRecord r = sim.record();
  EXPECT_EQ(r.restarts, 1);
  expect_steps(r, 0, 1, x, false, kToleranceNs);
  // FIRMWARE_RESTART: the reset command, then the same again.
  link.firmware_restart();
  ASSERT_TRUE(wait_until([&] { return link.status().generation == 3 && link.status().phase == LinkPhase::kReady; }, 30 * kSecond))
      << link.status().message;
  EXPECT_EQ(link.status().restarts, 2);
  r = sim.record();
  EXPECT_EQ(r.restarts, 2);
  EXPECT_EQ(r.config_crc, link.status().config_crc);
}

TEST(Link, ReconnectsAfterTheBoardStoppedAnswering) {
  test::SimProcess sim;
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  sim.signal(SIGSTOP);  // the board hangs
  ASSERT_TRUE(wait_until([&] { return link.status().phase == LinkPhase::kConnecting; }, 20 * kSecond));
  EXPECT_NE(link.status().message.find("lost communication"), std::string::npos) << link.status().message;
  sim.signal(SIGCONT);
  ASSERT_TRUE(wait_until([&] { return link.status().generation == 2 && link.status().phase == LinkPhase::kReady; }, 30 * kSecond))
      << link.status().message;
  EXPECT_FALSE(link.status().configured_here);  // it kept its configuration
}

TEST(Link, RefusesAFirmwareWithoutACommandItNeeds) {
  test::SimProcess sim({"--omit", "set_next_step_dir"});
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  EXPECT_FALSE(link.wait_ready(20 * kSecond));
  const LinkStatus s = link.status();
  EXPECT_EQ(s.phase, LinkPhase::kFailed);
  EXPECT_NE(s.message.find("'set_next_step_dir'"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("MCU 'mcu'"), std::string::npos) << s.message;
}

TEST(Link, RefusesAdcsOnAFirmwareWithoutThem) {
  test::SimProcess sim({"--omit", "query_analog_in"});
  ASSERT_TRUE(sim.running());
  McuObjects objects = two_steppers();
  objects.adcs.push_back({"thermistor", "PA3", kMs, 8, 300 * kMs, 1, 0, 1, 0});
  Link link(options_for(sim), objects);
  link.start();
  EXPECT_FALSE(link.wait_ready(20 * kSecond));
  EXPECT_NE(link.status().message.find("'query_analog_in'"), std::string::npos) << link.status().message;
}

TEST(Link, AnOutputNotRenewedWithinMaxDurationShutsTheBoardDown) {
  test::SimProcess sim;
  ASSERT_TRUE(sim.running());
  McuObjects objects;
  objects.digital_outs.push_back({"heater", "PC5", false, 0, 0, 1200 * kMs, 10 * kMs});
  Link link(options_for(sim), objects);
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  // Renewed every 500 ms for a while (a heater every 300 ms): the board keeps it on at 25 %.
  const int64_t start = monotonic_ns() + 500 * kMs;
  for (int i = 0; i < 5; ++i) link.set_output(0, start + i * 500 * kMs, 0.25);
  ASSERT_TRUE(wait_until([&] { return link.status().phase == LinkPhase::kShutdown; }, 10 * kSecond));
  EXPECT_EQ(link.status().message, "MCU 'mcu' shutdown: Missed scheduling of next digital out event");
  const test::SimRecord r = sim.record();
  ASSERT_EQ(r.outputs.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r.outputs[static_cast<std::size_t>(i)].on_ticks, 180'000u);  // 25 % of 10 ms
  // The board gave up max_duration after the last update.
  EXPECT_EQ(r.outputs[5].clock - r.outputs[4].clock, 1200u * 72'000);
  EXPECT_EQ(r.outputs.back().on_ticks, 0u);  // the shutdown turned it off
  // After the shutdown the board answers commands with is_shutdown; FIRMWARE_RESTART brings it back.
  link.firmware_restart();
  ASSERT_TRUE(wait_until([&] { return link.status().phase == LinkPhase::kReady; }, 20 * kSecond)) << link.status().message;
}

// A pin with a hardware PWM unit (DigitalOutSpec::hardware_pwm): config_pwm_out and queue_pwm_out with the
// duty in PWM_MAX units (255 on the simulator) when the firmware has them; software PWM when it does not.
TEST(Link, AHardwarePwmPinUsesThePwmUnitWhenTheFirmwareHasOne) {
  for (const bool has_pwm_unit : {true, false}) {
    SCOPED_TRACE(has_pwm_unit ? "with config_pwm_out" : "without");
    test::SimProcess sim(has_pwm_unit ? std::vector<std::string>{} : std::vector<std::string>{"--omit", "config_pwm_out"});
    ASSERT_TRUE(sim.running());
    McuObjects objects;
    objects.digital_outs.push_back({"fan", "PC6", false, 0, 0, 0, 10 * kMs, true});
    objects.digital_outs.push_back({"heater", "PC7", true, 0, 0, 0, 10 * kMs, true});  // inverted
    Link link(options_for(sim), objects);
    link.start();
    ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
    const int64_t start = monotonic_ns() + 500 * kMs;
    link.set_output(0, start, 0.5);
    link.set_output(1, start, 0.25);
    ASSERT_TRUE(wait_until([&] { return sim.record().outputs.size() >= 2; }, 10 * kSecond));
    const test::SimRecord r = sim.record();
    std::map<int, uint32_t> on;
    for (const auto& o : r.outputs) on[o.oid] = o.on_ticks;
    if (has_pwm_unit) {
      EXPECT_EQ(on[0], 128u);  // 0.5 of 255, rounded
      EXPECT_EQ(on[1], 191u);  // inverted: 0.75 of 255
    } else {
      EXPECT_EQ(on[0], 360'000u);  // 0.5 of a 10 ms cycle at 72 MHz
      EXPECT_EQ(on[1], 540'000u);
    }
    EXPECT_TRUE(r.shutdowns.empty());
  }
}

TEST(Link, EmergencyStopIsReportedWithTheBoardsText) {
  test::SimProcess sim;
  ASSERT_TRUE(sim.running());
  Link link(options_for(sim), two_steppers());
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  link.emergency_stop();
  ASSERT_TRUE(wait_until([&] { return link.status().phase == LinkPhase::kShutdown; }, 10 * kSecond));
  EXPECT_EQ(link.status().message, "MCU 'mcu' shutdown: Command request");
  // Steps pushed now are dropped and counted, never sent.
  const Zigzag x(0, monotonic_ns() + kSettleNs, 1, 1.0);
  link.push_segments(x.moves[0]);
  ASSERT_TRUE(wait_until([&] { return link.status().steps_dropped == x.steps(); }, 5 * kSecond));
  EXPECT_EQ(link.status().steps_sent, 0u);
}

TEST(Link, AdcReportsBecomeReadings) {
  test::SimProcess sim({"--adc", "PA3=1000"});
  ASSERT_TRUE(sim.running());
  McuObjects objects;
  objects.adcs.push_back({"thermistor", "PA3", kMs, 8, 50 * kMs, 3, 0.1, 0.9, 4});
  Link link(options_for(sim), objects);
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  std::vector<AdcReading> readings;
  ASSERT_TRUE(wait_until([&] {
    for (const AdcReading& a : link.take_adc_readings()) readings.push_back(a);
    return readings.size() >= 9;
  }, 10 * kSecond));
  EXPECT_EQ(readings.size() % 3, 0u);  // three sums per report
  for (std::size_t i = 0; i < readings.size(); ++i) {
    EXPECT_EQ(readings[i].adc, 0u);
    EXPECT_DOUBLE_EQ(readings[i].value, 8000.0 / (8 * 4095.0));
    if (i > 0) {
      EXPECT_NEAR(readings[i].time_ns - readings[i - 1].time_ns, 50 * kMs, kMs);
    }
  }
  EXPECT_LT(readings.back().time_ns, monotonic_ns() + kToleranceNs);  // sampled in the past
  EXPECT_EQ(link.status().phase, LinkPhase::kReady);
}

TEST(Link, AdcReportsOfOlderFirmwareBecomeReadings) {
  test::SimProcess sim({"--adc", "PA3=3000", "--legacy-adc", "1"});
  ASSERT_TRUE(sim.running());
  McuObjects objects;
  objects.adcs.push_back({"thermistor", "PA3", kMs, 8, 50 * kMs, 3, 0.1, 0.9, 4});  // batch ignored: one per report
  Link link(options_for(sim), objects);
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  std::vector<AdcReading> readings;
  ASSERT_TRUE(wait_until([&] {
    for (const AdcReading& a : link.take_adc_readings()) readings.push_back(a);
    return readings.size() >= 4;
  }, 10 * kSecond));
  for (std::size_t i = 0; i < readings.size(); ++i) {
    EXPECT_DOUBLE_EQ(readings[i].value, 24000.0 / (8 * 4095.0));
    if (i > 0) {
      EXPECT_NEAR(readings[i].time_ns - readings[i - 1].time_ns, 50 * kMs, kMs);
    }
  }
}

TEST(Link, AnAdcOutOfRangeShutsTheBoardDown) {
  test::SimProcess sim({"--adc", "PA3=4000"});
  ASSERT_TRUE(sim.running());
  McuObjects objects;
  objects.adcs.push_back({"thermistor", "PA3", kMs, 8, 20 * kMs, 1, 0.1, 0.9, 4});
  Link link(options_for(sim), objects);
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  ASSERT_TRUE(wait_until([&] { return link.status().phase == LinkPhase::kShutdown; }, 10 * kSecond));
  // The board does not say which input: the link names the one whose readings were out of range.
  EXPECT_EQ(link.status().message, "MCU 'mcu' shutdown: ADC out of range (thermistor)");
  EXPECT_EQ(link.status().adc_out_of_range, std::optional<std::size_t>(0));
}

TEST(Link, HomingStopsTheStepperAtTheSwitch) {
  // The switch on PA5 closes once stepper_x (step pin PA0) is 100 steps below where it started.
  test::SimProcess sim({"--endstop", "PA5=PA0:-100"});
  ASSERT_TRUE(sim.running());
  McuObjects objects = two_steppers();
  objects.endstops.push_back({"x_endstop", "PA5", true, false});
  Link link(options_for(sim), objects);
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  const int64_t start = monotonic_ns() + kSettleNs;
  // Towards the switch: 2000 steps 200 µs apart; it should stop at the 100th.
  const ipc::StepSegment towards{start, 200'000, 0, 2000, 0, 0, 0};
  link.home(HomingRequest{0, {0}, start - 50 * kMs, start + 2 * kSecond, 15'000, 4, 100'000});
  link.push_segments(std::span(&towards, 1));
  std::optional<HomingResult> result;
  ASSERT_TRUE(wait_until([&] { return (result = link.take_homing_result()).has_value(); }, 10 * kSecond));
  ASSERT_TRUE(result->triggered) << result->message;
  ASSERT_EQ(result->positions.size(), 1u);
  EXPECT_EQ(result->positions[0], -100);
  EXPECT_NEAR(static_cast<double>(result->trigger_ns), static_cast<double>(towards.step_time(99)), static_cast<double>(kToleranceNs));
  // The stepper moves again after the homing (the board ignored the rest of the homing move it had been
  // sent, until the reset_step_clock that starts this one): 40 steps away from the switch.
  const ipc::StepSegment away{monotonic_ns() + kSecond, 300'000, 0, 40, 0, 1, 0};
  link.push_segments(std::span(&away, 1));
  ASSERT_TRUE(wait_until([&] { return monotonic_ns() > away.last_time() + 300 * kMs; }, 10 * kSecond));
  const test::SimRecord r = sim.record();
  EXPECT_EQ(r.steppers.at(0).position, -60);
  EXPECT_EQ(r.steppers.at(0).steps, 140u);
  EXPECT_TRUE(r.shutdowns.empty());
  EXPECT_EQ(link.status().phase, LinkPhase::kReady);
}

TEST(Link, HomingWithoutATriggerTimesOut) {
  test::SimProcess sim({"--endstop", "PA5=PA0:-100"});
  ASSERT_TRUE(sim.running());
  McuObjects objects = two_steppers();
  objects.endstops.push_back({"x_endstop", "PA5", true, false});
  Link link(options_for(sim), objects);
  link.start();
  ASSERT_TRUE(link.wait_ready(20 * kSecond)) << link.status().message;
  const int64_t start = monotonic_ns() + kSettleNs;
  const ipc::StepSegment towards{start, 200'000, 0, 50, 0, 0, 0};  // never reaches the switch
  link.home(HomingRequest{0, {0}, start, start + 500 * kMs, 15'000, 4, 100'000});
  link.push_segments(std::span(&towards, 1));
  std::optional<HomingResult> result;
  ASSERT_TRUE(wait_until([&] { return (result = link.take_homing_result()).has_value(); }, 10 * kSecond));
  EXPECT_FALSE(result->triggered);
  EXPECT_NE(result->message.find("timed out"), std::string::npos) << result->message;
  ASSERT_EQ(result->positions.size(), 1u);
  EXPECT_EQ(result->positions[0], -50);
}

TEST(Link, WaitsForAPortThatIsNotThereYet) {
  Link link(LinkOptions{.serial = "/tmp/rtstep-no-such-mcu-port"}, two_steppers());
  link.start();
  EXPECT_FALSE(link.wait_ready(300 * kMs));
  const LinkStatus s = link.status();
  EXPECT_EQ(s.phase, LinkPhase::kConnecting);
  EXPECT_NE(s.message.find("/tmp/rtstep-no-such-mcu-port"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("No such file"), std::string::npos) << s.message;
}

}  // namespace
}  // namespace rtstep::mcu

// The executor's soft-PWM outputs (heaters and fans) on the sim backend: the edges a duty makes, duty
// changes on the cycle grid, renewals and max_duration, every stop turning the outputs off, bad PWM records,
// and PWM edges never holding a step edge back. Edge times come from the virtual clock, where a write's
// time is its deadline, so they are exact; the real-clock cases check behaviour, never timing.

#include "executor/executor.hpp"
#include "executor_rig.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rtstep::executor {
namespace {

using namespace rig;  // executor_rig.hpp

constexpr int64_t kMsNs = 1'000'000;
constexpr int64_t kT0 = 1'000 * kMsNs;  // virtual time of the first PWM command
constexpr std::size_t kHeaterPin = 3;   // after stepper 0's step, dir and enable
constexpr std::size_t kFanPin = 4;
constexpr int64_t kHeaterCycle = 100 * kMsNs;
constexpr int64_t kFanCycle = 10 * kMsNs;

// One level change of one pin as the sim backend recorded it: when it was due, and the level after it.
struct Edge {
  int64_t at = 0;
  int level = 0;
  bool operator==(const Edge&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Edge& e) {
  return out << (e.level != 0 ? "rise" : "fall") << "@" << (e.at - kT0) / 1'000 << "us";
}

// Stepper 0 on pins 0-2, a heater (output 0, pin 3) and a fan (output 1, pin 4), recording every write.
struct PwmRig : Rig {
  explicit PwmRig(bool virtual_clock = true) : Rig(1) {
    std::vector<gpio::PinSpec> pins;
    for (const char* name : {"step", "dir", "enable", "heater", "fan"}) pins.push_back({name, false});
    EXPECT_TRUE(sim.configure(pins).ok());
    sim.enable_recording(1 << 16);
    config = make_config(1, virtual_clock);
    config.pwm_outputs = {{"extruder", kHeaterPin, kHeaterCycle, 3'000 * kMsNs}, {"fan", kFanPin, kFanCycle, 0}};
  }
  void duty(uint8_t output, double value, int64_t t) {
    const int64_t cycle = config.pwm_outputs[output].cycle_ns;
    push(Record::of(ipc::pwm_command(output, value, cycle, t)));
  }
  ExecutorReport run() { return run_to_end(config, *consumer, sim); }
  // Every level change of `pin` recorded so far (drains the recording).
  std::vector<Edge> edges(std::size_t pin) {
    std::array<gpio::EdgeRecord, 4096> chunk{};
    while (std::size_t n = sim.drain_edges(chunk)) {
      recorded.insert(recorded.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    std::vector<Edge> out;
    for (const auto& r : recorded) {
      if ((r.changed & bit(pin)) != 0) out.push_back({r.scheduled_ns, static_cast<int>(r.levels >> pin & 1U)});
    }
    return out;
  }
  ExecutorConfig config;
  std::vector<gpio::EdgeRecord> recorded;
};

// The edges of a steady duty: rise at every cycle start from `from` until `until`, fall `on` after each.
std::vector<Edge> square_wave(int64_t from, int64_t until, int64_t cycle, int64_t on) {
  std::vector<Edge> out;
  for (int64_t start = from; start < until; start += cycle) {
    out.push_back({start, 1});
    if (start + on < until) out.push_back({start + on, 0});
  }
  return out;
}

TEST(SoftPwm, ADutyMakesItsSquareWaveOnTheCycleGrid) {
  PwmRig rig;
  rig.duty(1, 0.25, kT0);             // fan: 2.5 ms high of every 10 ms
  rig.duty(1, 0.0, kT0 + 100 * kMsNs);  // off after ten cycles
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(rig.edges(kFanPin), square_wave(kT0, kT0 + 100 * kMsNs, kFanCycle, 2'500'000));
  EXPECT_TRUE(rig.edges(kHeaterPin).empty()) << "an output without a command stays low";
  EXPECT_EQ(r.edges, 20U) << "every PWM edge counts in the edge statistics";
  EXPECT_EQ(r.pwm_expired, 0U) << "a fan has no max_duration";
}

TEST(SoftPwm, FullAndZeroDutyAreSteadyLevels) {
  PwmRig rig;
  rig.duty(1, 1.0, kT0);
  rig.duty(1, 1.0, kT0 + 35 * kMsNs);  // the same duty again: no edge
  rig.duty(1, 0.0, kT0 + 50 * kMsNs);
  rig.duty(1, 0.0, kT0 + 70 * kMsNs);
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(rig.edges(kFanPin), (std::vector<Edge>{{kT0, 1}, {kT0 + 50 * kMsNs, 0}}));
}

// A new duty keeps the grid of a toggling output: in a low phase it waits for the next cycle; in a high
// phase the pulse ends at the new on time, or at once when that is already past.
TEST(SoftPwm, ADutyChangeKeepsTheCycleGrid) {
  PwmRig rig;
  rig.duty(1, 0.25, kT0);                    // cycles at 0, 10, 20, 30 ms: high 2.5 ms
  rig.duty(1, 0.75, kT0 + 35 * kMsNs);       // low phase of the cycle at 30 ms: next cycle at 40 ms, 7.5 ms high
  rig.duty(1, 0.25, kT0 + 61 * kMsNs);       // inside the high phase of the 60 ms cycle: falls at 62.5 ms
  rig.duty(1, 0.10, kT0 + 71 * kMsNs);       // the 70 ms cycle is past its new 1 ms: falls at once
  rig.duty(1, 0.0, kT0 + 95 * kMsNs);
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  std::vector<Edge> expected = square_wave(kT0, kT0 + 40 * kMsNs, kFanCycle, 2'500'000);
  for (const Edge& e : square_wave(kT0 + 40 * kMsNs, kT0 + 60 * kMsNs, kFanCycle, 7'500'000)) expected.push_back(e);
  for (const Edge e : {Edge{kT0 + 60 * kMsNs, 1}, Edge{kT0 + 62'500'000, 0}, Edge{kT0 + 70 * kMsNs, 1},
                       Edge{kT0 + 71 * kMsNs, 0}, Edge{kT0 + 80 * kMsNs, 1}, Edge{kT0 + 81 * kMsNs, 0},
                       Edge{kT0 + 90 * kMsNs, 1}, Edge{kT0 + 91 * kMsNs, 0}}) {
    expected.push_back(e);
  }
  EXPECT_EQ(rig.edges(kFanPin), expected);
}

// The heater's max_duration: commands renewed in time keep it on without a glitch; when they stop, the
// executor turns it off by itself exactly max_duration after the last one, and says so.
TEST(SoftPwm, RenewalsKeepAHeaterOnAndAMissingOneTurnsItOffAtMaxDuration) {
  PwmRig rig;
  rig.config.pwm_outputs[0].max_duration_ns = 300 * kMsNs;
  int64_t last = 0;
  for (int64_t t = kT0; t <= kT0 + 1'000 * kMsNs; t += 200 * kMsNs) {
    rig.duty(0, 1.0, t);
    last = t;
  }
  rig.push(seg(0, kT0 + 2'000 * kMsNs, 10'000, 1, 1));  // keeps the job going well past the expiry
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(rig.edges(kHeaterPin), (std::vector<Edge>{{kT0, 1}, {last + 300 * kMsNs, 0}}));
  EXPECT_EQ(r.pwm_expired, 1U);
  EXPECT_NE(r.message().find("1 PWM output(s) turned off by the executor"), std::string::npos) << r.message();
}

TEST(SoftPwm, AnExpiryInsideAHighPhaseEndsThePulseThere) {
  PwmRig rig;
  rig.config.pwm_outputs[0].max_duration_ns = 230 * kMsNs;
  rig.duty(0, 0.5, kT0);                                  // 50 ms high of every 100 ms
  rig.push(seg(0, kT0 + 1'000 * kMsNs, 10'000, 1, 1));
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  std::vector<Edge> expected = square_wave(kT0, kT0 + 200 * kMsNs, kHeaterCycle, 50 * kMsNs);
  expected.push_back({kT0 + 200 * kMsNs, 1});
  expected.push_back({kT0 + 230 * kMsNs, 0});
  EXPECT_EQ(rig.edges(kHeaterPin), expected);
  EXPECT_EQ(r.pwm_expired, 1U);
}

TEST(SoftPwm, EndOfStreamTurnsEveryOutputOffOnceTheMotionIsDone) {
  PwmRig rig;
  rig.duty(0, 1.0, kT0);
  rig.duty(1, 0.5, kT0);
  const int64_t last_step = kT0 + 40 * kMsNs + 2 * kMsNs;
  rig.push(seg(0, kT0 + 40 * kMsNs, kMsNs, 3, 1));  // the last step rises at +42 ms
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(r.steps, 3U);
  const std::vector<Edge> heater = rig.edges(kHeaterPin);
  ASSERT_EQ(heater.size(), 2U);
  EXPECT_EQ(heater.back().level, 0);
  EXPECT_GE(heater.back().at, last_step) << "the heater stays on while the job runs";
  const std::vector<Edge> fan = rig.edges(kFanPin);
  ASSERT_FALSE(fan.empty());
  EXPECT_GE(fan.size(), 8U) << "the fan toggled while the job ran";
  EXPECT_EQ(fan.back().level, 0);
  EXPECT_FALSE(rig.sim.level(kHeaterPin));
  EXPECT_FALSE(rig.sim.level(kFanPin));
}

// The stops that do not come from the stream: an emergency stop through the ring, a lost host, a stop
// request. Each leaves every output low. The host promised nothing before a far horizon, so on the
// virtual clock the executor serves the outputs up to it and then waits for the stop.
TEST(SoftPwm, EveryStopTurnsEveryOutputOff) {
  enum class How { kEmergency, kHostLost, kRequest };
  for (const How how : {How::kEmergency, How::kHostLost, How::kRequest}) {
    SCOPED_TRACE(static_cast<int>(how));
    PwmRig rig;
    if (how == How::kHostLost) rig.config.host_timeout_ns = 50 * kMsNs;
    rig.duty(0, 1.0, kT0);
    rig.duty(1, 1.0, kT0);
    rig.producer->set_horizon(kT0 + 10 * kMsNs);
    rig.producer->beat_host();
    StepExecutor exec(rig.config, *rig.consumer, rig.sim);
    ASSERT_TRUE(exec.start().ok());
    // Both outputs are on before anything stops the executor.
    ASSERT_TRUE([&] {
      for (int i = 0; i < 10'000 && !(rig.sim.level(kHeaterPin) && rig.sim.level(kFanPin)); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return rig.sim.level(kHeaterPin) && rig.sim.level(kFanPin);
    }());
    if (how == How::kEmergency) rig.producer->request_stop(ipc::StopCause::kEmergency);
    if (how == How::kRequest) exec.request_stop();
    const ExecutorReport r = exec.join();
    EXPECT_EQ(r.status, how == How::kHostLost ? ExecutorStatus::kHostLost : ExecutorStatus::kStopped) << r.message();
    EXPECT_FALSE(rig.sim.level(kHeaterPin));
    EXPECT_FALSE(rig.sim.level(kFanPin));
    EXPECT_EQ(rig.edges(kHeaterPin).back().level, 0);
  }
}

struct BadPwm {
  const char* what;
  ipc::PwmCommand command;
  const char* expected;
};

TEST(SoftPwm, BadPwmRecordsAreRejectedWithTheirGcodeLine) {
  const auto command = [](uint8_t output, int64_t on, int64_t cycle) {
    ipc::PwmCommand p;
    p.output = output;
    p.on_ns = on;
    p.cycle_ns = cycle;
    p.time_ns = kT0 + 5 * kMsNs;
    return p;
  };
  const std::vector<BadPwm> cases = {
      {"unknown output", command(2, 0, kFanCycle), "bad record #2: PWM command for unknown output 2 (2 configured)"},
      {"duty over the cycle", command(1, kFanCycle + 1, kFanCycle),
       "PWM command for output 'fan' with on time 10000001 ns in a cycle of 10000000 ns"},
      {"negative duty", command(1, -1, kFanCycle), "with on time -1 ns"},
      {"another cycle", command(0, 1'000, kFanCycle), "in a cycle of 10000000 ns (the output's cycle is 100000000 ns"},
  };
  for (const BadPwm& c : cases) {
    SCOPED_TRACE(c.what);
    PwmRig rig;
    rig.duty(0, 1.0, kT0);
    rig.duty(1, 1.0, kT0);
    Record bad = Record::of(c.command);
    bad.line = 42;
    rig.push(bad);
    rig.duty(0, 0.5, kT0 + 50 * kMsNs);
    rig.push(Record::end_of_stream());
    const ExecutorReport r = rig.run();
    EXPECT_EQ(r.status, ExecutorStatus::kBadRecord) << r.message();
    EXPECT_EQ(r.fault_record, 2U);
    EXPECT_EQ(r.fault_line, 42U);
    EXPECT_NE(r.message().find(c.expected), std::string::npos) << r.message();
    EXPECT_NE(r.message().find("(G-code line 42)"), std::string::npos) << r.message();
    EXPECT_FALSE(rig.sim.level(kHeaterPin));
    EXPECT_FALSE(rig.sim.level(kFanPin));
  }
}

// A heater's command comes now, while the motion already sent (a homing move goes out whole) may reach
// seconds ahead: a PWM record behind the other records' time is taken, at its own time. Only its own output's
// commands must stay in order.
TEST(SoftPwm, ACommandBehindTheMotionAlreadyReadIsTakenAtItsTime) {
  PwmRig rig;
  rig.duty(1, 1.0, kT0);
  rig.push(enable(0, kT0 + 50 * kMsNs, 1));  // a record far ahead
  rig.duty(1, 0.0, kT0 + 20 * kMsNs);       // behind it
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(rig.edges(kFanPin), (std::vector<Edge>{{kT0, 1}, {kT0 + 20 * kMsNs, 0}}));
}

TEST(SoftPwm, AnOutputsCommandsOutOfOrderAreABadRecord) {
  PwmRig rig;
  rig.duty(1, 1.0, kT0 + 50 * kMsNs);
  rig.duty(1, 0.0, kT0 + 20 * kMsNs);
  rig.push(Record::end_of_stream());
  const ExecutorReport r = rig.run();
  EXPECT_EQ(r.status, ExecutorStatus::kBadRecord) << r.message();
  EXPECT_NE(r.message().find("time goes backwards"), std::string::npos) << r.message();
  EXPECT_FALSE(rig.sim.level(kFanPin));
}

TEST(SoftPwm, StartRejectsBadOutputs) {
  PwmRig rig;
  const auto expect_error = [&](ExecutorConfig c, const char* text) {
    StepExecutor exec(std::move(c), *rig.consumer, rig.sim);
    const Status st = exec.start();
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_NE(st.error().message.find(text), std::string::npos) << st.error().message;
  };
  ExecutorConfig c = rig.config;
  c.pwm_outputs[1].pin = enable_pin(0);
  expect_error(c, "PWM output fan: its pin is already used");
  c = rig.config;
  c.pwm_outputs[1].pin = kHeaterPin;
  expect_error(c, "PWM output fan: its pin is already used");
  c = rig.config;
  c.pwm_outputs[0].cycle_ns = 1'000;
  expect_error(c, "PWM output extruder: cycle 1000 ns must be in");
  c = rig.config;
  c.pwm_outputs[0].max_duration_ns = kHeaterCycle - 1;
  expect_error(c, "max_duration 99999999 ns must be 0 (none) or at least one cycle");
  c = rig.config;
  c.pwm_outputs[0].on_at_stop = true;
  expect_error(c, "PWM output extruder: an output with a max_duration (a heater) must go off at every stop");
  c = rig.config;
  c.pwm_outputs.resize(ipc::kMaxPwmOutputs + 1, c.pwm_outputs[1]);
  expect_error(c, "17 PWM outputs configured, at most 16");
}

// A fan that must keep running at shutdown (a heater_fan cooling the hot end) is left high by every stop,
// whatever its duty was; the heater beside it goes low.
TEST(SoftPwm, AnOnAtStopFanIsLeftRunningByEveryStop) {
  for (const bool emergency : {false, true}) {
    SCOPED_TRACE(emergency);
    PwmRig rig;
    rig.config.pwm_outputs[1].on_at_stop = true;
    rig.duty(0, 1.0, kT0);
    rig.duty(1, 0.0, kT0);  // the fan was off when the job ended
    if (emergency) {
      rig.producer->set_horizon(kT0 + 10 * kMsNs);
      rig.producer->beat_host();
      StepExecutor exec(rig.config, *rig.consumer, rig.sim);
      ASSERT_TRUE(exec.start().ok());
      for (int i = 0; i < 10'000 && !rig.sim.level(kHeaterPin); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ASSERT_TRUE(rig.sim.level(kHeaterPin));
      rig.producer->request_stop(ipc::StopCause::kEmergency);
      EXPECT_EQ(exec.join().status, ExecutorStatus::kStopped);
    } else {
      rig.push(seg(0, kT0 + 40 * kMsNs, kMsNs, 3, 1));
      rig.push(Record::end_of_stream());
      ASSERT_EQ(rig.run().status, ExecutorStatus::kFinished);
    }
    EXPECT_FALSE(rig.sim.level(kHeaterPin));
    EXPECT_TRUE(rig.sim.level(kFanPin));
  }
}

// PWM edges rank below step edges: one due just after a step is not pulled into the step's write (which
// would make the step late), and one due just before rides along, a little late itself.
TEST(SoftPwm, PwmEdgesNeverHoldAStepBack) {
  for (const int64_t offset : {int64_t{500}, int64_t{-500}}) {
    SCOPED_TRACE(offset);
    Rig rig(1);
    ExecutorConfig config = make_config(1, true);
    config.pwm_outputs = {{"fan", kHeaterPin, kFanCycle, 0}};
    ASSERT_EQ(config.coalesce_ns, 1'000) << "the offsets lie inside the coalescing window";
    const int64_t step = kT0 + 5 * kMsNs;
    const Record pwm_on = Record::of(ipc::pwm_command(0, 1.0, kFanCycle, step + offset));
    const Record step_record = Record::of(seg(0, step, 10'000, 1, 0));  // dir stays low: one rise, one fall
    rig.push(offset < 0 ? pwm_on : step_record);  // records in time order
    rig.push(offset < 0 ? step_record : pwm_on);
    rig.push(Record::end_of_stream());
    RecordingBackend backend;
    const ExecutorReport r = run_to_end(config, *rig.consumer, backend);
    ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
    const int rise = backend.find(step_pin(0), true);
    const int pwm = backend.find(kHeaterPin, true);
    ASSERT_GE(rise, 0);
    ASSERT_GE(pwm, 0);
    EXPECT_EQ(backend.writes[static_cast<std::size_t>(rise)].scheduled, step) << "the step is on time";
    if (offset > 0) {
      EXPECT_GT(pwm, rise) << "the PWM edge has a write of its own";
      EXPECT_EQ(backend.writes[static_cast<std::size_t>(pwm)].scheduled, step + offset) << "at its own time";
    } else {
      EXPECT_EQ(pwm, rise) << "the PWM edge due before the step rides in its write";
    }
  }
}

// Real clock, host idle: no horizon covers the PWM edges, yet the executor keeps toggling the output at
// its times (a heater holds its duty while the host waits, for M109 say) instead of calling it an underrun.
TEST(SoftPwm, RealClockOutputsKeepTogglingWhileTheHostIsIdle) {
  PwmRig rig(false);
  rig.config.pwm_outputs[1].cycle_ns = 2 * kMsNs;
  const int64_t first = monotonic_now() + kLeadNs;
  rig.push(Record::of(ipc::pwm_command(1, 0.5, 2 * kMsNs, first)));
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  for (int i = 0; i < 20'000 && rig.sim.rising_edges(kFanPin) < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(exec.running());
  EXPECT_GE(rig.sim.rising_edges(kFanPin), 5U);
  rig.push(Record::end_of_stream());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_FALSE(rig.sim.level(kFanPin));
  for (std::size_t i = 1; i < rig.edges(kFanPin).size(); ++i) {
    EXPECT_NE(rig.edges(kFanPin)[i].level, rig.edges(kFanPin)[i - 1].level) << "edges alternate";
  }
}

}  // namespace
}  // namespace rtstep::executor

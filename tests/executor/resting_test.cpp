// The executor at rest (real clock, no step or pin command queued: a controller between commands, perhaps
// holding its heaters at temperature). It sleeps a resting poll at a time instead of looking at the ring every
// 50 us, yet a record pushed meanwhile is read before its time, the heartbeats go on both ways, a stop request
// or a lost host still stops it, and a heater's PWM edges and its max_duration still come at their times.
// Every assertion is an order or a generous bound that holds on a loaded 2-core machine, never a timing figure.

#include "executor/executor.hpp"
#include "executor_rig.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>
#include <vector>

namespace rtstep::executor {
namespace {

using namespace rig;  // executor_rig.hpp

constexpr int64_t kMsNs = 1'000'000;
constexpr std::size_t kHeaterPin = 3;  // after stepper 0's step, dir and enable
constexpr int64_t kHeaterCycle = 100 * kMsNs;
constexpr auto kRest = std::chrono::milliseconds(500);  // long enough for the poll to reach its ceiling

static_assert(resting_poll_for(500 * kMsNs, 100 * kMsNs) == 20 * kMsNs, "[rt] defaults: a fifth of the timeout");
static_assert(resting_poll_for(20 * kMsNs, 0) == 5 * kMsNs, "the shortest buffer_time: a quarter of it");
static_assert(resting_poll_for(2 * kMsNs, 0) == kMsNs, "never below 1 ms");
static_assert(resting_poll_for(5'000 * kMsNs, 10'000 * kMsNs) == 20 * kMsNs, "never above 20 ms");

// Polls `done` until it holds or, generously, 10 s have passed; false then.
template <typename Done>
bool wait_for(Done done) {
  for (const int64_t until = monotonic_now() + 10'000 * kMsNs; !done(); std::this_thread::sleep_for(std::chrono::microseconds(200))) {
    if (monotonic_now() > until) return false;
  }
  return true;
}

// Stepper 0 on pins 0-2 and a heater (output 0, pin 3), recording every write; a resting poll as `rtstep
// serve` gets from the [rt] defaults, for a host that pushes records at least kLeadNs ahead.
struct RestRig : Rig {
  RestRig() : Rig(1) {
    std::vector<gpio::PinSpec> pins;
    for (const char* name : {"step", "dir", "enable", "heater"}) pins.push_back({name, false});
    EXPECT_TRUE(sim.configure(pins).ok());
    sim.enable_recording(1 << 16);
    config = make_config(1, false);
    config.pwm_outputs = {{"extruder", kHeaterPin, kHeaterCycle, 300 * kMsNs}};
    config.resting_poll_ns = resting_poll_for(kLeadNs, 0);
  }
  // Every write the sim backend recorded so far (drains the recording).
  std::vector<gpio::EdgeRecord> writes() {
    std::array<gpio::EdgeRecord, 4096> chunk{};
    while (std::size_t n = sim.drain_edges(chunk)) {
      recorded.insert(recorded.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return recorded;
  }
  // Pushes `record` and waits until the executor has taken it off the ring; returns the clock then (no
  // earlier than the executor's read).
  int64_t push_and_see_read(const Record& record) {
    push(record);
    EXPECT_TRUE(wait_for([&] { return producer->size() == 0; })) << "the executor never read it";
    return monotonic_now();
  }
  ExecutorConfig config;
  std::vector<gpio::EdgeRecord> recorded;
};

// Nothing is due: the loop rests, beating at its resting pace (far fewer beats than one per millisecond), and
// a segment pushed a lead ahead is still read before its time and written, every edge at or after its time.
TEST(Resting, ARecordPushedWhileTheLoopRestsIsReadBeforeItsTime) {
  RestRig rig;
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const uint64_t beats_before = rig.consumer->executor_beats();
  const int64_t rest_from = monotonic_now();
  std::this_thread::sleep_for(kRest);
  const uint64_t beats = rig.consumer->executor_beats() - beats_before;
  const int64_t rested_ms = (monotonic_now() - rest_from) / kMsNs;
  EXPECT_GT(beats, 0U) << "the heartbeat goes on while the loop rests";
  EXPECT_LT(beats, static_cast<uint64_t>(rested_ms / 4)) << "resting, the loop does not wake every millisecond";

  const int64_t first = monotonic_now() + kLeadNs;
  const int64_t seen_read = rig.push_and_see_read(Record::of(seg(0, first, 1 * kMsNs, 20, 1)));
  EXPECT_LT(seen_read, first) << "read " << (seen_read - first) / 1'000 << " us after its time";
  rig.push(Record::end_of_stream());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(r.steps, 20U);
  EXPECT_EQ(rig.sim.position(step_pin(0)), 20);
  for (const gpio::EdgeRecord& w : rig.writes()) EXPECT_GE(w.issued_ns, w.scheduled_ns) << "never early";
}

// A heater holds its duty while no motion is queued: the loop sleeps from one PWM edge to the next. A segment
// pushed meanwhile is read before its time; the edges follow the cycle grid, none early; once the host stops
// renewing the duty, the executor turns the heater off at max_duration by itself.
TEST(Resting, BetweenPwmEdgesARecordIsReadInTimeAndMaxDurationStillHolds) {
  RestRig rig;
  const int64_t duty_at = monotonic_now() + kLeadNs;
  rig.push(Record::of(ipc::pwm_command(0, 0.5, kHeaterCycle, duty_at)));
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  ASSERT_TRUE(wait_for([&] { return rig.sim.rising_edges(kHeaterPin) > 0; }));

  // A lead ahead, in the middle of a half cycle: no heater edge falls among the steps (one would ride in
  // their write, at a step's time).
  int64_t first = duty_at + kHeaterCycle / 4;
  while (first < monotonic_now() + kLeadNs) first += kHeaterCycle / 2;
  const int64_t seen_read = rig.push_and_see_read(Record::of(seg(0, first, 1 * kMsNs, 20, 1)));
  EXPECT_LT(seen_read, first) << "read " << (seen_read - first) / 1'000 << " us after its time";
  rig.producer->set_horizon(first + 20 * kMsNs);  // as a host that goes idle after the move: nothing before
  const int64_t expiry = duty_at + rig.config.pwm_outputs[0].max_duration_ns;
  while (monotonic_now() < std::max(expiry, first + 20 * kMsNs) + 50 * kMsNs) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(rig.sim.level(kHeaterPin)) << "not renewed: off since max_duration";
  rig.push(Record::end_of_stream());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(r.steps, 20U);
  EXPECT_EQ(r.pwm_expired, 1U);
  // The heater's edges: a rise at each cycle start and a fall half a cycle later, until the expiry.
  std::vector<int64_t> heater;
  for (const gpio::EdgeRecord& w : rig.writes()) {
    EXPECT_GE(w.issued_ns, w.scheduled_ns) << "never early";
    if ((w.changed & bit(kHeaterPin)) != 0) heater.push_back(w.scheduled_ns - duty_at);
  }
  std::vector<int64_t> expected;
  for (int64_t start = 0; start < expiry - duty_at; start += kHeaterCycle) {
    expected.push_back(start);
    expected.push_back(start + kHeaterCycle / 2);
  }
  EXPECT_EQ(heater, expected);
}

// The enable pin is on and nothing moves: a stop request through the ring still stops the loop, releasing it.
TEST(Resting, AStopRequestStopsARestingLoopAndReleasesTheMotors) {
  RestRig rig;
  const int64_t on_at = monotonic_now() + kLeadNs;
  rig.push(enable(0, on_at, 1));
  rig.producer->set_horizon(on_at + 10 * kMsNs);  // nothing else comes: the enable is served, then rest
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  ASSERT_TRUE(wait_for([&] { return rig.sim.level(enable_pin(0)); }));
  std::this_thread::sleep_for(kRest);
  rig.producer->request_stop(ipc::StopCause::kEmergency);
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kStopped) << r.message();
  EXPECT_EQ(r.stop_cause, ipc::StopCause::kEmergency);
  EXPECT_FALSE(rig.sim.level(enable_pin(0)));
}

// Resting does not blind the executor's watch on the host: a host that stops beating is lost, after the
// timeout and within a generous bound.
TEST(Resting, AHostThatStopsBeatingIsLostWhileTheLoopRests) {
  RestRig rig;
  rig.config.host_timeout_ns = 100 * kMsNs;
  rig.config.resting_poll_ns = resting_poll_for(kLeadNs, rig.config.host_timeout_ns);
  rig.producer->beat_host();
  const int64_t t0 = monotonic_now();
  const ExecutorReport r = run_to_end(rig.config, *rig.consumer, rig.sim);  // nobody beats any more
  const int64_t took = monotonic_now() - t0;
  EXPECT_EQ(r.status, ExecutorStatus::kHostLost) << r.message();
  EXPECT_GE(took, rig.config.host_timeout_ns);
  EXPECT_LT(took, 2'000 * kMsNs) << "generous bound; the design target is the timeout + one resting poll";
}

}  // namespace
}  // namespace rtstep::executor

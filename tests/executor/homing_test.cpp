// Homing in the executor: steppers armed on an endstop input (ipc::PinRole::kEndstop) stop at the step
// where the input reads triggered, no step after it is written, and the homing report says where. The
// input is the sim backend's position rule, so the trip is exactly where the switch "is".
#include "executor/executor.hpp"
#include "executor_rig.hpp"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rtstep::executor {
namespace {

using ipc::PinCommand;
using ipc::Record;
using ipc::StepSegment;
using rig::kLeadNs;
using rig::monotonic_now;
using rig::seg;

Record endstop(uint8_t stepper, int64_t t, uint8_t level) {
  PinCommand p;
  p.stepper = stepper;
  p.time_ns = t;
  p.role = ipc::PinRole::kEndstop;
  p.level = level;
  return Record::of(p);
}

// Stepper i: step pin 2i, dir pin 2i+1; `inputs` inputs ("in0", ...) on the sim backend.
struct Rig {
  explicit Rig(std::size_t steppers, std::size_t inputs = 1) {
    static std::atomic<int> counter{0};
    const std::string name = "/rtstep-homing-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    auto p = ipc::SegmentRing::create(name, 256);
    EXPECT_TRUE(p.ok()) << p.error().message;
    producer = std::make_unique<ipc::SegmentRing>(std::move(p.value()));
    auto c = ipc::SegmentRing::attach(name);
    EXPECT_TRUE(c.ok()) << c.error().message;
    consumer = std::make_unique<ipc::SegmentRing>(std::move(c.value()));
    std::vector<gpio::PinSpec> pins;
    for (std::size_t i = 0; i < 2 * steppers; ++i) pins.push_back({"p" + std::to_string(i), false});
    EXPECT_TRUE(sim.configure(pins).ok());
    std::vector<gpio::InputSpec> specs;
    for (std::size_t i = 0; i < inputs; ++i) specs.push_back({"in" + std::to_string(i), false, gpio::Pull::kUp});
    EXPECT_TRUE(sim.configure_inputs(specs).ok());
    for (std::size_t i = 0; i < steppers; ++i) {
      sim.track_stepper(2 * i, 2 * i + 1);
      config.steppers.push_back({2 * i, 2 * i + 1, gpio::kMaxPins, 2'000});
    }
    config.inputs = static_cast<uint32_t>(inputs);
    config.lock_memory = false;
  }
  void push(const Record& r) {
    while (!producer->try_push(r)) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  // Waits for the homing report number `n` (the host does this before planning on).
  ipc::HomingReport wait_report(uint32_t n) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (producer->homing_sequence() < n && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    EXPECT_EQ(producer->homing_sequence(), n);
    return producer->homing_report();
  }
  std::unique_ptr<ipc::SegmentRing> producer, consumer;
  gpio::SimBackend sim;
  ExecutorConfig config;
};

// Steps of `s` due before `t`.
int64_t steps_before(const StepSegment& s, int64_t t) {
  int64_t n = 0;
  for (uint32_t k = 0; k < s.count; ++k) n += s.step_time(k) < t ? 1 : 0;
  return n;
}

TEST(ExecutorHoming, StopsAtTheTripAndTheHostGoesOnFromThere) {
  Rig rig(1);
  rig.config.virtual_clock = true;
  const std::vector<double> weights{1.0};
  rig.sim.set_input_rule(0, weights, -40, false);  // the switch: position <= -40 steps
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const StepSegment approach = seg(0, 1'000'000, 10'000, 100, 0);
  rig.push(endstop(0, 1'000'000, 1));
  rig.push(Record::of(approach));
  rig.push(endstop(0, approach.last_time() + 1'000'000, 0));
  const ipc::HomingReport r = rig.wait_report(1);
  EXPECT_EQ(r.tripped, 1);
  ASSERT_EQ(r.count, 1);
  EXPECT_EQ(r.stepper[0], 0);
  EXPECT_EQ(r.position[0], -40) << "the step that would pass the switch must not be written";
  EXPECT_EQ(r.trip_time_ns, approach.step_time(40));
  EXPECT_EQ(rig.sim.position(0), -40);
  // The host continues from the trip time, before the end of the homing move it had sent.
  const StepSegment back = seg(0, r.trip_time_ns + 200'000, 20'000, 5, 1);
  ASSERT_LT(back.first_time_ns, approach.last_time());
  rig.push(Record::of(back));
  rig.push(Record::end_of_stream());
  const ExecutorReport report = exec.join();
  ASSERT_EQ(report.status, ExecutorStatus::kFinished) << report.message();
  EXPECT_EQ(rig.sim.position(0), -35);
  EXPECT_EQ(rig.sim.rising_edges(0), 45u) << "no step lost or extra";
  EXPECT_EQ(report.positions[0], -35);
  EXPECT_EQ(report.stepper_steps[0], 45u);
  EXPECT_EQ(report.homing_moves, 1u);
}

TEST(ExecutorHoming, WithoutATripTheWholeMoveRunsAndTheReportSaysSo) {
  Rig rig(1);
  rig.config.virtual_clock = true;
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const StepSegment approach = seg(0, 1'000'000, 10'000, 100, 1);
  rig.push(endstop(0, 1'000'000, 1));
  rig.push(Record::of(approach));
  // The disarm, beyond the last step, tells the executor the move is complete: it runs to the end without
  // waiting for more records while the host waits for the report.
  rig.push(endstop(0, approach.last_time() + 1'000'000, 0));
  const ipc::HomingReport r = rig.wait_report(1);
  EXPECT_EQ(r.tripped, 0);
  EXPECT_EQ(r.position[0], 100);
  rig.push(Record::end_of_stream());
  EXPECT_EQ(exec.join().status, ExecutorStatus::kFinished);
  EXPECT_EQ(rig.sim.rising_edges(0), 100u);
}

TEST(ExecutorHoming, EveryStepperArmedOnTheInputStopsAtTheSameInstant) {
  // Two steppers moving together (X on a corexy): the switch follows stepper 0; stepper 1 stops too, having
  // made exactly its steps due before the trip. A third stepper, not armed, is not affected.
  Rig rig(3);
  rig.config.virtual_clock = true;
  const std::vector<double> weights{1.0, 0.0, 0.0};
  rig.sim.set_input_rule(0, weights, 30, true);
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const StepSegment a = seg(0, 1'000'000, 10'000, 100, 1);
  const StepSegment b = seg(1, 1'003'000, 7'000, 140, 1);
  rig.push(endstop(0, 1'000'000, 1));
  rig.push(endstop(1, 1'000'000, 1));
  rig.push(Record::of(a));
  rig.push(Record::of(b));
  const int64_t end = std::max(a.last_time(), b.last_time()) + 1'000'000;
  rig.push(endstop(0, end, 0));
  rig.push(endstop(1, end, 0));
  const ipc::HomingReport r = rig.wait_report(1);
  ASSERT_EQ(r.tripped, 1);
  ASSERT_EQ(r.count, 2);
  EXPECT_EQ(r.position[0], 30);
  // The first armed step after stepper 0's 30th found the switch closed: a's 31st or one of b's before it.
  EXPECT_GT(r.trip_time_ns, a.step_time(29));
  EXPECT_LE(r.trip_time_ns, a.step_time(30));
  EXPECT_EQ(r.position[1], steps_before(b, r.trip_time_ns));
  const StepSegment c = seg(2, r.trip_time_ns + 500'000, 10'000, 10, 1);  // after the homing move: accepted
  rig.push(Record::of(c));
  rig.push(Record::end_of_stream());
  const ExecutorReport report = exec.join();
  ASSERT_EQ(report.status, ExecutorStatus::kFinished) << report.message();
  EXPECT_EQ(rig.sim.position(1), r.position[1]);
  EXPECT_EQ(rig.sim.rising_edges(2), static_cast<uint64_t>(r.position[1]));  // stepper 1's step pin
  EXPECT_EQ(rig.sim.position(2), 10);
}

// One homing move of two steppers, each armed on its own input (stepper i on input i): 100 steps down
// each, 10 us apart, then both disarmed. Returns stepper 1's segment.
StepSegment push_homing_on_two_switches(Rig& rig) {
  const StepSegment z = seg(0, 1'000'000, 10'000, 100, 0);
  const StepSegment z1 = seg(1, 1'000'000, 10'000, 100, 0);
  rig.push(endstop(0, 1'000'000, 1));
  rig.push(endstop(1, 1'000'000, 2));
  rig.push(Record::of(z));
  rig.push(Record::of(z1));
  const int64_t end = z.last_time() + 1'000'000;
  rig.push(endstop(0, end, 0));
  rig.push(endstop(1, end, 0));
  return z1;
}

TEST(ExecutorHoming, EachStepperStopsAtItsOwnSwitchAndTheMoveEndsAtTheLast) {
  // stepper_z and stepper_z1 with their own endstop_pin: input 0 follows stepper 0, input 1 stepper 1, whose
  // switch is further away. Stepper 0 stops first; stepper 1 goes on to its own switch; the report comes
  // when both have stopped, with the later trip as the time the host goes on from.
  Rig rig(2, 2);
  rig.config.virtual_clock = true;
  rig.sim.set_input_rule(0, std::vector<double>{1.0, 0.0}, -30, false);
  rig.sim.set_input_rule(1, std::vector<double>{0.0, 1.0}, -55, false);
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const StepSegment z1 = push_homing_on_two_switches(rig);
  const ipc::HomingReport r = rig.wait_report(1);
  ASSERT_EQ(r.tripped, 1);
  ASSERT_EQ(r.count, 2);
  EXPECT_EQ(r.position[0], -30);
  EXPECT_EQ(r.position[1], -55);
  EXPECT_EQ(r.trip_time_ns, z1.step_time(55)) << "the move ends when the last switch trips";
  const StepSegment up = seg(1, r.trip_time_ns + 500'000, 10'000, 5, 1);  // the host goes on
  rig.push(Record::of(up));
  rig.push(Record::end_of_stream());
  const ExecutorReport report = exec.join();
  ASSERT_EQ(report.status, ExecutorStatus::kFinished) << report.message();
  EXPECT_EQ(rig.sim.rising_edges(0), 30u) << "stepper 0 made no step past its own switch";
  EXPECT_EQ(rig.sim.position(1), -50);
  EXPECT_EQ(rig.sim.rising_edges(2), 60u);
}

TEST(ExecutorHoming, WhenOneSwitchNeverTripsTheReportIsNotTripped) {
  Rig rig(2, 2);
  rig.config.virtual_clock = true;
  rig.sim.set_input_rule(0, std::vector<double>{1.0, 0.0}, -30, false);
  rig.sim.set_input_rule(1, std::vector<double>{0.0, 1.0}, -500, false);  // beyond the move
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  push_homing_on_two_switches(rig);
  const ipc::HomingReport r = rig.wait_report(1);
  EXPECT_EQ(r.tripped, 0);
  ASSERT_EQ(r.count, 2);
  EXPECT_EQ(r.position[0], -30);
  EXPECT_EQ(r.position[1], -100);
  rig.push(Record::end_of_stream());
  EXPECT_EQ(exec.join().status, ExecutorStatus::kFinished);
}

TEST(ExecutorHoming, OnTheRealClockTheTripIsTheSame) {
  Rig rig(1);
  rig.config.virtual_clock = false;
  rig.config.slack_ns = 200'000;
  rig.config.max_lateness_ns = 0;  // a stall of the loaded test machine is not what this case tests
  const std::vector<double> weights{1.0};
  rig.sim.set_input_rule(0, weights, -25, false);
  StepExecutor exec(rig.config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const int64_t t0 = monotonic_now() + kLeadNs;
  const StepSegment approach = seg(0, t0, 50'000, 60, 0);
  rig.push(endstop(0, t0, 1));
  rig.push(Record::of(approach));
  rig.push(endstop(0, approach.last_time() + 1'000'000, 0));
  const ipc::HomingReport r = rig.wait_report(1);
  EXPECT_EQ(r.tripped, 1);
  EXPECT_EQ(r.position[0], -25);
  EXPECT_EQ(r.trip_time_ns, approach.step_time(25));
  rig.push(Record::end_of_stream());
  const ExecutorReport report = exec.join();
  EXPECT_EQ(report.status, ExecutorStatus::kFinished) << report.message();
  EXPECT_EQ(rig.sim.rising_edges(0), 25u);
}

TEST(ExecutorHoming, BrokenHomingRecordsAreBadRecords) {
  for (const Record& bad : {endstop(0, 1'000, 0), endstop(0, 1'000, 2)}) {  // disarm unarmed; input 1 of 1
    Rig rig(1);
    rig.config.virtual_clock = true;
    StepExecutor exec(rig.config, *rig.consumer, rig.sim);
    ASSERT_TRUE(exec.start().ok());
    rig.push(bad);
    rig.push(Record::end_of_stream());
    const ExecutorReport report = exec.join();
    EXPECT_EQ(report.status, ExecutorStatus::kBadRecord);
    EXPECT_EQ(report.fault_detail, "pin command of stepper 0 with unknown role or level");
  }
}

}  // namespace
}  // namespace rtstep::executor

// StepExecutor against the real shared-memory ring and the sim backend (or a recording backend):
// step counts and positions, dir and enable handling, edge order, faults, underrun, real-clock runs, stop.
// Timing on this VM is not real-time: tests assert behaviour, never tight latency figures.

#include "executor/executor.hpp"
#include "executor/step_loop.hpp"
#include "executor_rig.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rtstep::executor {
namespace {

using namespace rig;  // executor_rig.hpp

TEST(StepExecutor, VirtualClockInterleavedSteppers) {
  Rig rig(3);
  // Sorted by first step time; per stepper, segments do not overlap; directions change.
  rig.push(seg(0, 1'000'000, 10'000, 100, 1));             // 1.00-1.99 ms, +100
  rig.push(seg(1, 1'500'000, 7'000, 200, 0, 3));           // -200, accelerating interval
  rig.push(seg(2, 2'000'000, 20'000, 50, 1));              // +50
  rig.push(seg(0, 3'000'000, 10'000, 30, 0));              // -30
  rig.push(seg(2, 3'100'000, 5'000, 1, 0));                // -1
  rig.push(seg(0, 3'400'000, 6'000, 500, 1, -2));          // +500, decelerating
  rig.push(seg(1, 4'000'000, 9'000, 70, 1));               // +70
  rig.push(Record::end_of_stream());
  StepExecutor exec(make_config(3, true), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(r.steps, 100U + 200 + 50 + 30 + 1 + 500 + 70);
  EXPECT_EQ(r.message(), "finished: " + std::to_string(r.steps) + " steps");
  EXPECT_FALSE(r.realtime);
  EXPECT_TRUE(r.warning.empty());
  EXPECT_EQ(rig.sim.position(0), 100 - 30 + 500);
  EXPECT_EQ(rig.sim.position(1), -200 + 70);
  EXPECT_EQ(rig.sim.position(2), 50 - 1);
  EXPECT_EQ(rig.sim.rising_edges(step_pin(0)), 630U);
  EXPECT_EQ(rig.sim.rising_edges(step_pin(1)), 270U);
  EXPECT_EQ(rig.sim.rising_edges(step_pin(2)), 51U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(rig.sim.level(step_pin(i)));
  EXPECT_EQ(r.writes, rig.sim.writes());
  const auto lateness = exec.lateness().snapshot();
  // Every edge is measured: rise and fall of each step, plus the dir writes (6 direction changes here).
  EXPECT_EQ(r.edges, 2 * r.steps + 6);
  EXPECT_EQ(lateness.count, r.edges);
  EXPECT_EQ(lateness.early, 0U);
  EXPECT_LE(lateness.max_ns, 1'000) << "virtual clock: only coalescing may delay an edge here";
}

TEST(StepExecutor, VirtualClockKeepsUpWithAConcurrentProducer) {
  Rig rig(2, 64);  // small ring: the producer waits for room, the executor waits for records
  StepExecutor exec(make_config(2, true), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  int64_t expected[2] = {0, 0};
  int64_t t = 1'000'000;
  for (int i = 0; i < 5'000; ++i) {
    const auto stepper = static_cast<uint8_t>(i % 2);
    const auto dir = static_cast<uint8_t>((i / 2) % 3 == 0 ? 0 : 1);
    const uint32_t count = 1 + static_cast<uint32_t>(i % 7);
    rig.push(seg(stepper, t + stepper * 3'000, 6'000, count, dir));
    expected[stepper] += dir != 0 ? count : -int64_t{count};
    if (stepper == 1) t += 60'000;
  }
  rig.push(Record::end_of_stream());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(rig.sim.position(0), expected[0]);
  EXPECT_EQ(rig.sim.position(1), expected[1]);
}

TEST(StepExecutor, EndOfStreamAloneFinishes) {
  Rig rig(1);
  rig.push(Record::end_of_stream());
  const ExecutorReport r = run_to_end(make_config(1, true), *rig.consumer, rig.sim);
  EXPECT_EQ(r.status, ExecutorStatus::kFinished);
  EXPECT_EQ(r.steps, 0U);
}

TEST(StepExecutor, DirIsWrittenBeforeTheStepWithSetupTime) {
  Rig rig(1);
  RecordingBackend rec;
  rig.push(seg(0, 1'000'000, 10'000, 2, 1));
  // Starts 100 ns after the previous pulse ends (1.010 ms + 2 us): the dir hold (200 ns) and setup (200 ns)
  // cannot both fit, so the step slips 300 ns late and the lateness shows it.
  rig.push(seg(0, 1'012'100, 10'000, 2, 0));
  rig.push(Record::end_of_stream());
  StepExecutor exec(make_config(1, true), *rig.consumer, rec);
  ASSERT_TRUE(exec.start().ok());
  EXPECT_EQ(exec.join().status, ExecutorStatus::kFinished);
  const int dir_up = rec.find(dir_pin(0), true);
  const int first_step = rec.find(step_pin(0), true);
  ASSERT_GE(dir_up, 0);
  EXPECT_LT(dir_up, first_step) << "dir must be written in an earlier write than the step";
  const int dir_down = rec.find(dir_pin(0), false);
  const int second_fall = rec.find(step_pin(0), false, static_cast<std::size_t>(rec.find(step_pin(0), false)) + 1);
  const int third_step = rec.find(step_pin(0), true, static_cast<std::size_t>(dir_down));
  EXPECT_GT(dir_down, second_fall) << "dir must not change before the previous pulse has ended";
  EXPECT_GT(third_step, dir_down);
  const auto lateness = exec.lateness().snapshot();
  EXPECT_EQ(lateness.count, 4U + 4U + 2U) << "4 rises, 4 falls, 2 dir writes";
  EXPECT_EQ(lateness.max_ns, 300);
}

TEST(StepExecutor, LongPulseDoesNotDelayAnotherStepper) {
  Rig rig(2);
  RecordingBackend rec;
  ExecutorConfig config = make_config(2, true);
  config.steppers[0].pulse_ns = 4'000;
  config.steppers[1].pulse_ns = 1'000;
  config.coalesce_ns = 0;
  rig.push(seg(0, 100'000, 10'000, 1, 0));
  rig.push(seg(1, 102'000, 10'000, 1, 0));
  rig.push(Record::end_of_stream());
  StepExecutor exec(config, *rig.consumer, rec);
  ASSERT_TRUE(exec.start().ok());
  EXPECT_EQ(exec.join().status, ExecutorStatus::kFinished);
  const int rise0 = rec.find(step_pin(0), true), fall0 = rec.find(step_pin(0), false);
  const int rise1 = rec.find(step_pin(1), true), fall1 = rec.find(step_pin(1), false);
  // Edges at 100, 102, 103 and 104 us: stepper 1's whole pulse fits inside stepper 0's.
  EXPECT_LT(rise0, rise1);
  EXPECT_LT(rise1, fall1);
  EXPECT_LT(fall1, fall0);
  EXPECT_EQ(exec.lateness().snapshot().max_ns, 0);
}

TEST(StepExecutor, EnableCommandsDriveTheEnablePin) {
  Rig rig(2);
  RecordingBackend rec;
  rig.push(enable(0, 500'000, 1));
  rig.push(seg(0, 1'000'000, 10'000, 3, 1));
  rig.push(enable(0, 2'000'000, 0));
  rig.push(enable(1, 2'100'000, 1));
  rig.push(Record::end_of_stream());
  StepExecutor exec(make_config(2, true), *rig.consumer, rec);
  ASSERT_TRUE(exec.start().ok());
  EXPECT_EQ(exec.join().status, ExecutorStatus::kFinished);
  const int on = rec.find(enable_pin(0), true);
  const int first_step = rec.find(step_pin(0), true);
  ASSERT_GE(on, 0);
  EXPECT_LT(on, first_step);
  const int off = rec.find(enable_pin(0), false);
  EXPECT_GT(off, first_step);
  const int on1 = rec.find(enable_pin(1), true);
  EXPECT_GT(on1, off);
  // The final write releases every enable pin and drives every step pin low.
  ASSERT_FALSE(rec.writes.empty());
  const auto last = rec.writes.back();
  EXPECT_EQ(last.high, 0U);
  EXPECT_EQ(last.low, bit(step_pin(0)) | bit(step_pin(1)) | bit(enable_pin(0)) | bit(enable_pin(1)));
}

struct BadCase {
  const char* what;
  Record bad;
  uint64_t index;         // of the bad record in the stream
  const char* expected;   // in the message
};

TEST(StepExecutor, BadRecordsStopWithStepPinsLowAndEnableReleased) {
  Record unknown_kind = Record::end_of_stream();
  unknown_kind.kind = static_cast<ipc::RecordKind>(77);
  Record bad_pin = enable(1, 3'000'000, 1);
  bad_pin.pin.level = 2;
  const std::vector<BadCase> cases = {
      {"invalid", Record::of(seg(0, 3'000'000, 10, 5, 1)), 3, "bad record #3: invalid segment of stepper 0"},
      {"unknown stepper", Record::of(seg(9, 3'000'000, 10'000, 5, 1)), 3, "bad record #3: segment of unknown stepper 9"},
      {"backwards", Record::of(seg(1, 1'500'000, 10'000, 5, 1)), 3, "time goes backwards"},
      {"overlap", Record::of(seg(0, 2'100'000, 10'000, 5, 1)), 3, "before the previous one's last step"},
      {"kind", unknown_kind, 3, "unknown record kind 77"},
      {"pin", bad_pin, 3, "pin command of stepper 1"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    Rig rig(2);
    rig.push(enable(0, 1'000'000, 1));
    rig.push(seg(0, 1'900'000, 100'000, 5, 1));  // steps at 1.9 .. 2.3 ms
    rig.push(enable(1, 2'000'000, 1));
    rig.push(c.bad);
    rig.push(seg(1, 9'000'000, 10'000, 5, 1));
    rig.push(Record::end_of_stream());
    const ExecutorReport r = run_to_end(make_config(2, true), *rig.consumer, rig.sim);
    EXPECT_EQ(r.status, ExecutorStatus::kBadRecord) << r.message();
    EXPECT_EQ(r.fault_record, c.index);
    EXPECT_NE(r.message().find(c.expected), std::string::npos) << r.message();
    EXPECT_EQ(rig.sim.rising_edges(step_pin(1)), 0U) << "nothing after the bad record may run";
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_FALSE(rig.sim.level(step_pin(i)));
      EXPECT_FALSE(rig.sim.level(enable_pin(i)));
    }
  }
}

TEST(StepExecutor, CorruptedRingIndicesAreABadRecord) {
  Rig rig(1, 8);
  rig.push(seg(0, 1'000'000, 10'000, 5, 1));
  // A hostile producer publishes a write index far beyond what the ring holds (offset 64: ABI layout).
  const int fd = shm_open(rig.producer->name().c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  void* base = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  ASSERT_NE(base, MAP_FAILED);
  const uint64_t huge = 1'000'000;
  std::memcpy(static_cast<char*>(base) + 64, &huge, sizeof huge);
  munmap(base, 4096);
  const ExecutorReport r = run_to_end(make_config(1, true), *rig.consumer, rig.sim);
  EXPECT_EQ(r.status, ExecutorStatus::kBadRecord);
  EXPECT_NE(r.message().find("ring indices corrupted"), std::string::npos) << r.message();
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
}

TEST(StepExecutor, VirtualClockWaitsForTheHostAndStopsOnRequest) {
  Rig rig(1);
  rig.push(seg(0, 1'000'000, 10'000, 5, 1));  // no end of stream: the executor must wait, not underrun
  StepExecutor exec(make_config(1, true), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(exec.steps_written(), 0U);
  exec.request_stop();
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kStopped);
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
}

TEST(StepExecutor, StartRejectsInvalidConfigurations) {
  Rig rig(1);
  auto expect_error = [&](ExecutorConfig c, const char* text) {
    StepExecutor exec(std::move(c), *rig.consumer, rig.sim);
    const Status st = exec.start();
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_NE(st.error().message.find(text), std::string::npos) << st.error().message;
  };
  expect_error(make_config(17, true), "17 steppers");
  ExecutorConfig c = make_config(1, true);
  c.steppers[0].pulse_ns = 0;
  expect_error(c, "pulse_ns 0");
  c = make_config(1, true);
  c.steppers[0].dir_pin = c.steppers[0].step_pin;
  expect_error(c, "different pins");
  c = make_config(1, false);
  c.cpus = {5000};
  expect_error(c, "CPU 5000");
  c = make_config(1, false);
  c.priority = 0;
  expect_error(c, "priority 0");
}

// ---- real clock ----

TEST(StepExecutor, RealClockUnderrunWhenTheHostStopsDelivering) {
  Rig rig(2);
  ExecutorConfig config = make_config(2, false);
  const int64_t first = monotonic_now() + 1'000'000;
  rig.push(seg(1, first, 1'000'000, 3, 0));  // due in 1 ms; nothing after it, no end of stream
  StepExecutor exec(config, *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kUnderrun) << r.message();
  EXPECT_EQ(r.fault_stepper, 1);
  EXPECT_EQ(r.fault_time_ns, first);
  EXPECT_EQ(r.steps, 0U) << "an edge is never served before the host proved nothing earlier comes";
  EXPECT_GE(monotonic_now(), first + config.underrun_grace_ns);
  EXPECT_NE(r.message().find("underrun: stepper 1 had an edge due at +0.000000 s"), std::string::npos) << r.message();
  EXPECT_FALSE(rig.sim.level(step_pin(1)));
}

TEST(StepExecutor, RealClockRunWritesEveryStep) {
  Rig rig(2);
  const int64_t start = monotonic_now() + kLeadNs;
  // 2 x 1000 steps over 100 ms, in 10 segments per stepper.
  for (int s = 0; s < 10; ++s) {
    rig.push(seg(0, start + s * 10'000'000, 100'000, 100, 1));
    rig.push(seg(1, start + s * 10'000'000 + 50'000, 100'000, 100, s % 2 == 0 ? 1 : 0));
  }
  rig.push(Record::end_of_stream());
  StepExecutor exec(make_config(2, false), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_TRUE(r.realtime || !r.warning.empty()) << "either SCHED_FIFO or a warning saying why not";
  EXPECT_EQ(r.steps, 2000U);
  EXPECT_EQ(rig.sim.position(0), 1000);
  EXPECT_EQ(rig.sim.position(1), 0);
  const auto lateness = exec.lateness().snapshot();
  EXPECT_EQ(lateness.count, r.edges);
  EXPECT_GE(r.edges, 4000U) << "2000 rises and 2000 falls at least";
  EXPECT_EQ(lateness.early, 0U) << "no edge may be written before its time";
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
  EXPECT_FALSE(rig.sim.level(step_pin(1)));
}

TEST(StepExecutor, RealClockRequestStopMidRun) {
  Rig rig(1);
  // Lead times leave room for the thread's start on a loaded machine: a record read after its time is an
  // underrun.
  rig.push(enable(0, monotonic_now() + kLeadNs, 1));
  rig.push(seg(0, monotonic_now() + kLeadNs + 5'000'000, 1'000'000, 10'000, 1));  // 10 s of steps
  rig.push(Record::end_of_stream());
  StepExecutor exec(make_config(1, false), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  std::this_thread::sleep_for(kLead + std::chrono::milliseconds(40));
  exec.request_stop();
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kStopped) << r.message();
  EXPECT_LT(r.steps, 10'000U);
  EXPECT_EQ(rig.sim.rising_edges(step_pin(0)), r.steps);
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
  EXPECT_FALSE(rig.sim.level(enable_pin(0)));
}

// ---- ordering, learned slack, stalls, limits, heartbeats (issue 4) ----

TEST(StepExecutor, SixteenSteppersComeOutInTimeOrderWithExactPositions) {
  Rig rig(16);
  RecordingBackend rec;
  ExecutorConfig config = make_config(16, true);
  config.coalesce_ns = 0;  // one event per write unless two are due at the same ns
  int64_t expected[16] = {};
  for (int round = 0; round < 20; ++round) {
    for (uint8_t i = 0; i < 16; ++i) {
      const int64_t first = 1'000'000 + round * 1'000'000 + i * 1'337;
      const uint8_t dir = static_cast<uint8_t>((round + i) % 3 == 0 ? 0 : 1);
      const uint32_t count = 5 + (i * 7 + round) % 40;
      rig.push(seg(i, first, 6'000 + i * 150, count, dir));
      expected[i] += dir != 0 ? count : -int64_t{count};
    }
  }
  rig.push(Record::end_of_stream());
  gpio::SimBackend& sim = rig.sim;
  StepExecutor exec(config, *rig.consumer, rec);
  ASSERT_TRUE(exec.start().ok());
  EXPECT_EQ(exec.join().status, ExecutorStatus::kFinished);
  // Replaying the writes into the sim backend gives the positions the pins add up to.
  for (const auto& w : rec.writes) sim.write(w.high, w.low, w.scheduled, w.issued);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(sim.position(i), expected[i]) << "stepper " << i;
  for (std::size_t w = 1; w + 1 < rec.writes.size(); ++w) {
    ASSERT_LE(rec.writes[w - 1].scheduled, rec.writes[w].scheduled) << "write " << w << " out of order";
  }
}

TEST(StepExecutor, ARecordThatArrivesAfterItsTimeIsAnUnderrunWithHowLate) {
  Rig rig(2);
  const int64_t first = monotonic_now() - 10'000'000;  // already 10 ms overdue
  rig.push(seg(1, first, 100'000, 3, 1));
  const ExecutorReport r = run_to_end(make_config(2, false), *rig.consumer, rig.sim);
  EXPECT_EQ(r.status, ExecutorStatus::kUnderrun);
  EXPECT_EQ(r.fault_stepper, 1);
  EXPECT_EQ(r.fault_time_ns, first);
  EXPECT_GE(r.fault_late_ns, 10'000'000);
  EXPECT_EQ(r.steps, 0U) << "the motion is never shifted: nothing of it is written";
  EXPECT_NE(r.message().find("ms late") == std::string::npos ? r.message().find("us late") : 0, std::string::npos)
      << r.message();
}

TEST(StepExecutor, MaxLatenessStopsInsteadOfWritingALateEdge) {
  Rig rig(1);
  ExecutorConfig config = make_config(1, false);
  config.max_lateness_ns = 1;  // any real write is later than 1 ns: the first edge trips it
  const int64_t first = monotonic_now() + kLeadNs;
  rig.push(enable(0, first - 1'000'000, 1));
  rig.push(seg(0, first, 50'000, 200, 1));
  rig.push(Record::end_of_stream());
  const ExecutorReport r = run_to_end(config, *rig.consumer, rig.sim);
  EXPECT_EQ(r.status, ExecutorStatus::kTooLate) << r.message();
  EXPECT_LT(r.steps, 200U);
  EXPECT_GT(r.fault_late_ns, 1);
  EXPECT_NE(r.message().find("max_lateness"), std::string::npos) << r.message();
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
  EXPECT_FALSE(rig.sim.level(enable_pin(0)));
}

TEST(StepExecutor, WritesLaterThanTheStallThresholdAreCountedAsStalls) {
  Rig rig(1);
  ExecutorConfig config = make_config(1, false);
  config.stall_threshold_ns = 1;  // every real write qualifies: stalls are counted as episodes
  const int64_t first = monotonic_now() + kLeadNs;
  rig.push(seg(0, first, 200'000, 20, 1));
  rig.push(Record::end_of_stream());
  const ExecutorReport r = run_to_end(config, *rig.consumer, rig.sim);
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_GE(r.stalls, 1U);
  EXPECT_LE(r.stalls, r.writes);
  EXPECT_GT(r.longest_stall_ns, 0);
  EXPECT_GE(r.first_stall_ns, first - config.dir_setup_ns);
}

TEST(StepExecutor, SlackIsLearnedFromWakeUps) {
  Rig rig(1);
  ExecutorConfig config = make_config(1, false);
  config.slack_ns = kMinSlackNs;  // a real wake-up is always later than this: the slack must grow
  const int64_t first = monotonic_now() + kLeadNs;
  rig.push(seg(0, first, 150'000, 1'200, 1));  // > 1024 sleeps: one learning window
  rig.push(Record::end_of_stream());
  const ExecutorReport r = run_to_end(config, *rig.consumer, rig.sim);
  EXPECT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_GT(r.slack_ns, kMinSlackNs);
  EXPECT_LE(r.slack_ns, config.max_slack_ns);
}

TEST(StepExecutor, HostHeartbeatLossStopsWithinTheTimeout) {
  Rig rig(1);
  ExecutorConfig config = make_config(1, false);
  config.host_timeout_ns = 50'000'000;
  rig.push(enable(0, monotonic_now() + kLeadNs, 1));
  rig.push(seg(0, monotonic_now() + kLeadNs + 5'000'000, 1'000'000, 10'000, 1));  // 10 s of steps
  rig.producer->set_horizon(monotonic_now() + 20'000'000'000);       // so an empty ring is no underrun
  rig.producer->beat_host();
  const int64_t t0 = monotonic_now();
  const ExecutorReport r = run_to_end(config, *rig.consumer, rig.sim);  // nobody beats any more
  const int64_t took = monotonic_now() - t0;
  EXPECT_EQ(r.status, ExecutorStatus::kHostLost) << r.message();
  EXPECT_GE(took, 50'000'000);
  EXPECT_LT(took, 1'000'000'000) << "generous bound; the design target is timeout + ~1 ms";
  EXPECT_NE(r.message().find("host lost"), std::string::npos);
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
  EXPECT_FALSE(rig.sim.level(enable_pin(0)));
  EXPECT_GT(rig.consumer->executor_beats(), 0U) << "the executor beats while it runs";
}

TEST(StepExecutor, EmergencyStopThroughTheRing) {
  Rig rig(1);
  rig.push(seg(0, monotonic_now() + kLeadNs, 1'000'000, 10'000, 1));
  rig.producer->set_horizon(monotonic_now() + 20'000'000'000);
  StepExecutor exec(make_config(1, false), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  rig.producer->request_stop(ipc::StopCause::kEmergency);
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kStopped);
  EXPECT_EQ(r.stop_cause, ipc::StopCause::kEmergency);
  EXPECT_NE(r.message().find("emergency stop"), std::string::npos) << r.message();
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
}

TEST(StepExecutor, HostHorizonLetsAnIdleHostAvoidAnUnderrun) {
  Rig rig(1);
  const int64_t first = monotonic_now() + kLeadNs;
  rig.push(seg(0, first, 100'000, 10, 1));  // ends at +2.9 ms; then the host idles (no end of stream)
  rig.producer->set_horizon(first + 50'000'000);
  StepExecutor exec(make_config(1, false), *rig.consumer, rig.sim);
  ASSERT_TRUE(exec.start().ok());
  std::this_thread::sleep_for(kLead + std::chrono::milliseconds(30));  // well past the last step + the grace
  EXPECT_TRUE(exec.running());
  exec.request_stop();
  const ExecutorReport r = exec.join();
  EXPECT_EQ(r.status, ExecutorStatus::kStopped) << r.message();
  EXPECT_EQ(r.steps, 10U);
}

TEST(EventTree, WinnerIsTheSmallestKeyAndTiesGoToTheLowestLeaf) {
  EventTree tree;
  EXPECT_EQ(tree.min_key(), INT64_MAX);
  tree.set(5, 100);
  tree.set(9, 50);
  tree.set(16, 50);
  EXPECT_EQ(tree.winner(), 9U);
  tree.set(9, INT64_MAX);
  EXPECT_EQ(tree.winner(), 16U);
  tree.set(3, 50);
  EXPECT_EQ(tree.winner(), 3U);
  tree.set(3, 200);
  tree.set(16, 300);
  EXPECT_EQ(tree.winner(), 5U);
  EXPECT_EQ(tree.min_key(), 100);
}

}  // namespace
}  // namespace rtstep::executor

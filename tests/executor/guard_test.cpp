// The executor's safety guards: the lateness guard (a late stepper may not catch up by bunching more steps
// than its bound), the per-stepper timing it reports, GPIO writes and endstop reads that fail, every pulse
// at full width on a stop, and the host's horizon read before the ring's emptiness (no record is served
// late because it arrived between the two).
//
// Lateness here is made, not hoped for: a segment whose first step is already in the past when the
// executor starts is late by at least that much however loaded the machine is.

#include "executor/executor.hpp"
#include "executor_rig.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace rtstep::executor {
namespace {

using namespace rig;  // executor_rig.hpp

constexpr int64_t kMs = 1'000'000;

// A real-clock configuration for faults made on purpose: no lateness limit of its own and a wide underrun
// margin, so that only the guard under test can stop the job, whatever the load.
ExecutorConfig late_config(uint32_t max_bunch) {
  ExecutorConfig c = make_config(1, false);
  c.allow_non_realtime = true;
  c.max_lateness_ns = 0;
  c.underrun_grace_ns = 10'000 * kMs;
  c.steppers[0].max_bunch_steps = max_bunch;
  return c;
}

// Pushes one segment of 5,000 steps at 20 us whose first step was due 1 ms before now, then the end.
void push_late_segment(Rig& rig, uint32_t line) {
  Record r = Record::of(seg(0, monotonic_now() - kMs, 20'000, 5'000, 0));
  r.line = line;
  rig.push(r);
  rig.push(Record::end_of_stream());
}

TEST(LatenessGuard, StopsALateStepperBeforeItBunchesAndNamesTheLine) {
  Rig rig(1);
  push_late_segment(rig, 42);
  const ExecutorReport r = run_to_end(late_config(16), *rig.consumer, rig.sim);
  ASSERT_EQ(r.status, ExecutorStatus::kBunched) << r.message();
  EXPECT_EQ(r.fault_stepper, 0);
  // At least 1 ms late at 20 us a step: 49 further steps were due, over the bound of 16.
  EXPECT_GE(r.fault_late_ns, kMs);
  EXPECT_GT(r.fault_backlog, 16U);
  EXPECT_GE(r.fault_backlog, static_cast<uint32_t>(r.fault_late_ns / 20'000) - 1);
  EXPECT_EQ(r.fault_line, 42U);
  EXPECT_EQ(r.steps, 0U) << "nothing is written once the guard trips";
  EXPECT_EQ(rig.sim.rising_edges(step_pin(0)), 0U);
  EXPECT_NE(r.message().find("lateness guard: stepper 0"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("(G-code line 42)"), std::string::npos) << r.message();
}

TEST(LatenessGuard, OffItLetsTheStepperCatchUpAndReportsHowFar) {
  Rig rig(1);
  push_late_segment(rig, 7);
  const ExecutorReport r = run_to_end(late_config(0), *rig.consumer, rig.sim);
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(rig.sim.rising_edges(step_pin(0)), 5'000U);
  EXPECT_GE(r.timing[0].max_backlog, 49U);
  // Every planned interval is 20 us; the catch-up wrote some much closer together.
  EXPECT_EQ(r.timing[0].planned_interval_ns, 20'000);
  EXPECT_LT(r.timing[0].shortest_interval_ns, 20'000);
  EXPECT_GE(r.timing[0].shortest_interval_ns, 2 * 2'000) << "a pulse and its low time are never cut short";
}

TEST(LatenessGuard, OnTimeStepsKeepTheirPlannedIntervals) {
  Rig rig(2);
  rig.push(seg(0, 1 * kMs, 10'000, 100, 1));
  rig.push(seg(1, 1 * kMs + 3'000, 7'000, 50, 1, 20));  // slowing down: intervals 7, 7.02, 7.04 ... us
  rig.push(Record::end_of_stream());
  ExecutorConfig c = make_config(2, true);
  c.steppers[0].max_bunch_steps = c.steppers[1].max_bunch_steps = 1;
  c.coalesce_ns = 0;  // every edge exactly at its time (coalescing would shift a step by up to 1 us)
  const ExecutorReport r = run_to_end(c, *rig.consumer, rig.sim);
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(r.timing[0].shortest_interval_ns, 10'000);
  EXPECT_EQ(r.timing[0].planned_interval_ns, 10'000);
  EXPECT_EQ(r.timing[1].shortest_interval_ns, 7'000);
  EXPECT_EQ(r.timing[1].planned_interval_ns, 7'000);
  EXPECT_EQ(r.timing[0].max_backlog, 0U);
  EXPECT_EQ(r.timing[1].max_backlog, 0U);
}

// The sim backend behind a switch that makes writes number [fail_from, fail_from + fail_count) fail, as a
// refused ioctl would, and, on request, every input read. Keeps the issue time of every write it passed on.
class FailingBackend final : public gpio::Backend {
 public:
  FailingBackend(gpio::SimBackend& sim, uint64_t fail_from, uint64_t fail_count, bool inputs_fail)
      : sim_(sim), fail_from_(fail_from), fail_count_(fail_count), inputs_fail_(inputs_fail) {
    issued.reserve(10'000);
  }
  Status configure(std::span<const gpio::PinSpec> pins) override { return sim_.configure(pins); }
  void write(PinMask high, PinMask low, int64_t scheduled, int64_t issued_ns) noexcept override {
    const uint64_t n = writes_++;
    if (n >= fail_from_ && n - fail_from_ < fail_count_) {
      errors_.fetch_add(1);
      return;
    }
    sim_.write(high, low, scheduled, issued_ns);
    issued.push_back(issued_ns);
  }
  std::string_view name() const noexcept override { return "failing"; }
  Status configure_inputs(std::span<const gpio::InputSpec> inputs) override { return sim_.configure_inputs(inputs); }
  gpio::InputMask read_inputs() noexcept override {
    if (!inputs_fail_) return sim_.read_inputs();
    errors_.fetch_add(1);
    return ~gpio::InputMask{0};  // as every backend reads an input it could not read: triggered
  }
  uint64_t io_errors() const noexcept override { return errors_.load(); }
  std::vector<int64_t> issued;

 private:
  gpio::SimBackend& sim_;
  uint64_t fail_from_, fail_count_;
  bool inputs_fail_;
  uint64_t writes_ = 0;
  std::atomic<uint64_t> errors_{0};
};

TEST(GpioFaults, AFailedWriteStopsTheJobAndSaysSo) {
  Rig rig(1);
  Record r = Record::of(seg(0, 1 * kMs, 10'000, 100, 0));
  r.line = 12;
  rig.push(r);
  rig.push(Record::end_of_stream());
  FailingBackend failing(rig.sim, 20, UINT64_MAX, false);
  const ExecutorReport report = run_to_end(make_config(1, true), *rig.consumer, failing);
  ASSERT_EQ(report.status, ExecutorStatus::kGpioFault) << report.message();
  EXPECT_NE(report.message().find("GPIO fault: a GPIO write failed"), std::string::npos) << report.message();
  EXPECT_NE(report.message().find("(G-code line 12)"), std::string::npos) << report.message();
  // 20 writes went through: 10 rises and their falls; the failed one is not counted as a step.
  EXPECT_EQ(report.steps, 10U);
}

TEST(GpioFaults, AnEndstopThatCannotBeReadStopsTheHomingAxis) {
  Rig rig(1);
  ASSERT_TRUE(rig.sim.configure_inputs(std::vector<gpio::InputSpec>{{"endstop", false, gpio::Pull::kNone}}).ok());
  PinCommand arm;
  arm.stepper = 0;
  arm.role = ipc::PinRole::kEndstop;
  arm.level = 1;  // input 0
  arm.time_ns = 1 * kMs;
  rig.push(Record::of(arm));
  rig.push(seg(0, 1 * kMs, 10'000, 1'000, 0));
  rig.push(Record::end_of_stream());
  FailingBackend failing(rig.sim, UINT64_MAX, 0, true);
  ExecutorConfig c = make_config(1, true);
  c.inputs = 1;
  const ExecutorReport report = run_to_end(c, *rig.consumer, failing);
  ASSERT_EQ(report.status, ExecutorStatus::kGpioFault) << report.message();
  EXPECT_NE(report.message().find("an endstop input could not be read"), std::string::npos) << report.message();
  EXPECT_EQ(rig.sim.rising_edges(step_pin(0)), 0U) << "the axis does not drive on while its switch is unknown";
}

// A stop while a pulse is high: stepper 0's pulse began at 1.000 ms; stepper 1's rise at 1.002 ms fails and
// stops the job. Stepper 0's step counts, so its pulse still gets its full 4 us before the pins go low.
TEST(SafeStop, APulseBegunIsFinishedAtFullWidth) {
  Rig rig(2);
  rig.push(seg(0, 1 * kMs, 10'000, 3, 0));  // dir 0: no dir write comes first
  rig.push(seg(1, 1 * kMs + 2'000, 10'000, 3, 0));
  rig.push(Record::end_of_stream());
  FailingBackend failing(rig.sim, 1, 1, false);
  ExecutorConfig c = make_config(2, true);
  c.steppers[0].pulse_ns = c.steppers[1].pulse_ns = 4'000;
  const ExecutorReport r = run_to_end(c, *rig.consumer, failing);
  ASSERT_EQ(r.status, ExecutorStatus::kGpioFault) << r.message();
  EXPECT_EQ(r.steps, 1U);
  ASSERT_EQ(failing.issued.size(), 2U);  // the rise, then the safe write
  EXPECT_GE(failing.issued[1] - failing.issued[0], 4'000);
  EXPECT_EQ(rig.sim.rising_edges(step_pin(0)), 1U);
  EXPECT_FALSE(rig.sim.level(step_pin(0)));
}

// The host pushes a record between two steps of a long segment and raises its horizon past the next step,
// again and again, while the executor polls. Each record must be seen before the step the horizon lets
// the executor serve: on the virtual clock any edge served after a later one shows as lateness.
TEST(HorizonRace, ARecordPushedBeforeTheHorizonIsNeverServedLate) {
  Rig rig(2, 64);
  ExecutorConfig c = make_config(2, true);
  StepExecutor exec(c, *rig.consumer, rig.sim);
  constexpr uint32_t kSteps = 4'000;
  constexpr int64_t kInterval = 100'000;  // stepper 0: one step every 100 us
  rig.push(seg(0, 1 * kMs, kInterval, kSteps, 0));
  ASSERT_TRUE(exec.start().ok());
  for (uint32_t i = 0; i + 1 < kSteps; ++i) {
    const int64_t between = 1 * kMs + i * kInterval + kInterval / 2;
    rig.push(seg(1, between, 10'000, 1, 0));
    rig.producer->set_horizon(between + kInterval);
    while (exec.steps_written() < 2 * i + 1 && exec.running()) std::this_thread::yield();
  }
  rig.push(Record::end_of_stream());
  const ExecutorReport r = exec.join();
  ASSERT_EQ(r.status, ExecutorStatus::kFinished) << r.message();
  EXPECT_EQ(r.steps, 2 * kSteps - 1);
  EXPECT_EQ(exec.lateness().snapshot().max_ns, 0) << "an edge was served after a later one";
}

}  // namespace
}  // namespace rtstep::executor

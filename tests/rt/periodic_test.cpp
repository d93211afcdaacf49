// Periodic threads (rt/periodic.hpp): function order, statistics, overrun counting and its single report,
// the period and priority rules of a thread set, and the thread table.
#include "rt/periodic.hpp"

#include <time.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <regex>
#include <thread>

#include "rt/thread_table.hpp"

namespace rtstep::rt {
namespace {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

PeriodicSpec spec(const char* label, int64_t period_ns, int priority = 0) {
  PeriodicSpec s;
  s.thread.name = std::string("rtstep-") + label;
  s.thread.policy = priority > 0 ? Policy::kFifo : Policy::kOther;
  s.thread.priority = priority;
  s.thread.allow_non_realtime = true;
  s.label = label;
  s.period_ns = period_ns;
  return s;
}

void wait_for_cycles(const PeriodicThread& t, uint64_t cycles) {
  for (int i = 0; i < 2000 && t.stats().cycles < cycles; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Checks, from inside the functions, what must hold whatever the machine's load: the functions of one
// thread run in their order, every call gets the nominal period, and no cycle starts before its deadline.
// Function `Id` (1..3) expects `Id - 1` before it (3 before 1 across cycles); each counts its calls.
struct OrderCheck {
  int64_t period_ns = 0;
  int64_t first_deadline_ns = 0;
  int last_id = 0;                 // touched by the periodic thread only
  std::atomic<uint64_t> calls[4] = {};
  std::atomic<uint64_t> out_of_order{0};
  std::atomic<uint64_t> wrong_period{0};
  std::atomic<uint64_t> early{0};  // a cycle began before its deadline (first + k * period)
  std::atomic<int64_t> stall_ns{0};  // function 1 busy-waits this long once, then clears it
};

int64_t now_ns_rt() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

template <int Id>
void check_call(void* arg, int64_t period_ns) noexcept {
  auto* c = static_cast<OrderCheck*>(arg);
  const int expected_before = Id == 1 ? 3 : Id - 1;
  if (c->last_id != 0 && c->last_id != expected_before) c->out_of_order.fetch_add(1, std::memory_order_relaxed);
  if (c->last_id == 0 && Id != 1) c->out_of_order.fetch_add(1, std::memory_order_relaxed);
  c->last_id = Id;
  if (period_ns != c->period_ns) c->wrong_period.fetch_add(1, std::memory_order_relaxed);
  const uint64_t k = c->calls[Id].fetch_add(1, std::memory_order_relaxed);
  if (Id == 1) {
    const int64_t now = now_ns_rt();
    if (now < c->first_deadline_ns + static_cast<int64_t>(k) * c->period_ns) c->early.fetch_add(1, std::memory_order_relaxed);
    if (const int64_t stall = c->stall_ns.exchange(0, std::memory_order_relaxed); stall > 0) {
      while (now_ns_rt() < now + stall) {
      }
    }
  }
}

PeriodicSpec three_functions(OrderCheck& c, int64_t period_ns) {
  PeriodicSpec s = spec("servo", period_ns);
  c.period_ns = period_ns;
  s.functions = {{"first", check_call<1>, &c}, {"second", check_call<2>, &c}, {"third", check_call<3>, &c}};
  return s;
}

TEST(PeriodicThread, RunsItsFunctionsInOrderEveryPeriodWithTheNominalPeriod) {
  OrderCheck c;
  PeriodicThread t(three_functions(c, 1'000'000));
  c.first_deadline_ns = now_ns() + 2'000'000;
  ASSERT_TRUE(t.start(c.first_deadline_ns).ok());
  wait_for_cycles(t, 20);
  t.request_stop();
  t.join();
  const PeriodicStats st = t.stats();
  ASSERT_GE(st.cycles, 20U);
  EXPECT_EQ(c.out_of_order.load(), 0U);
  EXPECT_EQ(c.wrong_period.load(), 0U);
  EXPECT_EQ(c.early.load(), 0U) << "a cycle never starts before its deadline";
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(c.calls[id].load(), st.cycles) << "function " << id;
  EXPECT_EQ(st.latency.count, st.cycles);  // one wake-up latency sample per cycle
  EXPECT_GE(st.latency.min_ns, 0);
  EXPECT_LE(st.avg_exec_ns, st.max_exec_ns);
  EXPECT_GE(st.max_cycle_ns, st.max_exec_ns);
  EXPECT_LE(st.late_periods, st.overruns) << "a late period is also an overrun";
  EXPECT_EQ(st.sleep_error, 0);
  EXPECT_EQ(st.period_ns, 1'000'000);
  // A report exists exactly when an overrun was counted (this machine may produce one on its own).
  EXPECT_EQ(t.take_overrun_report().has_value(), st.overruns > 0);
}

// A 6 ms stall in the first cycle of a 1 ms thread: the periods it covered run late, back to back, and the
// thread catches up with the clock: by the time T, every deadline up to T has had its cycle.
TEST(PeriodicThread, LatePeriodsRunLateAndTheThreadCatchesUp) {
  OrderCheck c;
  c.stall_ns = 6'000'000;
  PeriodicThread t(three_functions(c, 1'000'000));
  c.first_deadline_ns = now_ns() + 2'000'000;
  ASSERT_TRUE(t.start(c.first_deadline_ns).ok());
  // Caught up: the cycles run cover every deadline up to a moment after the stall (generous time limit
  // for a loaded machine; the thread only has to get the CPU now and then).
  const int64_t after_stall = c.first_deadline_ns + 20'000'000;
  bool caught_up = false;
  for (int i = 0; i < 10'000 && !caught_up; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const int64_t now = now_ns();
    const uint64_t due = now > after_stall ? static_cast<uint64_t>((after_stall - c.first_deadline_ns) / 1'000'000) + 1 : ~0ULL;
    caught_up = t.stats().cycles >= due;
  }
  t.request_stop();
  t.join();
  EXPECT_TRUE(caught_up) << "cycles " << t.stats().cycles;
  const PeriodicStats st = t.stats();
  EXPECT_EQ(c.out_of_order.load(), 0U);
  EXPECT_EQ(c.wrong_period.load(), 0U);
  EXPECT_EQ(c.early.load(), 0U);
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(c.calls[id].load(), st.cycles);
  // Cycles 1..4 started at least 6 ms after the first deadline, a period or more after their own.
  EXPECT_GE(st.late_periods, 4U);
  EXPECT_GE(st.overruns, 1U);
  EXPECT_GE(st.max_exec_ns, 6'000'000);
  EXPECT_TRUE(t.take_overrun_report().has_value());
}

// A deadline clock_nanosleep refuses (EINVAL): the loop stops and says so instead of spinning.
TEST(PeriodicThread, ASleepErrorOtherThanEintrStopsTheThread) {
  OrderCheck c;
  PeriodicThread t(three_functions(c, 1'000'000));
  ASSERT_TRUE(t.start(-1).ok());  // tv_nsec = -1: EINVAL
  for (int i = 0; i < 5000 && t.stats().sleep_error == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t.join();  // returns: the loop has stopped by itself
  const PeriodicStats st = t.stats();
  EXPECT_EQ(st.sleep_error, EINVAL);
  EXPECT_EQ(st.cycles, 0U);
  EXPECT_EQ(t.take_fault_report().value_or(""), "servo stopped: clock_nanosleep failed: Invalid argument");
  EXPECT_FALSE(t.take_fault_report().has_value()) << "reported once only";
}

// Busy-waits 3 ms the first time it is called, then returns at once.
void slow_once(void* arg, int64_t) noexcept {
  auto* done = static_cast<std::atomic<bool>*>(arg);
  if (done->exchange(true, std::memory_order_relaxed)) return;
  const int64_t until = now_ns() + 3'000'000;
  while (now_ns() < until) {
  }
}

TEST(PeriodicThread, ASlowFunctionIsAnOverrunReportedOnceWithItsFigures) {
  std::atomic<bool> done{false};
  PeriodicSpec s = spec("servo", 1'000'000);
  s.functions = {{"slow", slow_once, &done}};
  PeriodicThread t(std::move(s));
  ASSERT_TRUE(t.start().ok());
  wait_for_cycles(t, 5);
  t.request_stop();
  t.join();
  const PeriodicStats st = t.stats();
  EXPECT_GE(st.overruns, 1U);
  EXPECT_GE(st.late_periods, 2U);  // 3 ms of work makes the next two 1 ms periods start a period late
  EXPECT_GE(st.max_exec_ns, 3'000'000);
  EXPECT_GT(st.utilisation(), 3.0);
  EXPECT_TRUE(st.utilisation_warning());
  const auto report = t.take_overrun_report();
  ASSERT_TRUE(report.has_value());
  // The first cycle is the slow one, so the first overrun's figures are its own.
  EXPECT_TRUE(std::regex_search(*report, std::regex("^unexpected real-time delay on servo: ([3-9]|[1-9][0-9]+)\\.[0-9]{2} ms > period "
                                                    "1\\.00 ms \\(wake-up latency .* \\+ execution ([3-9]|[1-9][0-9]+)\\.[0-9]{2} ms\\)")))
      << *report;
  EXPECT_FALSE(t.take_overrun_report().has_value()) << "reported once only";
}

TEST(PeriodicThread, BadSpecsAreRefusedAtStart) {
  PeriodicThread zero(spec("servo", 0));
  EXPECT_EQ(zero.start().error().message, "servo: period must be > 0");
  PeriodicSpec s = spec("servo", 1'000'000);
  s.functions = {{"missing", nullptr, nullptr}};
  PeriodicThread no_code(std::move(s));
  EXPECT_EQ(no_code.start().error().message, "servo: function \"missing\" has no code");
  PeriodicSpec long_name = spec("servo", 1'000'000);
  long_name.thread.name = "rtstep-servo-thread";
  PeriodicThread named(std::move(long_name));
  EXPECT_NE(named.start().error().message.find("Linux keeps at most 15"), std::string::npos);
}

TEST(PeriodicSet, PeriodsAreWholeMultiplesOfTheFastest) {
  const std::vector<PeriodicSpec> ok = {spec("base", 25'000, 80), spec("servo", 1'000'000, 70)};
  EXPECT_TRUE(check_periodic_set(ok).ok());
  const std::vector<PeriodicSpec> bad = {spec("base", 30'000, 80), spec("servo", 1'000'000, 70)};
  EXPECT_EQ(check_periodic_set(bad).error().message, "servo: period 1.00 ms is not a whole multiple of base's 30.0 us");
}

TEST(PeriodicSet, TheFastThreadHasTheHigherPriority) {
  const std::vector<PeriodicSpec> inverted = {spec("base", 25'000, 60), spec("servo", 1'000'000, 70)};
  EXPECT_EQ(check_periodic_set(inverted).error().message,
            "base (period 25.0 us) must have a higher priority than servo (period 1.00 ms): the fast thread runs first");
  const std::vector<PeriodicSpec> equal = {spec("base", 25'000, 70), spec("servo", 1'000'000, 70)};
  EXPECT_FALSE(check_periodic_set(equal).ok());
  const std::vector<PeriodicSpec> twice = {spec("servo", 1'000'000, 70), spec("servo", 2'000'000, 60)};
  EXPECT_EQ(check_periodic_set(twice).error().message, "two periodic threads are named \"servo\"");
}

// Both threads on CPU 0 at SCHED_FIFO with one common first deadline: at every deadline both are due,
// so the fast (higher-priority) one runs first. Checked from inside: whenever the slow thread runs, the
// fast one has already run the cycle of that instant (its count is at least 2 per slow cycle ahead), once
// the fast thread is in its loop (on a loaded machine its placement may finish after the first deadline).
struct PairCheck {
  std::atomic<uint64_t> fast{0};
  std::atomic<uint64_t> slow{0};
  std::atomic<uint64_t> fast_behind{0};
  std::atomic<bool> stopping{false};  // set before the threads are told to stop: the fast one may end first
};
void fast_call(void* arg, int64_t) noexcept {
  static_cast<PairCheck*>(arg)->fast.fetch_add(1, std::memory_order_acq_rel);
}
void slow_call(void* arg, int64_t) noexcept {
  auto* c = static_cast<PairCheck*>(arg);
  const uint64_t k = c->slow.fetch_add(1, std::memory_order_acq_rel);  // slow cycle k is due at 2k fast periods
  const uint64_t fast = c->fast.load(std::memory_order_acquire);
  const bool stopping = c->stopping.load(std::memory_order_seq_cst);
  if (fast > 0 && !stopping && fast < 2 * k + 1) c->fast_behind.fetch_add(1, std::memory_order_relaxed);
}

TEST(PeriodicSet, StartsTogetherAndTheFastThreadRunsFirst) {
  PairCheck c;
  PeriodicSpec fast = spec("fast", 2'000'000, 30);
  PeriodicSpec slow = spec("slow", 4'000'000, 20);
  fast.thread.cpus = slow.thread.cpus = {0};
  fast.functions = {{"f", fast_call, &c}};
  slow.functions = {{"s", slow_call, &c}};
  PeriodicThread a(std::move(slow));  // created slow first: start_periodic_set orders them
  PeriodicThread b(std::move(fast));
  PeriodicThread* threads[] = {&a, &b};
  ASSERT_TRUE(start_periodic_set(threads).ok());
  if (!a.placement().realtime || !b.placement().realtime) GTEST_SKIP() << "SCHED_FIFO refused: " << a.placement().warning;
  wait_for_cycles(a, 3);
  c.stopping.store(true, std::memory_order_seq_cst);
  a.request_stop();
  b.request_stop();
  a.join();
  b.join();
  ASSERT_GE(c.slow.load(), 3U);
  EXPECT_EQ(c.fast_behind.load(), 0U) << "the slow thread ran before the fast one's cycle of the same instant";
}

TEST(ThreadTable, ShowsPeriodicThreadsAndTheExecutor) {
  PeriodicStats servo;
  servo.label = "servo";
  servo.period_ns = 1'000'000;
  servo.avg_exec_ns = 12'000;
  servo.max_exec_ns = 480'000;
  servo.max_cycle_ns = 610'000;
  servo.overruns = 2;
  servo.latency.max_ns = 130'000;
  LatencyHistogram lateness;
  lateness.record(900);
  lateness.record(1'100);
  const ThreadRow rows[] = {thread_row(servo), executor_row("exec", lateness.snapshot())};
  const std::string table = format_thread_table(rows);
  EXPECT_NE(table.find("    1.00 ms  servo               12.0 us   480.0 us   130.0 us   61%!         2\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("     events  exec                 1.0 us     1.1 us          -      -         0\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("times are step-edge lateness (2 edges)"), std::string::npos);
  EXPECT_NE(table.find("! utilisation above 50 %"), std::string::npos);
}

TEST(FormatDuration, PicksTheUnit) {
  EXPECT_EQ(format_duration(850), "850 ns");
  EXPECT_EQ(format_duration(25'000), "25.0 us");
  EXPECT_EQ(format_duration(1'310'000), "1.31 ms");
}

}  // namespace
}  // namespace rtstep::rt

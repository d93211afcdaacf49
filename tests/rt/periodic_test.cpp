// Periodic threads (rt/periodic.hpp): function order, statistics, overrun counting and its single report,
// the period and priority rules of a thread set, and the thread table.
#include "rt/periodic.hpp"

#include <time.h>

#include <gtest/gtest.h>

#include <array>
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

// Records the order of calls: each function appends its id to a small log.
struct CallLog {
  std::array<std::atomic<int>, 64> ids{};
  std::atomic<int> size{0};
};
template <int Id>
void log_call(void* arg, int64_t) noexcept {
  auto* log = static_cast<CallLog*>(arg);
  const int at = log->size.load(std::memory_order_relaxed);
  if (at < 64) {
    log->ids[static_cast<size_t>(at)].store(Id, std::memory_order_relaxed);
    log->size.store(at + 1, std::memory_order_release);
  }
}

TEST(PeriodicThread, RunsItsFunctionsInOrderEveryPeriod) {
  CallLog log;
  PeriodicSpec s = spec("servo", 1'000'000);
  s.functions = {{"first", log_call<1>, &log}, {"second", log_call<2>, &log}, {"third", log_call<3>, &log}};
  PeriodicThread t(std::move(s));
  ASSERT_TRUE(t.start().ok());
  wait_for_cycles(t, 5);
  t.request_stop();
  t.join();
  const int n = log.size.load(std::memory_order_acquire);
  ASSERT_GE(n, 15);
  for (int i = 0; i + 2 < n; i += 3) {
    EXPECT_EQ(log.ids[static_cast<size_t>(i)], 1);
    EXPECT_EQ(log.ids[static_cast<size_t>(i + 1)], 2);
    EXPECT_EQ(log.ids[static_cast<size_t>(i + 2)], 3);
  }
  const PeriodicStats st = t.stats();
  EXPECT_EQ(st.cycles * 3, static_cast<uint64_t>(n));
  EXPECT_EQ(st.latency.count, st.cycles);  // one wake-up latency sample per cycle
  EXPECT_LE(st.avg_exec_ns, st.max_exec_ns);
  EXPECT_GE(st.max_cycle_ns, st.max_exec_ns);
  EXPECT_EQ(st.period_ns, 1'000'000);
  // A report exists exactly when an overrun was counted (this VM may produce one on its own).
  EXPECT_EQ(t.take_overrun_report().has_value(), st.overruns > 0);
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
  EXPECT_GE(st.missed_periods, 2U);  // 3 ms of work swallows at least the next two 1 ms deadlines
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
// the fast (higher-priority) one runs first.
TEST(PeriodicSet, StartsTogetherAndTheFastThreadRunsFirst) {
  CallLog log;
  PeriodicSpec fast = spec("fast", 2'000'000, 30);
  PeriodicSpec slow = spec("slow", 4'000'000, 20);
  fast.thread.cpus = slow.thread.cpus = {0};
  fast.functions = {{"f", log_call<1>, &log}};
  slow.functions = {{"s", log_call<2>, &log}};
  PeriodicThread a(std::move(slow));  // created slow first: start_periodic_set orders them
  PeriodicThread b(std::move(fast));
  PeriodicThread* threads[] = {&a, &b};
  ASSERT_TRUE(start_periodic_set(threads).ok());
  if (!a.placement().realtime || !b.placement().realtime) GTEST_SKIP() << "SCHED_FIFO refused: " << a.placement().warning;
  wait_for_cycles(a, 3);
  a.request_stop();
  b.request_stop();
  a.join();
  b.join();
  const int n = log.size.load(std::memory_order_acquire);
  ASSERT_GE(n, 6);
  EXPECT_EQ(log.ids[0], 1) << "the fast thread's first cycle comes first";
  // Whenever the slow thread ran, the fast one ran just before it in the same instant.
  for (int i = 1; i < n; ++i) {
    if (log.ids[static_cast<size_t>(i)] == 2) {
      EXPECT_EQ(log.ids[static_cast<size_t>(i - 1)], 1) << "at " << i;
    }
  }
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

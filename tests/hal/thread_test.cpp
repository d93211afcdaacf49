// HAL threads on real rt::PeriodicThreads: start/stop, statistics, and addf/delf while running.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "hal/thread.hpp"
#include "hal_test_util.hpp"

namespace rtstep::hal {
namespace {

using testing::Session;

Hal::ThreadOptions test_options() {
  Hal::ThreadOptions o;
  o.realtime = false;  // SCHED_OTHER: tests need no privileges
  o.lock_memory = false;
  return o;
}

int64_t beats(const Hal& hal, const std::string& thread) {
  return std::stoll(*hal.get_pin_or_param(thread + ".threadbeat"));
}

void wait_for_beats(const Hal& hal, const std::string& thread, int64_t at_least) {
  for (int i = 0; i < 2000 && beats(hal, thread) < at_least; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(HalThreads, StartRunsFunctionsAndStopPausesThem) {
  Hal hal;
  hal.set_thread_options(test_options());
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=fast period1=200000 name2=slow period2=1000000\nloadrt charge_pump\n"
                    "loadrt not\naddf charge-pump fast\naddf not.0 slow\n"))
      << s.err();
  EXPECT_EQ(beats(hal, "fast"), 0);
  ASSERT_TRUE(s.run("start\n")) << s.err();
  wait_for_beats(hal, "slow", 5);
  EXPECT_GE(beats(hal, "slow"), 5);
  wait_for_beats(hal, "fast", 1);  // (how often it ran depends on the machine's load: not asserted)
  EXPECT_GE(beats(hal, "fast"), 1);
  EXPECT_EQ(*hal.get_pin_or_param("not.0.out"), "TRUE");
  EXPECT_GT(std::stol(*hal.get_pin_or_param("fast.tmax")), 0);
  EXPECT_GT(std::stol(*hal.get_pin_or_param("charge-pump.tmax")), 0);
  ASSERT_TRUE(s.run("stop\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t stopped = beats(hal, "slow");
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(beats(hal, "slow"), stopped) << "stopped threads tick without running functions";
  ASSERT_TRUE(s.run("setp charge-pump.tmax 0\n"));
  EXPECT_EQ(*hal.get_pin_or_param("charge-pump.tmax"), "0");
  const std::string report = hal.thread_report();
  EXPECT_NE(report.find("fast"), std::string::npos) << report;
  EXPECT_NE(report.find("slow"), std::string::npos) << report;
  hal.shutdown();
}

TEST(HalThreads, FunctionsCanBeAddedAndRemovedWhileRunning) {
  Hal hal;
  hal.set_thread_options(test_options());
  Session s(hal);
  ASSERT_TRUE(s.run("loadrt threads name1=t period1=100000\nloadrt not count=3\nstart\n")) << s.err();
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(s.run("addf not.0 t\naddf not.1 t 1\naddf not.2 t -2\ndelf not.1\ndelf not.0 t\ndelf not.2\n"))
        << s.err();
  }
  ASSERT_TRUE(s.run("addf not.2 t\n"));
  wait_for_beats(hal, "t", beats(hal, "t") + 3);
  EXPECT_EQ(*hal.get_pin_or_param("not.2.out"), "TRUE");
  EXPECT_EQ(hal.find_thread("t")->functions().size(), 1U);
  s.clear();
  EXPECT_FALSE(s.run("loadrt threads name1=late period1=100000\n"));
  EXPECT_EQ(s.err(), "threads: already exists\ntest.hal:1: insmod for threads failed, returned -1\n");
  const int id = *hal.add_component("more");
  const Status st = hal.create_thread("late", 100000, id);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "thread 'late': threads must be created before 'start'");
}

}  // namespace
}  // namespace rtstep::hal
